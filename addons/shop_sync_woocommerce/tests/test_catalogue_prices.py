"""Catalogue prices with or without VAT, decided once in the base from the backend's setting and the
Odoo product's sales taxes, on import and on export (the real ORM, the wc/v3 simulator)."""

from decimal import Decimal

from odoo import Command
from odoo.tests import tagged

from simulators.seed import SeedProduct

from .common import WooCommerceCase

SKU = "VAT-LAMP"


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceCataloguePrices(WooCommerceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.included = cls.env.company.account_sale_tax_id
        cls.excluded = cls.env["account.tax"].create({
            "name": "VAT 25% excl. (catalogue)", "amount": 25.0, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_excluded", "company_id": cls.env.company.id})

    def setUp(self):
        super().setUp()
        self.assertEqual((self.included.amount, self.included.price_include), (25.0, True), "the chart's default")

    def odoo_lamp(self, tax, list_price=1.0):
        return self.env["product.template"].create({
            "name": "VAT Lamp", "default_code": SKU, "list_price": list_price, "type": "consu",
            "taxes_id": [Command.set(tax.ids)]})

    def shop_lamp(self, price):
        self.shop.add_product(SeedProduct(sku=SKU, title="VAT Lamp", description="", category="Lamps",
                                          price=Decimal(price), published=True))

    def shop_price(self):
        return float(next(product for product in self.shop.products.values() if product["sku"] == SKU)["regular_price"])

    def lamp(self):
        return self.env["product.template"].search([("default_code", "=", SKU)])

    def test_shop_prices_with_vat_and_an_odoo_tax_without_it(self):
        self.backend.woo_prices_include_tax = True
        lamp = self.odoo_lamp(self.excluded)
        self.shop_lamp("125.00")
        self.backend._import_products(full=True)
        self.assertAlmostEqual(lamp.list_price, 100.0, msg="125 with VAT is 100 without")
        lamp.list_price = 120.0
        self.assertEqual(self.env["shop.sync.product.exporter"]._export(self.backend, lamp), 1)
        self.assertEqual(self.shop_price(), 150.0, "the shop gets the price with VAT")

    def test_shop_prices_without_vat_and_an_odoo_tax_with_it(self):
        self.backend.woo_prices_include_tax = False
        lamp = self.odoo_lamp(self.included)
        self.shop_lamp("100.00")
        self.backend._import_products(full=True)
        self.assertAlmostEqual(lamp.list_price, 125.0, msg="100 without VAT is 125 with it")
        lamp.list_price = 150.0
        self.assertEqual(self.env["shop.sync.product.exporter"]._export(self.backend, lamp), 1)
        self.assertEqual(self.shop_price(), 120.0, "the shop gets the price without VAT")

    def test_a_new_product_takes_the_companys_default_sales_tax(self):
        self.backend.woo_prices_include_tax = False
        self.shop_lamp("100.00")
        self.backend._import_products(full=True)
        self.assertEqual(self.lamp().taxes_id, self.included)
        self.assertAlmostEqual(self.lamp().list_price, 125.0)

    def test_same_convention_passes_the_price_unchanged(self):
        self.backend.woo_prices_include_tax = True
        lamp = self.odoo_lamp(self.included)
        self.shop_lamp("99.95")
        self.backend._import_products(full=True)
        self.assertAlmostEqual(lamp.list_price, 99.95)

    def test_an_imported_product_is_not_written_back_to_its_shop(self):
        """The first export after an import sends nothing to the shop the products came from: the
        import stored the export's fingerprint; a later change in Odoo is sent."""
        self.backend._import_products(full=True)
        bindings = self.env["shop.sync.binding"].search([
            ("backend_id", "=", self.backend.id), ("model", "=", "product.template")])
        templates = self.env["product.template"].browse(bindings.mapped("res_id"))
        self.assertTrue(templates)
        self.shop.journal.clear()
        self.assertEqual(self.env["shop.sync.product.exporter"]._export(self.backend, templates), 0)
        self.assertFalse([entry for entry in self.shop.journal if entry[0] != "GET"], "nothing written")
        templates[0].list_price += 10
        self.assertEqual(self.env["shop.sync.product.exporter"]._export(self.backend, templates), 1)
