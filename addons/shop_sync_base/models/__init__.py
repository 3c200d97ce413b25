from . import (
    shop_sync_backend,
    shop_sync_binding,
    shop_sync_event,
    shop_sync_field_rule,
    shop_sync_log,
    shop_sync_mapping,
    shop_sync_order_importer,
    shop_sync_partner_matcher,
    shop_sync_product_exporter,
    shop_sync_product_importer,
    shop_sync_stock_exporter,
    sale_order,
)
