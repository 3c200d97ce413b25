from datetime import UTC, datetime
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import freeze_time, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.tests.accounting_common import AccountingConcurrency, AccountingRefunds
from odoo.addons.shop_sync_base.tests.common import AFTER_WRITE_FAULTS
from odoo.addons.shop_sync_base.tests.transactions import CommittedTransactions
from odoo.addons.shop_sync_economic.models.shop_sync_economic_invoice_exporter import ROUNDING_PRODUCT

from simulators.seed import configure_economic_vat

from .common import EconomicCase

ORDER = [("product", "Mug", "MUG-1", "2", "100", "25"), ("shipping", "GLS", "", "1", "50", "25")]


@tagged("post_install", "-at_install", "shop_sync")
class TestCreditNotes(AccountingRefunds, EconomicCase):
    """A shop refund becomes one e-conomic credit note (a draft with negative lines) with the VAT
    treatment of the order's invoice; a cancellation deletes our draft or credits a booked invoice."""

    ORDER = ORDER

    def export_credit_note(self, refund):
        return self.env["shop.sync.economic.credit.note.exporter"]._export(self.accounting, refund)

    def test_refund_becomes_one_credit_note_referencing_invoice_and_refund(self):
        sale = self.invoiced(3001)
        invoice = self.sim.drafts[sale.economic_draft_number]
        with trap_jobs() as trap:
            refund = self.refund(sale, "R1", "150", [("product", "MUG-1", "1", "100"), ("shipping", "", "0", "50")])
            trap.assert_jobs_count(1, only=self.accounting._economic_export_credit_note)
            self.assertEqual(refund.economic_credit_note_state, "pending")
            trap.perform_enqueued_jobs()
        self.assertEqual(refund.economic_credit_note_state, "draft")
        credit = self.sim.drafts[refund.economic_credit_note_number]
        self.assertEqual(credit["references"]["other"], f"SHOPSYNC:{self.shop.id}:3001:RR1")
        self.assertIn(f"draft:{sale.economic_draft_number}", credit["notes"]["heading"])
        self.assertIn("refund R1", credit["notes"]["heading"])
        self.assertEqual([(line["product"]["productNumber"], line["quantity"], line["unitNetPrice"])
                          for line in credit["lines"]], [("MUG-1", -1.0, 80.0), ("SHOP-SHIPPING", -1.0, 40.0)])
        self.assertEqual((credit["netAmount"], credit["vatAmount"], credit["grossAmount"]), (-120.0, -30.0, -150.0))
        for key in ("customer", "recipient", "layout", "currency"):
            self.assertEqual(credit[key], invoice[key], key)
        self.assertFalse(self.sim.booked, "credit notes are never booked automatically")
        log = self.logs("credit_note_export")
        self.assertEqual((log.state, log.res_model, log.res_id), ("done", "shop.sync.refund", refund.id))

    def test_credit_note_keeps_the_eu_vat_treatment_of_the_invoice(self):
        configure_economic_vat(self.accounting)
        sale = self.invoiced(3002, [("product", "Mug", "MUG-1", "2", "119", "19")], country="DE", currency="EUR",
                             email="max@example.de")
        invoice = self.sim.drafts[sale.economic_draft_number]
        refund = self.refund(sale, "R1", "119", [("product", "MUG-1", "1", "119")])
        log = self.export_credit_note(refund)
        self.assertEqual(log.state, "done", log.message)
        credit = self.sim.drafts[refund.economic_credit_note_number]
        self.assertEqual(credit["recipient"]["vatZone"], invoice["recipient"]["vatZone"])
        self.assertEqual([line["product"] for line in credit["lines"]], [line["product"] for line in invoice["lines"]])
        self.assertEqual((credit["currency"], credit["netAmount"], credit["vatAmount"], credit["grossAmount"]),
                         ("EUR", -invoice["netAmount"] / 2, -invoice["vatAmount"] / 2, -119.0))

    def test_credit_note_of_an_amount_without_lines_books_its_gross_and_vat_to_the_cent(self):
        """A goodwill refund of 10.07 (no lines) at 25 %: 8.06 net + 2.01 VAT; e-conomic's VAT on 8.06 is
        2.02, so a rounding line of 0.01 makes the gross exact, as on invoices: a good credit note."""
        sale = self.invoiced(3008, [("product", "Mug", "MUG-1", "2", "100", "25")])
        refund = self.refund(sale, "R1", "10.07")
        self.assertEqual((refund.amount_untaxed, refund.amount_tax), (8.06, 2.01))
        log = self.export_credit_note(refund)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(refund.economic_credit_note_state, "draft")
        credit = self.sim.drafts[refund.economic_credit_note_number]
        rounding = sum(line["totalNetAmount"] for line in credit["lines"]
                       if line["product"]["productNumber"] == ROUNDING_PRODUCT)
        self.assertEqual((credit["grossAmount"], round(credit["vatAmount"] + rounding, 2)), (-10.07, -2.01))

    def test_export_twice_creates_one_credit_note(self):
        sale = self.invoiced(3003)
        refund = self.refund(sale, "R1", "20")
        self.assertEqual(self.export_credit_note(refund).state, "done")
        second = self.export_credit_note(refund)
        self.assertEqual((second.state, second.reason), ("skipped", "Already in e-conomic"))
        self.assertEqual(len(self.sim.drafts), 2)
        self.assertEqual(len(self.journal("POST", "/invoices/drafts")), 2)

    def test_lost_answer_after_post_is_found_not_duplicated(self):
        sale = self.invoiced(3004)
        refund = self.refund(sale, "R1", "100", [("product", "MUG-1", "1", "100")])
        self.sim.faults.add("drop_after_write", path="/invoices/drafts", method="POST")
        log = self.export_credit_note(refund)
        self.assertFalse(self.sim.faults.faults, "the answer was dropped")
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(len(self.sim.drafts), 2)
        self.assertEqual(refund.economic_credit_note_state, "draft")

    def test_post_applied_then_answered_5xx_is_found_not_duplicated(self):
        sale = self.invoiced(3007)
        refund = self.refund(sale, "R1", "100", [("product", "MUG-1", "1", "100")])
        self.sim.faults.add("error_after_write", path="/invoices/drafts", method="POST", status=503)
        log = self.export_credit_note(refund)
        self.assertFalse(self.sim.faults.faults, "e-conomic applied the POST, then answered 503")
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(len(self.sim.drafts), 2)
        self.assertEqual(len(self.journal("POST", "/invoices/drafts")), 2, "the credit note is never POSTed twice")
        self.assertEqual(refund.economic_credit_note_state, "draft")

    def test_crash_after_post_is_recovered_by_the_reference_lookup(self):
        sale = self.invoiced(3005)
        refund = self.refund(sale, "R1", "100", [("product", "MUG-1", "1", "100")])
        Exporter = type(self.env["shop.sync.economic.credit.note.exporter"])
        with patch.object(Exporter, "_bind", side_effect=RuntimeError("worker killed")), \
                self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.export_credit_note(refund)
        self.assertEqual(len(self.sim.drafts), 2, "e-conomic accepted the credit note")
        log = self.export_credit_note(refund)
        self.assertEqual(log.state, "done", log.message)
        self.assertIn("earlier attempt", log.message)
        self.assertEqual(len(self.sim.drafts), 2)
        self.assertEqual(len(self.journal("POST", "/invoices/drafts")), 2)

    def test_credit_note_is_dated_the_refunds_day_in_the_companys_time_zone(self):
        # the VAT given back belongs to the refund's period, not to the order's (maybe declared already):
        # 23:30 UTC on 31 January is 1 February in Copenhagen
        sale = self.invoiced(3007)
        self.assertEqual(self.sim.drafts[sale.economic_draft_number]["date"], "2026-01-05")
        refund = self.refund(sale, "R1", "50", created_at=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
        self.assertEqual(self.export_credit_note(refund).state, "done")
        self.assertEqual(self.sim.drafts[refund.economic_credit_note_number]["date"], "2026-02-01")

    def test_refund_before_the_invoice_is_queued_with_the_invoice(self):
        sale = self.import_order(3006, ORDER)
        refund = self.refund(sale, "R1", "50")
        log = self.export_credit_note(refund)
        self.assertEqual((log.state, log.reason), ("skipped", "Waiting for the invoice"))
        self.assertFalse(self.sim.drafts)
        with trap_jobs() as trap:
            self.export(sale)
            trap.assert_jobs_count(1, only=self.accounting._economic_export_credit_note)
            trap.perform_enqueued_jobs()
        self.assertEqual(refund.economic_credit_note_state, "draft")
        self.assertEqual(self.sim.drafts[refund.economic_credit_note_number]["grossAmount"], -50.0)


@tagged("post_install", "-at_install", "shop_sync")
class TestCancellation(EconomicCase):
    def setUp(self):
        super().setUp()
        self.env["shop.sync.order.state"].create({"backend_id": self.shop.id, "code": "cancelled",
                                                  "name": "Cancelled", "cancels_order": True})

    def cancel(self, sale):
        return self.env["shop.sync.economic.credit.note.exporter"]._cancel(self.accounting, sale)

    def documents(self, sale):
        """The order's invoice and credit notes in e-conomic (drafts and booked)."""
        stamp = f"SHOPSYNC:{self.shop.id}:{sale.shop_order_number}"
        return [document for document in [*self.sim.drafts.values(), *self.sim.booked.values()]
                if (document.get("references") or {}).get("other", "").partition(":R")[0].removesuffix(
                    ":CANCEL") == stamp]

    def books(self, sale):
        """The order's gross in e-conomic: its invoice plus its credit notes (negative)."""
        return round(sum(document["grossAmount"] for document in self.documents(sale)), 2)

    def booked_vat(self, sale):
        """The order's VAT in e-conomic, rounding lines (without VAT, the shop's VAT cents) included."""
        return round(sum(document["vatAmount"] + sum(
            line["totalNetAmount"] for line in document.get("lines") or []
            if line["product"]["productNumber"] == ROUNDING_PRODUCT) for document in self.documents(sale)), 2)

    def test_cancellation_through_the_order_import_deletes_our_drafts(self):
        sale = self.import_order(3101, ORDER)
        self.export(sale)
        refund = TestCreditNotes.refund(self, sale, "R1", "20")
        TestCreditNotes.export_credit_note(self, refund)
        self.assertEqual(len(self.sim.drafts), 2)
        order = self.env["shop.sync.order.importer"]
        with trap_jobs() as trap:
            shop_order = records.Order(
                external_id="o3101", number="3101", state="cancelled", created_at=datetime(2026, 1, 5, tzinfo=UTC),
                currency="DKK", total=Decimal(250), customer=None, billing=None, shipping=None)
            log = order._import(self.shop, shop_order)
            self.assertEqual((log.state, log.reason), ("done", "Order cancelled"))
            trap.assert_jobs_count(1, only=self.accounting._economic_cancel_invoice)
            trap.perform_enqueued_jobs()
        self.assertEqual(sale.state, "cancel")
        self.assertFalse(self.sim.drafts, "the invoice draft and the credit note draft are deleted")
        self.assertEqual((sale.economic_invoice_state, refund.economic_credit_note_state), ("cancelled", "cancelled"))
        self.assertFalse(self.env["shop.sync.binding"]._for_record(self.accounting, sale))

    def test_order_cancelled_in_odoo_first_is_reversed_when_the_shop_cancels_it(self):
        # a user cancels the sale order in Odoo (the README asks to cancel in the shop), then the shop cancels it:
        # the draft must go all the same, or the books keep a sale nobody made
        sale = self.import_order(3105, ORDER)
        self.export(sale)
        self.assertEqual(len(self.sim.drafts), 1)
        sale.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(sale.state, "cancel")
        with trap_jobs() as trap:
            shop_order = records.Order(
                external_id="o3105", number="3105", state="cancelled", created_at=datetime(2026, 1, 5, tzinfo=UTC),
                currency="DKK", total=Decimal(250), customer=None, billing=None, shipping=None)
            log = self.env["shop.sync.order.importer"]._import(self.shop, shop_order)
            self.assertEqual((log.state, log.reason), ("done", "Order cancelled"), log.message)
            self.assertIn("cancelled in Odoo already", log.message)
            trap.assert_jobs_count(1, only=self.accounting._economic_cancel_invoice)
            trap.perform_enqueued_jobs()
        self.assertFalse(self.sim.drafts, "the invoice draft is deleted")
        self.assertEqual(sale.economic_invoice_state, "cancelled")

    def test_a_draft_not_created_by_us_is_never_deleted(self):
        sale = self.import_order(3102, ORDER)
        self.export(sale)
        self.sim.drafts[sale.economic_draft_number]["references"]["other"] = "someone else's"
        log = self.cancel(sale)
        self.assertEqual((log.state, log.reason), ("error", "Cancellation not applied"))
        self.assertEqual(len(self.sim.drafts), 1)

    def test_cancelled_booked_invoice_gets_a_credit_note_for_what_is_left(self):
        sale = self.import_order(3103, ORDER)
        self.export(sale)
        sale.action_economic_book()
        refund = TestCreditNotes.refund(self, sale, "R1", "50", [("shipping", "", "0", "50")])
        TestCreditNotes.export_credit_note(self, refund)
        sale._action_cancel()
        log = self.cancel(sale)
        self.assertEqual(log.state, "done", log.message)
        credit = self.sim.drafts[sale.economic_cancel_credit_note_number]
        self.assertEqual(credit["references"]["other"], f"SHOPSYNC:{self.shop.id}:3103:CANCEL")
        self.assertEqual(credit["grossAmount"], -200.0, "250 invoiced, 50 credited by the refund already")
        booked = next(iter(self.sim.booked.values()))
        credited = sum(draft["grossAmount"] for draft in self.sim.drafts.values())
        self.assertEqual(booked["grossAmount"] + credited, 0.0, "the order nets to zero")
        self.assertEqual(self.cancel(sale).state, "skipped")
        self.assertEqual(len(self.sim.drafts), 2)

    def test_credit_note_of_a_cancelled_booked_invoice_is_dated_the_day_the_shop_cancelled(self):
        """The shop cancels at 23:30 UTC on 31 January: 1 February in Denmark, the day of the credit note
        (the order's date, 5 January, would change a VAT period that may be declared already).  A shop
        that does not say when: the day Odoo learnt it, not the day the job ran."""
        for number, cancelled_at, learnt, day in (
                (3132, datetime(2026, 1, 31, 23, 30, tzinfo=UTC), "2026-03-05 12:00:00", "2026-02-01"),
                (3133, None, "2026-03-01 23:30:00", "2026-03-02")):
            with self.subTest(cancelled_at=cancelled_at):
                sale = self.import_order(number, ORDER)
                self.export(sale)
                sale.action_economic_book()
                with trap_jobs() as trap:
                    with freeze_time(learnt):
                        AccountingRefunds.import_cancellation(self, sale, cancelled_at)
                    trap.perform_enqueued_jobs()
                credit = self.sim.drafts[sale.economic_cancel_credit_note_number]
                self.assertEqual((credit["date"], credit["grossAmount"]), (day, -250.0))

    def test_credit_note_of_a_cancelled_booked_invoice_is_created_once_under_faults(self):
        for number, fault in enumerate(AFTER_WRITE_FAULTS, start=3111):
            with self.subTest(fault=fault["kind"]):
                sale = self.import_order(number, ORDER)
                self.export(sale)
                sale.action_economic_book()
                sale._action_cancel()
                drafts_before = set(self.sim.drafts)
                self.sim.journal.clear()
                self.sim.faults.add(**fault, path="/invoices/drafts", method="POST")
                log = self.cancel(sale)
                self.assertFalse(self.sim.faults.faults, "the fault was applied")
                self.assertEqual(log.state, "done", log.message)
                [credit_number] = set(self.sim.drafts) - drafts_before
                self.assertEqual(sale.economic_cancel_credit_note_number, credit_number)
                self.assertEqual(self.sim.drafts[credit_number]["references"]["other"],
                                 f"SHOPSYNC:{self.shop.id}:{number}:CANCEL")
                self.assertEqual(len(self.journal("POST", "/invoices/drafts")), 1, "looked up, not sent again")
                self.assertEqual(self.cancel(sale).state, "skipped")

    def test_books_keep_what_the_buyer_paid_less_what_the_shop_gave_back(self):
        """Invariant, after every step: invoice gross + credit notes' gross == paid - refunded, and
        their VAT == the order's tax - the refunds' tax, to the cent.  Refunds of a line less a
        restocking fee, of the shipping, of a goodwill amount; then the shop cancels the order (booked
        invoice: credited for the rest; draft: deleted with its credit notes)."""
        for number, booked in ((3120, True), (3121, False)):
            with self.subTest(booked=booked):
                sale = self.import_order(number, ORDER)
                self.export(sale)
                if booked:
                    sale.action_economic_book()
                refunded = tax = 0.0
                for refund_id, amount, lines in ((f"A{number}", "90", [("product", "MUG-1", "1", "100")]),
                                                 (f"B{number}", "50", [("shipping", "", "0", "50")]),
                                                 (f"C{number}", "10.07", [])):
                    refund = TestCreditNotes.refund(self, sale, refund_id, amount, lines)
                    log = TestCreditNotes.export_credit_note(self, refund)
                    self.assertEqual(log.state, "done", log.message)
                    refunded, tax = refunded + refund.amount_total, tax + refund.amount_tax
                    self.assertEqual((self.books(sale), self.booked_vat(sale)),
                                     (round(250 - refunded, 2), round(50 - tax, 2)), refund_id)
                self.assertEqual((refunded, round(tax, 2)), (150.07, 30.01))
                sale._action_cancel()
                log = self.cancel(sale)
                self.assertEqual(log.state, "done", log.message)
                self.assertEqual((self.books(sale), self.booked_vat(sale)), (0.0, 0.0), "the order nets to zero")
                self.assertEqual(bool(self.documents(sale)), booked, "drafts are deleted, a booked invoice credited")

    def test_credit_notes_book_the_vat_the_shop_gave_back_to_the_cent(self):
        """3 mugs at 99.01 incl. 25 % (59.41 VAT), refunded 2 then 1 with the tax the shop states
        (39.60, then the 19.81 left): split in the proportion of the order line they were 39.61 and
        19.80.  Each credit note's VAT (rounding line included) is the shop's, created once under a
        fault that applies its POST and then fails, and after every refund the books keep what the
        buyer paid less what the shop gave back, VAT included."""
        sale = self.import_order(3122, [("product", "Mug", "MUG-1", "3", "99.01", "25")])
        self.assertEqual(self.export(sale).state, "done")
        self.assertEqual(sale.amount_tax, 59.41)
        refunded = tax = 0.0
        for (refund_id, amount, lines), fault in zip((("T1", "198.02", [("product", "MUG-1", "2", "198.02", "39.60")]),
                                                      ("T2", "99.01", [("product", "MUG-1", "1", "99.01", "19.81")])),
                                                     AFTER_WRITE_FAULTS, strict=True):
            refund = TestCreditNotes.refund(self, sale, refund_id, amount, lines)
            self.assertEqual(refund.amount_tax, float(lines[0][4]))
            self.sim.faults.add(**fault, path="/invoices/drafts", method="POST")
            log = TestCreditNotes.export_credit_note(self, refund)
            self.assertFalse(self.sim.faults.faults, "the fault was applied")
            self.assertEqual(log.state, "done", log.message)
            credit = self.sim.drafts[refund.economic_credit_note_number]
            rounding = sum(line["totalNetAmount"] for line in credit["lines"]
                           if line["product"]["productNumber"] == ROUNDING_PRODUCT)
            self.assertEqual((credit["grossAmount"], round(credit["vatAmount"] + rounding, 2)),
                             (-float(amount), -float(lines[0][4])))
            refunded, tax = refunded + refund.amount_total, tax + refund.amount_tax
            self.assertEqual((self.books(sale), self.booked_vat(sale)),
                             (round(297.03 - refunded, 2), round(59.41 - tax, 2)), refund_id)
        self.assertEqual((self.books(sale), self.booked_vat(sale)), (0.0, 0.0), "all given back, VAT included")
        self.assertEqual(len(self.documents(sale)), 3, "one invoice, one credit note per refund")

    def test_refund_without_its_credit_note_yet_is_reversed_with_the_cancelled_order(self):
        """The refund's credit note job had not run (or waits for a retry) when the shop cancelled the
        order: the cancellation credits the whole booked invoice and the refund's job, run late, adds
        nothing, so the order nets to zero instead of being credited 300 for 250 invoiced."""
        sale = self.import_order(3105, ORDER)
        self.export(sale)
        sale.action_economic_book()
        refund = TestCreditNotes.refund(self, sale, "R1", "50", [("shipping", "", "0", "50")])
        self.assertEqual(refund.economic_credit_note_state, "pending")
        sale._action_cancel()
        log = self.cancel(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.sim.drafts[sale.economic_cancel_credit_note_number]["grossAmount"], -250.0)
        late = TestCreditNotes.export_credit_note(self, refund)
        self.assertEqual((late.state, late.reason), ("skipped", "Order cancelled"))
        self.assertEqual(refund.economic_credit_note_state, "cancelled")
        self.assertEqual(self.accounting._accounting_export_pending(), 0)
        self.assertEqual(self.books(sale), 0.0, "invoiced 250 - credited 250 == paid 250 - given back 250")

    def test_credit_note_an_earlier_attempt_created_is_reversed_with_the_cancelled_order(self):
        """A refund's credit note was created in e-conomic but its answer or commit was lost: the
        cancellation finds it by its reference, then deletes it with the draft invoice or subtracts
        it from the credit of the booked invoice."""
        Exporter = type(self.env["shop.sync.economic.credit.note.exporter"])
        for number, booked in ((3106, True), (3107, False)):
            with self.subTest(booked=booked):
                sale = self.import_order(number, ORDER)
                self.export(sale)
                if booked:
                    sale.action_economic_book()
                refund = TestCreditNotes.refund(self, sale, f"R{number}", "50", [("shipping", "", "0", "50")])
                with patch.object(Exporter, "_bind", side_effect=RuntimeError("worker killed")), \
                        self.assertRaises(RuntimeError), self.env.cr.savepoint():
                    TestCreditNotes.export_credit_note(self, refund)
                self.assertEqual(self.books(sale), 200.0, "e-conomic has the credit note, Odoo does not know it")
                sale._action_cancel()
                log = self.cancel(sale)
                self.assertEqual(log.state, "done", log.message)
                self.assertEqual(self.books(sale), 0.0)
                self.assertEqual(TestCreditNotes.export_credit_note(self, refund).state, "skipped")
                self.assertEqual(self.books(sale), 0.0)

    def test_refund_of_an_order_cancelled_in_odoo_alone_is_credited_against_its_invoice(self):
        """Cancelled in Odoo alone, the order keeps its invoice (the shop holds the money): the shop's
        later refund gets its credit note; never invoiced, the refund has nothing to credit."""
        sale = self.import_order(3108, ORDER)
        self.export(sale)
        sale.action_economic_book()
        sale._action_cancel()
        refund = TestCreditNotes.refund(self, sale, "R3108", "50", [("shipping", "", "0", "50")])
        log = TestCreditNotes.export_credit_note(self, refund)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.books(sale), 200.0, "paid 250 - refunded 50")
        never_invoiced = self.import_order(3109, ORDER)
        never_invoiced._action_cancel()
        refund = TestCreditNotes.refund(self, never_invoiced, "R3109", "50", [("shipping", "", "0", "50")])
        log = TestCreditNotes.export_credit_note(self, refund)
        self.assertEqual((log.state, log.reason, refund.economic_credit_note_state),
                         ("skipped", "Order cancelled", "cancelled"))
        self.assertEqual(self.books(never_invoiced), 0.0)

    def test_order_cancelled_before_its_invoice_needs_nothing_in_economic(self):
        sale = self.import_order(3104, ORDER)
        sale._action_cancel()
        log = self.cancel(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(sale.economic_invoice_state, "cancelled")
        self.assertFalse(self.sim.drafts)


@tagged("post_install", "-at_install", "shop_sync")
class TestRefundAndCancellationJobsAtOnce(CommittedTransactions, AccountingConcurrency, EconomicCase):
    """A refund's credit note job and the order's cancellation job in two workers' transactions: the
    booked invoice is credited once (see ``AccountingConcurrency``)."""

    ORDER = ORDER
    CREDIT_NOTE_JOB, CANCEL_JOB = "_economic_export_credit_note", "_economic_cancel_invoice"
    documents, books = TestCancellation.documents, TestCancellation.books

    def finish(self, sale):
        sale.action_economic_book()
