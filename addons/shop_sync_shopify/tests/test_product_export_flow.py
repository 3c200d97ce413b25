from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.product_export_common import ProductExportFlowMixin

from .common import ShopifyCase


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyProductExportFlow(ProductExportFlowMixin, ShopifyCase):
    def variants(self, sku):
        return [(product, variant) for product in self.sim.products.values()
                for variant in self.sim.state.product_variants(product) if variant["sku"] == sku]

    def remote_product(self, sku):
        found = self.variants(sku)
        if not found:
            return None
        product, variant = found[0]
        return product["title"], float(variant["price"]), product["status"] == "ACTIVE"

    def remote_count(self, sku):
        return len(self.variants(sku))
