from datetime import date
from unittest.mock import patch

from odoo.addons.shop_sync_base.tests.common import MemoryShopAdapter, order_payload

from .common import EconomicCase


class TestReconciliationWithInvoices(EconomicCase):
    """The reconciliation finds the e-conomic invoices of a shop's orders through the accounting hook."""

    def setUp(self):
        super().setUp()
        self.accounting.economic_invoice_from = date(2026, 1, 1)
        adapter = MemoryShopAdapter({})
        for number in (5001, 5002):
            adapter.orders[f"o{number}"] = order_payload(number)
        Backend = type(self.env["shop.sync.backend"])
        self.startPatcher(patch.object(Backend, "_get_adapter", lambda backend: adapter))

    def compare(self):
        wizard = self.env["shop.sync.reconciliation"].create(
            {"backend_id": self.shop.id, "date_from": date(2026, 1, 5), "date_to": date(2026, 1, 5)})
        wizard.action_compare()
        return wizard

    def test_missing_invoice_is_reported_and_resent(self):
        invoiced = self.import_order(5001)
        self.export(invoiced)
        waiting = self.import_order(5002)
        wizard = self.compare()
        self.assertEqual((wizard.day_ids.odoo_count, wizard.day_ids.invoiced_count), (2, 1))
        [missing] = wizard.problem_ids
        self.assertEqual((missing.problem, missing.order_number), ("missing_accounting", "5002"))
        self.assertIn("Waiting", missing.reason)
        missing.with_context(queue_job__no_delay=True).action_retry()
        self.assertEqual(waiting.economic_invoice_state, "draft")
        self.assertEqual(len(self.sim.drafts), 2)
        again = self.compare()
        self.assertEqual(again.day_ids.invoiced_count, 2)
        self.assertFalse(again.problem_ids)

    def test_orders_not_ready_for_invoicing_are_not_missing(self):
        self.import_order(5001, state="pending")  # not paid: no invoice expected yet
        self.shop.accounting_require_paid = True
        problems = self.compare().problem_ids
        self.assertEqual(problems.mapped("problem"), ["missing_odoo"], "only 5002, never imported")
