from odoo.tests import tagged

from .common import ALLOWED_SEED_STATES, CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvReconciliation(CcvCase):
    """The reconciliation reads the CCV orders (and their rows) of the period; the shop is only read."""

    def test_polled_shop_reconciles(self):
        self.import_products()
        self.backend._poll_orders()
        # the wizard's days are the company's accounting days (res.company._shop_sync_day)
        days = sorted(self.backend.company_id._shop_sync_day(order.created_at) for order in self.catalogue.orders)
        self.app.journal.clear()
        wizard = self.env["shop.sync.reconciliation"].create(
            {"backend_id": self.backend.id, "date_from": days[0], "date_to": days[-1]})
        wizard.action_compare()
        self.assertEqual({entry[0] for entry in self.app.journal}, {"GET"})
        self.assertEqual(sum(wizard.day_ids.mapped("shop_count")), len(self.catalogue.orders))
        skipped = sorted(order.number for order in self.catalogue.orders if order.state not in ALLOWED_SEED_STATES)
        self.assertEqual(sorted(wizard.problem_ids.mapped("order_number")), skipped)
        self.assertEqual(set(wizard.problem_ids.mapped("problem")), {"missing_odoo"})
        self.assertEqual(sum(wizard.day_ids.mapped("odoo_count")), len(self.catalogue.orders) - len(skipped))
