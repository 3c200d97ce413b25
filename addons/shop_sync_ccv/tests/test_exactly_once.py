"""Creates in CCV Shop under faults that apply the create and then fail: flow-3 products (looked up
by their product number; CCV creates no variants through the API) and webhook subscriptions."""

import json

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import (
    AFTER_WRITE_FAULTS,
    ProductCreateExactlyOnceMixin,
    WebhookCreateExactlyOnceMixin,
)
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


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvWebhooksOnce(WebhookCreateExactlyOnceMixin, CcvCase):
    @property
    def fault_plan(self):
        return self.app.faults

    def webhook_create_match(self):
        return {"path": f"{API_PREFIX}/webhooks", "method": "POST"}

    def clear_remote_webhooks(self):
        self.app.webhook_subscriptions.clear()

    def remote_webhooks(self):
        return [(hook["event"], hook["address"]) for hook in self.app.webhook_subscriptions.values()]

    def test_key_of_a_webhook_created_under_a_fault_is_stored(self):
        """CCV signs each subscription with its own key: the one whose answer was lost must be
        stored too, or its deliveries are refused until the next registration."""
        for fault in AFTER_WRITE_FAULTS:
            with self.subTest(fault=fault["kind"]):
                self.register_under_fault(fault)
                stored = json.loads(self.backend.webhook_secret)
                self.assertEqual({hook_id: hook["key"] for hook_id, hook in stored.items()},
                                 {str(hook["id"]): hook["key"] for hook in self.app.webhook_subscriptions.values()})
