from collections import Counter
from datetime import datetime

from odoo.tests import tagged

from .common import CATALOGUE, WooCommerceCase

ALLOWED = ("processing", "completed")


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceReconciliation(WooCommerceCase):
    """The reconciliation reads the simulator's orders of the period and matches every imported one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    def test_polled_shop_reconciles(self):
        self.backend._poll_orders()
        self.shop.journal.clear()
        # the wizard's days are the company's accounting days (res.company._shop_sync_day)
        days = sorted(self.backend.company_id._shop_sync_day(order.created_at) for order in CATALOGUE.orders)
        wizard = self.env["shop.sync.reconciliation"].create(
            {"backend_id": self.backend.id, "date_from": days[0], "date_to": days[-1]})
        wizard.action_compare()
        self.assertEqual({entry[0] for entry in self.shop.journal}, {"GET"}, "the shop is only read")
        orders = list(self.shop.orders.values())
        self.assertEqual(sum(wizard.day_ids.mapped("shop_count")), len(orders))
        self.assertEqual(sum(wizard.day_ids.mapped("odoo_count")), len(self.sales()))
        totals = Counter()
        for order in orders:
            day = self.backend.company_id._shop_sync_day(datetime.fromisoformat(order["date_created_gmt"]))
            totals[str(day), order["currency"]] += float(order["total"])
        self.assertEqual({(str(day.date), day.currency): round(day.shop_total, 2) for day in wizard.day_ids},
                         {key: round(total, 2) for key, total in totals.items()})
        skipped = [order["number"] for order in orders if order["status"] not in ALLOWED]
        self.assertTrue(skipped)
        self.assertEqual(sorted(wizard.problem_ids.mapped("order_number")), sorted(skipped))
        for line in wizard.problem_ids:
            self.assertEqual(line.problem, "missing_odoo")
            self.assertIn("Order state not allowed", line.reason)
            self.assertEqual(line.event_id.external_ref, line.order_number)
