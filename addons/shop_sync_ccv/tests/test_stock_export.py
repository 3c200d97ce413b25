from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import ESCAPED_DESCRIPTION, export_described_product

from .common import CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvStockAndExport(CcvCase):
    catalogue_options = {"products": 4, "customers": 2, "orders": 2}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    def set_quantity(self, product, quantity):
        Quant = self.env["stock.quant"]
        location = self.warehouse.lot_stock_id
        current = Quant._get_available_quantity(product, location)
        Quant._update_available_quantity(product, location, quantity - current)
        self.env.invalidate_all()  # free_qty is not invalidated by quants; a real job runs in a new transaction

    def writes(self):
        return [(method, path) for method, path, _status in self.app.journal if method != "GET"]

    def test_free_quantity_is_pushed_once(self):
        bindings = self.env["shop.sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("model", "=", "product.product")])
        variant_binding = bindings.filtered(lambda b: b.external_id.startswith("attributecombinations/"))[:1]
        simple_binding = bindings.filtered(lambda b: b.external_id.startswith("products/"))[:1]
        self.assertTrue(variant_binding and simple_binding)
        variant = self.env["product.product"].browse(variant_binding.res_id)
        simple = self.env["product.product"].browse(simple_binding.res_id)
        self.set_quantity(variant, 7)
        self.set_quantity(simple, 3)
        self.app.journal.clear()
        self.assertEqual(self.backend._export_stock(), len(bindings))
        combination_id = int(variant_binding.external_id.split("/")[1])
        product_id = int(simple_binding.external_id.split("/")[1])
        self.assertEqual(self.app.combinations[combination_id]["stock"], 7)
        self.assertEqual(self.app.products[product_id]["stock"], 3)
        self.assertTrue(self.app.products[product_id]["stockenabled"])
        self.assertEqual(len(self.writes()), len(bindings))
        # nothing changed: nothing pushed
        self.app.journal.clear()
        self.assertEqual(self.backend._export_stock(), 0)
        self.assertEqual(self.writes(), [])
        # one level changed: only that one
        self.set_quantity(variant, 5)
        self.assertEqual(self.backend._export_stock(), 1)
        self.assertEqual(self.writes(), [("PATCH", f"/api/rest/v1/attributecombinations/{combination_id}")])
        self.assertEqual(self.app.combinations[combination_id]["stock"], 5)

    def test_failed_push_is_logged_and_retried_next_time(self):
        binding = self.env["shop.sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("model", "=", "product.product")], limit=1)
        self.backend._export_stock()
        variant = self.env["product.product"].browse(binding.res_id)
        self.set_quantity(variant, 11)
        self.app.faults.add("error", status=400, path=f"/api/rest/v1/{binding.external_id}")
        self.assertEqual(self.backend._export_stock(), 0)
        log = self.logs("stock_export", state="error")
        self.assertIn("HTTP 400", log.message)
        self.assertEqual(self.backend._export_stock(), 1)

    def test_flow3_export_creates_a_draft_and_never_deletes(self):
        self.backend.ccv_vat_rate = 25
        template = self.env["product.template"].create({
            "name": "Odoo Lamp", "default_code": "ODOO-LAMP", "list_price": 100.0, "type": "consu",
            "barcode": "5701234567892", "weight": 1.5})
        Exporter = self.env["shop.sync.product.exporter"]
        self.app.journal.clear()
        self.assertEqual(Exporter._export(self.backend, template), 1)
        created = [p for p in self.app.products.values() if p["productnumber"] == "ODOO-LAMP"]
        self.assertEqual(len(created), 1)
        shop_product = created[0]
        self.assertFalse(shop_product["is_active"], "draft: not active in the shop")
        self.assertEqual((shop_product["name"], shop_product["price"], shop_product["vatrate"]),
                         ("Odoo Lamp", 100.0, 25.0))
        self.assertEqual((shop_product["eannumber"], shop_product["weight"]), ("5701234567892", 1.5))
        binding = self.env["shop.sync.binding"]._for_record(self.backend, template)
        self.assertEqual(binding.external_id, str(shop_product["id"]))
        variant_binding = self.env["shop.sync.binding"]._for_record(self.backend, template.product_variant_id)
        self.assertEqual(variant_binding.external_id, f"products/{shop_product['id']}")
        # update: the price follows (rule on), the name does not (rule off), nothing is created twice
        template.write({"name": "Renamed in Odoo", "list_price": 200.0})
        self.assertEqual(Exporter._export(self.backend, template), 1)
        self.assertEqual([p["id"] for p in self.app.products.values() if p["productnumber"] == "ODOO-LAMP"],
                         [shop_product["id"]])
        self.assertEqual((shop_product["name"], shop_product["price"]), ("Odoo Lamp", 200.0))
        self.assertFalse([entry for entry in self.app.journal if entry[0] == "DELETE"])

    def test_export_finds_the_shop_product_by_number_instead_of_creating_twice(self):
        template = self.env["product.template"].create({
            "name": "Already in the shop", "default_code": "ODOO-TWICE", "list_price": 10.0, "type": "consu"})
        existing = self.adapter().client.post(
            "/products", {"productnumber": "ODOO-TWICE", "name": "Shop", "price": 1.0})
        self.env["shop.sync.product.exporter"]._export(self.backend, template)
        self.assertEqual(len([p for p in self.app.products.values() if p["productnumber"] == "ODOO-TWICE"]), 1)
        self.assertEqual(self.env["shop.sync.binding"]._for_record(self.backend, template).external_id,
                         str(existing["id"]))

    def test_plain_text_description_is_escaped_for_the_shop(self):
        export_described_product(self.env, self.backend)
        [shop_product] = [p for p in self.app.products.values() if p["productnumber"] == "ODOO-TEA"]
        self.assertEqual(shop_product["description"], ESCAPED_DESCRIPTION)
