
from odoo import Command
from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import (
    ESCAPED_DESCRIPTION, assert_walk_continued, export_described_product, poll_until_the_walk_ends)

from .common import CATALOGUE, RateLimitedWalkCase, WooCommerceCase


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceProducts(WooCommerceCase):
    def variant(self, sku):
        return self.env["product.product"].with_context(active_test=False).search([("default_code", "=", sku)])

    def test_full_import_of_simple_and_variable_products(self):
        self.import_products()
        simple = next(p for p in CATALOGUE.products if not p.has_variants)
        variable = next(p for p in CATALOGUE.products if p.has_variants)
        product = self.variant(simple.sku)
        self.assertEqual(product.name, simple.title)
        self.assertAlmostEqual(product.list_price, float(simple.price))
        self.assertEqual(product.categ_id.name, simple.category)
        self.assertEqual(product.sale_ok, simple.published)
        template = self.variant(variable.variants[0].sku).product_tmpl_id
        self.assertEqual(template.name, variable.title)
        self.assertEqual(sorted(template.product_variant_ids.mapped("default_code")),
                         sorted(v.sku for v in variable.variants))
        for seed_variant in variable.variants:
            odoo_variant = self.variant(seed_variant.sku)
            self.assertEqual(odoo_variant.barcode, seed_variant.barcode)
            self.assertAlmostEqual(odoo_variant.weight, float(seed_variant.weight_kg))
            self.assertEqual({v.attribute_id.name: v.name for v in odoo_variant.product_template_attribute_value_ids},
                             seed_variant.options)
        woo_product = next(p for p in self.shop.products.values() if p["sku"] == variable.sku)
        variation = next(v for v in self.shop.variations.values() if v["sku"] == variable.variants[0].sku)
        Binding = self.env["shop.sync.binding"]
        self.assertEqual(Binding._for_record(self.backend, template).external_id, str(woo_product["id"]))
        self.assertEqual(Binding._for_record(self.backend, self.variant(variable.variants[0].sku)).external_id,
                         f"{woo_product['id']}/{variation['id']}")
        self.assertEqual(len(self.logs("product_import", state="done", reason=False)), len(CATALOGUE.products))

    def test_update_follows_the_field_rules(self):
        self.import_products()
        simple = next(p for p in CATALOGUE.products if not p.has_variants)
        self.shop.update_product(simple.sku, name="Renamed in the shop", regular_price="123.00")
        self.backend._import_products()
        product = self.variant(simple.sku)
        self.assertEqual(product.name, simple.title, "names are not overwritten on update by default")
        self.assertAlmostEqual(product.list_price, 123.0, msg="prices are updated by default")

    def test_variation_without_sku_is_logged(self):
        variable = next(p for p in CATALOGUE.products if p.has_variants)
        self.shop.update_product(variable.variants[-1].sku, sku="")
        self.import_products()
        log = self.logs("product_import", reason="Variant without SKU")
        self.assertEqual(len(log), 1)
        self.assertEqual(log.external_ref, variable.sku)
        self.assertIn(variable.variants[-1].options["Size"], log.message)
        self.assertTrue(self.variant(variable.variants[0].sku), "the variants with SKU are imported")

    def test_product_webhook_payload_of_a_variation_imports_its_product(self):
        variable = next(p for p in CATALOGUE.products if p.has_variants)
        variation = next(v for v in self.shop.variations.values() if v["sku"] == variable.variants[0].sku)
        adapter = self.backend._get_adapter()
        payload = self.shop._render("products", variation, self.shop.site_url)
        self.assertEqual(adapter.identify("product", payload)[0], str(variation["parent_id"]))
        record = adapter.parse_product(payload)
        self.assertEqual(record.external_id, str(variation["parent_id"]))
        self.assertEqual(sorted(v.sku for v in record.variants), sorted(v.sku for v in variable.variants))


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceStockAndExport(WooCommerceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)
        cls.simple = next(p for p in CATALOGUE.products if not p.has_variants)
        cls.variable = next(p for p in CATALOGUE.products if p.has_variants)

    def variant(self, sku):
        return self.env["product.product"].with_context(active_test=False).search([("default_code", "=", sku)])

    def put_stock(self, sku, quantity):
        self.env["stock.quant"]._update_available_quantity(self.variant(sku), self.warehouse.lot_stock_id, quantity)

    def woo(self, sku):
        return next(r for r in [*self.shop.products.values(), *self.shop.variations.values()] if r["sku"] == sku)

    def test_free_quantity_pushed_through_batch_endpoints_once(self):
        variation_sku = self.variable.variants[0].sku
        self.put_stock(self.simple.sku, 7)
        self.put_stock(variation_sku, 3)
        pushed = self.backend._export_stock()
        self.assertEqual((self.woo(self.simple.sku)["manage_stock"], self.woo(self.simple.sku)["stock_quantity"]),
                         (True, 7))
        self.assertEqual(self.woo(variation_sku)["stock_quantity"], 3)
        bindings = self.env["shop.sync.binding"].search([("backend_id", "=", self.backend.id),
                                                         ("model", "=", "product.product")])
        self.assertEqual(pushed, len(bindings))
        batch_posts = self.requests_to("POST", "products")
        self.assertTrue(all(path.endswith("/batch") for _m, path, _s in batch_posts))
        parents = {binding.external_id.partition("/")[0] for binding in bindings if "/" in binding.external_id}
        self.assertEqual(len(batch_posts), len(parents) + 1, "one products batch plus one per variable parent")
        self.shop.journal.clear()
        self.assertEqual(self.backend._export_stock(), 0, "unchanged levels are not pushed again")
        self.assertFalse(self.requests_to("POST", "products"))
        self.put_stock(self.simple.sku, -2)
        self.env.invalidate_all()  # free_qty is cached for the transaction; a job has its own
        self.assertEqual(self.backend._export_stock(), 1)
        self.assertEqual(self.woo(self.simple.sku)["stock_quantity"], 5)

    def test_refused_batch_item_is_logged_for_its_sku_only(self):
        gone = self.variable.variants[-1].sku
        variation = self.woo(gone)
        del self.shop.variations[variation["id"]]
        self.shop.products[variation["parent_id"]]["variations"].remove(variation["id"])
        self.put_stock(self.simple.sku, 4)
        self.put_stock(gone, 4)
        self.backend._export_stock()
        errors = self.logs("stock_export", state="error")
        self.assertEqual(errors.mapped("external_ref"), [gone])
        self.assertIn("[woocommerce_rest_product_variation_invalid_id]", errors.message)
        self.assertEqual(self.woo(self.simple.sku)["stock_quantity"], 4)
        self.assertEqual(self.woo(self.variable.variants[0].sku)["stock_quantity"], 0)

    def test_export_creates_draft_products_and_updates_given_fields(self):
        simple = self.env["product.template"].create({
            "name": "Odoo Lamp", "default_code": "ODOO-LAMP", "list_price": 249.0, "type": "consu",
            "is_storable": True, "weight": 1.25, "description_sale": "Made in Odoo"})
        size = self.env["product.attribute"].create({"name": "Size", "value_ids": [
            Command.create({"name": "S"}), Command.create({"name": "M"})]})
        variable = self.env["product.template"].create({
            "name": "Odoo Shirt", "list_price": 199.0, "type": "consu", "is_storable": True,
            "attribute_line_ids": [Command.create({"attribute_id": size.id,
                                                   "value_ids": [Command.set(size.value_ids.ids)]})]})
        for variant in variable.product_variant_ids:
            variant.default_code = f"ODOO-SHIRT-{variant.product_template_attribute_value_ids.name}"
        self.assertEqual(self.env["shop.sync.product.exporter"]._export(self.backend, simple | variable), 2)
        lamp = self.woo("ODOO-LAMP")
        self.assertEqual((lamp["status"], lamp["type"], lamp["regular_price"], lamp["weight"], lamp["name"]),
                         ("draft", "simple", "249.00", "1.25", "Odoo Lamp"))
        shirt_s = self.woo("ODOO-SHIRT-S")
        shirt = self.shop.products[shirt_s["parent_id"]]
        self.assertEqual((shirt["status"], shirt["type"], len(shirt["variations"])), ("draft", "variable", 2))
        self.assertEqual(shirt_s["attributes"], [{"id": 0, "name": "Size", "option": "S"}])
        Binding = self.env["shop.sync.binding"]
        self.assertEqual(Binding._for_record(self.backend, variable).external_id, str(shirt["id"]))
        self.assertEqual(Binding._for_record(self.backend, variable.product_variant_ids[0]).external_id.split("/")[0],
                         str(shirt["id"]))
        # update: only the fields the export rules allow on update (price, not the name), never the status
        simple.write({"list_price": 259.0, "name": "Renamed in Odoo"})
        products = len(self.shop.products)
        self.env["shop.sync.product.exporter"]._export(self.backend, simple)
        lamp = self.woo("ODOO-LAMP")
        self.assertEqual((lamp["regular_price"], lamp["name"], lamp["status"]), ("259.00", "Odoo Lamp", "draft"))
        self.assertEqual(len(self.shop.products), products)

    def test_plain_text_description_is_escaped_for_the_shop(self):
        export_described_product(self.env, self.backend)
        self.assertEqual(self.woo("ODOO-TEA")["description"], ESCAPED_DESCRIPTION)


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceProductPollResume(RateLimitedWalkCase):
    """A product poll the shop's rate limit interrupts continues after the pages it read, as an order
    poll does (TestWooCommerceOrderPollResume): pages of 5 products, 5 requests a minute (a page and
    the variations of its variable products), on a clock that moves only between polls."""

    def test_a_product_poll_longer_than_the_rate_limit_allows_continues_after_the_pages_it_read(self):
        """Started again from its first page instead, every poll stopped at the same page and the
        products after it never reached Odoo."""
        expected = {str(product["id"]) for product in self.shop.products.values()
                    if product["type"] in ("simple", "variable")}
        polls = poll_until_the_walk_ends(self.backend, self.clock, "_import_products", "product_import")
        assert_walk_continued(self, self.backend, polls, expected, self.start, "product_import", "product")
