from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from .common import EconomicCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCustomers(EconomicCase):
    def customer(self, **fields):
        body = {"name": "Existing", "currency": "DKK", "customerGroup": {"customerGroupNumber": 1},
                "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1}, **fields}
        record = {"customerNumber": body.pop("customerNumber"), **body, "balance": 0.0}
        self.sim.customers[record["customerNumber"]] = record
        return record

    def test_existing_customer_is_matched_by_email(self):
        self.customer(customerNumber=500, email="anna@example.com")
        sale = self.import_order(3001)
        self.assertEqual(self.export(sale).state, "done")
        self.assertEqual(list(self.sim.customers), [500], "no second customer")
        self.assertEqual(self.sim.drafts[sale.economic_draft_number]["customer"]["customerNumber"], 500)
        partner = sale.partner_invoice_id.commercial_partner_id
        self.assertEqual(self.env["shop.sync.binding"]._for_record(self.accounting, partner).external_id, "500")
        self.assertIn("Matched by e-mail", self.logs("customer_export").message)

    def test_default_debtor_for_private_buyers_only(self):
        self.customer(customerNumber=900, name="Webshop customers")
        self.accounting.write({"economic_default_debtor": True, "economic_default_debtor_number": 900})
        private = self.import_order(3002)
        self.assertEqual(self.export(private).state, "done")
        draft = self.sim.drafts[private.economic_draft_number]
        self.assertEqual(draft["customer"]["customerNumber"], 900)
        self.assertEqual(draft["recipient"]["name"], "Anna Jensen", "the buyer is the recipient")
        self.assertEqual(list(self.sim.customers), [900])
        business = self.import_order(3003, email="buyer@hygge.dk", company="Hygge ApS")
        self.assertEqual(self.export(business).state, "done")
        number = self.sim.drafts[business.economic_draft_number]["customer"]["customerNumber"]
        self.assertNotEqual(number, 900)
        self.assertEqual(self.sim.customers[number]["name"], "Hygge ApS")
        self.assertEqual(self.sim.drafts[business.economic_draft_number]["recipient"]["name"], "Hygge ApS")

    def test_update_writes_only_what_the_rules_allow(self):
        sale = self.import_order(3004)
        self.export(sale)
        partner = sale.partner_invoice_id.commercial_partner_id
        number = int(self.env["shop.sync.binding"]._for_record(self.accounting, partner).external_id)
        created = self.sim.customers[number]
        self.assertEqual((created["name"], created["city"]), ("Anna Jensen", "Aarhus"))
        partner.write({"name": "Anna J. (renamed)", "phone": "+45 11 22 33 44", "city": "Odense"})
        Exporter = self.env["shop.sync.economic.customer.exporter"]
        client = self.accounting._economic_client()
        Exporter._export(self.accounting, client, partner)
        updated = self.sim.customers[number]
        self.assertEqual(updated["telephoneAndFaxNumber"], "+45 11 22 33 44", "phone: written on update")
        self.assertEqual((updated["name"], updated["city"]), ("Anna Jensen", "Aarhus"), "name/address: create only")
        self.env["shop.sync.field.rule"].search([
            ("backend_id", "=", self.accounting.id), ("object", "=", "customer"), ("direction", "=", "export"),
            ("field", "in", ("name", "address"))]).on_update = True
        Exporter._export(self.accounting, client, partner)
        updated = self.sim.customers[number]
        self.assertEqual((updated["name"], updated["city"]), ("Anna J. (renamed)", "Odense"))
        self.assertEqual(len(self.sim.customers), 1)

    def test_create_rules_leave_fields_out(self):
        self.env["shop.sync.field.rule"].search([
            ("backend_id", "=", self.accounting.id), ("object", "=", "customer"), ("direction", "=", "export"),
            ("field", "=", "address")]).on_create = False
        sale = self.import_order(3005)
        self.export(sale)
        customer = next(iter(self.sim.customers.values()))
        self.assertNotIn("city", customer)
        self.assertEqual(customer["vatZone"]["vatZoneNumber"], 1, "required properties are always written")

    def test_lost_answer_on_customer_create_is_found_by_email(self):
        sale = self.import_order(3006)
        self.sim.faults.add("drop_after_write", path="/customers", method="POST")
        self.assertEqual(self.export(sale).state, "done")
        self.assertFalse(self.sim.faults.faults)
        self.assertEqual(len(self.sim.customers), 1)


    def test_customer_bound_meanwhile_by_a_concurrent_job_is_kept(self):
        """As for products: a binding committed after this job's snapshot is not seen, the insert hits
        the unique key; the binding of the other job stands and this invoice goes on."""
        partner = self.env["res.partner"].create({"name": "Anna Jensen", "email": "anna@example.com"})
        Binding = self.env["shop.sync.binding"]
        Binding._bind(self.accounting, partner, "7", "anna@example.com")
        unseen = patch.multiple(type(Binding), _for_record=lambda self, *args: self.browse(),
                                _find=lambda self, *args: self.browse())
        with unseen:
            self.env["shop.sync.economic.customer.exporter"]._bind(self.accounting, partner, "7", "anna@example.com")
        self.assertEqual(Binding.search([("backend_id", "=", self.accounting.id), ("model", "=", "res.partner")])
                         .mapped("external_id"), ["7"])


@tagged("post_install", "-at_install", "shop_sync")
class TestProducts(EconomicCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        size = cls.env["product.attribute"].create({"name": "Size", "value_ids": [
            Command.create({"name": "S"}), Command.create({"name": "M"})]})
        cls.shirt = cls.env["product.template"].create({
            "name": "T-shirt", "type": "consu", "is_storable": True, "list_price": 125,
            "taxes_id": [Command.set(cls.tax25.ids)],
            "attribute_line_ids": [Command.create({"attribute_id": size.id,
                                                   "value_ids": [Command.set(size.value_ids.ids)]})]})
        for variant in cls.shirt.product_variant_ids:
            variant.default_code = f"TS-{variant.product_template_attribute_value_ids.name}-01"

    def export_products(self, products):
        return self.accounting._economic_export_products(products)

    def test_variants_become_simple_products_by_sku_with_net_price(self):
        self.assertEqual(self.export_products(self.shirt.product_variant_ids), 2)
        self.assertEqual(sorted(self.sim.products), ["TS-M-01", "TS-S-01"])
        small = self.sim.products["TS-S-01"]
        self.assertEqual((small["name"], small["salesPrice"]), ("T-shirt (S)", 100.0), "price excl. 25 % VAT")
        self.assertEqual((small["productGroup"]["productGroupNumber"], small["unit"]["unitNumber"]), (1, 1))
        variant = self.shirt.product_variant_ids.filtered(lambda v: v.default_code == "TS-S-01")
        self.assertEqual(self.env["shop.sync.binding"]._for_record(self.accounting, variant).external_id, "TS-S-01")

    def test_parent_numbering_uses_parent_sku_and_values(self):
        self.accounting.economic_variant_numbering = "parent"
        self.export_products(self.shirt.product_variant_ids)
        self.assertEqual(sorted(self.sim.products), ["TS-M", "TS-S"], "common SKU prefix + value")
        self.env["shop.sync.binding"].search([("backend_id", "=", self.accounting.id)]).unlink()
        self.env["shop.sync.binding"].create({"backend_id": self.shop.id, "model": "product.template",
                                              "res_id": self.shirt.id, "external_id": "p1", "external_ref": "SHIRT"})
        self.export_products(self.shirt.product_variant_ids)
        self.assertIn("SHIRT-S", self.sim.products, "the shop's parent SKU wins")

    def test_update_respects_the_product_rules(self):
        self.export_products(self.mug)
        self.mug.write({"name": "Mug (renamed)", "list_price": 150, "barcode": "5701234567890"})
        self.export_products(self.mug)
        mug = self.sim.products["MUG-1"]
        self.assertEqual((mug["name"], mug["salesPrice"], mug["barCode"]), ("Mug", 120.0, "5701234567890"),
                         "price and barcode are written on update, the name is not")
        self.env["shop.sync.field.rule"].search([
            ("backend_id", "=", self.accounting.id), ("object", "=", "product"), ("direction", "=", "export"),
            ("field", "=", "name")]).on_update = True
        self.export_products(self.mug)
        self.assertEqual(self.sim.products["MUG-1"]["name"], "Mug (renamed)")
        self.export_products(self.mug)
        self.assertEqual(self.logs("product_export")[0].reason, "Unchanged")
        self.assertEqual(len(self.journal("PUT", "/products/MUG-1")), 2)

    def test_product_bound_meanwhile_by_a_concurrent_job_is_used_as_it_is(self):
        """Two invoice jobs meet the same new product: the second one's snapshot cannot see the binding
        the first committed, so its insert hits the unique key; that must not fail the invoice."""
        self.export_products(self.mug)
        Binding = type(self.env["shop.sync.binding"])
        unseen = patch.multiple(Binding, _for_record=lambda self, *args: self.browse(),
                                _find=lambda self, *args: self.browse())
        with unseen:
            number = self.env["shop.sync.economic.product.exporter"]._ensure(
                self.accounting, self.accounting._economic_client(), self.mug)
        self.assertEqual(number, "MUG-1")
        self.assertEqual(len(self.journal("POST", "/products")), 1, "the product is not created twice")
        self.assertEqual(self.env["shop.sync.binding"]._for_record(self.accounting, self.mug).external_id, "MUG-1")

    def test_product_without_sku_is_a_clear_error(self):
        nameless = self.env["product.product"].create({"name": "No SKU"})
        self.assertEqual(self.export_products(nameless), 0)
        self.assertIn("no internal reference", self.logs("product_export").message)

    def test_missing_product_refused_when_creating_is_off(self):
        self.accounting.economic_create_products = False
        sale = self.import_order(4001)
        log = self.export(sale)
        self.assertEqual(log.state, "error")
        self.assertIn("MUG-1 does not exist in e-conomic", log.message)
        self.assertFalse(self.sim.drafts)
        self.assertFalse(self.sim.products)
