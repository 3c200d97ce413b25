from datetime import date
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.shop_sync_base.tests.common import MemoryShopAdapter, order_payload

from .common import EconomicCase


@tagged("post_install", "-at_install", "shop_sync")
class TestReconciliationWithInvoices(EconomicCase):
    """The reconciliation finds the e-conomic invoices of a shop's orders through the accounting hook."""

    def setUp(self):
        super().setUp()
        self.accounting.economic_invoice_from = date(2026, 1, 1)
        self.adapter = adapter = MemoryShopAdapter({})
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

    def test_gross_vat_and_date_of_the_invoice_are_compared(self):
        sale = self.import_order(5001)
        self.assertEqual(self.export(sale).state, "done")
        self.assertFalse(self.compare().problem_ids.filtered(lambda line: line.order_number == "5001"),
                         "the draft books what the order says")
        draft = self.sim.drafts[sale.economic_draft_number]
        draft.update(grossAmount=draft["grossAmount"] + 0.01, vatAmount=draft["vatAmount"] + 0.01, date="2026-01-06")
        problems = self.compare().problem_ids.filtered(lambda line: line.order_number == "5001")
        self.assertEqual(sorted(problems.mapped("problem")), ["date_mismatch", "total_mismatch", "vat_mismatch"])
        vat = problems.filtered(lambda line: line.problem == "vat_mismatch")
        self.assertIn("VAT 40.01 (rounding line 0.0), Odoo 40.0", vat.reason)
        self.assertIn("dated 2026-01-06; the order's date is 2026-01-05",
                      problems.filtered(lambda line: line.problem == "date_mismatch").reason)

    def test_rounding_line_is_not_a_vat_difference(self):
        """1.02 incl. 25 %: the shop's VAT 0.20, e-conomic's 0.82 x 25 % = 0.21; the rounding line says why."""
        for number in (5001, 5002):
            self.adapter.orders[f"o{number}"] = order_payload(
                number, lines=[{"name": "Mug", "sku": "MUG-1", "qty": "1", "price": "1.02", "rate": "25"}])
        sale = self.import_order(5001, [("product", "Mug", "MUG-1", "1", "1.02", "25")])
        self.assertEqual(self.export(sale).state, "done")
        self.assertEqual(self.sim.drafts[sale.economic_draft_number]["vatAmount"], 0.21)
        wizard = self.compare()
        self.assertFalse(wizard.problem_ids.filtered(lambda line: line.order_number == "5001"))

    def test_unreadable_accounting_is_logged_not_a_crash(self):
        sale = self.import_order(5001)
        self.assertEqual(self.export(sale).state, "done")
        self.sim.faults.add("error", path="/invoices/drafts", method="GET", status=401)
        self.compare()
        self.assertEqual(self.logs("invoice_export")[0].reason, "Reconciliation: invoices not read")
