from odoo import _, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shop_sync_backend_id = fields.Many2one("shop.sync.backend", "Shop backend", readonly=True, index="btree_not_null",
                                           copy=False)
    shop_order_number = fields.Char("Shop order number", readonly=True, index="btree_not_null", copy=False)
    shop_order_state = fields.Char("Shop order state", readonly=True, copy=False)
    shop_payment_method = fields.Char("Shop payment method", readonly=True, copy=False)

    def _shop_sync_imported(self):
        """Hook called once a shop order was imported (e.g. to queue its invoice in accounting)."""
        return True

    def _shop_sync_accounting_status(self):
        """For the reconciliation: ``{sale id: None}`` when no accounting system invoices the order,
        else ``{"invoice": remote reference or "", "expected": whether an invoice should exist by
        now, "note": why not yet}``.  Accounting connectors extend this."""
        return dict.fromkeys(self.ids)

    def _shop_sync_resend_accounting(self):
        """Queue the accounting export (invoice) of these orders again; accounting connectors implement it."""
        raise UserError(_("No accounting system invoices these orders."))
