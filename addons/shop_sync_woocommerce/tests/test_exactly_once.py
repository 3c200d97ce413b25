"""Creates in WooCommerce (flow-3 products, webhooks) under faults that apply the create and then fail."""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import VariantCreateExactlyOnceMixin, WebhookCreateExactlyOnceMixin
from simulators.woocommerce import API_ROOT

from .common import WooCommerceCase


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceCreatesOnce(VariantCreateExactlyOnceMixin, WooCommerceCase):
    @property
    def fault_plan(self):
        return self.shop.faults

    def product_create_match(self):
        return {"path": f"{API_ROOT}/products", "method": "POST"}

    def variant_create_match(self):
        return {"path": f"{API_ROOT}/products/", "method": "POST"}  # products/<id>/variations/batch

    def remote_products(self, sku):
        return [str(product["id"]) for product in self.shop.products.values() if product.get("sku") == sku] + [
            str(variation["parent_id"]) for variation in self.shop.variations.values() if variation.get("sku") == sku]

    def remote_variant_count(self, sku):
        return sum(variation.get("sku") == sku for variation in self.shop.variations.values())


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceWebhooksOnce(WebhookCreateExactlyOnceMixin, WooCommerceCase):
    def setUp(self):
        super().setUp()
        # registration pings the delivery URL: nobody listens in this test
        self.startPatcher(patch.object(self.shop, "deliver_webhook", lambda *delivery: None))

    @property
    def fault_plan(self):
        return self.shop.faults

    def webhook_create_match(self):
        return {"path": f"{API_ROOT}/webhooks", "method": "POST"}

    def clear_remote_webhooks(self):
        self.shop.registered_webhooks.clear()

    def remote_webhooks(self):
        return [(hook["topic"], hook["delivery_url"]) for hook in self.shop.registered_webhooks.values()]
