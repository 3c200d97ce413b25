{
    "name": "Shop Sync Visma eAccounting",
    "summary": "Accounting in Visma eAccounting (eEkonomi): OAuth2, customers, articles and one customer invoice "
    "draft or sales order per shop order, VAT by destination, credit notes",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "shop-sync",
    "website": "https://github.com/shop-sync/shop-sync",
    "license": "LGPL-3",
    "depends": ["shop_sync_base"],
    "data": [
        "security/ir.model.access.csv",
        "security/shop_sync_eaccounting_rules.xml",
        "data/queue_job_data.xml",
        "views/shop_sync_backend_views.xml",
        "views/sale_order_views.xml",
    ],
}
