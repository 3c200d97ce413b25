"""Creates in Shopify under faults that apply a mutation and then fail: a flow-3 product is found
again by its creation tag, its variants by SKU, a webhook subscription by topic and address."""

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import VariantCreateExactlyOnceMixin, WebhookCreateExactlyOnceMixin
from odoo.addons.shop_sync_shopify.services.queries import API_VERSION

from .common import ShopifyCase

GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyCreatesOnce(VariantCreateExactlyOnceMixin, ShopifyCase):
    @property
    def fault_plan(self):
        return self.sim.faults

    def product_create_match(self):
        return {"path": GRAPHQL_PATH, "contains": "productCreate("}

    def variant_create_match(self):
        return {"path": GRAPHQL_PATH, "contains": "productVariantsBulkCreate("}

    def _variants(self):
        return self.sim.state.variants.values()

    def remote_products(self, sku):
        return sorted({variant["product_id"] for variant in self._variants() if variant["sku"] == sku})

    def remote_variant_count(self, sku):
        return sum(variant["sku"] == sku for variant in self._variants())


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyWebhooksOnce(WebhookCreateExactlyOnceMixin, ShopifyCase):
    @property
    def fault_plan(self):
        return self.sim.faults

    def webhook_create_match(self):
        return {"path": GRAPHQL_PATH, "contains": "webhookSubscriptionCreate("}

    def clear_remote_webhooks(self):
        self.sim.webhook_subscriptions.clear()

    def remote_webhooks(self):
        return [(hook["topic"], hook["callback_url"]) for hook in self.sim.webhook_subscriptions.values()]
