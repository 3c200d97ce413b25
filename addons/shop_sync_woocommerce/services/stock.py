"""WooCommerce stock export: ``stock_quantity`` through the products and variations batch endpoints."""

import math
from collections import defaultdict

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.http import RemoteError

from .mapping import _error_text


class WooCommerceStockMixin:
    """``push_stock`` of the WooCommerce adapter (uses its ``client``)."""

    def push_stock(self, levels):
        """Write ``stock_quantity`` (managed stock, whole units rounded down) through the products
        batch endpoint and each parent's variations batch endpoint; one result per level."""
        groups, results = defaultdict(list), []
        for level in levels:
            product_id, _slash, variation = (level.external_id or "").partition("/")
            if not product_id:
                results.append(records.PushResult(key=level.sku, ok=False, message="No WooCommerce id is known."))
                continue
            path = f"products/{product_id}/variations" if variation else "products"
            groups[path].append((level, int(variation or product_id)))
        for path, pending in groups.items():
            items = [{"id": remote_id, "manage_stock": True, "stock_quantity": max(math.floor(level.quantity), 0)}
                     for level, remote_id in pending]
            try:
                answered = {str(answer.get("id")): answer for answer in self.client.batch(path, "update", items)}
            except RemoteError as exc:
                if exc.status not in (400, 404):
                    raise
                answered = {str(remote_id): {"error": {"message": exc.message}} for _level, remote_id in pending}
            for level, remote_id in pending:
                answer = answered.get(str(remote_id))
                ok = bool(answer) and not answer.get("error")
                message = "" if ok else (_error_text(answer["error"]) if answer else "Not in the batch answer.")
                results.append(records.PushResult(key=level.external_id, ok=ok, external_id=level.external_id,
                                                  message=message))
        return results
