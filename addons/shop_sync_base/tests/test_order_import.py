from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload


@tagged("post_install", "-at_install", "shop_sync")
class TestOrderImport(ShopSyncCase):
    def test_allowed_order_becomes_sale_order(self):
        log = self.import_order(order_payload(1001))
        self.assertEqual(log.state, "done", log.message)
        sale = self.sale_for(1001)
        self.assertEqual(len(sale), 1)
        self.assertEqual(sale.client_order_ref, "1001")
        self.assertEqual(sale.partner_id.email, "anna@example.com")
        self.assertFalse(sale.partner_id.is_company)
        self.assertEqual(sale.order_line.product_id, self.mug)
        self.assertEqual(sale.order_line.tax_ids, self.tax25)
        self.assertAlmostEqual(sale.amount_total, 200.0)
        self.assertAlmostEqual(sale.amount_tax, 40.0)
        self.assertEqual(sale.currency_id.name, "DKK")
        self.assertEqual((log.res_model, log.res_id), ("sale.order", sale.id))

    def test_state_not_allowed_is_skipped_with_reason(self):
        log = self.import_order(order_payload(1002, state="pending"))
        self.assertEqual((log.state, log.reason), ("skipped", "Order state not allowed"))
        self.assertFalse(self.sale_for(1002))

    def test_existing_order_is_skipped_and_state_change_logged(self):
        self.import_order(order_payload(1003))
        log = self.import_order(order_payload(1003, state="cancelled"))
        self.assertEqual((log.state, log.reason), ("skipped", "Order already imported"))
        self.assertIn("changed from paid to cancelled (not allowed)", log.message)
        sale = self.sale_for(1003)
        self.assertEqual(len(sale), 1)
        self.assertEqual(sale.shop_order_state, "cancelled")

    def test_unknown_sku_is_an_error_and_nothing_is_written(self):
        partners = self.env["res.partner"].search_count([])
        lines = [{"name": "Ghost", "sku": "NOPE-9", "qty": "1", "price": "10", "rate": "25"}]
        log = self.import_order(order_payload(1004, lines=lines, email="new@example.com"))
        self.assertEqual(log.state, "error")
        self.assertIn("Unknown SKU NOPE-9", log.message)
        self.assertFalse(self.sale_for(1004))
        self.assertEqual(self.env["res.partner"].search_count([]), partners, "partner creation rolled back")

    def test_unknown_sku_created_when_backend_allows(self):
        self.backend.create_missing_products = True
        lines = [{"name": "New thing", "sku": "NEW-1", "qty": "1", "price": "50", "rate": "25"}]
        log = self.import_order(order_payload(1005, lines=lines))
        self.assertEqual(log.state, "done", log.message)
        product = self.env["product.product"].search([("default_code", "=", "NEW-1")])
        self.assertEqual(product.name, "New thing")

    def test_unknown_tax_rate_is_a_clear_error(self):
        lines = [{"name": "Mug", "sku": "MUG-1", "qty": "1", "price": "100", "rate": "19"}]
        log = self.import_order(order_payload(1006, lines=lines))
        self.assertEqual(log.state, "error")
        self.assertIn("the shop charged 19% VAT for Denmark but Odoo's fiscal position 'Denmark (Company)' maps "
                      "the product's tax to 25%", log.message)

    def test_tax_mapping_per_country_wins(self):
        self.env["shop.sync.mapping"].create({
            "backend_id": self.backend.id, "mapping_type": "tax", "country_id": self.env.ref("base.nl").id,
            "tax_rate": 25, "tax_id": self.tax21.id})
        lines = [{"name": "Mug", "sku": "MUG-1", "qty": "1", "price": "121", "rate": "25"}]
        log = self.import_order(order_payload(1007, lines=lines, country="NL"))
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.sale_for(1007).order_line.tax_ids, self.tax21)

    def test_shipping_fee_and_discount_lines_are_kept(self):
        lines = [
            {"name": "Mug", "sku": "MUG-1", "qty": "1", "price": "100", "rate": "25"},
            {"kind": "shipping", "name": "GLS", "qty": "1", "price": "39", "rate": "25"},
            {"kind": "fee", "name": "Gift wrapping", "qty": "1", "price": "15", "rate": "25"},
            {"kind": "discount", "name": "SUMMER10", "qty": "1", "price": "10", "rate": "25"},
        ]
        log = self.import_order(order_payload(1008, lines=lines))
        self.assertEqual(log.state, "done", log.message)
        sale = self.sale_for(1008)
        by_product = {line.product_id: line for line in sale.order_line}
        self.assertEqual(by_product[self.backend.shipping_product_id].price_unit, 39)
        self.assertEqual(by_product[self.backend.fee_product_id].name, "Gift wrapping")
        self.assertEqual(by_product[self.backend.discount_product_id].price_unit, -10)
        self.assertAlmostEqual(sale.amount_total, 144.0)

    def test_shipping_method_mapping_selects_product(self):
        express = self.env["product.product"].create({"name": "Express", "type": "service"})
        self.env["shop.sync.mapping"].create({
            "backend_id": self.backend.id, "mapping_type": "shipping_method", "external_code": "express",
            "product_id": express.id})
        lines = [{"kind": "shipping", "name": "express", "qty": "1", "price": "50", "rate": "25"}]
        self.assertEqual(self.import_order(order_payload(1009, lines=lines)).state, "done")
        self.assertEqual(self.sale_for(1009).order_line.product_id, express)

    def test_total_mismatch_is_an_error(self):
        log = self.import_order(order_payload(1010, total="199.99"))
        self.assertEqual(log.state, "error")
        self.assertIn("Totals differ", log.message)
        self.assertFalse(self.sale_for(1010))

    def test_vat_differing_from_the_shops_is_an_error_even_when_the_totals_agree(self):
        # prices include VAT: 200.00 is the total at any rate, so only the shop's tax tells a wrong one
        log = self.import_order(order_payload(1012, tax_total="0.00"))
        self.assertEqual(log.state, "error")
        self.assertIn("VAT differs: the shop charged 0.00, Odoo computes 40.0 DKK", log.message)
        self.assertFalse(self.sale_for(1012))

    def test_vat_of_the_shop_to_the_cent_imports(self):
        log = self.import_order(order_payload(1013, tax_total="40.00"))
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.sale_for(1013).amount_tax, 40.0)

    def test_inactive_currency_is_an_error(self):
        log = self.import_order(order_payload(1011, currency="ZWL"))
        self.assertEqual(log.state, "error")
        self.assertIn("Currency ZWL is not active", log.message)

    def test_salesperson_is_the_customers_else_the_backends_never_the_importing_user(self):
        self.assertTrue(self.env.user.has_group("sales_team.group_sale_salesman"))
        self.import_order(order_payload(1040))
        self.assertFalse(self.sale_for(1040).user_id, "Odoo's default would be the user running the import")

        seller = self.env["res.users"].create({
            "name": "Shop seller", "login": "shop-seller", "company_id": self.env.company.id,
            "company_ids": self.env.company.ids, "group_ids": [(4, self.env.ref("sales_team.group_sale_salesman").id)]})
        team = self.env["crm.team"].create({"name": "Webshop", "company_id": self.env.company.id})
        self.backend.write({"salesperson_id": seller.id, "sales_team_id": team.id})
        self.import_order(order_payload(1041, email="new-buyer@example.com"))
        self.assertEqual((self.sale_for(1041).user_id, self.sale_for(1041).team_id), (seller, team))

        account_manager = self.env.ref("base.user_admin")
        self.env["res.partner"].create({"name": "Managed", "email": "managed@example.com",
                                        "user_id": account_manager.id})
        self.import_order(order_payload(1042, email="managed@example.com"))
        self.assertEqual((self.sale_for(1042).user_id, self.sale_for(1042).team_id), (account_manager, team))

    def test_customer_matched_by_email_case_insensitively(self):
        existing = self.env["res.partner"].create({"name": "Anna (enriched)", "email": "Anna@Example.com"})
        self.import_order(order_payload(1012, email="anna@EXAMPLE.com"))
        sale = self.sale_for(1012)
        self.assertEqual(sale.partner_id, existing)
        self.assertEqual(existing.name, "Anna (enriched)", "name is not updated by default rules")

    def test_company_customer_gets_company_and_contact(self):
        payload = order_payload(1013, email="buyer@hygge.dk")
        payload["customer"]["company"] = "Hygge ApS"
        self.import_order(payload)
        sale = self.sale_for(1013)
        self.assertFalse(sale.partner_id.is_company)
        self.assertEqual(sale.partner_id.parent_id.name, "Hygge ApS")
        self.assertTrue(sale.partner_id.parent_id.is_company)
        # a second order of the same company buyer reuses both
        self.import_order(order_payload(1014, email="buyer@hygge.dk"))
        self.assertEqual(self.sale_for(1014).partner_id, sale.partner_id)

    def test_delivery_address_differs_from_billing(self):
        from ..services.records import Address
        shipping = Address(name="Office", street="Havnegade 5", zip="1058", city="Copenhagen", country_code="DK")
        self.import_order(order_payload(1015, shipping=shipping))
        sale = self.sale_for(1015)
        self.assertEqual(sale.partner_shipping_id.type, "delivery")
        self.assertEqual(sale.partner_shipping_id.street, "Havnegade 5")

    def test_payment_method_mapping_sets_terms(self):
        terms = self.env.ref("account.account_payment_term_30days")
        self.env["shop.sync.mapping"].create({
            "backend_id": self.backend.id, "mapping_type": "payment_method", "external_code": "invoice",
            "payment_term_id": terms.id})
        self.import_order(order_payload(1016, payment="invoice"))
        self.assertEqual(self.sale_for(1016).payment_term_id, terms)

    def test_confirm_orders_option(self):
        self.backend.confirm_orders = True
        self.mug.is_storable = True
        self.import_order(order_payload(1017))
        self.assertEqual(self.sale_for(1017).state, "sale")

    def test_company_buyer_matched_by_vat_before_name(self):
        Partner = self.env["res.partner"]
        by_vat = Partner.create({"name": "Hygge Holding ApS", "is_company": True, "vat": "DK12345674"})
        Partner.create({"name": "Hygge ApS", "is_company": True})
        payload = order_payload(1018, email="buyer@hygge.dk")
        payload["customer"]["company"] = "Hygge ApS"
        record = self.adapter.parse_order(payload)
        record.customer.vat = "dk 1234 5674"
        log = self.env["shop.sync.order.importer"]._import(self.backend, record)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.sale_for(1018).partner_id.parent_id, by_vat)
