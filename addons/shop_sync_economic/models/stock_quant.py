from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.server_flags import ECONOMIC_STOCK_PULL, is_raised


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
        if is_raised(self.env.cr, ECONOMIC_STOCK_PULL):
            return
        locked = self.filtered(lambda quant: quant.product_id.stock_master_economic)
        if locked:
            raise UserError(_("The stock of %s is mastered in e-conomic: change it there, it is pulled into "
                              "Odoo.", ", ".join(locked.product_id.mapped("display_name"))))
