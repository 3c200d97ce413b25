"""Flow-3 product creation in CCV Shop under faults that apply the create and then fail: the
product is looked up by its product number (CCV creates no variants through the API)."""

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import ProductCreateExactlyOnceMixin
from simulators.ccv import API_PREFIX

from .common import CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvCreatesOnce(ProductCreateExactlyOnceMixin, CcvCase):
    @property
    def fault_plan(self):
        return self.app.faults

    def product_create_match(self):
        return {"path": f"{API_PREFIX}/products", "method": "POST"}

    def remote_products(self, sku):
        return [str(product["id"]) for product in self.app.products.values() if product.get("productnumber") == sku]
