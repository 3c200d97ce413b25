from odoo import _, api, models

from ..services.client import gt
from ..services.mapper import product_record
from .shop_sync_economic_invoice_exporter import ROUNDING_PRODUCT


class ShopSyncEconomicProductImporter(models.AbstractModel):
    """Flow 3: products maintained in e-conomic become Odoo products (the base's flow,
    ``_import_all``).  No images: e-conomic has none."""

    _name = "shop.sync.economic.product.importer"
    _inherit = "shop.sync.accounting.product.importer"
    _description = "e-conomic Product Import"

    @api.model
    def _remote_products(self, backend, client, since):
        for document in client.iterate("products", filter=gt("lastUpdated", since) if since else None):
            if not self._invoicing_only(document):
                yield product_record(document)

    @api.model
    def _imported_message(self, count):
        return _("%s products read from e-conomic.", count)

    @api.model
    def _invoicing_only(self, document):
        """Products the invoice export created to book in another group (``<number>.<group>``) or to
        round: they are not products of the catalogue."""
        number = document.get("productNumber") or ""
        group = (document.get("productGroup") or {}).get("productGroupNumber")
        return number == ROUNDING_PRODUCT or number.endswith(f".{group}")
