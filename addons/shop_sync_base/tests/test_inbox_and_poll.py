import json
from datetime import UTC, datetime

from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.shop_sync_base.services.http import MAX_RETRY_AFTER, RemoteError
from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload, sale_tax


@tagged("post_install", "-at_install", "shop_sync")
class TestInboxAndPoll(ShopSyncCase):
    def _events(self):
        return self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id)])

    def test_poll_stores_then_processes_and_moves_watermark(self):
        self.adapter.orders = {"o1": order_payload(1), "o2": order_payload(2, state="pending")}
        with freeze_time("2026-01-05 12:00:00"):
            self.assertEqual(self.backend._poll_orders(), 2)
        self.assertEqual(self.backend.orders_synced_until, datetime(2026, 1, 5, 12, 0))
        events = self._events()
        self.assertEqual(sorted(events.mapped("state")), ["done", "skipped"])
        self.assertEqual(set(events.mapped("external_ref")), {"1", "2"})
        self.assertEqual(len(self.sale_for(1)), 1)

    @freeze_time("2026-01-05 10:05:00")
    def test_poll_overlap_rereads_but_never_duplicates(self):
        self.adapter.orders = {"o1": order_payload(1)}
        self.backend._poll_orders()
        self.backend._poll_orders()  # re-read in the overlap window: same payload, not stored twice
        self.assertEqual(len(self._events()), 1)
        # the order changed in the shop: stored again, recognised as already imported
        self.adapter.orders["o1"] = order_payload(1, state="cancelled", updated_at="2026-01-05T10:04:00+00:00")
        self.backend._poll_orders()
        self.assertEqual(len(self._events()), 2)
        self.assertEqual(len(self.sale_for(1)), 1)
        self.assertEqual(self._events()[0].message, "Order already imported")

    def test_poll_asks_since_watermark_minus_overlap(self):
        seen = []
        self.adapter.fetch_orders = lambda since: seen.append(since) or []
        self.backend.write({"orders_synced_until": "2026-01-05 12:00:00", "poll_overlap": 10})
        self.backend._poll_orders()
        self.assertEqual(seen, [datetime(2026, 1, 5, 11, 50, tzinfo=UTC)])

    def test_poll_failure_is_logged_and_watermark_kept(self):
        def boom(since):
            yield order_payload(7)
            raise RemoteError("Service unavailable", status=503, body="{}")
        self.adapter.fetch_orders = boom
        self.backend.orders_synced_until = "2026-01-01 00:00:00"
        self.assertFalse(self.backend._poll_orders())
        self.assertEqual(self.backend.orders_synced_until, datetime(2026, 1, 1))
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("state", "=", "error")])
        self.assertIn("503", log.message)
        self.assertEqual(len(self.sale_for(7)), 1, "what was fetched before the failure is kept")

    def test_a_continuation_the_shop_refuses_is_dropped_and_the_next_poll_starts_again(self):
        """A poll interrupted earlier continues at the shop's resume point; the shop refuses it (a
        4xx, e.g. a cursor it no longer knows): an error log, the resume point is dropped and the
        watermark stays, so the next poll walks the changes since the watermark from the start."""
        calls = []

        def fetch_orders(since, resume_from=None):
            calls.append((since, resume_from))
            if resume_from:
                raise RemoteError("Invalid cursor", status=400, body='{"errors": "invalid cursor"}')
            yield order_payload(31)

        self.adapter.fetch_orders = fetch_orders
        self.backend.write({"orders_synced_until": "2026-01-05 12:00:00", "poll_overlap": 10, "orders_poll_resume": {
            "since": "2026-01-05 11:50:00", "started": "2026-01-05 12:30:00", "after": "cursor-3"}})
        with freeze_time("2026-01-05 13:00:00"):
            self.assertFalse(self.backend._poll_orders())
        self.assertEqual(calls, [(datetime(2026, 1, 5, 11, 50, tzinfo=UTC), "cursor-3")])
        self.assertFalse(self.backend.orders_poll_resume)
        self.assertEqual(self.backend.orders_synced_until, datetime(2026, 1, 5, 12, 0), "the watermark stays")
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("state", "=", "error")])
        self.assertEqual(log.reason, "Polling failed")
        self.assertIn("Invalid cursor", log.message)
        with freeze_time("2026-01-05 13:05:00"):
            self.assertEqual(self.backend._poll_orders(), 1)
        self.assertEqual(calls[1], (datetime(2026, 1, 5, 11, 50, tzinfo=UTC), None), "from the start")
        self.assertEqual(self.backend.orders_synced_until, datetime(2026, 1, 5, 13, 5))
        self.assertEqual(len(self.sale_for(31)), 1)

    def test_a_record_that_cannot_be_identified_is_kept_in_error_and_the_others_go_on(self):
        unidentified = {"number": "13", "state": "paid", "updated_at": "2026-01-05T10:00:00+00:00"}  # no id
        self.adapter.orders = {"bad": unidentified, "o14": order_payload(14)}
        self.backend.orders_synced_until = "2026-01-01 00:00:00"
        with freeze_time("2026-01-05 12:00:00"):
            self.backend._poll_orders()
        self.assertEqual(self.backend.orders_synced_until, datetime(2026, 1, 5, 12, 0))
        self.assertEqual(len(self.sale_for(14)), 1)
        bad = self._events().filtered(lambda event: not event.external_id)
        self.assertEqual((bad.state, bad.message), ("error", "Payload not understood"))
        self.assertEqual(json.loads(bad.payload), unidentified, "kept for a replay")
        self.assertIn("KeyError", bad.log_ids.message)
        poll = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("reason", "=", "Poll")])
        self.assertEqual(poll.message, "2 fetched, 1 new or changed. 1 not understood (each has its error log).")
        with freeze_time("2026-01-05 12:05:00"):
            self.backend._poll_orders()  # met again in the overlap window: stored and logged once
        self.assertEqual(len(self._events()), 2)
        self.assertEqual(len(bad.log_ids), 1)

    def test_an_answer_the_adapter_cannot_walk_fails_the_poll_not_the_job(self):
        def page_without_cursor(since):
            yield order_payload(15)
            raise KeyError("endCursor")
        self.adapter.fetch_orders = page_without_cursor
        self.backend.orders_synced_until = "2026-01-01 00:00:00"
        self.assertFalse(self.backend._poll_orders())
        self.assertEqual(self.backend.orders_synced_until, datetime(2026, 1, 1), "the next run asks again")
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("state", "=", "error")])
        self.assertEqual((log.reason, log.message),
                         ("Polling failed", "The shop's answer could not be read: KeyError: 'endCursor'"))
        self.assertEqual(len(self.sale_for(15)), 1, "what was read before is kept")

    def test_a_payload_nested_too_deeply_is_an_error_log_of_its_event(self):
        event = self.env["shop.sync.event"]._store(self.backend, "webhook", "order", "[" * 100_000, external_id="x")
        event._process()
        self.assertEqual((event.state, event.log_ids.reason), ("error", "Malformed payload"))
        self.assertIn("nested too deeply", event.log_ids.message)

    def test_an_order_delivered_after_a_newer_version_changes_nothing(self):
        self.import_order(order_payload(16, updated_at="2026-01-05T10:00:00+00:00"))
        newer = order_payload(16, state="cancelled", updated_at="2026-01-05T10:30:00+00:00")
        older = order_payload(16, state="paid", updated_at="2026-01-05T10:20:00+00:00")
        self.assertIn("changed from paid to cancelled", self.import_order(newer).message)
        log = self.import_order(older)
        self.assertEqual((log.state, log.reason), ("skipped", "Older than the version already imported"))
        self.assertIn("version of 2026-01-05 10:30:00 (UTC); this one is of 2026-01-05 10:20:00", log.message)
        self.assertEqual(self.sale_for(16).shop_order_state, "cancelled", "not rolled back")
        binding = self.env["shop.sync.binding"]._find(self.backend, "sale.order", "o16")
        self.assertEqual(binding.remote_updated_at, datetime(2026, 1, 5, 10, 30))

    def test_replaying_an_event_never_creates_a_second_order(self):
        event = self.env["shop.sync.event"]._store(self.backend, "manual", "order", order_payload(5),
                                                   adapter=self.adapter)
        event._process()
        event.action_replay()
        event._process()
        self.assertEqual(len(self.sale_for(5)), 1)
        self.assertEqual(event.log_ids.sorted("id").mapped("state"), ["done", "skipped", "skipped"])

    def test_replay_uses_current_mappings(self):
        payload = order_payload(6, lines=[{"name": "Mug", "sku": "MUG-1", "qty": "1", "price": "100", "rate": "19"}])
        event = self.env["shop.sync.event"]._store(self.backend, "manual", "order", payload, adapter=self.adapter)
        event._process()
        self.assertEqual(event.state, "error")
        tax19 = sale_tax(self.env, 19)
        self.env["shop.sync.mapping"].create({"backend_id": self.backend.id, "mapping_type": "tax", "tax_rate": 19,
                                              "tax_id": tax19.id})
        event.log_ids.action_retry()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.sale_for(6).order_line.tax_ids, tax19)

    def test_malformed_and_unreadable_payloads_are_logged(self):
        Event = self.env["shop.sync.event"]
        broken = Event._store(self.backend, "webhook", "order", "{not json", external_id="x")
        broken._process()
        self.assertEqual((broken.state, broken.log_ids.reason), ("error", "Malformed payload"))
        unreadable = Event._store(self.backend, "webhook", "order", json.dumps({"id": "o9"}), external_id="o9")
        unreadable._process()
        self.assertEqual(unreadable.log_ids.reason, "Payload not understood")
        self.assertIn("KeyError", unreadable.log_ids.message)

    def test_logs_searchable_by_order_number(self):
        self.import_order(order_payload(4242, state="pending"))
        logs = self.env["shop.sync.log"].search([("external_ref", "ilike", "4242")])
        self.assertEqual(logs.reason, "Order state not allowed")

    def test_one_bad_order_does_not_stop_the_others(self):
        bad = order_payload(11, lines=[{"name": "X", "sku": "NOPE", "qty": "1", "price": "1", "rate": "25"}])
        self.adapter.orders = {"o11": bad, "o12": order_payload(12)}
        self.backend._poll_orders()
        self.assertFalse(self.sale_for(11))
        self.assertEqual(len(self.sale_for(12)), 1)
        self.assertEqual(sorted(self._events().mapped("state")), ["done", "error"])



    def _unreachable_shop(self, number, **error):
        """An event whose record the shop cannot give while it is read (e.g. a webhook re-fetched)."""
        event = self.env["shop.sync.event"]._store(self.backend, "webhook", "order", order_payload(number),
                                                   external_id=f"o{number}", external_ref=str(number))
        parse = self.adapter.parse_order

        def refused(payload):
            raise RemoteError("Service unavailable", **{"status": 503, "retryable": True, **error})
        self.adapter.parse_order = refused
        return event, parse

    def _process_in_job(self, event):
        """Run ``event``'s job once; return (the job, the RetryableJobError it raised)."""
        event.with_context(queue_job__no_delay=False)._enqueue()
        job = self.env["queue.job"].search([("model_name", "=", "shop.sync.event"), ("method_name", "=", "_process"),
                                            ("state", "=", "pending")], order="id desc", limit=1)
        Log = type(self.env["shop.sync.log"])
        # the attempt is logged in its own transaction (it survives the job's rollback); here in the test's
        # (not assertRaises: Odoo's rolls the savepoint back, and the log with it)
        with patch.object(Log, "_record_detached", lambda log, *args, **kw: log._record(*args, **kw).id):
            try:
                event.with_context(job_uuid=job.uuid)._process()
            except RetryableJobError as exc:
                return job, exc
        self.fail("the job is not retried")

    def test_remote_error_while_reading_is_retried_by_the_job(self):
        event, _parse = self._unreachable_shop(21, retry_after=7)
        job, retry = self._process_in_job(event)
        self.assertEqual(retry.seconds, 7, "the remote's Retry-After is the delay")
        self.assertEqual(event.state, "pending")
        log = self.env["shop.sync.log"].search([("event_id", "=", event.id)])
        self.assertEqual((log.state, log.reason), ("error", "Remote error"))
        self.assertIn("HTTP 503: Service unavailable", log.message)
        self.assertIn(f"attempt 1 of {job.max_retries}", log.message)

    def test_a_remote_asking_to_wait_for_ever_postpones_the_job_by_the_cap(self):
        event, _parse = self._unreachable_shop(23, status=429, retry_after=float("inf"))
        _job, retry = self._process_in_job(event)
        self.assertEqual(retry.seconds, MAX_RETRY_AFTER, "an hour at most, and no OverflowError")
        self.assertEqual(event.state, "pending")

    def test_remote_error_on_the_last_try_keeps_the_event_for_a_retry(self):
        event, parse = self._unreachable_shop(22)
        event.with_context(queue_job__no_delay=False)._enqueue()
        job = self.env["queue.job"].search([("model_name", "=", "shop.sync.event"), ("state", "=", "pending")],
                                           order="id desc", limit=1)
        job.retry = job.max_retries - 1
        event.with_context(job_uuid=job.uuid)._process()
        self.assertEqual((event.state, event.message), ("error", "Remote error"))
        self.assertIn("use Retry once the remote answers", event.log_ids.message)
        self.adapter.parse_order = parse
        event.log_ids.action_retry()
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.sale_for(22)), 1)

    def test_remote_error_outside_a_job_is_logged_not_raised(self):
        event, _parse = self._unreachable_shop(23, status=401, retryable=False)
        event.action_process_now()
        self.assertEqual((event.state, event.log_ids.reason), ("error", "Remote error"))
        self.assertIn("HTTP 401", event.log_ids.message)

    def test_bad_line_or_total_leaves_nothing_half_written_and_the_event_replays(self):
        counts = lambda: {model: self.env[model].search_count([])  # noqa: E731
                          for model in ("sale.order", "sale.order.line", "res.partner", "shop.sync.binding")}
        before = counts()
        good = {"name": "Mug", "sku": "MUG-1", "qty": "1", "price": "100", "rate": "25"}
        untaxed = {"name": "Mug", "sku": "MUG-1", "qty": "1", "price": "100", "rate": "19"}
        Event = self.env["shop.sync.event"]
        bad_tax = Event._store(self.backend, "webhook", "order", order_payload(31, email="new31@example.com",
                                                                              lines=[good, untaxed]),
                               adapter=self.adapter)
        bad_total = Event._store(self.backend, "webhook", "order", order_payload(
            32, email="new32@example.com", lines=[good], total="99.99"), adapter=self.adapter)
        (bad_tax | bad_total)._process()
        self.assertEqual((bad_tax.state, bad_total.state), ("error", "error"))
        self.assertIn("the shop charged 19% VAT for Denmark", bad_tax.log_ids.message)
        self.assertIn("Totals differ", bad_total.log_ids.message, "raised after the sale order was created")
        self.assertEqual(counts(), before, "no order, line, customer or binding of a failed import is left")
        self.env["shop.sync.mapping"].create({"backend_id": self.backend.id, "mapping_type": "tax", "tax_rate": 19,
                                              "tax_id": sale_tax(self.env, 19).id})
        bad_tax.log_ids.action_retry()
        self.assertEqual(bad_tax.state, "done")
        self.assertEqual(len(self.sale_for(31).order_line), 2, "the kept event imports the whole order")
