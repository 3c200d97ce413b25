"""e-conomic on the base's accounting contract: its options are the base's, its jobs are the flows
the base queues (cron, buttons, Resend, Retry), each once however often it is asked for."""

import importlib.util
import os
from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import EconomicCase

ACCOUNTING_FLOWS = {"accounting_pending", "accounting_invoice", "accounting_credit_note", "accounting_cancel",
                    "accounting_stock_pull", "accounting_products_import", "accounting_products_full_import",
                    "accounting_products_export"}
PRODUCT_EXPORT_FLOWS = {"products_export", "product_export"}  # flow 3: shops and accounting systems have it


@tagged("post_install", "-at_install", "shop_sync")
class TestAccountingContract(EconomicCase):
    def jobs(self, method):
        return self.env["queue.job"].search([("model_name", "=", "shop.sync.backend"), ("method_name", "=", method),
                                             ("state", "=", "pending")])

    def test_the_e_conomic_options_are_the_base_options(self):
        self.accounting.economic_invoice_from = date(2026, 1, 1)
        self.accounting.accounting_stock_master = True
        self.assertEqual(self.accounting.accounting_invoice_from, date(2026, 1, 1))
        self.assertTrue(self.accounting.economic_stock_master)
        self.assertEqual(self.shop, self.accounting.shop_backend_ids)
        sale = self.import_order(5001)
        self.assertEqual((sale.accounting_backend_id, sale.accounting_state), (self.accounting, "pending"))
        self.export(sale)
        self.assertEqual((sale.accounting_state, sale.economic_invoice_state), ("draft", "draft"))
        self.assertEqual(sale.accounting_document, f"draft:{sale.economic_draft_number}")

    def test_e_conomic_declares_the_accounting_flows_and_shops_have_none(self):
        keys = {flow.key for flow in self.accounting._shop_sync_flows()}
        self.assertEqual(keys, ACCOUNTING_FLOWS | PRODUCT_EXPORT_FLOWS)
        self.assertFalse({flow.key for flow in self.shop._shop_sync_flows()} & ACCOUNTING_FLOWS)
        methods = {flow.key: flow.method for flow in self.accounting._shop_sync_flows()}
        self.assertEqual(methods["accounting_invoice"], "_economic_export_invoice")

    def test_the_cron_queues_each_switched_on_accounting_flow_once(self):
        self.accounting.write({"accounting_stock_master": True, "accounting_import_products": True})
        Backend = self.env["shop.sync.backend"]
        for _run in range(2):
            self.accounting.next_sync_at = False
            Backend._cron_sync()
        for method, key in (("_economic_export_pending", "accounting_pending"),
                            ("_economic_pull_stock", "accounting_stock_pull"),
                            ("_economic_import_products", "accounting_products_import")):
            with self.subTest(method=method):
                job = self.jobs(method)
                self.assertEqual((len(job), job.identity_key, job.channel),
                                 (1, f"{key}:{self.accounting.id}", "root.shop_sync.accounting"))

    def test_a_double_click_on_the_buttons_or_resend_queues_one_job(self):
        self.accounting.accounting_stock_master = True
        sale = self.import_order(5002)  # the import queues its invoice
        for _click in range(2):
            self.accounting.action_accounting_export_products()
            self.accounting.action_economic_pull_stock()
            self.accounting.action_economic_import_products()
            sale.action_economic_send()
        for method in ("_economic_export_products", "_economic_pull_stock", "_economic_import_products",
                       "_economic_export_invoice"):
            with self.subTest(method=method):
                self.assertEqual(len(self.jobs(method)), 1)
        self.assertEqual(self.jobs("_economic_export_invoice").identity_key,
                         f"accounting_invoice:{self.accounting.id}:{sale.id}")

    def test_retry_of_an_invoice_or_credit_note_log_queues_its_flow(self):
        self.accounting.accounting_invoice_orders = False  # nothing queued by the import itself
        sale = self.import_order(5003)
        self.sim.faults.add("error", path="/invoices/drafts", method="POST", status=400)
        log = self.export(sale)
        self.assertEqual(log.state, "error")
        refund = self.env["shop.sync.refund"].create({"name": "5003-R1", "backend_id": self.shop.id,
                                                      "sale_order_id": sale.id, "external_id": "R1"})
        credit_log = self.env["shop.sync.log"]._record(self.accounting, "credit_note_export", "error", record=refund)
        for _click in range(2):
            (log | credit_log).action_retry()
        invoice, credit = self.jobs("_economic_export_invoice"), self.jobs("_economic_export_credit_note")
        self.assertEqual((len(invoice), len(credit)), (1, 1))
        self.assertEqual(credit.identity_key, f"accounting_credit_note:{self.accounting.id}:{refund.id}")


@tagged("post_install", "-at_install", "shop_sync")
class TestMigrationToTheBase(EconomicCase):
    def test_stored_e_conomic_values_move_to_the_base_fields(self):
        """A database of 19.0.1.0.0 kept the options and states in e-conomic columns: copied once."""
        path = os.path.join(os.path.dirname(__file__), "..", "migrations", "19.0.1.1.0", "post-migrate.py")
        spec = importlib.util.spec_from_file_location("economic_post_migrate", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        sale = self.import_order(5101)
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("ALTER TABLE sale_order ADD COLUMN economic_invoice_state varchar")
        cr.execute("ALTER TABLE shop_sync_backend ADD COLUMN economic_invoice_orders boolean")
        cr.execute("UPDATE sale_order SET economic_invoice_state = 'booked', economic_booked_number = 7, "
                   "accounting_state = NULL, accounting_document = NULL WHERE id = %s", [sale.id])
        cr.execute("UPDATE shop_sync_backend SET economic_invoice_orders = false WHERE id = %s", [self.accounting.id])
        migration.migrate(cr, "19.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual((sale.accounting_state, sale.accounting_document), ("booked", "booked:7"))
        self.assertFalse(self.accounting.accounting_invoice_orders)

    def test_stock_master_flag_moves_to_the_base_lock(self):
        """A database of 19.0.1.1.0 kept e-conomic's lock in ``stock_master_economic``: the product is
        locked to the e-conomic backend mastering its stock, and the base's lock refuses a count."""
        path = os.path.join(os.path.dirname(__file__), "..", "migrations", "19.0.1.2.0", "post-migrate.py")
        spec = importlib.util.spec_from_file_location("economic_stock_lock_post_migrate", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        self.accounting.accounting_stock_master = True
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("ALTER TABLE product_template ADD COLUMN stock_master_economic boolean")
        cr.execute("UPDATE product_template SET stock_master_economic = true WHERE id = %s",
                   [self.mug.product_tmpl_id.id])
        migration.migrate(cr, "19.0.1.1.0")
        self.env.invalidate_all()
        self.assertEqual(self.mug.shop_sync_stock_master_id, self.accounting)
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1)
        with self.assertRaisesRegex(UserError, "mastered in e-conomic"):
            self.env["stock.quant"].with_context(inventory_mode=True).create({
                "product_id": self.mug.id, "location_id": warehouse.lot_stock_id.id, "inventory_quantity": 5})
