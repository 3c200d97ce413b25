from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload


@tagged("post_install", "-at_install", "shop_sync")
class TestSecurity(ShopSyncCase):
    def test_user_reads_logs_but_not_credentials(self):
        user = new_test_user(self.env, "syncuser", groups="shop_sync_base.group_shop_sync_user")
        backend = self.backend.with_user(user)
        self.assertEqual(backend.name, "Memory shop")
        with self.assertRaises(AccessError):
            backend.read(["webhook_secret"])
        with self.assertRaises(AccessError):
            backend.write({"name": "changed"})
        self.env["shop.sync.log"]._record(self.backend, "order_import", "done", ref="1")
        self.assertTrue(self.env["shop.sync.log"].with_user(user).search([("external_ref", "=", "1")]))

    def test_manager_configures(self):
        manager = new_test_user(self.env, "syncmgr", groups="shop_sync_base.group_shop_sync_manager")
        backend = self.backend.with_user(manager)
        backend.webhook_secret = "rotated"
        self.assertEqual(backend.webhook_secret, "rotated")

    def test_other_company_backends_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = self.env["shop.sync.backend"].create({"name": "Foreign", "company_id": other.id})
        user = new_test_user(self.env, "syncuser2", groups="shop_sync_base.group_shop_sync_manager")
        self.assertNotIn(foreign, self.env["shop.sync.backend"].with_user(user).search([]))

    def test_binding_is_unique_per_external_id(self):
        from psycopg2.errors import UniqueViolation
        Binding = self.env["shop.sync.binding"]
        Binding.create({"backend_id": self.backend.id, "model": "sale.order", "res_id": 1, "external_id": "X"})
        with self.assertRaises(UniqueViolation), self.env.cr.savepoint():
            Binding.create({"backend_id": self.backend.id, "model": "sale.order", "res_id": 2, "external_id": "X"})

    def test_default_field_rules_exist(self):
        rules = self.backend.field_rule_ids
        name = rules.filtered(lambda r: (r.object, r.direction, r.field) == ("product", "import", "name"))
        price = rules.filtered(lambda r: (r.object, r.direction, r.field) == ("product", "import", "price"))
        self.assertEqual((name.on_create, name.on_update), (True, False))
        self.assertEqual((price.on_create, price.on_update), (True, True))


@tagged("post_install", "-at_install", "shop_sync")
class TestSchedule(ShopSyncCase):
    def test_cron_enqueues_per_backend_jobs_on_its_interval(self):
        self.backend.write({"sync_products": True, "sync_stock": True, "next_sync_at": False})
        Backend = self.env["shop.sync.backend"]
        with freeze_time("2026-01-05 12:00:00"), trap_jobs() as trap:
            Backend._cron_sync()
            trap.assert_jobs_count(3)
            trap.assert_enqueued_job(self.backend._poll_orders, properties={"channel": "root.shop_sync.orders"})
            trap.assert_enqueued_job(self.backend._export_stock, properties={"channel": "root.shop_sync.stock"})
        with freeze_time("2026-01-05 12:04:00"), trap_jobs() as trap:
            Backend._cron_sync()
            trap.assert_jobs_count(0)
        with freeze_time("2026-01-05 12:05:00"), trap_jobs() as trap:
            Backend._cron_sync()
            trap.assert_jobs_count(3)

    def test_cron_record_runs_every_minute(self):
        cron = self.env.ref("shop_sync_base.ir_cron_shop_sync")
        self.assertEqual((cron.interval_number, cron.interval_type, cron.active), (1, "minutes", True))
        self.assertEqual(self.backend.sync_interval, 5)

    def test_connection_button_logs(self):
        self.backend.action_test_connection()
        self.assertEqual(self.backend.connection_state, "ok")
        self.assertEqual(self.backend.connection_message, "memory shop")

    def test_overview_shows_last_runs_and_errors(self):
        Log = self.env["shop.sync.log"]
        Log._record(self.backend, "order_import", "done", ref="1")
        Log._record(self.backend, "order_import", "error", ref="2", message="boom")
        self.backend.invalidate_recordset(["cockpit_html"])
        html = str(self.backend.cockpit_html)
        self.assertIn("Order import", html)
        self.assertIn("<td>1</td></tr>", html, "one error in the last 24 h")
        self.assertNotIn("Stock export", html, "flows never run are not listed")

    def test_overview_counts_the_jobs_of_its_backend(self):
        other = self.env["shop.sync.backend"].create({"name": "Other shop"}).with_context(queue_job__no_delay=False)
        self.adapter.orders["o1"] = order_payload(1)
        self.adapter.orders["o2"] = order_payload(2)
        polled = self.backend.with_context(queue_job__no_delay=False)
        with patch("odoo.addons.shop_sync_base.models.shop_sync_event.ORDER_BATCH", 1):
            polled._poll_orders()  # two event jobs queued (one order per job)
        polled.with_delay()._export_stock()
        other.with_delay()._export_stock()
        self.env["queue.job"].search([("model_name", "=", "shop.sync.event")], limit=1).state = "failed"
        (self.backend | other).invalidate_recordset(["cockpit_html"])
        self.assertIn("Jobs of this backend: 2 queued or running, 1 failed.", str(self.backend.cockpit_html))
        self.assertIn("Jobs of this backend: 1 queued or running, 0 failed.", str(other.cockpit_html))
