{
    "name": "Shop Sync CCV Shop",
    "summary": "CCV Shop connector for shop-sync: signed REST v1 client, orders, products, stock, webhooks",
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
