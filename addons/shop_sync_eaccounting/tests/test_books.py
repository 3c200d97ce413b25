"""The books balance in eAccounting: a credit note is checked against the refund it credits as the
order's document is against the order, a cancelled order is credited once (never again by a refund
that waited), and an invoice is read in its own currency."""

from datetime import UTC, datetime

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shop_sync_base.tests.accounting_common import AccountingRefunds
from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS

from .common import EAccountingCase

ORDER = [("product", "Mug", "MUG-1", "2", "125", "25"), ("shipping", "PostNord", "", "1", "49", "25")]


@tagged("post_install", "-at_install", "shop_sync")
class TestCreditNoteBooks(AccountingRefunds, EAccountingCase):
    ORDER = ORDER

    def credit_notes(self):
        return [draft for draft in self.sim.drafts.values() if draft["IsCreditInvoice"]]

    def credit(self, refund):
        return self.env["shop.sync.eaccounting.credit.note.exporter"]._export(self.accounting, refund)

    def test_credit_note_books_the_refunds_gross_and_vat(self):
        sale = self.invoiced(8101)
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        log = self.credit(refund)
        self.assertEqual(log.state, "done", log.message)
        [credit] = self.credit_notes()
        self.assertEqual((credit["TotalAmount"], credit["TotalVatAmount"]), (-refund.amount_total, -refund.amount_tax))

    def test_credit_notes_book_the_vat_the_shop_gave_back_to_the_cent(self):
        """3 mugs at 99.01 incl. 25 % (59.41 VAT) refunded 2 then 1 with the tax the shop states (39.60,
        then the 19.81 left; split in the proportion of the order line they were 39.61 and 19.80): each
        credit note, created once under a fault that applies its POST and then fails, books the shop's
        VAT (rounding row included), and the order's VAT in the books ends at zero."""
        sale = self.invoiced(8126, [("product", "Mug", "MUG-1", "3", "99.01", "25")])
        vat = []
        for (refund_id, amount, tax), fault in zip((("T1", "198.02", "39.60"), ("T2", "99.01", "19.81")),
                                                   AFTER_WRITE_FAULTS, strict=True):
            quantity = str(round(float(amount) / 99.01))
            refund = self.refund(sale, refund_id, amount, [("product", "MUG-1", quantity, amount, tax)])
            self.sim.faults.add(**fault, path="/v2/customerinvoicedrafts", method="POST")
            log = self.credit(refund)
            self.assertFalse(self.sim.faults.faults, "the fault was applied")
            self.assertEqual(log.state, "done", log.message)
            credit = self.sim.drafts[log.external_id.split(":", 1)[1]]
            rounding = sum(row["UnitPrice"] * row["Quantity"] for row in credit["Rows"]
                           if row["ArticleNumber"] == "SHOPSYNC-ROUNDING")
            self.assertEqual((credit["TotalAmount"], round(credit["TotalVatAmount"] + rounding, 2)),
                             (-float(amount), -float(tax)))
            vat.append(-round(credit["TotalVatAmount"] + rounding, 2))
        self.assertEqual(len(self.credit_notes()), 2, "one credit note per refund")
        self.assertEqual(round(sale.amount_tax - sum(vat), 2), 0.0, "all the VAT given back, no more")

    def test_partial_and_shipping_refunds_per_destination(self):
        cases = (  # number, country, currency, company, VAT number, lines, refunds (amount, lines)
            (8121, "DE", "EUR", "", "", [("product", "Mug", "MUG-1", "3", "11.90", "19"),
                                         ("product", "Cook book", "BOOK-1", "1", "21.40", "7"),
                                         ("shipping", "DHL", "", "1", "4.90", "19")],
             [("11.90", [("product", "MUG-1", "1", "11.90")]), ("4.90", [("shipping", "", "0", "4.90")]),
              ("5.35", [])]),
            (8122, "DE", "EUR", "Kaffeehaus GmbH", "DE123456788", [
                ("product", "Mug", "MUG-1", "2", "10", "0"), ("shipping", "DHL", "", "1", "5", "0")],
             [("10", [("product", "MUG-1", "1", "10")])]),
            (8123, "SE", "SEK", "Lagom Kaffe AB", "SE556677889901", [
                ("product", "Mug", "MUG-1", "3", "33.33", "25"), ("shipping", "PostNord", "", "1", "49", "25")],
             [("33.33", [("product", "MUG-1", "1", "33.33")]), ("49", [("shipping", "", "0", "49")])]),
            (8124, "NO", "NOK", "", "", [("product", "Mug", "MUG-1", "1", "150", "0")], [("75", [])]),
        )
        for number, country, currency, company, vat, lines, refunds in cases:
            with self.subTest(country=country, company=company):
                sale = self.invoiced(number, lines, country=country, currency=currency, company=company, vat=vat,
                                     email=f"buyer{number}@example.com")
                for index, (amount, refund_lines) in enumerate(refunds, start=1):
                    refund = self.refund(sale, f"R{number}-{index}", amount, refund_lines)
                    log = self.credit(refund)
                    self.assertEqual(log.state, "done", log.message)
                    credit = self.sim.drafts[log.external_id.split(":", 1)[1]]
                    rounding = sum(row["UnitPrice"] * row["Quantity"] for row in credit["Rows"]
                                   if row["ArticleNumber"] == "SHOPSYNC-ROUNDING")
                    self.assertEqual(credit["TotalAmount"], -refund.amount_total)
                    self.assertEqual(round(credit["TotalVatAmount"] + rounding, 2), -refund.amount_tax)
                    self.assertEqual(credit["InvoiceCurrencyCode"], currency)
        self.assert_requests_valid()

    def test_credit_note_is_dated_the_refunds_day_in_the_companys_time_zone(self):
        """The order of 5 January refunded on 8 January (09:00 UTC) and on 31 January at 23:30 UTC
        (1 February in Stockholm): the VAT is reduced in the refund's period, not the order's."""
        sale = self.invoiced(8125)
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        later = self.refund(sale, "R2", "125", [("product", "MUG-1", "1", "125")])
        later.sudo().date = datetime(2026, 1, 31, 23, 30)
        for each, day in ((refund, "2026-01-08"), (later, "2026-02-01")):
            log = self.credit(each)
            self.assertEqual(log.state, "done", log.message)
            self.assertEqual(self.sim.drafts[log.external_id.split(":", 1)[1]]["InvoiceDate"][:10], day)

    def test_credit_note_booking_other_totals_is_deleted_and_an_error(self):
        """eAccounting's 'Show prices excl. VAT for private individuals' was switched on after the
        values were loaded: it reads the credit note's gross unit prices as net."""
        sale = self.invoiced(8102)
        self.sim.company["ShowPricesExclVatPC"] = True
        refund = self.refund(sale, "R1", "174", [("product", "MUG-1", "1", "125"), ("shipping", "", "0", "49")])
        log = self.credit(refund)
        self.assertEqual(log.state, "error", log.message)
        self.assertIn("Gross totals differ", log.message)
        self.assertEqual(refund.accounting_state, "error")
        self.assertFalse(self.credit_notes(), "the credit note this attempt created is deleted again")
        self.assertFalse(self.env["shop.sync.binding"]._for_record(self.accounting, refund))
        # the draft's IncludesVat told the new setting: the Retry sends net prices
        self.assertIn("is now on", log.message)
        self.assertTrue(self.accounting.eacc_private_prices_exclude_vat)
        log = self.credit(refund)
        self.assertEqual(log.state, "done", log.message)
        [credit] = self.credit_notes()
        self.assertEqual((credit["TotalAmount"], credit["TotalVatAmount"]), (-174.0, -34.8))

    def test_credit_note_an_earlier_attempt_made_with_other_totals_is_bound_and_an_error(self):
        sale = self.invoiced(8103)
        self.sim.company["ShowPricesExclVatPC"] = True
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        # an attempt that created the credit note and lost its commit
        Credits = self.env["shop.sync.eaccounting.credit.note.exporter"]
        client = self.accounting._accounting_client()
        client.post("customerinvoicedrafts", Credits._credit_note_payload(
            self.accounting, client, refund, Credits._refund_reference(refund), None))
        log = self.credit(refund)
        self.assertEqual(log.state, "error", log.message)
        self.assertEqual(refund.accounting_state, "error")
        self.assertEqual(len(self.credit_notes()), 1, "never deleted: an earlier attempt made it")
        self.assertTrue(self.env["shop.sync.binding"]._for_record(self.accounting, refund))

    def test_cancellation_leaves_out_a_refund_credited_in_error(self):
        """A refund whose credit note exists but was bound in error (its totals are checked by hand)
        is credited already: the cancellation credits only the rest."""
        sale = self.invoiced(8115)
        sale.action_eacc_convert()
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        Credits = self.env["shop.sync.eaccounting.credit.note.exporter"]
        client = self.accounting._accounting_client()
        payload = Credits._credit_note_payload(self.accounting, client, refund, Credits._refund_reference(refund), None)
        payload["Rows"][0]["UnitPrice"] = 50.0  # an earlier attempt's credit note a cent per VAT off
        client.post("customerinvoicedrafts", payload)
        self.assertEqual(self.credit(refund).state, "error")
        self.assertEqual(refund.accounting_state, "error")
        log = Credits._cancel(self.accounting, sale)
        self.assertEqual(log.state, "done", log.message)
        cancel = next(credit for credit in self.credit_notes() if credit["OurReference"].endswith(":CANCEL"))
        self.assertEqual(cancel["TotalAmount"], -(sale.amount_total - refund.amount_total))

    def test_cancellation_credit_note_booking_other_totals_is_deleted_and_an_error(self):
        sale = self.invoiced(8104)
        sale.action_eacc_convert()
        self.sim.company["ShowPricesExclVatPC"] = True
        log = self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale)
        self.assertEqual(log.state, "error", log.message)
        self.assertIn("Gross totals differ", log.message)
        self.assertFalse(self.credit_notes())
        self.assertEqual(sale.accounting_state, "booked")

    def test_a_refund_waiting_when_its_booked_order_is_cancelled_is_not_credited_again(self):
        """The refund's credit note failed (eAccounting answered 503), the shop then cancelled the
        order: the cancellation's credit note reverses everything left, the refund included."""
        sale = self.invoiced(8105)
        sale.action_eacc_convert()
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        self.sim.faults.add("error", status=503, path="/v2/customerinvoicedrafts", method="POST", count=2)
        self.assertEqual(self.credit(refund).state, "error")
        self.assertEqual(refund.accounting_state, "pending")
        sale._action_cancel()
        log = self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale)
        self.assertEqual(log.state, "done", log.message)
        log = self.credit(refund)  # the refund's job retried
        self.assertEqual(log.state, "skipped", log.message)
        self.assertEqual(refund.accounting_state, "cancelled")
        self.assertEqual(sum(credit["TotalAmount"] for credit in self.credit_notes()), -sale.amount_total,
                         "the order nets to zero")

    def test_a_refund_of_an_order_cancelled_in_odoo_alone_is_credited(self):
        """Cancelled in Odoo alone, the order keeps its document in eAccounting: its refund is credited."""
        sale = self.invoiced(8113)
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        self.sim.faults.add("error", status=503, path="/v2/customerinvoicedrafts", method="POST", count=2)
        self.credit(refund)
        sale._action_cancel()
        log = self.credit(refund)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(refund.accounting_state, "draft")
        self.assertEqual(len(self.credit_notes()), 1)

    def test_a_refund_waiting_when_its_draft_is_deleted_is_closed(self):
        sale = self.invoiced(8106)
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        self.sim.faults.add("error", status=503, path="/v2/customerinvoicedrafts", method="POST", count=2)
        self.credit(refund)
        sale._action_cancel()
        self.assertEqual(self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale).state,
                         "done")
        self.assertFalse(self.sim.drafts)
        log = self.credit(refund)
        self.assertEqual((log.state, refund.accounting_state), ("skipped", "cancelled"))
        self.assertFalse(self.sim.drafts)

    def test_a_foreign_currency_invoice_is_read_in_its_currency(self):
        """CustomerInvoiceApi's TotalAmount is in the company's currency (SEK), beside
        TotalAmountInvoiceCurrency: an EUR order's invoice books the order's EUR."""
        sale = self.import_order(8107, country="DE", currency="EUR", email="buyer8107@example.com",
                                 lines=[("product", "Mug", "MUG-1", "1", "120", "19")])
        self.assertEqual(self.export(sale).state, "done")
        sale.action_eacc_convert()
        [invoice] = self.sim.invoices.values()
        self.assertNotEqual(invoice["TotalAmount"], invoice["TotalAmountInvoiceCurrency"])
        status = sale._shop_sync_accounting_status()[sale.id]
        self.assertEqual((status["gross"], status["vat"]), (sale.amount_total, sale.amount_tax))
        # the binding's commit was lost: the invoice is found again, bound and booked without a difference
        self.env["shop.sync.binding"]._for_record(self.accounting, sale).unlink()
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(sale.accounting_state, "booked")

    def test_scheduled_pass_closes_a_refund_left_waiting_by_a_cancelled_order(self):
        sale = self.invoiced(8108)
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        self.sim.faults.add("error", status=503, path="/v2/customerinvoicedrafts", method="POST", count=2)
        self.credit(refund)
        sale._action_cancel()
        self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale)
        with trap_jobs() as trap:
            self.accounting._accounting_export_pending()
            trap.assert_jobs_count(1, only=self.accounting._eacc_export_credit_note)
            trap.perform_enqueued_jobs()
        self.assertEqual(refund.accounting_state, "cancelled")

    def convert_in_eaccounting(self, draft_id):
        """A user converts the draft in eAccounting itself: the hub's binding still names the draft."""
        return self.accounting._accounting_client().post(f"customerinvoicedrafts/{draft_id}/convert", {})

    def test_cancelled_order_whose_draft_was_converted_in_eaccounting_gets_a_credit_note(self):
        sale = self.invoiced(8109)
        [draft] = self.sim.drafts.values()
        invoice = self.convert_in_eaccounting(draft["Id"])
        log = self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale)
        self.assertEqual(log.state, "done", log.message)
        [credit] = self.credit_notes()
        self.assertEqual(credit["TotalAmount"], -sale.amount_total, "the booked invoice nets to zero")
        self.assertIn(str(invoice["Id"]), log.message)
        self.assertEqual(sale.accounting_state, "cancelled")

    def test_convert_binds_the_invoice_a_draft_became_in_eaccounting(self):
        sale = self.invoiced(8114)
        [draft] = self.sim.drafts.values()
        invoice = self.convert_in_eaccounting(draft["Id"])
        result = sale.action_eacc_convert()
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        self.assertEqual((sale.accounting_state, sale.accounting_document), ("booked", f"invoice:{invoice['Id']}"))
        self.assertEqual(len(self.sim.invoices), 1)

    def test_cancel_keeps_the_draft_when_a_refunds_credit_note_was_converted(self):
        sale = self.invoiced(8110)
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        self.assertEqual(self.credit(refund).state, "done")
        [credit] = self.credit_notes()
        self.convert_in_eaccounting(credit["Id"])
        log = self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale)
        self.assertEqual(log.state, "error", log.message)
        self.assertIn("converted into invoice", log.message)
        self.assertEqual(len(self.sim.drafts), 1, "the order's draft is kept")
        self.assertEqual(refund.accounting_state, "draft")

    def test_a_credit_note_converted_in_eaccounting_is_found_as_the_invoice(self):
        sale = self.invoiced(8111, currency="EUR", country="DE", email="buyer8111@example.com",
                             lines=[("product", "Mug", "MUG-1", "1", "120", "19")])
        refund = self.refund(sale, "R1", "60", [("product", "MUG-1", "0", "60")])
        self.assertEqual(self.credit(refund).state, "done")
        [credit] = self.credit_notes()
        invoice = self.convert_in_eaccounting(credit["Id"])
        self.env["shop.sync.binding"]._for_record(self.accounting, refund).unlink()  # e.g. a lost commit
        log = self.credit(refund)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(log.external_id, f"invoice:{invoice['Id']}")
        self.assertEqual(refund.accounting_state, "booked")

    def test_reconciliation_reads_the_invoice_a_draft_became_in_eaccounting(self):
        sale = self.invoiced(8112)
        [draft] = self.sim.drafts.values()
        self.convert_in_eaccounting(draft["Id"])
        status = sale._shop_sync_accounting_status()[sale.id]
        self.assertEqual((status.get("gross"), status.get("vat")), (sale.amount_total, sale.amount_tax))


@tagged("post_install", "-at_install", "shop_sync")
class TestDocumentBooks(EAccountingCase):
    """Per destination and line kind, the draft eAccounting computes (per the swagger: the rows'
    codings, the country, the private/business flag, IncludesVat) books the shop's gross and VAT."""

    def test_a_changed_price_setting_is_taken_from_the_deleted_draft_and_the_retry_books(self):
        """'Show prices excl. VAT for private individuals' switched on in eAccounting after the values
        were loaded: the first draft (gross prices read as net) is deleted, the second books."""
        self.sim.company["ShowPricesExclVatPC"] = True
        sale = self.import_order(8321)
        log = self.export(sale)
        self.assertEqual(log.state, "error", log.message)
        self.assertIn("is now on", log.message)
        self.assertFalse(self.sim.drafts)
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        [draft] = self.sim.drafts.values()
        self.assertFalse(draft["IncludesVat"])
        self.assertEqual((draft["TotalAmount"], draft["TotalVatAmount"]), (sale.amount_total, sale.amount_tax))

    def test_every_destination_books_the_shops_gross_vat_and_date(self):
        cases = (  # number, country, currency, company, VAT number, lines, VAT eAccounting computes
            (8301, "SE", "SEK", "", "", [("product", "Mug", "MUG-1", "2", "125", "25"),
                                         ("product", "Cook book", "BOOK-1", "1", "299", "6"),
                                         ("shipping", "PostNord", "", "1", "49", "25"),
                                         ("fee", "Gift wrap", "", "1", "10", "25"),
                                         ("discount", "Spring sale", "", "1", "20", "25")], 74.72),
            (8302, "SE", "SEK", "Lagom Kaffe AB", "SE556677889901", [
                ("product", "Mug", "MUG-1", "3", "33.33", "25"), ("shipping", "PostNord", "", "1", "49", "25"),
                ("discount", "Spring sale", "", "1", "5", "25")], 28.8),
            (8303, "DE", "EUR", "", "", [("product", "Mug", "MUG-1", "1", "11.90", "19"),
                                         ("product", "Cook book", "BOOK-1", "1", "21.40", "7"),
                                         ("shipping", "DHL", "", "1", "4.90", "19"),
                                         ("discount", "Code", "", "1", "1", "19")], 3.92),
            (8304, "DE", "EUR", "Kaffeehaus GmbH", "DE123456788", [
                ("product", "Mug", "MUG-1", "2", "10", "0"), ("shipping", "DHL", "", "1", "5", "0")], 0.0),
            (8305, "NO", "NOK", "", "", [("product", "Mug", "MUG-1", "1", "150", "0"),
                                         ("shipping", "Posten", "", "1", "99", "0")], 0.0),
            (8306, "US", "USD", "", "", [("product", "Mug", "MUG-1", "1", "14", "0")], 0.0),
        )
        for number, country, currency, company, vat, lines, vat_amount in cases:
            with self.subTest(country=country, company=company):
                self.sim.drafts.clear()
                sale = self.import_order(number, lines, country=country, currency=currency, company=company, vat=vat,
                                         email=f"buyer{number}@example.com")
                log = self.export(sale)
                self.assertEqual(log.state, "done", log.message)
                [draft] = self.sim.drafts.values()
                rounding = sum(row["UnitPrice"] * row["Quantity"] for row in draft["Rows"]
                               if row["ArticleNumber"] == "SHOPSYNC-ROUNDING")
                self.assertEqual(draft["InvoiceCurrencyCode"], currency)
                self.assertEqual(draft["TotalAmount"], sale.amount_total)
                self.assertEqual(round(draft["TotalVatAmount"] + rounding, 2), sale.amount_tax)
                self.assertEqual(draft["TotalVatAmount"], vat_amount)
        self.assert_requests_valid()

    def test_the_date_is_the_order_date_in_the_companys_time_zone(self):
        """23:30 UTC on 5 January is 00:30 on 6 January in Stockholm."""
        sale = self.import_order(8311, created_at=datetime(2026, 1, 5, 23, 30, tzinfo=UTC))
        self.assertEqual(self.export(sale).state, "done")
        [draft] = self.sim.drafts.values()
        self.assertEqual(draft["InvoiceDate"][:10], "2026-01-06")
