"""Flow 3: Odoo products to a shop from the button, the schedule and product changes (debounced)."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shop_sync_base.tests.common import MANAGER, USER, AccessAssertions, ShopSyncCase


@tagged("post_install", "-at_install", "shop_sync")
class TestProductExportFlow(AccessAssertions, ShopSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.category = cls.env["product.category"].create({"name": "Flow 3"})
        cls.backend.product_export_domain = f"[('categ_id', '=', {cls.category.id})]"
        cls.tee, cls.cap = cls.env["product.template"].create([
            {"name": "Tee", "default_code": "TEE", "list_price": 150, "categ_id": cls.category.id, "is_storable": True},
            {"name": "Cap", "default_code": "CAP", "list_price": 90, "categ_id": cls.category.id}])

    def exported_skus(self):
        return [product.sku for _external_id, product, _publish in self.adapter.exported]

    def logs(self, **values):
        return self.env["shop.sync.log"].search(
            [("backend_id", "=", self.backend.id), ("flow", "=", "product_export")]
            + [(name, "=", value) for name, value in values.items()], order="id")

    def pending_jobs(self):
        return self.env["queue.job"].search([("identity_key", "=", f"products_export:{self.backend.id}"),
                                             ("state", "=", "pending")])

    def test_button_exports_new_products_as_drafts_then_only_what_changed(self):
        self.backend.action_export_products()
        self.assertEqual(sorted(self.exported_skus()), ["CAP", "TEE"])
        self.assertEqual({publish for _id, _product, publish in self.adapter.exported}, {False}, "as drafts")
        self.assertEqual(self.logs().mapped("message"), ["Created.", "Created."])
        self.assertTrue(self.backend.products_exported_until)
        Binding = self.env["shop.sync.binding"]
        tee_id = Binding._for_record(self.backend, self.tee).external_id
        self.assertTrue(tee_id)
        # nothing changed: the products written within the overlap window are not sent again
        self.backend.action_export_products()
        self.assertEqual(len(self.adapter.exported), 2)
        # a price change is exported on its own, as an update of the bound product
        self.tee.list_price = 175
        self.backend.action_export_products()
        self.assertEqual(len(self.adapter.exported), 3)
        external_id, product, _publish = self.adapter.exported[-1]
        self.assertEqual((external_id, product.sku, product.price), (tee_id, "TEE", 175))
        self.assertEqual(product.name, "", "the name is not written on update by default")
        self.assertEqual(self.logs()[-1].message, "Updated.")

    def test_published_setting_creates_published_products(self):
        self.backend.product_publish = "published"
        self.backend.action_export_products()
        self.assertEqual({publish for _id, _product, publish in self.adapter.exported}, {True})

    def test_products_unchanged_since_the_watermark_are_left_out(self):
        last_run = fields.Datetime.now() - timedelta(hours=1)
        self.env.cr.execute("UPDATE product_template SET write_date = %s WHERE id = %s",
                            [last_run - timedelta(hours=1), self.cap.id])
        self.env.cr.execute("UPDATE product_product SET write_date = %s WHERE product_tmpl_id = %s",
                            [last_run - timedelta(hours=1), self.cap.id])
        self.env.invalidate_all()
        self.backend.products_exported_until = last_run
        self.backend._export_products()
        self.assertEqual(self.exported_skus(), ["TEE"])
        self.assertGreater(self.backend.products_exported_until, last_run)

    def test_product_filter_chooses_the_products(self):
        self.backend.product_export_domain = "[('default_code', '=', 'CAP')]"
        self.backend.action_export_products()
        self.assertEqual(self.exported_skus(), ["CAP"])
        with self.assertRaises(ValidationError):
            self.backend.product_export_domain = "[('no_such_field', '=', 1)]"

    def test_product_without_sku_is_skipped_and_a_refused_one_does_not_stop_the_batch(self):
        nameless = self.env["product.template"].create({"name": "No SKU", "categ_id": self.category.id})
        self.adapter.refuse_export.add("CAP")
        self.backend.action_export_products()
        self.assertEqual(self.exported_skus(), ["TEE"])
        skipped = self.logs(state="skipped")
        self.assertEqual((skipped.res_id, skipped.reason), (nameless.id, "Product without SKU"))
        error = self.logs(state="error")
        self.assertEqual((error.res_id, error.reason), (self.cap.id, "Product not exported"))
        self.assertIn("HTTP 400: Invalid SKU", error.message)
        self.assertIn("Invalid SKU", error.response_excerpt)
        self.assertFalse(self.env["shop.sync.binding"]._for_record(self.backend, self.cap))
        # Retry exports that product (the shop accepts it now)
        self.adapter.refuse_export.clear()
        error.action_retry()
        self.assertEqual(self.exported_skus(), ["TEE", "CAP"])
        self.assertTrue(self.env["shop.sync.binding"]._for_record(self.backend, self.cap))

    def test_scheduled_flow_queues_the_export_when_enabled(self):
        with trap_jobs() as trap:
            self.backend.next_sync_at = False
            self.env["shop.sync.backend"]._cron_sync()
            trap.assert_jobs_count(0, only=self.backend._export_products)
            self.backend.write({"sync_product_export": True, "next_sync_at": False})
            self.env["shop.sync.backend"]._cron_sync()
            trap.assert_jobs_count(1, only=self.backend._export_products)
            trap.assert_enqueued_job(self.backend._export_products,
                                     properties={"identity_key": f"products_export:{self.backend.id}"})
            job = next(job for job in trap.enqueued_jobs if job.method_name == "_export_products")
            self.assertEqual(job.channel, "root.shop_sync.products", "the channel of the XML job function")
            trap.perform_enqueued_jobs()
        self.assertEqual(sorted(self.exported_skus()), ["CAP", "TEE"])

    def test_ten_writes_queue_one_job(self):
        self.backend.sync_product_export = True
        with trap_jobs() as trap:
            for price in range(10):
                self.tee.list_price = 200 + price
            trap.assert_jobs_count(1, only=self.backend._export_products)
            self.assertEqual(trap.enqueued_jobs[0].identity_key, f"products_export:{self.backend.id}")
            self.assertTrue(trap.enqueued_jobs[0].eta, "a burst of saves waits for its last one")
            trap.perform_enqueued_jobs()
        self.assertEqual(self.adapter.exported[-1][1].price, 209)

    def test_changes_the_export_does_not_carry_queue_nothing(self):
        self.backend.sync_product_export = True
        other = self.env["product.template"].create({"name": "Other", "default_code": "OTHER"})
        with trap_jobs() as trap:
            self.tee.name = "Renamed"  # names are not written on update by default
            self.tee.standard_price = 12
            other.list_price = 5  # outside the product filter
            self.env["stock.quant"]._update_available_quantity(
                self.tee.product_variant_id, self.env.ref("stock.stock_location_stock"), 4)
            trap.assert_jobs_count(0, only=self.backend._export_products)
            self.backend.sync_product_export = False
            self.tee.list_price = 1
            trap.assert_jobs_count(0, only=self.backend._export_products)

    def test_a_change_during_a_started_export_queues_the_next_one(self):
        self.backend.sync_product_export = True
        env = self.env(context=dict(self.env.context, queue_job__no_delay=False))
        tee = self.tee.with_env(env)
        tee.list_price = 160
        tee.product_variant_id.barcode = "5701234567892"
        job = self.pending_jobs()
        self.assertEqual(len(job), 1, "one pending job for both writes")
        job.state = "started"  # the job has read the products: a later change needs another run
        tee.list_price = 170
        self.assertEqual(len(self.pending_jobs()), 1)
        self.assertEqual(len(self.pending_jobs() | job), 2)

    def test_only_managers_of_the_company_may_export(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        user = new_test_user(self.env, "flow3_user", groups=USER)
        other_manager = new_test_user(self.env, "flow3_other_manager", groups=MANAGER,
                                      company_id=other_company.id)
        manager = new_test_user(self.env, "flow3_manager", groups=MANAGER)
        with trap_jobs() as trap:
            self.assertRefused(lambda someone: self.backend.with_user(someone).action_export_products(),
                               user, other_manager)
            trap.assert_jobs_count(0)
            self.backend.with_user(manager).action_export_products()
            self.backend.with_user(manager).action_export_products()
            trap.assert_jobs_count(1)

    def test_products_of_another_company_are_not_exported(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        self.cap.company_id = other_company
        self.backend.action_export_products()
        self.assertEqual(self.exported_skus(), ["TEE"])
