import ast
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import ormcache

from .shop_sync_flow import BACKEND, Flow, _lt

#: seconds a product change waits before its export runs, so that a burst of saves is one export
PRODUCT_CHANGE_DELAY = 30
#: flow 3, for shops (per template) and accounting systems (per variant): the products new or changed
#: since the last run (scheduled, by the button, after a product change), and one product (Retry of its log)
PRODUCT_EXPORT_FLOWS = tuple(
    flow for role, record_model, button in (("shop", "product.template", "action_export_products"),
                                            ("accounting", "product.product", "action_sync_now"))
    for flow in (
        Flow("product_export", "_export_products", "product_export", "outbound", _lt("Export product"),
             role=role, record_model=record_model, button=("shop.sync.log", "action_retry")),
        Flow("products_export", "_export_products", "product_export", "outbound", _lt("Export products"),
             role=role, enabled_by="sync_product_export", button=(BACKEND, button)),
    ))


class ShopSyncBackend(models.Model):
    """Flow 3: Odoo products (new and changed, of the backend's product filter) to the remote system:
    a shop (draft or published, per the field rules) or an accounting system (its products)."""

    _inherit = "shop.sync.backend"

    sync_product_export = fields.Boolean(
        "Export products", default=False,
        help="Export new and changed Odoo products of the product filter to this system: at every scheduled "
             "run, and shortly after a product's exported fields (name, price, description, barcode, weight...) "
             "change. Stock levels are a flow of their own.")
    product_export_domain = fields.Char(
        "Products to export", default="[]",
        help="Which Odoo products the product export sends to this system (all when empty).")
    products_exported_until = fields.Datetime(
        "Products exported until", copy=False, readonly=True,
        help="Products changed since then (minus the overlap window) are exported by the next run.")

    @api.constrains("product_export_domain")
    def _check_product_export_domain(self):
        for backend in self:
            try:
                self.env["product.template"].search_count(backend._product_filter(), limit=1)
            except (ValueError, SyntaxError, KeyError, TypeError) as exc:
                raise ValidationError(_("The product filter of %(name)s is not a valid domain: %(error)s",
                                        name=backend.name, error=exc)) from exc

    def _product_filter(self):
        """The product filter as a domain on ``product.template``."""
        self.ensure_one()
        return Domain(ast.literal_eval(self.product_export_domain or "[]"))

    # -- buttons ------------------------------------------------------------------------------
    def action_export_products(self):
        """Queue the export of the filter's products new or changed since the last run (all on the
        first run); a double click finds the job already queued."""
        self._check_manager()
        for backend in self:
            backend._enqueue_product_export()
        return self._notify(_("Product export queued."), "info")

    # -- flows --------------------------------------------------------------------------------
    @api.model
    def _shop_sync_flow_declarations(self):
        return super()._shop_sync_flow_declarations() + list(PRODUCT_EXPORT_FLOWS)

    def _enqueue_product_export(self, eta=None):
        """Queue the product export of this backend: one pending job at a time (its identity key); the
        job exports what changed since its watermark, so later changes join the job still waiting."""
        self.ensure_one()
        return self._shop_sync_enqueue("products_export", eta=eta)

    @api.model
    def _enqueue_product_changes(self, templates, field_names=None):
        """After ``field_names`` of ``templates`` changed (None: they were created), queue the product
        export of every backend exporting one of them whose rules export one of those fields."""
        for backend in self.sudo().browse(self._product_export_backend_ids()).exists():
            if field_names is not None and not field_names & backend._product_export_trigger_fields():
                continue
            if templates.sudo().filtered_domain(
                    backend._product_filter() & Domain("company_id", "in", (False, backend.company_id.id))):
                backend._enqueue_product_export(eta=PRODUCT_CHANGE_DELAY)

    @api.model
    @ormcache()
    def _product_export_backend_ids(self):
        """Ids of the backends exporting products, cached: a product write costs no query for it."""
        return tuple(self.sudo().search([("sync_product_export", "=", True)]).ids)

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if {"sync_product_export", "active"} & set(vals):
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    def _product_export_trigger_fields(self):
        """Odoo fields whose change is exported: the SKU and variants always, the rest as the export
        rules write them on update."""
        Exporter = self.env["shop.sync.product.exporter"]
        allowed = self.env["shop.sync.field.rule"]._allowed_fields(self, "product", "export", creating=False)
        return Exporter._structure_fields() | {name for rule in allowed
                                               for name in Exporter._odoo_fields_of_rule(rule)}

    def _keeps_product_vat_rate(self):
        """Whether the remote keeps a VAT rate per product (CCV's ``vatrate``): its product exports then
        carry the rate of the Odoo product's sales taxes (``Product.tax_rate``, the "VAT rate" rule);
        the others' carry none, so their fingerprints do not change with it."""
        return False

    # -- job ----------------------------------------------------------------------------------
    def _export_products(self, products=None):
        """Job: export ``products`` (templates or variants: a Retry), else every product of the
        filter created or changed since the watermark (minus the overlap window), then move it."""
        self.ensure_one()
        backend = self.sudo()
        if products is not None:
            return backend._export_product_records(
                products.sudo().filtered_domain([("company_id", "in", (False, backend.company_id.id))]))
        started = fields.Datetime.now()
        watermark = backend.products_exported_until
        since = watermark - timedelta(minutes=backend.poll_overlap) if watermark else None
        exported = backend._export_product_records(backend._product_export_selection(since))
        backend.products_exported_until = started
        return exported

    def _product_export_selection(self, since=None):
        """Templates of the product filter of this backend's company (or shared), changed (they or a
        variant) at or after ``since`` when given."""
        self.ensure_one()
        domain = self._product_filter() & Domain("company_id", "in", (False, self.company_id.id))
        if since:
            domain &= Domain("write_date", ">=", since) | Domain("product_variant_ids.write_date", ">=", since)
        return self.env["product.template"].search(domain, order="id")

    def _export_product_records(self, products):
        """Export ``products`` (templates or variants): to a shop by the product exporter (per
        template), to accounting by its hook (per variant)."""
        if self.role == "shop":
            templates = products if products._name == "product.template" else products.product_tmpl_id
            return self.env["shop.sync.product.exporter"]._export(self, templates)
        variants = products if products._name == "product.product" else products.product_variant_ids
        return self._accounting_export_products(variants)

    def _accounting_export_products(self, products):
        """Create or update ``products`` (variants) in the accounting system: the job method its
        connector declares for the accounting contract's product export."""
        return getattr(self, self._shop_sync_flow("accounting_products_export").method)(products)
