from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload

UNTAXED_MUG = [{"name": "Mug", "sku": "MUG-1", "qty": "2", "price": "100.00", "rate": None}]


@tagged("post_install", "-at_install", "shop_sync")
class TestCompanySeparation(ShopSyncCase):
    """Shop customers belong to the backend's company; backends and mappings refuse another
    company's records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.env["res.company"].create({"name": "Other Co", "currency_id": cls.env.ref("base.DKK").id})
        cls.mug.company_id = False  # a product both companies sell

    def test_shop_customers_are_invisible_to_another_company(self):
        self.import_order(order_payload(6001))
        customer = self.sale_for(6001).partner_id
        self.assertEqual(customer.company_id, self.company)
        outsider = new_test_user(self.env, "other_sales", groups="sales_team.group_sale_salesman_all_leads",
                                 company_id=self.other.id, company_ids=[self.other.id])
        Partner = self.env["res.partner"].with_user(outsider)
        self.assertFalse(Partner.search([("email", "=", "anna@example.com")]))
        self.assertIn(customer, self.env["res.partner"].search([("email", "=", "anna@example.com")]))

    def test_each_company_gets_its_own_customer_for_the_same_email(self):
        self.import_order(order_payload(6002, lines=UNTAXED_MUG))
        other_backend = self.env["shop.sync.backend"].create({
            "name": "Other shop", "company_id": self.other.id, "confirm_orders": False})
        other_backend.action_load_order_states()
        record = self.adapter.parse_order(order_payload(6003, lines=UNTAXED_MUG))
        log = self.env["shop.sync.order.importer"]._import(other_backend, record)
        self.assertEqual(log.state, "done", log.message)
        ours, theirs = self.sale_for(6002).partner_id, self.env["sale.order"].browse(log.res_id).partner_id
        self.assertEqual((ours.company_id, theirs.company_id), (self.company, self.other))
        self.assertEqual(ours.email, theirs.email)
        self.assertNotEqual(ours, theirs)
        # the next order of the same buyer finds its company's customer again
        again = self.import_order(order_payload(6004, lines=UNTAXED_MUG))
        self.assertEqual(self.env["sale.order"].browse(again.res_id).partner_id, ours)

    def test_company_buyer_and_delivery_address_belong_to_the_company(self):
        shipping = records.Address(name="Dock 4", street="Harbour 4", zip="8000", city="Aarhus", country_code="DK")
        record = self.adapter.parse_order(order_payload(
            6005, customer={"email": "buyer@acme.example", "name": "Bo", "company": "Acme ApS"}, shipping=shipping))
        contact, _invoice, delivery = self.env["shop.sync.partner.matcher"]._match(self.backend, record)
        self.assertEqual(contact.parent_id.name, "Acme ApS")
        self.assertEqual((contact | contact.parent_id | delivery).company_id, self.company)
        self.assertEqual(delivery.type, "delivery")

    def test_mapping_with_another_company_tax_is_refused(self):
        group = self.env["account.tax.group"].create({"name": "Foreign VAT", "company_id": self.other.id})
        foreign_tax = self.env["account.tax"].create({
            "name": "Foreign VAT 25%", "amount": 25, "type_tax_use": "sale", "company_id": self.other.id,
            "tax_group_id": group.id, "country_id": self.env.ref("base.dk").id})
        with self.assertRaises(UserError):
            self.env["shop.sync.mapping"].create({
                "backend_id": self.backend.id, "mapping_type": "tax", "tax_rate": 25, "tax_id": foreign_tax.id})
        mapping = self.env["shop.sync.mapping"].create({
            "backend_id": self.backend.id, "mapping_type": "tax", "tax_rate": 25, "tax_id": self.tax25.id})
        with self.assertRaises(UserError):
            mapping.tax_id = foreign_tax

    def test_backend_refuses_another_company_warehouse(self):
        foreign = self.env["stock.warehouse"].search([("company_id", "=", self.other.id)], limit=1)
        self.assertTrue(foreign)
        with self.assertRaises(UserError):
            self.backend.warehouse_id = foreign

    def test_sale_order_and_refund_refuse_another_company_records(self):
        self.import_order(order_payload(6006, lines=UNTAXED_MUG))
        sale = self.sale_for(6006)
        other_backend = self.env["shop.sync.backend"].create({"name": "Other shop", "company_id": self.other.id})
        with self.assertRaises(UserError):
            sale.shop_sync_backend_id = other_backend
        buyer = self.env["res.partner"].create({"name": "Buyer of both"})
        foreign_sale = self.env["sale.order"].create({"partner_id": buyer.id, "company_id": self.other.id})
        with self.assertRaises(UserError):
            self.env["shop.sync.refund"].create({
                "name": "R-6006", "backend_id": self.backend.id, "sale_order_id": foreign_sale.id, "external_id": "R1"})

    def test_webhook_url_starts_with_the_backends_base_url(self):
        """The address comes from get_base_url(), which a module may answer per record (e.g. a website's domain)."""
        Backend = type(self.backend)
        with patch.object(Backend, "get_base_url", lambda backend: "https://hub.example.com"):
            backend = self.env["shop.sync.backend"].create({"name": "Hub shop"})
            self.assertEqual(backend.webhook_url,
                             f"https://hub.example.com/shop_sync/webhook/{backend.id}/{backend.sudo().webhook_token}")
