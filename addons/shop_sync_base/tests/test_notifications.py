from datetime import timedelta

from odoo import fields
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.shop_sync_base.tests.common import ShopSyncCase


@tagged("post_install", "-at_install", "shop_sync")
class TestErrorNotifications(ShopSyncCase):
    """Errors become one activity per backend, flow and responsible user while it is open; a refused
    connection notifies at once; a daily digest e-mail lists the errors."""

    def setUp(self):
        super().setUp()
        self.anna = new_test_user(self.env, "sync_anna", groups="shop_sync_base.group_shop_sync_user",
                                  email="anna@shop.example")
        self.bo = new_test_user(self.env, "sync_bo", groups="shop_sync_base.group_shop_sync_manager",
                                email="bo@shop.example")
        self.backend.write({"responsible_user_ids": [(6, 0, (self.anna | self.bo).ids)], "error_threshold": 3,
                            "error_period": 2})

    def error(self, flow="order_import", message="Unknown SKU X", reason="Order not imported"):
        return self.env["shop.sync.log"]._record(self.backend, flow, "error", ref="7001", reason=reason,
                                                 message=message)

    def activities(self, key=None):
        domain = [("res_model", "=", "shop.sync.backend"), ("res_id", "=", self.backend.id)]
        return self.env["mail.activity"].search(domain + ([("shop_sync_key", "=", key)] if key else []))

    def test_one_activity_per_flow_and_user_once_the_threshold_is_reached(self):
        self.error()
        self.error()
        self.env["shop.sync.log"]._record(self.backend, "order_import", "done", ref="7002")
        self.assertFalse(self.activities(), "2 errors, threshold 3")
        self.error()
        self.error()
        self.error(flow="stock_export")
        activities = self.activities()
        self.assertEqual(len(activities), 2, "one per responsible user, not one per error")
        self.assertEqual(activities.user_id, self.anna | self.bo)
        self.assertEqual(set(activities.mapped("shop_sync_key")), {"order_import"})
        self.assertEqual(activities.activity_type_id, self.env.ref("shop_sync_base.mail_activity_type_sync_error"))
        self.assertIn("3 Order import errors in the last 2 hours", activities[0].note)
        self.assertIn("/action-shop_sync_base.action_server_shop_sync_similar_errors", activities[0].note)
        # done by Anna: her next error of the flow opens a new one; Bo's stays the only one of his
        activities.filtered(lambda activity: activity.user_id == self.anna).action_done()
        self.error()
        self.assertEqual(len(self.activities("order_import")), 2)
        self.assertEqual(self.activities("order_import").user_id, self.anna | self.bo)

    def test_errors_older_than_the_period_do_not_count(self):
        old = self.error() | self.error()
        old.flush_recordset()
        self.env.cr.execute("UPDATE shop_sync_log SET create_date = create_date - interval '3 hours' WHERE id IN %s",
                            [tuple(old.ids)])
        old.invalidate_recordset(["create_date"])
        self.error()
        self.assertFalse(self.activities())

    def test_refused_credentials_notify_at_once(self):
        self.error(flow="order_import", reason="Polling failed", message="HTTP 401: Invalid API key")
        [anna, bo] = self.activities("connection_lost").sorted(lambda activity: activity.user_id != self.anna)
        self.assertEqual((anna.user_id, bo.user_id), (self.anna, self.bo))
        self.assertIn("refused the credentials", anna.note)
        self.error(flow="connection", reason="Connection failed", message="HTTP 403: Forbidden")
        self.assertEqual(len(self.activities()), 2, "still open: no second notification")

    def test_no_responsible_user_no_activity(self):
        self.backend.responsible_user_ids = False
        for _attempt in range(3):
            self.error(message="HTTP 401: Invalid API key")
        self.assertFalse(self.env["mail.activity"].search([("res_model", "=", "shop.sync.backend")]))

    def test_activity_link_opens_the_errors_of_the_backend_and_flow(self):
        log = self.error()
        action = self.env.ref("shop_sync_base.action_server_shop_sync_similar_errors").with_user(self.anna) \
            .with_context(active_id=log.id).run()
        self.assertEqual(action["res_model"], "shop.sync.log")
        self.assertEqual(action["domain"], [("backend_id", "=", self.backend.id), ("flow", "=", "order_import"),
                                            ("state", "=", "error")])
        self.assertEqual(action["name"], "Memory shop: Order import errors")

    def test_daily_digest_mails_each_responsible_user_once(self):
        self.backend.notify_digest = True
        self.error()
        self.error()
        self.error(flow="stock_export", reason="Stock not pushed", message="location not stocked")
        outsider = self.env["shop.sync.backend"].create({"name": "Quiet shop", "notify_digest": True,
                                                         "responsible_user_ids": [(6, 0, self.bo.ids)]})
        self.env["shop.sync.log"]._record(outsider, "order_import", "error", reason="Order not imported")
        now = fields.Datetime.now()
        with freeze_time(now + timedelta(hours=1)):
            mails = self.env["shop.sync.backend"]._cron_error_digest()
        self.assertEqual(len(mails), 2)
        by_user = {mail.recipient_ids: mail for mail in mails}
        anna_mail = by_user[self.anna.partner_id]
        self.assertEqual(anna_mail.subject, "Shop Sync: 3 errors in the last 24 hours")
        self.assertIn("Order not imported", anna_mail.body_html)
        self.assertIn("Stock not pushed", anna_mail.body_html)
        self.assertNotIn("Quiet shop", anna_mail.body_html)
        self.assertIn("Quiet shop", by_user[self.bo.partner_id].body_html)
        with freeze_time(now + timedelta(hours=25)):
            self.assertFalse(self.env["shop.sync.backend"]._cron_error_digest(), "nothing new in the last 24 hours")

    def test_digest_only_when_asked(self):
        self.error()
        self.assertFalse(self.env["shop.sync.backend"]._cron_error_digest())

    def test_daily_crons(self):
        for xmlid in ("ir_cron_shop_sync_error_digest", "ir_cron_shop_sync_webhooks"):
            cron = self.env.ref(f"shop_sync_base.{xmlid}")
            self.assertEqual((cron.interval_number, cron.interval_type, cron.active), (1, "days", True))
