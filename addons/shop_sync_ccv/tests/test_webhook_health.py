from odoo.tests import tagged

from .common import CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvWebhookHealth(CcvCase):
    """"Check webhooks" reads GET /webhooks and compares it with the hub's events."""

    def health(self):
        return {topic: status for topic, status, _detail in self.backend.webhook_health}

    def test_registered_webhooks_are_healthy(self):
        self.backend.action_register_webhooks()
        self.backend.action_check_webhooks()
        self.assertEqual(self.backend.webhook_state, "ok")
        self.assertEqual(self.health(), dict.fromkeys(
            ("orders.created", "orders.updated", "products.created", "products.updated"), "ok"))

    def test_inactive_and_moved_webhooks(self):
        self.backend.action_register_webhooks()
        hooks = {hook["event"]: hook for hook in self.app.webhook_subscriptions.values()}
        hooks["orders.updated"]["is_active"] = False
        hooks["products.created"]["address"] = "https://elsewhere.example.com/hook"
        self.backend.action_check_webhooks()
        self.assertEqual(self.health(), {"orders.created": "ok", "orders.updated": "disabled",
                                         "products.created": "wrong_address", "products.updated": "ok"})
        self.assertEqual(self.backend.webhook_state, "wrong_address")

    def test_no_webhooks_at_all(self):
        self.backend.action_check_webhooks()
        self.assertEqual(set(self.health().values()), {"missing"})
        self.assertEqual(self.logs("webhook", reason="Webhooks not healthy").state, "error")
