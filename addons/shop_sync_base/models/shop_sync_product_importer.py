import logging

from psycopg2 import errors as pg_errors

from odoo import Command, _, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import html2plaintext

_logger = logging.getLogger(__name__)


class ShopSyncProductImporter(models.AbstractModel):
    """Canonical ``records.Product`` in, product template and variants out, matched by SKU.

    The backend's product import rules decide which fields are written on create and on update.
    A variant without SKU is never guessed: it is left out and the log says so.
    """

    _name = "shop.sync.product.importer"
    _description = "Shop Sync Product Import Pipeline"

    @api.model
    def _import(self, backend, product, event=None):
        Log = self.env["shop.sync.log"]
        common = {"ref": product.sku or product.name, "external_id": product.external_id, "event": event}
        variants = product.variants or []
        without_sku = [variant for variant in variants if not variant.sku]
        with_sku = [variant for variant in variants if variant.sku]
        if not with_sku:
            return Log._record(backend, "product_import", "error", reason=_("Product without SKU"),
                               message=_("'%s' has no SKU: it is not imported.", product.name), **common)
        self.env["shop.sync.binding"]._lock(backend, "product.template", product.external_id)
        try:
            with self.env.cr.savepoint():
                template, created = self._upsert(backend, product, with_sku)
        except (UserError, ValidationError, pg_errors.UniqueViolation) as exc:
            return Log._record(backend, "product_import", "error", reason=_("Product not imported"),
                               message=str(exc), **common)
        except Exception as exc:  # noqa: BLE001 - one bad product must not stop the run
            _logger.exception("product %s of backend %s failed", product.sku, backend.id)
            return Log._record(backend, "product_import", "error", reason=_("Product not imported"),
                               message=f"{type(exc).__name__}: {exc}", **common)
        if without_sku:
            names = ", ".join(" / ".join(map(str, v.options.values())) or product.name for v in without_sku)
            return Log._record(backend, "product_import", "error", record=template, reason=_("Variant without SKU"),
                               message=_("Imported, but these variants have no SKU and were left out: %s", names),
                               **common)
        return Log._record(backend, "product_import", "done", record=template,
                           message=_("Created.") if created else _("Updated."), **common)

    @api.model
    def _upsert(self, backend, product, variants):
        Binding = self.env["shop.sync.binding"]
        template = Binding._find(backend, "product.template", product.external_id)._record()
        if not template:
            matches = self._variants_by_sku(backend, [variant.sku for variant in variants])
            template = matches.product_tmpl_id
            if len(template) > 1:
                raise UserError(_("The SKUs of '%s' belong to several Odoo products.", product.name))
        created = not template
        Rule = self.env["shop.sync.field.rule"]
        allowed = Rule._allowed_fields(backend, "product", "import", creating=created)
        values = self._template_values(backend, product, allowed)
        if created:
            values.setdefault("name", product.name)
            template = self.env["product.template"].create({
                **values, "type": "consu", "is_storable": True, "company_id": False,
                "attribute_line_ids": self._attribute_lines(variants),
                "default_code": False if product.has_variants else variants[0].sku,
            })
        else:
            if values:
                template.write(values)
            if product.has_variants:
                self._add_missing_values(template, variants)
        self._sync_variants(backend, template, product, variants, created)
        Binding._bind(backend, template, product.external_id, product.sku or variants[0].sku)
        return template, created

    @api.model
    def _variants_by_sku(self, backend, skus):
        return self.env["product.product"].with_context(active_test=False).search(
            [("default_code", "in", skus), ("company_id", "in", (False, backend.company_id.id))])

    @api.model
    def _template_values(self, backend, product, allowed):
        values = {}
        price = product.price if product.price is not None else next(
            (variant.price for variant in product.variants if variant.price is not None), None)
        if "name" in allowed and product.name:
            values["name"] = product.name
        if "description" in allowed:
            values["description_sale"] = html2plaintext(product.description) if product.description else False
        if "price" in allowed and price is not None:
            values["list_price"] = float(price)
        if "category" in allowed and product.category:
            values["categ_id"] = self._category(product.category).id
        if "published" in allowed:
            values["sale_ok"] = bool(product.published)
        return values

    @api.model
    def _category(self, name):
        Category = self.env["product.category"]
        return Category.search([("name", "=", name)], limit=1) or Category.create({"name": name})

    @api.model
    def _attribute_lines(self, variants):
        lines = []
        for attribute, values in self._options(variants).items():
            lines.append(Command.create({"attribute_id": attribute.id, "value_ids": [Command.set(values.ids)]}))
        return lines

    @api.model
    def _options(self, variants):
        """{product.attribute: product.attribute.value recordset} for the options of ``variants``."""
        Attribute = self.env["product.attribute"]
        Value = self.env["product.attribute.value"]
        options = {}
        for variant in variants:
            for name, value_name in variant.options.items():
                options.setdefault(name, []).append(str(value_name))
        result = {}
        for name, value_names in options.items():
            attribute = Attribute.search([("name", "=", name)], limit=1) or Attribute.create(
                {"name": name, "create_variant": "always"})
            values = Value
            for value_name in dict.fromkeys(value_names):
                values |= attribute.value_ids.filtered(lambda v, n=value_name: v.name == n) or Value.create(
                    {"attribute_id": attribute.id, "name": value_name})
            result[attribute] = values
        return result

    @api.model
    def _add_missing_values(self, template, variants):
        """A variant added in the shop: extend the template's attribute lines with its values."""
        for attribute, values in self._options(variants).items():
            line = template.attribute_line_ids.filtered(lambda l, a=attribute: l.attribute_id == a)
            if not line:
                template.write({"attribute_line_ids": [Command.create(
                    {"attribute_id": attribute.id, "value_ids": [Command.set(values.ids)]})]})
            elif values - line.value_ids:
                line.value_ids = [Command.link(value.id) for value in values - line.value_ids]

    @api.model
    def _sync_variants(self, backend, template, product, variants, created):
        """Match each shop variant to an Odoo variant (SKU first, then options) and write its fields."""
        Binding = self.env["shop.sync.binding"]
        allowed = self.env["shop.sync.field.rule"]._allowed_fields(backend, "product", "import", creating=created)
        odoo_variants = template.with_context(active_test=False).product_variant_ids
        by_sku = {variant.default_code: variant for variant in odoo_variants if variant.default_code}
        by_options = {
            frozenset((ptav.attribute_id.name, ptav.name) for ptav in variant.product_template_attribute_value_ids):
            variant for variant in odoo_variants}
        matched = self.env["product.product"]
        for shop_variant in variants:
            variant = by_sku.get(shop_variant.sku) or by_options.get(
                frozenset((name, str(value)) for name, value in shop_variant.options.items()))
            if not variant:
                raise UserError(_("Variant %s could not be matched to an Odoo variant.", shop_variant.sku))
            values = {} if variant.default_code == shop_variant.sku else {"default_code": shop_variant.sku}
            if "barcode" in allowed and shop_variant.barcode:
                values["barcode"] = shop_variant.barcode
            weight = shop_variant.weight if shop_variant.weight is not None else product.weight
            if "weight" in allowed and weight is not None:
                values["weight"] = float(weight)
            if values:
                variant.write(values)
            matched |= variant
            if shop_variant.external_id:
                Binding._bind(backend, variant, shop_variant.external_id, shop_variant.sku)
        if created:
            # combinations Odoo generated that the shop does not sell
            (odoo_variants - matched).write({"active": False})

    @api.model
    def _create_from_order_line(self, backend, line):
        """A product for an unknown SKU met on an order (backend option), with the create rules."""
        allowed = self.env["shop.sync.field.rule"]._allowed_fields(backend, "product", "import", creating=True)
        values = {"name": line.name or line.sku, "default_code": line.sku, "type": "consu", "is_storable": True}
        if "price" in allowed:
            values["list_price"] = float(line.unit_price)
        return self.env["product.product"].create(values)
