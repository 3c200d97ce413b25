"""CCV main photos and webshop categories both ways (see the adapter's docstring): the photo
marked main is downloaded when it changes and Odoo's image is uploaded (base64) when its checksum
changes; Odoo's category is the webshop category of that name, a missing one logged."""

import base64
import io
import math

from PIL import Image as PilImage

from odoo.tests import tagged

from odoo.addons.shop_sync_base.models.shop_sync_event import PRODUCT_BATCH
from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS

from simulators.ccv import API_PREFIX

from ..services.client import PAGE_SIZE
from .common import CcvCase


def png(colour):
    buffer = io.BytesIO()
    PilImage.new("RGB", (6, 6), colour).save(buffer, "PNG")
    return buffer.getvalue()


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvCatalogue(CcvCase):
    catalogue_options = {"products": 6, "customers": 2, "orders": 2}

    def simple_seeds(self):
        return [seed for seed in self.catalogue.products if not seed.has_variants]

    def template(self, sku):
        return self.env["product.product"].search([("default_code", "=", sku)]).product_tmpl_id

    def photo_downloads(self):
        return [entry for entry in self.app.journal if entry[1].startswith("/Files/photos/")]

    def test_main_photo_is_imported_and_downloaded_again_only_when_it_changes(self):
        seed = self.simple_seeds()[0]
        self.app.add_photo(seed.sku, png("red"))
        self.app.add_photo(seed.sku, png("green"), is_mainphoto=False)
        self.import_products()
        template = self.template(seed.sku)
        self.assertEqual(base64.b64decode(template.image_1920), png("red"), "the main photo, not the other one")
        self.import_products()
        self.assertEqual(len(self.photo_downloads()), 1, "an unchanged photo is not downloaded again")
        self.app.add_photo(seed.sku, png("blue"))
        self.import_products()
        self.assertEqual(base64.b64decode(template.image_1920), png("blue"))
        self.assertEqual(len(self.photo_downloads()), 2)

    def test_a_photo_that_is_no_image_is_logged_and_the_batch_imported(self):
        broken, good = self.simple_seeds()[:2]
        self.app.add_photo(broken.sku, b"<html>gone</html>")
        self.app.add_photo(good.sku, png("red"))
        self.import_products()
        self.assertFalse(self.logs("product_import", state="error", reason="Product not imported"))
        [log] = self.logs("product_import", reason="Image not imported")
        self.assertEqual((log.external_ref, log.res_id), (broken.sku, self.template(broken.sku).id))
        self.assertIn("not an image", log.message)
        self.assertEqual(base64.b64decode(self.template(good.sku).image_1920), png("red"))
        self.assertTrue(self.template(broken.sku), "the product is imported without its photo")

    def test_webshop_category_is_imported_as_the_category(self):
        first, second, third = self.simple_seeds()[:3]
        self.app.update_product(first.sku, maincategory="Lighting")
        self.app.update_product(second.sku, maincategory="Lighting")
        self.app.add_category("Sale", [first.sku, second.sku])
        self.app.add_category("Lighting", [first.sku])
        self.import_products()
        self.assertEqual(self.template(first.sku).categ_id.name, "Lighting", "the category named like maincategory")
        self.assertEqual(self.template(second.sku).categ_id.name, "Sale", "else its first webshop category")
        self.assertEqual(self.template(third.sku).categ_id.name, third.category, "else its maincategory")

    def test_export_uploads_a_changed_image_and_puts_the_product_in_its_category(self):
        self.app.add_category("Lamps")
        Category = self.env["product.category"]
        lamp, stool = self.env["product.template"].create([
            {"name": "Desk lamp", "default_code": "DESK-LAMP", "list_price": 30.0, "type": "consu",
             "categ_id": Category.create({"name": "Lamps"}).id, "image_1920": base64.b64encode(png("red"))},
            {"name": "Pine stool", "default_code": "PINE-STOOL", "list_price": 50.0, "type": "consu",
             "categ_id": Category.create({"name": "Stools"}).id}])
        Exporter = self.env["shop.sync.product.exporter"]
        self.assertEqual(Exporter._export(self.backend, lamp | stool), 2)
        [photo] = self.app.photos_of("DESK-LAMP")
        self.assertEqual((photo["content"], photo["file_type"], photo["is_mainphoto"]), (png("red"), "png", True))
        self.assertEqual(self.app.categories_of("DESK-LAMP"), ["Lamps"])
        self.assertEqual(self.app.products[int(self.env["shop.sync.binding"]._for_record(
            self.backend, lamp).external_id)]["maincategory"], "Lamps", "maincategory is written as before")
        self.assertEqual(self.app.categories_of("PINE-STOOL"), [])
        [unknown] = self.logs("product_export", reason="Unknown category")
        self.assertEqual(unknown.res_id, stool.id)
        self.assertIn("no category 'Stools'", unknown.message)
        # an update sends no unchanged image and does not put the product in its category twice
        lamp.list_price = 35.0
        self.assertEqual(Exporter._export(self.backend, lamp), 1, self.logs("product_export").mapped("message"))
        self.assertEqual(len(self.app.photos_of("DESK-LAMP")), 1)
        self.assertEqual(self.app.categories_of("DESK-LAMP"), ["Lamps"])
        lamp.image_1920 = base64.b64encode(png("blue"))
        Exporter._export(self.backend, lamp)
        photos = self.app.photos_of("DESK-LAMP")
        self.assertEqual([(p["content"], p["is_mainphoto"]) for p in photos],
                         [(png("red"), False), (png("blue"), True)])
        self.import_products()
        self.assertEqual(base64.b64decode(lamp.image_1920), png("blue"))
        self.assertEqual(len(self.photo_downloads()), 1, "read once to learn it is the image Odoo holds")
        self.assertEqual(lamp.categ_id.name, "Lamps")

    def test_a_created_product_gets_the_vat_rate_of_its_odoo_sales_tax(self):
        """The Odoo product's taxes decide VAT (they convert its price): a product the export creates
        gets their rate as ``vatrate`` (a fixed fee is no rate); the backend's rate only when it has no
        sales tax."""
        self.backend.ccv_vat_rate = 21
        Tax = self.env["account.tax"]
        taxes = Tax.create({
            "name": "Reduced 12 % (incl.)", "amount": 12, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included", "company_id": self.backend.company_id.id})
        taxes |= Tax.create({"name": "Recycling fee", "amount": 1, "amount_type": "fixed", "type_tax_use": "sale",
                               "company_id": self.backend.company_id.id})
        books, gift_card = self.env["product.template"].create([
            {"name": "Books", "default_code": "BOOKS-12", "list_price": 112.0, "type": "consu",
             "taxes_id": [(6, 0, taxes.ids)]},
            {"name": "Gift card", "default_code": "GIFT-NOTAX", "list_price": 50.0, "type": "consu",
             "taxes_id": [(5, 0, 0)]}])
        self.assertEqual(self.env["shop.sync.product.exporter"]._export(self.backend, books | gift_card), 2)
        shop = {product["productnumber"]: product for product in self.app.products.values()}
        self.assertEqual(shop["BOOKS-12"]["vatrate"], 12.0, "the rate of its VAT, not of its fixed fee")
        self.assertEqual((shop["GIFT-NOTAX"]["vatrate"], shop["GIFT-NOTAX"]["price"]), (21.0, 50.0))

    def test_an_update_sends_the_changed_vat_rate_unless_its_rule_leaves_it_out(self):
        """The Odoo product's taxes stay the truth after the product was created: a changed rate is
        sent as ``vatrate``, as the "VAT rate" rule writes on update."""
        Tax = self.env["account.tax"]
        reduced, standard = Tax.create([{
            "name": f"VAT {rate} % (incl.)", "amount": rate, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included", "company_id": self.backend.company_id.id}
            for rate in (12, 25)])
        books = self.env["product.template"].create({
            "name": "Books", "default_code": "BOOKS-VAT", "list_price": 112.0, "type": "consu",
            "taxes_id": [(6, 0, reduced.ids)]})
        Exporter = self.env["shop.sync.product.exporter"]
        Exporter._export(self.backend, books)
        shop = next(product for product in self.app.products.values() if product["productnumber"] == "BOOKS-VAT")
        self.assertEqual(shop["vatrate"], 12.0)
        books.taxes_id = standard
        self.assertEqual(Exporter._export(self.backend, books), 1, "a changed tax is a change to export")
        self.assertEqual((shop["vatrate"], shop["price"]), (25.0, 112.0))
        self.backend.field_rule_ids.filtered(
            lambda rule: (rule.object, rule.direction, rule.field) == ("product", "export", "vat_rate")
        ).on_update = False
        books.write({"taxes_id": [(6, 0, reduced.ids)], "list_price": 120.0})
        self.assertEqual(Exporter._export(self.backend, books), 1)
        self.assertEqual((shop["vatrate"], shop["price"]), (25.0, 120.0), "the shop's rate is kept")

    def test_short_description_is_imported_and_exported(self):
        """CCV's ``shortdescription`` is Odoo's short description: HTML to text on import, text as
        HTML on export."""
        seed = self.simple_seeds()[0]
        self.app.update_product(seed.sku, shortdescription="<p>Solid oak</p>")
        self.import_products()
        self.assertEqual(self.template(seed.sku).shop_short_description, "Solid oak")
        stool = self.env["product.template"].create({
            "name": "Oak stool", "default_code": "OAK-STOOL", "list_price": 50.0, "type": "consu",
            "shop_short_description": "Solid oak\nHand-made & oiled"})
        self.assertEqual(self.env["shop.sync.product.exporter"]._export(self.backend, stool), 1)
        [shop] = [product for product in self.app.products.values() if product["productnumber"] == "OAK-STOOL"]
        self.assertEqual(shop["shortdescription"], "<p>Solid oak<br/>Hand-made &amp; oiled</p>")

    def test_brand_is_the_vendor_both_ways(self):
        """CCV's ``brand`` is Odoo's vendor: imported by name; exported as the ``brand_id`` of the brand
        of that name, created once when missing, also when the answer to its creation is lost."""
        seed = self.simple_seeds()[0]
        self.app.update_product(seed.sku, brand_id=self.app.add_brand("Nordlys"))
        self.import_products()
        self.assertEqual(self.template(seed.sku).shop_vendor, "Nordlys")
        templates = self.env["product.template"].create([
            {"name": f"Lamp {index}", "default_code": f"BRAND-{index}", "list_price": 30.0, "type": "consu",
             "shop_vendor": vendor} for index, vendor in enumerate(("nordlys", "Fjord", "Fjord", "Lumen"))])
        self.app.faults.add(kind="error_after_write", status=502, path="/api/rest/v1/brands", method="POST",
                            contains="Lumen")
        self.app.journal.clear()
        self.assertEqual(self.env["shop.sync.product.exporter"]._export(self.backend, templates), 4)
        self.assertFalse(self.app.faults.faults, "the fault was applied")
        self.assertEqual(sorted(brand["name"] for brand in self.app.brands.values()), ["Fjord", "Lumen", "Nordlys"])
        shop = {product["productnumber"]: product for product in self.app.products.values()}
        self.assertEqual([self.app.brands[shop[f"BRAND-{index}"]["brand_id"]]["name"] for index in range(4)],
                         ["Nordlys", "Fjord", "Fjord", "Lumen"])
        reads = [path for method, path, _status in self.app.journal if method == "GET" and "/brands" in path]
        self.assertEqual(len(reads), 2, "read once per export, and again after the lost answer")

    def test_a_changed_image_is_uploaded_once_when_the_answer_is_lost(self):
        lamp = self.env["product.template"].create({
            "name": "Floor lamp", "default_code": "FLOOR-LAMP", "list_price": 30.0, "type": "consu",
            "image_1920": base64.b64encode(png("red"))})
        Exporter = self.env["shop.sync.product.exporter"]
        Exporter._export(self.backend, lamp)
        for colour, fault in zip(("blue", "green"), AFTER_WRITE_FAULTS, strict=True):
            with self.subTest(fault=fault["kind"]):
                count = len(self.app.photos_of("FLOOR-LAMP"))
                lamp.image_1920 = base64.b64encode(png(colour))
                self.app.faults.add(**fault, path="/api/rest/v1/products/", method="POST")
                self.assertEqual(Exporter._export(self.backend, lamp), 1,
                                 self.logs("product_export").mapped("message"))
                self.assertFalse(self.app.faults.faults, "the fault was applied")
                photos = self.app.photos_of("FLOOR-LAMP")
                self.assertEqual(len(photos), count + 1, "looked up, not uploaded again")
                self.assertEqual(photos[-1]["content"], png(colour))
                Exporter._export(self.backend, lamp)
                self.assertEqual(len(self.app.photos_of("FLOOR-LAMP")), count + 1)


    def test_a_new_product_is_put_in_its_category_once_when_the_answer_is_lost(self):
        self.app.add_category("Benches")
        category = self.env["product.category"].create({"name": "Benches"})
        Exporter = self.env["shop.sync.product.exporter"]
        for index, fault in enumerate(AFTER_WRITE_FAULTS):
            with self.subTest(fault=fault["kind"]):
                sku = f"NEW-BENCH-{index}"
                bench = self.env["product.template"].create({
                    "name": "Bench", "default_code": sku, "list_price": 90.0, "type": "consu", "categ_id": category.id})
                self.app.faults.add(**fault, path="/api/rest/v1/producttocategories", method="POST")
                exported = Exporter._export(self.backend, bench)
                self.assertEqual(exported, 1, self.logs("product_export").mapped("message"))
                self.assertFalse(self.app.faults.faults, "the fault was applied")
                self.assertEqual(self.app.categories_of(sku), ["Benches"])
                [remote] = [product for product in self.app.products.values() if product["productnumber"] == sku]
                self.assertEqual(self.env["shop.sync.binding"]._for_record(self.backend, bench).external_id,
                                 str(remote["id"]))

    def test_a_new_products_image_is_uploaded_once_when_the_answer_is_lost(self):
        """A product just created is taken to have no photos (none is read before the upload): the
        look-up after a lost answer still finds the upload."""
        Exporter = self.env["shop.sync.product.exporter"]
        for index, fault in enumerate(AFTER_WRITE_FAULTS):
            with self.subTest(fault=fault["kind"]):
                sku = f"NEW-LAMP-{index}"
                lamp = self.env["product.template"].create({
                    "name": "Wall lamp", "default_code": sku, "list_price": 30.0, "type": "consu",
                    "image_1920": base64.b64encode(png("red"))})
                self.app.faults.add(**fault, path="/api/rest/v1/products/", method="POST")
                self.assertEqual(Exporter._export(self.backend, lamp), 1, self.logs("product_export").mapped("message"))
                self.assertFalse(self.app.faults.faults, "the fault was applied")
                self.assertEqual([photo["content"] for photo in self.app.photos_of(sku)], [png("red")])

@tagged("post_install", "-at_install", "shop_sync")
class TestCcvImportRequests(CcvCase):
    """What a product import costs in CCV requests (150 GETs a minute): products are read with their
    combinations, photos and category links embedded (``expand``), the category tree once per batch."""

    catalogue_options = {"products": 120, "customers": 1, "orders": 1}

    def api_requests(self):
        return [(method, path, status) for method, path, status in self.app.journal if path.startswith(API_PREFIX)]

    def test_a_full_import_costs_its_product_pages_and_a_category_read_per_batch(self):
        products = self.catalogue.products
        self.app.add_category("Lamps", [seed.sku for seed in products[:60]])
        self.app.add_category("Sale", [seed.sku for seed in products[50:70]])
        for index, seed in enumerate(products[:30]):
            self.app.add_photo(seed.sku, png((index, 0, 0)))
        self.app.journal.clear()
        self.import_products()
        requests = self.api_requests()
        # ceil(120 / 100) pages of products + one read of the category tree per batch of PRODUCT_BATCH events
        bound = math.ceil(len(products) / PAGE_SIZE) + math.ceil(len(products) / PRODUCT_BATCH)
        self.assertLessEqual(len(requests), bound, requests)
        self.assertEqual({method for method, _path, _status in requests}, {"GET"})
        self.assertEqual({status for _method, _path, status in requests}, {200}, "no 429 either")
        self.assertFalse([path for _method, path, _status in requests if path.startswith(f"{API_PREFIX}/products/")],
                         "no product is read on its own")
        self.assertFalse(self.logs("product_import", state="error"))
        bindings = self.env["shop.sync.binding"].search([("backend_id", "=", self.backend.id),
                                                         ("model", "=", "product.template")])
        templates = {binding.external_id: binding._record() for binding in bindings}
        by_sku = {product["productnumber"]: templates[str(product["id"])] for product in self.app.products.values()}
        for index, seed in enumerate(products[:30]):
            self.assertEqual(base64.b64decode(by_sku[seed.sku].image_1920), png((index, 0, 0)))
        self.assertEqual({by_sku[seed.sku].categ_id.name for seed in products[:50]}, {"Lamps"})
        self.assertEqual({by_sku[seed.sku].categ_id.name for seed in products[60:70]}, {"Sale"})
        self.assertEqual(by_sku[products[100].sku].categ_id.name, products[100].category)
        downloads = len([path for _method, path, _status in self.app.journal if path.startswith("/Files/photos/")])
        self.assertEqual(downloads, 30)
        # again: the same requests, and no photo is downloaded again
        self.app.journal.clear()
        self.import_products()
        self.assertLessEqual(len(self.api_requests()), bound)
        self.assertEqual(len(self.app.journal), len(self.api_requests()), "no photo downloaded")

    def test_a_product_webhook_costs_one_read_of_the_product(self):
        seed = next(seed for seed in self.catalogue.products if seed.variants)
        product_id = self.app.add_photo(seed.sku, png("blue"))["product_id"]
        self.app.journal.clear()
        product = self.adapter().parse_product({"id": product_id, "href": f"/products/{product_id}"})
        [(method, path, _status)] = self.api_requests()
        self.assertEqual(method, "GET")
        self.assertTrue(path.startswith(f"{API_PREFIX}/products/{product_id}?expand="), path)
        self.assertEqual(len(product.variants), len(seed.variants))
        self.assertTrue(product.image and product.image.url.endswith(".png"))
