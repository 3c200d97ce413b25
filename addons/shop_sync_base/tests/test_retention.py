from datetime import date, timedelta

from odoo import fields
from odoo.tests import freeze_time, tagged

from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload


@tagged("post_install", "-at_install", "shop_sync")
class TestRetention(ShopSyncCase):
    """Logs and inbox events are deleted after the company's retention; their payloads and
    request/response excerpts are blanked after the (shorter) personal-data period."""

    def setUp(self):
        super().setUp()
        self.adapter.orders["o8001"] = order_payload(8001, email="private@example.com")
        self.adapter.orders["o8002"] = order_payload(8002, state="pending")  # skipped: state not allowed
        self.backend._poll_orders()
        self.event = self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id),
                                                         ("external_id", "=", "o8001")])
        self.log = self.env["shop.sync.log"]._record(
            self.backend, "order_import", "error", ref="8001", external_id="o8001", reason="Order not imported",
            message="Totals differ", request='{"email": "private@example.com"}', response="refused")
        self.now = fields.Datetime.now()

    def apply(self, days, **kwargs):
        with freeze_time(self.now + timedelta(days=days)):
            return self.company._shop_sync_apply_retention(**kwargs)

    def test_defaults(self):
        self.assertEqual((self.company.shop_sync_log_retention_days, self.company.shop_sync_personal_data_days),
                         (90, 30))
        cron = self.env.ref("shop_sync_base.ir_cron_shop_sync_retention")
        self.assertEqual((cron.interval_number, cron.interval_type, cron.active), (1, "days", True))

    def test_personal_data_is_blanked_after_its_period_keeping_what_reconciliation_reads(self):
        self.apply(29)
        self.assertIn("private@example.com", self.event.payload)
        self.assertTrue(self.log.request_excerpt)
        self.apply(31)
        self.assertEqual((self.event.payload, self.event.payload_purged), ("", True))
        self.assertEqual((self.log.request_excerpt, self.log.response_excerpt), (False, False))
        self.assertEqual((self.log.external_ref, self.log.external_id, self.log.state, self.log.reason,
                          self.log.message), ("8001", "o8001", "error", "Order not imported", "Totals differ"))
        self.assertEqual((self.event.external_ref, self.event.state), ("8001", "done"))
        self.assertTrue(self.log.exists() and self.event.exists())

    def test_replaying_a_blanked_event_says_why_it_cannot(self):
        self.apply(31)
        self.event.action_replay()
        self.assertEqual((self.event.state, self.event.message), ("error", "Payload removed"))

    def test_logs_and_events_are_deleted_after_the_retention(self):
        self.apply(89)
        self.assertTrue(self.log.exists() and self.event.exists())
        self.apply(91)
        self.assertFalse(self.log.exists())
        self.assertFalse(self.event.exists())
        self.assertTrue(self.sale_for(8001), "only the traces go, not the imported order")

    def test_each_company_has_its_own_periods(self):
        self.company.write({"shop_sync_log_retention_days": 400, "shop_sync_personal_data_days": 200})
        self.apply(91)
        self.assertTrue(self.log.request_excerpt)
        self.apply(201)
        self.assertFalse(self.log.request_excerpt)
        self.assertTrue(self.log.exists())

    def test_batches_report_progress_and_stop_when_time_is_up(self):
        for number in range(3):
            self.env["shop.sync.log"]._record(self.backend, "order_import", "done", ref=f"9{number}")
        logs = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id)])
        steps = []
        self.assertEqual(self.apply(91, batch_size=2, progress=lambda count: steps.append(count) and 0), 2)
        self.assertEqual(steps, [2])
        self.assertEqual(len(logs.exists()), len(logs) - 2, "the rest waits for the next run")
        self.apply(91, batch_size=2, progress=lambda count: steps.append(count) or 60)
        self.assertFalse(logs.exists())
        self.assertFalse(self.event.exists())

    def test_reconciliation_retry_reads_the_order_again_once_its_event_is_blanked(self):
        self.apply(31)
        self.backend.order_state_ids.filtered(lambda state: state.code == "pending").allowed = True
        wizard = self.env["shop.sync.reconciliation"].create({
            "backend_id": self.backend.id, "date_from": date(2026, 1, 5), "date_to": date(2026, 1, 5)})
        wizard.action_compare()
        line = wizard.problem_ids.filtered(lambda line: line.order_number == "8002")
        self.assertTrue(line.event_id.payload_purged)
        line.action_retry()
        self.assertEqual(line.event_id.source, "manual")
        self.assertEqual(self.sale_for(8002).amount_total, 200)
