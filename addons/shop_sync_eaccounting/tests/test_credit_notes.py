"""Shop refunds as eAccounting credit invoice drafts, exactly once; a cancelled order's draft deleted;
the reconciliation reading the documents back."""

from datetime import UTC, datetime

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shop_sync_base.tests.accounting_common import AccountingConcurrency, AccountingRefunds
from odoo.addons.shop_sync_base.tests.transactions import CommittedTransactions

from .common import EAccountingCase

ORDER = [("product", "Mug", "MUG-1", "2", "125", "25"), ("shipping", "PostNord", "", "1", "49", "25")]


@tagged("post_install", "-at_install", "shop_sync")
class TestCreditNotes(AccountingRefunds, EAccountingCase):
    ORDER = ORDER

    def test_refund_becomes_one_credit_invoice_draft(self):
        sale = self.invoiced(8001)
        invoice = next(iter(self.sim.drafts.values()))
        with trap_jobs() as trap:
            refund = self.refund(sale, "R1", "174", [("product", "MUG-1", "1", "125"), ("shipping", "", "0", "49")])
            trap.assert_jobs_count(1, only=self.accounting._eacc_export_credit_note)
            self.assertEqual(refund.accounting_state, "pending")
            trap.perform_enqueued_jobs()
        self.assertEqual(refund.accounting_state, "draft")
        [credit] = [draft for draft in self.sim.drafts.values() if draft["IsCreditInvoice"]]
        self.assertEqual(credit["OurReference"], f"SHOPSYNC:{self.shop.id}:8001:RR1")
        self.assertEqual((credit["TotalAmount"], credit["TotalVatAmount"]), (-174.0, -34.8))
        self.assertEqual(credit["CustomerId"], invoice["CustomerId"])
        self.assertEqual([row["ArticleNumber"] for row in credit["Rows"]], ["MUG-1", "SHOP-SHIPPING"])
        self.assertFalse(self.sim.invoices, "never converted automatically")
        # sent again (a Retry): found by its reference, not duplicated
        self.env["shop.sync.binding"]._for_record(self.accounting, refund).unlink()
        log = self.env["shop.sync.eaccounting.credit.note.exporter"]._export(self.accounting, refund)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(len(self.sim.drafts), 2)
        self.assert_requests_valid()

    def test_refund_waits_for_the_orders_document(self):
        sale = self.import_order(8002, ORDER)
        refund = self.refund(sale, "R1", "49", [("shipping", "", "0", "49")])
        log = self.env["shop.sync.eaccounting.credit.note.exporter"]._export(self.accounting, refund)
        self.assertEqual((log.state, refund.accounting_state), ("skipped", "pending"))
        self.assertFalse(self.sim.drafts)

    def test_cancelled_order_deletes_its_draft(self):
        sale = self.invoiced(8003)
        self.assertEqual(len(self.sim.drafts), 1)
        log = self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertFalse(self.sim.drafts)
        self.assertEqual(sale.accounting_state, "cancelled")
        self.assertFalse(self.env["shop.sync.binding"]._for_record(self.accounting, sale))

    def test_cancelled_invoice_gets_a_credit_note(self):
        sale = self.invoiced(8004)
        sale.action_eacc_convert()
        log = self.env["shop.sync.eaccounting.credit.note.exporter"]._cancel(self.accounting, sale)
        self.assertEqual(log.state, "done", log.message)
        [credit] = self.sim.drafts.values()
        self.assertTrue(credit["IsCreditInvoice"])
        self.assertEqual(credit["TotalAmount"], -sale.amount_total)
        self.assert_requests_valid()

    def test_credit_note_of_a_cancelled_invoice_is_dated_the_day_the_shop_cancelled(self):
        """The shop cancels at 23:30 UTC on 31 January: 1 February in the company's time zone (Stockholm,
        as Copenhagen), the day of the credit note; the order's date (5 January) would change a VAT
        period that may be declared already."""
        self.env["shop.sync.order.state"].create({"backend_id": self.shop.id, "code": "cancelled",
                                                  "name": "Cancelled", "cancels_order": True})
        sale = self.invoiced(8006)
        sale.action_eacc_convert()
        with trap_jobs() as trap:
            self.import_cancellation(sale, datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
            trap.perform_enqueued_jobs()
        [credit] = [draft for draft in self.sim.drafts.values() if draft["IsCreditInvoice"]]
        self.assertEqual((credit["InvoiceDate"][:10], credit["TotalAmount"]), ("2026-02-01", -sale.amount_total))
        self.assertEqual(sale.shop_cancelled_at, datetime(2026, 1, 31, 23, 30))

    def test_reconciliation_reads_the_documents(self):
        sale = self.invoiced(8005)
        status = sale._shop_sync_accounting_status()[sale.id]
        self.assertEqual((status["gross"], status["vat"], str(status["date"])), (299.0, 59.8, "2026-01-05"))
        self.assertTrue(status["invoice"].startswith("draft:"))


@tagged("post_install", "-at_install", "shop_sync")
class TestRefundAndCancellationJobsAtOnce(CommittedTransactions, AccountingConcurrency, EAccountingCase):
    """A refund's credit note job and the order's cancellation job in two workers' transactions: the
    invoice is credited once (see ``AccountingConcurrency``)."""

    ORDER = ORDER
    CREDIT_NOTE_JOB, CANCEL_JOB = "_eacc_export_credit_note", "_eacc_cancel_document"

    def prepare_accounting(self):
        with self.committed():  # the workers' transactions read the token and the values
            return super().prepare_accounting()

    def finish(self, sale):
        sale.action_eacc_convert()

    def books(self, sale):
        """The gross of the order's invoice and credit notes in eAccounting (drafts and invoices)."""
        stamp = f"SHOPSYNC:{self.shop.id}:{sale.shop_order_number}"
        return round(sum(document["TotalAmount"] for document in [*self.sim.drafts.values(),
                                                                   *self.sim.invoices.values()]
                         if (document.get("OurReference") or "").partition(":R")[0].removesuffix(":CANCEL") == stamp),
                     2)
