from datetime import UTC, date, datetime

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload


@tagged("post_install", "-at_install", "shop_sync")
class TestReconciliation(ShopSyncCase):
    """Shop orders (read through the adapter) against the backend's sale orders, per day."""

    def setUp(self):
        super().setUp()
        for number, state in ((4001, "paid"), (4002, "cancelled"), (4004, "paid"), (4005, "paid")):
            payload = order_payload(number, state=state)
            self.adapter.orders[payload["id"]] = payload
        self.backend._poll_orders()  # jobs run inline: 4002 is skipped (state not allowed)
        del self.adapter.orders["o4005"]  # gone from the shop
        self.adapter.orders["o4003"] = order_payload(4003)  # never received
        self.sale_for(4004).order_line.price_unit = 90
        original = self.sale_for(4001)
        self.duplicate = original.copy({"shop_sync_backend_id": self.backend.id, "shop_order_number": "4001"})

    def compare(self, user=None):
        Wizard = self.env["shop.sync.reconciliation"]
        if user:
            Wizard = Wizard.with_user(user)
        wizard = Wizard.create({"backend_id": self.backend.id, "date_from": date(2026, 1, 5),
                                "date_to": date(2026, 1, 5)})
        wizard.action_compare()
        return wizard

    def problems(self, wizard):
        return {(line.problem, line.order_number): line for line in wizard.problem_ids}

    def test_counts_totals_and_problems_per_day(self):
        wizard = self.compare()
        [day] = wizard.day_ids
        self.assertEqual((day.date, day.currency), (date(2026, 1, 5), "DKK"))
        self.assertEqual((day.shop_count, day.shop_total), (4, 800))
        self.assertEqual((day.odoo_count, day.odoo_total), (4, 200 + 200 + 180 + 200))
        self.assertEqual(day.invoiced_count, 0)
        problems = self.problems(wizard)
        self.assertEqual(set(problems), {("missing_odoo", "4002"), ("missing_odoo", "4003"), ("duplicate", "4001"),
                                         ("total_mismatch", "4004"), ("not_in_shop", "4005")})
        self.assertEqual(day.problem_count, 5)
        self.assertIn("Order state not allowed", problems["missing_odoo", "4002"].reason)
        self.assertTrue(problems["missing_odoo", "4002"].event_id)
        self.assertIn("Never received", problems["missing_odoo", "4003"].reason)
        self.assertFalse(problems["missing_odoo", "4003"].event_id)
        self.assertEqual(problems["duplicate", "4001"].sale_ids, self.sale_for(4001))
        self.assertEqual(len(problems["duplicate", "4001"].sale_ids), 2)
        mismatch = problems["total_mismatch", "4004"]
        self.assertEqual((mismatch.shop_total, mismatch.odoo_total), (200, 180))

    def test_days_are_the_companys_accounting_days_whatever_the_users_time_zone(self):
        # 23:30 UTC on 4 January is 00:30 on 5 January in Copenhagen, where the company books it, and still
        # 4 January in New York, where the accountant comparing it is
        self.assertEqual(self.company._shop_sync_tz(), "Europe/Copenhagen")
        self.env.user.tz = "America/New_York"
        late = datetime(2026, 1, 4, 23, 30, tzinfo=UTC)
        self.adapter.orders["o4006"] = order_payload(4006, created_at=late, updated_at=late)
        self.assertEqual(self.import_order(self.adapter.orders["o4006"]).state, "done")
        self.assertEqual(self.sale_for(4006).shop_accounting_date, date(2026, 1, 5))
        wizard = self.compare()
        self.assertEqual(wizard.timezone, "Europe/Copenhagen")
        [day] = wizard.day_ids
        self.assertEqual((day.date, day.shop_count), (date(2026, 1, 5), 5))
        self.assertNotIn("4006", {line.order_number for line in wizard.problem_ids})

    def test_retry_stores_the_shop_order_or_replays_the_event(self):
        problems = self.problems(self.compare())
        problems["missing_odoo", "4003"].action_retry()
        self.assertEqual(problems["missing_odoo", "4003"].event_id.source, "manual")
        self.assertEqual(self.sale_for(4003).amount_total, 200, "processed with the current mappings")
        self.backend.order_state_ids.filtered(lambda state: state.code == "cancelled").allowed = True
        event = problems["missing_odoo", "4002"].event_id
        problems["missing_odoo", "4002"].action_retry()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.sale_for(4002).shop_order_state, "cancelled")
        self.assertFalse(self.problems(self.compare()).keys() & {("missing_odoo", "4002"), ("missing_odoo", "4003")})

    def test_shop_sync_user_compares_but_cannot_retry(self):
        user = new_test_user(self.env, "reconciler", groups="shop_sync_base.group_shop_sync_user")
        wizard = self.compare(user=user)
        self.assertEqual(len(wizard.problem_ids), 5)
        duplicate = wizard.problem_ids.filtered(lambda line: line.problem == "duplicate")
        self.assertEqual(set(duplicate.with_user(user).sale_names.split(", ")), set(self.sale_for(4001).mapped("name")))
        with self.assertRaises(AccessError):
            wizard.problem_ids.filtered(lambda line: line.order_number == "4003").action_retry()
        self.assertFalse(self.sale_for(4003))

    def test_without_accounting_nothing_is_missing_there(self):
        self.assertEqual(self.sale_for(4004)._shop_sync_accounting_status(), {self.sale_for(4004).id: None})
        self.assertNotIn("missing_accounting", self.compare().problem_ids.mapped("problem"))

    def test_unreadable_shop_order_is_reported_and_can_be_stored(self):
        parse = self.adapter.parse_order

        def parse_or_fail(payload):
            if payload["number"] == "4003":
                raise KeyError("customer")
            return parse(payload)
        self.adapter.parse_order = parse_or_fail
        line = self.problems(self.compare())["unreadable", "4003"]
        self.assertIn("KeyError", line.reason)
        line.action_retry()
        self.assertEqual((line.event_id.source, line.event_id.state), ("manual", "error"))
        self.assertEqual(line.event_id.message, "Payload not understood")

    def test_views_open_for_a_shop_sync_user(self):
        user = new_test_user(self.env, "viewer", groups="shop_sync_base.group_shop_sync_user")
        for model in ("shop.sync.reconciliation", "shop.sync.dry.run", "shop.sync.backend"):
            views = self.env[model].with_user(user).get_views([(False, "form")])
            self.assertIn("form", views["views"], model)
        views = self.env["shop.sync.reconciliation"].with_user(user).get_views([(False, "form")])
        self.assertNotIn('name="action_retry"', views["views"]["form"]["arch"], "retry is for managers")
        menu = self.env.ref("shop_sync_base.menu_shop_sync_reconciliation").with_user(user)
        self.assertTrue(menu._filter_visible_menus())

    def test_window_title_names_the_shop_and_the_period(self):
        wizard = self.compare()
        self.assertEqual(wizard.display_name, "Reconciliation: Memory shop, 01/05/2026 – 01/05/2026")
        self.assertEqual(wizard.action_compare()["name"], wizard.display_name)
        self.assertEqual(self.env["shop.sync.reconciliation"].new({}).display_name, "Reconciliation")
