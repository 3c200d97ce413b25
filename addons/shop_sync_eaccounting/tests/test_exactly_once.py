"""Every create the eAccounting connector sends, under the two faults that apply the request and then
fail its answer (a 5xx, a dropped connection): the record exists once in eAccounting and is bound."""

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS

from . import test_credit_notes
from .common import EAccountingCase

DRAFTS = "/v2/customerinvoicedrafts"


@tagged("post_install", "-at_install", "shop_sync")
class TestEaccountingCreatesOnce(EAccountingCase):
    def fresh(self):
        """Each fault's pass starts on a clean simulator."""
        self.sim.reset()
        # what the last pass bound no longer exists in the reset eAccounting
        self.env["shop.sync.binding"].search([("backend_id", "=", self.accounting.id)]).unlink()
        self.authorise()
        self.accounting.action_eacc_load_options()

    def assert_applied(self):
        self.assertFalse(self.sim.faults.faults, "the fault was applied")

    def test_customer_of_an_order(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=9101):
            with self.subTest(fault=fault["kind"]):
                self.fresh()
                sale = self.import_order(number, email=f"buyer{number}@example.se")
                self.sim.faults.add(**fault, path="/v2/customers", method="POST")
                log = self.export(sale)
                self.assert_applied()
                self.assertEqual(log.state, "done", log.message)
                customers = [customer for customer in self.sim.customers.values()
                             if customer["EmailAddress"] == f"buyer{number}@example.se"]
                self.assertEqual(len(customers), 1)
                [draft] = self.sim.drafts.values()
                self.assertEqual(draft["CustomerId"], customers[0]["Id"])

    def test_article_of_an_order_line(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=9201):
            with self.subTest(fault=fault["kind"]):
                self.fresh()
                sale = self.import_order(number)
                self.sim.faults.add(**fault, path="/v2/articles", method="POST")
                log = self.export(sale)
                self.assert_applied()
                self.assertEqual(log.state, "done", log.message)
                self.assertEqual([article["Number"] for article in self.sim.articles.values()
                                  if article["Number"].startswith("MUG-1")], ["MUG-1"])

    def test_rounding_article_of_a_document(self):
        """A business buyer's mug at 12.52 incl. 25 %: Odoo's tax 2.50, eAccounting's 25 % of the net
        10.02 is 2.51, so the draft takes a rounding row of -0.01 and its article is created."""
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=9251):
            with self.subTest(fault=fault["kind"]):
                self.fresh()
                sale = self.import_order(number, company="Lagom Kaffe AB", email=f"buyer{number}@example.se",
                                         lines=[("product", "Mug", "MUG-1", "1", "12.52", "25")])
                self.sim.faults.add(**fault, path="/v2/articles", method="POST", contains="SHOPSYNC-ROUNDING")
                log = self.export(sale)
                self.assert_applied()
                self.assertEqual(log.state, "done", log.message)
                self.assertEqual(len([article for article in self.sim.articles.values()
                                      if article["Number"] == "SHOPSYNC-ROUNDING"]), 1)
                [draft] = self.sim.drafts.values()
                self.assertEqual([(row["ArticleNumber"], row["UnitPrice"]) for row in draft["Rows"]][-1:],
                                 [("SHOPSYNC-ROUNDING", -0.01)])
                self.assertEqual((draft["TotalAmount"], draft["TotalVatAmount"]), (12.52, 2.51))

    def test_article_of_the_product_export(self):
        for _number, fault in enumerate(AFTER_WRITE_FAULTS, start=9301):
            with self.subTest(fault=fault["kind"]):
                self.fresh()
                self.sim.faults.add(**fault, path="/v2/articles", method="POST")
                self.assertEqual(self.accounting._eacc_export_products(self.book), 1)
                self.assert_applied()
                self.assertEqual([article["Number"] for article in self.sim.articles.values()
                                  if article["Number"] == "BOOK-1"], ["BOOK-1"])
                self.assertTrue(self.env["shop.sync.binding"]._for_record(self.accounting, self.book))

    def test_sales_order(self):
        self.accounting.eacc_document_type = "order"
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=9401):
            with self.subTest(fault=fault["kind"]):
                self.fresh()
                sale = self.import_order(number)
                self.sim.faults.add(**fault, path="/v2/orders", method="POST")
                log = self.export(sale)
                self.assert_applied()
                self.assertEqual(log.state, "done", log.message)
                [order] = self.sim.orders.values()
                self.assertEqual(sale.accounting_document, f"order:{order['Id']}")

    def test_credit_note_of_a_refund(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=9501):
            with self.subTest(fault=fault["kind"]):
                self.fresh()
                sale = self.import_order(number, test_credit_notes.ORDER)
                self.assertEqual(self.export(sale).state, "done")
                refund = test_credit_notes.TestCreditNotes.refund(
                    self, sale, f"R{number}", "49", [("shipping", "", "0", "49")])
                self.sim.faults.add(**fault, path=DRAFTS, method="POST")
                log = self.env["shop.sync.eaccounting.credit.note.exporter"]._export(self.accounting, refund)
                self.assert_applied()
                self.assertEqual(log.state, "done", log.message)
                credits = [draft for draft in self.sim.drafts.values() if draft["IsCreditInvoice"]]
                self.assertEqual(len(credits), 1)
                self.assertEqual(refund.accounting_state, "draft")

    def test_credit_note_of_a_cancelled_invoice(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=9601):
            with self.subTest(fault=fault["kind"]):
                self.fresh()
                sale = self.import_order(number)
                self.assertEqual(self.export(sale).state, "done")
                sale.action_eacc_convert()
                self.sim.faults.add(**fault, path=DRAFTS, method="POST")
                log = self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale)
                self.assert_applied()
                self.assertEqual(log.state, "done", log.message)
                self.assertEqual(len(self.sim.drafts), 1, "one credit note draft")

    def test_conversion_into_an_invoice(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=9701):
            with self.subTest(fault=fault["kind"]):
                self.fresh()
                sale = self.import_order(number)
                self.assertEqual(self.export(sale).state, "done")
                self.sim.faults.add(**fault, path=DRAFTS, method="POST")
                sale.action_eacc_convert()
                self.assert_applied()
                [invoice] = self.sim.invoices.values()
                self.assertEqual(sale.accounting_document, f"invoice:{invoice['Id']}")
                self.assertFalse(self.sim.drafts)
