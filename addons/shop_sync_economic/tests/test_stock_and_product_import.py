from datetime import datetime
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models import shop_sync_economic_product_importer as importer
from ..services import mapper
from .common import EconomicCase

T0 = 1_767_614_400.0  # 2026-01-05T12:00:00Z


@tagged("post_install", "-at_install", "shop_sync")
class TestStockMaster(EconomicCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.location = cls.warehouse.lot_stock_id
        cls.accounting.write({"economic_stock_master": True, "warehouse_id": cls.warehouse.id})
        cls.lamp = cls.env["product.product"].create({
            "name": "Lamp", "default_code": "LAMP-1", "type": "consu", "is_storable": True})

    def setUp(self):
        super().setUp()
        self.sim.clock = lambda: T0
        for number in ("MUG-1", "LAMP-1", "ONLY-IN-ECONOMIC"):
            self.sim.products[number] = {
                "productNumber": number, "name": number, "salesPrice": 10.0, "costPrice": 0.0,
                "recommendedPrice": 0.0, "productGroup": {"productGroupNumber": 1}, "unit": {"unitNumber": 1},
                "inventory": {"available": 0.0, "inStock": 0.0, "orderedByCustomers": 0.0},
                "lastUpdated": "2026-01-05T11:00:00Z"}
        self.sim.set_inventory("MUG-1", 7)
        self.sim.set_inventory("LAMP-1", 3, in_stock=5)

    def on_hand(self, product):
        return product.with_context(location=self.location.id).qty_available

    def test_pull_sets_on_hand_and_locks_manual_changes(self):
        self.assertEqual(self.accounting._economic_pull_stock(), 2)
        self.assertEqual((self.on_hand(self.mug), self.on_hand(self.lamp)), (7, 3), "the available figure")
        self.assertEqual((self.mug.shop_sync_stock_master_id, self.lamp.shop_sync_stock_master_id),
                         (self.accounting, self.accounting))
        log = self.logs("stock_import")
        self.assertEqual(log.state, "done")
        self.assertIn("3 products read, 2 matched, 2 quantities changed", log.message)
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        with self.assertRaises(UserError):
            Quant.create({"product_id": self.mug.id, "location_id": self.location.id, "inventory_quantity": 50})
        quant = Quant.search([("product_id", "=", self.mug.id), ("location_id", "=", self.location.id)])
        quant.inventory_quantity = 0
        quant.inventory_quantity_set = True
        with self.assertRaises(UserError):
            quant.action_apply_inventory()
        self.assertEqual(self.on_hand(self.mug), 7)
        # the next change in e-conomic comes through
        self.accounting.economic_stock_synced_until = datetime(2026, 1, 5, 12, 5)
        self.sim.clock = lambda: T0 + 600
        self.sim.set_inventory("MUG-1", 4)
        self.assertEqual(self.accounting._economic_pull_stock(), 1)
        self.assertEqual(self.on_hand(self.mug), 4)

    def test_watermark_asks_only_for_changes(self):
        self.accounting._economic_pull_stock()
        self.accounting.economic_stock_synced_until = datetime(2026, 1, 5, 12, 5)
        self.sim.clock = lambda: T0 + 600
        self.sim.set_inventory("LAMP-1", 9)
        self.sim.journal.clear()
        self.assertEqual(self.accounting._economic_pull_stock(), 1)
        self.assertIn("1 products read", self.logs("stock_import")[0].message)
        (request,) = self.journal("GET", "/products")
        self.assertIn("lastUpdated$gt:2026-01-05T12:05:00Z", request[1].replace("%24", "$").replace("%3A", ":"))
        self.assertEqual((self.on_hand(self.mug), self.on_hand(self.lamp)), (7, 9))

    def test_switching_the_stock_master_off_unlocks(self):
        self.accounting._economic_pull_stock()
        self.accounting.economic_stock_master = False
        self.assertFalse(self.mug.shop_sync_stock_master_id)
        quant = self.env["stock.quant"].with_context(inventory_mode=True).create(
            {"product_id": self.mug.id, "location_id": self.location.id, "inventory_quantity": 2})
        quant.action_apply_inventory()
        self.assertEqual(self.on_hand(self.mug), 2)

    def test_products_not_mastered_stay_editable(self):
        self.accounting._economic_pull_stock()
        other = self.env["product.product"].create({"name": "Local", "type": "consu", "is_storable": True})
        quant = self.env["stock.quant"].with_context(inventory_mode=True).create(
            {"product_id": other.id, "location_id": self.location.id, "inventory_quantity": 5})
        quant.action_apply_inventory()
        self.assertEqual(self.on_hand(other), 5)


@tagged("post_install", "-at_install", "shop_sync")
class TestProductImport(EconomicCase):
    def test_economic_products_become_odoo_products(self):
        self.company.account_sale_tax_id = self.tax25
        for number, price, barcode in (("ECO-1", 80.0, "5700000000011"), ("MUG-1", 120.0, "5700000000028")):
            self.sim.products[number] = {
                "productNumber": number, "name": f"e-conomic {number}", "description": "Made in e-conomic",
                "salesPrice": price, "costPrice": 0.0, "recommendedPrice": 0.0, "barCode": barcode,
                "productGroup": {"productGroupNumber": 1}, "inventory": {}, "lastUpdated": "2026-01-05T12:00:00Z"}
        self.assertEqual(self.accounting._economic_import_products(full=True), 2)
        new = self.env["product.product"].search([("default_code", "=", "ECO-1")])
        self.assertEqual(new.name, "e-conomic ECO-1")
        self.assertAlmostEqual(new.list_price, 100.0, msg="gross, as Odoo's sales tax includes VAT")
        self.assertEqual(new.barcode, "5700000000011")
        self.assertAlmostEqual(self.mug.list_price, 150.0, msg="the existing SKU is updated per the import rules")
        self.assertEqual(self.mug.name, "Mug", "names are not overwritten on update by default")
        self.assertEqual(self.env["product.product"].search_count([("default_code", "=", "MUG-1")]), 1)
        self.assertEqual(self.env["shop.sync.binding"]._for_record(self.accounting, new).external_id, "ECO-1")
        self.assertTrue(self.accounting.products_synced_until)

    def test_a_net_economic_price_follows_the_odoo_products_own_tax(self):
        """e-conomic's salesPrice is net: the base converts it with the Odoo product's sales tax (one
        excluding VAT keeps it; one including VAT adds it), not with the company's default tax."""
        self.company.account_sale_tax_id = self.tax25
        excluded = self.env["account.tax"].create({
            "name": "DK VAT 25% excl. (prices)", "amount": 25.0, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_excluded", "company_id": self.company.id})
        lamp = self.env["product.product"].create({"name": "Lamp", "default_code": "NET-LAMP", "list_price": 1.0,
                                                   "taxes_id": [(6, 0, excluded.ids)]})
        for number in ("NET-LAMP", "MUG-1"):
            self.sim.products[number] = {
                "productNumber": number, "name": number, "salesPrice": 80.0, "costPrice": 0.0,
                "recommendedPrice": 0.0, "productGroup": {"productGroupNumber": 1}, "inventory": {},
                "lastUpdated": "2026-01-05T12:00:00Z"}
        self.assertEqual(self.accounting._economic_import_products(full=True), 2)
        self.assertAlmostEqual(lamp.list_price, 80.0, msg="its tax excludes VAT: the net price as it is")
        self.assertAlmostEqual(self.mug.list_price, 100.0, msg="its tax includes VAT: 80 + 25 %")

    def test_products_read_before_a_failure_are_imported_and_the_watermark_stays(self):
        for number in ("ECO-1", "ECO-2"):
            self.sim.products[number] = {
                "productNumber": number, "name": f"e-conomic {number}", "salesPrice": 80.0, "costPrice": 0.0,
                "recommendedPrice": 0.0, "productGroup": {"productGroupNumber": 1}, "inventory": {},
                "lastUpdated": "2026-01-05T12:00:00Z"}

        def product_record(document):
            if document["productNumber"] == "ECO-2":
                raise UserError("ECO-2 cannot be read")  # pylint: disable=translation-required
            return mapper.product_record(document)

        with patch.object(importer, "product_record", product_record):
            self.assertEqual(self.accounting._economic_import_products(full=True), 1)
        self.assertTrue(self.env["product.product"].search([("default_code", "=", "ECO-1")]))
        log = self.logs("product_import")[0]
        self.assertEqual((log.state, log.reason, log.message),
                         ("error", "Product import stopped", "ECO-2 cannot be read"))
        self.assertFalse(self.accounting.products_synced_until, "the next run reads them again")
