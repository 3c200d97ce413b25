"""Vendor, tags, dimensions, short description and backorders: imported and exported per the
field rules (None in a record: the shop has no such field, nothing is written)."""

from decimal import Decimal

from odoo.tests import tagged

from odoo.addons.shop_sync_base.services.records import Product, Variant
from odoo.addons.shop_sync_base.tests.common import ShopSyncCase


def shop_product(**fields):
    return Product(external_id="f1", name="Lamp", sku="LAMP-F", variants=[
        Variant(sku="LAMP-F", dimensions=(Decimal("30"), Decimal("20"), Decimal("45.5")))], **fields)


@tagged("post_install", "-at_install", "shop_sync")
class TestProductCatalogueFields(ShopSyncCase):
    def rule(self, field, direction="import"):
        return self.backend.field_rule_ids.filtered(
            lambda r: (r.object, r.direction, r.field) == ("product", direction, field))

    def import_product(self, product):
        log = self.env["shop.sync.product.importer"]._import(self.backend, product)
        self.assertEqual(log.state, "done", log.message)
        return self.env["product.template"].browse(log.res_id)

    def test_fields_are_imported_on_create_and_updated_per_rule(self):
        template = self.import_product(shop_product(
            vendor="Nordlys", tags=["Lamps", "Sale"], short_description="<p>Bright &amp; warm</p>", backorders=True))
        self.assertEqual(template.shop_vendor, "Nordlys")
        self.assertEqual(sorted(template.product_tag_ids.mapped("name")), ["Lamps", "Sale"])
        self.assertEqual(template.shop_short_description, "Bright & warm")
        self.assertTrue(template.shop_allow_backorders)
        self.assertEqual((template.shop_length, template.shop_width, template.shop_height), (30, 20, 45.5))
        self.import_product(shop_product(vendor="Other", tags=["Other"], short_description="Changed",
                                         backorders=False))
        self.assertEqual(template.shop_vendor, "Nordlys", "vendor, tags and texts are not updated by default")
        self.assertEqual(sorted(template.product_tag_ids.mapped("name")), ["Lamps", "Sale"])
        self.assertEqual(template.shop_short_description, "Bright & warm")
        self.assertFalse(template.shop_allow_backorders, "backorders are updated by default")
        self.rule("tags").on_update = True
        self.import_product(shop_product(tags=["Sale"]))
        self.assertEqual(template.product_tag_ids.mapped("name"), ["Sale"])
        self.assertEqual(self.env["product.tag"].search_count([("name", "=", "Sale")]), 1, "tags are reused")

    def test_fields_the_shop_does_not_have_are_left_alone(self):
        template = self.import_product(shop_product(vendor="Nordlys", backorders=True))
        for field in ("vendor", "backorders"):
            self.rule(field).on_update = True
        self.import_product(shop_product())  # vendor and backorders None: not told
        self.assertEqual(template.shop_vendor, "Nordlys")
        self.assertTrue(template.shop_allow_backorders)

    def test_export_carries_the_fields_the_rules_allow(self):
        template = self.env["product.template"].create({
            "name": "Chair", "default_code": "CHAIR-F", "type": "consu", "shop_vendor": "Stol",
            "shop_short_description": "Oak", "shop_allow_backorders": True, "shop_length": 50, "shop_width": 40,
            "shop_height": 90, "product_tag_ids": [(0, 0, {"name": "Furniture"})]})
        record = self.env["shop.sync.product.exporter"]._to_record(self.backend, template, creating=True,
                                                                   prices_include_tax=True)
        self.assertEqual((record.vendor, record.tags, record.short_description, record.backorders),
                         ("Stol", ["Furniture"], "Oak", True))
        self.assertEqual(record.variants[0].dimensions, (Decimal("50.0"), Decimal("40.0"), Decimal("90.0")))
        for field in ("vendor", "tags", "short_description", "backorders", "dimensions"):
            self.rule(field, "export").on_create = False
        record = self.env["shop.sync.product.exporter"]._to_record(self.backend, template, creating=True,
                                                                   prices_include_tax=True)
        self.assertEqual((record.vendor, record.tags, record.short_description, record.backorders,
                          record.variants[0].dimensions), (None, None, None, None, None))
