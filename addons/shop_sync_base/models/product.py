from odoo import api, models

from .shop_sync_product_exporter import ODOO_FIELDS_OF_RULE

#: the product fields a product export may carry: a write touching none of them queues nothing
EXPORTED_FIELDS = frozenset({name for names in ODOO_FIELDS_OF_RULE.values() for name in names})


class ProductTemplate(models.Model):
    """A product created or changed in Odoo (by hand or by an import, e.g. from accounting) is queued
    to the systems exporting products; the export job's identity key makes many writes one job."""

    _inherit = "product.template"

    @api.model_create_multi
    def create(self, vals_list):
        templates = super().create(vals_list)
        self.env["shop.sync.backend"]._enqueue_product_changes(templates)
        return templates

    def write(self, vals):
        if "shop_sync_stock_master_id" in vals:  # the lock against manual adjustments: for Managers of its backend
            (self.shop_sync_stock_master_id | self.env["shop.sync.backend"].browse(
                vals["shop_sync_stock_master_id"]))._check_manager()
        result = super().write(vals)
        _queue_changes(self, vals)
        return result


class ProductProduct(models.Model):
    _inherit = "product.product"

    @api.model_create_multi
    def create(self, vals_list):
        products = super().create(vals_list)
        self.env["shop.sync.backend"]._enqueue_product_changes(products.product_tmpl_id)
        return products

    def write(self, vals):
        result = super().write(vals)
        _queue_changes(self.product_tmpl_id, vals)
        return result


def _queue_changes(templates, vals):
    """Queue the export of ``templates`` when ``vals`` holds a field a product export carries."""
    Exporter = templates.env["shop.sync.product.exporter"]
    changed = set(vals) & (EXPORTED_FIELDS | Exporter._structure_fields())
    if changed and templates:
        templates.env["shop.sync.backend"]._enqueue_product_changes(templates, changed)
