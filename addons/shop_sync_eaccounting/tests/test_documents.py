"""One eAccounting document per shop order, exactly once, booking the shop's gross, VAT and date:
customer invoice drafts (or sales orders), VAT by destination, customers and articles created as
needed, bad input logged with its cause and nothing half-written."""

from odoo.tests import tagged

from .common import EAccountingCase

DRAFTS = "/v2/customerinvoicedrafts"
AFTER_WRITE_FAULTS = ({"kind": "error_after_write", "status": 503}, {"kind": "drop_after_write"})


@tagged("post_install", "-at_install", "shop_sync")
class TestDocuments(EAccountingCase):
    def only_draft(self):
        self.assertEqual(len(self.sim.drafts), 1)
        return next(iter(self.sim.drafts.values()))

    def assert_books(self, document, sale):
        self.assertEqual(document["TotalAmount"], sale.amount_total)
        rounding = sum(row["UnitPrice"] * row["Quantity"] for row in document["Rows"]
                       if row["ArticleNumber"] == "SHOPSYNC-ROUNDING")
        self.assertAlmostEqual(document["TotalVatAmount"] + rounding, sale.amount_tax, places=2)

    def test_draft_books_the_shops_gross_vat_and_date(self):
        sale = self.import_order(6001, lines=[("product", "Mug", "MUG-1", "2", "125", "25"),
                                              ("product", "Cook book", "BOOK-1", "1", "299", "6"),
                                              ("shipping", "PostNord", "", "1", "49", "25")])
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        draft = self.only_draft()
        self.assert_books(draft, sale)
        self.assertEqual((draft["TotalAmount"], draft["TotalVatAmount"]), (598.0, 76.72))
        self.assertEqual(draft["InvoiceDate"][:10], "2026-01-05")
        self.assertEqual(draft["InvoiceCurrencyCode"], "SEK")
        self.assertEqual(draft["OurReference"], f"SHOPSYNC:{self.shop.id}:6001")
        self.assertTrue(draft["CustomerIsPrivatePerson"] and draft["IncludesVat"])
        self.assertEqual(sale.accounting_state, "draft")
        self.assertEqual(sale.accounting_document, f"draft:{draft['Id']}")
        customer = self.sim.customers[draft["CustomerId"]]
        self.assertEqual((customer["EmailAddress"], customer["IsPrivatePerson"], customer["CurrencyCode"]),
                         ("anna@example.se", True, "SEK"))
        self.assertEqual({self.sim.article_by_number(n)["CodingName"] for n in ("MUG-1", "BOOK-1")},
                         {"Varor 25%", "Varor 6%"})
        self.assert_requests_valid()

    def test_company_buyer_gets_net_prices_and_a_contact(self):
        sale = self.import_order(6002, company="Lagom Kaffe AB", email="order@lagom.example")
        self.assertEqual(self.export(sale).state, "done")
        draft = self.only_draft()
        self.assertFalse(draft["IncludesVat"])
        self.assert_books(draft, sale)
        customer = self.sim.customers[draft["CustomerId"]]
        self.assertFalse(customer["IsPrivatePerson"])
        self.assertEqual(customer["ContactPersonName"], "Anna Svensson")
        self.assert_requests_valid()

    def test_exactly_once_when_the_create_was_applied_but_failed(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=6101):
            with self.subTest(fault=fault["kind"]):
                self.sim.drafts.clear()
                self.sim.request_log.clear()
                sale = self.import_order(number)
                self.sim.faults.add(**fault, path=DRAFTS, method="POST")
                log = self.export(sale)
                self.assertFalse(self.sim.faults.faults, "the fault was applied")
                self.assertEqual(log.state, "done", log.message)
                self.assertEqual(len(self.api_requests("POST", DRAFTS)), 1, "looked up, not sent again")
                self.assertEqual(sale.accounting_document, f"draft:{self.only_draft()['Id']}")

    def test_a_document_an_earlier_attempt_made_is_found_not_duplicated(self):
        sale = self.import_order(6201)
        self.export(sale)
        self.env["shop.sync.binding"]._for_record(self.accounting, sale).unlink()  # e.g. a lost commit
        log = self.export(sale)
        self.assertEqual(log.state, "done")
        self.assertIn("earlier attempt", log.message)
        self.assertEqual(len(self.sim.drafts), 1)
        self.assertEqual(self.export(sale).state, "skipped")

    def test_sales_order_instead_of_draft(self):
        self.accounting.eacc_document_type = "order"
        sale = self.import_order(6301)
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertFalse(self.sim.drafts)
        [order] = self.sim.orders.values()
        self.assertEqual((order["Amount"], order["VatAmount"], order["OrderDate"][:10]), (250.0, 50.0, "2026-01-05"))
        self.assertEqual(sale.accounting_document, f"order:{order['Id']}")
        self.assert_requests_valid()

    def test_vat_by_destination(self):
        cases = (  # number, country, currency, company, vat, rate, expected VAT
            (6401, "DE", "EUR", "", "", "19", 19.16),  # private buyer: OSS at Germany's rate
            (6402, "DE", "EUR", "Kaffeehaus GmbH", "DE123456788", "0", 0.0),  # business: reverse charge
            (6403, "NO", "NOK", "", "", "0", 0.0),  # outside the EU: export
        )
        for number, country, currency, company, vat, rate, expected in cases:
            with self.subTest(country=country, company=company):
                self.sim.drafts.clear()
                sale = self.import_order(number, country=country, currency=currency, company=company, vat=vat,
                                         email=f"buyer{number}@example.com",
                                         lines=[("product", "Mug", "MUG-1", "1", "120", rate)])
                log = self.export(sale)
                self.assertEqual(log.state, "done", log.message)
                draft = self.only_draft()
                self.assertEqual(draft["InvoiceCurrencyCode"], currency)
                self.assertEqual(draft["TotalVatAmount"], expected)
                self.assert_books(draft, sale)
        self.assert_requests_valid()

    def test_missing_coding_is_logged_and_nothing_written(self):
        sale = self.import_order(6501, lines=[("product", "Mug", "MUG-1", "1", "119", "19")])
        log = self.export(sale)
        self.assertEqual(log.state, "error")
        self.assertIn("No eAccounting account coding", log.message)
        self.assertIn("19 %", log.message)
        self.assertEqual(sale.accounting_state, "error")
        self.assertFalse([entry for entry in self.sim.request_log if entry["method"] != "GET"])
        # a VAT-per-destination row fixes it: Retry sends it
        self.env["shop.sync.mapping"].create({
            "backend_id": self.accounting.id, "mapping_type": "eaccounting_coding", "vat_treatment": "domestic",
            "tax_rate": 19, "eacc_option_id": self.option("coding", "Varor 25%").id})
        log = self.export(sale)
        self.assertEqual(log.state, "error", "eAccounting books 25 %: the document is deleted again")
        self.assertIn("VAT differs", log.message)
        self.assertFalse(self.sim.drafts)

    def test_a_sale_in_another_coding_uses_a_companion_article(self):
        """MUGG-01 is seeded at 25 %: a line the shop taxed at 12 % goes to MUGG-01.<coding> at 12 %."""
        self.mug.default_code = "MUGG-01"
        sale = self.import_order(6601, lines=[("product", "Mug", "MUGG-01", "1", "112", "12")])
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        coding = self.option("coding", "Varor 12%")
        [row] = self.only_draft()["Rows"]
        self.assertEqual(row["ArticleNumber"], f"MUGG-01.{coding.remote_id[:8]}")
        self.assertEqual(self.sim.article_by_number(row["ArticleNumber"])["CodingId"], coding.remote_id)
        self.assert_books(self.only_draft(), sale)

    def test_refused_article_number_is_a_clear_error(self):
        self.mug.default_code = "M" * 41
        sale = self.import_order(6701, lines=[("product", "Mug", "M" * 41, "1", "125", "25")])
        log = self.export(sale)
        self.assertEqual(log.state, "error")
        self.assertIn("longer than the 40 characters", log.message)
        self.assertFalse(self.sim.drafts)

    def test_convert_is_an_explicit_action(self):
        sale = self.import_order(6801)
        self.export(sale)
        self.assertFalse(self.sim.invoices, "never converted automatically")
        result = sale.action_eacc_convert()
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        [invoice] = self.sim.invoices.values()
        self.assertEqual(invoice["TotalAmount"], 250.0)
        self.assertEqual(sale.accounting_state, "booked")
        self.assertEqual(sale.accounting_document, f"invoice:{invoice['Id']}")
        self.assert_requests_valid()
