from odoo import models

#: context key of the product import's creates (see ``ProductProduct._change_standard_price``)
IMPORTING_PRODUCTS = "shop_sync_importing_products"


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _change_standard_price(self, old_price):
        """stock_account (auto-installed with ``sale_stock`` and ``account``) records a cost change for
        every variant it creates, even one without a cost ("from None to 0.0", a record odoo/odoo#279296
        shows skewing past valuations), at five queries each.  Variants the product import creates
        record only a real cost; every other create and every cost change is left as Odoo does it."""
        if self.env.context.get(IMPORTING_PRODUCTS):
            self = self.filtered(lambda product: product in old_price or product.standard_price)  # noqa: PLW0642
        return super()._change_standard_price(old_price)
