{
    "name": "Shop Sync e-conomic",
    "summary": "Accounting in e-conomic: customers, products and one draft invoice per shop order, "
    "VAT zones, layouts and payment terms; optional stock master and product import",
    "version": "19.0.1.2.0",
    "category": "Accounting/Accounting",
    "author": "shop-sync",
    "website": "https://github.com/shop-sync/shop-sync",
    "license": "LGPL-3",
    "depends": ["shop_sync_base"],
    "data": [
        "security/ir.model.access.csv",
        "security/shop_sync_economic_rules.xml",
        "data/queue_job_data.xml",
        "data/queue_job_credit_note_data.xml",
        "views/shop_sync_economic_option_views.xml",
        "views/shop_sync_backend_views.xml",
        "views/sale_order_views.xml",
        "views/shop_sync_refund_views.xml",
        "views/shop_sync_economic_menus.xml",
    ],
}
