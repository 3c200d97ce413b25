from datetime import UTC, datetime, timedelta

from odoo.tests import tagged

from simulators.ccv import API_PREFIX

from .common import CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvProducts(CcvCase):
    catalogue_options = {"products": 6, "customers": 2, "orders": 2}

    def template_for(self, shop_product):
        binding = self.env["shop.sync.binding"].search([
            ("backend_id", "=", self.backend.id), ("model", "=", "product.template"),
            ("external_id", "=", str(shop_product["id"]))])
        return binding._record()

    def shop_product(self, seed):
        return next(p for p in self.app.products.values() if p["productnumber"] == seed.sku)

    def test_full_import_creates_templates_and_variants_by_sku(self):
        self.import_products()
        self.assertTrue(any(seed.has_variants for seed in self.catalogue.products))
        self.assertTrue(any(not seed.has_variants for seed in self.catalogue.products))
        for seed in self.catalogue.products:
            template = self.template_for(self.shop_product(seed))
            self.assertTrue(template, seed.sku)
            self.assertEqual(template.name, seed.title)
            # CCV prices include VAT, as the Odoo product's sales tax does here: no conversion
            self.assertAlmostEqual(template.list_price, float(seed.price), places=2)
            variants = template.product_variant_ids
            if seed.has_variants:
                self.assertEqual(sorted(variants.mapped("default_code")), sorted(v.sku for v in seed.variants))
                for variant in seed.variants:
                    odoo_variant = variants.filtered(lambda p, sku=variant.sku: p.default_code == sku)
                    options = odoo_variant.product_template_attribute_value_ids
                    self.assertEqual({ptav.attribute_id.name: ptav.name for ptav in options}, variant.options)
                    self.assertEqual(odoo_variant.barcode, variant.barcode)
                    binding = self.env["shop.sync.binding"]._for_record(self.backend, odoo_variant)
                    combination = next(c for c in self.app.combinations.values() if c["sku_number"] == variant.sku)
                    self.assertEqual(binding.external_id, f"attributecombinations/{combination['id']}")
            else:
                self.assertEqual(variants.default_code, seed.sku)
                binding = self.env["shop.sync.binding"]._for_record(self.backend, variants)
                self.assertEqual(binding.external_id, f"products/{self.shop_product(seed)['id']}")
        self.assertFalse(self.logs("product_import", state="error"))

    def test_update_rules_name_off_price_on(self):
        self.import_products()
        seed = self.catalogue.products[0]
        shop_product = self.shop_product(seed)
        template = self.template_for(shop_product)
        self.app.update_product(shop_product["id"], name="Renamed in the shop", price=250.0)
        self.import_products()
        self.assertEqual(template.name, seed.title, "name is not written on update by default")
        self.assertAlmostEqual(template.list_price, 250.0)
        rule = self.backend.field_rule_ids.filtered(
            lambda r: (r.object, r.direction, r.field) == ("product", "import", "name"))
        rule.on_update = True
        self.app.update_product(shop_product["id"], name="Renamed again", price=125.0)
        self.import_products()
        self.assertEqual(template.name, "Renamed again")
        self.assertAlmostEqual(template.list_price, 125.0)
        self.assertEqual(self.env["product.template"].search_count([("name", "in", ("Renamed again", seed.title))]), 1)

    def test_variant_without_sku_is_logged(self):
        seed = next(seed for seed in self.catalogue.products if seed.has_variants)
        combination = next(c for c in self.app.combinations.values() if c["sku_number"] == seed.variants[0].sku)
        self.app.combinations[combination["id"]]["sku_number"] = ""
        self.import_products()
        log = self.logs("product_import", external_ref=seed.sku)
        self.assertEqual((log.state, log.reason), ("error", "Variant without SKU"))
        template = self.template_for(self.shop_product(seed))
        self.assertNotIn(seed.variants[0].sku, template.product_variant_ids.mapped("default_code"))

    def test_changes_only_poll_reads_recently_modified_products(self):
        seed = self.catalogue.products[-1]
        shop_product = self.shop_product(seed)
        shop_product["modifydate"] = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.app.journal.clear()
        changed = list(self.adapter().fetch_products(datetime.now(UTC) + timedelta(hours=1)))
        self.assertEqual([product["id"] for product in changed], [shop_product["id"]])
        self.assertEqual(len(changed[0]["attributecombinations"]["items"]), len(seed.variants))
        calls = [path for method, path, _status in self.app.journal if method == "GET"]
        self.assertEqual(len(calls), 1, "one page of products, their combinations embedded (expand)")
        self.assertIn("orderby=modifydate_desc", calls[0])
        self.assertEqual(self.adapter().parse_product(changed[0]).updated_at,
                         datetime.fromisoformat(shop_product["modifydate"]), "modifydate, the version")
        self.assertTrue(calls[0].startswith(API_PREFIX + "/products"))
