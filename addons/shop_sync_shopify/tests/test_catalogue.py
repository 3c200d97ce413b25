"""Product images with Shopify: the featured media imported when it changes; exported as Odoo's
image address in ``CreateMediaInput.originalSource`` (Shopify downloads it), moved first on update."""

import base64
import io

from PIL import Image as PilImage

from odoo.tests import HttpCase, tagged

from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS

from .common import ShopifyCase
from .test_exactly_once import GRAPHQL_PATH


def png(colour):
    buffer = io.BytesIO()
    PilImage.new("RGB", (6, 6), colour).save(buffer, "PNG")
    return buffer.getvalue()


class ShopifyCatalogueMixin:
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim.cdn_url = cls.server.url  # the simulator serves its CDN's files itself

    def cdn_downloads(self):
        return [entry for entry in self.sim.journal if entry[1].startswith("/s/files/")]

    def media_of(self, sku):
        product, _variant = self.sim.state.product_by_reference(sku)
        return self.sim.state.media_store.of(product)


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyImageImport(ShopifyCatalogueMixin, ShopifyCase):
    def test_featured_image_is_imported_and_downloaded_again_only_when_it_changes(self):
        simple = next(product for product in self.catalogue.products if not product.has_variants)
        self.sim.set_product_image(simple.sku, png("red"), "red.png")
        self.backend._import_products(full=True)
        template = self.env["product.product"].search([("default_code", "=", simple.sku)]).product_tmpl_id
        self.assertEqual(base64.b64decode(template.image_1920), png("red"))
        self.backend._import_products(full=True)
        self.assertEqual(len(self.cdn_downloads()), 1, "an unchanged image is not downloaded again")
        self.sim.set_product_image(simple.sku, png("blue"), "blue.png")
        self.backend._import_products(full=True)
        self.assertEqual(base64.b64decode(template.image_1920), png("blue"))
        self.assertEqual(len(self.cdn_downloads()), 2)


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyImageExport(ShopifyCatalogueMixin, ShopifyCase, HttpCase):
    def setUp(self):
        super().setUp()
        # Shopify (the simulator) downloads Odoo's image address: its requests carry no test cookie
        self.enterContext(self.allow_requests(all_requests=True))

    def test_image_is_sent_as_media_only_when_it_changed_and_becomes_the_featured_one(self):
        template = self.env["product.template"].create({
            "name": "Painted bowl", "default_code": "PAINTED-BOWL", "list_price": 40.0, "type": "consu",
            "image_1920": base64.b64encode(png("red"))})
        Exporter = self.env["shop.sync.product.exporter"]
        self.assertEqual(Exporter._export(self.backend, template), 1, self.logs("product_export").mapped("message"))
        media = self.media_of("PAINTED-BOWL")
        self.assertEqual([m["status"] for m in media], ["READY"], media)
        files = self.sim.state.media_store.files
        self.assertEqual(files[media[0]["url"].replace(self.server.url, "").split("?")[0]][0], png("red"))
        template.list_price = 45.0
        Exporter._export(self.backend, template)
        self.assertEqual(len(self.media_of("PAINTED-BOWL")), 1, "an unchanged image is not sent again")
        template.image_1920 = base64.b64encode(png("blue"))
        Exporter._export(self.backend, template)
        media = self.media_of("PAINTED-BOWL")
        self.assertEqual(len(media), 2)
        self.assertEqual(files[media[0]["url"].replace(self.server.url, "").split("?")[0]][0], png("blue"),
                         "the new image is the featured one")


    def test_new_image_is_added_once_when_the_answer_is_lost(self):
        template = self.env["product.template"].create({
            "name": "Glazed bowl", "default_code": "GLAZED-BOWL", "list_price": 40.0, "type": "consu",
            "image_1920": base64.b64encode(png("red"))})
        Exporter = self.env["shop.sync.product.exporter"]
        Exporter._export(self.backend, template)
        for colour, fault in zip(("blue", "green"), AFTER_WRITE_FAULTS, strict=True):
            with self.subTest(fault=fault["kind"]):
                count = len(self.media_of("GLAZED-BOWL"))
                template.image_1920 = base64.b64encode(png(colour))
                self.sim.faults.add(**fault, contains="ProductAddMedia")
                self.assertEqual(Exporter._export(self.backend, template), 1,
                                 self.logs("product_export").mapped("message"))
                self.assertFalse(self.sim.faults.faults, "the fault was applied")
                media = self.media_of("GLAZED-BOWL")
                self.assertEqual(len(media), count + 1, "looked up, not sent again")
                files = self.sim.state.media_store.files
                self.assertEqual(files[media[0]["url"].replace(self.server.url, "").split("?")[0]][0], png(colour))
                Exporter._export(self.backend, template)
                self.assertEqual(len(self.media_of("GLAZED-BOWL")), count + 1, "bound: not sent by the next export")


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyCatalogueFields(ShopifyCase):
    def test_vendor_tags_and_backorders_both_ways(self):
        simple = next(product for product in self.catalogue.products if not product.has_variants)
        self.sim.update_product(simple.sku, vendor="Nordlys", tags=["Lamps", "Sale"], inventory_policy="CONTINUE")
        self.backend._import_products(full=True)
        template = self.env["product.product"].search([("default_code", "=", simple.sku)]).product_tmpl_id
        self.assertEqual(template.shop_vendor, "Nordlys")
        self.assertEqual(sorted(template.product_tag_ids.mapped("name")), ["Lamps", "Sale"])
        self.assertTrue(template.shop_allow_backorders)

        created = self.env["product.template"].create({
            "name": "Oak stool", "default_code": "OAK-STOOL", "list_price": 70.0, "type": "consu",
            "shop_vendor": "Stol", "shop_allow_backorders": True, "product_tag_ids": [(0, 0, {"name": "Furniture"})]})
        Exporter = self.env["shop.sync.product.exporter"]
        Exporter._export(self.backend, created)
        product, variant = self.sim.state.product_by_reference("OAK-STOOL")
        self.assertEqual(product["vendor"], "Stol")
        self.assertEqual(sorted(product["tags"]), ["Furniture", "shop-sync:OAK-STOOL"])
        self.assertEqual(self.sim.state.product_variants(product)[0]["inventory_policy"], "CONTINUE")
        for field in ("tags", "vendor"):
            self.backend.field_rule_ids.filtered(
                lambda r, f=field: (r.object, r.direction, r.field) == ("product", "export", f)).on_update = True
        created.write({"shop_vendor": "Stol & Co", "product_tag_ids": [(5, 0, 0)]})
        Exporter._export(self.backend, created)
        self.assertEqual(product["vendor"], "Stol & Co")
        self.assertEqual(product["tags"], ["shop-sync:OAK-STOOL"], "the creation tag stays")


@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyCollections(ShopifyCase):
    """Odoo's product category is a custom collection (see the adapter's docstring)."""

    def category_of(self, sku):
        return self.env["product.product"].search([("default_code", "=", sku)]).product_tmpl_id.categ_id.name

    def test_custom_collection_is_imported_as_the_category(self):
        first, second, third = [product for product in self.catalogue.products if not product.has_variants][:3]
        self.sim.update_product(first.sku, product_type="Lighting")
        self.sim.update_product(second.sku, product_type="Lighting")
        self.sim.add_collection("Sale", [first.sku, second.sku])
        self.sim.add_collection("Lighting", [first.sku])
        self.sim.add_collection("Everything lit", rules=[("TYPE", "EQUALS", "Lighting")])
        self.backend._import_products(full=True)
        self.assertEqual(self.category_of(first.sku), "Lighting", "the collection named like its product type")
        self.assertEqual(self.category_of(second.sku), "Sale", "else its first custom collection")
        self.assertEqual(self.category_of(third.sku), third.category, "else its product type (no collection)")

    def test_export_adds_the_product_to_the_collection_of_its_category(self):
        lamps = self.sim.add_collection("Lamps")
        self.sim.add_collection("Lamps by type", rules=[("TYPE", "EQUALS", "Lamps")])
        Category = self.env["product.category"]
        lamp, stool = self.env["product.template"].create([
            {"name": "Desk lamp", "default_code": "DESK-LAMP", "list_price": 30.0, "type": "consu",
             "categ_id": Category.create({"name": "Lamps"}).id},
            {"name": "Pine stool", "default_code": "PINE-STOOL", "list_price": 50.0, "type": "consu",
             "categ_id": Category.create({"name": "Stools"}).id}])
        Exporter = self.env["shop.sync.product.exporter"]
        self.assertEqual(Exporter._export(self.backend, lamp | stool), 2)
        product, _variant = self.sim.state.product_by_reference("DESK-LAMP")
        self.assertEqual(self.sim.collections[lamps]["product_ids"], [product["id"]])
        self.assertEqual(product["product_type"], "Lamps", "the product type is set as before")
        stool_product, _variant = self.sim.state.product_by_reference("PINE-STOOL")
        self.assertEqual(stool_product["product_type"], "Stools")
        self.assertFalse(any(stool_product["id"] in c["product_ids"] for c in self.sim.collections.values()))
        [unknown] = self.logs("product_export", reason="Unknown category")
        self.assertEqual(unknown.res_id, stool.id)
        self.assertIn("no category 'Stools'", unknown.message)
        self.assertIn("as its product type only", unknown.message)
        # an update of a product already in its collection does not add it again (Shopify refuses that)
        lamp.list_price = 35.0
        self.assertEqual(Exporter._export(self.backend, lamp), 1, self.logs("product_export").mapped("message"))
        self.assertEqual(self.sim.collections[lamps]["product_ids"], [product["id"]])
        self.backend._import_products(full=True)
        self.assertEqual(lamp.categ_id.name, "Lamps", "the round trip keeps the category")


    def test_a_new_product_is_added_to_its_collection_once_when_the_answer_is_lost(self):
        benches = self.sim.add_collection("Benches")
        category = self.env["product.category"].create({"name": "Benches"})
        Exporter = self.env["shop.sync.product.exporter"]
        for index, fault in enumerate(AFTER_WRITE_FAULTS):
            with self.subTest(fault=fault["kind"]):
                sku = f"NEW-BENCH-{index}"
                bench = self.env["product.template"].create({
                    "name": "Bench", "default_code": sku, "list_price": 90.0, "type": "consu", "categ_id": category.id})
                self.sim.faults.add(**fault, path=GRAPHQL_PATH, contains="collectionAddProducts(")
                exported = Exporter._export(self.backend, bench)
                self.assertEqual(exported, 1, self.logs("product_export").mapped("message"))
                self.assertFalse(self.sim.faults.faults, "the fault was applied")
                product, _variant = self.sim.state.product_by_reference(sku)
                self.assertEqual(self.sim.collections[benches]["product_ids"].count(product["id"]), 1)
                self.assertEqual(self.env["shop.sync.binding"]._for_record(self.backend, bench).external_id,
                                 product["id"])

@tagged("post_install", "-at_install", "shop_sync")
class TestShopifyStockLocations(ShopifyCase):
    def test_each_shopify_location_gets_its_odoo_locations_free_quantity(self):
        from simulators.shopify.state import address  # noqa: PLC0415 - the simulator's own helper

        aarhus = self.sim.state.add_location("Aarhus shop", address("Bruuns Galleri 1", "Aarhus", "8000", "DK"))
        sku = next(product for product in self.catalogue.products if product.variants).variants[0].sku
        item_id = self.sim.state.variant_by_sku(sku)["inventory_item_id"]
        self.sim.state.stock_item(item_id, aarhus["id"])
        self.backend._import_products(full=True)
        self.backend.action_load_stock_locations()
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        shop_aarhus = self.env["stock.location"].create(
            {"name": "Shop Aarhus", "usage": "internal", "location_id": warehouse.view_location_id.id})
        by_id = {location.external_id: location for location in self.backend.stock_location_ids}
        self.assertEqual(sorted(location.name for location in by_id.values()), ["Aarhus shop", "Main warehouse"])
        main = next(location for location in by_id.values() if location.name == "Main warehouse")
        main.location_id = warehouse.lot_stock_id
        by_id[aarhus["id"]].location_id = shop_aarhus
        product = self.env["product.product"].search([("default_code", "=", sku)])
        self.env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 7)
        self.env["stock.quant"]._update_available_quantity(product, shop_aarhus, 2)
        self.backend._export_stock(product)
        self.assertEqual(self.sim.inventory_level(sku)["available"], 7)
        self.assertEqual(self.sim.inventory_level(sku, aarhus["id"])["available"], 2)
        self.assertFalse(self.logs("stock_export", state="error"))
