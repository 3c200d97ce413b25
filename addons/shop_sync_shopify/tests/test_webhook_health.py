from odoo.tests import tagged

from .common import ShopifyCase


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyWebhookHealth(ShopifyCase):
    """"Check webhooks" compares the shop's webhookSubscriptions with the topics the hub needs."""

    def health(self):
        return {topic: (status, detail) for topic, status, detail in self.backend.webhook_health}

    def test_registered_webhooks_are_healthy(self):
        self.backend.action_register_webhooks()
        self.backend.action_check_webhooks()
        self.assertEqual(self.backend.webhook_state, "ok")
        self.assertTrue(self.backend.webhook_checked_at)
        self.assertEqual(set(self.health()), {"orders/create", "orders/updated", "refunds/create", "products/create",
                                              "products/update"})
        self.assertIn("Webhooks: OK", self.backend.cockpit_html)
        self.assertEqual(self.logs("webhook", reason="Webhook check").state, "done")

    def test_missing_and_moved_subscriptions(self):
        self.backend.action_register_webhooks()
        subscriptions = {item["topic"]: item for item in self.sim.webhook_subscriptions.values()}
        del self.sim.webhook_subscriptions[subscriptions["ORDERS_CREATE"]["id"]]
        moved = "https://old-odoo.example.com/shop_sync/webhook/1/secret-token"
        subscriptions["PRODUCTS_UPDATE"]["callback_url"] = moved
        self.backend.action_check_webhooks()
        health = self.health()
        self.assertEqual(health["orders/create"], ("missing", ""))
        self.assertEqual(health["products/update"],
                         ("wrong_address", "https://old-odoo.example.com/shop_sync/webhook/1/…"))
        self.assertEqual(health["orders/updated"], ("ok", ""))
        self.assertEqual(self.backend.webhook_state, "missing")
        self.assertNotIn("secret-token", self.backend.cockpit_html)
        log = self.logs("webhook", reason="Webhooks not healthy")
        self.assertEqual(log.state, "error")
        self.assertIn("orders/create: missing", log.message)

    def test_failed_check_is_logged(self):
        self.sim.faults.add("error", status=401, count=None)
        self.backend.action_check_webhooks()
        self.assertEqual(self.backend.webhook_state, "failed")
        self.assertFalse(self.backend.webhook_health)
        self.assertEqual(self.logs("webhook", reason="Webhook check failed").state, "error")
        self.assertIn("Check failed", self.backend.cockpit_html)
