from decimal import Decimal

from odoo import _, api, models

from ..services.http import RemoteError
from ..services.records import StockLevel


class ShopSyncStockExporter(models.AbstractModel):
    """Push the free quantity (on hand minus reserved) of bound variants to a shop, only when it
    changed since the last successful push."""

    _name = "shop.sync.stock.exporter"
    _description = "Shop Sync Stock Export"

    @api.model
    def _export(self, backend, products=None):
        Log = self.env["shop.sync.log"]
        domain = [("backend_id", "=", backend.id), ("model", "=", "product.product")]
        if products:
            domain.append(("res_id", "in", products.ids))
        bindings = self.env["shop.sync.binding"].search(domain)
        context = {"warehouse_id": backend.warehouse_id.id} if backend.warehouse_id else {}
        variants = self.env["product.product"].with_context(**context).browse(bindings.mapped("res_id"))
        free = {variant.id: variant.free_qty for variant in variants}
        pending = {}
        for binding in bindings:
            quantity = Decimal(str(max(free.get(binding.res_id, 0.0), 0.0))).normalize()
            value = format(quantity, "f")
            if binding.last_value != value:
                previous = Decimal(binding.last_value) if binding.last_value else None
                pending[binding] = StockLevel(sku=binding.external_ref or "", quantity=quantity,
                                              external_id=binding.external_id, previous=previous)
        if not pending:
            return 0
        try:
            results = backend._get_adapter().push_stock(list(pending.values()))
        except RemoteError as exc:
            backend._shop_sync_retry_later("stock_export", exc, reason=_("Stock not pushed"), message=str(exc))
            Log._record(backend, "stock_export", "error", reason=_("Stock not pushed"), message=str(exc),
                        response=exc.body)
            return 0
        by_key = {result.key: result for result in results}
        pushed = 0
        for binding, level in pending.items():
            result = by_key.get(level.external_id) or by_key.get(level.sku)
            if result and result.ok:
                binding.last_value = format(level.quantity, "f")
                pushed += 1
            else:
                Log._record(backend, "stock_export", "error", ref=level.sku, external_id=level.external_id,
                            reason=_("Stock not pushed"),
                            message=result.message if result else _("The shop did not confirm this level."))
        Log._record(backend, "stock_export", "done", reason=_("Stock pushed"),
                    message=_("%(pushed)s of %(total)s changed levels pushed.", pushed=pushed, total=len(pending)))
        return pushed
