"""Deliveries of Shopify orders become fulfillments in the shop (simulator over HTTP)."""

from odoo.tests import freeze_time, tagged

from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS, deliver
from odoo.addons.shop_sync_shopify.tests.common import START, ShopifyCase


@freeze_time(START)
@tagged("post_install", "-at_install", "shop_sync")
class TestFulfilment(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.write({"confirm_orders": True, "create_missing_products": True})

    def import_paid_order(self, min_quantity=1):
        """The first paid order of the shop not imported yet (with a line of at least
        ``min_quantity``) that imports as a confirmed sale order (the tests set up no tax for some
        destinations)."""
        adapter = self.backend._get_adapter()
        for order in self.sim.orders.values():
            if order["state"] != "paid" or self.sale_for(order["name"]) or not any(
                    line["quantity"] >= min_quantity for line in order["line_items"]):
                continue
            self.env["shop.sync.order.importer"]._import(
                self.backend, adapter.parse_order(adapter.fetch_order(order["id"])))
            sale = self.sale_for(order["name"])
            if sale.state == "sale":
                return order, sale
        self.fail(f"no paid order imports: {self.logs('order_import').mapped('message')}")

    def fulfillments(self, order):
        return [record for record in self.sim.state.fulfillments.values() if record["order_id"] == order["id"]]

    def test_full_delivery_is_one_fulfillment_with_tracking(self):
        order, sale = self.import_paid_order()
        picking = deliver(sale, carrier="PostNord DK", tracking="00370712345", url="https://track.example/00370712345")
        [fulfillment] = self.fulfillments(order)
        self.assertEqual(fulfillment["tracking"], [
            {"company": "PostNord DK", "number": "00370712345", "url": "https://track.example/00370712345"}])
        self.assertTrue(fulfillment["notify_customer"])
        self.assertEqual(order["fulfillment_status"], "FULFILLED")
        self.assertEqual((picking.shop_fulfilment_state, picking.shop_fulfilment_ref), ("done", fulfillment["id"]))
        self.backend._export_fulfilment(picking)  # the job again: nothing more
        self.assertEqual(len(self.fulfillments(order)), 1)

    def test_partial_delivery_is_a_partial_fulfillment(self):
        order, sale = self.import_paid_order(min_quantity=2)
        line = next(line for line in order["line_items"] if line["quantity"] >= 2)
        first = deliver(sale, {line["sku"]: 1}, carrier="GLS", tracking="GLS-1")
        [fulfillment] = self.fulfillments(order)
        self.assertEqual([(item["line_item_id"], item["quantity"]) for item in fulfillment["line_items"]],
                         [(line["id"], 1)])
        self.assertEqual(order["fulfillment_status"], "PARTIALLY_FULFILLED")
        self.assertEqual(first.shop_fulfilment_state, "done")
        deliver(sale, carrier="GLS", tracking="GLS-2")
        self.assertEqual(len(self.fulfillments(order)), 2)
        self.assertEqual(order["fulfillment_status"], "FULFILLED")

    def test_create_applied_then_answered_5xx_or_dropped_is_found_not_repeated(self):
        for fault in AFTER_WRITE_FAULTS:
            with self.subTest(fault["kind"]):
                order, sale = self.import_paid_order()
                self.sim.faults.add(**fault, contains="fulfillmentCreate")
                picking = deliver(sale, tracking=f"T-{fault['kind']}")
                self.assertFalse(self.sim.faults.faults, "the fault hit the create")
                self.assertEqual(len(self.fulfillments(order)), 1)
                self.assertEqual(picking.shop_fulfilment_ref, self.fulfillments(order)[0]["id"])

    def test_order_already_fulfilled_in_shopify_is_an_error_with_the_reason(self):
        order, sale = self.import_paid_order()
        self.sim.set_order_state(order["id"], "shipped")
        picking = deliver(sale, tracking="LATE-1")
        log = self.logs("fulfilment_export", state="error")
        self.assertEqual(picking.shop_fulfilment_state, "error")
        self.assertIn("has nothing left to fulfil in Shopify", log.message)
        self.assertEqual(len(self.fulfillments(order)), 1, "only the shop's own")
