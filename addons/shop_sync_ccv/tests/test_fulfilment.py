"""Deliveries of CCV orders: status "Sent" with track and trace once the order is completely
delivered, the customer mailed; CCV has no partial shipments."""

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS, deliver

from .common import CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvFulfilment(CcvCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.write({"confirm_orders": True, "create_missing_products": True})

    def import_paid_order(self, min_quantity=1):
        """A paid order (status 2) not imported yet, with a row of ``min_quantity`` or more."""
        order = next(order for order in self.app.orders.values() if order["status"] == 2
                     and any(row["count"] >= min_quantity for row in self.app.orderrows.values()
                             if row["order_id"] == order["id"])
                     and not self.sale_for(order["ordernumber_full"]))
        adapter = self.adapter()
        self.env["shop.sync.order.importer"]._import(
            self.backend, adapter.parse_order(adapter.fetch_order(order["id"])))
        sale = self.sale_for(order["ordernumber_full"])
        self.assertEqual(sale.state, "sale", self.logs("order_import").mapped("message"))
        return order, sale

    def test_full_delivery_sets_sent_with_track_and_trace_and_mails(self):
        order, sale = self.import_paid_order()
        picking = deliver(sale, carrier="PostNL", tracking="3SABC1", url="https://postnl.example/3SABC1")
        self.assertEqual((order["status"], order["track_and_trace_code"], order["track_and_trace_carrier"]),
                         (5, "3SABC1", "PostNL"))
        self.assertEqual([(mail["status"], mail["note"]) for mail in self.app.customer_emails],
                         [("Sent", "Track & trace: https://postnl.example/3SABC1")])
        self.assertEqual((picking.shop_fulfilment_state, picking.shop_fulfilment_ref), ("done", str(order["id"])))
        self.backend._export_fulfilment(picking)
        self.assertEqual(len(self.app.customer_emails), 1)

    def test_partial_delivery_waits_for_the_last_one(self):
        order, sale = self.import_paid_order(min_quantity=2)
        line = sale.order_line.filtered(lambda line: line.product_uom_qty >= 2 and line.product_id.is_storable)[:1]
        first = deliver(sale, {line.product_id.default_code: 1}, tracking="P1")
        self.assertEqual((order["status"], first.shop_fulfilment_state), (2, "skipped"))
        self.assertEqual(self.logs("fulfilment_export", state="skipped").reason, "Partial delivery")
        deliver(sale, carrier="DHL", tracking="P2")
        self.assertEqual((order["status"], order["track_and_trace_code"]), (5, "P2"))

    def test_patch_applied_then_answered_5xx_or_dropped_is_found_not_repeated(self):
        for fault in AFTER_WRITE_FAULTS:
            with self.subTest(fault["kind"]):
                order, sale = self.import_paid_order()
                self.app.faults.add(**fault, path=f"/api/rest/v1/orders/{order['id']}", method="PATCH")
                picking = deliver(sale, tracking=f"T-{fault['kind']}")
                self.assertFalse(self.app.faults.faults, "the fault hit the PATCH")
                self.assertEqual(picking.shop_fulfilment_state, "done")
                self.assertEqual(len([mail for mail in self.app.customer_emails if mail["order"] == order["id"]]), 1)

    def test_unknown_order_is_an_error_with_the_shops_message(self):
        order, sale = self.import_paid_order()
        del self.app.orders[order["id"]]
        picking = deliver(sale, tracking="GONE")
        self.assertEqual(picking.shop_fulfilment_state, "error")
        self.assertIn("HTTP 404", self.logs("fulfilment_export", state="error").message)
