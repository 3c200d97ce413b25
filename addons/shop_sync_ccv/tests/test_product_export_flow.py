from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.product_export_common import ProductExportFlowMixin

from .common import CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvProductExportFlow(ProductExportFlowMixin, CcvCase):
    def setUp(self):
        super().setUp()
        self.backend.ccv_vat_rate = 25

    def products(self, sku):
        return [product for product in self.app.products.values() if product["productnumber"] == sku]

    def remote_product(self, sku):
        found = self.products(sku)
        if not found:
            return None
        product = found[0]
        return product["name"], product["price"], bool(product["is_active"])

    def remote_count(self, sku):
        return len(self.products(sku))
