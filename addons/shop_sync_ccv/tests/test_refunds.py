"""CCV refunds: the order's credit invoices (``GET /invoices``, type credit) recorded as shop refunds."""

import dataclasses
from decimal import Decimal

from odoo.tests import tagged

from simulators.seed import SeedLine

from .common import ALLOWED_SEED_STATES, CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvRefunds(CcvCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    def test_credit_invoice_is_recorded_once_as_a_refund_of_its_rows_and_shipping(self):
        """A credit invoice of one unit and the shipping, made after the order was imported, is seen
        by the next poll (it changed nothing else on the order) and recorded once, with the invoice's
        gross and tax; it was invisible (CCV's partial refunds never reached the books)."""
        seed = next(order for order in self.catalogue.orders
                    if order.state in ALLOWED_SEED_STATES and order.shipping_amount and order.lines[0].quantity > 1)
        self.backend._poll_orders()
        sale = self.sale_for(seed.number)
        self.assertFalse(sale.shop_refund_ids)
        invoice_id = self.app.credit_order(seed.number, [(seed.lines[0].sku, 1)], shipping=True)
        invoice = self.app.invoices[invoice_id]
        for _poll in range(2):
            self.backend._poll_orders()
        refund = sale.shop_refund_ids
        self.assertEqual(refund.external_id, f"invoices/{invoice_id}", self.logs("refund_import").mapped("message"))
        self.assertEqual((refund.amount_total, refund.amount_tax), (invoice["total_price"], invoice["total_tax"]))
        self.assertEqual(refund.amount_total, float(seed.lines[0].unit_price + seed.shipping_amount))
        self.assertEqual([(line.kind, line.quantity) for line in refund.line_ids], [("product", 1), ("shipping", 0)])
        self.assertEqual(refund.line_ids[0].sale_line_id.product_id.default_code, seed.lines[0].sku)
        self.assertEqual(refund.line_ids[1].sale_line_id.shop_line_kind, "shipping")
        self.assertEqual(len(self.logs("refund_import", external_id=f"invoices/{invoice_id}")), 1)

    def test_a_poll_reads_the_rows_of_a_credit_invoice_only_for_the_order_it_imports(self):
        """The window's credit invoices come in one list; an invoice's rows are read when its order is
        imported (a new credit invoice changes the order's payload), not again at every poll: a request
        per credit invoice of the look-back window at every poll would use up CCV's per-minute limit
        before the first page of orders once a shop has many."""
        seeds = [order for order in self.catalogue.orders if order.state in ALLOWED_SEED_STATES][:2]
        self.backend._poll_orders()
        for seed in seeds:
            self.app.credit_order(seed.number, [(seed.lines[0].sku, 1)])
        self.app.journal.clear()
        self.backend._poll_orders()
        refunds = self.sale_for(seeds[0].number).shop_refund_ids | self.sale_for(seeds[1].number).shop_refund_ids
        self.assertEqual(len(refunds), 2, self.logs("refund_import").mapped("message"))
        self.assertEqual(len([entry for entry in self.app.journal if "/invoicerows" in entry[1]]), 2,
                         "the rows of each new credit invoice, once")
        self.app.journal.clear()
        self.backend._poll_orders()
        invoice_requests = [path for _method, path, _status in self.app.journal if "/invoices" in path]
        self.assertEqual(len(invoice_requests), 1, f"one list of the window's invoices, no rows: {invoice_requests}")

    def test_credit_invoice_tax_is_the_invoices_not_a_split_of_its_rows(self):
        """2 of 3 units at 99.01 incl. 25 %: the credit invoice's total_tax is 39.60 (CCV gives its rows a
        rate, not a tax); split in the proportion of the order line (237.62 net of 297.03) it is 39.61."""
        seed = next(order for order in self.catalogue.orders if order.tax_rate == 25)
        line = SeedLine(sku=seed.lines[0].sku, name=seed.lines[0].name, quantity=3, unit_price=Decimal("99.01"),
                        tax_rate=Decimal(25))
        self.app.add_order(dataclasses.replace(seed, number="9401", state="paid", lines=[line],
                                               fee_amount=Decimal(0), discount_amount=Decimal(0), refunds=[]))
        self.backend._poll_orders()
        sale = self.sale_for(9401)
        self.assertAlmostEqual(sale.order_line.filtered(lambda l: l.product_id.default_code == line.sku).price_tax,
                               59.41)
        invoice_id = self.app.credit_order(9401, [(line.sku, 2)])
        self.assertEqual(self.app.invoices[invoice_id]["total_tax"], 39.6)
        self.backend._poll_orders()
        refund = sale.shop_refund_ids
        self.assertEqual((refund.amount_total, refund.amount_untaxed, refund.amount_tax), (198.02, 158.42, 39.6),
                         self.logs("refund_import").mapped("message"))

    def test_credit_invoice_reaches_an_order_read_for_its_webhook(self):
        """An order read by itself (its ``orders.updated`` notification) brings its credit invoices."""
        seed = next(order for order in self.catalogue.orders if order.state in ALLOWED_SEED_STATES)
        order = next(o for o in self.app.orders.values() if str(o["ordernumber"]) == seed.number)
        invoice_id = self.app.credit_order(seed.number, [(seed.lines[0].sku, 1)])
        parsed = self.adapter().parse_order({"id": order["id"], "href": "notification"})
        [refund] = parsed.refunds
        self.assertEqual((refund.external_id, refund.amount, refund.tax),
                         (f"invoices/{invoice_id}", Decimal(str(self.app.invoices[invoice_id]["total_price"])),
                          Decimal(str(self.app.invoices[invoice_id]["total_tax"]))))
        self.assertEqual([(line.kind, line.line_external_id) for line in refund.lines],
                         [("product", str(min(row["id"] for row in self.app.orderrows.values()
                                                if row["order_id"] == order["id"]
                                                and (row["sub_sku_number"] or row["product_number"])
                                                == seed.lines[0].sku)))])
