from odoo import api, fields, models


class ProductTemplate(models.Model):
    """Catalogue fields the shops have and Odoo Community has not (without website_sale), mapped
    per shop with field rules; tags are Odoo's own product tags."""

    _inherit = "product.template"

    shop_vendor = fields.Char("Vendor / brand", help="The brand shops show (Shopify's vendor).")
    shop_short_description = fields.Text(
        "Short description", translate=True,
        help="The shop's short description (WooCommerce, CCV Shop), as plain text.")
    shop_allow_backorders = fields.Boolean(
        "Backorders allowed", help="The shop lets customers order the product when it is out of stock.")
    shop_length = fields.Float("Length (cm)", digits="Stock Weight")
    shop_width = fields.Float("Width (cm)", digits="Stock Weight")
    shop_height = fields.Float("Height (cm)", digits="Stock Weight")
    shop_sync_stock_master_id = fields.Many2one(
        "shop.sync.backend", "Stock mastered by", copy=False, readonly=True, index="btree_not_null",
        ondelete="set null",
        help="The accounting backend whose stock pull sets the on-hand quantity: manual inventory adjustments "
             "are refused in Odoo while it masters the stock.")
    shop_sync_stock_locked = fields.Boolean(
        "Stock mastered in accounting", compute="_compute_shop_sync_stock_locked",
        help="The on-hand quantity comes from the accounting system (stock master): manual inventory "
             "adjustments are refused in Odoo.")

    @api.depends("shop_sync_stock_master_id")
    def _compute_shop_sync_stock_locked(self):
        for template in self:
            template.shop_sync_stock_locked = bool(template.shop_sync_stock_master_id)
