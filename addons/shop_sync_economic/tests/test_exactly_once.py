"""Every e-conomic create (draft invoice, customer, product) under the two faults that apply the
request and then fail: a 5xx answer and a dropped connection.  Each must leave exactly one remote
record and one binding, with the POST sent once (e-conomic has no idempotency key)."""

from odoo.tests import tagged

from ..models.shop_sync_economic_invoice_exporter import ROUNDING_PRODUCT
from .common import EconomicCase

AFTER_WRITE_FAULTS = ({"kind": "error_after_write", "status": 504}, {"kind": "drop_after_write"})


@tagged("post_install", "-at_install", "shop_sync")
class TestExactlyOnce(EconomicCase):
    def fresh_remote(self):
        """An empty e-conomic for the next fault: no records there, no bindings or known numbers here."""
        self.sim.reset()
        self.sim.journal.clear()
        self.env["shop.sync.binding"].search([("backend_id", "=", self.accounting.id)]).unlink()
        self.env["shop.sync.economic.known.product"].search([("backend_id", "=", self.accounting.id)]).unlink()

    def export_with_fault(self, number, path, fault):
        sale = self.import_order(number)
        self.sim.faults.add(**fault, path=path, method="POST")
        log = self.export(sale)
        self.assertFalse(self.sim.faults.faults, "the fault was applied")
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(len(self.journal("POST", path)), 1, "an uncertain POST is looked up, not sent again")
        return sale

    def test_draft_invoice_created_once(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=5101):
            with self.subTest(fault=fault["kind"]):
                self.fresh_remote()
                sale = self.export_with_fault(number, "/invoices/drafts", fault)
                self.assertEqual(list(self.sim.drafts), [sale.economic_draft_number])
                binding = self.env["shop.sync.binding"]._for_record(self.accounting, sale)
                self.assertEqual(binding.external_id, f"draft:{sale.economic_draft_number}")

    def test_customer_created_once(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=5201):
            with self.subTest(fault=fault["kind"]):
                self.fresh_remote()
                sale = self.export_with_fault(number, "/customers", fault)
                self.assertEqual(len(self.sim.customers), 1)
                customer_number = next(iter(self.sim.customers))
                partner = sale.partner_invoice_id.commercial_partner_id
                bindings = self.env["shop.sync.binding"].search([
                    ("backend_id", "=", self.accounting.id), ("model", "=", "res.partner")])
                self.assertEqual([(b.res_id, b.external_id) for b in bindings], [(partner.id, str(customer_number))])
                self.assertEqual(self.sim.drafts[sale.economic_draft_number]["customer"]["customerNumber"],
                                 customer_number)

    def test_product_created_once(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=5301):
            with self.subTest(fault=fault["kind"]):
                self.fresh_remote()
                before = set(self.sim.products)
                self.export_with_fault(number, "/products", fault)
                self.assertEqual(set(self.sim.products) - before, {"MUG-1"})
                bindings = self.env["shop.sync.binding"].search([
                    ("backend_id", "=", self.accounting.id), ("model", "=", "product.product")])
                self.assertEqual([(b.res_id, b.external_id) for b in bindings], [(self.mug.id, "MUG-1")])

    def test_product_of_the_product_export_created_once(self):
        """The products_export flow (an Odoo product pushed to e-conomic, no order involved)."""
        for fault in AFTER_WRITE_FAULTS:
            with self.subTest(fault=fault["kind"]):
                self.fresh_remote()
                self.sim.faults.add(**fault, path="/products", method="POST")
                self.assertEqual(self.accounting._economic_export_products(self.mug), 1)
                self.assertFalse(self.sim.faults.faults, "the fault was applied")
                self.assertEqual(set(self.sim.products), {"MUG-1"})
                self.assertEqual(len(self.journal("POST", "/products")), 1, "looked up, not sent again")
                binding = self.env["shop.sync.binding"]._for_record(self.accounting, self.mug)
                self.assertEqual(binding.external_id, "MUG-1")

    def test_rounding_product_created_once(self):
        """The product of rounding lines, created the first time an invoice needs one."""
        self.vat_row("oss", "nl", 21, group=11)
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=5501):
            with self.subTest(fault=fault["kind"]):
                self.fresh_remote()
                sale = self.import_order(number, [("product", "Mug", "MUG-1", "1", "100", "21")], country="NL",
                                         currency="EUR", email="eva@example.nl")
                self.sim.faults.add(**fault, path="/products", method="POST", contains=ROUNDING_PRODUCT)
                log = self.export(sale)
                self.assertFalse(self.sim.faults.faults, "the fault was applied")
                self.assertEqual(log.state, "done", log.message)
                self.assertEqual(len(self.journal("POST", "/products")), 2, "the mug and the rounding product, once")
                self.assertIn(ROUNDING_PRODUCT, self.sim.products)
                self.assertEqual(self.sim.drafts[sale.economic_draft_number]["lines"][-1]["product"]["productNumber"],
                                 ROUNDING_PRODUCT)

    def test_booked_invoice_created_once(self):
        """Booking (POST /invoices/booked) turns the draft into a booked invoice: after an uncertain
        answer the booked invoice is found by reference, bound, and never booked twice."""
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=5601):
            with self.subTest(fault=fault["kind"]):
                self.fresh_remote()
                sale = self.import_order(number)
                self.assertEqual(self.export(sale).state, "done")
                self.sim.faults.add(**fault, path="/invoices/booked", method="POST")
                self.assertEqual(sale.action_economic_book()["params"]["type"], "success")
                self.assertFalse(self.sim.faults.faults, "the fault was applied")
                self.assertEqual(list(self.sim.booked), [sale.economic_booked_number])
                self.assertFalse(self.sim.drafts)
                self.assertEqual(len(self.journal("POST", "/invoices/booked")), 1)
                binding = self.env["shop.sync.binding"]._for_record(self.accounting, sale)
                self.assertEqual(binding.external_id, f"booked:{sale.economic_booked_number}")

    def test_refused_create_is_sent_again_after_the_look_up(self):
        """A 503 that did not apply the draft: the look-up finds nothing, so it is created (once)."""
        sale = self.import_order(5401)
        self.sim.faults.add("error", status=503, path="/invoices/drafts", method="POST")
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual([status for _m, _p, status in self.journal("POST", "/invoices/drafts")], [503, 201])
        self.assertEqual(list(self.sim.drafts), [sale.economic_draft_number])
