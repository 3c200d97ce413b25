from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import WooCommerceCase


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceWebhookHealth(WooCommerceCase):
    """"Check webhooks" reads GET /webhooks (every status) and compares it with the hub's topics."""

    def setUp(self):
        super().setUp()
        # registration pings the delivery URL: nobody listens in this test
        self.startPatcher(patch.object(self.shop, "deliver_webhook", lambda *delivery: None))

    def health(self):
        return {topic: status for topic, status, _detail in self.backend.webhook_health}

    def test_registered_webhooks_are_healthy(self):
        self.backend.action_register_webhooks()
        self.backend.action_check_webhooks()
        self.assertEqual(self.health(), dict.fromkeys(
            ("order.created", "order.updated", "product.created", "product.updated"), "ok"))
        self.assertEqual(self.backend.webhook_state, "ok")

    def test_paused_deleted_and_foreign_webhooks(self):
        self.backend.action_register_webhooks()
        hooks = {hook["topic"]: hook for hook in self.shop.registered_webhooks.values()}
        hooks["order.created"]["status"] = "disabled"  # WooCommerce disables a webhook after failed deliveries
        hooks["product.updated"]["delivery_url"] = "https://elsewhere.example.com/hook"
        del self.shop.registered_webhooks[hooks["order.updated"]["id"]]
        self.backend.action_check_webhooks()
        self.assertEqual(self.health(), {"order.created": "disabled", "order.updated": "missing",
                                         "product.created": "ok", "product.updated": "wrong_address"})
        self.assertEqual(self.backend.webhook_state, "missing")
        self.assertIn("Missing topics", self.backend.cockpit_html)

    def test_failed_check_is_logged(self):
        self.shop.faults.add("error", status=401, count=None)
        self.backend.action_check_webhooks()
        self.assertEqual(self.backend.webhook_state, "failed")
        self.assertEqual(self.logs("webhook", reason="Webhook check failed").state, "error")

    def test_daily_check_repairs_disabled_and_missing_webhooks(self):
        self.backend.action_register_webhooks()
        hooks = {hook["topic"]: hook for hook in self.shop.registered_webhooks.values()}
        hooks["order.created"]["status"] = "disabled"  # after repeated failed deliveries
        del self.shop.registered_webhooks[hooks["order.updated"]["id"]]
        self.backend.webhook_auto_repair = True
        self.env["shop.sync.backend"]._cron_check_webhooks()
        self.assertEqual(self.backend.webhook_state, "ok")
        active = {hook["topic"] for hook in self.shop.registered_webhooks.values() if hook["status"] == "active"}
        self.assertEqual(active, {"order.created", "order.updated", "product.created", "product.updated"})
        self.assertEqual(len(self.shop.registered_webhooks), 4, "the disabled one is re-enabled, not duplicated")
        repaired = self.logs("webhook", reason="Webhooks repaired")
        self.assertIn("order.created (disabled), order.updated (missing)", repaired.message)

    def test_daily_check_is_one_queued_job_per_backend(self):
        # a job each: a backend row written meanwhile by a running poll fails (and is retried) alone
        with trap_jobs() as trap:
            for _day in range(2):
                self.env["shop.sync.backend"].with_context(queue_job__no_delay=False)._cron_check_webhooks()
            calls = [call for call in trap.calls if call.method.__self__ == self.backend]
            self.assertEqual({(call.method.__name__, call.properties["identity_key"], call.properties["channel"])
                              for call in calls},
                             {("_check_and_repair_webhooks", f"webhook_check:{self.backend.id}",
                               "root.shop_sync.monitoring")})
            self.assertFalse(self.backend.webhook_checked_at, "checked by the job, not by the cron")

    def test_daily_check_of_an_unconfigured_connector_is_an_error_log(self):
        unconfigured = UserError("No connector is installed for this backend.")
        with patch.object(type(self.backend), "_get_adapter", side_effect=unconfigured):
            self.backend._check_and_repair_webhooks()
        log = self.logs("webhook", state="error")
        self.assertEqual((log.reason, log.message), ("Webhook check failed", str(unconfigured)))

    def test_daily_repair_refused_is_an_error_log(self):
        self.backend.action_register_webhooks()
        next(iter(self.shop.registered_webhooks.values()))["status"] = "disabled"
        self.backend.webhook_auto_repair = True
        refused = UserError("Only a Shop Sync Manager can register webhooks.")
        with patch.object(type(self.backend), "action_register_webhooks", side_effect=refused):
            self.backend._check_and_repair_webhooks()
        log = self.logs("webhook", reason="Webhook check failed")
        self.assertEqual((log.state, log.message), ("error", str(refused)))

    def test_daily_check_only_reports_without_repair(self):
        self.backend.action_register_webhooks()
        hook = next(iter(self.shop.registered_webhooks.values()))
        hook["status"] = "disabled"
        self.env["shop.sync.backend"]._cron_check_webhooks()
        self.assertEqual(self.backend.webhook_state, "disabled")
        self.assertEqual(hook["status"], "disabled")
        self.assertTrue(self.logs("webhook", reason="Webhooks not healthy"))
        self.assertFalse(self.logs("webhook", reason="Webhooks repaired"))
