"""The stock master lock moved to shop_sync_base (shared by the accounting connectors): a product
e-conomic mastered (``product_template.stock_master_economic``) is locked to the e-conomic backend
that masters its stock (``shop_sync_stock_master_id``): the one its variants are bound to, else the
first e-conomic stock master."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'product_template' "
               "AND column_name = 'stock_master_economic'")
    if not cr.fetchone():
        return
    cr.execute("""
        UPDATE product_template AS template
           SET shop_sync_stock_master_id = COALESCE(
                   (SELECT binding.backend_id
                      FROM shop_sync_binding AS binding
                      JOIN product_product AS variant ON variant.id = binding.res_id
                      JOIN shop_sync_backend AS backend ON backend.id = binding.backend_id
                     WHERE binding.model = 'product.product' AND variant.product_tmpl_id = template.id
                       AND backend.kind = 'economic' AND backend.accounting_stock_master
                     ORDER BY binding.backend_id LIMIT 1),
                   (SELECT backend.id FROM shop_sync_backend AS backend
                     WHERE backend.kind = 'economic' AND backend.accounting_stock_master
                     ORDER BY backend.id LIMIT 1))
         WHERE template.stock_master_economic AND template.shop_sync_stock_master_id IS NULL
    """)
