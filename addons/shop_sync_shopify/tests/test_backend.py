"""The Shopify backend end to end through the hub's jobs: connection, order polling, products,
stock and flow 3, against the simulator over HTTP."""

from datetime import timedelta

from odoo.tests import freeze_time, tagged

from odoo.addons.shop_sync_base.tests.common import (
    ESCAPED_DESCRIPTION, assert_destination_tax, assert_walk_continued, export_described_product,
    poll_until_the_walk_ends)
from odoo.addons.shop_sync_shopify.services import queries
from odoo.addons.shop_sync_shopify.tests.common import START, ShopifyCase
from simulators.shopify import ACCESS_TOKEN
from simulators.shopify.pricing import order_totals
from simulators.shopify.state import GATEWAYS

ALLOWED = ("paid", "shipped", "completed")  # seed states whose Shopify code is PAID
# points left in the bucket for a product poll: the first page of products (its requested cost) and little more
PRODUCT_PAGE_BUDGET = 1000


@tagged("post_install", "-at_install", "shop_sync")
class TestConnection(ShopifyCase):
    def test_connection_ok_remembers_the_primary_location(self):
        self.backend.action_test_connection()
        self.assertEqual(self.backend.connection_state, "ok")
        self.assertIn("Demo Shop (demo-shop.myshopify.com, DKK, prices incl. VAT)", self.backend.connection_message)
        self.assertEqual(self.backend.shopify_location_id, self.sim.state.default_location_id)
        self.assertEqual(len(self.logs("connection", state="done")), 1)

    def test_wrong_token_is_a_clear_failure_and_logged(self):
        self.backend.shopify_access_token = "shpat_wrong"
        self.backend.action_test_connection()
        self.assertEqual(self.backend.connection_state, "failed")
        self.assertIn("HTTP 401: [API] Invalid API key or access token", self.backend.connection_message)
        log = self.logs("connection", state="error")
        self.assertEqual(log.reason, "Connection failed")
        self.assertNotIn("shpat_wrong", log.message)
        self.assertFalse(self.backend.shopify_location_id)

    def test_order_states_and_field_mapping(self):
        states = self.backend.order_state_ids
        self.assertIn("CANCELLED", states.mapped("code"))
        self.assertEqual(states.filtered("allowed").mapped("code"), ["PAID", "PARTIALLY_REFUNDED"])
        self.assertIn("presentmentMoney", self.backend.field_mapping_html)
        self.assertEqual(self.backend._adapter_config()["access_token"], ACCESS_TOKEN)


@tagged("post_install", "-at_install", "shop_sync")
class TestOrderPoll(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    def seed_order(self, predicate):
        return next(order for order in self.catalogue.orders if predicate(order))

    @freeze_time(START)
    def test_allowed_orders_become_sale_orders_to_the_cent(self):
        self.backend._poll_orders()
        for seed in self.catalogue.orders:
            sale = self.sale_for(f"#{seed.number}")
            if seed.state not in ALLOWED:
                self.assertFalse(sale)
                log = self.logs("order_import", external_ref=f"#{seed.number}")
                self.assertEqual((log.state, log.reason), ("skipped", "Order state not allowed"))
                continue
            self.assertEqual(len(sale), 1, self.logs("order_import", external_ref=f"#{seed.number}").message)
            self.assertEqual(sale.currency_id.name, seed.currency)
            self.assertFalse(sale.currency_id.compare_amounts(sale.amount_total, float(seed.total)),
                             f"#{seed.number}: {sale.amount_total} != {seed.total}")
            shop_order = next(order for order in self.sim.state.orders.values() if order["name"] == f"#{seed.number}")
            self.assertEqual(f"{sale.amount_tax:.2f}", f"{order_totals(shop_order)['tax']:.2f}",
                             f"#{seed.number}: the shop's VAT to the cent (issue 15: #1021, #1009 a cent off)")
            self.assertEqual(sale.shop_order_state, "PARTIALLY_REFUNDED" if seed.refunds else "PAID")
            self.assertEqual(sale.partner_id.email, seed.customer.email)
            self.assertEqual(sale.partner_id.parent_id.name or False, seed.customer.company or False)
            for line in sale.order_line:
                assert_destination_tax(self, line, seed.tax_rate)
        self.assertEqual(self.backend.orders_synced_until, START.replace(tzinfo=None))
        self.assertEqual(len(self.logs("order_import", state="done")), 16, "15 orders and the poll itself")

    @freeze_time(START)
    def test_company_order_with_fee_discount_and_shipping(self):
        seed = self.seed_order(lambda order: order.state in ALLOWED and order.customer.company
                               and order.fee_amount and order.discount_amount)
        self.backend._poll_orders()
        sale = self.sale_for(f"#{seed.number}")
        self.assertEqual(sale.partner_id.parent_id.name, seed.customer.company)
        self.assertTrue(sale.partner_id.parent_id.is_company)
        lines = {product: sale.order_line.filtered(lambda line, p=product: line.product_id == p) for product in (
            self.backend.fee_product_id, self.backend.discount_product_id, self.backend.shipping_product_id)}
        self.assertEqual((lines[self.backend.fee_product_id].name, lines[self.backend.fee_product_id].price_unit),
                         ("Gift wrapping", float(seed.fee_amount)))
        self.assertEqual(lines[self.backend.discount_product_id].price_unit, -float(seed.discount_amount))
        self.assertEqual(lines[self.backend.shipping_product_id].name, seed.shipping_method)
        self.assertEqual(sale.shop_payment_method, GATEWAYS[seed.payment_method])
        self.assertEqual(sale.client_order_ref, f"#{seed.number}")
        self.assertEqual(len(sale.order_line), len(seed.lines) + 3)

    @freeze_time(START)
    def test_line_not_taxable_is_untaxed_although_it_lists_its_rate(self):
        # the line lists its rate with a 0.00 amount: counting it as taxed would book VAT the buyer never paid
        seed = self.seed_order(lambda order: order.state in ALLOWED and not order.refunds and len(order.lines) > 1)
        shop_order = next(order for order in self.sim.state.orders.values() if order["name"] == f"#{seed.number}")
        untaxed = shop_order["line_items"][0]
        untaxed["taxable"] = False
        self.backend._poll_orders()
        sale = self.sale_for(f"#{seed.number}")
        self.assertTrue(sale, self.logs("order_import", external_ref=f"#{seed.number}").message)
        self.assertEqual(f"{sale.amount_tax:.2f}", f"{order_totals(shop_order)['tax']:.2f}")
        self.assertFalse(sale.currency_id.compare_amounts(sale.amount_total, float(seed.total)))
        line = sale.order_line.filtered(lambda line: line.product_id.default_code == untaxed["sku"])
        self.assertFalse(line.tax_ids.filtered("amount"), "no VAT on the line the shop did not tax")

    @freeze_time(START)
    def test_private_buyer_in_foreign_currency(self):
        seed = self.seed_order(lambda order: order.state in ALLOWED and not order.customer.company
                               and order.currency != "DKK")
        self.backend._poll_orders()
        sale = self.sale_for(f"#{seed.number}")
        self.assertFalse(sale.partner_id.parent_id)
        self.assertFalse(sale.partner_id.is_company)
        self.assertEqual(sale.pricelist_id.currency_id.name, seed.currency)
        self.assertEqual(sale.partner_id.country_id.code, seed.customer.address.country)

    @freeze_time(START)
    def test_a_poll_longer_than_the_cost_bucket_allows_continues_after_the_pages_it_read(self):
        """Shopify's cost bucket lets the poll read a few pages, then asks for a longer wait than a
        worker sleeps.  The orders read are kept and the poll continues after them once the bucket
        refilled, until the last page; the watermark then moves to the first walk's start.  Started
        again instead, every poll stopped at the same page: the orders after it never came."""
        # a bucket refilling slowly, half used by other apps of the shop: a page of orders (840 points asked)
        # soon needs a wait longer than a worker sleeps
        self.sim.bucket.restore_rate = 10
        self.sim.bucket.spend(self.sim.bucket.available() - 1000)
        expected = {order["id"] for order in self.sim.state.orders.values()}
        polls = poll_until_the_walk_ends(self.backend, self.clock, most=6)
        assert_walk_continued(self, self.backend, polls, expected, START)

    def test_polling_again_creates_no_duplicates_and_logs_state_changes(self):
        with freeze_time(START):
            self.backend._poll_orders()
        sales = self.env["sale.order"].search_count([("shop_sync_backend_id", "=", self.backend.id)])
        paid = self.seed_order(lambda order: order.state == "paid")
        self.clock.advance(3600)
        self.sim.set_order_state(f"#{paid.number}", "refunded")
        with freeze_time(START + timedelta(hours=2)):
            self.backend._poll_orders()
        poll = self.logs("order_import", reason="Poll")[0]
        self.assertEqual(poll.message, "1 fetched, 1 new or changed.", "only what changed since the watermark")
        change = self.logs("order_import", external_ref=f"#{paid.number}", reason="Order already imported")
        self.assertIn("changed from PAID to REFUNDED (not allowed)", change.message)
        self.assertEqual(self.sale_for(f"#{paid.number}").shop_order_state, "REFUNDED")
        self.assertEqual(self.backend.orders_synced_until, (START + timedelta(hours=2)).replace(tzinfo=None))
        # a full re-read (no watermark) finds every payload in the inbox already
        self.backend.orders_synced_until = False
        self.backend._poll_orders()
        self.assertEqual(self.logs("order_import", reason="Poll")[0].message, "30 fetched, 0 new or changed.")
        self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id), ("object", "=", "order")],
                                           limit=3).action_process_now()
        self.assertEqual(self.env["sale.order"].search_count([("shop_sync_backend_id", "=", self.backend.id)]), sales)

    def test_polling_failure_keeps_the_watermark(self):
        self.sim.faults.add("error", status=500, count=None)
        self.backend._poll_orders()
        log = self.logs("order_import", state="error")
        self.assertEqual(log.reason, "Polling failed")
        self.assertFalse(self.backend.orders_synced_until)


@tagged("post_install", "-at_install", "shop_sync")
class TestProducts(ShopifyCase):
    def variant(self, sku):
        return self.env["product.product"].search([("default_code", "=", sku)])

    def test_full_import_is_paged_and_binds_inventory_items(self):
        self.assertLess(queries.PRODUCT_PAGE_SIZE, len(self.catalogue.products))
        self.sim.journal.clear()
        self.backend._import_products(full=True)
        self.assertEqual(len(self.sim.journal), 2, "two pages of products")
        self.assertEqual(len(self.logs("product_import", state="done")), len(self.catalogue.products) + 1)
        for seed in self.catalogue.products:
            for seed_variant in seed.variants or [seed]:
                variant = self.variant(seed_variant.sku)
                self.assertEqual(len(variant), 1, seed_variant.sku)
                binding = self.env["shop.sync.binding"]._for_record(self.backend, variant)
                shop_variant = self.sim.state.variant_by_sku(seed_variant.sku)
                self.assertEqual(binding.external_id, shop_variant["inventory_item_id"])
            template = self.variant((seed.variants or [seed])[0].sku).product_tmpl_id
            self.assertEqual((template.name, template.list_price, template.sale_ok),
                             (seed.title, float(seed.price), seed.published))
            self.assertEqual(template.default_code or False, False if seed.variants else seed.sku)

    def test_update_follows_the_field_rules(self):
        with freeze_time(START):
            self.backend._import_products(full=True)
        seed = next(product for product in self.catalogue.products if not product.variants)
        template = self.variant(seed.sku).product_tmpl_id
        template.name = "Enriched in Odoo"
        self.clock.advance(60)
        self.sim.update_product(seed.sku, title="Renamed in Shopify", price=seed.price + 10, barcode="5701234567890")
        with freeze_time(START + timedelta(minutes=5)):
            self.backend._import_products()
        self.assertEqual(self.logs("product_import", reason="Poll")[0].message, "1 fetched, 1 new or changed.")
        self.assertEqual(template.name, "Enriched in Odoo", "names are not updated by default")
        self.assertEqual(template.list_price, float(seed.price + 10))
        self.assertEqual(self.variant(seed.sku).barcode, "5701234567890")

    @freeze_time(START)
    def test_a_product_poll_the_cost_bucket_interrupts_continues_after_the_pages_it_read(self):
        """As an order poll (TestOrderPoll): the products of the pages read are kept, the next poll
        continues after them."""
        self.sim.bucket.restore_rate = 10  # refilling slowly: the second page waits longer than a worker sleeps
        self.sim.bucket.spend(self.sim.bucket.available() - PRODUCT_PAGE_BUDGET)
        expected = {product["id"] for product in self.sim.state.products.values()}
        polls = poll_until_the_walk_ends(self.backend, self.clock, "_import_products", "product_import", most=4)
        assert_walk_continued(self, self.backend, polls, expected, START, "product_import", "product")
        self.assertEqual([bool(wait) for wait in polls], [True, False], "paused once, then continued to the end")

    def test_variant_without_sku_is_logged(self):
        seed = next(product for product in self.catalogue.products if len(product.variants) >= 2)
        self.sim.update_product(seed.variants[1].sku, sku=None)
        self.backend._import_products(full=True)
        log = self.logs("product_import", reason="Variant without SKU")
        self.assertEqual(log.state, "error")
        self.assertIn(" / ".join(seed.variants[1].options.values()), log.message)
        self.assertTrue(self.variant(seed.variants[0].sku))


@tagged("post_install", "-at_install", "shop_sync")
class TestStockAndExport(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.backend.warehouse_id = cls.warehouse

    def set_odoo_stock(self, product, quantity):
        quant = self.env["stock.quant"]._gather(product, self.warehouse.lot_stock_id)
        self.env["stock.quant"]._update_available_quantity(
            product, self.warehouse.lot_stock_id, quantity - sum(quant.mapped("quantity")))
        self.env.invalidate_all()  # free_qty is cached; a job would start afresh

    def test_stock_reaches_shopify_and_a_shop_side_change_is_logged(self):
        sku = next(product for product in self.catalogue.products if product.variants).variants[0].sku
        product = self.env["product.product"].search([("default_code", "=", sku)])
        self.set_odoo_stock(product, 12)
        self.backend._export_stock()
        self.assertEqual(self.sim.inventory_level(sku)["available"], 12)
        self.assertFalse(self.logs("stock_export", state="error"))
        self.sim.set_stock(sku, 9)  # three sold in Shopify meanwhile
        self.set_odoo_stock(product, 15)
        self.backend._export_stock(product)
        self.assertEqual(self.sim.inventory_level(sku)["available"], 15)
        note = self.logs("stock_export", reason="Stock changed in Shopify")
        self.assertEqual(note.external_ref, sku)
        self.assertIn("Shopify had 9 available where 12 was last pushed", note.message)
        binding = self.env["shop.sync.binding"]._for_record(self.backend, product)
        self.assertEqual(binding.last_value, "15")

    def test_odoo_product_is_exported_as_draft_and_gets_stock(self):
        template = self.env["product.template"].create({
            "name": "Odoo Candle", "default_code": "ODOO-CANDLE", "list_price": 79.0, "type": "consu",
            "is_storable": True, "description_sale": "Smells of pine"})
        self.env["shop.sync.product.exporter"]._export(self.backend, template)
        log = self.logs("product_export")
        self.assertEqual((log.state, log.message), ("done", "Created."))
        product_gid = self.env["shop.sync.binding"]._for_record(self.backend, template).external_id
        shop_product = self.sim.products[product_gid]
        self.assertEqual((shop_product["title"], shop_product["status"]), ("Odoo Candle", "DRAFT"))
        [variant] = self.sim.state.product_variants(shop_product)
        self.assertEqual((variant["sku"], str(variant["price"])), ("ODOO-CANDLE", "79.00"))
        self.set_odoo_stock(template.product_variant_id, 4)
        self.backend._export_stock(template.product_variant_id)
        self.assertEqual(self.sim.inventory_level("ODOO-CANDLE")["available"], 4)

    def test_plain_text_description_is_escaped_for_the_shop(self):
        template = export_described_product(self.env, self.backend)
        product_gid = self.env["shop.sync.binding"]._for_record(self.backend, template).external_id
        self.assertEqual(self.sim.products[product_gid]["description_html"], ESCAPED_DESCRIPTION)
