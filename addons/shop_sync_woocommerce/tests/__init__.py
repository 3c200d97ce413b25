from . import test_adapter
from . import test_client
from . import test_dry_run
from . import test_orders
from . import test_products
from . import test_reconciliation
from . import test_webhook_health
from . import test_webhooks
