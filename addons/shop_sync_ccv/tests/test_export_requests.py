"""What a product export costs in CCV requests (150 GETs a minute): a product's category links,
photos and combinations are read at most once, with the product (``expand``), and only when the
export needs them; a product just created has none; an unchanged category is not linked again."""

import base64

from odoo.tests import tagged

from simulators.ccv import API_PREFIX

from .common import CcvCase
from .test_catalogue import png


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvExportRequests(CcvCase):
    catalogue_options = {"products": 6, "customers": 2, "orders": 2}

    def setUp(self):
        super().setUp()
        self.app.add_category("Lamps")
        self.app.add_category("Sale")
        self.backend.field_rule_ids.filtered(
            lambda rule: (rule.object, rule.direction, rule.field) == ("product", "export", "category")
        ).on_update = True
        Category = self.env["product.category"]
        self.lamps, self.sale = Category.create([{"name": "Lamps"}, {"name": "Sale"}])
        self.templates = self.env["product.template"].create([
            {"name": f"Lamp {index}", "default_code": f"REQ-LAMP-{index}", "list_price": 30.0 + index,
             "type": "consu", "categ_id": self.lamps.id, "image_1920": base64.b64encode(png((200, index, 0)))}
            for index in range(3)])

    def export(self):
        """Export the templates; the requests sent, without the batch's one read of the category tree."""
        self.app.journal.clear()
        self.env["shop.sync.product.exporter"]._export(self.backend, self.templates)
        self.assertFalse(self.logs("product_export", state="error").mapped("message"))
        requests = [(method, path.split("?")[0]) for method, path, _status in self.app.journal
                    if path.startswith(API_PREFIX)]
        categories = [request for request in requests if request == ("GET", f"{API_PREFIX}/categories")]
        self.assertLessEqual(len(categories), 1, "the category tree is read once per batch")
        return [request for request in requests if request not in categories]

    def assert_per_product(self, requests, bound):
        self.assertLessEqual(len(requests), bound * len(self.templates), requests)

    def test_requests_per_exported_product_new_changed_unchanged(self):
        # new: looked up by product number, created, put in its category, its photo uploaded
        requests = self.export()
        self.assert_per_product(requests, 4)
        self.assertEqual(len([request for request in requests if request[0] == "GET"]), len(self.templates),
                         "only the look-up by product number: a created product has no links or photos to read")
        for template in self.templates:
            self.assertEqual(self.app.categories_of(template.default_code), ["Lamps"])
            self.assertEqual(len(self.app.photos_of(template.default_code)), 1)
        # changed price and image: written, read once with its photos, the photo uploaded; its
        # category did not change, so it is not linked again
        for index, template in enumerate(self.templates):
            template.write({"list_price": 40.0 + index, "image_1920": base64.b64encode(png((0, 200, index)))})
        requests = self.export()
        self.assert_per_product(requests, 3)
        for template in self.templates:
            self.assertEqual(self.app.categories_of(template.default_code), ["Lamps"])
            self.assertEqual([photo["is_mainphoto"] for photo in self.app.photos_of(template.default_code)],
                             [False, True])
        # changed price only: one PATCH
        for template in self.templates:
            template.list_price += 1
        self.assert_per_product(self.export(), 1)
        # unchanged: nothing
        self.assertEqual(self.export(), [])
        # changed category: written, read once with its category links, linked
        self.templates.categ_id = self.sale
        requests = self.export()
        self.assert_per_product(requests, 3)
        for template in self.templates:
            self.assertEqual(self.app.categories_of(template.default_code), ["Lamps", "Sale"])
