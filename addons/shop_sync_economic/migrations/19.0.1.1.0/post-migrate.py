"""The hub's accounting options and states moved to shop_sync_base (the accounting contract): the
e-conomic fields are related to the base's now, so their stored values are copied over once."""

from odoo.tools import SQL

MOVED = (  # table, e-conomic column, base column
    ("shop_sync_backend", "economic_invoice_orders", "accounting_invoice_orders"),
    ("shop_sync_backend", "economic_invoice_from", "accounting_invoice_from"),
    ("shop_sync_backend", "economic_stock_master", "accounting_stock_master"),
    ("shop_sync_backend", "economic_import_products", "accounting_import_products"),
    ("sale_order", "economic_invoice_state", "accounting_state"),
    ("shop_sync_refund", "economic_credit_note_state", "accounting_state"),
)


def migrate(cr, version):
    if not version:
        return
    for table, old, new in MOVED:
        cr.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                   (table, old))
        if cr.fetchone():
            cr.execute(SQL("UPDATE %s SET %s = %s", SQL.identifier(table), SQL.identifier(new), SQL.identifier(old)))
    cr.execute("""
        UPDATE sale_order SET accounting_document = CASE WHEN economic_booked_number > 0
                                                         THEN 'booked:' || economic_booked_number
                                                         ELSE 'draft:' || economic_draft_number END
         WHERE accounting_document IS NULL AND (economic_booked_number > 0 OR economic_draft_number > 0)
    """)
