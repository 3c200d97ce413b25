from odoo import fields, models


class ShopSyncOrderState(models.Model):
    _inherit = "shop.sync.order.state"

    accounting_paid = fields.Boolean(
        "Paid", help="Orders in this state are paid: with 'Invoice paid orders only', only they are invoiced.")
