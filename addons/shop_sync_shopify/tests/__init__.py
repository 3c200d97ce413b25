from . import test_adapter
from . import test_backend
from . import test_client
from . import test_exactly_once
from . import test_queries
from . import test_reconciliation
from . import test_webhook
from . import test_webhook_health
