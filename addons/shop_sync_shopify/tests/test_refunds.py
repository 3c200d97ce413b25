"""Shopify refunds (``Order.refunds``, read when the order has a refunded amount) and cancellations."""

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from odoo.tests import freeze_time, tagged

from odoo.addons.shop_sync_shopify.tests.common import START, ShopifyCase

from simulators.seed import SeedLine


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyRefunds(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    def poll(self):
        self.backend.orders_synced_until = False
        with freeze_time(START):
            self.backend._poll_orders()

    def test_poll_records_the_seeded_partial_refunds(self):
        self.poll()
        refunded = [order for order in self.catalogue.orders if order.refunds]
        self.assertTrue(refunded)
        for seed_order in refunded:
            sale = self.sale_for(f"#{seed_order.number}")
            self.assertEqual(len(sale), 1, self.logs(external_ref=f"#{seed_order.number}").mapped("message"))
            seed_refund = seed_order.refunds[0]
            refund = sale.shop_refund_ids
            self.assertEqual((len(refund), refund.reason), (1, seed_refund.reason))
            if seed_refund.lines:
                self.assertEqual(refund.line_ids.mapped("kind"), ["product"])
                self.assertEqual(refund.line_ids.sale_line_id.product_id.default_code, seed_refund.lines[0][0])
                self.assertTrue(refund.restock)
            else:
                shipping = int(bool(seed_refund.shipping and seed_order.shipping_amount))
                kinds = refund.line_ids.mapped("kind")
                self.assertEqual(kinds, ["shipping"] * shipping + ["amount"] * (len(kinds) - shipping))
                self.assertIn("amount", kinds)
                self.assertAlmostEqual(refund.amount_total, float(seed_order.shipping_amount + seed_refund.amount))
        self.assertFalse(self.logs("refund_import", state="error"))

    def test_refund_after_import_arrives_once_by_refunds_create_webhook_and_poll(self):
        self.poll()
        seed_order = next(order for order in self.catalogue.orders if order.state == "paid" and not order.refunds)
        name = f"#{seed_order.number}"
        sale = self.sale_for(name)
        refund_id = self.sim.refund_order(name, [(seed_order.lines[0].sku, 1)], note="Too small", restock=True)
        order = self.sim.state.order_by_reference(name)
        refund = next(item for item in order["refunds"] if item["id"] == refund_id)
        adapter = self.backend._get_adapter()
        payload = self.sim.rest.refund(order, refund)
        self.assertEqual(adapter.webhook_event({"X-Shopify-Topic": "refunds/create"}, payload)[:2],
                         ("order", order["id"]))
        event = self.env["shop.sync.event"]._store(self.backend, "webhook", "order", payload, external_id=order["id"],
                                                   topic="refunds/create")
        event._process()
        self.poll()
        self.assertEqual(sale.shop_refund_ids.mapped("external_id"), [refund_id])
        line = sale.shop_refund_ids.line_ids
        self.assertEqual((line.quantity, line.sale_line_id.product_id.default_code), (1, seed_order.lines[0].sku))
        self.assertAlmostEqual(line.price_total, float(seed_order.lines[0].unit_price))
        self.assertEqual(len(self.logs("refund_import", external_id=refund_id)), 1)

    def test_every_refund_of_an_order_is_recorded_past_ten(self):
        """``Order.refunds`` is a list that ``first`` truncates: an eleventh refund was never read, so
        never credited."""
        self.poll()
        seed_order = next(order for order in self.catalogue.orders if order.state == "paid" and not order.refunds)
        name = f"#{seed_order.number}"
        for number in range(11):
            self.clock.now += 60
            self.sim.refund_order(name, amount=1, note=f"Goodwill {number}")
        self.clock.now += 60
        self.poll()
        sale = self.sale_for(name)
        self.assertEqual(len(sale.shop_refund_ids), 11, self.logs("refund_import").mapped("message"))
        self.assertAlmostEqual(sale.shop_refunded_amount, 11.0)

    def test_refund_with_a_restocking_fee_is_recorded_as_given(self):
        """An item refunded less a restocking fee of 5 (an order adjustment in the merchant's favour):
        the refund is the transactions' total, its fee a negative line with the item's VAT."""
        self.poll()
        seed_order = next(order for order in self.catalogue.orders if order.state == "paid" and not order.refunds)
        name = f"#{seed_order.number}"
        self.sim.refund_order(name, [(seed_order.lines[0].sku, 1)], amount=-5, note="Restocking fee")
        self.clock.now += 60
        self.poll()
        refund = self.sale_for(name).shop_refund_ids
        self.assertEqual(len(refund), 1, self.logs("refund_import").mapped("message"))
        unit = float(seed_order.lines[0].unit_price)
        self.assertEqual([(line.kind, line.price_total) for line in refund.line_ids],
                         [("product", unit), ("amount", -5.0)])
        self.assertEqual(refund.line_ids[1].sale_line_id, refund.line_ids[0].sale_line_id)
        self.assertAlmostEqual(refund.amount_total, unit - 5)

    def test_refund_tax_is_what_shopify_gave_back_not_a_split_of_the_gross(self):
        """2 of 3 units at 99.01 incl. 19 % (a German buyer, OSS): Shopify gives back 31.62 tax
        (``totalTaxSet``), the refund of the third the 15.80 left of the line's 47.42; split in the
        proportion of the order line (249.61 net of 297.03) they were 31.61 and 15.81, a cent off the
        VAT the shop refunded."""
        seed = next(order for order in self.catalogue.orders
                    if order.state == "paid" and order.tax_rate == 19 and not order.customer.company)
        line = SeedLine(sku=seed.lines[0].sku, name=seed.lines[0].name, quantity=3, unit_price=Decimal("99.01"),
                        tax_rate=Decimal(19))
        self.sim.add_order(dataclasses.replace(seed, number="9101", lines=[line], fee_amount=Decimal(0),
                                               discount_amount=Decimal(0), refunds=[]))
        self.poll()
        sale = self.sale_for("#9101")
        self.assertEqual(sale.amount_tax, 47.42 + round(float(seed.shipping_amount) * 19 / 119, 2), sale.name)
        for quantity, tax in ((2, 31.62), (1, 15.8)):
            self.clock.now += 60
            refund_id = self.sim.refund_order("#9101", [(line.sku, quantity)])
            self.clock.now += 60
            self.poll()
            refund = self.env["shop.sync.refund"].search([("external_id", "=", refund_id)])
            self.assertEqual((refund.line_ids.quantity, refund.amount_total, refund.amount_tax),
                             (quantity, round(99.01 * quantity, 2), tax), self.logs("refund_import").mapped("message"))
        self.assertEqual(round(sum(sale.shop_refund_ids.mapped("amount_tax")), 2), 47.42, "the line's tax, no more")

    def test_order_cancelled_after_import_cancels_the_sale_order(self):
        self.poll()
        seed_order = next(order for order in self.catalogue.orders if order.state == "paid" and not order.refunds)
        name = f"#{seed_order.number}"
        self.clock.now += 3600  # the shop cancels an hour after the moment Odoo polls at (frozen at START)
        cancelled_at = datetime.fromtimestamp(int(self.clock.now), UTC).replace(tzinfo=None)
        self.sim.set_order_state(name, "cancelled")
        self.clock.now += 60
        self.poll()
        sale = self.sale_for(name)
        self.assertEqual((sale.state, sale.shop_order_state), ("cancel", "CANCELLED"))
        self.assertEqual(sale.shop_cancelled_at, cancelled_at, "Order.cancelledAt, not when it was read")
        self.assertEqual(self.logs("order_import", external_ref=name, reason="Order cancelled").state, "done")


