import hashlib
from decimal import Decimal

from odoo import _, api, models
from odoo.exceptions import UserError

from ..services.http import RemoteError
from ..services.jobs import retryable_job_error
from ..services.records import Product, Variant

#: product field rule -> the Odoo product fields it exports (their change queues an export)
ODOO_FIELDS_OF_RULE = {
    "name": ("name",), "description": ("description_sale",), "price": ("list_price", "lst_price"),
    "barcode": ("barcode",), "weight": ("weight",), "category": ("categ_id",), "published": ("sale_ok",),
    "image": ("image_1920",), "vendor": ("shop_vendor",), "tags": ("product_tag_ids",),
    "dimensions": ("shop_length", "shop_width", "shop_height"), "short_description": ("shop_short_description",),
    "backorders": ("shop_allow_backorders",), "vat_rate": ("taxes_id",),
}


def _checksum(record, publish):
    """A fingerprint of what an export sends, to send it only when it changed (the VAT rate, out of
    the record's repr, only when the export carries one)."""
    sent = (record, publish) if record.tax_rate is None else (record, publish, record.tax_rate)
    return hashlib.sha256(repr(sent).encode()).hexdigest()


class ShopSyncProductExporter(models.AbstractModel):
    """Odoo products to a remote system ("flow 3" for shops): created as draft or published,
    updated with the export rules' fields only, never deleted."""

    _name = "shop.sync.product.exporter"
    _description = "Shop Sync Product Export"

    @api.model
    def _export(self, backend, templates):
        """Create or update each template in the shop; one log per product (done, skipped with the
        reason, error with the shop's message); a product whose exported record is the one the shop
        got last is left alone.  A remote failure follows the one retry rule (``_remote_failure``).
        Returns the number exported."""
        exported = 0
        adapter = backend._get_adapter()
        batch = self._batch_lookups(adapter, templates)
        for template in templates:
            try:
                with self.env.cr.savepoint():
                    exported += self._export_one(backend, adapter, template, batch)
            except RemoteError as exc:
                self._remote_failure(backend, template, exc, alone=len(templates) == 1)
            except UserError as exc:
                self._log_failure(backend, template, str(exc))
        return exported

    @api.model
    def _remote_failure(self, backend, template, exc, alone):
        """The one retry rule for one product's remote failure.  Retryable (429, 5xx, no answer) while
        the job has tries left: a job exporting this product ``alone`` is postponed as a whole
        (``_shop_sync_retry_later``: nothing else to redo); a job of several products logs the attempt
        and hands the product to a job of its own, postponed by the remote's Retry-After, so that what
        the batch exported stands (its bindings' fingerprints skip them in later runs).  Otherwise
        (refused, last try, not in a job): an error log; the rest of the batch is exported."""
        ref, reason = template.default_code or template.display_name, _("Product not exported")
        if alone:
            backend._shop_sync_retry_later("product_export", exc, reason=reason, message=str(exc), ref=ref,
                                           record=template)
        elif job := backend._shop_sync_retry_job(exc):
            seconds = retryable_job_error(exc).seconds
            self.env["shop.sync.log"]._record(
                backend, "product_export", "error", ref=ref, record=template, reason=reason, response=exc.body,
                message=_("%(message)s; the product is exported again later on its own (attempt %(attempt)s of "
                          "%(max)s).", message=str(exc), attempt=job.retry + 1, max=job.max_retries or "∞"))
            backend._shop_sync_enqueue("product_export", template, eta=seconds)
            return
        self._log_failure(backend, template, str(exc), response=exc.body)

    @api.model
    def _log_failure(self, backend, template, message, response=None):
        self.env["shop.sync.log"]._record(
            backend, "product_export", "error", ref=template.default_code or template.display_name,
            record=template, reason=_("Product not exported"), message=message, response=response)

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
        with_tax = adapter.prices_include_tax()
        record = self._to_record(backend, template, creating=not binding, prices_include_tax=with_tax)
        if not record.sku and not record.variants:
            Log._record(backend, "product_export", "skipped", ref=template.display_name, record=template,
                        reason=_("Product without SKU"), message=_("Products are matched by SKU: set one."))
            return 0
        checksum = self._fingerprint(backend, template, with_tax, record if binding else None)
        if adapter.IMAGE_EXPORT and "image" in self.env["shop.sync.field.rule"]._allowed_fields(
                backend, "product", "export", not binding):
            record.image = self.env["shop.sync.product.image"]._to_export(
                template, binding, batch["checksums"], with_content=adapter.IMAGE_EXPORT == "content")
        if binding and binding.export_checksum == checksum and not record.image:
            return 0  # seen again within the overlap window, or written back by an import: nothing new
        if binding and record.category and record.category == binding.export_category:
            record.category = ""  # the shop has it since the last export: neither written nor linked again
        category = record.category
        if category and category not in batch["categories"]:
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
        if category:
            bound.export_category = category if category in batch["categories"] else ""
        if record.image:
            bound.image_checksum = record.image.checksum
        for variant in template.product_variant_ids:
            if variant.default_code in ids:
                Binding._bind(backend, variant, ids[variant.default_code], variant.default_code)
        Log._record(backend, "product_export", "done", ref=record.sku or template.display_name, record=template,
                    external_id=ids[""], message=_("Updated.") if binding else _("Created."))
        return 1

    @api.model
    def _fingerprint(self, backend, template, prices_include_tax, update=None, allowed=None):
        """The fingerprint of what an update of ``template`` sends (``update``: its record, when built
        already), without the image, which has its own checksum.  Stored on the binding after an
        export, and after an import (the shop has what Odoo holds then): the next export sends
        only changes, and nothing to the shop a product was just imported from.  ``allowed``: as
        for ``_to_record``."""
        if update is None:
            update = self._to_record(backend, template, creating=False, prices_include_tax=prices_include_tax,
                                     allowed=allowed)
        return _checksum(update, backend.product_publish)

    @api.model
    def _structure_fields(self):
        """Odoo fields every product export carries whatever the rules: the SKU and the variants."""
        return {"default_code", "attribute_line_ids", "product_template_attribute_value_ids", "active"}

    @api.model
    def _odoo_fields_of_rule(self, rule):
        """The Odoo product fields a product field rule exports."""
        return ODOO_FIELDS_OF_RULE.get(rule, ())

    @api.model
    def _to_record(self, backend, template, creating, prices_include_tax, allowed=None):
        """The canonical record of ``template`` carrying only the fields the export rules allow
        (``allowed``: those fields, when a batch read them once already); its prices with VAT when
        ``prices_include_tax`` (the shop's convention), else without."""
        if allowed is None:
            allowed = self.env["shop.sync.field.rule"]._allowed_fields(backend, "product", "export", creating)
        Price = self.env["shop.sync.catalogue.price"]
        converted = {}  # Odoo price -> the remote's: a template's variants mostly share one

        def price(odoo_price):
            if odoo_price not in converted:
                # the variants' sales taxes are their template's
                converted[odoo_price] = Price._to_remote(backend, odoo_price, prices_include_tax, template)
            return converted[odoo_price]

        # variants and their values in the order Odoo reads them from the database (their models' order;
        # a template's variants share its name) also when just created, which the cache holds in their order
        # of creation: an import's fingerprint is the one a later export computes
        variants = template.product_variant_ids.filtered("default_code").sorted("default_code, id")
        multi = len(template.product_variant_ids) > 1
        sizes = (template.shop_length, template.shop_width, template.shop_height)
        dimensions = tuple(Decimal(str(size)) for size in sizes) if "dimensions" in allowed and any(sizes) else None
        return Product(
            external_id="", name=template.name if "name" in allowed else "",
            sku=template.default_code or (variants[:1].default_code if not multi else "") or "",
            description=(template.description_sale or "") if "description" in allowed else "",
            price=price(template.list_price) if "price" in allowed else None, price_includes_tax=prices_include_tax,
            category=template.categ_id.name if "category" in allowed else "",
            published=template.sale_ok if "published" in allowed else backend.product_publish == "published",
            vendor=(template.shop_vendor or "") if "vendor" in allowed else None,
            tags=template.product_tag_ids.mapped("name") if "tags" in allowed else None,
            short_description=(template.shop_short_description or "") if "short_description" in allowed else None,
            backorders=template.shop_allow_backorders if "backorders" in allowed else None,
            variants=[Variant(
                sku=variant.default_code,
                # the value's own name, which the value of the template shows (related, computed per record)
                options={ptav.attribute_id.name: ptav.product_attribute_value_id.name
                         for ptav in variant.product_template_attribute_value_ids.sorted()},
                price=price(variant.lst_price) if "price" in allowed else None,
                barcode=(variant.barcode or "") if "barcode" in allowed else "",
                weight=Decimal(str(variant.weight)) if "weight" in allowed and variant.weight else None,
                dimensions=dimensions,
            ) for variant in variants],
            tax_rate=Price._vat_rate(backend, template)
            if "vat_rate" in allowed and backend._keeps_product_vat_rate() else None,
        )
