import os
import re

from odoo import _, api, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.http import RemoteError, create_once

from ..services.mapper import apply_update_rules, writable

MAX_NUMBER = 25  # productNumber length in e-conomic
# product export rule -> e-conomic properties it decides
PROPERTIES_OF_RULE = {
    "name": ("name",),
    "description": ("description",),
    "price": ("salesPrice",),
    "barcode": ("barCode",),
}


class ShopSyncEconomicProductExporter(models.AbstractModel):
    """Odoo variants to e-conomic products, one simple product per variant, numbered by SKU.

    The product export rules decide what is written on create and overwritten on update; the
    sales price is sent excluding VAT.  ``_ensure`` (used by invoices) only creates what is
    missing; ``_export_one`` also updates."""

    _name = "shop.sync.economic.product.exporter"
    _inherit = "shop.sync.accounting.product.exporter"
    _description = "e-conomic Product Export"

    # -- numbering ----------------------------------------------------------------------------
    @api.model
    def _number(self, backend, product):
        binding = self.env["shop.sync.binding"]._for_record(backend, product)
        return binding.external_id if binding else self._computed_number(backend, product)

    @api.model
    def _computed_number(self, backend, product):
        template = product.product_tmpl_id
        variants = template.with_context(active_test=False).product_variant_ids
        if backend.economic_variant_numbering == "parent" and len(variants) > 1:
            values = [re.sub(r"\s+", "", value.name) for value in product.product_template_attribute_value_ids]
            number = "-".join([self._parent_sku(template, variants), *values])
        else:
            number = product.default_code
        if not number:
            raise UserError(_("Product '%s' has no internal reference (SKU): e-conomic products are numbered by SKU.",
                              product.display_name))
        if len(number) > MAX_NUMBER:
            raise UserError(_("Product number '%(number)s' of '%(product)s' is longer than the %(max)s characters "
                              "e-conomic allows.", number=number, product=product.display_name, max=MAX_NUMBER))
        return number

    @api.model
    def _parent_sku(self, template, variants):
        """The shop's parent SKU (binding of the template), else the common prefix of the variants' SKUs."""
        binding = self.env["shop.sync.binding"].search(
            [("model", "=", "product.template"), ("res_id", "=", template.id), ("external_ref", "!=", False)], limit=1)
        skus = [sku for sku in variants.mapped("default_code") if sku]
        parent = binding.external_ref if binding and binding.external_ref not in skus else ""
        if not parent and len(skus) > 1:
            parent = os.path.commonprefix(skus).rstrip("-_ ./")
        if not parent:
            raise UserError(_("'%s' has no parent SKU to number its variants with.", template.display_name))
        return parent

    # -- invoice helper -------------------------------------------------------------------------
    @api.model
    def _bindings(self, backend, products):
        """``{product: its binding}`` of ``products`` (an empty one when unbound), in one search: the
        ``bound`` of ``_ensure`` for the lines of one invoice."""
        Binding = self.env["shop.sync.binding"]
        found = {binding.res_id: binding for binding in Binding.search([
            ("backend_id", "=", backend.id), ("model", "=", "product.product"), ("res_id", "in", products.ids)])}
        return {product: found.get(product.id, Binding) for product in products}

    @api.model
    def _ensure(self, backend, client, product, group=None, bound=None):
        """Number of the e-conomic product to invoice ``product`` on in product ``group`` (number;
        None: its default group), created first if missing (when allowed).  ``bound``: the
        products' bindings looked up beforehand (``_bindings``); a product bound here leaves it.

        A draft line takes no account or VAT code: its product's group decides them per VAT zone.
        So a sale booked on another group than the product's default one (e.g. OSS to the
        Netherlands) uses a companion product ``<number>.<group>`` in that group, remembered once it
        exists (``shop.sync.economic.known.product``) as a bound product is."""
        Binding, Known = self.env["shop.sync.binding"], self.env["shop.sync.economic.known.product"]
        binding = bound[product] if bound and product in bound else Binding._for_record(backend, product)
        default_group = backend._economic_product_group(product)
        if group in (None, default_group):
            if binding:
                return binding.external_id
            number, group = self._computed_number(backend, product), default_group
        else:
            number = f"{binding.external_id if binding else self._computed_number(backend, product)}.{group}"
            if len(number) > MAX_NUMBER:
                raise UserError(_("Product number '%(number)s' (the product in e-conomic product group %(group)s) is "
                                  "longer than the %(max)s characters e-conomic allows.", number=number, group=group,
                                  max=MAX_NUMBER))
            if Known._known(backend, number):
                return number
        common = {"ref": number, "record": product}
        Binding._lock(backend, "product.product", number)
        try:
            if client.get_or_none(client.product_path(number)) is None:
                if not backend.economic_create_products:
                    raise UserError(_("Product %s does not exist in e-conomic and creating missing products is off "
                                      "on the backend.", number))
                self._create(backend, client, product, number, group, common)
        except (RemoteError, UserError) as exc:
            self._log_error(backend, exc, common)
            raise
        if group == default_group:
            self._bind(backend, product, number)
            if bound:
                bound.pop(product, None)
        else:
            Known._remember(backend, number)
        return number

    # -- export -----------------------------------------------------------------------------------
    @api.model
    def _export_one(self, backend, client, product):
        number = self._number(backend, product)
        common = {"ref": number, "record": product}
        self.env["shop.sync.binding"]._lock(backend, "product.product", number)
        document = client.get_or_none(client.product_path(number))
        if document is None:
            self._create(backend, client, product, number, backend._economic_product_group(product), common)
        else:
            self._update(backend, client, product, number, document, common)
        self._bind(backend, product, number)
        return number

    @api.model
    def _create(self, backend, client, product, number, group, common):
        allowed = self._allowed(backend, creating=True)
        body = {**self._values(backend, product, number, allowed),
                "name": self._name_of(product)[:300],
                "productGroup": {"productGroupNumber": group}}
        if backend.economic_unit_id:
            body["unit"] = {"unitNumber": backend.economic_unit_id.number}
        # an uncertain answer (5xx, lost): the product may exist; look its number up before sending again
        create_once(lambda: client.post("products", body), lambda: client.get_or_none(client.product_path(number)))
        self.env["shop.sync.log"]._record(backend, "product_export", "done", external_id=number, request=body,
                                           message=_("Product %s created.", number), **common)

    @api.model
    def _update(self, backend, client, product, number, document, common):
        """Overwrite what the update rules allow (PUT takes the full document)."""
        allowed = self._allowed(backend, creating=False)
        current = writable(document)
        desired = apply_update_rules(current, self._values(backend, product, number, allowed), allowed,
                                     PROPERTIES_OF_RULE)
        if desired == current:
            return self.env["shop.sync.log"]._record(backend, "product_export", "skipped", external_id=number,
                                                      reason=_("Unchanged"), message=_("Nothing to update."), **common)
        client.put(client.product_path(number), desired)
        return self.env["shop.sync.log"]._record(backend, "product_export", "done", external_id=number,
                                                  request=desired, message=_("Product %s updated.", number), **common)

    # -- values -----------------------------------------------------------------------------------
    @api.model
    def _values(self, backend, product, number, allowed):
        values = {"productNumber": number}
        if "name" in allowed:
            values["name"] = self._name_of(product)[:300]
        if "description" in allowed and product.description_sale:
            values["description"] = product.description_sale[:500]
        if "price" in allowed:
            # e-conomic's salesPrice is net; the base converts Odoo's sales price with the product's taxes
            values["salesPrice"] = float(self.env["shop.sync.catalogue.price"]._to_remote(
                backend, product.lst_price, False, product))
        if "barcode" in allowed and product.barcode:
            values["barCode"] = product.barcode[:50]
        return values

    @api.model
    def _bind(self, backend, product, number):
        self._bind_product(backend, product, number, number)
