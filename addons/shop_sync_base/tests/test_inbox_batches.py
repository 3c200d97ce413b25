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
