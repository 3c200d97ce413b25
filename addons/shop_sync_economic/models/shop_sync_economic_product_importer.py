from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.models.shop_sync_event import PRODUCT_BATCH
from odoo.addons.shop_sync_base.services.http import RemoteError

from ..services.client import gt
from .shop_sync_economic_invoice_exporter import ROUNDING_PRODUCT
from ..services.mapper import product_record


class ShopSyncEconomicProductImporter(models.AbstractModel):
    """Flow 3: products maintained in e-conomic become Odoo products (matched by SKU, through the
    hub's product import pipeline and the backend's product import rules), ready for the shops'
    product export.  No images: e-conomic has none."""

    _name = "shop.sync.economic.product.importer"
    _description = "e-conomic Product Import"

    @api.model
    def _import_all(self, backend, full=False):
        Log = self.env["shop.sync.log"]
        Importer = self.env["shop.sync.product.importer"]
        started = fields.Datetime.now()
        watermark = None if full else backend.products_synced_until
        since = watermark - timedelta(minutes=backend.poll_overlap) if watermark else None
        batch, imported, failure = [], 0, None
        try:
            for document in backend._economic_client().iterate(
                    "products", filter=gt("lastUpdated", since) if since else None):
                if self._invoicing_only(document):
                    continue
                batch.append(product_record(document))
                if len(batch) == PRODUCT_BATCH:
                    imported += len(Importer._import_batch(backend, batch))
                    batch = []
        except (RemoteError, UserError) as exc:
            if isinstance(exc, RemoteError):
                backend._shop_sync_retry_later("product_import", exc, reason=_("Product import stopped"),
                                               message=str(exc))
            failure = exc
        if batch:  # what was read before the end (or the failure) is imported
            imported += len(Importer._import_batch(backend, batch))
        if failure:
            Log._record(backend, "product_import", "error", reason=_("Product import stopped"), message=str(failure),
                        response=getattr(failure, "body", None))
            return imported
        backend.products_synced_until = started
        Log._record(backend, "product_import", "done", reason=_("Poll"),
                    message=_("%s products read from e-conomic.", imported))
        return imported

    @api.model
    def _invoicing_only(self, document):
        """Products the invoice export created to book in another group (``<number>.<group>``) or to
        round: they are not products of the catalogue."""
        number = document.get("productNumber") or ""
        group = (document.get("productGroup") or {}).get("productGroupNumber")
        return number == ROUNDING_PRODUCT or number.endswith(f".{group}")
