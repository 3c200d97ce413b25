import json
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
        if not backend.shop_manages_stock:
            return 0
        domain = [("backend_id", "=", backend.id), ("model", "=", "product.product")]
        if products:
            domain.append(("res_id", "in", products.ids))
        bindings = self.env["shop.sync.binding"].search(domain)
        pending = {}  # (binding, shop location id) -> StockLevel
        for location_id, context in self._locations(backend):
            variants = self.env["product.product"].with_context(**context).browse(bindings.mapped("res_id"))
            free = {variant.id: variant.free_qty for variant in variants}
            for binding in bindings:
                pushed = _pushed(binding)
                quantity = Decimal(str(max(free.get(binding.res_id, 0.0), 0.0))).normalize()
                if pushed.get(location_id) != format(quantity, "f"):
                    previous = pushed.get(location_id)
                    pending[binding, location_id] = StockLevel(
                        sku=binding.external_ref or "", quantity=quantity, external_id=binding.external_id,
                        previous=Decimal(previous) if previous else None, location_id=location_id)
        if not pending:
            return 0
        try:
            results = backend._get_adapter().push_stock(list(pending.values()))
        except RemoteError as exc:
            backend._shop_sync_retry_later("stock_export", exc, reason=_("Stock not pushed"), message=str(exc))
            Log._record(backend, "stock_export", "error", reason=_("Stock not pushed"), message=str(exc),
                        response=exc.body)
            return 0
        by_key = {(result.key, result.location_id): result for result in results}
        pushed = 0
        for (binding, location_id), level in pending.items():
            result = by_key.get((level.external_id, location_id)) or by_key.get((level.sku, location_id))
            if result and result.ok:
                binding.last_value = _pushed_value(binding, location_id, format(level.quantity, "f"))
                pushed += 1
            else:
                Log._record(backend, "stock_export", "error", ref=level.sku, external_id=level.external_id,
                            reason=_("Stock not pushed"),
                            message=result.message if result else _("The shop did not confirm this level."))
        Log._record(backend, "stock_export", "done", reason=_("Stock pushed"),
                    message=_("%(pushed)s of %(total)s changed levels pushed.", pushed=pushed, total=len(pending)))
        return pushed

    @api.model
    def _locations(self, backend):
        """``(shop location id, stock context)`` of each mapped shop location; without any, the
        shop's default location ("") and the backend's warehouse."""
        mapped = backend.stock_location_ids.filtered("location_id")
        if mapped:
            return [(location.external_id, {"location": location.location_id.id}) for location in mapped]
        return [("", {"warehouse_id": backend.warehouse_id.id} if backend.warehouse_id else {})]


def _pushed(binding):
    """``{shop location id: quantity text}`` last pushed for a variant; a plain value (one location,
    as before locations were mapped) is the default location's."""
    value = binding.last_value or ""
    if value.startswith("{"):
        return json.loads(value)
    return {"": value} if value else {}


def _pushed_value(binding, location_id, quantity):
    """``last_value`` once ``quantity`` is pushed to ``location_id``: plain for the default location
    alone, else a JSON object per location."""
    pushed = {**_pushed(binding), location_id: quantity}
    return quantity if set(pushed) == {""} else json.dumps(pushed, sort_keys=True)
