from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload

UNKNOWN_SKU_LINE = {"name": "Cup", "sku": "CUP-9", "qty": "1", "price": "50.00", "rate": "25"}


@tagged("post_install", "-at_install", "shop_sync")
class TestJobUser(ShopSyncCase):
    """Jobs run as the company's technical user, whoever queued them; the log keeps who asked."""

    def setUp(self):
        super().setUp()
        # a typical accountant: configures the shop sync, has no Sales, Inventory or Accounting rights
        self.accountant = new_test_user(self.env, "sync_accountant", groups="shop_sync_base.group_shop_sync_manager")
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.accountant).check_access("create")

    def order_logs(self, number):
        return self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("flow", "=", "order_import"),
                                                 ("external_ref", "=", str(number))])

    def test_sync_now_by_a_manager_without_sales_rights_imports_the_order(self):
        self.adapter.orders["o5001"] = order_payload(5001)
        self.backend.with_user(self.accountant).action_sync_now()
        sale = self.sale_for(5001)
        self.assertEqual(sale.amount_total, 200)
        job_user = self.company.shop_sync_job_user_id
        self.assertEqual(sale.create_uid, job_user)
        self.assertEqual((job_user.active, job_user.share, job_user.company_ids), (False, False, self.company))
        self.assertTrue(job_user.has_group("shop_sync_base.group_shop_sync_job"))
        self.assertEqual(self.order_logs(5001).requested_by_id, self.accountant)

    def test_retry_by_a_manager_without_sales_rights_imports_the_order(self):
        self.adapter.orders["o5002"] = order_payload(5002, lines=[UNKNOWN_SKU_LINE])
        self.backend._poll_orders()
        failed = self.order_logs(5002)
        self.assertEqual((failed.state, failed.requested_by_id), ("error", self.env.user))
        self.env["product.product"].create({"name": "Cup", "default_code": "CUP-9", "type": "consu"})
        failed.with_user(self.accountant).action_retry()
        self.assertEqual(self.sale_for(5002).amount_total, 50)
        done = self.order_logs(5002) - failed
        self.assertEqual((done.state, done.requested_by_id), ("done", self.accountant))

    def test_queued_job_runs_as_the_job_user_and_remembers_who_asked(self):
        backend = self.backend.with_user(self.accountant).with_context(queue_job__no_delay=False)
        backend.action_sync_now()
        job = self.env["queue.job"].search([("method_name", "=", "_poll_orders")], order="id desc", limit=1)
        self.assertEqual(job.records, self.backend)
        job_user = self.company.shop_sync_job_user_id
        self.assertEqual(job.user_id, job_user)
        self.assertEqual(job.company_id, self.company)
        records = job.records  # as the worker will load them: user and stored context
        self.assertEqual(records.env.uid, job_user.id)
        self.assertEqual(records.env.context.get("shop_sync_requested_by"), self.accountant.id)
        self.assertEqual(records.env.context.get("allowed_company_ids"), self.company.ids)

    def test_one_job_user_per_company(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self.assertEqual(self.company._shop_sync_job_user(), self.company._shop_sync_job_user())
        self.assertNotEqual(other._shop_sync_job_user(), self.company._shop_sync_job_user())
        self.assertEqual(other._shop_sync_job_user().company_ids, other)
