"""e-conomic product groups per Odoo product category: products of a mapped category (or of a
category below it) are created in that group and invoiced on it at home, no companion product."""

from odoo.tests import tagged

from .common import EconomicCase


@tagged("post_install", "-at_install", "shop_sync")
class TestProductGroupPerCategory(EconomicCase):
    def test_mapped_category_chooses_the_product_group(self):
        lamps = self.env["product.category"].create({"name": "Lamps"})
        desk_lamps = self.env["product.category"].create({"name": "Desk lamps", "parent_id": lamps.id})
        self.env["shop.sync.mapping"].create({
            "backend_id": self.accounting.id, "mapping_type": "economic_category_group",
            "product_category_id": lamps.id, "economic_option_id": self.option("product_group", 2).id})
        self.mug.categ_id = desk_lamps
        self.accounting._economic_export_products(self.mug)
        self.assertEqual(self.sim.products["MUG-1"]["productGroup"]["productGroupNumber"], 2,
                         "the group of the nearest mapped parent category")
        sale = self.import_order(3101)
        self.assertEqual(self.export(sale).state, "done")
        [line] = [line for line in self.sim.drafts[sale.economic_draft_number]["lines"]
                  if line["product"]["productNumber"].startswith("MUG-1")]
        self.assertEqual(line["product"]["productNumber"], "MUG-1", "invoiced on the product itself, in its group")
        self.assertEqual(sorted(self.sim.products), ["MUG-1"])

    def test_unmapped_category_keeps_the_default_group(self):
        self.mug.categ_id = self.env["product.category"].create({"name": "Mugs"})
        self.accounting._economic_export_products(self.mug)
        self.assertEqual(self.sim.products["MUG-1"]["productGroup"]["productGroupNumber"], 1)
