"""The catalogue with WooCommerce: ``images[0]`` imported when it changes, exported as Odoo's image
address that WooCommerce downloads itself (it has no upload in its REST API); categories exported by
id to the shop's category of the same name."""

import base64
import io

from PIL import Image as PilImage

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS
from simulators.woocommerce import API_ROOT

from .common import CATALOGUE, WooCommerceCase, WooCommerceHttpCase


def png(colour):
    buffer = io.BytesIO()
    PilImage.new("RGB", (6, 6), colour).save(buffer, "PNG")
    return buffer.getvalue()


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceImageImport(WooCommerceCase):
    def test_main_image_is_imported_and_downloaded_again_only_when_it_changes(self):
        simple = next(p for p in CATALOGUE.products if not p.has_variants)
        self.shop.set_product_image(simple.sku, png("red"), "red.png")
        self.backend._import_products(full=True)
        template = self.env["product.product"].search([("default_code", "=", simple.sku)]).product_tmpl_id
        self.assertEqual(base64.b64decode(template.image_1920), png("red"))
        downloads = [entry for entry in self.shop.journal if "/wp-content/uploads/" in entry[1]]
        self.assertEqual(len(downloads), 1)
        self.backend._import_products(full=True)
        self.assertEqual(len([entry for entry in self.shop.journal if "/wp-content/uploads/" in entry[1]]), 1,
                         "an unchanged image is not downloaded again")
        self.shop.set_product_image(simple.sku, png("blue"), "blue.png")
        self.backend._import_products(full=True)
        self.assertEqual(base64.b64decode(template.image_1920), png("blue"))

    def test_image_the_shop_no_longer_serves_is_logged_and_the_product_imported(self):
        simple = next(p for p in CATALOGUE.products if not p.has_variants)
        self.shop.set_product_image(simple.sku, png("red"), "gone.png")
        self.shop.uploads.clear()  # the file was removed from the server, the product still names it
        self.backend._import_products(full=True)
        template = self.env["product.product"].search([("default_code", "=", simple.sku)]).product_tmpl_id
        self.assertTrue(template, "the product is imported")
        self.assertFalse(template.image_1920)
        log = self.logs("product_import", reason="Image not imported")
        self.assertEqual(log.external_ref, simple.sku)
        self.assertIn("gone.png", log.message)
        self.assertIn("404", log.message)


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceImageExport(WooCommerceHttpCase):
    def setUp(self):
        super().setUp()
        # WooCommerce (the simulator) downloads Odoo's image address: its requests carry no test cookie
        self.enterContext(self.allow_requests(all_requests=True))

    def remote(self, sku):
        return next(product for product in self.shop.products.values() if product["sku"] == sku)

    def test_image_is_sent_as_an_address_woocommerce_downloads_only_when_it_changed(self):
        template = self.env["product.template"].create({
            "name": "Painted mug", "default_code": "PAINTED-MUG", "list_price": 50.0, "type": "consu",
            "image_1920": base64.b64encode(png("red"))})
        self.env["shop.sync.product.exporter"]._export(self.backend, template)
        images = self.remote("PAINTED-MUG")["images"]
        self.assertEqual(len(images), 1, self.logs("product_export").mapped("message"))
        self.assertEqual(self.shop.uploads[images[0]["src"].replace(self.server.url, "")][0], png("red"))
        self.assertTrue(images[0]["src"].endswith(".png"))
        media = len(self.shop.media)
        template.list_price = 55.0
        self.env["shop.sync.product.exporter"]._export(self.backend, template)
        self.assertEqual(len(self.shop.media), media, "an unchanged image is not sent again")
        gallery = self.shop.add_image(png("green"), "gallery.png")
        product = self.remote("PAINTED-MUG")
        self.shop.update_product(product["id"], images=[{"id": images[0]["id"]}, {"id": gallery["id"]}])
        template.image_1920 = base64.b64encode(png("blue"))
        self.env["shop.sync.product.exporter"]._export(self.backend, template)
        images = self.remote("PAINTED-MUG")["images"]
        self.assertEqual(self.shop.uploads[images[0]["src"].replace(self.server.url, "")][0], png("blue"))
        self.assertEqual([image["id"] for image in images[1:]], [gallery["id"]], "the gallery stays")


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceCategoryExport(WooCommerceCase):
    def test_category_is_exported_by_id_and_an_unknown_one_logged(self):
        lamps = self.shop.add_category("Lamps & Lights")
        known, unknown = self.env["product.category"].create([{"name": "Lamps & Lights"}, {"name": "Nowhere"}])
        templates = self.env["product.template"].create([
            {"name": "Desk lamp", "default_code": "CAT-LAMP", "list_price": 30.0, "type": "consu",
             "categ_id": known.id},
            {"name": "Odd thing", "default_code": "CAT-ODD", "list_price": 5.0, "type": "consu",
             "categ_id": unknown.id}])
        self.assertEqual(self.env["shop.sync.product.exporter"]._export(self.backend, templates), 2)
        by_sku = {product["sku"]: product for product in self.shop.products.values()}
        self.assertEqual([category["id"] for category in by_sku["CAT-LAMP"]["categories"]], [lamps["id"]])
        self.assertEqual(by_sku["CAT-ODD"]["categories"], [])
        log = self.logs("product_export", reason="Unknown category")
        self.assertEqual(log.external_ref, "CAT-ODD")
        self.assertIn("Nowhere", log.message)


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceCatalogueFields(WooCommerceCase):
    def test_a_missing_tag_is_created_once_when_the_answer_is_lost(self):
        Exporter = self.env["shop.sync.product.exporter"]
        for index, fault in enumerate(AFTER_WRITE_FAULTS):
            with self.subTest(fault=fault["kind"]):
                sku, tag = f"PATIO-TABLE-{index}", f"Patio {index}"
                table = self.env["product.template"].create({
                    "name": "Patio table", "default_code": sku, "list_price": 120.0, "type": "consu",
                    "product_tag_ids": [(0, 0, {"name": tag})]})
                self.shop.faults.add(**fault, path=f"{API_ROOT}/products/tags", method="POST")
                exported = Exporter._export(self.backend, table)
                self.assertEqual(exported, 1, self.logs("product_export").mapped("message"))
                self.assertFalse(self.shop.faults.faults, "the fault was applied")
                [remote] = [product for product in self.shop.products.values() if product["sku"] == sku]
                self.assertEqual([term["name"] for term in remote["tags"]], [tag])
                self.assertEqual(self.env["shop.sync.binding"]._for_record(self.backend, table).external_id,
                                 str(remote["id"]))

    def test_short_description_tags_backorders_and_dimensions_both_ways(self):
        simple = next(p for p in CATALOGUE.products if not p.has_variants)
        summer = self.shop.add_tag("Summer")
        self.shop.update_product(simple.sku, short_description="<p>Short &amp; sweet</p>", tags=[{"id": summer["id"]}],
                                 manage_stock=True, stock_quantity=3, backorders="notify",
                                 dimensions={"length": "10", "width": "5.5", "height": "2"})
        self.backend._import_products(full=True)
        template = self.env["product.product"].search([("default_code", "=", simple.sku)]).product_tmpl_id
        self.assertEqual(template.shop_short_description, "Short & sweet")
        self.assertEqual(template.product_tag_ids.mapped("name"), ["Summer"])
        self.assertTrue(template.shop_allow_backorders)
        self.assertEqual((template.shop_length, template.shop_width, template.shop_height), (10, 5.5, 2))

        created = self.env["product.template"].create({
            "name": "Garden chair", "default_code": "GARDEN-CHAIR", "list_price": 80.0, "type": "consu",
            "shop_short_description": "Teak", "shop_allow_backorders": False, "shop_length": 60, "shop_width": 55,
            "shop_height": 95, "product_tag_ids": [(0, 0, {"name": "Garden"})]})
        self.env["shop.sync.product.exporter"]._export(self.backend, created)
        remote = next(product for product in self.shop.products.values() if product["sku"] == "GARDEN-CHAIR")
        self.assertEqual(remote["short_description"], "<p>Teak</p>")
        self.assertEqual([tag["name"] for tag in remote["tags"]], ["Garden"], "a missing shop tag is created")
        self.assertEqual(remote["dimensions"], {"length": "60", "width": "55", "height": "95"})
        self.assertEqual(remote["backorders"], "no")
