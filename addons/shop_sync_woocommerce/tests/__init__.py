from . import test_adapter
from . import test_client
from . import test_orders
from . import test_products
from . import test_webhooks
