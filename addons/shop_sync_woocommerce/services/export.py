"""WooCommerce product export (flow 3): create or update products and their variations, exactly once."""

import html

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.http import RemoteError, create_once

from .constants import CREATED_META
from .mapping import _attributes, _catalog_fields, _error_text, _product_fields, variant_id


class WooCommerceProductExportMixin:
    """``export_product`` of the WooCommerce adapter (uses its ``client``)."""

    def export_product(self, product, external_id=None, publish=False):
        """Create (status draft, or publish when asked and the product is sellable) or update with
        the given fields only; never deletes.  A product found by SKU is updated, not duplicated."""
        if not external_id:
            external_id = self._find_by_sku(product) or (
                product.has_variants and not product.sku and self._find_created(product))
        if external_id:
            return self._update_product(product, str(external_id))
        body = {**_product_fields(product), **self._term_fields(product),
                "status": "publish" if publish and product.published else "draft",
                "meta_data": [{"key": CREATED_META, "value": self._created_ref(product)}]}
        if not product.has_variants:
            variant = product.variants[0] if product.variants else records.Variant(sku=product.sku)
            sku = product.sku or variant.sku
            body.update({"type": "simple", "sku": sku, **_catalog_fields(variant, product.backorders)})
        else:
            attributes = _attributes(product.variants)
            body.update({"type": "variable", **({"sku": product.sku} if product.sku else {}), "attributes": [
                {"name": name, "position": position, "visible": True, "variation": True, "options": options}
                for position, (name, options) in enumerate(attributes.items())]})
        # an uncertain answer: the product found is the one just sent (no variations yet); a variable
        # product with neither a SKU nor a name cannot be found, so it is never sent twice blindly
        findable = product.sku or product.name or not product.has_variants
        product_id = create_once(lambda: str(self.client.post("products", body)["id"]),
                                 (lambda: self._find_by_sku(product) or self._find_created(product)) if findable
                                 else None)
        if not product.has_variants:
            return {"": product_id, body["sku"]: product_id}
        return {"": product_id, **self._write_variations(int(product_id), [], product.variants, product.backorders)}

    @staticmethod
    def _created_ref(product):
        return product.sku or next((variant.sku for variant in product.variants if variant.sku), "")

    def _find_created(self, product):
        """Id of the product the hub created for ``product`` (its ``CREATED_META``), found by name:
        a variable product without a parent SKU has no SKU of its own until its variations exist."""
        if not product.name:
            return None
        ref = self._created_ref(product)
        for candidate in self.client.get("products", {"search": product.name, "per_page": 100}) or []:
            if any(meta.get("key") == CREATED_META and meta.get("value") == ref
                   for meta in candidate.get("meta_data") or []):
                return str(candidate["id"])
        return None

    def _find_by_sku(self, product):
        """Id of the shop product holding the product's (or a variant's) SKU, if any (check-before-create)."""
        skus = [sku for sku in [product.sku, *(variant.sku for variant in product.variants)] if sku]
        if not skus:
            return None
        found = self.client.get("products", {"sku": ",".join(dict.fromkeys(skus)), "per_page": 1})
        if not found:
            return None
        return str(found[0]["parent_id"] if found[0].get("type") == "variation" else found[0]["id"])

    def _update_product(self, product, external_id):
        current = self.client.get(f"products/{external_id}") if (
            product.image or product.category or product.has_variants) else None
        body = {**_product_fields(product, current), **self._term_fields(product, current)}
        if not product.has_variants and product.variants:
            body.update(_catalog_fields(product.variants[0], product.backorders))
        if not product.has_variants:
            current = self.client.put(f"products/{external_id}", body) if body else current or self.client.get(
                f"products/{external_id}")
            return {"": external_id, **({current["sku"]: external_id} if current.get("sku") else {})}
        existing = list(self.client.paginate(f"products/{external_id}/variations"))
        attributes = self._merged_attributes(current.get("attributes") or [], product.variants)
        if attributes != current.get("attributes"):
            body["attributes"] = attributes
        if body:
            self.client.put(f"products/{external_id}", body)
        return {"": external_id, **self._write_variations(int(external_id), existing, product.variants,
                                                          product.backorders)}

    def known_categories(self, names):
        """WooCommerce categories are terms of their own (products/categories): a product names them by id."""
        return {name for name in names if self._category_id(name)}

    def _term_fields(self, product, current=None):
        """``categories`` and ``tags`` of ``product`` by the shop's ids; the product's other shop
        categories (``current``) stay, a missing tag is created (a missing category is not: the base
        logs it and leaves it out, see ``known_categories``)."""
        fields = {}
        if product.tags is not None:
            fields["tags"] = [{"id": self._tag_id(name)} for name in dict.fromkeys(product.tags)]
        category_id = product.category and self._category_id(product.category)
        if category_id:
            others = [{"id": c["id"]} for c in (current or {}).get("categories") or [] if c["id"] != category_id]
            fields["categories"] = [{"id": category_id}, *others]
        return fields

    def _category_id(self, name):
        """Id of the shop category named ``name`` (case and HTML entities aside), None when it has none."""
        if name not in self._category_ids:
            found = self.client.get("products/categories", {"search": name, "per_page": 100}) or []
            self._category_ids[name] = _named(found, name)
        return self._category_ids[name]

    def _tag_id(self, name):
        """Id of the shop's product tag ``name``, created when missing (a product names its tags by id);
        a create answered 5xx or lost is looked up by name before it is sent again."""
        if name not in self._tag_ids:
            self._tag_ids[name] = self._tag_named(name) or create_once(
                lambda: self.client.post("products/tags", {"name": name})["id"], lambda: self._tag_named(name))
        return self._tag_ids[name]

    def _tag_named(self, name):
        return _named(self.client.get("products/tags", {"search": name, "per_page": 100}) or [], name)

    def _write_variations(self, product_id, existing, variants, backorders=None, looked_up=False):
        """Update matched variations (by SKU, then options) and create the others; return
        ``{sku: variant id}``.  A variation the shop refused raises RemoteError naming it; an
        uncertain create is looked up once (``looked_up``) before creating what is missing."""
        by_sku = {variation["sku"]: variation for variation in existing if variation.get("sku")}
        by_options = {frozenset((a["name"], a["option"]) for a in variation.get("attributes") or []): variation
                      for variation in existing}
        updates, creates = [], []
        for variant in variants:
            match = by_sku.get(variant.sku) or by_options.get(frozenset(variant.options.items()))
            fields = _catalog_fields(variant, backorders)
            if match:
                if match.get("sku") != variant.sku:
                    fields["sku"] = variant.sku
                updates.append((variant, {"id": match["id"], **fields}))
            else:
                creates.append((variant, {"sku": variant.sku, **fields, "attributes": [
                    {"name": name, "option": option} for name, option in variant.options.items()]}))
        path = f"products/{product_id}/variations"
        ids, refused = {}, []
        for section, pending in (("update", updates), ("create", creates)):
            try:
                answered = self.client.batch(path, section, [item for _variant, item in pending]) if pending else []
            except RemoteError as exc:
                if not (exc.uncertain and section == "create" and not looked_up):
                    raise
                # some variations may exist now: read them and create only the missing ones
                existing = list(self.client.paginate(path))
                return {**ids, **self._write_variations(product_id, existing, variants, backorders, looked_up=True)}
            for (variant, _item), answer in zip(pending, answered):
                if answer.get("error"):
                    refused.append(f"{variant.sku}: {_error_text(answer['error'])}")
                else:
                    ids[variant.sku] = variant_id(product_id, answer["id"])
        if refused:
            raise RemoteError("WooCommerce refused variations: " + "; ".join(refused))
        return ids

    def _merged_attributes(self, current, variants):
        """The product's attributes extended with the options of ``variants`` (none removed)."""
        merged = [dict(attribute, options=list(attribute.get("options") or [])) for attribute in current]
        for name, options in _attributes(variants).items():
            attribute = next((a for a in merged if a["name"].lower() == name.lower()), None)
            if attribute is None:
                merged.append({"name": name, "position": len(merged), "visible": True, "variation": True,
                               "options": options})
                continue
            attribute["variation"] = True
            attribute["options"] += [option for option in options if option not in attribute["options"]]
        return merged


def _named(terms, name):
    """Id of the term called ``name`` among ``terms`` (WordPress answers names HTML-escaped), else None."""
    wanted = name.strip().casefold()
    return next((term["id"] for term in terms if html.unescape(term.get("name") or "").strip().casefold() == wanted),
                None)
