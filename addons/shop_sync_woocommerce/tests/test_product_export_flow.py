from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.product_export_common import ProductExportFlowMixin

from .common import WooCommerceCase


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceProductExportFlow(ProductExportFlowMixin, WooCommerceCase):
    def products(self, sku):
        return [product for product in self.shop.products.values() if product["sku"] == sku]

    def remote_product(self, sku):
        found = self.products(sku)
        if not found:
            return None
        product = found[0]
        return product["name"], float(product["regular_price"]), product["status"] == "publish"

    def remote_count(self, sku):
        return len(self.products(sku))
