"""Shopify stock export: ``available`` at each level's location (the backend's by default), set with
compare-and-set."""

from decimal import ROUND_DOWN, Decimal

from odoo.addons.shop_sync_base.services import records

from . import queries
from .constants import STALE
from .mapping import _gid_type, _search_value, _user_error


class ShopifyStockMixin:
    """``push_stock`` of the Shopify adapter (uses its ``client``, ``location_id()`` and ``notify``)."""

    def push_stock(self, levels):
        """Set ``available`` at the backend's location with compare-and-set.

        ``compareQuantity`` is the last value pushed (``StockLevel.previous``); without one the
        level is set unconditionally.  When Shopify says the compare value is stale (sold or edited
        in Shopify since the last push), the level is read again, set with the fresh value as
        compare, and the difference reported through ``notify``; a second stale answer (changed
        again meanwhile) is a failure the next run retries.
        """
        results, pushes = [], []
        for level in levels:
            key = level.external_id or level.sku
            item_id = level.external_id if _gid_type(level.external_id) == "InventoryItem" else \
                self._inventory_item_by_sku(level.sku)
            if not item_id:
                results.append(records.PushResult(key=key, ok=False, location_id=level.location_id,
                                                  message=f"No Shopify variant has the SKU {level.sku!r}."))
                continue
            quantity = int(Decimal(level.quantity).to_integral_value(ROUND_DOWN))
            compare = None if level.previous is None else int(Decimal(level.previous).to_integral_value(ROUND_DOWN))
            pushes.append(_Push(level, key, item_id, quantity, compare))
        for location_id in dict.fromkeys(push.level.location_id for push in pushes):
            location = location_id or self.location_id()  # a level without one: the backend's location
            for checked in (False, True):
                batch = [push for push in pushes
                         if push.level.location_id == location_id and (push.compare is not None) == checked]
                for start in range(0, len(batch), queries.STOCK_BATCH_SIZE):
                    results += self._set_quantities(batch[start:start + queries.STOCK_BATCH_SIZE], location, checked)
        return results

    def stock_locations(self):
        """The shop's active locations (Shopify keeps inventory levels per location)."""
        nodes = self.client.execute(queries.LOCATIONS_QUERY)["locations"]["nodes"]
        return [(node["id"], node["name"]) for node in nodes if node.get("isActive", True)]

    def _inventory_item_by_sku(self, sku):
        if not sku:
            return None
        nodes = self.client.execute(queries.VARIANTS_BY_SKU_QUERY,
                                    {"query": f"sku:{_search_value(sku)}"})["productVariants"]["nodes"]
        return next((node["inventoryItem"]["id"] for node in nodes if node["sku"] == sku), None)

    def _set_quantities(self, pushes, location, checked):
        results, pending = [], list(pushes)
        while pending:
            errors = self._send_quantities(pending, location, checked)
            if not errors:
                results += [push.result() for push in pending]
                for push in pending:
                    if push.shop_quantity is not None:
                        self.notify("stock_export", push.level.sku, push.item_id, "Stock changed in Shopify", (
                            f"Shopify had {push.shop_quantity} available where {push.level.previous} was last pushed "
                            f"(sold or edited in Shopify since); set to {push.quantity}."))
                return results
            failed, stale = {}, []
            for error in errors:
                index = _quantity_index(error)
                if index is None or index >= len(pending):  # not about one level: all fail
                    return results + [push.result(_user_error(error)) for push in pending]
                push = pending[index]
                if error.get("code") == STALE and push.shop_quantity is None:
                    stale.append(push)
                elif error.get("code") == STALE:
                    failed[push] = (f"Stock changed in Shopify again while it was being set to {push.quantity} "
                                    "(compareQuantity stale twice); the next export retries.")
                else:
                    failed[push] = _user_error(error)
            results += [push.result(message) for push, message in failed.items()]
            done = []
            if stale:
                current = self._available(location, [push.item_id for push in stale])
                for push in stale:
                    if push in failed:
                        continue
                    if current.get(push.item_id) is None:
                        failed[push] = "The item is not stocked at the backend's Shopify location."
                        results.append(push.result(failed[push]))
                    elif current[push.item_id] == push.quantity:  # e.g. an earlier attempt got through
                        done.append(push)
                        results.append(push.result())
                    else:
                        push.shop_quantity = push.compare = current[push.item_id]
            pending = [push for push in pending if push not in failed and push not in done]
        return results

    def _send_quantities(self, pushes, location, checked):
        quantities = [{"inventoryItemId": push.item_id, "locationId": location, "quantity": push.quantity,
                       **({"compareQuantity": push.compare} if checked else {})} for push in pushes]
        result = self.client.execute(queries.INVENTORY_SET_QUANTITIES, {"input": {
            "name": "available", "reason": "correction", "ignoreCompareQuantity": not checked,
            "quantities": quantities}})["inventorySetQuantities"]
        return result.get("userErrors") or []

    def _available(self, location, item_ids):
        """``{inventory item gid: available quantity at location}`` (None: not stocked there)."""
        nodes = self.client.execute(queries.INVENTORY_LEVELS_QUERY,
                                    {"ids": item_ids, "locationId": location})["nodes"]
        current = {}
        for node in nodes:
            if node and node.get("id"):
                level = node.get("inventoryLevel") or {}
                current[node["id"]] = next((quantity["quantity"] for quantity in level.get("quantities") or []
                                            if quantity["name"] == "available"), None)
        return current


class _Push:
    """One stock level on its way to Shopify."""

    def __init__(self, level, key, item_id, quantity, compare):
        self.level, self.key, self.item_id, self.quantity, self.compare = level, key, item_id, quantity, compare
        self.shop_quantity = None  # what Shopify had when a stale compare made us read it

    def result(self, error=None):
        return records.PushResult(key=self.key, ok=error is None, external_id=self.item_id, message=error or "",
                                  location_id=self.level.location_id)


def _quantity_index(error):
    field = error.get("field") or []
    if len(field) >= 3 and field[:2] == ["input", "quantities"] and str(field[2]).isdigit():
        return int(field[2])
    return None
