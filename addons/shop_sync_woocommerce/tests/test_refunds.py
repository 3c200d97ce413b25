import dataclasses
from decimal import Decimal

from odoo.tests import tagged

from simulators.seed import SeedLine

from .common import CATALOGUE, WooCommerceCase


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceRefunds(WooCommerceCase):
    """WooCommerce refunds (the order's ``refunds`` + ``/orders/<id>/refunds``) and cancellations."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    def sale(self, number):
        return self.sales().filtered(lambda sale: sale.shop_order_number == number)

    def test_poll_records_the_seeded_partial_refunds_with_their_lines(self):
        self.backend._poll_orders()
        refunded = [order for order in CATALOGUE.orders if order.refunds]
        self.assertTrue(refunded)
        for seed_order in refunded:
            sale = self.sale(seed_order.number)
            self.assertEqual(len(sale), 1, self.logs(external_ref=seed_order.number).mapped("message"))
            refund = sale.shop_refund_ids
            self.assertEqual(len(refund), 1)
            self.assertEqual(refund.reason, seed_order.refunds[0].reason)
            seed_refund = seed_order.refunds[0]
            if seed_refund.lines:
                sku, quantity = seed_refund.lines[0]
                line = refund.line_ids
                self.assertEqual((line.kind, line.quantity, line.sale_line_id.product_id.default_code),
                                 ("product", quantity, sku))
                self.assertTrue(refund.restock)
            else:  # the shipping (WooCommerce lists the refunded shipping item) and a goodwill amount
                expected = seed_order.shipping_amount + seed_refund.amount
                kinds, shipping = refund.line_ids.mapped("kind"), int(seed_refund.shipping)
                self.assertEqual(kinds, ["shipping"] * shipping + ["amount"] * (len(kinds) - shipping))
                self.assertIn("amount", kinds)
                shipping = refund.line_ids.filtered(lambda line: line.kind == "shipping")
                self.assertEqual(shipping.sale_line_id.shop_line_kind or False, seed_refund.shipping and "shipping")
                self.assertAlmostEqual(sum(shipping.mapped("price_total")), float(seed_order.shipping_amount))
                self.assertAlmostEqual(refund.amount_total, float(expected))
                self.assertFalse(refund.restock)
        self.assertFalse(self.logs("refund_import", state="error"))

    def test_refund_given_after_import_arrives_once_by_poll_and_webhook(self):
        self.backend._poll_orders()
        seed_order = next(order for order in CATALOGUE.orders if order.state == "paid" and not order.refunds)
        sale = self.sale(seed_order.number)
        order = next(o for o in self.shop.orders.values() if o["number"] == seed_order.number)
        item = order["line_items"][0]
        gross = (Decimal(item["subtotal"]) + Decimal(item["subtotal_tax"])) / item["quantity"]
        refund_id = self.shop.refund_order(seed_order.number, gross, [(item["id"], 1, gross)], reason="Too small")
        payload = self.backend._get_adapter().fetch_order(order["id"])
        webhook = self.env["shop.sync.event"]._store(self.backend, "webhook", "order", payload,
                                                     adapter=self.backend._get_adapter())
        webhook._process()
        self.backend.orders_synced_until = False
        self.backend._poll_orders()
        self.assertEqual(sale.shop_refund_ids.mapped("external_id"), [str(refund_id)])
        refund = sale.shop_refund_ids
        self.assertEqual(refund.line_ids.sale_line_id.shop_line_external_id, str(item["id"]))
        self.assertAlmostEqual(refund.amount_total, float(gross.quantize(Decimal("0.01"))))
        self.assertEqual(len(self.logs("refund_import", external_id=str(refund_id))), 1)

    def test_refund_of_the_shipping_and_a_restocking_fee_keeps_their_own_lines(self):
        """A refund of an item and the shipping less a restocking fee of 5 (WooCommerce keeps the
        refund's amount as the admin typed it): the shipping is credited on the shipping line, the fee
        is a negative line, and the refund is what the buyer got."""
        self.backend._poll_orders()
        seed_order = next(order for order in CATALOGUE.orders
                          if order.state == "paid" and not order.refunds and order.shipping_amount)
        sale = self.sale(seed_order.number)
        order = next(o for o in self.shop.orders.values() if o["number"] == seed_order.number)
        item, shipping = order["line_items"][0], order["shipping_lines"][0]
        unit = ((Decimal(item["total"]) + Decimal(item["total_tax"])) / item["quantity"]).quantize(Decimal("0.01"))
        freight = Decimal(shipping["total"]) + Decimal(shipping["total_tax"])
        refund_id = self.shop.refund_order(seed_order.number, unit + freight - 5,
                                           [(item["id"], 1, unit), (shipping["id"], 0, freight)], reason="Returned")
        self.backend.orders_synced_until = False
        self.backend._poll_orders()
        refund = sale.shop_refund_ids
        self.assertEqual(refund.external_id, str(refund_id), self.logs("refund_import").mapped("message"))
        self.assertEqual([(line.kind, line.price_total) for line in refund.line_ids],
                         [("product", float(unit)), ("shipping", float(freight)), ("amount", -5.0)])
        self.assertEqual(refund.line_ids[1].sale_line_id.shop_line_external_id, str(shipping["id"]))
        self.assertAlmostEqual(refund.amount_total, float(unit + freight - 5))

    def test_refund_tax_is_the_refunds_total_tax_not_a_split_of_the_gross(self):
        """2 of 3 units at 99.01 incl. 19 % (a German buyer, OSS; the line's tax 47.42) refunded with
        31.62 tax (the admin's refund form takes each item's tax as typed, and WooCommerce keeps it):
        the refund carries the refund item's ``total_tax``, not 31.61, its gross split in the
        proportion of the order line."""
        seed = next(order for order in CATALOGUE.orders
                    if order.state == "paid" and order.tax_rate == 19 and not order.customer.company)
        line = SeedLine(sku=seed.lines[0].sku, name=seed.lines[0].name, quantity=3, unit_price=Decimal("99.01"),
                        tax_rate=Decimal(19))
        self.shop.add_order(dataclasses.replace(seed, number="9201", lines=[line], fee_amount=Decimal(0),
                                                discount_amount=Decimal(0), refunds=[]))
        self.backend._poll_orders()
        sale = self.sale("9201")
        mugs = sale.order_line.filtered(lambda l: l.product_id.default_code == line.sku)
        self.assertAlmostEqual(mugs.price_tax, 47.42)
        item = next(o for o in self.shop.orders.values() if o["number"] == "9201")["line_items"][0]
        refund_id = self.shop.refund_order("9201", Decimal("198.02"), [(item["id"], 2, Decimal("198.02"), "31.62")])
        self.backend.orders_synced_until = False
        self.backend._poll_orders()
        refund = sale.shop_refund_ids
        self.assertEqual(refund.external_id, str(refund_id), self.logs("refund_import").mapped("message"))
        self.assertEqual((refund.amount_total, refund.amount_tax, refund.amount_untaxed), (198.02, 31.62, 166.4))

    def test_refund_of_an_order_never_imported_is_skipped(self):
        self.backend._poll_orders()
        seed_order = next(order for order in CATALOGUE.orders if order.state == "refunded")
        self.assertFalse(self.sale(seed_order.number))
        log = self.logs("refund_import", external_ref=seed_order.number)
        self.assertEqual((log.state, log.reason), ("skipped", "Order not imported"))

    def test_order_cancelled_after_import_cancels_the_sale_order(self):
        self.assertEqual(self.backend.order_state_ids.filtered("cancels_order").mapped("code"), ["cancelled"])
        self.backend._poll_orders()
        seed_order = next(order for order in CATALOGUE.orders if order.state == "paid" and not order.refunds)
        self.shop.set_order_status(seed_order.number, "cancelled")
        self.backend._poll_orders()
        sale = self.sale(seed_order.number)
        self.assertEqual((sale.state, sale.shop_order_state), ("cancel", "cancelled"))
        log = self.logs("order_import", external_ref=seed_order.number, reason="Order cancelled")
        self.assertEqual(log.state, "done")
