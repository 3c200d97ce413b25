from decimal import Decimal

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, deliver, order_payload

LINES = [{"id": "line-1", "name": "Mug", "sku": "MUG-1", "qty": "2", "price": "100.00", "rate": "25"}]


@tagged("post_install", "-at_install", "shop_sync")
class TestFulfilmentExport(ShopSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.confirm_orders = True

    def shop_order(self, number):
        self.import_order(order_payload(number, lines=LINES))
        return self.sale_for(number)

    def logs(self, state=None):
        domain = [("backend_id", "=", self.backend.id), ("flow", "=", "fulfilment_export")]
        return self.env["shop.sync.log"].search(domain + ([("state", "=", state)] if state else []))

    def test_full_delivery_is_one_shipment_with_carrier_and_tracking(self):
        sale = self.shop_order(3001)
        picking = deliver(sale, carrier="PostNord DK", tracking="00370712345", url="https://tracking.example/00370712345")
        [shipment] = self.adapter.shipments["o3001"]
        self.assertEqual((shipment.carrier, shipment.tracking_number, shipment.tracking_url, shipment.partial),
                         ("PostNord DK", "00370712345", "https://tracking.example/00370712345", False))
        self.assertEqual([(line.external_id, line.sku, line.quantity) for line in shipment.lines],
                         [("line-1", "MUG-1", Decimal(2))])
        self.assertEqual((picking.shop_fulfilment_state, picking.shop_fulfilment_ref), ("done", "ship-1"))
        self.assertEqual(self.env["shop.sync.binding"]._for_record(self.backend, picking).external_id, "ship-1")
        self.assertEqual(self.logs("done").external_ref, f"3001 ({picking.name})")

    def test_running_the_job_again_or_retry_sends_nothing_more(self):
        picking = deliver(self.shop_order(3002), tracking="T-2")
        self.backend._export_fulfilment(picking)
        self.logs("done").action_retry()
        self.assertEqual(len(self.adapter.shipments["o3002"]), 1)
        self.assertEqual(self.logs("skipped").mapped("reason"), ["Already in the shop"] * 2)

    def test_partial_delivery_then_the_rest(self):
        sale = self.shop_order(3003)
        first = deliver(sale, {"MUG-1": 1}, tracking="T-3a")
        second = deliver(sale, tracking="T-3b")
        shipments = self.adapter.shipments["o3003"]
        self.assertEqual([(s.tracking_number, s.partial, s.lines[0].quantity) for s in shipments],
                         [("T-3a", True, Decimal(1)), ("T-3b", False, Decimal(1))])
        self.assertEqual((first.shop_fulfilment_ref, second.shop_fulfilment_ref), ("ship-1", "ship-2"))

    def test_shop_without_partial_shipments_gets_the_last_delivery_only(self):
        type(self.adapter).PARTIAL_FULFILMENT = False
        self.addCleanup(setattr, type(self.adapter), "PARTIAL_FULFILMENT", True)
        sale = self.shop_order(3004)
        first = deliver(sale, {"MUG-1": 1}, tracking="T-4a")
        self.assertNotIn("o3004", self.adapter.shipments)
        self.assertEqual((first.shop_fulfilment_state, self.logs("skipped").reason), ("skipped", "Partial delivery"))
        deliver(sale, tracking="T-4b")
        self.assertEqual([s.tracking_number for s in self.adapter.shipments["o3004"]], ["T-4b"])

    def test_create_applied_but_answered_5xx_is_found_not_repeated(self):
        create = self.adapter.create_fulfilment

        def applied_then_failed(fulfilment):
            create(fulfilment)
            raise RemoteError("Injected server error after applying the request", status=503, retryable=True,
                              uncertain=True)
        self.adapter.create_fulfilment = applied_then_failed
        picking = deliver(self.shop_order(3005), tracking="T-5")
        self.assertEqual(len(self.adapter.shipments["o3005"]), 1)
        self.assertEqual((picking.shop_fulfilment_state, picking.shop_fulfilment_ref), ("done", "ship-1"))

    def test_crash_between_remote_create_and_commit_is_adopted(self):
        """The shop has the shipment but Odoo lost its binding (the job died before committing)."""
        sale = self.shop_order(3006)
        picking = deliver(sale, tracking="T-6")
        self.env["shop.sync.binding"]._for_record(self.backend, picking).unlink()
        self.backend._export_fulfilment(picking)
        self.assertEqual(len(self.adapter.shipments["o3006"]), 1)
        self.assertIn("earlier attempt", self.logs("done")[0].message)

    def test_same_lines_without_tracking_are_matched_unless_bound_to_another_delivery(self):
        sale = self.shop_order(3007)
        first = deliver(sale, {"MUG-1": 1})
        second = deliver(sale)
        self.assertEqual(len(self.adapter.shipments["o3007"]), 2)
        self.assertNotEqual(first.shop_fulfilment_ref, second.shop_fulfilment_ref)

    def test_delivery_of_an_order_not_from_a_shop_sends_nothing(self):
        partner = self.env["res.partner"].create({"name": "Walk-in"})
        sale = self.env["sale.order"].create({"partner_id": partner.id, "order_line": [
            (0, 0, {"product_id": self.mug.id, "product_uom_qty": 1})]})
        sale.action_confirm()
        picking = deliver(sale, tracking="T-8")
        self.assertFalse(picking.shop_fulfilment_state)
        self.assertFalse(self.logs())
        self.assertFalse(self.adapter.shipments)

    def test_shop_refusal_is_an_error_with_its_message_and_retry_sends_it(self):
        def refuse(fulfilment):
            raise RemoteError("fulfillment: Fulfillment order 1 has an unfulfillable status= closed.", status=200)
        self.adapter.create_fulfilment = refuse
        picking = deliver(self.shop_order(3009), tracking="T-9")
        error = self.logs("error")
        self.assertEqual(picking.shop_fulfilment_state, "error")
        self.assertIn("unfulfillable status= closed", error.message)
        del self.adapter.create_fulfilment
        error.action_retry()
        self.assertEqual(picking.shop_fulfilment_state, "done")
        self.assertEqual(len(self.adapter.shipments["o3009"]), 1)

    def test_backend_option_off_sends_nothing(self):
        self.backend.export_fulfilments = False
        picking = deliver(self.shop_order(3010), tracking="T-10")
        self.assertFalse(picking.shop_fulfilment_state)
        self.assertFalse(self.adapter.shipments)

    def test_send_button_checks_group_and_company(self):
        self.backend.export_fulfilments = False
        picking = deliver(self.shop_order(3011), tracking="T-11")
        stock_groups = "stock.group_stock_user,shop_sync_base.group_shop_sync_user"
        user = new_test_user(self.env, "fulfil_user", groups=stock_groups)
        with self.assertRaises(AccessError):
            picking.with_user(user).action_shop_sync_send_fulfilment()
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = new_test_user(self.env, "fulfil_foreign",
                                groups=stock_groups + ",shop_sync_base.group_shop_sync_manager",
                                company_id=other.id, company_ids=[other.id])
        with self.assertRaises(AccessError):
            picking.with_user(foreign).action_shop_sync_send_fulfilment()
        self.assertFalse(self.adapter.shipments)
        manager = new_test_user(self.env, "fulfil_manager",
                                groups=stock_groups + ",shop_sync_base.group_shop_sync_manager")
        picking.with_user(manager).action_shop_sync_send_fulfilment()
        self.assertEqual(len(self.adapter.shipments["o3011"]), 1)
