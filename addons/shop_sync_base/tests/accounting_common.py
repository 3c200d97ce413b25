"""Test helpers shared by the accounting connectors' tests (their cases provide ``import_order``
and ``export``)."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from unittest.mock import patch

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.shop_sync_base.services import records


class AccountingRefunds:
    """Mixin of a connector's test case: refunds recorded through the hub's refund pipeline, on
    orders whose document was exported first.  ``ORDER``: the lines of ``invoiced``'s order."""

    ORDER = ()

    def refund(self, sale, refund_id, amount, lines=(), created_at=datetime(2026, 1, 8, 9, 0, tzinfo=UTC)):
        """Record a shop refund on ``sale`` through the hub's refund pipeline; returns the refund.
        ``lines``: ``(kind, sku, quantity, gross[, the shop's tax])``."""
        order = records.Order(
            external_id=f"o{sale.shop_order_number}", number=sale.shop_order_number, state="paid",
            created_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC), currency=sale.currency_id.name,
            total=Decimal(str(sale.amount_total)), customer=None, billing=None, shipping=None,
            refunds=[records.Refund(external_id=refund_id,
                                    created_at=created_at, amount=Decimal(amount),
                                    lines=[records.RefundLine(kind=kind, sku=sku, quantity=Decimal(qty),
                                                              amount=Decimal(gross),
                                                              tax=Decimal(tax[0]) if tax else None)
                                           for kind, sku, qty, gross, *tax in lines])])
        log, = self.env["shop.sync.refund.importer"]._import_refunds(self.shop, order, sale)
        self.assertEqual(log.state, "done", log.message)
        return sale.shop_refund_ids.filtered(lambda r: r.external_id == refund_id)

    def import_cancellation(self, sale, cancelled_at=None):
        """The shop's cancellation of ``sale`` (at ``cancelled_at``, aware; None: the shop does not say)
        through the hub's order importer, into the state ``cancelled`` (one marked Cancels)."""
        log = self.env["shop.sync.order.importer"]._import(self.shop, records.Order(
            external_id=f"o{sale.shop_order_number}", number=sale.shop_order_number, state="cancelled",
            created_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC), currency=sale.currency_id.name,
            total=Decimal(str(sale.amount_total)), customer=None, billing=None, shipping=None,
            cancelled_at=cancelled_at))
        self.assertEqual((log.state, log.reason), ("done", "Order cancelled"), log.message)
        return log

    def invoiced(self, number, lines=None, **kwargs):
        """An imported order (``ORDER`` unless ``lines``) whose document is exported."""
        sale = self.import_order(number, self.ORDER if lines is None else lines, **kwargs)
        self.assertEqual(self.export(sale).state, "done")
        return sale


class AccountingConcurrency(AccountingRefunds):
    """Mixin of a connector's ``CommittedTransactions`` case: a refund's credit note job and the order's
    cancellation job run at the same moment, in two workers' transactions.  The connector's case gives
    the job methods of its backend (``CREDIT_NOTE_JOB``, ``CANCEL_JOB``), ``finish(sale)`` (its document
    made an invoice, which a cancellation credits) and ``books(sale)`` (the gross of the order's
    documents in the accounting system: invoice plus credit notes)."""

    CREDIT_NOTE_JOB = CANCEL_JOB = None
    REFUND = ("R1", "50")  # a refund of a part of the order, as (id, amount)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["shop.sync.order.state"].create({"backend_id": cls.shop.id, "code": "cancelled",
                                                 "name": "Cancelled", "cancels_order": True})

    def refunded_invoice(self, number):
        """An order invoiced (an invoice, not a draft) and partly refunded, its credit note job queued
        but not run, all committed; returns (sale, refund)."""
        with self.committed():
            sale = self.invoiced(number)
            self.finish(sale)
            refund = self.refund(sale, *self.REFUND)
            self.assertEqual(refund.accounting_state, "pending")
        return sale, refund

    def shop_cancels(self, sale):
        """The shop's cancellation imported and committed (its cancellation job queued, not run)."""
        with self.committed(sale) as (sale,):
            self.import_cancellation(sale)

    def now(self, record):
        """``record`` as committed now (on a transaction of its own)."""
        return record.with_env(self.worker())

    def run_job(self, env, method, record):
        """Run the job ``method`` of the accounting backend on ``record`` in the worker ``env``, as queue_job
        does (``job_uuid`` in the context)."""
        job = SimpleNamespace(retry=0, max_retries=5)  # the queue.job running
        with patch.object(type(env["shop.sync.event"]), "_current_job", lambda event: job):
            backend = self.accounting.with_env(env).with_context(job_uuid="race")
            return getattr(backend, method)(record.with_env(env))

    def test_refund_job_reading_before_the_cancellation_does_not_credit_the_refund_again(self):
        """The refund's job started (its snapshot taken) before the shop's cancellation was imported, and
        acts after the cancellation job credited the whole order: it would credit the refund a second
        time; it is retried instead, and then finds the refund reversed with the order."""
        sale, refund = self.refunded_invoice(9301)
        invoiced = self.books(self.now(sale))
        refund_job = self.worker()
        self.shop_cancels(sale)
        cancel_job = self.worker()
        self.run_job(cancel_job, self.CANCEL_JOB, sale)
        cancel_job.cr.commit()
        self.assertEqual(self.books(self.now(sale)), 0.0, "the cancellation credited what was left: all of it")
        with self.assertRaises(RetryableJobError, msg="acting on its snapshot, it credits the refund again") as caught:
            self.run_job(refund_job, self.CREDIT_NOTE_JOB, refund)
        self.assertTrue(caught.exception.ignore_retry, "reading again uses up none of the job's tries")
        refund_job.cr.rollback()  # queue_job's retry: a new transaction
        self.run_job(refund_job, self.CREDIT_NOTE_JOB, refund)
        self.assertEqual(refund.with_env(refund_job).accounting_state, "cancelled")
        self.assertEqual((invoiced, self.books(self.now(sale))), (self.now(sale).amount_total, 0.0),
                         "the order nets to zero")

    def test_refund_job_meeting_the_cancellation_at_work_retries_without_waiting(self):
        """The cancellation job holds the order (it credited it, not committed yet) when the refund's job
        reaches it: the refund's job is postponed at once (no worker waits for another's remote calls),
        then finds the refund reversed with the order."""
        sale, refund = self.refunded_invoice(9302)
        self.shop_cancels(sale)
        refund_job, cancel_job = self.worker(), self.worker()
        self.run_job(cancel_job, self.CANCEL_JOB, sale)  # not committed yet: it holds the order
        with self.assertRaises(RetryableJobError):
            self.run_job(refund_job, self.CREDIT_NOTE_JOB, refund)
        refund_job.cr.rollback()
        cancel_job.cr.commit()
        self.run_job(refund_job, self.CREDIT_NOTE_JOB, refund)
        self.assertEqual(refund.with_env(refund_job).accounting_state, "cancelled")
        self.assertEqual(self.books(self.now(sale)), 0.0, "the order nets to zero")
