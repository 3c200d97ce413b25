from . import shop_sync_dry_run
