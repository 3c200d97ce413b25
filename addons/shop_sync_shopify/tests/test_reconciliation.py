from odoo.tests import freeze_time, tagged

from odoo.addons.shop_sync_shopify.tests.common import START, ShopifyCase

ALLOWED = ("paid", "shipped", "completed")  # seed states whose Shopify code is PAID


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyReconciliation(ShopifyCase):
    """The reconciliation reads the shop's orders through the Admin API and matches the imported ones."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    @freeze_time(START)
    def test_polled_shop_reconciles_to_the_cent(self):
        self.backend._poll_orders()
        # the wizard's days are the company's accounting days (res.company._shop_sync_day)
        days = sorted(self.backend.company_id._shop_sync_day(order.created_at) for order in self.catalogue.orders)
        wizard = self.env["shop.sync.reconciliation"].create(
            {"backend_id": self.backend.id, "date_from": days[0], "date_to": days[-1]})
        wizard.action_compare()
        self.assertEqual(sum(wizard.day_ids.mapped("shop_count")), len(self.catalogue.orders))
        skipped = sorted(f"#{order.number}" for order in self.catalogue.orders if order.state not in ALLOWED)
        self.assertEqual(sorted(wizard.problem_ids.mapped("order_number")), skipped)
        self.assertEqual(set(wizard.problem_ids.mapped("problem")), {"missing_odoo"})
        self.assertEqual(sum(wizard.day_ids.mapped("odoo_count")), len(self.catalogue.orders) - len(skipped))
