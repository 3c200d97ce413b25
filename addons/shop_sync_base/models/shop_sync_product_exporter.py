from decimal import Decimal

from odoo import _, api, models

from ..services.http import RemoteError
from ..services.records import Product, Variant


class ShopSyncProductExporter(models.AbstractModel):
    """Odoo products to a remote system ("flow 3" for shops): created as draft or published,
    updated with the export rules' fields only, never deleted."""

    _name = "shop.sync.product.exporter"
    _description = "Shop Sync Product Export"

    @api.model
    def _export(self, backend, templates):
        Log = self.env["shop.sync.log"]
        Binding = self.env["shop.sync.binding"]
        adapter = backend._get_adapter()
        checksums = self.env["shop.sync.product.image"]._checksums(templates) if adapter.IMAGE_EXPORT else {}
        names = sorted(set(templates.categ_id.mapped("name")))
        known_categories = adapter.known_categories(names) if names else set()
        exported = 0
        for template in templates:
            binding = Binding._for_record(backend, template)
            record = self._to_record(backend, template, creating=not binding)
            if adapter.IMAGE_EXPORT and "image" in self.env["shop.sync.field.rule"]._allowed_fields(
                    backend, "product", "export", not binding):
                record.image = self.env["shop.sync.product.image"]._to_export(
                    template, binding, checksums, with_content=adapter.IMAGE_EXPORT == "content")
            if not record.sku and not record.variants:
                Log._record(backend, "product_export", "error", ref=template.display_name, record=template,
                            reason=_("Product without SKU"), message=_("Products are matched by SKU: set one."))
                continue
            if record.category and record.category not in known_categories:
                Log._record(backend, "product_export", "error", ref=record.sku, record=template,
                            reason=_("Unknown category"), message=_(
                                "The shop has no category '%s': the product is exported without it. Create the "
                                "category in the shop to have it set.", record.category))
                record.category = ""
            try:
                ids = adapter.export_product(record, external_id=binding.external_id or None,
                                             publish=backend.product_publish == "published")
            except RemoteError as exc:
                Log._record(backend, "product_export", "error", ref=record.sku, record=template,
                            reason=_("Product not exported"), message=str(exc), response=exc.body)
                continue
            bound = Binding._bind(backend, template, ids[""], record.sku)
            if record.image:
                bound.image_checksum = record.image.checksum
            for variant in template.product_variant_ids:
                if variant.default_code in ids:
                    Binding._bind(backend, variant, ids[variant.default_code], variant.default_code)
            Log._record(backend, "product_export", "done", ref=record.sku, record=template, external_id=ids[""],
                        message=_("Updated.") if binding else _("Created."))
            exported += 1
        return exported

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
