import re
from decimal import Decimal

from odoo import _, api, models

from odoo.addons.shop_sync_base.services.records import Product, Variant

from .shop_sync_eaccounting_document_exporter import ROUNDING_ARTICLE

# articles the document export creates to book in another coding (<SKU>.<coding id prefix>)
COMPANION = re.compile(r"\.[0-9a-f]{8}$")


def changed_filter(since):
    """``$filter`` of the articles changed since ``since``, or None (all)."""
    return f"ChangedUtc gt {since.strftime('%Y-%m-%dT%H:%M:%SZ')}" if since else None


def catalogue_articles(documents):
    """The articles of the catalogue: not the rounding article nor companion articles."""
    return (document for document in documents if document.get("Number") != ROUNDING_ARTICLE
            and not COMPANION.search(document.get("Number") or ""))


class ShopSyncEaccountingStockImporter(models.AbstractModel):
    """eAccounting as the stock master: the available stock of every article changed since the
    watermark becomes the on-hand quantity at the backend's warehouse (products matched by SKU;
    the base's flow, ``_pull``)."""

    _name = "shop.sync.eaccounting.stock.importer"
    _inherit = "shop.sync.accounting.stock.importer"
    _description = "eAccounting Stock Pull"
    _accounting_system = "eAccounting"
    _stock_synced_field = "eacc_stock_synced_until"

    @api.model
    def _remote_stock(self, backend, client, since):
        return catalogue_articles(client.iterate("articles", filter=changed_filter(since)))

    @api.model
    def _apply_stock(self, backend, location, documents):
        products = {product.default_code: product for product in self.env["product.product"].search([
            ("default_code", "in", [document["Number"] for document in documents]), ("is_storable", "=", True),
            ("company_id", "in", (False, backend.company_id.id))])}
        changed = 0
        for document in documents:
            product = products.get(document["Number"])
            if product and product.tracking == "none":
                available = document.get("StockBalanceAvailable")
                changed += self.env["shop.sync.stock.master"]._set_quantity(product, location, float(
                    document.get("StockBalance") or 0.0) if available is None else float(available), backend)
        return changed, _("%(read)s articles read, %(matched)s matched, %(changed)s quantities changed.",
                          read=len(documents), matched=len(products), changed=changed)


class ShopSyncEaccountingProductImporter(models.AbstractModel):
    """Flow 3: articles maintained in eAccounting become Odoo products (the base's flow,
    ``_import_all``)."""

    _name = "shop.sync.eaccounting.product.importer"
    _inherit = "shop.sync.accounting.product.importer"
    _description = "eAccounting Product Import"

    @api.model
    def _remote_products(self, backend, client, since):
        return (self._record(document)
                for document in catalogue_articles(client.iterate("articles", filter=changed_filter(since))))

    @api.model
    def _imported_message(self, count):
        return _("%s articles read from eAccounting.", count)

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
