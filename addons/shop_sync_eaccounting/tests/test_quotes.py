"""Document type "quote": one quote draft per shop order in eAccounting (``/v2/quotedrafts``, shaped
as Visma's later swagger documents it: see simulators.eaccounting_swagger.QUOTE_SUPPLEMENT), exactly
once (its reference row looked up before creating, also after a POST applied and then failed), with
the shop's gross, VAT, date and currency; a cancelled order's quote is deleted; reconciliation and
dry-run read and leave it as they do the other types."""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import MemoryShopAdapter, order_payload

from .common import EAccountingCase

QUOTES = "/v2/quotedrafts"
AFTER_WRITE_FAULTS = ({"kind": "error_after_write", "status": 503}, {"kind": "drop_after_write"})


@tagged("post_install", "-at_install", "shop_sync")
class TestQuotes(EAccountingCase):
    def setUp(self):
        super().setUp()
        self.accounting.eacc_document_type = "quote"

    def only_quote(self):
        self.assertEqual(len(self.sim.quotes), 1)
        return self.sim.snapshot()["quotedrafts"][0]

    def test_quote_books_the_shops_gross_vat_date_and_currency(self):
        sale = self.import_order(9101, lines=[("product", "Mug", "MUG-1", "2", "125", "25"),
                                              ("product", "Cook book", "BOOK-1", "1", "299", "6"),
                                              ("shipping", "PostNord", "", "1", "49", "25")])
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertFalse(self.sim.drafts or self.sim.orders)
        quote = self.only_quote()
        rounding = sum(row["UnitPrice"] * row["Quantity"] for row in quote["Rows"]
                       if row["ArticleNumber"] == "SHOPSYNC-ROUNDING")
        self.assertEqual(quote["TotalAmount"], sale.amount_total)
        self.assertAlmostEqual(quote["VatAmount"] + rounding, sale.amount_tax, places=2)
        self.assertEqual((quote["QuoteDate"][:10], quote["CurrencyCode"], quote["Status"]), ("2026-01-05", "SEK", 0))
        self.assertEqual((quote["Rows"][0]["IsTextRow"], quote["Rows"][0]["Text"]),
                         (True, f"SHOPSYNC:{self.shop.id}:9101"))
        self.assertEqual(sale.accounting_document, f"quote:{quote['Id']}")
        self.assertIn("Quote draft created", log.message)
        self.assert_requests_valid()

    def test_quote_in_the_customers_currency(self):
        sale = self.import_order(9102, country="DE", currency="EUR", email="jonas@example.de",
                                 lines=[("product", "Mug", "MUG-1", "1", "20", "19")])
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        quote = self.only_quote()
        self.assertEqual((quote["CurrencyCode"], quote["InvoiceCountryCode"], quote["TotalAmount"], quote["VatAmount"]),
                         ("EUR", "DE", 20.0, 3.19))
        self.assert_requests_valid()

    def test_exactly_once_when_the_create_was_applied_but_failed(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=9201):
            with self.subTest(fault=fault["kind"]):
                self.sim.quotes.clear()
                self.sim.request_log.clear()
                sale = self.import_order(number)
                self.sim.faults.add(**fault, path=QUOTES, method="POST")
                log = self.export(sale)
                self.assertFalse(self.sim.faults.faults, "the fault was applied")
                self.assertEqual(log.state, "done", log.message)
                self.assertEqual(len(self.api_requests("POST", QUOTES)), 1, "looked up, not sent again")
                self.assertEqual(sale.accounting_document, f"quote:{self.only_quote()['Id']}")
        self.assert_requests_valid()

    def test_a_quote_an_earlier_attempt_made_is_found_not_duplicated(self):
        sale = self.import_order(9301)
        self.export(sale)
        other = self.import_order(9302)  # same customer and day: told apart by the reference row
        self.export(other)
        self.env["shop.sync.binding"]._for_record(self.accounting, sale).unlink()  # e.g. a lost commit
        log = self.export(sale)
        self.assertIn("earlier attempt", log.message)
        self.assertEqual(len(self.sim.quotes), 2)
        self.assertEqual(sale.accounting_document.split(":")[1], next(
            quote["Id"] for quote in self.sim.snapshot()["quotedrafts"]
            if quote["Rows"][0]["Text"] == f"SHOPSYNC:{self.shop.id}:9301"))

    def test_customer_in_another_country_than_the_vat_is_refused(self):
        """A quote takes its customer's country: an order whose VAT is another country's is not sent."""
        # private buyers go to one default customer: Anna Svensson, a Swedish private person
        self.accounting.write({"eacc_default_customer": True, "eacc_default_customer_number": "2"})
        sale = self.import_order(9401, country="DE", currency="SEK",
                                 lines=[("product", "Mug", "MUG-1", "1", "20", "19")])
        log = self.export(sale)
        self.assertEqual(log.state, "error")
        self.assertIn("A quote in eAccounting is booked by its customer's country", log.message)
        self.assertFalse(self.sim.quotes)

    def test_cancelled_order_deletes_its_quote(self):
        sale = self.import_order(9501)
        self.export(sale)
        log = self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertFalse(self.sim.quotes)
        self.assertEqual(sale.accounting_state, "cancelled")
        self.assertEqual(len(self.api_requests("DELETE")), 1)
        self.assert_requests_valid()

    def test_reconciliation_reads_the_quote(self):
        sale = self.import_order(9601)
        self.export(sale)
        status = sale._shop_sync_accounting_status()[sale.id]
        self.assertEqual((status["gross"], status["vat"], str(status["date"])), (250.0, 50.0, "2026-01-05"))
        self.assertTrue(status["invoice"].startswith("quote:"))

    def test_dry_run_sends_no_quote(self):
        adapter = MemoryShopAdapter({})
        adapter.orders["o9701"] = order_payload(9701, currency="SEK")
        Backend = type(self.env["shop.sync.backend"])
        self.startPatcher(patch.object(Backend, "_get_adapter", lambda backend: adapter))
        self.sim.request_log.clear()
        wizard = self.env["shop.sync.dry.run"].with_context(queue_job__no_delay=True).create(
            {"backend_id": self.shop.id, "objects": "orders"})
        wizard.action_run()
        self.assertEqual(set(wizard.line_ids.mapped("action")), {"create"})
        self.assertFalse(self.sim.request_log, "nothing reached eAccounting")
        self.assertFalse(self.sim.quotes)
