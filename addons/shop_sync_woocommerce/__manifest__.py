{
    "name": "Shop Sync WooCommerce",
    "summary": "WooCommerce connector for shop-sync: REST wc/v3 client, orders, products, stock, signed webhooks",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "author": "shop-sync",
    "website": "https://github.com/shop-sync/shop-sync",
    "license": "LGPL-3",
    "depends": ["shop_sync_base"],
    "data": [
        "views/shop_sync_backend_views.xml",
    ],
}
