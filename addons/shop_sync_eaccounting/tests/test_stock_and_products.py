"""eAccounting as the stock master, and its articles imported as Odoo products (flow 3)."""

from urllib.parse import unquote_plus

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import EAccountingCase


@tagged("post_install", "-at_install", "shop_sync")
class TestStockAndProducts(EAccountingCase):
    def _mastered_mugg(self):
        mugg = self.env["product.product"].create({"name": "Mugg", "default_code": "MUGG-01", "type": "consu",
                                                   "is_storable": True})
        self.accounting.accounting_stock_master = True
        self.sim.set_stock("MUGG-01", 7)
        self.assertEqual(self.accounting._eacc_pull_stock(), 1)
        location = self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1).lot_stock_id
        return mugg, location

    def test_stock_pull_sets_the_on_hand_quantity(self):
        mugg, location = self._mastered_mugg()
        self.assertEqual(mugg.with_context(location=location.id).qty_available, 7)
        self.assertTrue(self.accounting.eacc_stock_synced_until)
        # the next pull reads what changed since (with the overlap), and changes nothing more
        self.assertEqual(self.accounting._eacc_pull_stock(), 0)
        self.assertIn("ChangedUtc gt", unquote_plus(self.api_requests("GET", "/v2/articles")[-1]["path"]))
        self.assert_requests_valid()

    def test_manual_stock_change_of_a_mastered_product_is_refused(self):
        mugg, location = self._mastered_mugg()
        self.assertEqual(mugg.shop_sync_stock_master_id, self.accounting)
        self.assertTrue(mugg.shop_sync_stock_locked)
        Quant = self.env["stock.quant"].with_context(inventory_mode=True, shop_sync_accounting_stock=True)
        with self.assertRaisesRegex(UserError, r"The stock of \[MUGG-01\] Mugg is mastered in Visma eAccounting "
                                               r"\(eAccounting\): change it there"):
            Quant.create({"product_id": mugg.id, "location_id": location.id, "inventory_quantity": 50})
        quant = Quant.search([("product_id", "=", mugg.id), ("location_id", "=", location.id)])
        with self.assertRaises(UserError):
            quant.inventory_quantity = 3
        with self.assertRaises(UserError):
            quant._apply_inventory()
        self.assertEqual(mugg.with_context(location=location.id).qty_available, 7)
        # the pull still sets it
        self.sim.set_stock("MUGG-01", 4)
        self.assertEqual(self.accounting._eacc_pull_stock(), 1)
        self.assertEqual(mugg.with_context(location=location.id).qty_available, 4)

    def test_switching_the_stock_master_off_unlocks(self):
        mugg, location = self._mastered_mugg()
        self.accounting.accounting_stock_master = False
        self.assertFalse(mugg.shop_sync_stock_master_id)
        quant = self.env["stock.quant"].with_context(inventory_mode=True).create(
            {"product_id": mugg.id, "location_id": location.id, "inventory_quantity": 2})
        quant._apply_inventory()
        self.assertEqual(mugg.with_context(location=location.id).qty_available, 2)

    def test_stock_pull_needs_the_option(self):
        self.assertEqual(self.accounting._eacc_pull_stock(), 0)
        self.assertEqual(self.logs("stock_import").reason, "Not the stock master")

    def test_articles_become_products(self):
        self.assertEqual(self.accounting._eacc_import_products(full=True), 6)
        coffee = self.env["product.product"].search([("default_code", "=", "KAFFE-500")])
        self.assertEqual((coffee.name, coffee.list_price), ("Kaffe 500 g", 89.0))
        self.assertEqual(self.env["shop.sync.binding"]._for_record(self.accounting, coffee).external_id,
                         self.sim.article_by_number("KAFFE-500")["Id"])
        # a rounding row's article is no product of the catalogue
        sale = self.import_order(9001, lines=[("product", "Mug", "MUG-1", "1", "125", "25")])
        self.export(sale)
        self.accounting.products_synced_until = False
        self.accounting._eacc_import_products(full=True)
        self.assertFalse(self.env["product.product"].search([("default_code", "=", "SHOPSYNC-ROUNDING")]))
