"""CCV product export (flow 3): create (POST) or update (PATCH) products, exactly once."""

import base64

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.http import create_once

from .constants import COMBINATION_PATH, PRODUCT_PATH


class CcvProductExportMixin:
    """``export_product`` of the CCV adapter (uses its ``client``, ``vat_rate``, ``category_names()``,
    ``_product_collection()`` and ``_embedded()``).  Prices arrive including VAT, as CCV keeps them
    (the base converts from Odoo's with the Odoo product's sales taxes); ``vatrate`` is the rate of
    those taxes (``Product.tax_rate``, on create and, as the "VAT rate" rule allows, on update), a
    created product's the backend's ``vat_rate`` when the Odoo product has none (or the rule leaves
    it out)."""

    # images are uploaded (base64 ``source``): CCV's photo resource takes no address
    IMAGE_EXPORT = "content"
    # ``maincategory`` is free text: a category without a webshop category of its name is still written there
    UNKNOWN_CATEGORY_KEPT_AS = "main category (for exports and searches)"

    def known_categories(self, names):
        """The names that have a webshop category (compared without case)."""
        known = {name.casefold() for name in self.category_names().values()}
        return {name for name in names if name.casefold() in known}

    def export_product(self, product, external_id=None, publish=False):
        """Create (POST, ``active`` only when publishing) or update (PATCH) a CCV product; a
        product with the same ``productnumber`` found in the shop is updated instead of created
        twice.  Attribute combinations cannot be created through the API: the variants are
        matched by ``sku_number`` with the combinations the shop already has.  Never deletes.

        CCV allows 150 GETs a minute, so the product's category links, photos and combinations are
        read at most once, embedded (``expand``) in the read of the product, and only those this
        export needs; a product just created has none, so nothing is read for it."""
        collections = self._collections_needed(product)
        current = None  # the shop's product with ``collections`` embedded
        if not external_id and product.sku:
            current = self._product_numbered(product.sku, collections)
            external_id = current and str(current["id"])
        if external_id:
            values = self._product_values(product, creating=False)
            if values:
                self.client.patch(f"/products/{int(external_id)}", values)
            if collections and current is None:
                current = self.client.get(f"/products/{int(external_id)}", params={"expand": ",".join(collections)})
        else:
            values = self._product_values(product, creating=True)
            values["active"] = bool(publish and product.published)
            external_id = self._create_product(values, product.sku)
            # a product just created is in no category and has no photos or combinations
            current = {"id": int(external_id), **{name: {"items": []} for name in collections}}
        if product.category:
            self._add_to_category(current, product.category)
        if product.image:
            self._upload_photo(current, product.image)
        ids = {"": str(external_id)}
        skus = {variant.sku for variant in product.variants if variant.sku}
        if product.has_variants:
            for combination in self._embedded(current, "attributecombinations"):
                if combination.get("sku_number") in skus:
                    ids[combination["sku_number"]] = f"{COMBINATION_PATH}/{combination['id']}"
        else:
            ids.update({sku: f"{PRODUCT_PATH}/{external_id}" for sku in skus})
        return ids

    @staticmethod
    def _collections_needed(product):
        """The product collections (``expand`` names) an export of ``product`` reads: category links
        to add it to its category, photos to recognise an upload whose answer was lost, combinations
        to match its variants."""
        return [name for name, needed in (("producttocategories", bool(product.category)),
                                          ("productphotos", bool(product.image)),
                                          ("attributecombinations", product.has_variants)) if needed]

    def _add_to_category(self, current, name):
        """Put the shop's product ``current`` (its category links embedded) in the webshop category
        named ``name`` unless it is in it already (also after a link answered 5xx or lost: looked up)."""
        category_id = next((category_id for category_id, category in self.category_names().items()
                            if category.casefold() == name.casefold()), None)
        if category_id is None or any(link.get("category_id") == category_id
                                      for link in self._embedded(current, "producttocategories")):
            return
        product_id = int(current["id"])
        create_once(lambda: self.client.post("/producttocategories", {"category_id": category_id,
                                                                       "product_id": product_id}),
                    lambda: next((link for link in self._product_collection(product_id, "producttocategories")
                                  if link.get("category_id") == category_id), None))

    def _upload_photo(self, current, image):
        """Upload ``image`` as the main photo of the shop's product ``current`` (its photos embedded;
        CCV: base64 ``source`` without metadata and the photo's extension as ``file_type``); the
        shop's other photos stay.  An uncertain answer is looked up: a photo the product did not
        have before the request is this one, so no second copy is uploaded."""
        product_id = int(current["id"])
        before = {photo["id"] for photo in self._embedded(current, "productphotos")}
        create_once(lambda: self.client.post(f"/products/{product_id}/productphotos", {
            "file_type": image.filename.rsplit(".", 1)[-1].lower(), "alttext": image.filename,
            "source": base64.b64encode(image.content).decode(), "is_mainphoto": True}),
            lambda: {photo["id"] for photo in self._product_collection(product_id, "productphotos")} - before
            or None)

    def _brand_id(self, name):
        """Id of the shop's brand named ``name``, created when missing (CCV's product takes its brand
        by ``brand_id`` only); after an uncertain answer the brands are read again and the brand is
        sent again only when absent."""
        brand_id = self._brand_named(name)
        if brand_id is None:
            brand_id = create_once(lambda: self.client.post("/brands", {"name": name})["id"],
                                   lambda: self._brand_named(name, reread=True))
            self._brands[brand_id] = name
        return brand_id

    def _brand_named(self, name, reread=False):
        """Id of the shop's brand named ``name`` (compared without case), or None; the brands are
        read once per adapter (again when ``reread``)."""
        if self._brands is None or reread:
            self._brands = {brand["id"]: brand.get("name") or "" for brand in self.client.collection("/brands")}
        return next((brand_id for brand_id, brand in self._brands.items() if brand.casefold() == name.casefold()),
                    None)

    def _product_numbered(self, sku, collections=()):
        """The shop's product with ``productnumber`` ``sku`` (with ``collections`` embedded), or None."""
        params = {"productnumber": sku, **({"expand": ",".join(collections)} if collections else {})}
        existing = self.client.get("/products", params=params)["items"]
        return existing[0] if existing else None

    def _create_product(self, values, sku):
        """POST the product; after an uncertain answer it is looked up by product number and sent
        again only when absent (a product without a number cannot be looked up: the error stays)."""
        def numbered():
            found = self._product_numbered(sku)
            return found and found["id"]

        return str(create_once(lambda: self.client.post("/products", values)["id"], numbered if sku else None))

    def _product_values(self, product, creating):
        """CCV product fields of a canonical product (only those it carries)."""
        simple = product.variants[0] if len(product.variants) == 1 and not product.has_variants else None
        values = {}
        if product.sku:
            values["productnumber"] = product.sku
        if product.name:
            values["name"] = product.name
        if product.description:
            values["description"] = records.description_html(product.description)
        if product.short_description is not None:
            values["shortdescription"] = records.description_html(product.short_description)
        if product.price is not None:
            values["price"] = float(product.price)
        elif creating:
            values["price"] = 0.0
        if product.category:
            values["maincategory"] = product.category
        if product.vendor:
            values["brand_id"] = self._brand_id(product.vendor)
        if product.tax_rate is not None:
            values["vatrate"] = float(product.tax_rate)
        elif creating:
            values["vatrate"] = float(self.vat_rate)
        barcode = product.barcode or (simple.barcode if simple else "")
        if barcode:
            values["eannumber"] = barcode
        weight = product.weight if product.weight is not None else (simple.weight if simple else None)
        if weight is not None:
            values["weight"] = float(weight)
        return values
