from odoo import _, fields, models
from odoo.exceptions import UserError

from .shop_sync_economic_stock_importer import STOCK_CONTEXT


class StockQuant(models.Model):
    """Products whose stock e-conomic masters: their on-hand quantity changes only through stock
    moves (deliveries, receipts) and the pull from e-conomic, never by a manual adjustment."""

    _inherit = "stock.quant"

    stock_master_economic = fields.Boolean(related="product_id.stock_master_economic")

    def write(self, vals):
        if vals.get("inventory_quantity") and self._is_inventory_mode():
            self._check_stock_master()
        return super().write(vals)

    def _apply_inventory(self, date=None):
        self._check_stock_master()
        return super()._apply_inventory(date)

    def _check_stock_master(self):
        if self.env.context.get(STOCK_CONTEXT):
            return
        locked = self.filtered(lambda quant: quant.product_id.stock_master_economic)
        if locked:
            raise UserError(_("The stock of %s is mastered in e-conomic: change it there, it is pulled into "
                              "Odoo.", ", ".join(locked.product_id.mapped("display_name"))))
