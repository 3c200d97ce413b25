"""CCV stock export: ``stock`` of each attribute combination, or of a product without variants."""

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.http import RemoteError

from .constants import COMBINATION_PATH, PRODUCT_PATH
from .mapping import _number


class CcvStockMixin:
    """``push_stock`` of the CCV adapter (uses its ``client``)."""

    def push_stock(self, levels):
        """PATCH the ``stock`` of each attribute combination, or of the product (with
        ``stockenabled``) for a product without variants; one result per level."""
        results = []
        for level in levels:
            resource, _sep, remote_id = (level.external_id or "").partition("/")
            if resource not in (PRODUCT_PATH, COMBINATION_PATH) or not remote_id.isdigit():
                results.append(records.PushResult(key=level.external_id or level.sku, ok=False,
                                                  message=f"Not a CCV variant id: {level.external_id!r}"))
                continue
            body = {"stock": _number(level.quantity)}
            if resource == PRODUCT_PATH:
                body["stockenabled"] = True
            try:
                self.client.patch(f"/{resource}/{remote_id}", body)
            except RemoteError as exc:
                results.append(records.PushResult(key=level.external_id, ok=False, message=str(exc)))
                continue
            results.append(records.PushResult(key=level.external_id, ok=True, external_id=level.external_id))
        return results
