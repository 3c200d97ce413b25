from . import shop_sync_backend
