from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.shop_sync_base.tests.product_export_common import ProductExportFlowMixin

from .common import WooCommerceCase


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceProductExportFlow(ProductExportFlowMixin, WooCommerceCase):
    def products(self, sku):
        return [product for product in self.shop.products.values() if product["sku"] == sku]

    def remote_product(self, sku):
        found = self.products(sku)
        if not found:
            return None
        product = found[0]
        return product["name"], float(product["regular_price"]), product["status"] == "publish"

    def remote_count(self, sku):
        return len(self.products(sku))

    # -- remote failures follow the one retry rule ----------------------------------------------
    def lamps(self, count=3):
        category = self.env["product.category"].create({"name": "Flow 3 retry"})
        self.backend.product_export_domain = f"[('categ_id', '=', {category.id})]"
        return self.env["product.template"].create([
            {"name": f"Retry Lamp {index}", "default_code": f"RETRY-{index}", "list_price": 10.0 * index,
             "type": "consu", "categ_id": category.id} for index in range(1, count + 1)])

    def run_job(self, key, record=None):
        """Run flow ``key``'s job once, as the runner does (jobs it queues are only queued); return the
        RetryableJobError it raised, or None."""
        backend = self.backend.with_context(queue_job__no_delay=False)
        job = backend._shop_sync_enqueue(key, record)
        args = (record,) if record is not None else ()
        Log = type(self.env["shop.sync.log"])
        with patch.object(Log, "_record_detached", lambda log, *args, **kw: log._record(*args, **kw).id):
            try:
                backend.with_context(job_uuid=job.uuid)._export_products(*args)
            except RetryableJobError as exc:
                return exc
        return None

    def test_flow3_a_throttled_product_of_a_batch_is_exported_again_later_on_its_own(self):
        """A 429 asking for 30 s on one product: the batch exports the others (they stay exported, the
        job is not rolled back), logs the attempt and queues that product's own job, postponed by the
        wait, which exports it; nothing is created twice."""
        first, _second, _third = self.lamps()
        self.shop.faults.add("rate_limit", retry_after=30, path="/wp-json/wc/v3/products", method="POST",
                             contains="RETRY-1")
        self.assertIsNone(self.run_job("products_export"), "the batch job is not postponed as a whole")
        self.assertEqual([self.remote_count(sku) for sku in ("RETRY-1", "RETRY-2", "RETRY-3")], [0, 1, 1])
        self.assertTrue(self.backend.products_exported_until)
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("res_id", "=", first.id),
                                                ("flow", "=", "product_export")])
        self.assertEqual((log.state, log.reason), ("error", "Product not exported"))
        self.assertIn("exported again later on its own (attempt 1 of", log.message)
        own = self.env["queue.job"].search([("identity_key", "=", f"product_export:{self.backend.id}:{first.id}"),
                                            ("state", "=", "pending")])
        self.assertEqual(len(own), 1)
        self.assertGreater(own.eta, fields.Datetime.now() + timedelta(seconds=20), "postponed by the Retry-After")
        self.assertIsNone(self.run_job("product_export", first))
        self.assertEqual([self.remote_count(sku) for sku in ("RETRY-1", "RETRY-2", "RETRY-3")], [1, 1, 1])
        # the next batch sends nothing: what was exported is recognised by its fingerprint
        self.shop.journal.clear()
        self.backend.products_exported_until = False  # the next run selects all three
        self.assertIsNone(self.run_job("products_export"))
        self.assertFalse([entry for entry in self.shop.journal if entry[0] in ("POST", "PUT")])

    def test_flow3_a_throttled_product_exported_alone_postpones_its_job(self):
        (lamp,) = self.lamps(1)
        self.shop.faults.add("rate_limit", retry_after=30, path="/wp-json/wc/v3/products", method="POST")
        retry = self.run_job("product_export", lamp)
        self.assertIsNotNone(retry, "the product's job is retried later")
        self.assertEqual(retry.seconds, 30, "by the remote's Retry-After, without a worker sleeping")
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("flow", "=", "product_export")])
        self.assertIn("; the job tries again later (attempt 1 of", log.message)
        self.assertIsNone(self.run_job("product_export", lamp))
        self.assertEqual(self.remote_count("RETRY-1"), 1)

    def test_flow3_a_refused_product_is_an_error_and_the_rest_of_the_batch_is_exported(self):
        first, _second, _third = self.lamps()
        self.shop.faults.add("error", status=400, path="/wp-json/wc/v3/products", method="POST", contains="RETRY-1")
        self.assertIsNone(self.run_job("products_export"))
        self.assertEqual([self.remote_count(sku) for sku in ("RETRY-1", "RETRY-2", "RETRY-3")], [0, 1, 1])
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("res_id", "=", first.id),
                                                ("flow", "=", "product_export")])
        self.assertEqual((log.state, log.reason), ("error", "Product not exported"))
        self.assertIn("HTTP 400", log.message)
        self.assertFalse(self.env["queue.job"].search([
            ("identity_key", "=", f"product_export:{self.backend.id}:{first.id}")]), "a refusal is not retried")
