import hashlib
from decimal import Decimal

from odoo import _, api, models
from odoo.exceptions import UserError

from ..services.http import RemoteError
from ..services.records import Product, Variant

#: product field rule -> the Odoo product fields it exports (their change queues an export)
ODOO_FIELDS_OF_RULE = {
    "name": ("name",), "description": ("description_sale",), "price": ("list_price", "lst_price"),
    "barcode": ("barcode",), "weight": ("weight",), "category": ("categ_id",), "published": ("sale_ok",),
    "image": ("image_1920",), "vendor": ("shop_vendor",), "tags": ("product_tag_ids",),
    "dimensions": ("shop_length", "shop_width", "shop_height"), "short_description": ("shop_short_description",),
    "backorders": ("shop_allow_backorders",),
}


def _checksum(record, publish):
    """A fingerprint of what an export sends, to send it only when it changed."""
    return hashlib.sha256(repr((record, publish)).encode()).hexdigest()


class ShopSyncProductExporter(models.AbstractModel):
    """Odoo products to a remote system ("flow 3" for shops): created as draft or published,
    updated with the export rules' fields only, never deleted."""

    _name = "shop.sync.product.exporter"
    _description = "Shop Sync Product Export"

    @api.model
    def _export(self, backend, templates):
        """Create or update each template in the shop; one log per product (done, skipped with the
        reason, error with the shop's message); a product whose exported record is the one the shop
        got last is left alone.  Returns the number exported."""
        exported = 0
        adapter = backend._get_adapter()
        batch = self._batch_lookups(adapter, templates)
        for template in templates:
            try:
                with self.env.cr.savepoint():
                    exported += self._export_one(backend, adapter, template, batch)
            except (RemoteError, UserError) as exc:
                self.env["shop.sync.log"]._record(
                    backend, "product_export", "error", ref=template.default_code or template.display_name,
                    record=template, reason=_("Product not exported"), message=str(exc),
                    response=getattr(exc, "body", None))
        return exported

    @api.model
    def _batch_lookups(self, adapter, templates):
        """What a batch looks up once rather than per product: the images' checksums and which of the
        products' categories the shop knows."""
        names = sorted(set(templates.categ_id.mapped("name")))
        return {
            "checksums": self.env["shop.sync.product.image"]._checksums(templates) if adapter.IMAGE_EXPORT else {},
            "categories": adapter.known_categories(names) if names else set(),
        }

    @api.model
    def _export_one(self, backend, adapter, template, batch):
        Log = self.env["shop.sync.log"]
        Binding = self.env["shop.sync.binding"]
        binding = Binding._for_record(backend, template)
        record = self._to_record(backend, template, creating=not binding)
        if not record.sku and not record.variants:
            Log._record(backend, "product_export", "skipped", ref=template.display_name, record=template,
                        reason=_("Product without SKU"), message=_("Products are matched by SKU: set one."))
            return 0
        # the fingerprint of what an update sends (without the image, which has its own checksum):
        # after a create, the next run sends only changes
        update = record if binding else self._to_record(backend, template, creating=False)
        checksum = _checksum(update, backend.product_publish)
        if adapter.IMAGE_EXPORT and "image" in self.env["shop.sync.field.rule"]._allowed_fields(
                backend, "product", "export", not binding):
            record.image = self.env["shop.sync.product.image"]._to_export(
                template, binding, batch["checksums"], with_content=adapter.IMAGE_EXPORT == "content")
        if binding and binding.export_checksum == checksum and not record.image:
            return 0  # seen again within the overlap window, or written back by an import: nothing new
        if record.category and record.category not in batch["categories"]:
            kept_as = adapter.UNKNOWN_CATEGORY_KEPT_AS
            Log._record(backend, "product_export", "error", ref=record.sku, record=template,
                        reason=_("Unknown category"), message=_(
                            "The shop has no category '%(name)s': the product is exported with it as its %(field)s "
                            "only. Create the category in the shop to have the product added to it.",
                            name=record.category, field=kept_as) if kept_as else _(
                            "The shop has no category '%s': the product is exported without it. Create the "
                            "category in the shop to have it set.", record.category))
            if not kept_as:
                record.category = ""
        ids = adapter.export_product(record, external_id=binding.external_id or None,
                                     publish=backend.product_publish == "published")
        bound = Binding._bind(backend, template, ids[""], record.sku)
        bound.export_checksum = checksum
        if record.image:
            bound.image_checksum = record.image.checksum
        for variant in template.product_variant_ids:
            if variant.default_code in ids:
                Binding._bind(backend, variant, ids[variant.default_code], variant.default_code)
        Log._record(backend, "product_export", "done", ref=record.sku or template.display_name, record=template,
                    external_id=ids[""], message=_("Updated.") if binding else _("Created."))
        return 1

    @api.model
    def _structure_fields(self):
        """Odoo fields every product export carries whatever the rules: the SKU and the variants."""
        return {"default_code", "attribute_line_ids", "product_template_attribute_value_ids", "active"}

    @api.model
    def _odoo_fields_of_rule(self, rule):
        """The Odoo product fields a product field rule exports."""
        return ODOO_FIELDS_OF_RULE.get(rule, ())

    @api.model
    def _to_record(self, backend, template, creating):
        """The canonical record of ``template`` carrying only the fields the export rules allow."""
        allowed = self.env["shop.sync.field.rule"]._allowed_fields(backend, "product", "export", creating)
        variants = template.product_variant_ids.filtered("default_code")
        multi = len(template.product_variant_ids) > 1
        sizes = (template.shop_length, template.shop_width, template.shop_height)
        dimensions = tuple(Decimal(str(size)) for size in sizes) if "dimensions" in allowed and any(sizes) else None
        return Product(
            external_id="", name=template.name if "name" in allowed else "",
            sku=template.default_code or (variants[:1].default_code if not multi else "") or "",
            description=(template.description_sale or "") if "description" in allowed else "",
            price=Decimal(str(template.list_price)) if "price" in allowed else None,
            category=template.categ_id.name if "category" in allowed else "",
            published=template.sale_ok if "published" in allowed else backend.product_publish == "published",
            vendor=(template.shop_vendor or "") if "vendor" in allowed else None,
            tags=template.product_tag_ids.mapped("name") if "tags" in allowed else None,
            short_description=(template.shop_short_description or "") if "short_description" in allowed else None,
            backorders=template.shop_allow_backorders if "backorders" in allowed else None,
            variants=[Variant(
                sku=variant.default_code,
                options={ptav.attribute_id.name: ptav.name for ptav in variant.product_template_attribute_value_ids},
                price=Decimal(str(variant.lst_price)) if "price" in allowed else None,
                barcode=(variant.barcode or "") if "barcode" in allowed else "",
                weight=Decimal(str(variant.weight)) if "weight" in allowed and variant.weight else None,
                dimensions=dimensions,
            ) for variant in variants],
        )
