from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.shop_sync_base.services.adapter import webhook_health
from odoo.addons.shop_sync_base.services.records import WebhookSubscription
from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_base.tests.common import ShopSyncCase

URL = "https://odoo.example.com/shop_sync/webhook/7/tok3n"


def test_webhook_health_per_topic():
    subscriptions = [
        WebhookSubscription("orders/create", URL + "/"),
        WebhookSubscription("orders/updated", URL, active=False),
        WebhookSubscription("orders/updated", "https://old.example.com/shop_sync/webhook/7/old-token"),
        WebhookSubscription("products/update", "https://old.example.com/shop_sync/webhook/7/old-token"),
        WebhookSubscription("products/update", URL),
        WebhookSubscription("customers/create", "https://elsewhere.example.com/x"),
    ]
    topics = ("orders/create", "orders/updated", "products/create", "products/update")
    assert webhook_health(topics, subscriptions, URL) == [
        ("orders/create", "ok", ""),
        ("orders/updated", "disabled", ""),
        ("products/create", "missing", ""),
        ("products/update", "ok", ""),
    ]
    moved = webhook_health(("customers/create",), subscriptions, URL)
    assert moved == [("customers/create", "wrong_address", "https://elsewhere.example.com/…")]


@tagged("post_install", "-at_install", "shop_sync")
class TestCockpit(ShopSyncCase):
    def test_webhook_check_shown_to_a_shop_sync_user(self):
        self.adapter.WEBHOOK_TOPICS = ("order.created", "order.updated")
        url = self.backend.webhook_url
        self.adapter.list_webhooks = lambda: [WebhookSubscription("order.created", url)]
        self.backend.action_check_webhooks()
        self.assertEqual(self.backend.webhook_state, "missing")
        user = new_test_user(self.env, "cockpituser", groups="shop_sync_base.group_shop_sync_user")
        html = self.backend.with_user(user).cockpit_html
        self.assertIn("Webhooks: Missing topics", html)
        self.assertIn("order.updated", html)
        self.assertNotIn(self.backend.webhook_token, html)

    def test_unreachable_shop_fails_the_check(self):
        def down():
            raise RemoteError("HTTP 503: unavailable", status=503, body="down")
        self.adapter.list_webhooks = down
        self.backend.action_check_webhooks()
        self.assertEqual((self.backend.webhook_state, self.backend.webhook_health), ("failed", False))
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("flow", "=", "webhook")])
        self.assertEqual((log.state, log.reason, log.response_excerpt), ("error", "Webhook check failed", "down"))

    def test_overview_times_are_in_the_reader_time_zone_to_the_second(self):
        log = self.env["shop.sync.log"]._record(self.backend, "order_import", "error", ref="1", message="boom")
        log.flush_recordset()
        self.env.cr.execute("UPDATE shop_sync_log SET create_date = '2026-01-05 10:00:00.123456' WHERE id = %s",
                            [log.id])
        self.env.invalidate_all()
        self.adapter.list_webhooks = lambda: []
        with freeze_time("2026-01-05 14:30:00"):
            self.backend.action_check_webhooks()
        user = new_test_user(self.env, "cph_user", groups="shop_sync_base.group_shop_sync_user",
                             tz="Europe/Copenhagen")
        html = self.backend.with_user(user).cockpit_html
        self.assertIn("01/05/2026 11:00:00 AM", html, "last error, in Copenhagen time")
        self.assertIn("checked 01/05/2026 03:30:00 PM", html)
        self.assertNotIn("123456", html)
        self.assertNotIn("10:00:00", html)
