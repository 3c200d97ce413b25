from odoo import fields, models


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
