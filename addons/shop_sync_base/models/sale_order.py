from odoo import _, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shop_sync_backend_id = fields.Many2one("shop.sync.backend", "Shop backend", readonly=True, index="btree_not_null",
                                           copy=False)
    shop_order_number = fields.Char("Shop order number", readonly=True, index="btree_not_null", copy=False)
    shop_order_state = fields.Char("Shop order state", readonly=True, copy=False)
    shop_payment_method = fields.Char("Shop payment method", readonly=True, copy=False)
    shop_accounting_date = fields.Date(
        "Accounting date", readonly=True, copy=False,
        help="The date the accounting document of this shop order carries (its VAT period): the shop's order "
             "date, or the date it was paid when the backend says so, in the company's time zone.")

    def _prepare_confirmation_values(self):
        """Shop orders keep the shop's order date when confirmed: Odoo would stamp the confirmation time
        (the import's) over it. Other orders of ``self`` get Odoo's date as usual."""
        values = super()._prepare_confirmation_values()
        shop_orders = self.filtered("shop_sync_backend_id")
        if shop_orders and "date_order" in values:
            (self - shop_orders).write({"date_order": values.pop("date_order")})
        return values

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
