from decimal import Decimal
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.shop_sync_base.services.http import HttpClient
from odoo.addons.shop_sync_base.tests.common import (
    assert_destination_tax, assert_walk_continued, poll_until_the_walk_ends, stored_orders)
from simulators.seed import EU, generate
from simulators.woocommerce import STATE_TO_STATUS

from .common import CATALOGUE, RateLimitedWalkCase, WooCommerceCase

ALLOWED = ("processing", "completed")


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceOrders(WooCommerceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)
        cls.non_product_lines = (cls.backend.shipping_product_id | cls.backend.fee_product_id
                                 | cls.backend.discount_product_id)

    def test_connection_ok(self):
        self.backend.action_test_connection()
        self.assertEqual(self.backend.connection_state, "ok")
        self.assertIn(f"{len(CATALOGUE.orders)} orders", self.backend.connection_message)
        self.assertEqual(len(self.logs("connection", state="done")), 1)

    def test_wrong_secret_is_a_clear_failure(self):
        self.backend.woo_consumer_secret = "cs_wrong"
        self.backend.action_test_connection()
        self.assertEqual(self.backend.connection_state, "failed")
        self.assertIn("Consumer secret is invalid. [woocommerce_rest_authentication_error]",
                      self.backend.connection_message)
        log = self.logs("connection", state="error")
        self.assertEqual(log.reason, "Connection failed")
        self.assertIn("HTTP 401", log.message)
        self.assertNotIn("cs_wrong", log.message)

    def test_order_states_default_allowed(self):
        states = self.backend.order_state_ids
        self.assertIn("on-hold", states.mapped("code"))
        self.assertEqual(sorted(states.filtered("allowed").mapped("code")), sorted(ALLOWED))

    def test_poll_imports_allowed_orders_with_the_shop_totals(self):
        self.backend._poll_orders()
        by_number = {sale.shop_order_number: sale for sale in self.sales()}
        for woo in self.shop.orders.values():
            if woo["status"] not in ALLOWED:
                self.assertNotIn(woo["number"], by_number)
                log = self.logs("order_import", external_ref=woo["number"])
                self.assertEqual((log.state, log.reason), ("skipped", "Order state not allowed"), woo["number"])
                continue
            sale = by_number.get(woo["number"])
            self.assertTrue(sale, self.logs("order_import", external_ref=woo["number"]).message)
            self.assertEqual(sale.currency_id.compare_amounts(sale.amount_total, float(woo["total"])), 0,
                             f"order {woo['number']}: Odoo {sale.amount_total} != WooCommerce {woo['total']}")
            self.assertEqual(sale.currency_id.name, woo["currency"])
            self.assertEqual(sale.shop_order_state, woo["status"])
            self.assertEqual(sale.shop_payment_method, woo["payment_method"])
            self.assertEqual(sale.partner_id.email, woo["billing"]["email"])
            skus = sorted(line["sku"] for line in woo["line_items"])
            products = sale.order_line.product_id - self.non_product_lines
            self.assertEqual(sorted(products.mapped("default_code")), skus)
        self.assertEqual(len(by_number), sum(1 for woo in self.shop.orders.values() if woo["status"] in ALLOWED))

    def test_seeded_orders_book_the_shops_total_and_tax_by_destination(self):
        """The demo's orders (simulators' seed): sold to Denmark, to private buyers elsewhere in the EU (OSS),
        to EU companies with a VAT number (reverse charge) and outside the EU (export); Odoo's total and tax
        equal the shop's to the cent, through the fiscal position of the buyer's destination."""
        self.backend._poll_orders()
        for sale in self.sales():
            woo = self._woo(sale)
            self.assertEqual((f"{sale.amount_total:.2f}", f"{sale.amount_tax:.2f}"), (woo["total"], woo["total_tax"]),
                             f"order {woo['number']} to {woo['shipping']['country']}")
            self.assertEqual(sale.fiscal_position_id.name, self._destination(woo), woo["number"])
        demo = generate().orders  # the seed of make run (python -m simulators)
        self.assertEqual({self._destination_of(order.customer.address.country, order.customer.vat_number)
                          for order in demo if order.state in ("paid", "shipped", "completed")},
                         {"Denmark (Company)", "OSS B2C Germany", "OSS B2C Netherlands", "EU countries (Company)",
                          "3rd countries (Company / Private)"}, "make run's shops sell to every destination")

    def _destination(self, woo):
        vat = next((meta["value"] for meta in woo["meta_data"] if meta["key"] == "_billing_vat_number"), None)
        return self._destination_of(woo["shipping"]["country"], vat)

    def _destination_of(self, country_code, vat):
        """The fiscal position of a buyer of the Danish shop: domestic, OSS, EU reverse charge or export."""
        if country_code == "DK":
            return "Denmark (Company)"
        if country_code not in EU:
            return "3rd countries (Company / Private)"
        return "EU countries (Company)" if vat else f"OSS B2C {self.env.ref(f'base.{country_code.lower()}').name}"

    def test_company_and_private_customers(self):
        self.backend._poll_orders()
        sales = self.sales()
        company = sales.filtered(lambda s: s.partner_id.parent_id)[:1]
        private = sales.filtered(lambda s: not s.partner_id.parent_id)[:1]
        self.assertTrue(company and private, "the seed has both kinds of buyers")
        woo = self._woo(company)
        self.assertEqual(company.partner_id.parent_id.name, woo["billing"]["company"])
        self.assertTrue(company.partner_id.parent_id.is_company)
        vat = next(meta["value"] for meta in woo["meta_data"] if meta["key"] == "_billing_vat_number")
        self.assertEqual(self.backend._get_adapter().parse_order(woo).customer.vat, vat)
        self.assertTrue(company.partner_id.parent_id.vat, "the company is created with its VAT number")
        woo = self._woo(private)
        self.assertFalse(private.partner_id.is_company)
        self.assertEqual(private.partner_id.name, f"{woo['billing']['first_name']} {woo['billing']['last_name']}")
        self.assertEqual(private.partner_id.country_id.code, woo["billing"]["country"])

    def test_lines_shipping_fee_coupon_and_taxes(self):
        self.backend._poll_orders()
        sales = self.sales()
        shipping_product = self.backend.shipping_product_id
        sale = next(sale for sale in sales if all(self._woo(sale)[key] for key in (
            "fee_lines", "coupon_lines", "tax_lines")) and len(self._woo(sale)["line_items"]) > 1)
        woo = self._woo(sale)
        rate = Decimal(str(woo["tax_lines"][0]["rate_percent"]))
        for item in woo["line_items"]:
            line = sale.order_line.filtered(lambda l, sku=item["sku"]: l.product_id.default_code == sku)
            self.assertEqual(line.product_uom_qty, item["quantity"])
            gross = Decimal(item["subtotal"]) + Decimal(item["subtotal_tax"])
            self.assertAlmostEqual(line.price_unit * line.product_uom_qty, float(gross), places=2)
            assert_destination_tax(self, line, rate)
        shipping = sale.order_line.filtered(lambda l: l.product_id == shipping_product)
        [woo_shipping] = woo["shipping_lines"]
        self.assertEqual(shipping.name, woo_shipping["method_title"])
        self.assertAlmostEqual(shipping.price_unit,
                               float(Decimal(woo_shipping["total"]) + Decimal(woo_shipping["total_tax"])), places=2)
        discount = sale.order_line.filtered(lambda l: l.product_id == self.backend.discount_product_id)
        [coupon] = woo["coupon_lines"]
        self.assertIn(coupon["code"], discount.name)
        self.assertAlmostEqual(-discount.price_unit,
                               float(Decimal(coupon["discount"]) + Decimal(coupon["discount_tax"])), places=2)
        assert_destination_tax(self, discount, rate)
        for fee in woo["fee_lines"]:
            line = sale.order_line.filtered(lambda l, name=fee["name"]: l.name == name)
            self.assertEqual(line.product_id, self.backend.fee_product_id)
            self.assertAlmostEqual(line.price_unit, float(Decimal(fee["total"]) + Decimal(fee["total_tax"])), places=2)
        self.assertAlmostEqual(sale.amount_tax, float(woo["total_tax"]), delta=0.011 * len(sale.order_line))

    def test_poll_again_skips_known_orders_and_logs_a_status_change(self):
        self.backend._poll_orders()
        count = len(self.sales())
        self.backend._poll_orders()
        self.assertEqual(len(self.sales()), count, "a second poll creates nothing")
        woo = next(order for order in self.shop.orders.values() if order["status"] == "processing")
        self.shop.journal.clear()
        self.shop.set_order_status(woo["id"], "completed")
        self.backend._poll_orders()
        [(_method, path, _status)] = self.requests_to("GET", "orders")
        self.assertIn("modified_after=", path)
        self.assertIn("dates_are_gmt=true", path)
        self.assertIn("1 fetched", self.logs("order_import", state="done", reason="Poll")[0].message,
                      "only the order changed after the watermark is fetched")
        log = self.logs("order_import", external_ref=woo["number"], reason="Order already imported")
        self.assertIn("changed from processing to completed (allowed)", log.message)
        self.assertEqual(len(self.sales()), count)
        self.assertEqual(self.sales().filtered(lambda s: s.shop_order_number == woo["number"]).shop_order_state,
                         "completed")

    def test_an_html_page_answered_with_200_fails_the_poll_until_the_shop_answers_again(self):
        self.shop.faults.add("html_page", path="/wp-json/wc/v3/orders")
        self.assertFalse(self.backend._poll_orders())
        log = self.logs("order_import", state="error", reason="Polling failed")
        self.assertIn("with HTML instead of JSON", log.message)
        self.assertIn("<!DOCTYPE html>", log.response_excerpt)
        self.assertFalse(self.backend.orders_synced_until, "the watermark stays")
        self.assertFalse(self.sales())
        self.backend._poll_orders()
        self.assertTrue(self.backend.orders_synced_until)
        self.assertTrue(self.sales())

    def test_a_long_retry_after_postpones_the_poll_job_instead_of_sleeping(self):
        """The shop asks to wait 8 s, then 30 s: no worker sleeps through it (a few seconds at most),
        the poll job is postponed by the wait (RetryableJobError through the one retry rule)."""
        slept = []
        Log = type(self.env["shop.sync.log"])
        with patch.object(HttpClient, "_wait", lambda http, attempt, delay: slept.append(delay) or delay), \
                patch.object(Log, "_record_detached", lambda log, *args, **kw: log._record(*args, **kw).id):
            for wait in (8, 30):
                with self.subTest(wait=wait):
                    self.shop.faults.clear()
                    self.shop.faults.add("rate_limit", retry_after=wait, path="/wp-json/wc/v3/orders")
                    job = self.backend.with_context(queue_job__no_delay=False)._shop_sync_enqueue("orders_poll")
                    with self.assertRaises(RetryableJobError) as caught:
                        self.backend.with_context(job_uuid=job.uuid)._poll_orders()
                    self.assertEqual(caught.exception.seconds, wait)
        self.assertEqual(slept, [], "nothing slept")
        self.assertFalse(self.backend.orders_synced_until, "the watermark stays")

    def test_order_reaching_an_allowed_state_later_is_imported(self):
        seed = next(order for order in CATALOGUE.orders if STATE_TO_STATUS[order.state] == "pending")
        self.backend._poll_orders()
        self.assertFalse(self.sales().filtered(lambda s: s.shop_order_number == seed.number))
        self.shop.set_order_status(seed.number, "processing")
        self.backend._poll_orders()
        sale = self.sales().filtered(lambda s: s.shop_order_number == seed.number)
        self.assertEqual(sale.shop_order_state, "processing")
        self.assertAlmostEqual(sale.amount_total, float(seed.total), places=2)

    def _woo(self, sale):
        return next(order for order in self.shop.orders.values() if order["number"] == sale.shop_order_number)


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceOrderPollResume(RateLimitedWalkCase):
    """A poll the shop's rate limit interrupts (a wait longer than a worker sleeps) continues after
    the pages it read.  Pages of 5 orders (24 seeded: 5 pages), 5 requests a minute (a page and the
    refunds of its orders are up to 4), on a clock that moves only between polls."""

    def test_a_poll_longer_than_the_rate_limit_allows_continues_after_the_pages_it_read(self):
        """Started again from its first page instead, every poll stopped at the same page and the
        orders after it never reached Odoo."""
        expected = {str(order_id) for order_id in self.shop.orders}
        polls = poll_until_the_walk_ends(self.backend, self.clock)
        assert_walk_continued(self, self.backend, polls, expected, self.start)
        self.assertIn("The poll continues after the last page stored in 60 s",
                      self.logs("order_import", reason="Poll paused")[-1].message)

    def test_an_order_trashed_among_the_pages_read_moves_none_past_the_continuation(self):
        """While the poll waits after a few pages, the shop trashes an order of the first: the orders
        after it move a place forward, the first one not read yet onto the last page read.
        Continued at the same page, the walk would pass over that order; the continuation sees that
        the order before its place is no longer the last one read and steps back a page."""
        ids = sorted(self.shop.orders)
        expected = {str(order_id) for order_id in ids}

        def trash_one_of_the_first_page(polls):
            if polls == 2:
                last_read = ids.index(self.backend.orders_poll_resume["after"]["last_id"])
                self.assertGreaterEqual(last_read, 9, "two pages read at least")
                self.assertNotIn(str(ids[last_read + 1]), stored_orders(self.backend), "the next one not yet")
                self.shop.set_order_status(ids[2], "trash")

        polls = poll_until_the_walk_ends(self.backend, self.clock, after_poll=trash_one_of_the_first_page)
        self.assertEqual(stored_orders(self.backend), expected, f"every order reached the inbox ({len(polls)} polls)")
        self.assertFalse(self.logs("order_import", state="error"))
        self.assertEqual(self.backend.orders_synced_until, self.start.replace(tzinfo=None))
