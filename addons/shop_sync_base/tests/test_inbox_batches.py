from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.jobrunner.channels import ChannelManager

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
    """The new orders of a batch of inbox events are confirmed with one ``action_confirm`` (issue 14:
    a burst of webhooks); an order that cannot be confirmed is logged and keeps none of the others out."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.confirm_orders = True
        cls.mug.is_storable = True

    def _events(self, numbers):
        return self.env["shop.sync.event"].concat(*(self.env["shop.sync.event"]._store(
            self.backend, "webhook", "order", order_payload(number), external_id=f"o{number}",
            external_ref=str(number)) for number in numbers))

    def _confirmations(self):
        """Patch of ``sale.order.action_confirm`` noting the order numbers of each call."""
        calls = []
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder.action_confirm

        def action_confirm(sales):
            calls.append(sales.mapped("shop_order_number"))
            return original(sales)
        return calls, patch.object(SaleOrder, "action_confirm", action_confirm)

    def test_the_new_orders_of_a_batch_are_confirmed_together(self):
        events = self._events([501, 502, 503])
        calls, patched = self._confirmations()
        with patched:
            events._process()
        self.assertEqual(events.mapped("state"), ["done"] * 3, events.mapped("message"))
        self.assertEqual(calls, [["501", "502", "503"]], "one action_confirm for the batch")
        for number in (501, 502, 503):
            sale = self.sale_for(number)
            self.assertEqual(sale.state, "sale")
            self.assertEqual(sale.date_order.date().isoformat(), "2026-01-05", "the shop's order date is kept")
            self.assertEqual(sale.picking_ids.move_ids.product_uom_qty, 2, "its own delivery of its own lines")

    def test_an_order_refused_at_confirmation_keeps_none_of_the_others_out(self):
        events = self._events([511, 512, 513])
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder._confirmation_error_message

        def refusing(sale):
            return "No route to deliver it." if sale.shop_order_number == "512" else original(sale)
        calls, patched = self._confirmations()
        with patched, patch.object(SaleOrder, "_confirmation_error_message", refusing), \
                mute_logger("odoo.addons.shop_sync_base.models.shop_sync_order_importer"):
            events._process()
        self.assertEqual(calls, [["511", "512", "513"], ["511"], ["512"], ["513"]],
                         "the batch, then each order of it on its own")
        self.assertEqual(events.mapped("state"), ["done", "error", "done"], events.mapped("message"))
        refused = events[1].log_ids
        self.assertEqual(len(refused), 1, "the batch's first attempt left no log")
        self.assertEqual((refused.state, refused.reason, refused.message),
                         ("error", "Order not imported", "No route to deliver it."))
        self.assertFalse(self.sale_for(512), "nothing of the refused order is kept: Retry imports it")
        self.assertEqual((self.sale_for(511) | self.sale_for(513)).mapped("state"), ["sale", "sale"])
        self.assertEqual(len(self.env["shop.sync.log"].search([("event_id", "in", events.ids)])), 3)
        self.assertEqual(self.env["shop.sync.binding"].search_count([
            ("backend_id", "=", self.backend.id), ("external_id", "in", ["o511", "o512", "o513"])]), 2)

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
