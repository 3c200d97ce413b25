"""Shopify product export (flow 3): create or update products and their variants, exactly once."""

from decimal import Decimal

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.http import RemoteError, create_once

from . import queries
from .constants import CENT, CREATED_TAG
from .mapping import _inventory_items, _media_input, _options, _ours, _product_fields, _search_value, _user_error


class ShopifyProductExportMixin:
    """``export_product`` of the Shopify adapter (uses its ``client``, ``fetch_product``, ``location_id()``
    and ``_mutate``)."""

    def export_product(self, product, external_id=None, publish=False):
        """Create (as DRAFT, or ACTIVE when publishing) or update a product; never deletes.

        A product whose SKUs Shopify already knows is updated, not created again (check before
        create: a lost answer or a failed variant step must not make a duplicate).  The status of
        an existing product is left to the merchant.  Returns ``{sku: inventory item gid, "": product gid}``.
        """
        variants = product.variants or [records.Variant(
            sku=product.sku, price=product.price, barcode=product.barcode, weight=product.weight)]
        external_id = external_id or self._product_with_skus([variant.sku for variant in variants])
        if external_id:
            return self._update_product(product, variants, external_id)
        return self._create_product(product, variants, publish and product.published)

    # the product type takes any name: an Odoo category without a custom collection of its name
    # is still exported as the product type (the base logs the missing collection)
    UNKNOWN_CATEGORY_KEPT_AS = "product type"

    def known_categories(self, names):
        """The names that have a custom collection (compared without case)."""
        return {name for name in names if self._collection_id(name)}

    def _collection_id(self, title):
        """The gid of the custom collection titled ``title`` (the oldest when several are), or None;
        the shop's custom collections are read once per adapter."""
        if self._custom_collections is None:
            self._custom_collections = {}
            for node in self.client.paginate(queries.CUSTOM_COLLECTIONS_QUERY, {}, ("collections",),
                                             queries.COLLECTIONS_PAGE_SIZE):
                self._custom_collections.setdefault(node["title"].casefold(), node["id"])
        return self._custom_collections.get(title.casefold())

    def _add_to_collection(self, product_id, category, node=None):
        """Add the product to the custom collection of its category unless it is in it already
        (``node``: the product as read before an update; Shopify refuses a product twice).  The
        node holds the product's first custom collections: only when it holds a full page is the
        collection asked whether it has the product."""
        collection_id = category and self._collection_id(category)
        if not collection_id:
            return
        if node:
            present = [collection["id"] for collection in node["collections"]["nodes"]]
            if collection_id in present:
                return
            if len(present) >= queries.PRODUCT_COLLECTIONS_PAGE_SIZE and self._in_collection(collection_id, product_id):
                return
        # an answer lost or 5xx: the product may be in the collection already (asked before sending again)
        create_once(lambda: self._mutate(queries.COLLECTION_ADD_PRODUCTS, "collectionAddProducts",
                                         {"id": collection_id, "productIds": [product_id]}),
                    lambda: self._in_collection(collection_id, product_id))

    def _in_collection(self, collection_id, product_id):
        return self.client.execute(queries.COLLECTION_HAS_PRODUCT_QUERY,
                                   {"id": collection_id, "productId": product_id})["collection"]["hasProduct"]

    def _product_with_skus(self, skus):
        query = " OR ".join(f"sku:{_search_value(sku)}" for sku in skus if sku)
        if not query:
            return None
        nodes = self.client.execute(queries.VARIANTS_BY_SKU_QUERY, {"query": query})["productVariants"]["nodes"]
        return next((node["product"]["id"] for node in nodes if node["sku"] in skus), None)

    def _create_product(self, product, variants, publish):
        """productCreate, then the variants; an uncertain answer to either step is looked up (the
        product by its creation tag, the variants by SKU) and repeated only when it was not applied."""
        options = _options(variants)
        tag = CREATED_TAG.format(sku=next((variant.sku for variant in variants if variant.sku), ""))
        fields = _product_fields(product)
        product_input = {"title": product.name, "status": "ACTIVE" if publish else "DRAFT", **fields,
                         "tags": [*fields.get("tags", []), tag]}
        if options:
            product_input["productOptions"] = [
                {"name": name, "values": [{"name": value} for value in values]} for name, values in options.items()]
        media = {"media": [_media_input(product.image)]} if product.image else {}
        created = create_once(
            lambda: self._mutate(
                queries.PRODUCT_CREATE, "productCreate", {"product": product_input, **media})["product"],
            lambda: self._product_tagged(tag))
        product_id = created["id"]
        if options:
            inputs = [self._variant_input(variant, create=True, backorders=product.backorders) for variant in variants]
            items = self._create_variants(product_id, variants, inputs, "REMOVE_STANDALONE_VARIANT")
        else:  # Shopify made the default variant: give it the SKU, price... (an update by id: repeatable)
            standalone = created["variants"]["nodes"][0]["id"]
            items = _inventory_items(self._mutate(queries.PRODUCT_VARIANTS_BULK_UPDATE, "productVariantsBulkUpdate", {
                "productId": product_id, "variants": [
                    {"id": standalone, **self._variant_input(variants[0], backorders=product.backorders)}]},
                repeatable=True)["productVariants"])
        self._add_to_collection(product_id, product.category)
        return {**items, "": product_id}

    def _product_tagged(self, tag):
        """The product carrying the creation tag ``tag`` (id and first variant), or None."""
        nodes = self.client.execute(queries.PRODUCTS_BY_TAG_QUERY,
                                    {"query": f"tag:{_search_value(tag)}"})["products"]["nodes"]
        return next((node for node in nodes if tag in node["tags"]), None)

    def _create_variants(self, product_id, variants, inputs, strategy):
        """productVariantsBulkCreate; after an uncertain answer the product's variants are read and
        the mutation repeated only if its SKUs are not there.  Returns ``{sku: inventory item gid}``."""
        variables = {"productId": product_id, "variants": inputs, "strategy": strategy}
        skus = {variant.sku for variant in variants if variant.sku}

        def find():
            node = self.fetch_product(product_id) or {"variants": {"nodes": []}}
            found = _inventory_items(node["variants"]["nodes"])
            return found if skus <= set(found) else None

        return create_once(lambda: _inventory_items(self._mutate(
            queries.PRODUCT_VARIANTS_BULK_CREATE, "productVariantsBulkCreate", variables)["productVariants"]), find)

    def _update_product(self, product, variants, product_id):
        node = self.fetch_product(product_id)
        if not node:
            raise RemoteError(f"Product {product_id} no longer exists in Shopify.")
        product_input = _product_fields(product)
        if product.name:
            product_input["title"] = product.name
        if "tags" in product_input:  # tags replace the product's tags: keep our creation tag
            product_input["tags"] += [tag for tag in node.get("tags") or [] if _ours(tag)]
        if product_input:
            self._mutate(queries.PRODUCT_UPDATE, "productUpdate", {"product": {"id": product_id, **product_input}},
                         repeatable=True)
        if product.image:
            self._replace_main_image(product_id, product.image)
        self._add_to_collection(product_id, product.category, node)
        existing = {item["sku"]: item for item in node["variants"]["nodes"] if item["sku"]}
        ids = {sku: item["inventoryItem"]["id"] for sku, item in existing.items()}
        updates = [{"id": existing[variant.sku]["id"], **self._variant_input(variant, backorders=product.backorders)}
                   for variant in variants if variant.sku in existing]
        new = [self._variant_input(variant, create=True, backorders=product.backorders)
               for variant in variants if variant.sku not in existing]
        if updates:
            self._mutate(queries.PRODUCT_VARIANTS_BULK_UPDATE, "productVariantsBulkUpdate",
                         {"productId": product_id, "variants": updates}, repeatable=True)
        if new:
            ids.update(self._create_variants(product_id, [v for v in variants if v.sku not in existing], new,
                                             "DEFAULT"))
        return {**{variant.sku: ids[variant.sku] for variant in variants if variant.sku in ids}, "": product_id}

    def _replace_main_image(self, product_id, image):
        """Add ``image`` to the product's media and move it first (the featured one); the image it
        replaces stays in the product's media.  An uncertain answer is looked up: a last media other
        than the one before the request is this image, so no second copy is sent."""
        before = self._last_media_id(product_id)

        def find():
            last = self._last_media_id(product_id)
            return last if last != before else None

        media_id = create_once(lambda: self._mutate(
            queries.PRODUCT_ADD_MEDIA, "productUpdate", {"product": {"id": product_id}, "media": [_media_input(image)]}
        )["product"]["media"]["nodes"][-1]["id"], find)
        result = self.client.execute(queries.PRODUCT_REORDER_MEDIA, {
            "id": product_id, "moves": [{"id": media_id, "newPosition": "0"}]})["productReorderMedia"]
        if result.get("mediaUserErrors"):
            raise RemoteError("; ".join(_user_error(error) for error in result["mediaUserErrors"]), status=200)

    def _last_media_id(self, product_id):
        """The gid of the product's last media (the newest), None when it has none."""
        nodes = ((self.client.execute(queries.PRODUCT_LAST_MEDIA_QUERY, {"id": product_id})["product"] or {})
                 .get("media") or {}).get("nodes") or []
        return nodes[-1]["id"] if nodes else None

    def _variant_input(self, variant, create=False, backorders=None):
        """``ProductVariantsBulkInput`` of a variant; ``backorders``: the product's "sell when out of
        stock" (inventoryPolicy CONTINUE / DENY), None to leave it."""
        data = {} if backorders is None else {"inventoryPolicy": "CONTINUE" if backorders else "DENY"}
        if variant.price is not None:
            data["price"] = str(Decimal(variant.price).quantize(CENT))
        if variant.barcode:
            data["barcode"] = variant.barcode
        item = {"sku": variant.sku}
        if variant.weight is not None:
            item["measurement"] = {"weight": {"value": float(variant.weight), "unit": "KILOGRAMS"}}
        if create:
            item["tracked"] = True
            data["inventoryQuantities"] = [{"locationId": self.location_id(), "availableQuantity": 0}]
            if variant.options:
                data["optionValues"] = [{"optionName": name, "name": str(value)}
                                        for name, value in variant.options.items()]
        data["inventoryItem"] = item
        return data
