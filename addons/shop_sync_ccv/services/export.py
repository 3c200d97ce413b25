"""CCV product export (flow 3): create (POST) or update (PATCH) products, exactly once."""

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.http import create_once

from .constants import COMBINATION_PATH, PRODUCT_PATH
from .mapping import _decimal, _gross


class CcvProductExportMixin:
    """``export_product`` of the CCV adapter (uses its ``client`` and ``vat_rate``)."""

    def export_product(self, product, external_id=None, publish=False):
        """Create (POST, ``active`` only when publishing) or update (PATCH) a CCV product; a
        product with the same ``productnumber`` found in the shop is updated instead of created
        twice.  Attribute combinations cannot be created through the API: the variants are
        matched by ``sku_number`` with the combinations the shop already has.  Never deletes."""
        if not external_id and product.sku:
            external_id = self._product_numbered(product.sku)
        if external_id:
            current = self.client.get(f"/products/{int(external_id)}")
            values = self._product_values(product, _decimal(current.get("vatrate")), creating=False)
            if values:
                self.client.patch(f"/products/{int(external_id)}", values)
        else:
            values = self._product_values(product, self.vat_rate, creating=True)
            values["active"] = bool(publish and product.published)
            external_id = self._create_product(values, product.sku)
        ids = {"": str(external_id)}
        skus = {variant.sku for variant in product.variants if variant.sku}
        if product.has_variants:
            for combination in self.client.collection(f"/products/{int(external_id)}/attributecombinations"):
                if combination.get("sku_number") in skus:
                    ids[combination["sku_number"]] = f"{COMBINATION_PATH}/{combination['id']}"
        else:
            ids.update({sku: f"{PRODUCT_PATH}/{external_id}" for sku in skus})
        return ids

    def _product_numbered(self, sku):
        """Id of the shop's product with ``productnumber`` ``sku``, or None."""
        existing = self.client.get("/products", params={"productnumber": sku})["items"]
        return str(existing[0]["id"]) if existing else None

    def _create_product(self, values, sku):
        """POST the product; after an uncertain answer it is looked up by product number and sent
        again only when absent (a product without a number cannot be looked up: the error stays)."""
        return str(create_once(lambda: self.client.post("/products", values)["id"],
                               (lambda: self._product_numbered(sku)) if sku else None))

    def _product_values(self, product, rate, creating):
        """CCV product fields of a canonical product (only those it carries)."""
        simple = product.variants[0] if len(product.variants) == 1 and not product.has_variants else None
        values = {"vatrate": float(rate)} if creating else {}
        if product.sku:
            values["productnumber"] = product.sku
        if product.name:
            values["name"] = product.name
        if product.description:
            values["description"] = records.description_html(product.description)
        if product.price is not None:
            values["price"] = float(_gross(product.price, rate))
        elif creating:
            values["price"] = 0.0
        if product.category:
            values["maincategory"] = product.category
        barcode = product.barcode or (simple.barcode if simple else "")
        if barcode:
            values["eannumber"] = barcode
        weight = product.weight if product.weight is not None else (simple.weight if simple else None)
        if weight is not None:
            values["weight"] = float(weight)
        return values
