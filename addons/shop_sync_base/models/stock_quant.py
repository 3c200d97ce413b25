from odoo import _, fields, models
from odoo.exceptions import UserError

from ..services.server_flags import ACCOUNTING_STOCK_PULL, is_raised


class StockQuant(models.Model):
    """Products whose stock an accounting backend masters (``shop_sync_stock_master_id``): their
    on-hand quantity changes only through stock moves (deliveries, receipts) and that backend's
    stock pull, never by a manual adjustment."""

    _inherit = "stock.quant"

    shop_sync_stock_locked = fields.Boolean(related="product_id.product_tmpl_id.shop_sync_stock_locked")

    def write(self, vals):
        if vals.get("inventory_quantity") and self._is_inventory_mode():
            self._check_stock_master()
        return super().write(vals)

    def _apply_inventory(self, date=None):
        self._check_stock_master()
        return super()._apply_inventory(date)

    def _check_stock_master(self):
        if is_raised(self.env.cr, ACCOUNTING_STOCK_PULL):
            return
        locked = self.filtered(lambda quant: quant.product_id.product_tmpl_id.shop_sync_stock_master_id)
        if locked:
            backends = locked.product_id.product_tmpl_id.shop_sync_stock_master_id.sudo()
            kinds = dict(backends._fields["kind"]._description_selection(self.env))
            raise UserError(_("The stock of %(products)s is mastered in %(systems)s: change it there, it is pulled "
                              "into Odoo.", products=", ".join(locked.product_id.mapped("display_name")),
                              systems=", ".join(f"{kinds.get(backend.kind, backend.kind)} ({backend.name})"
                                                for backend in backends)))
