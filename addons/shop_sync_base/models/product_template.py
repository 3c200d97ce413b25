from odoo import fields, models


class ProductTemplate(models.Model):
    """Catalogue fields the shops have and Odoo Community has not (without website_sale), mapped
    per shop with field rules; tags are Odoo's own product tags."""

    _inherit = "product.template"

    shop_vendor = fields.Char("Vendor / brand", help="The brand shops show (Shopify's vendor).")
    shop_short_description = fields.Text(
        "Short description", translate=True, help="The shop's short description (WooCommerce), as plain text.")
    shop_allow_backorders = fields.Boolean(
        "Backorders allowed", help="The shop lets customers order the product when it is out of stock.")
    shop_length = fields.Float("Length (cm)", digits="Stock Weight")
    shop_width = fields.Float("Width (cm)", digits="Stock Weight")
    shop_height = fields.Float("Height (cm)", digits="Stock Weight")
