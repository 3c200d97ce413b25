"""Stock per shop location: each shop location gets the free quantity of its Odoo location, pushed
only when it changed; a shop that manages no stock gets none."""

from decimal import Decimal

from odoo.tests import tagged

from odoo.addons.shop_sync_base.services.records import PushResult
from odoo.addons.shop_sync_base.tests.common import ShopSyncCase


@tagged("post_install", "-at_install", "shop_sync")
class TestStockLocations(ShopSyncCase):
    def setUp(self):
        super().setUp()
        self.pushes = []
        self.adapter.stock_locations = lambda: [("loc-cph", "Copenhagen"), ("loc-aar", "Aarhus")]

        def push_stock(levels):
            self.pushes.append(levels)
            return [PushResult(key=level.external_id, ok=True, location_id=level.location_id) for level in levels]
        self.adapter.push_stock = push_stock
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1)
        self.cph, self.aar = self.env["stock.location"].create([
            {"name": "Shop CPH", "usage": "internal", "location_id": warehouse.view_location_id.id},
            {"name": "Shop AAR", "usage": "internal", "location_id": warehouse.view_location_id.id}])
        self.env["stock.quant"]._update_available_quantity(self.mug, self.cph, 3)
        self.env["stock.quant"]._update_available_quantity(self.mug, self.aar, 5)
        self.env["shop.sync.binding"]._bind(self.backend, self.mug, "mug-item", "MUG-1")

    def map_locations(self):
        self.backend.action_load_stock_locations()
        by_id = {location.external_id: location for location in self.backend.stock_location_ids}
        by_id["loc-cph"].location_id = self.cph
        by_id["loc-aar"].location_id = self.aar

    def export(self):
        return self.env["shop.sync.stock.exporter"]._export(self.backend)

    def test_each_shop_location_gets_its_odoo_locations_free_quantity_once(self):
        self.map_locations()
        self.assertEqual(self.export(), 2)
        self.assertEqual(sorted((level.location_id, level.quantity) for level in self.pushes[-1]),
                         [("loc-aar", Decimal(5)), ("loc-cph", Decimal(3))])
        self.assertEqual(self.export(), 0, "unchanged levels are not pushed again")
        self.env["stock.quant"]._update_available_quantity(self.mug, self.aar, -2)
        self.env.invalidate_all()  # free_qty is cached; a job would start afresh
        self.assertEqual(self.export(), 1)
        [level] = self.pushes[-1]
        self.assertEqual((level.location_id, level.quantity, level.previous), ("loc-aar", Decimal(3), Decimal(5)))

    def test_reloading_locations_keeps_the_chosen_odoo_locations(self):
        self.map_locations()
        self.adapter.stock_locations = lambda: [("loc-cph", "Copenhagen city"), ("loc-aar", "Aarhus")]
        self.backend.action_load_stock_locations()
        cph = self.backend.stock_location_ids.filtered(lambda location: location.external_id == "loc-cph")
        self.assertEqual((cph.name, cph.location_id), ("Copenhagen city", self.cph))
        self.assertEqual(len(self.backend.stock_location_ids), 2)

    def test_a_shop_that_manages_no_stock_gets_none(self):
        self.map_locations()
        self.backend.shop_manages_stock = False
        self.assertEqual(self.export(), 0)
        self.assertEqual(self.pushes, [])
