"""Flow 3 with accounting: e-conomic products reach the shops, Odoo product changes reach e-conomic."""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shop_sync_base.tests.common import MemoryShopAdapter

from .common import EconomicCase

ECONOMIC_PRODUCT = {
    "productNumber": "ECO-1", "name": "e-conomic ECO-1", "description": "Made in e-conomic", "salesPrice": 80.0,
    "costPrice": 0.0, "recommendedPrice": 0.0, "barCode": "5700000000011", "productGroup": {"productGroupNumber": 1},
    "inventory": {}, "lastUpdated": "2026-01-05T12:00:00Z"}


@tagged("post_install", "-at_install", "shop_sync")
class TestProductExportFlow(EconomicCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Backend = type(cls.env["shop.sync.backend"])
        economic_adapter = Backend._get_adapter
        cls.startClassPatcher(patch.object(Backend, "_get_adapter", lambda backend: (
            cls.shop_adapter if backend.kind == "none" else economic_adapter(backend))))

    def setUp(self):
        super().setUp()
        type(self).shop_adapter = MemoryShopAdapter(self.shop._adapter_config())

    def test_products_imported_from_economic_reach_the_shops(self):
        self.company.account_sale_tax_id = self.tax25
        self.shop.write({"sync_product_export": True, "product_export_domain": "[('default_code', '=like', 'ECO-%')]"})
        self.sim.products["ECO-1"] = dict(ECONOMIC_PRODUCT)
        with trap_jobs() as trap:
            self.accounting._economic_import_products(full=True)
            trap.assert_jobs_count(1, only=self.shop._export_products)
            trap.assert_jobs_count(0, only=self.accounting._export_products)
            trap.perform_enqueued_jobs()
        [(_external_id, product, publish)] = self.shop_adapter.exported
        self.assertEqual((product.sku, product.name, product.price, publish), ("ECO-1", "e-conomic ECO-1", 100, False))
        log = self.env["shop.sync.log"].search([("backend_id", "=", self.shop.id), ("flow", "=", "product_export")])
        self.assertEqual((log.state, log.external_ref), ("done", "ECO-1"))

    def test_a_changed_odoo_product_is_queued_to_economic(self):
        self.accounting.write({"sync_product_export": True,
                               "product_export_domain": "[('default_code', '=', 'MUG-1')]"})
        self.accounting._economic_export_products(self.mug)
        self.assertEqual(self.sim.products["MUG-1"]["salesPrice"], 80.0)
        with trap_jobs() as trap:
            for price in (110, 120, 125):
                self.mug.list_price = price
            trap.assert_jobs_count(1, only=self.accounting._export_products)
            self.assertEqual(trap.enqueued_jobs[0].identity_key, f"products_export:{self.accounting.id}")
            trap.perform_enqueued_jobs()
        self.assertEqual(self.sim.products["MUG-1"]["salesPrice"], 100.0, "125 including 25 % VAT")
        self.assertFalse(self.shop_adapter.exported, "the shop's flow is off")

    def test_product_filter_limits_the_export_of_every_product(self):
        self.env["product.product"].create({"name": "Other", "default_code": "OTHER-1", "list_price": 10})
        self.accounting.product_export_domain = "[('default_code', '=', 'MUG-1')]"
        self.accounting._economic_export_products()
        self.assertEqual(sorted(self.sim.products), ["MUG-1"])
