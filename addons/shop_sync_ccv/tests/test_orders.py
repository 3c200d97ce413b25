from datetime import UTC, datetime
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import (
    assert_destination_tax, assert_walk_continued, poll_until_the_walk_ends)
from simulators.common import ManualClock

from .common import ALLOWED_SEED_STATES, CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvOrders(CcvCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    def order_logs(self, number):
        return self.logs("order_import", external_ref=str(number))

    def test_poll_imports_allowed_orders_with_partner_lines_and_total(self):
        self.backend._poll_orders()
        allowed = [order for order in self.catalogue.orders if order.state in ALLOWED_SEED_STATES]
        self.assertTrue(allowed and len(allowed) < len(self.catalogue.orders))
        for seed in self.catalogue.orders:
            sale = self.sale_for(seed.number)
            if seed.state not in ALLOWED_SEED_STATES:
                self.assertFalse(sale)
                log = self.order_logs(seed.number)
                self.assertEqual((log.state, log.reason), ("skipped", "Order state not allowed"), seed.state)
                continue
            self.assertEqual(len(sale), 1, self.order_logs(seed.number).mapped("message"))
            self.assertEqual(sale.currency_id.name, seed.currency)
            self.assertEqual(sale.currency_id.compare_amounts(sale.amount_total, float(seed.total)), 0,
                             f"{seed.number}: shop {seed.total}, Odoo {sale.amount_total}")
            ccv = next(order for order in self.app.orders.values() if str(order["ordernumber"]) == str(seed.number))
            self.assertEqual(f"{sale.amount_tax:.2f}", f"{ccv['total_tax']:.2f}", f"{seed.number}: the shop's VAT")
            self.assertEqual(sale.partner_id.email, seed.customer.email)
            if seed.customer.company:
                self.assertEqual(sale.partner_id.parent_id.name, seed.customer.company)
                self.assertTrue(sale.partner_id.parent_id.is_company)
            else:
                self.assertFalse(sale.partner_id.parent_id)
                self.assertFalse(sale.partner_id.is_company)
            self.assertEqual(sale.partner_id.commercial_partner_id.country_id.code, seed.customer.address.country)
            self.assertEqual(sale.partner_shipping_id, sale.partner_id.commercial_partner_id,
                             "an identical delivery address is the customer")
            lines = {line.product_id: line for line in sale.order_line}
            specials = (self.backend.shipping_product_id | self.backend.fee_product_id
                        | self.backend.discount_product_id)
            self.assertEqual({(p.default_code, lines[p].product_uom_qty)
                              for p in sale.order_line.product_id - specials},
                             {(line.sku, line.quantity) for line in seed.lines})
            for line in seed.lines:
                product_line = sale.order_line.filtered(lambda l, sku=line.sku: l.product_id.default_code == sku)
                self.assertAlmostEqual(product_line.price_unit, float(line.unit_price))
                assert_destination_tax(self, product_line, line.tax_rate)
            expected_extra = {
                self.backend.shipping_product_id: seed.shipping_amount,
                self.backend.fee_product_id: seed.fee_amount,
                self.backend.discount_product_id: -seed.discount_amount,
            }
            for product, amount in expected_extra.items():
                if amount:
                    self.assertAlmostEqual(lines[product].price_unit, float(amount), msg=product.name)
                else:
                    self.assertNotIn(product, lines)
            self.assertEqual(sale.shop_order_state, {"paid": "2", "shipped": "5", "completed": "7"}[seed.state])
            self.assertTrue(sale.shop_payment_method)
            self.assertEqual(self.order_logs(seed.number).state, "done")

    def test_second_poll_creates_no_duplicates(self):
        self.backend._poll_orders()
        sales = self.env["sale.order"].search_count([("shop_sync_backend_id", "=", self.backend.id)])
        events = self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id), ("object", "=", "order")])
        self.assertEqual(len(events), len(self.catalogue.orders))
        self.assertEqual(self.backend._poll_orders(), 0,
                         "unchanged orders of the look-back window are not stored again")
        events._process()  # even replaying every payload
        self.assertEqual(self.env["sale.order"].search_count([("shop_sync_backend_id", "=", self.backend.id)]), sales)
        imported = self.catalogue.orders[1]
        self.assertEqual(self.order_logs(imported.number)[0].reason, "Order already imported")

    def test_status_change_is_logged_on_the_existing_order(self):
        self.backend._poll_orders()
        paid = next(order for order in self.catalogue.orders if order.state == "paid")
        pending = next(order for order in self.catalogue.orders if order.state == "pending")
        sale = self.sale_for(paid.number)
        self.app.set_order_status(int(paid.number), "shipped")
        self.app.set_order_status(int(pending.number), "paid")
        self.assertEqual(self.backend._poll_orders(), 2)
        log = self.order_logs(paid.number)[0]
        self.assertEqual((log.state, log.reason), ("skipped", "Order already imported"))
        self.assertIn("changed from 2 to 5 (allowed)", log.message)
        self.assertEqual(self.sale_for(paid.number), sale)
        self.assertEqual(sale.shop_order_state, "5")
        self.assertEqual(len(self.sale_for(pending.number)), 1, "paid later: imported now")

    def test_order_details_discount_costs_company_and_delivery_address(self):
        """A b2b order posted through the API: row discount per unit, payment and extra costs,
        discount, another delivery address; read from a webhook-style notification."""
        product = next(p for p in self.app.products.values() if not any(
            c["product_id"] == p["id"] for c in self.app.combinations.values()))
        client = self.adapter().client
        address = {"first_name": "Eva", "last_name": "de Vries", "company": "Fiets BV", "street": "Oudegracht",
                   "housenumber": 12, "housenumber_suffix": "a", "zipcode": "3511", "city": "Utrecht",
                   "country_code": "NL", "telephone": "+31 30 123"}
        created = client.post("/orders", {
            "customer": {"email": "eva@fiets.example", "customertype": "b2b", "btw": "NL123456782B90",
                         "billingaddress": address,
                         "deliveryaddress": {**address, "street": "Lange Nieuwstraat", "housenumber": 3,
                                             "housenumber_suffix": ""}},
            # an EU company with a VAT number buys from a Danish shop: reverse charge, no VAT
            "orderrows": [{"product_id": product["id"], "count": 3, "price": 121.0, "discount": 12.1, "tax": 0}],
            "status": 2, "paid": True, "currency": "EUR", "total_shipping": 6.05, "paymethod_costs": 1.21,
            "extra_costs": 2.42, "extra_costs_description": "Gift wrapping",
        })
        self.app.orders[created["id"]].update(total_discounts=3.63, shipping_tax_percentage=0.0)
        self.app._recalculate(self.app.orders[created["id"]])
        order = self.adapter().parse_order({"id": created["id"], "href": created["href"]})
        self.assertEqual(order.number, str(created["ordernumber"]))
        self.assertEqual(order.customer.company, "Fiets BV")
        self.assertEqual(order.customer.vat, "NL123456782B90")
        self.assertEqual(order.billing.street, "Oudegracht 12a")
        self.assertEqual(order.shipping.street, "Lange Nieuwstraat 3")
        by_kind = {}
        for line in order.lines:
            by_kind.setdefault(line.kind, []).append(line)
        self.assertEqual(by_kind["product"][0].unit_price, Decimal("108.9"))
        self.assertEqual(by_kind["product"][0].sku, product["productnumber"])
        self.assertEqual([(line.unit_price, line.tax_rate) for line in by_kind["shipping"]],
                         [(Decimal("6.05"), Decimal("0"))])
        self.assertEqual(sorted(line.unit_price for line in by_kind["fee"]), [Decimal("1.21"), Decimal("2.42")])
        self.assertEqual(by_kind["discount"][0].unit_price, Decimal("3.63"))
        log = self.env["shop.sync.order.importer"]._import(self.backend, order)
        self.assertEqual(log.state, "done", log.message)
        sale = self.sale_for(order.number)
        self.assertAlmostEqual(sale.amount_total, self.app.orders[created["id"]]["total_price"])
        self.assertEqual(sale.partner_id.parent_id.name, "Fiets BV")
        self.assertEqual(sale.partner_shipping_id.type, "delivery")
        self.assertEqual(sale.partner_shipping_id.street, "Lange Nieuwstraat 3")

    def test_private_person_with_empty_delivery_address(self):
        address = {"first_name": "Ole", "last_name": "Hansen", "address_line_1": "Mugvej 3", "zipcode": "8000",
                   "city": "Aarhus", "country_code": "DK"}
        order = self.adapter().parse_order({
            "id": 1, "ordernumber": 77, "ordernumber_full": None, "status": 1, "create_date": "2026-01-05T10:00:00Z",
            "currency": "DKK", "total_price": 0, "customer": {"email": "ole@example.com", "customertype": "b2c",
                                                              "billingaddress": address, "deliveryaddress": {}},
            "orderrows": {"items": []}})
        self.assertEqual(order.number, "77")
        self.assertEqual(order.customer.company, "")
        self.assertEqual(order.shipping, order.billing)
        self.assertEqual(order.billing.street, "Mugvej 3")
        self.assertEqual(order.lines, [])


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvOrderPollResume(CcvCase):
    """A poll CCV's per-minute limit interrupts (a wait longer than a worker sleeps) continues after
    the pages it read: pages of 3 orders (12 seeded: 4 pages), 2 GET /orders a minute, on a clock
    that moves only between polls, from the start of a minute (the shop's windows are whole minutes)."""

    def setUp(self):
        super().setUp()
        self.start = datetime.now(UTC).replace(second=0, microsecond=0)
        self.clock = ManualClock(self.start)
        self.startPatcher(patch.multiple(self.app, clock=self.clock, get_limit=2))
        get_adapter = type(self.backend)._get_adapter

        def small_pages(backend):
            adapter = get_adapter(backend)
            adapter.client.page_size = 3
            return adapter

        self.startPatcher(patch.object(type(self.backend), "_get_adapter", small_pages))

    def test_a_poll_longer_than_the_rate_limit_allows_continues_after_the_pages_it_read(self):
        """Started again from its first page instead, every poll stopped at the same page and the
        orders after it never reached Odoo."""
        expected = {str(order_id) for order_id in self.app.orders}
        polls = poll_until_the_walk_ends(self.backend, self.clock)
        assert_walk_continued(self, self.backend, polls, expected, self.start)
        paused = self.logs("order_import", reason="Poll paused")
        self.assertIn("429.10", paused[-1].message)
        self.assertIn("The poll continues after the last page stored in 60 s", paused[-1].message)
