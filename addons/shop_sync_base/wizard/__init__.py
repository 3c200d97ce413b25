from . import shop_sync_dry_run, shop_sync_reconciliation
