from odoo import _, api, models

from ..services.client import gt


class ShopSyncEconomicStockImporter(models.AbstractModel):
    """e-conomic as the stock master: the ``available`` figure of every product changed since the
    watermark becomes the on-hand quantity at the backend's warehouse (an inventory adjustment),
    for products bound or matched by SKU; those products are then locked against manual changes."""

    _name = "shop.sync.economic.stock.importer"
    _inherit = "shop.sync.accounting.stock.importer"
    _description = "e-conomic Stock Pull"
    _accounting_system = "e-conomic"
    _stock_synced_field = "economic_stock_synced_until"

    @api.model
    def _pull(self, backend):
        changed = super()._pull(backend)
        if changed:
            self._push_to_shops(backend)
        return changed

    @api.model
    def _remote_stock(self, backend, client, since):
        return client.iterate("products", filter=gt("lastUpdated", since) if since else None)

    @api.model
    def _apply_stock(self, backend, location, documents):
        products = self._products(backend, [doc["productNumber"] for doc in documents if doc.get("inventory")])
        changed, skipped = 0, []
        for document in documents:
            product = products.get(document["productNumber"])
            inventory = document.get("inventory") or {}
            if not product or "available" not in inventory:
                continue
            if product.tracking != "none":
                skipped.append(document["productNumber"])
                continue
            changed += self.env["shop.sync.stock.master"]._set_quantity(product, location, inventory["available"],
                                                                        backend)
        message = _("%(read)s products read, %(matched)s matched, %(changed)s quantities changed.",
                    read=len(documents), matched=len(products), changed=changed)
        if skipped:
            message += " " + _("Tracked by lots/serials, not changed: %s.", ", ".join(skipped))
        return changed, message

    @api.model
    def _products(self, backend, numbers):
        """{productNumber: storable product.product}: bindings first, then the SKU."""
        Binding = self.env["shop.sync.binding"]
        Product = self.env["product.product"]
        found = {}
        for binding in Binding.search([("backend_id", "=", backend.id), ("model", "=", "product.product"),
                                       ("external_id", "in", numbers)]):
            found[binding.external_id] = Product.browse(binding.res_id)
        missing = [number for number in numbers if number not in found]
        if missing:
            for product in Product.search([("default_code", "in", missing),
                                           ("company_id", "in", (False, backend.company_id.id))]):
                if not Binding._for_record(backend, product):
                    Binding._bind(backend, product, product.default_code, product.default_code)
                found.setdefault(product.default_code, product)
        return {number: product for number, product in found.items() if product.exists() and product.is_storable}

    @api.model
    def _push_to_shops(self, backend):
        """The shops invoiced here export the new levels (their own stock export job)."""
        for shop in backend.shop_backend_ids.filtered("sync_stock"):
            shop._shop_sync_enqueue("stock_export")
