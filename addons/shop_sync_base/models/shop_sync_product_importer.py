import base64
import itertools
import logging
import math
from urllib.parse import urlsplit

from psycopg2 import errors as pg_errors

from odoo import Command, _, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import html2plaintext

from .product_product import IMPORTING_PRODUCTS
from .shop_sync_binding import naive_utc

_logger = logging.getLogger(__name__)

#: the template's image and the resized copies Odoo keeps of it (``image.mixin``)
IMAGE_SIZES = ("image_1920", "image_1024", "image_512", "image_256", "image_128")


class ShopSyncProductImporter(models.AbstractModel):
    """Canonical ``records.Product`` in, product template and variants out, matched by SKU.

    The backend's product import rules decide which fields are written on create and on update.
    A variant without SKU is never guessed: it is left out and the log says so.

    ``_import_batch`` imports many products at once: products that are new to Odoo are created
    with one ``product.template`` create and their variants with one ``product.product`` create,
    and attributes, values and categories are looked up once per batch.  Should the batch fail, each
    of its products is imported on its own, so one bad product never stops the others.
    """

    _name = "shop.sync.product.importer"
    _description = "Shop Sync Product Import Pipeline"

    @api.model
    def _import(self, backend, product, event=None):
        """Import one product; return its log."""
        return self._import_batch(backend, [product], [event])[0]

    @api.model
    def _import_batch(self, backend, products, events=None):
        """Import ``products`` (``events``: their inbox events, or None); return their logs in order."""
        events = events or [None] * len(products)
        items = [_Item(product, event) for product, event in zip(products, events)]
        todo = [index for index, item in enumerate(items) if item.with_sku]
        if not todo:
            return list(self._logs(backend, items))
        self.env["shop.sync.binding"]._lock(backend, "product.template",
                                            *(items[index].product.external_id for index in todo))
        lookups = {}
        candidates = [items[index] for index in todo]
        self._find_templates(backend, candidates)
        for item in candidates:
            item.outdated = bool(item.template) and item.binding._outdated_by(item.product.updated_at)
        ready = [item for item in candidates if item.error is None and not item.outdated]
        known = [item for item in ready if item.template]
        self._in_one_go(backend, [item for item in ready if not item.template], self._create_all, lookups)
        self._in_one_go(backend, known, self._update_all, lookups)
        for item in ready:
            if item.created is None:
                self._import_one(backend, item, lookups)
        self._import_images(backend, ready)
        self._remember_images(backend, ready)
        self._remember_export_fingerprints(backend, candidates)
        return list(self._logs(backend, items))

    @api.model
    def _in_one_go(self, backend, items, write, lookups):
        """``write(backend, items, lookups)`` of two or more products at once (new ones: their
        templates and variants in one create each; known ones: their writes and look-ups are batched
        too), in a savepoint.  Should it fail, each product is imported alone afterwards, with its
        own log."""
        if len(items) < 2 or not self._distinct(items):
            return
        try:
            with self.env.cr.savepoint():
                write(backend, items, lookups)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise  # a concurrent transaction: the whole transaction is retried (as for orders)
        except Exception as exc:  # noqa: BLE001 - each product is retried alone, with its own log
            _logger.info("batch of %s products of backend %s failed, importing them one by one: %s",
                         len(items), backend.id, exc)
            lookups.clear()
            for item in items:
                item.template = item.created = None

    @api.model
    def _import_one(self, backend, item, lookups):
        try:
            with self.env.cr.savepoint():
                if item.template is None:
                    self._find_templates(backend, [item])
                if item.error is not None:
                    return
                if item.template and item.binding._outdated_by(item.product.updated_at):
                    item.outdated = True
                elif item.template:
                    self._update_all(backend, [item], lookups)
                else:
                    self._create_all(backend, [item], lookups)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except (UserError, ValidationError, pg_errors.UniqueViolation) as exc:
            item.error, item.created = str(exc), None
            lookups.clear()  # what they hold may have been rolled back
        except Exception as exc:  # noqa: BLE001 - one bad product must not stop the run
            _logger.exception("product %s of backend %s failed", item.product.sku, backend.id)
            item.error, item.created = f"{type(exc).__name__}: {exc}", None
            lookups.clear()

    @api.model
    def _logs(self, backend, items):
        """The log of each item, created in one go."""
        entries, image_errors = [], []
        for item in items:
            if item.image_error and item.error is None and not item.outdated:
                image_errors.append(("product_import", "error", {
                    **item.common, "record": item.template, "reason": _("Image not imported"),
                    "message": _("The product is imported without its new image: %s", item.image_error)}))
            state, details = self._outcome(item)
            entries.append(("product_import", state, {**item.common, **details}))
        self.env["shop.sync.log"]._record_many(backend, image_errors)
        return self.env["shop.sync.log"]._record_many(backend, entries)

    @api.model
    def _outcome(self, item):
        """``(state, keyword arguments of the log)`` of ``item``'s import."""
        if not item.with_sku:
            return "error", {"reason": _("Product without SKU"),
                             "message": _("'%s' has no SKU: it is not imported.", item.product.name)}
        if item.error is not None:
            return "error", {"reason": _("Product not imported"), "message": item.error}
        if item.outdated:
            return "skipped", {"record": item.template, "reason": _("Older than the version already imported"),
                               "message": _("The shop's version of %(applied)s (UTC) is imported already; this one "
                                            "is of %(version)s and changes nothing.",
                                            applied=item.binding.remote_updated_at,
                                            version=naive_utc(item.product.updated_at))}
        if item.without_sku:
            names = ", ".join(" / ".join(map(str, v.options.values())) or item.product.name
                              for v in item.without_sku)
            return "error", {"record": item.template, "reason": _("Variant without SKU"),
                             "message": _("Imported, but these variants have no SKU and were left out: %s", names)}
        return "done", {"record": item.template, "message": _("Created.") if item.created else _("Updated.")}

    @api.model
    def _import_images(self, backend, items):
        """Download and write the shop images of the imported ``items`` changed since the last import
        of their product (the binding's ``image_ref``) when the image rule lets them be written, one
        image at a time: its bytes and the resized copies Odoo makes are released before the next is
        downloaded, so a job's memory does not grow with its batch.  An image that could not be had
        or stored is ``item.image_error`` (the product stays imported, without it); one whose bytes
        Odoo holds already (e.g. the one Odoo exported) is only remembered (``item.image_ref``)."""
        Rule, Images = self.env["shop.sync.field.rule"], self.env["shop.sync.product.image"]
        shop_host = urlsplit(backend.api_url or "").hostname or ""
        allowed = {creating: "image" in Rule._allowed_fields(backend, "product", "import", creating)
                   for creating in (True, False)}
        for item in items:
            image = item.product.image
            if (not image or not image.url or item.error is not None or not item.template
                    or not allowed[bool(item.created)] or (item.binding and item.binding.image_ref == image.ref)):
                continue
            data, item.image_error = Images._download(image, shop_host)
            if data is None:
                continue
            if Images._sha1(data) == item.binding.image_checksum or self._write_image(backend, item, data):
                item.image_ref = image.ref

    @api.model
    def _write_image(self, backend, item, data):
        """Store ``data`` as the image of ``item``'s template, in a savepoint (its attachments are
        written there); return whether it was stored, else ``item.image_error`` says why not."""
        template = item.template
        try:
            with self.env.cr.savepoint():
                template.write({"image_1920": base64.b64encode(data)})
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as exc:  # noqa: BLE001 - the product is imported; only its image is missing
            _logger.info("image of product %s of backend %s not stored: %s", item.product.sku, backend.id, exc)
            item.image_error = _("The image %(url)s could not be stored: %(error)s",
                                 url=item.product.image.url, error=exc)
            return False
        finally:
            # the image and its resized copies are in the database now: not kept in memory for the job
            template.invalidate_recordset(IMAGE_SIZES)
            self.env["ir.attachment"].invalidate_model(["raw", "datas", "db_datas"])
        return True

    @api.model
    def _remember_images(self, backend, items):
        """Store on the bindings of the imported products the image ref and checksum now in Odoo."""
        items = [item for item in items
                 if item.image_ref and item.error is None and not item.outdated and item.template]
        if not items:
            return
        templates = self.env["product.template"].browse([item.template.id for item in items])
        checksums = self.env["shop.sync.product.image"]._checksums(templates)
        bindings = {binding.res_id: binding for binding in self.env["shop.sync.binding"].search([
            ("backend_id", "=", backend.id), ("model", "=", "product.template"), ("res_id", "in", templates.ids)])}
        for item in items:
            if item.template.id in bindings:
                self.env["shop.sync.product.image"]._remember(
                    bindings[item.template.id], item.image_ref, checksums.get(item.template.id, (False,))[0])

    @api.model
    def _export_fingerprints(self, backend, items):
        """``{template id: the product export's fingerprint}`` of the templates of ``items``, for a
        shop's backend (else empty): the shop holds what Odoo now holds, so the bindings keep the
        fingerprint and the next export sends nothing back to the shop a product came from, only
        what changes in Odoo afterwards."""
        if backend.role != "shop" or not items:
            return {}
        templates = self.env["product.template"].browse([item.template.id for item in items])
        # the variants' computed prices the fingerprints read: computed for the whole batch at once, not
        # template by template; the export rules read once too
        templates.product_variant_ids.mapped("lst_price")
        allowed = self.env["shop.sync.field.rule"]._allowed_fields(backend, "product", "export", creating=False)
        Exporter = self.env["shop.sync.product.exporter"]
        return {item.template.id: Exporter._fingerprint(backend, item.template, item.product.price_includes_tax,
                                                        allowed=allowed) for item in items}

    @api.model
    def _remember_export_fingerprints(self, backend, items):
        """Store the export fingerprints of the updated products on their bindings (new products are
        bound with theirs, ``_create_all``)."""
        items = [item for item in items
                 if item.created is False and item.error is None and not item.outdated and item.template]
        fingerprints = self._export_fingerprints(backend, items)
        if not fingerprints:
            return
        for binding in self.env["shop.sync.binding"].search([
                ("backend_id", "=", backend.id), ("model", "=", "product.template"),
                ("res_id", "in", list(fingerprints))]):
            binding.export_checksum = fingerprints[binding.res_id]

    @staticmethod
    def _distinct(items):
        """No two products share an external id or a SKU (else they are imported one by one)."""
        keys = [item.product.external_id for item in items] + [v.sku for item in items for v in item.with_sku]
        return len(keys) == len(set(keys))

    # -- matching ---------------------------------------------------------------------------
    @api.model
    def _find_templates(self, backend, items):
        """Set ``item.template``: the bound template (and ``item.binding``), else the template of the
        variants with the item's SKUs (empty when new); an item whose SKUs belong to several templates
        gets an error instead."""
        Binding = self.env["shop.sync.binding"]
        bindings = Binding.search([("backend_id", "=", backend.id), ("model", "=", "product.template"),
                                   ("external_id", "in", [str(item.product.external_id) for item in items])])
        bound = {binding.external_id: binding for binding in bindings}
        Template = self.env["product.template"]
        # one recordset: what is read of one template is read for all of them
        existing = {template.id: template for template in Template.browse(bindings.mapped("res_id")).exists()}
        unbound = []
        for item in items:
            item.binding = bound.get(str(item.product.external_id), Binding)
            item.template = existing.get(item.binding.res_id, Template)
            if not item.template:
                unbound.append(item)
        if unbound:
            matches = self._variants_by_sku(backend, [v.sku for item in unbound for v in item.with_sku])
            for item in unbound:
                skus = {v.sku for v in item.with_sku}
                templates = matches.filtered(lambda p, skus=skus: p.default_code in skus).product_tmpl_id
                if len(templates) > 1:
                    item.error = _("The SKUs of '%s' belong to several Odoo products.", item.product.name)
                    templates = templates.browse()
                item.template = templates

    @api.model
    def _variants_by_sku(self, backend, skus):
        return self.env["product.product"].with_context(active_test=False).search(
            [("default_code", "in", skus), ("company_id", "in", (False, backend.company_id.id))])

    # -- writing ----------------------------------------------------------------------------
    @api.model
    def _create_all(self, backend, items, lookups):
        """Create the templates of ``items`` in one go, then their variants (``_create_variants``),
        and bind them all (the templates with their export fingerprints)."""
        allowed = self.env["shop.sync.field.rule"]._allowed_fields(backend, "product", "import", creating=True)
        values_list = []
        for item in items:
            values = self._template_values(backend, item.product, allowed, lookups, template=None)
            values.setdefault("name", item.product.name)
            values_list.append({
                **values, "type": "consu", "is_storable": True, "company_id": False,
                "attribute_line_ids": [
                    Command.create({"attribute_id": attribute.id, "value_ids": [Command.set(attribute_values.ids)]})
                    for attribute, attribute_values in self._options(item.with_sku, lookups).items()],
            })
        # like Odoo's own import: no chatter message or followers per created product (the log says it);
        # the defaults Odoo would compute for each template are computed once, and no zero cost recorded;
        # no variants yet: _create_variants creates them
        Template = self.env["product.template"].with_context(tracking_disable=True, **{IMPORTING_PRODUCTS: True})
        defaults = Template.default_get([name for name in Template._fields if name not in values_list[0]])
        values_list = [{**defaults, **values} for values in values_list]
        shared = self._shared_precomputed_values(Template, values_list)
        templates = Template.with_context(create_product_product=False).create(
            [{**shared, **values} for values in values_list])
        for item, template in zip(items, templates.with_env(Template.env)):
            item.template, item.created = template, True
        variant_bindings = self._create_variants(items, allowed)
        fingerprints = self._export_fingerprints(backend, items)
        bindings = []
        for item, bindings_of_variants in zip(items, variant_bindings):
            bindings.append((item.template, item.product.external_id, item.product.sku or item.with_sku[0].sku,
                             item.product.updated_at, fingerprints.get(item.template.id, False)))
            bindings += bindings_of_variants
        self.env["shop.sync.binding"]._bind_new(backend, bindings)

    @api.model
    def _shared_precomputed_values(self, model, values_list):
        """The fields of ``model`` Odoo computes before inserting each record of ``values_list`` (and lets
        a create give) whose dependencies every record of the batch gives, with the same values (e.g. the
        invoicing policy of the product type): computed once, on one new record, rather than on a new
        record per product (Odoo would compute each from the same values).  A dependency some record does
        not give (computed, or defaulted at the insert) may differ between them: its fields are left to Odoo."""
        first = values_list[0]
        names = []
        for name, field in model._fields.items():
            if field.precompute and not field.readonly and name not in first:
                depends = {path.split(".")[0] for path in field.get_depends(model)[0]}
                if all(dependency in values and values[dependency] == first[dependency]
                       for values in values_list for dependency in depends):
                    names.append(name)
        if not names:
            return {}
        record = model.new(first)
        return {name: model._fields[name].convert_to_write(record[name], model) for name in names}

    @api.model
    def _create_variants(self, items, allowed):
        """Create the attribute values and variants of the templates of ``items``, just created
        without: what Odoo's ``_create_variant_ids`` creates for a new template (a variant for each
        combination of its values, those the shop does not sell archived), for the whole batch in
        one create each, with the variants' SKU, barcode and weight.  Odoo would search per template
        and per value for archived lines and values a new template cannot have, then each variant
        would be written again.  Return, per item, ``[(variant, external id, SKU)]`` to bind."""
        value_rows = [(line, value) for item in items for line in item.template.attribute_line_ids
                      for value in line.value_ids.sorted("id")]
        # their template and attribute given, as the related fields would compute them (written again after
        # the insert, in one more UPDATE of every value of the batch)
        ptavs = self.env["product.template.attribute.value"].create([
            {"attribute_line_id": line.id, "product_attribute_value_id": value.id,
             "price_extra": value.default_extra_price, "product_tmpl_id": line.product_tmpl_id.id,
             "attribute_id": line.attribute_id.id} for line, value in value_rows])
        ptavs_of_line = {}  # line -> [(attribute name, value name, attribute value id)] in Odoo's order
        for (line, value), ptav in zip(value_rows, ptavs):
            ptavs_of_line.setdefault(line, []).append((line.attribute_id.name, value.name, ptav.id))
        variant_limit = int(self.env["ir.config_parameter"].sudo().get_param("product.dynamic_variant_limit", 1000))
        variant_values, sold = [], []  # sold: (item index, its shop variant or None) of each variant
        for index, item in enumerate(items):
            lines = item.template.attribute_line_ids
            by_options = self._variants_by_options(item, lines, variant_limit)
            for combination in itertools.product(*map(ptavs_of_line.get, lines)):
                shop_variant = by_options.pop(frozenset((name, value) for name, value, _id in combination), None)
                values = {"product_tmpl_id": item.template.id, "active": bool(shop_variant),
                          "product_template_attribute_value_ids": [Command.set([id_ for *_, id_ in combination])]}
                if shop_variant:
                    values.update(self._variant_values(item.product, shop_variant, allowed))
                variant_values.append(values)
                sold.append((index, shop_variant))
            for shop_variant in by_options.values():
                raise UserError(_("Variant %s could not be matched to an Odoo variant.", shop_variant.sku))
        Product = self.env["product.product"].with_context(tracking_disable=True, **{IMPORTING_PRODUCTS: True})
        bindings = [[] for _item in items]
        for (index, shop_variant), variant in zip(sold, Product.create(variant_values)):
            if shop_variant and shop_variant.external_id:
                bindings[index].append((variant, shop_variant.external_id, shop_variant.sku))
        return bindings

    @api.model
    def _variants_by_options(self, item, lines, variant_limit):
        """``{options key: shop variant}`` of ``item``, whose template has the attribute ``lines``;
        a UserError when Odoo would not make them a variant each (an attribute creating variants
        dynamically or none, two variants with the same options, more combinations than Odoo allows)."""
        for attribute in lines.attribute_id.filtered(lambda attribute: attribute.create_variant != "always"):
            raise UserError(_("The options of '%(product)s' cannot be imported as variants: the Odoo attribute "
                              "%(attribute)s does not create a variant for each of its values.",
                              product=item.product.name, attribute=attribute.name))
        by_options = {}
        for variant in item.with_sku:
            same = by_options.setdefault(_options_key(variant.options), variant)
            if same is not variant:
                raise UserError(_("Variants %(sku)s and %(other)s of '%(product)s' have the same options.",
                                  sku=same.sku, other=variant.sku, product=item.product.name))
        if math.prod(len(line.value_ids) for line in lines) > variant_limit:
            raise UserError(_("'%(product)s' has more combinations of options than the %(limit)s variants Odoo "
                              "creates for a product (system parameter product.dynamic_variant_limit).",
                              product=item.product.name, limit=variant_limit))
        return by_options

    @api.model
    def _update_all(self, backend, items, lookups):
        """Update the templates ``_find_templates`` found for ``items``, their variants and bindings."""
        allowed = self.env["shop.sync.field.rule"]._allowed_fields(backend, "product", "import", creating=False)
        bindings = []
        for item in items:
            product, variants, template = item.product, item.with_sku, item.template
            values = self._template_values(backend, product, allowed, lookups, template=template)
            if values:
                template.write(values)
            if product.has_variants:
                self._add_missing_values(template, variants, lookups)
            item.created = False
            bindings.append((template, product.external_id, product.sku or variants[0].sku))
            bindings += self._sync_variants(backend, item, allowed)
        bound = self.env["shop.sync.binding"]._bind_many(backend, bindings)
        for item in items:
            bound[item.template]._applied(item.product.updated_at)

    @api.model
    def _template_values(self, backend, product, allowed, lookups, template):
        """Template values of ``product`` the ``allowed`` rules write; its price in Odoo's convention
        for ``template``'s sales taxes (None: a new template, the company's default sales tax)."""
        values = {}
        price = product.price if product.price is not None else next(
            (variant.price for variant in product.variants if variant.price is not None), None)
        if "name" in allowed and product.name:
            values["name"] = product.name
        if "description" in allowed:
            values["description_sale"] = html2plaintext(product.description) if product.description else False
        if "price" in allowed and price is not None:
            values["list_price"] = self.env["shop.sync.catalogue.price"]._to_odoo(
                backend, price, product.price_includes_tax, template)
        if "category" in allowed and product.category:
            values["categ_id"] = self._category(backend, product.category, lookups).id
        if "published" in allowed:
            values["sale_ok"] = bool(product.published)
        if "vendor" in allowed and product.vendor is not None:
            values["shop_vendor"] = product.vendor or False
        if "short_description" in allowed and product.short_description is not None:
            values["shop_short_description"] = html2plaintext(product.short_description) or False
        if "backorders" in allowed and product.backorders is not None:
            values["shop_allow_backorders"] = product.backorders
        if "tags" in allowed and product.tags is not None:
            values["product_tag_ids"] = [Command.set(self._tags(product.tags, lookups).ids)]
        dimensions = next((variant.dimensions for variant in product.variants if variant.dimensions), None)
        if "dimensions" in allowed and dimensions:
            values.update(zip(("shop_length", "shop_width", "shop_height"), map(float, dimensions)))
        return values

    @api.model
    def _tags(self, names, lookups):
        """Odoo product tags of the shop's tag ``names``, created when missing, read once per batch."""
        tags = lookups.setdefault("tags", {})
        missing = [name for name in dict.fromkeys(names) if name and name not in tags]
        if missing:
            Tag = self.env["product.tag"]
            tags.update({tag.name: tag for tag in Tag.search([("name", "in", missing)])})
            for name in missing:
                tags[name] = tags.get(name) or Tag.create({"name": name})
        return self.env["product.tag"].union(*(tags[name] for name in names if name))

    @api.model
    def _category(self, backend, name, lookups):
        """The Odoo category of a shop category name, created when missing (under the backend's
        parent of shop categories when it has one), looked up once per batch."""
        categories = lookups.setdefault("categories", {})
        if name not in categories:
            Category, parent = self.env["product.category"], backend.product_category_id
            domain = [("name", "=", name)] + ([("parent_id", "=", parent.id)] if parent else [])
            categories[name] = Category.search(domain, limit=1) or Category.create(
                {"name": name, "parent_id": parent.id})
        return categories[name]

    @api.model
    def _options(self, variants, lookups):
        """{product.attribute: product.attribute.value recordset} for the options of ``variants``;
        attributes and their values are read once per batch (``lookups``) and created when missing."""
        Attribute = self.env["product.attribute"]
        Value = self.env["product.attribute.value"]
        attributes = lookups.setdefault("attributes", {})  # name -> (attribute, {value name: value})
        options = {}
        for variant in variants:
            for name, value_name in variant.options.items():
                options.setdefault(name, []).append(str(value_name))
        result = {}
        for name, value_names in options.items():
            if name not in attributes:
                attribute = Attribute.search([("name", "=", name)], limit=1) or Attribute.create(
                    {"name": name, "create_variant": "always"})
                attributes[name] = (attribute, {value.name: value for value in reversed(attribute.value_ids)})
            attribute, known = attributes[name]
            values = Value
            for value_name in dict.fromkeys(value_names):
                if value_name not in known:
                    known[value_name] = Value.create({"attribute_id": attribute.id, "name": value_name})
                values |= known[value_name]
            result[attribute] = values
        return result

    @api.model
    def _add_missing_values(self, template, variants, lookups):
        """A variant added in the shop: extend the template's attribute lines with its values."""
        for attribute, values in self._options(variants, lookups).items():
            line = template.attribute_line_ids.filtered(lambda l, a=attribute: l.attribute_id == a)
            if not line:
                template.write({"attribute_line_ids": [Command.create(
                    {"attribute_id": attribute.id, "value_ids": [Command.set(values.ids)]})]})
            elif values - line.value_ids:
                line.value_ids = [Command.link(value.id) for value in values - line.value_ids]

    @api.model
    def _sync_variants(self, backend, item, allowed):
        """Match each shop variant of a known template to an Odoo variant (SKU first, then options)
        and write its fields; return ``(variant, external id, SKU)`` of the variants to bind."""
        product, template = item.product, item.template
        odoo_variants = template.with_context(active_test=False).product_variant_ids
        by_sku = {variant.default_code: variant for variant in odoo_variants if variant.default_code}
        by_options = {
            frozenset((ptav.attribute_id.name, ptav.name) for ptav in variant.product_template_attribute_value_ids):
            variant for variant in odoo_variants}
        to_bind = []
        for shop_variant in item.with_sku:
            variant = by_sku.get(shop_variant.sku) or by_options.get(_options_key(shop_variant.options))
            if not variant:
                raise UserError(_("Variant %s could not be matched to an Odoo variant.", shop_variant.sku))
            values = self._variant_values(product, shop_variant, allowed)
            if variant.default_code == shop_variant.sku:
                del values["default_code"]
            if values:
                variant.write(values)
            if shop_variant.external_id:
                to_bind.append((variant, shop_variant.external_id, shop_variant.sku))
        return to_bind

    @api.model
    def _variant_values(self, product, shop_variant, allowed):
        """Values of the Odoo variant of ``shop_variant`` (of ``product``): its SKU, and its barcode
        and weight as the ``allowed`` rules write them."""
        values = {"default_code": shop_variant.sku}
        if "barcode" in allowed and shop_variant.barcode:
            values["barcode"] = shop_variant.barcode
        weight = shop_variant.weight if shop_variant.weight is not None else product.weight
        if "weight" in allowed and weight is not None:
            values["weight"] = float(weight)
        return values

    @api.model
    def _create_from_order_line(self, backend, line, prices_include_tax):
        """A product for an unknown SKU met on an order (backend option), with the create rules; its
        sales price from the line's (with VAT when ``prices_include_tax``: the order's convention)."""
        allowed = self.env["shop.sync.field.rule"]._allowed_fields(backend, "product", "import", creating=True)
        values = {"name": line.name or line.sku, "default_code": line.sku, "type": "consu", "is_storable": True}
        if "price" in allowed:
            values["list_price"] = self.env["shop.sync.catalogue.price"]._to_odoo(
                backend, line.unit_price, prices_include_tax)
        return self.env["product.product"].create(values)


def _options_key(options):
    """A shop variant's options ``{attribute name: value}`` as a key comparable to an Odoo variant's."""
    return frozenset((name, str(value)) for name, value in options.items())


class _Item:
    """One product of a batch and what became of it."""

    def __init__(self, product, event):
        self.product = product
        self.common = {"ref": product.sku or product.name, "external_id": product.external_id, "event": event}
        variants = product.variants or []
        self.with_sku = [variant for variant in variants if variant.sku]
        self.without_sku = [variant for variant in variants if not variant.sku]
        self.template = None  # product.template (empty: new) once looked up
        self.binding = None  # its binding to this product (empty: not bound yet) once looked up
        self.outdated = False  # True: older than the version imported already, skipped
        self.created = None  # True: created, False: updated, None: not (yet) imported
        self.error = None  # message when the import failed
        self.image_ref = None  # the shop image's ref once Odoo holds it
        self.image_error = None  # why the shop's image could not be downloaded
