"""Shop categories and Odoo product categories: created under the backend's parent on import; on
export a category the shop lacks is a clear log on its product, which is exported without it."""

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import ShopSyncCase


def product_payload(external_id, sku, category):
    return {"id": external_id, "name": sku, "sku": sku, "price": "10", "category": category,
            "variants": [{"id": f"{external_id}-v", "sku": sku}]}


@tagged("post_install", "-at_install", "shop_sync")
class TestProductCategories(ShopSyncCase):
    def import_batch(self, *payloads):
        return self.env["shop.sync.product.importer"]._import_batch(
            self.backend, [self.adapter.parse_product(payload) for payload in payloads])

    def template(self, sku):
        return self.env["product.product"].search([("default_code", "=", sku)]).product_tmpl_id

    def test_missing_categories_are_created_under_the_backends_parent(self):
        elsewhere = self.env["product.category"].create({"name": "Lamps"})
        parent = self.env["product.category"].create({"name": "Memory shop"})
        self.backend.product_category_id = parent
        self.import_batch(product_payload("c1", "LAMP-1", "Lamps"), product_payload("c2", "LAMP-2", "Lamps"))
        lamps = self.template("LAMP-1").categ_id
        self.assertEqual(lamps.parent_id, parent, "not the 'Lamps' category elsewhere in Odoo")
        self.assertNotEqual(lamps, elsewhere)
        self.assertEqual(self.template("LAMP-2").categ_id, lamps, "one category per name")
        self.import_batch(product_payload("c3", "LAMP-3", "Lamps"))
        self.assertEqual(self.template("LAMP-3").categ_id, lamps, "found again in a later batch")

    def test_unknown_category_on_export_is_logged_and_the_product_exported(self):
        sent = []
        self.adapter.known_categories = lambda names: {"Mugs"} & set(names)
        self.adapter.export_product = lambda product, external_id=None, publish=False: (
            sent.append(product) or {"": f"r-{len(sent)}", product.sku: f"r-{len(sent)}-v"})
        mugs, vases = self.env["product.category"].create([{"name": "Mugs"}, {"name": "Vases"}])
        templates = self.env["product.template"].create([
            {"name": "Mug", "default_code": "CAT-MUG", "categ_id": mugs.id, "type": "consu"},
            {"name": "Vase", "default_code": "CAT-VASE", "categ_id": vases.id, "type": "consu"}])
        exported = self.env["shop.sync.product.exporter"]._export(self.backend, templates)
        self.assertEqual(exported, 2, "both products are exported")
        self.assertEqual([(product.sku, product.category) for product in sent], [("CAT-MUG", "Mugs"), ("CAT-VASE", "")])
        log = self.env["shop.sync.log"].search(
            [("backend_id", "=", self.backend.id), ("reason", "=", "Unknown category")])
        self.assertEqual(log.external_ref, "CAT-VASE")
        self.assertEqual((log.res_model, log.res_id), ("product.template", templates[1].id))
        self.assertIn("'Vases'", log.message)

    def test_an_update_carries_the_category_only_when_it_changed(self):
        """The shop has the category exported last (``export_category``): an update of other fields
        neither writes nor links it again; a changed one is sent, an unknown one again each time
        (logged) until the shop has it."""
        sent = []
        known = {"Mugs", "Cups"}
        self.adapter.known_categories = lambda names: known & set(names)
        self.adapter.export_product = lambda product, external_id=None, publish=False: (
            sent.append(product.category) or {"": "r-mug", product.sku: "r-mug-v"})
        self.env["shop.sync.field.rule"].search([
            ("backend_id", "=", self.backend.id), ("object", "=", "product"), ("direction", "=", "export"),
            ("field", "=", "category")]).on_update = True
        mugs, cups, vases = self.env["product.category"].create([{"name": "Mugs"}, {"name": "Cups"}, {"name": "Vases"}])
        mug = self.env["product.template"].create(
            {"name": "Mug", "default_code": "CAT-MUG-2", "categ_id": mugs.id, "type": "consu", "list_price": 5})
        Exporter = self.env["shop.sync.product.exporter"]
        for change in ({}, {"list_price": 6}, {"categ_id": cups.id}, {"list_price": 7}, {"categ_id": vases.id},
                       {"list_price": 8}):
            mug.write(change)
            Exporter._export(self.backend, mug)
        self.assertEqual(sent, ["Mugs", "", "Cups", "", "", ""], "an unknown category is left out when the shop "
                                                              "takes none")
        known.add("Vases")
        mug.list_price = 9
        Exporter._export(self.backend, mug)
        self.assertEqual(sent[-1], "Vases", "sent once the shop has it")
