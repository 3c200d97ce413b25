"""The flow registry: every declared flow has its job function (channel) in XML, a way in from the UI
and, when scheduled, from the cron; every job is queued with an identity key, so a double click,
a Retry or a Replay of what already waits queues nothing more."""

from unittest.mock import patch

from odoo.tests import freeze_time, tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from ..services.http import RemoteError

from .common import ShopSyncCase, deliver, order_payload
from .test_products_and_stock import product_payload

# flows no button queues by hand, and what queues them
WITHOUT_BUTTON = {"accounting_cancel": "the shop's cancellation, through the order import",
                  "order_confirm": "the order import of inbox events; Retry on a refused confirmation's log",
                  "webhook_check": "the daily check (the form's Check webhooks button runs it at once)"}


@tagged("post_install", "-at_install", "shop_sync")
class TestFlowDeclarations(ShopSyncCase):
    def declarations(self):
        return self.env["shop.sync.backend"]._shop_sync_flow_declarations()

    def test_flow_keys_are_unique_per_kind(self):
        keys = [(flow.key, flow.role, flow.kind) for flow in self.declarations()]
        self.assertEqual(len(keys), len(set(keys)))

    def test_every_flow_has_its_job_function_and_channel_in_xml(self):
        Function = self.env["queue.job.function"]
        for flow in self.declarations():
            with self.subTest(flow=flow.key, kind=flow.kind):
                self.assertTrue(callable(getattr(self.env[flow.model], flow.method, None)))
                function = Function.search([("name", "=", Function.job_function_name(flow.model, flow.method))])
                self.assertEqual(len(function), 1, "declared in the addon's queue.job.function data")
                self.assertTrue(function.channel.startswith("root.shop_sync."), function.channel)
                self.assertEqual(self.backend._shop_sync_channel(flow), function.channel)
                self.assertIn(flow.direction, ("inbound", "outbound"))
                self.assertIn(flow.log_flow, dict(self.env["shop.sync.log"]._fields["flow"].selection))
                if flow.enabled_by:
                    self.assertEqual(self.env["shop.sync.backend"]._fields[flow.enabled_by].type, "boolean")

    def test_every_flow_is_reachable_from_a_button_of_a_view(self):
        View = self.env["ir.ui.view"]
        for flow in self.declarations():
            with self.subTest(flow=flow.key, kind=flow.kind):
                if flow.button is None:
                    self.assertIn(flow.key, WITHOUT_BUTTON)
                    continue
                model, method = flow.button
                self.assertTrue(callable(getattr(self.env[model], method, None)), flow.button)
                views = View.search([("model", "=", model), ("type", "in", ("form", "list")),
                                     ("arch_db", "like", f'name="{method}"')])
                self.assertTrue(views, f"a button {method} on a view of {model}")


@tagged("post_install", "-at_install", "shop_sync")
class TestFlowJobs(ShopSyncCase):
    def setUp(self):
        super().setUp()
        self.backend.write({"sync_orders": True, "sync_products": True, "sync_stock": True, "next_sync_at": False})
        self.queued = self.backend.with_context(queue_job__no_delay=False)

    def jobs(self, method, model="shop.sync.backend"):
        return self.env["queue.job"].search([("model_name", "=", model), ("method_name", "=", method),
                                             ("state", "=", "pending")])

    def test_the_cron_queues_each_scheduled_flow_with_its_identity_key_and_channel(self):
        scheduled = self.backend._shop_sync_scheduled_flows()
        self.assertEqual([flow.key for flow in scheduled], ["orders_poll", "products_poll", "stock_export"])
        with freeze_time("2026-01-05 12:00:00"), trap_jobs() as trap:
            self.env["shop.sync.backend"]._cron_sync()
            queued = [call for call in trap.calls if call.method.__self__ == self.backend]
        self.assertEqual([(call.method.__name__, call.kwargs, call.properties["identity_key"],
                           call.properties["channel"]) for call in queued], [
            ("_poll_orders", {}, f"orders_poll:{self.backend.id}", "root.shop_sync.orders"),
            ("_import_products", {}, f"products_poll:{self.backend.id}", "root.shop_sync.products"),
            ("_export_stock", {}, f"stock_export:{self.backend.id}", "root.shop_sync.stock"),
        ])

    def test_a_double_click_queues_one_job(self):
        for _click in range(2):
            self.queued.action_sync_now()
            self.queued.action_import_all_products()
        self.assertEqual(len(self.jobs("_poll_orders")), 1)
        self.assertEqual(len(self.jobs("_export_stock")), 1)
        imports = self.jobs("_import_products")
        self.assertEqual(len(imports), 2, "the poll and the full import are two flows")
        self.assertEqual(sorted(imports.mapped("channel")), ["root.shop_sync.products"] * 2)
        self.env["shop.sync.backend"].with_context(queue_job__no_delay=False)._cron_sync()
        self.assertEqual(len(self.jobs("_poll_orders")), 1, "the cron adds nothing to what waits")

    def test_retry_of_a_log_goes_through_the_registry(self):
        Log = self.env["shop.sync.log"]
        logs = Log._record(self.backend, "order_import", "error", reason="Polling failed") | \
            Log._record(self.backend, "order_import", "error", reason="Polling failed")
        logs.with_context(queue_job__no_delay=False).action_retry()
        logs.with_context(queue_job__no_delay=False).action_retry()
        job = self.jobs("_poll_orders")
        self.assertEqual((len(job), job.identity_key, job.channel),
                         (1, f"orders_poll:{self.backend.id}", "root.shop_sync.orders"))
        connection = Log._record(self.backend, "connection", "error", reason="Connection failed")
        with trap_jobs() as trap:
            connection.action_retry()
            trap.assert_jobs_count(0)

    def test_replay_and_retry_of_an_event_queue_one_job(self):
        self.adapter.orders["o7"] = order_payload(7)
        self.queued._poll_orders()
        event = self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id), ("external_id", "=", "o7")])
        job = self.jobs("_process", "shop.sync.event")
        self.assertEqual((len(job), job.identity_key, job.channel),
                         (1, f"order_events:{self.backend.id}:{event.id}", "root.shop_sync.orders"))
        event.with_context(queue_job__no_delay=False).action_replay()
        log = self.env["shop.sync.log"]._record(self.backend, "order_import", "error", event=event)
        log.with_context(queue_job__no_delay=False).action_retry()
        self.assertEqual(self.jobs("_process", "shop.sync.event"), job)

    def test_product_events_run_on_the_products_channel(self):
        self.adapter.products["p1"] = product_payload()
        self.queued._import_products(full=True)
        job = self.jobs("_process_products", "shop.sync.event")
        self.assertEqual((len(job), job.channel), (1, "root.shop_sync.products"))

    def test_every_enqueue_has_an_identity_key(self):
        self.adapter.orders["o8"] = order_payload(8)
        queued = self.env["shop.sync.backend"].with_context(queue_job__no_delay=False)
        with trap_jobs() as trap:
            queued._cron_sync()
            self.queued.action_import_all_products()
            trap.perform_enqueued_jobs()  # the poll queues the order's event
            trap.perform_enqueued_jobs()  # which imports the order
            sale = self.sale_for(8)
            sale.action_confirm()
            deliver(sale.with_context(queue_job__no_delay=False))
            events = self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id)])
            events.with_context(queue_job__no_delay=False).action_replay()
            self.env["shop.sync.log"]._record(self.backend, "stock_export", "error").with_context(
                queue_job__no_delay=False).action_retry()
        self.assertGreaterEqual({call.method.__name__ for call in trap.calls},
                                {"_poll_orders", "_import_products", "_export_stock", "_process",
                                 "_export_fulfilment"})
        self.assertEqual([call for call in trap.calls if not call.properties.get("identity_key")], [])

    def test_the_overview_lists_switched_on_flows_never_run(self):
        self.backend.invalidate_recordset(["cockpit_html"])
        html = str(self.backend.cockpit_html)
        for label in ("Order import", "Product import", "Stock export"):
            self.assertIn(label, html)
        self.backend.sync_stock = False
        self.backend.invalidate_recordset(["cockpit_html"])
        self.assertNotIn("Stock export", str(self.backend.cockpit_html))


@tagged("post_install", "-at_install", "shop_sync")
class TestRemoteFailureRule(ShopSyncCase):
    """Retryable -> the job is postponed (RetryableJobError, the remote's Retry-After), the attempt logged;
    permanent -> an error log, the watermark kept."""

    def run_in_job(self, key):
        job = self.backend.with_context(queue_job__no_delay=False)._shop_sync_enqueue(key)
        Log = type(self.env["shop.sync.log"])
        # the attempt is logged in its own transaction; here in the test's, to be read
        with patch.object(Log, "_record_detached", lambda log, *args, **kw: log._record(*args, **kw).id):
            try:
                getattr(self.backend.with_context(job_uuid=job.uuid), self.backend._shop_sync_flow(key).method)()
            except RetryableJobError as exc:
                return exc
        return None

    def failing_poll(self, **error):
        def fetch_orders(since):
            raise RemoteError("Service unavailable", **{"status": 503, **error})
        self.adapter.fetch_orders = fetch_orders

    def test_a_retryable_poll_failure_postpones_the_job_and_keeps_the_watermark(self):
        self.failing_poll(retryable=True, retry_after=30)
        retry = self.run_in_job("orders_poll")
        self.assertIsNotNone(retry, "the job is retried later")
        self.assertEqual(retry.seconds, 30, "by the remote's Retry-After")
        self.assertFalse(self.backend.orders_synced_until)
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("flow", "=", "order_import")])
        self.assertEqual((log.state, log.reason), ("error", "Polling failed"))
        self.assertIn("; the job tries again later (attempt 1 of", log.message)

    def test_a_permanent_poll_failure_is_an_error_log_and_the_watermark_stays(self):
        self.failing_poll(status=401)
        self.assertIsNone(self.run_in_job("orders_poll"))
        self.assertFalse(self.backend.orders_synced_until)
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("flow", "=", "order_import")])
        self.assertEqual((log.state, log.reason, log.message),
                         ("error", "Polling failed", "HTTP 401: Service unavailable"))
