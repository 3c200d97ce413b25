import re
from datetime import timedelta
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.models.shop_sync_event import PRODUCT_BATCH
from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_base.services.records import Product, Variant

from ..services.client import AuthorisationError
from .shop_sync_eaccounting_document_exporter import ROUNDING_ARTICLE

# articles the document export creates to book in another coding (<SKU>.<coding id prefix>)
COMPANION = re.compile(r"\.[0-9a-f]{8}$")


def changed_since(backend, watermark):
    """``$filter`` of the articles changed since ``watermark`` less the backend's overlap, or None."""
    if not watermark:
        return None
    since = watermark - timedelta(minutes=backend.poll_overlap)
    return f"ChangedUtc gt {since.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def catalogue_articles(documents):
    """The articles of the catalogue: not the rounding article nor companion articles."""
    return (document for document in documents if document.get("Number") != ROUNDING_ARTICLE
            and not COMPANION.search(document.get("Number") or ""))


class ShopSyncEaccountingStockImporter(models.AbstractModel):
    """eAccounting as the stock master: the available stock of every article changed since the
    watermark becomes the on-hand quantity at the backend's warehouse (products matched by SKU);
    those products are then locked against manual changes (the base's stock master lock)."""

    _name = "shop.sync.eaccounting.stock.importer"
    _description = "eAccounting Stock Pull"

    @api.model
    def _pull(self, backend):
        Log = self.env["shop.sync.log"]
        if not backend.accounting_stock_master:  # e.g. a retry queued before the option was switched off
            Log._record(backend, "stock_import", "skipped", reason=_("Not the stock master"), message=_(
                "eAccounting is not the stock master of %s: no stock is pulled.", backend.name))
            return 0
        StockMaster = self.env["shop.sync.stock.master"]
        started = fields.Datetime.now()
        try:
            location = StockMaster._location(backend)
            documents = list(catalogue_articles(backend._eacc_client().iterate(
                "articles", filter=changed_since(backend, backend.eacc_stock_synced_until))))
        except (RemoteError, UserError) as exc:
            if isinstance(exc, RemoteError) and not isinstance(exc, AuthorisationError):
                backend._shop_sync_retry_later("stock_import", exc, reason=_("Stock not pulled"), message=str(exc))
            Log._record(backend, "stock_import", "error", reason=_("Stock not pulled"), message=str(exc),
                        response=getattr(exc, "body", None))
            return 0
        products = {product.default_code: product for product in self.env["product.product"].search([
            ("default_code", "in", [document["Number"] for document in documents]), ("is_storable", "=", True),
            ("company_id", "in", (False, backend.company_id.id))])}
        changed = 0
        for document in documents:
            product = products.get(document["Number"])
            if product and product.tracking == "none":
                available = document.get("StockBalanceAvailable")
                changed += StockMaster._set_quantity(product, location, float(
                    document.get("StockBalance") or 0.0) if available is None else float(available), backend)
        backend.eacc_stock_synced_until = started
        Log._record(backend, "stock_import", "done", reason=_("Stock pulled"), message=_(
            "%(read)s articles read, %(matched)s matched, %(changed)s quantities changed.", read=len(documents),
            matched=len(products), changed=changed))
        return changed


class ShopSyncEaccountingProductImporter(models.AbstractModel):
    """Flow 3: articles maintained in eAccounting become Odoo products (matched by SKU, through the
    hub's product import pipeline and the backend's product import rules), ready for the shops'
    product export."""

    _name = "shop.sync.eaccounting.product.importer"
    _description = "eAccounting Product Import"

    @api.model
    def _import_all(self, backend, full=False):
        Log = self.env["shop.sync.log"]
        Importer = self.env["shop.sync.product.importer"]
        started = fields.Datetime.now()
        batch, imported, failure = [], 0, None
        try:
            for document in catalogue_articles(backend._eacc_client().iterate(
                    "articles", filter=None if full else changed_since(backend, backend.products_synced_until))):
                batch.append(self._record(document))
                if len(batch) == PRODUCT_BATCH:
                    imported += len(Importer._import_batch(backend, batch))
                    batch = []
        except (RemoteError, UserError) as exc:
            if isinstance(exc, RemoteError) and not isinstance(exc, AuthorisationError):
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
                    message=_("%s articles read from eAccounting.", imported))
        return imported

    @api.model
    def _record(self, document):
        """An article as a canonical simple product keyed by its Id, at its price with VAT
        (``GrossPrice``, at the article's own rate; the base converts it to Odoo's sales price with the
        Odoo product's taxes, which give the same net price when their rate is the article's)."""
        price = document.get("GrossPrice")
        price = Decimal(str(price)) if price is not None else None
        number = document["Number"]
        return Product(external_id=document["Id"], name=document.get("Name") or number, sku=number, price=price,
                       price_includes_tax=True, published=bool(document.get("IsActive", True)),
                       variants=[Variant(sku=number, price=price, external_id=document["Id"])])
