from . import (
    shop_sync_economic_option,
    shop_sync_economic_known_product,
    shop_sync_backend,
    shop_sync_mapping,
    shop_sync_economic_customer_exporter,
    shop_sync_economic_product_exporter,
    shop_sync_economic_invoice_exporter,
    shop_sync_economic_stock_importer,
    shop_sync_economic_product_importer,
    sale_order,
    shop_sync_economic_credit_note_exporter,
)
