from odoo import _, api, models
from odoo.exceptions import UserError

from ..services.server_flags import ACCOUNTING_STOCK_PULL, raised


class ShopSyncStockMaster(models.AbstractModel):
    """An accounting system as the stock master: its quantities become Odoo's on-hand quantities at
    the backend's warehouse, by inventory adjustment (shared by the accounting connectors).  A
    product it sets is locked against manual adjustments (``shop_sync_stock_master_id``) until the
    backend stops mastering the stock."""

    _name = "shop.sync.stock.master"
    _description = "Shop Sync Stock Master"

    @api.model
    def _location(self, backend):
        warehouse = backend.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", backend.company_id.id)], limit=1)
        if not warehouse:
            raise UserError(_("Set the warehouse of the backend %s.", backend.name))
        return warehouse.lot_stock_id

    @api.model
    def _set_quantity(self, product, location, quantity, backend):
        """Inventory adjustment of ``product`` at ``location`` to ``quantity`` (the product is
        locked to ``backend``, the stock master); 1 if it changed."""
        if product.product_tmpl_id.shop_sync_stock_master_id != backend:
            product.product_tmpl_id.sudo().shop_sync_stock_master_id = backend
        with raised(self.env.cr, ACCOUNTING_STOCK_PULL):  # through the lock of the products it masters
            return self._adjust(product, location, quantity)

    @api.model
    def _unlock(self, backends):
        """``backends`` no longer master the stock: their products can be counted in Odoo again."""
        self.env["product.template"].sudo().with_context(active_test=False).search(
            [("shop_sync_stock_master_id", "in", backends.ids)]).shop_sync_stock_master_id = False

    @api.model
    def _adjust(self, product, location, quantity):
        current = product.with_context(location=location.id).qty_available
        if product.uom_id.compare(current, quantity) == 0:
            return 0
        Quant = self.env["stock.quant"].sudo()
        quant = Quant._gather(product, location, strict=True).filtered(
            lambda q: not q.lot_id and not q.package_id and not q.owner_id)[:1]
        # sub-locations keep their stock: the quant at the location itself takes the difference
        target = (quant.quantity if quant else 0.0) + quantity - current
        if quant:
            quant.inventory_quantity = target
        else:
            quant = Quant.create({"product_id": product.id, "location_id": location.id, "inventory_quantity": target})
        quant._apply_inventory()
        return 1
