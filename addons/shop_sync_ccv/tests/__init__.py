from . import test_backend
from . import test_client
from . import test_orders
from . import test_products
from . import test_reconciliation
from . import test_stock_export
from . import test_webhook_health
from . import test_webhooks
