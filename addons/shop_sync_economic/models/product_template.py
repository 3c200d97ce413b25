from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    stock_master_economic = fields.Boolean(
        "Stock mastered in e-conomic", copy=False,
        help="The on-hand quantity comes from e-conomic (stock master backend): manual inventory "
             "adjustments are refused in Odoo.")
