"""Requests per draft invoice, counted in the simulator's request log: a known customer and known
products (bound, or companions remembered) are not read again, the look-up by reference is only
made when a create may have been sent, and a changed partner or a deleted product is read again."""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import statements

from .common import EconomicCase

DUTCH = [("product", "Mug", "MUG-1", "1", "410", "21"), ("shipping", "GLS", "", "1", "39", "21")]


@tagged("post_install", "-at_install", "shop_sync")
class TestRequestsPerInvoice(EconomicCase):
    def exported(self, sale):
        self.sim.journal.clear()
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        return [(method, path.split("?")[0], status) for method, path, status in self.sim.journal]

    def test_first_invoice_creates_then_one_request_per_invoice(self):
        self.assertEqual(self.exported(self.import_order(6001)), [
            ("GET", "/customers", 200), ("POST", "/customers", 201),       # new buyer: by e-mail, then created
            ("GET", "/products/MUG-1", 404), ("POST", "/products", 201),   # new product
            ("POST", "/invoices/drafts", 201),                             # never attempted: no look-up
        ])
        for number in range(6002, 6006):  # the same buyer and product: the draft alone
            self.assertEqual(self.exported(self.import_order(number)), [("POST", "/invoices/drafts", 201)])
        self.assertEqual(len(self.sim.drafts), 5)

    def test_steady_state_mix_stays_within_budget(self):
        """20 orders of 4 buyers (one of them German, One-Stop-Shop) once each buyer and product is
        known: one request per invoice, companions of the OSS group included."""
        self.vat_row("oss", "de", 19, group=12)
        buyers = [("DK", "DKK", "25", "a@example.dk"), ("DK", "DKK", "25", "b@example.dk"),
                  ("DE", "EUR", "19", "c@example.de"), ("DK", "DKK", "25", "d@example.dk")]

        def order(number):
            country, currency, rate, email = buyers[number % 4]
            lines = [("product", "Mug", "MUG-1", "1", "100", rate), ("shipping", "GLS", "", "1", "39", rate)]
            return self.import_order(number, lines, country=country, currency=currency, email=email)

        warm_up = [self.exported(order(number)) for number in range(6100, 6104)]
        steady = [len(self.exported(order(number))) for number in range(6104, 6124)]
        self.assertEqual(steady, [1] * 20)
        self.assertLessEqual((sum(map(len, warm_up)) + sum(steady)) / 24, 2.5)
        self.assertIn(("GET", "/products/MUG-1_11_12", 404), warm_up[2], "the German buyer's companion (MUG-1.12)")

    def test_changed_partner_is_read_and_written_again(self):
        first = self.import_order(6201)
        self.exported(first)
        partner = first.partner_invoice_id.commercial_partner_id
        number = int(self.env["shop.sync.binding"]._for_record(self.accounting, partner).external_id)
        self.assertEqual(self.exported(self.import_order(6202)), [("POST", "/invoices/drafts", 201)])
        partner.phone = "+45 12 34 56 78"  # the phone is written on update by default
        self.assertEqual(self.exported(self.import_order(6203))[:2], [
            ("GET", f"/customers/{number}", 200), ("PUT", f"/customers/{number}", 200)])
        self.assertEqual(self.sim.customers[number]["telephoneAndFaxNumber"], "+45 12 34 56 78")
        self.assertEqual(self.exported(self.import_order(6204)), [("POST", "/invoices/drafts", 201)])

    def test_customer_update_refused_is_sent_again(self):
        first = self.import_order(6231)
        self.exported(first)
        partner = first.partner_invoice_id.commercial_partner_id
        number = int(self.env["shop.sync.binding"]._for_record(self.accounting, partner).external_id)
        partner.phone = "+45 87 65 43 21"
        self.sim.faults.add("error", path=f"/customers/{number}", method="PUT", status=400)
        self.assertEqual(self.export(self.import_order(6232)).state, "error")
        self.assertFalse(self.sim.faults.faults, "the update was refused")
        self.assertEqual(self.exported(self.import_order(6233))[:2], [
            ("GET", f"/customers/{number}", 200), ("PUT", f"/customers/{number}", 200)])
        self.assertEqual(self.sim.customers[number]["telephoneAndFaxNumber"], "+45 87 65 43 21")

    def test_changed_update_rules_read_the_customer_again(self):
        self.exported(self.import_order(6211))
        rule = self.accounting.field_rule_ids.filtered(
            lambda rule: (rule.object, rule.direction, rule.field) == ("customer", "export", "address"))
        rule.on_update = True  # the address, written on create, is now Odoo's to keep: checked once
        self.assertEqual([entry[0] for entry in self.exported(self.import_order(6212))], ["GET", "POST"])
        self.assertEqual(self.exported(self.import_order(6213)), [("POST", "/invoices/drafts", 201)])

    def test_deleted_companion_is_forgotten_and_created_again(self):
        self.vat_row("oss", "nl", 21, group=11)
        self.exported(self.import_order(6301, DUTCH, country="NL", currency="EUR", email="eva@example.nl"))
        del self.sim.products["MUG-1.11"]  # deleted in e-conomic
        refused = self.import_order(6302, DUTCH, country="NL", currency="EUR", email="eva@example.nl")
        log = self.export(refused)
        self.assertEqual(log.state, "error")
        self.assertIn("E06000", log.message)
        refused.economic_invoice_state = "pending"
        requests = self.exported(refused)
        self.assertIn(("POST", "/products", 201), requests)
        self.assertIn("MUG-1.11", self.sim.products)

    def test_look_up_by_reference_only_after_an_attempt(self):
        """An attempt is committed before the POST: after a worker died past the POST, the next
        attempt looks the draft up (and adopts it) instead of creating a second one."""
        sale = self.import_order(6401)
        Exporter = type(self.env["shop.sync.economic.invoice.exporter"])
        with patch.object(Exporter, "_bind", side_effect=RuntimeError("worker killed")), \
                self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.export(sale)
        requests = self.exported(sale)
        self.assertEqual(requests[0][:2], ("GET", "/invoices/drafts"))
        self.assertNotIn(("POST", "/invoices/drafts", 201), requests)
        self.assertEqual(len(self.sim.drafts), 1)

    def test_the_bindings_of_an_invoices_products_are_looked_up_together(self):
        """Issue 14 (throughput once requests are few): a known invoice's three product lines cost one
        look-up of their bindings, not two per line."""
        lines = [("product", "Mug", "MUG-1", "1", "100", "25"), ("product", "Mug", "MUG-1", "2", "90", "25"),
                 ("shipping", "GLS", "", "1", "39", "25")]
        self.exported(self.import_order(6501, lines))
        sale = self.import_order(6502, lines)
        products = r'FROM "shop_sync_binding" WHERE .*"shop_sync_binding"."res_id" IN'
        with statements(products) as counts:
            self.assertEqual(self.exported(sale), [("POST", "/invoices/drafts", 201)])
        # the invoice's products together, then the order itself (locked, then bound), and its customer
        self.assertLessEqual(counts[products], 4)
