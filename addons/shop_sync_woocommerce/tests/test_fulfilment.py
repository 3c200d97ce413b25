"""Deliveries of WooCommerce orders: a customer note with the tracking, status completed once the
order is completely delivered, and the Shipment Tracking items when the store uses them."""

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS, deliver

from .common import WooCommerceCase


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceFulfilment(WooCommerceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.write({"confirm_orders": True, "create_missing_products": True})

    def import_processing_order(self, min_quantity=1):
        """A processing order of the shop not imported yet (with a line of ``min_quantity`` or more)."""
        order = next(order for order in self.shop.orders.values() if order["status"] == "processing"
                     and any(line["quantity"] >= min_quantity for line in order["line_items"])
                     and not self.sales().filtered(lambda sale: sale.shop_order_number == order["number"]))
        adapter = self.backend._get_adapter()
        self.env["shop.sync.order.importer"]._import(
            self.backend, adapter.parse_order(adapter.fetch_order(order["id"])))
        sale = self.sales().filtered(lambda sale: sale.shop_order_number == order["number"])
        self.assertEqual(sale.state, "sale", self.logs("order_import").mapped("message"))
        return order, sale

    def customer_notes(self, order):
        return [note["note"] for note in self.shop.order_notes.get(order["id"], []) if note["customer_note"]]

    def test_full_delivery_completes_the_order_with_a_tracking_note(self):
        order, sale = self.import_processing_order()
        picking = deliver(sale, carrier="GLS", tracking="GLS123", url="https://gls.example/GLS123")
        self.assertEqual(order["status"], "completed")
        self.assertEqual(self.customer_notes(order), [
            f"Your order has been shipped with GLS. Tracking number: GLS123 (https://gls.example/GLS123). "
            f"(ref. {picking.name})"])
        self.assertEqual(len(self.shop.customer_emails), 1)
        self.assertEqual(picking.shop_fulfilment_state, "done")
        self.assertFalse([meta for meta in order["meta_data"] if meta["key"] == "_wc_shipment_tracking_items"])
        self.backend._export_fulfilment(picking)
        self.assertEqual(len(self.customer_notes(order)), 1)

    def test_partial_delivery_is_a_note_only(self):
        order, sale = self.import_processing_order(min_quantity=2)
        line = next(line for line in order["line_items"] if line["quantity"] >= 2)
        picking = deliver(sale, {line["sku"]: 1}, carrier="PostNord", tracking="PN1")
        self.assertEqual(order["status"], "processing")
        self.assertEqual(self.customer_notes(order), [
            f"Part of your order has been shipped with PostNord. Tracking number: PN1. (ref. {picking.name})"])
        deliver(sale, carrier="PostNord", tracking="PN2")
        self.assertEqual(order["status"], "completed")
        self.assertEqual(len(self.customer_notes(order)), 2)

    def test_shipment_tracking_items_when_the_store_uses_the_extension(self):
        self.backend.woo_shipment_tracking = True
        order, sale = self.import_processing_order()
        deliver(sale, carrier="DHL Express", tracking="JD0001", url="https://dhl.example/JD0001")
        [items] = [meta["value"] for meta in order["meta_data"] if meta["key"] == "_wc_shipment_tracking_items"]
        self.assertEqual([(item["custom_tracking_provider"], item["tracking_number"], item["custom_tracking_link"])
                          for item in items], [("DHL Express", "JD0001", "https://dhl.example/JD0001")])
        self.assertTrue(items[0]["date_shipped"].isdigit() and len(items[0]["tracking_id"]) == 32)

    def test_note_applied_then_answered_5xx_or_dropped_is_found_not_repeated(self):
        for fault in AFTER_WRITE_FAULTS:
            with self.subTest(fault["kind"]):
                order, sale = self.import_processing_order()
                self.shop.faults.add(**fault, path=f"/wp-json/wc/v3/orders/{order['id']}/notes", method="POST")
                picking = deliver(sale, tracking=f"T-{fault['kind']}")
                self.assertFalse(self.shop.faults.faults, "the fault hit the note")
                self.assertEqual(len(self.customer_notes(order)), 1)
                self.assertEqual(picking.shop_fulfilment_state, "done")

    def test_unknown_order_is_an_error_with_the_shops_message(self):
        order, sale = self.import_processing_order()
        del self.shop.orders[order["id"]]
        picking = deliver(sale, tracking="GONE")
        self.assertEqual(picking.shop_fulfilment_state, "error")
        self.assertIn("HTTP 404: Invalid order ID. [woocommerce_rest_order_invalid_id]",
                      self.logs("fulfilment_export", state="error").message)
