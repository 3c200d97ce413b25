from . import test_client
from . import test_oauth
from . import test_documents
from . import test_demo_books
from . import test_credit_notes
from . import test_stock_and_products
from . import test_oauth_return
from . import test_dry_run
