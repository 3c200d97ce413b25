from . import test_client
from . import test_configuration
from . import test_customers_and_products
from . import test_dry_run
from . import test_invoice_export
from . import test_reconciliation
from . import test_stock_and_product_import
from . import test_vat
