from datetime import UTC, datetime
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.jobrunner.channels import ChannelManager
from odoo.addons.queue_job.tests.common import trap_jobs

from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload
from odoo.addons.shop_sync_base.tests.test_products_and_stock import product_payload


@tagged("post_install", "-at_install", "shop_sync")
class TestInboxBatches(ShopSyncCase):
    """Several inbox events per job: a burst of webhooks joins the job not started yet; one adapter
    per batch; one failing event never undoes the others."""

    def _store(self, number, object_name="order"):
        payload = order_payload(number) if object_name == "order" else product_payload(
            name=f"Cap {number}", id=f"p{number}", sku=f"CAP{number}",
            variants=[{"id": f"v{number}", "sku": f"CAP{number}-1"}])
        return self.env["shop.sync.event"]._store(self.backend, "webhook", object_name, payload,
                                                  external_id=payload["id"], external_ref=str(number))

    def _jobs(self):
        return self.env["queue.job"].search([("model_name", "=", "shop.sync.event"),
                                             ("method_name", "in", ("_process", "_process_products"))], order="id")

    def _queue(self, events):
        events.with_context(queue_job__no_delay=False)._enqueue()

    def test_webhooks_of_a_burst_join_the_job_not_started_yet(self):
        events = self._store(301) | self._store(302) | self._store(303)
        for event in events:  # one webhook request each
            self._queue(event)
        job = self._jobs()
        self.assertEqual(len(job), 1, "one job for the burst")
        self.assertEqual(job.records, events)
        self.assertEqual(job.identity_key, f"order_events:{self.backend.id}:{events[0].id}", "the first one's")
        job.records._process()
        self.assertEqual(events.mapped("state"), ["done"] * 3)
        self.assertEqual(len(self.sale_for(301) | self.sale_for(302) | self.sale_for(303)), 3)

    def test_a_job_taken_by_the_runner_or_waiting_for_a_retry_is_not_joined(self):
        first, second, third = self._store(311), self._store(312), self._store(313)
        self._queue(first)
        self._jobs().state = "enqueued"  # the runner took it: it may have started reading the inbox
        self._queue(second)
        self.assertEqual([job.records for job in self._jobs()], [first, second])
        self._jobs()[1].write({"retry": 1})  # failed once: waits for its retry
        self._queue(third)
        self.assertEqual([job.records for job in self._jobs()], [first, second, third])

    def test_jobs_are_not_joined_beyond_the_batch_size_nor_across_objects(self):
        with patch("odoo.addons.shop_sync_base.models.shop_sync_event.ORDER_BATCH", 2):
            orders = [self._store(number) for number in (321, 322, 323)]
            for event in orders:
                self._queue(event)
        product = self._store(324, "product")
        self._queue(product)
        self.assertEqual([job.records for job in self._jobs()], [orders[0] | orders[1], orders[2], product])

    def test_a_lone_order_webhook_is_started_before_background_jobs_queued_earlier(self):
        """Webhook -> sale order latency: the order's job is queued to run at once (no eta, pending)
        and queue_job's runner, with one free slot, starts it before the catalogue import queued
        before it."""
        self.backend.with_context(queue_job__no_delay=False)._shop_sync_enqueue("products_full_import")
        event = self._store(361)
        self._queue(event)
        [order_job] = self._jobs()
        background = self.env["queue.job"].search([("model_name", "=", "shop.sync.backend"),
                                                   ("method_name", "=", "_import_products")])
        self.assertEqual(len(background), 1)
        self.assertEqual((order_job.state, order_job.eta, order_job.records), ("pending", False, event))
        runner = ChannelManager()
        runner.simple_configure("root:1")
        for job in background | order_job:  # as the runner reads them when notified (oldest first)
            runner.notify(self.env.cr.dbname, job.channel, job.uuid, job.id, job.date_created, job.priority,
                          None, job.state)
        self.assertEqual([job.uuid for job in runner.get_jobs_to_run(now=0)], [order_job.uuid])

    def test_a_replay_twice_queues_one_job(self):
        event = self._store(331)
        event.with_context(queue_job__no_delay=False).action_replay()
        event.with_context(queue_job__no_delay=False).action_replay()
        self.assertEqual(self._jobs().records, event)

    def test_one_adapter_serves_the_whole_batch(self):
        events = self._store(341) | self._store(342) | self._store(343, "product") | self._store(344, "product")
        Backend = type(self.env["shop.sync.backend"])
        with patch.object(Backend, "_get_adapter", autospec=True, return_value=self.adapter) as get_adapter:
            events._process()
        self.assertEqual(get_adapter.call_count, 1)
        self.assertEqual(events.mapped("state"), ["done"] * 4)

    def test_an_event_failing_unexpectedly_leaves_the_others_imported(self):
        events = self._store(351) | self._store(352) | self._store(353)
        Importer = type(self.env["shop.sync.order.importer"])
        original = Importer._import

        def failing(importer, backend, order, event=None):
            result = original(importer, backend, order, event=event)
            if order.number == "352":
                raise RuntimeError("disk full")  # after the sale order was written: it is rolled back
            return result
        muted = mute_logger("odoo.addons.shop_sync_base.models.shop_sync_event")
        with patch.object(Importer, "_import", failing), muted:
            events._process()
        self.assertEqual(events.mapped("state"), ["done", "error", "done"])
        failed = events[1]
        self.assertEqual(failed.message, "Event not processed")
        self.assertIn("RuntimeError: disk full", failed.log_ids.filtered(lambda log: log.state == "error").message)
        self.assertFalse(self.sale_for(352), "nothing of the failed event is kept")
        self.assertEqual(len(self.sale_for(351) | self.sale_for(353)), 2)
        failed.action_replay()
        self.assertEqual(failed.state, "done", "replayed on its own")
        self.assertEqual(len(self.sale_for(352)), 1)


@tagged("post_install", "-at_install", "shop_sync")
class TestOrderBatchConfirmation(ShopSyncCase):
    """Orders of inbox events are committed as quotations marked to confirm, and the backend's confirmation
    job (flow order_confirm) confirms them after, several with one ``action_confirm`` (issue 14: the
    webhook's order is committed without waiting for procurement; a burst is confirmed together); an
    order Odoo refuses is logged and keeps none of the others out."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.confirm_orders = True
        cls.mug.is_storable = True

    def _events(self, numbers, **payload):
        return self.env["shop.sync.event"].concat(*(self.env["shop.sync.event"]._store(
            self.backend, "webhook", "order", order_payload(number, **payload), external_id=f"o{number}",
            external_ref=str(number)) for number in numbers))

    def _import(self, events):
        """Process ``events`` as their job does, trapping the jobs it queues: the trap."""
        with trap_jobs() as trap:
            events.with_context(queue_job__no_delay=False)._process()
        return trap

    def _confirm_jobs(self):
        return self.env["queue.job"].search([("model_name", "=", "shop.sync.backend"),
                                             ("method_name", "=", "_confirm_orders")], order="id")

    def _patched(self, method):
        """Patch of ``sale.order.<method>`` noting the order numbers of each call."""
        calls = []
        SaleOrder = type(self.env["sale.order"])
        original = getattr(SaleOrder, method)

        def noting(sales, *args, **kwargs):
            calls.append(sales.mapped("shop_order_number"))
            return original(sales, *args, **kwargs)
        return calls, patch.object(SaleOrder, method, noting)

    def sales_for(self, *numbers):
        return self.env["sale.order"].concat(*(self.sale_for(number) for number in numbers))

    def test_a_batch_leaves_quotations_marked_and_one_confirmation_job(self):
        events = self._events([501, 502, 503])
        calls, patched = self._patched("action_confirm")
        with patched:
            trap = self._import(events)
        self.assertEqual(calls, [], "nothing confirmed in the import job")
        self.assertEqual(events.mapped("state"), ["done"] * 3, events.mapped("message"))
        sales = self.sales_for(501, 502, 503)
        self.assertEqual(sales.mapped("state"), ["draft"] * 3)
        self.assertEqual(sales.mapped("shop_sync_to_confirm"), [True] * 3)
        self.assertFalse(sales.picking_ids)
        trap.assert_jobs_count(1, only=self.backend._confirm_orders)
        trap.assert_enqueued_job(self.backend._confirm_orders, properties={
            "identity_key": f"order_confirm:{self.backend.id}:{sales[0].id}", "priority": 7})

    def test_the_confirmation_job_confirms_the_batch_together_and_announces_each_order_once(self):
        events = self._events([504, 505, 506])
        trap = self._import(events)
        calls, patched = self._patched("action_confirm")
        announced, announcing = self._patched("_shop_sync_imported")
        with patched, announcing:
            trap.perform_enqueued_jobs()
        self.assertEqual(calls, [["504", "505", "506"]], "one action_confirm for the batch")
        self.assertEqual(announced, [["504", "505", "506"]], "the accounting hook once, after the confirmation")
        for sale in self.sales_for(504, 505, 506):
            self.assertEqual((sale.state, sale.shop_sync_to_confirm), ("sale", False))
            self.assertEqual(sale.date_order.date().isoformat(), "2026-01-05", "the shop's order date is kept")
            self.assertEqual(sale.picking_ids.move_ids.product_uom_qty, 2, "its own delivery of its own lines")

    def test_a_lone_order_event_waits_for_the_confirmation_job_too(self):
        trap = self._import(self._events([507]))
        self.assertEqual((self.sale_for(507).state, self.sale_for(507).shop_sync_to_confirm), ("draft", True))
        trap.perform_enqueued_jobs()
        self.assertEqual(self.sale_for(507).state, "sale")

    def test_an_order_refused_at_confirmation_keeps_none_of_the_others_out(self):
        events = self._events([511, 512, 513])
        trap = self._import(events)
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder._confirmation_error_message

        def refusing(sale):
            return "No route to deliver it." if sale.shop_order_number == "512" else original(sale)
        calls, patched = self._patched("action_confirm")
        announced, announcing = self._patched("_shop_sync_imported")
        with patched, announcing, patch.object(SaleOrder, "_confirmation_error_message", refusing), \
                mute_logger("odoo.addons.shop_sync_base.models.shop_sync_order_importer"):
            trap.perform_enqueued_jobs()
        self.assertEqual(calls, [["511", "512", "513"], ["511"], ["512"], ["513"]],
                         "the batch, then each order of it on its own")
        self.assertEqual(announced, [["511", "513"]])
        refused = self.sale_for(512)
        self.assertEqual((refused.state, refused.shop_sync_to_confirm), ("draft", False),
                         "kept as a quotation, out of the confirmation job's way")
        log = self.env["shop.sync.log"].search([("res_model", "=", "sale.order"), ("res_id", "=", refused.id),
                                                ("flow", "=", "order_confirm")])
        self.assertEqual((log.state, log.reason, log.message, log.external_ref),
                         ("error", "Order not confirmed", "No route to deliver it.", "512"))
        self.assertEqual(self.sales_for(511, 513).mapped("state"), ["sale", "sale"])
        self.assertEqual(events.mapped("state"), ["done"] * 3, "the import itself went well")
        # once the cause is fixed, Retry on the log confirms it
        with trap_jobs() as retry:
            log.with_context(queue_job__no_delay=False).action_retry()
        self.assertTrue(refused.shop_sync_to_confirm)
        retry.assert_jobs_count(1, only=self.backend._confirm_orders)
        retry.perform_enqueued_jobs()
        self.assertEqual((refused.state, refused.shop_sync_to_confirm), ("sale", False))

    def test_each_order_is_confirmed_once_whatever_the_jobs(self):
        trap = self._import(self._events([531, 532]))
        trap_second = self._import(self._events([533]))
        calls, patched = self._patched("action_confirm")
        with patched:
            trap.perform_enqueued_jobs()
            trap_second.perform_enqueued_jobs()
            self.backend._confirm_orders()  # a retried or overlapping job: nothing left to confirm
        self.assertEqual(calls, [["531", "532", "533"]], "the first job took the orders waiting")
        self.assertEqual(self.sales_for(531, 532, 533).mapped("state"), ["sale"] * 3)

    def test_orders_locked_by_a_concurrent_confirmation_are_left_to_it(self):
        self._import(self._events([536, 537]))
        first, second = self.sales_for(536, 537)
        Locks = "odoo.addons.shop_sync_base.models.sale_order.lock_free_rows"
        with patch(Locks, lambda cr, table, ids: [row_id for row_id in ids if row_id != first.id]):
            self.backend._confirm_orders()  # as if a concurrent job held the first one's row
        self.assertEqual((first.state, second.state), ("draft", "sale"))
        self.assertTrue(first.shop_sync_to_confirm, "still waiting, for the job that holds it")

    def test_a_job_finding_every_waiting_order_held_queues_no_other(self):
        """A burst: while one job confirms the orders waiting, the jobs their imports queued find them held;
        they end without queuing another (the holder queues the next job for what remains)."""
        self._import(self._events([538, 539]))
        Locks = "odoo.addons.shop_sync_base.models.sale_order.lock_free_rows"
        with patch("odoo.addons.shop_sync_base.models.shop_sync_order_importer.ORDER_BATCH", 1), \
                patch(Locks, lambda cr, table, ids: []), trap_jobs() as trap:
            self.backend.with_context(queue_job__no_delay=False)._confirm_orders()
        trap.assert_jobs_count(0, only=self.backend._confirm_orders)
        self.assertEqual(self.sales_for(538, 539).mapped("shop_sync_to_confirm"), [True, True])

    def test_a_job_takes_the_first_free_orders_beyond_those_held_and_leaves_the_rest_free(self):
        """Two jobs side by side: the second confirms the orders after the batch the first one holds, and
        locks no more than its own batch, so a third job can take the next one meanwhile."""
        self._import(self._events([544, 545, 546]))
        held, first, second = self.sales_for(544, 545, 546)
        asked = []

        def locking(cr, table, ids):
            asked.extend(ids)
            return [row_id for row_id in ids if row_id != held.id]
        with patch("odoo.addons.shop_sync_base.models.shop_sync_order_importer.ORDER_BATCH", 1), \
                patch("odoo.addons.shop_sync_base.models.sale_order.lock_free_rows", locking), trap_jobs() as trap:
            self.backend.with_context(queue_job__no_delay=False)._confirm_orders()
        self.assertEqual((held.state, first.state, second.state), ("draft", "sale", "draft"))
        self.assertEqual(asked, [held.id, first.id], "the order after its batch is left free")
        trap.assert_jobs_count(1, only=self.backend._confirm_orders)

    def test_more_orders_than_a_batch_queue_the_next_job(self):
        calls, patched = self._patched("action_confirm")
        with patch("odoo.addons.shop_sync_base.models.shop_sync_order_importer.ORDER_BATCH", 2), \
                trap_jobs() as trap:
            self._events([541, 542, 543]).with_context(queue_job__no_delay=False)._process()
            with patched:
                trap.perform_enqueued_jobs()
                trap.assert_jobs_count(1, only=self.backend._confirm_orders)
                trap.perform_enqueued_jobs()
        self.assertEqual(calls, [["541", "542"], ["543"]])
        self.assertEqual(self.sales_for(541, 542, 543).mapped("state"), ["sale"] * 3)

    def test_the_imports_of_a_burst_join_the_confirmation_job_not_started_yet(self):
        no_delay = {"queue_job__no_delay": False}
        self._events([551]).with_context(**no_delay)._process()
        self._events([552]).with_context(**no_delay)._process()
        job = self._confirm_jobs()
        self.assertEqual(len(job), 1, "the second import joins the waiting job")
        job.state = "enqueued"  # the runner handed it to a worker: it may read the orders before a later commit
        self._events([553]).with_context(**no_delay)._process()
        self.assertEqual(len(self._confirm_jobs()), 2)
        self.assertEqual(self._confirm_jobs()[1].identity_key,
                         f"order_confirm:{self.backend.id}:{self.sale_for(553).id}")

    def test_an_order_cancelled_before_its_confirmation_is_never_confirmed(self):
        self.backend.order_state_ids.filtered(lambda state: state.code == "cancelled").cancels_order = True
        trap = self._import(self._events([561, 562]))
        later = self.env["shop.sync.event"]._store(
            self.backend, "webhook", "order", order_payload(561, state="cancelled",
                                                             updated_at=datetime(2026, 1, 5, 11, 0, tzinfo=UTC)),
            external_id="o561", external_ref="561")
        self._import(later)
        same_batch = self._events([563]) | self.env["shop.sync.event"]._store(
            self.backend, "webhook", "order", order_payload(563, state="cancelled",
                                                             updated_at=datetime(2026, 1, 5, 11, 0, tzinfo=UTC)),
            external_id="o563", external_ref="563 cancelled")
        self._import(same_batch)
        calls, patched = self._patched("action_confirm")
        with patched:
            trap.perform_enqueued_jobs()
        self.assertEqual(calls, [["562"]])
        for number in (561, 563):
            self.assertEqual((self.sale_for(number).state, self.sale_for(number).shop_sync_to_confirm),
                             ("cancel", False))

    def test_a_refund_of_an_order_waiting_for_confirmation_is_recorded_on_its_quotation(self):
        trap = self._import(self._events([581], lines=[
            {"name": "Mug", "sku": "MUG-1", "qty": "2", "price": "100.00", "rate": "25", "id": "L1"}], refunds=[
            {"id": "R1", "amount": "100.00", "lines": [{"line": "L1", "qty": "1", "amount": "100.00"}]}]))
        sale = self.sale_for(581)
        self.assertEqual((sale.state, sale.shop_sync_to_confirm), ("draft", True))
        self.assertEqual((sale.shop_refund_ids.external_id, sale.shop_refunded_amount), ("R1", 100.0))
        self.assertEqual(sale.shop_refund_ids.line_ids.sale_line_id, sale.order_line)
        trap.perform_enqueued_jobs()
        self.assertEqual((sale.state, sale.shop_refund_count), ("sale", 1))

    def test_the_scheduled_sync_confirms_orders_left_waiting(self):
        """Queued by every import, the confirmation is also a scheduled flow: an order whose job was lost
        (e.g. failed past its retries) does not wait for the next order of its shop."""
        self._import(self._events([591]))  # its confirmation job never runs
        with trap_jobs() as trap:
            self.backend.with_context(queue_job__no_delay=False)._enqueue_sync()
        trap.assert_enqueued_job(self.backend._confirm_orders, properties={
            "identity_key": f"order_confirm:{self.backend.id}", "priority": 7})
        self.backend._confirm_orders()
        self.assertEqual(self.sale_for(591).state, "sale")

    def test_without_confirmation_orders_stay_quotations_announced_at_once(self):
        self.backend.confirm_orders = False
        announced, announcing = self._patched("_shop_sync_imported")
        with announcing:
            trap = self._import(self._events([571]))
        trap.assert_jobs_count(0, only=self.backend._confirm_orders)
        self.assertEqual(announced, [["571"]])
        self.assertEqual((self.sale_for(571).state, self.sale_for(571).shop_sync_to_confirm), ("draft", False))

    def test_the_chatter_of_an_imported_order_stays_quiet(self):
        """No "created" message, no follower for the import's user, no tracking of the values as imported
        and confirmed, in a batch or on its own: the order's Shop Sync log tells that."""
        env = self.env(context=dict(self.env.context, tracking_disable=False))
        self._events([521, 522]).with_env(env)._process()
        env["shop.sync.order.importer"]._import(self.backend, self.adapter.parse_order(order_payload(523)))
        env.flush_all()
        env.cr.precommit.run()  # tracking messages are posted before the commit
        sales = self.sale_for(521) | self.sale_for(522) | self.sale_for(523)
        self.assertEqual(sales.mapped("state"), ["sale"] * 3)
        self.assertFalse(sales.message_ids, sales.message_ids.mapped("body"))
        self.assertNotIn(env.user.partner_id, sales.message_partner_ids)
