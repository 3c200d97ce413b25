from unittest.mock import patch

from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import EconomicCase

FULL_ORDER = [
    ("product", "Mug", "MUG-1", "2", "100", "25"),
    ("shipping", "GLS", "", "1", "39", "25"),
    ("fee", "Gift wrapping", "", "1", "15", "25"),
    ("discount", "SUMMER10", "", "1", "10", "25"),
]


@tagged("post_install", "-at_install", "shop_sync")
class TestInvoiceExport(EconomicCase):
    def test_domestic_order_becomes_one_draft_with_every_line(self):
        sale = self.import_order(1001, FULL_ORDER)
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(len(self.sim.drafts), 1)
        draft = next(iter(self.sim.drafts.values()))
        reference = f"SHOPSYNC:{self.shop.id}:1001"
        self.assertEqual(draft["references"]["other"], reference)
        self.assertEqual([(line["product"]["productNumber"], line["quantity"], line["unitNetPrice"])
                          for line in draft["lines"]],
                         [("MUG-1", 2.0, 80.0), ("SHOP-SHIPPING", 1.0, 31.2), ("SHOP-FEE", 1.0, 12.0),
                          ("SHOP-DISCOUNT", 1.0, -8.0)])
        self.assertEqual((draft["netAmount"], draft["vatAmount"], draft["grossAmount"]), (195.2, 48.8, 244.0))
        self.assertAlmostEqual(sale.amount_total, 244.0)
        self.assertEqual(draft["recipient"]["vatZone"]["vatZoneNumber"], 1)
        self.assertEqual((draft["currency"], draft["date"], draft["layout"]["layoutNumber"]), ("DKK", "2026-01-05", 19))
        self.assertEqual(draft["paymentTerms"]["paymentTermsNumber"], 1)
        customer = self.sim.customers[draft["customer"]["customerNumber"]]
        self.assertEqual((customer["email"], customer["vatZone"]["vatZoneNumber"]), ("anna@example.com", 1))
        self.assertEqual(customer["customerGroup"]["customerGroupNumber"], 1)
        # service lines land in the services group, goods in the goods group
        self.assertEqual(self.sim.products["SHOP-SHIPPING"]["productGroup"]["productGroupNumber"], 2)
        self.assertEqual(self.sim.products["MUG-1"]["productGroup"]["productGroupNumber"], 1)
        self.assertEqual((sale.economic_invoice_state, sale.economic_draft_number),
                         ("draft", draft["draftInvoiceNumber"]))
        binding = self.env["shop.sync.binding"]._for_record(self.accounting, sale)
        self.assertEqual((binding.external_id, binding.external_ref),
                         (f"draft:{draft['draftInvoiceNumber']}", reference))
        self.assertFalse(self.sim.booked, "never booked automatically")

    def test_vat_zone_follows_the_country(self):
        self.vat_row("oss", "de", 19, group=12)
        german = self.import_order(2001, [("product", "Mug", "MUG-1", "1", "119", "19")], country="DE",
                                   currency="EUR", email="max@example.de")
        american = self.import_order(2002, [("product", "Mug", "MUG-1", "1", "50", "0")], country="US",
                                     currency="USD", email="joe@example.com")
        for sale, zone in ((german, 2), (american, 3)):
            log = self.export(sale)
            self.assertEqual(log.state, "done", log.message)
            draft = self.sim.drafts[sale.economic_draft_number]
            self.assertEqual(draft["recipient"]["vatZone"]["vatZoneNumber"], zone)
            self.assertEqual(draft["netAmount"], sale.amount_untaxed)
            self.assertEqual(draft["vatAmount"], sale.amount_tax, "the German private buyer pays German VAT (OSS)")
            self.assertEqual(draft["currency"], sale.currency_id.name)
            customer = self.sim.customers[draft["customer"]["customerNumber"]]
            self.assertEqual(customer["customerGroup"]["customerGroupNumber"], zone)
        self.assertEqual(self.sim.drafts[german.economic_draft_number]["netAmount"], 100.0)
        self.assertEqual(self.sim.drafts[german.economic_draft_number]["vatAmount"], 19.0)

    def test_uneven_unit_prices_are_split_so_the_total_is_exact(self):
        sale = self.import_order(1002, [("product", "Mug", "MUG-1", "3", "33.33", "25")])
        self.assertAlmostEqual(sale.amount_untaxed, 79.99)
        self.assertEqual(self.export(sale).state, "done")
        draft = self.sim.drafts[sale.economic_draft_number]
        self.assertEqual([(line["quantity"], line["unitNetPrice"]) for line in draft["lines"]],
                         [(2.0, 26.66), (1.0, 26.67)])
        self.assertEqual((draft["netAmount"], draft["grossAmount"]), (79.99, 99.99))

    def test_net_lines_add_up_to_the_globally_rounded_untaxed_total(self):
        self.company.tax_calculation_rounding_method = "round_globally"
        self.vat_row("oss", "de", 19, group=12)
        sale = self.import_order(1006, [("product", "Mug", "MUG-1", "1", "104", "19"),
                                        ("product", "Mug", "MUG-1", "1", "111", "19"),
                                        ("shipping", "GLS", "", "1", "39", "19")],
                                 country="DE", currency="EUR", email="max@example.de")
        subtotals = sum(sale.order_line.mapped("price_subtotal"))
        self.assertAlmostEqual(sale.amount_untaxed - subtotals, 0.01, msg="the case: Odoo's totals differ")
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        draft = self.sim.drafts[sale.economic_draft_number]
        self.assertEqual([line["unitNetPrice"] for line in draft["lines"][:3]], [87.39, 93.29, 32.77],
                         "the cent is carried by the largest line")
        # e-conomic's VAT per line (16.60 + 17.73 + 6.23) is a cent above Odoo's global 40.55: a rounding line
        self.assertEqual(draft["lines"][3]["product"]["productNumber"], "SHOPSYNC-ROUNDING")
        self.assertEqual((draft["netAmount"], draft["vatAmount"], draft["grossAmount"]), (213.44, 40.56, 254.0))
        self.assertEqual((sale.amount_untaxed, sale.amount_tax, sale.amount_total), (213.45, 40.55, 254.0))

    def test_export_twice_creates_one_draft(self):
        sale = self.import_order(1003)
        self.assertEqual(self.export(sale).state, "done")
        second = self.export(sale)
        self.assertEqual((second.state, second.reason), ("skipped", "Already in e-conomic"))
        self.assertEqual(len(self.sim.drafts), 1)
        self.assertEqual(len(self.journal("POST", "/invoices/drafts")), 1)

    def test_lost_answer_after_post_is_found_not_duplicated(self):
        sale = self.import_order(1004)
        self.sim.faults.add("drop_after_write", path="/invoices/drafts", method="POST")
        log = self.export(sale)
        self.assertFalse(self.sim.faults.faults, "the answer was dropped")
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(len(self.sim.drafts), 1)
        self.assertEqual(len(self.journal("POST", "/invoices/drafts")), 1, "a lost POST is never repeated blindly")
        self.assertEqual(sale.economic_draft_number, next(iter(self.sim.drafts)))

    def test_crash_after_post_is_recovered_by_the_reference_lookup(self):
        sale = self.import_order(1005)
        Exporter = type(self.env["shop.sync.economic.invoice.exporter"])
        with patch.object(Exporter, "_difference", side_effect=RuntimeError("worker killed")), \
                self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.export(sale)
        self.assertEqual(len(self.sim.drafts), 1, "e-conomic accepted the draft")
        self.assertFalse(self.env["shop.sync.binding"]._for_record(self.accounting, sale), "Odoo rolled back")
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertIn("earlier attempt", log.message)
        self.assertEqual(len(self.sim.drafts), 1)
        self.assertEqual(len(self.journal("POST", "/invoices/drafts")), 1)
        self.assertEqual(sale.economic_invoice_state, "draft")

    def test_server_errors_and_rate_limits_are_retried_without_duplicates(self):
        sale = self.import_order(1006)
        self.sim.faults.add("error", path="/invoices/drafts", method="POST", status=503)
        self.sim.faults.add("rate_limit", path="/invoices/drafts", method="GET", retry_after=3)
        self.sim.faults.add("error", path="/customers", method="POST", status=502)
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(len(self.sim.drafts), 1)
        self.assertEqual(len(self.sim.customers), 1)
        self.assertIn(3, self.sleeps, "Retry-After honoured")

    def test_remote_down_leaves_the_order_waiting_then_it_goes_through(self):
        sale = self.import_order(1007)
        self.sim.faults.add("error", path="/invoices/drafts", method="POST", status=503, count=None)
        log = self.export(sale)
        self.assertEqual((log.state, log.reason), ("error", "Invoice not created (will retry)"))
        self.assertIn("503", log.message)
        self.assertEqual(sale.economic_invoice_state, "pending")
        self.assertFalse(self.sim.drafts)
        self.sim.faults.clear()
        self.assertEqual(self.export(sale).state, "done")
        self.assertEqual(len(self.sim.drafts), 1)

    def test_refused_line_leaves_no_draft_and_names_the_property(self):
        sale = self.import_order(1008, FULL_ORDER[:2])
        self.assertEqual(self.export(sale).state, "done")
        # the shipping product is deleted in e-conomic; the next order's line is refused
        del self.sim.products["SHOP-SHIPPING"]
        other = self.import_order(1009, FULL_ORDER[:2])
        log = self.export(other)
        self.assertEqual(log.state, "error")
        self.assertIn("lines[1].product", log.message)
        self.assertIn("E06000", log.message)
        self.assertEqual(len(self.sim.drafts), 1, "only the first order's draft")
        self.assertEqual(other.economic_invoice_state, "error")

    def test_product_that_cannot_be_created_leaves_no_draft(self):
        self.sim.faults.add("error", path="/products", method="POST", status=400)
        sale = self.import_order(1010)
        log = self.export(sale)
        self.assertEqual(log.state, "error")
        self.assertIn("400", log.message)
        self.assertFalse(self.sim.drafts)
        product_log = self.logs("product_export").filtered(lambda l: l.state == "error")
        self.assertEqual(product_log.external_ref, "MUG-1")

    def test_totals_mismatch_deletes_only_the_draft_of_this_attempt(self):
        other = self.import_order(1011)
        self.assertEqual(self.export(other).state, "done")
        sale = self.import_order(1012)
        Exporter = type(self.env["shop.sync.economic.invoice.exporter"])
        original = Exporter._lines

        def tampered(exporter, *args):
            lines = original(exporter, *args)
            lines[0]["unitNetPrice"] += 1
            return lines

        with patch.object(Exporter, "_lines", tampered):
            log = self.export(sale)
        self.assertEqual((log.state, log.reason), ("error", "Totals differ: draft deleted"))
        self.assertIn("Gross totals differ", log.message)
        self.assertEqual(list(self.sim.drafts), [other.economic_draft_number], "the other order's draft is kept")
        deleted = self.journal("DELETE", f"/invoices/drafts/{other.economic_draft_number + 1}")
        self.assertEqual(len(deleted), 1)
        self.assertEqual(len([e for e in self.sim.journal if e[0] == "DELETE"]), 1)
        self.assertEqual(sale.economic_invoice_state, "error")
        self.assertFalse(self.env["shop.sync.binding"]._for_record(self.accounting, sale))

    def test_booking_only_on_explicit_action(self):
        sale = self.import_order(1013)
        self.export(sale)
        self.assertFalse(self.sim.booked)
        result = sale.action_economic_book()
        self.assertEqual(result["params"]["type"], "success", result)
        self.assertEqual(len(self.sim.booked), 1)
        self.assertFalse(self.sim.drafts)
        booked_number = next(iter(self.sim.booked))
        self.assertEqual((sale.economic_invoice_state, sale.economic_booked_number), ("booked", booked_number))
        self.assertEqual(self.env["shop.sync.binding"]._for_record(self.accounting, sale).external_id,
                         f"booked:{booked_number}")
        self.assertEqual(self.export(sale).state, "skipped")
        self.assertEqual(sale.action_economic_book()["params"]["type"], "danger", "nothing left to book")
        self.assertEqual(len(self.sim.booked), 1)

    def test_lost_booking_answer_is_found_by_reference(self):
        sale = self.import_order(1014)
        self.export(sale)
        self.sim.faults.add("drop_after_write", path="/invoices/booked", method="POST")
        self.assertEqual(sale.action_economic_book()["params"]["type"], "success")
        self.assertFalse(self.sim.faults.faults, "the answer was dropped")
        self.assertEqual(len(self.sim.booked), 1)
        self.assertEqual(sale.economic_invoice_state, "booked")

    def test_invoice_booked_in_economic_after_a_crash_is_adopted(self):
        sale = self.import_order(1015)
        Exporter = type(self.env["shop.sync.economic.invoice.exporter"])
        with patch.object(Exporter, "_bind", side_effect=RuntimeError("crash")), \
                self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.export(sale)
        number = next(iter(self.sim.drafts))
        self.sim.booked[7] = self.sim._book(self.sim.drafts.pop(number), 7)  # booked by hand in e-conomic
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual((sale.economic_invoice_state, sale.economic_booked_number), ("booked", 7))
        self.assertFalse(self.sim.drafts)

    def test_import_hook_queues_the_invoice_job(self):
        with trap_jobs() as trap:
            sale = self.import_order(1016)
            trap.assert_jobs_count(1, only=self.accounting._economic_export_invoice)
            self.assertEqual(sale.economic_invoice_state, "pending")
            trap.perform_enqueued_jobs()
        self.assertEqual(sale.economic_invoice_state, "draft")
        self.assertEqual(len(self.sim.drafts), 1)

    def test_paid_only_option_and_the_pending_pass(self):
        self.shop.accounting_require_paid = True
        self.accounting.economic_invoice_from = "2026-01-01"
        with trap_jobs() as trap:
            unpaid = self.import_order(1017, state="pending")
            trap.assert_jobs_count(0, only=self.accounting._economic_export_invoice)
            self.assertEqual(unpaid.economic_invoice_state, "pending")
            self.assertEqual(self.accounting._economic_export_pending(), 0)
            self.assertEqual(self.export(unpaid).reason, "Not invoiced")
            unpaid.shop_order_state = "paid"  # the shop's next poll saw it paid
            self.assertEqual(self.accounting._economic_export_pending(), 1)
            trap.assert_jobs_count(1, only=self.accounting._economic_export_invoice)
            trap.perform_enqueued_jobs()
        self.assertEqual(unpaid.economic_invoice_state, "draft")
        self.assertEqual(self.accounting._economic_export_pending(), 0)

    def test_an_order_waiting_for_its_confirmation_is_invoiced_after_it(self):
        self.accounting.economic_invoice_from = "2026-01-01"
        self.shop.confirm_orders = True
        with trap_jobs() as trap:
            sale = self.import_order(1020, waiting=True)
            self.assertEqual((sale.state, sale.shop_sync_to_confirm), ("draft", True))
            self.assertEqual(self.accounting._economic_export_pending(), 0, "a quotation is not invoiced")
            self.assertEqual(self.export(sale).reason, "Not invoiced")
            self.shop._confirm_orders()
            self.assertEqual(sale.state, "sale")
            trap.assert_jobs_count(1, only=self.accounting._economic_export_invoice)
            trap.perform_enqueued_jobs()
        self.assertEqual(sale.economic_invoice_state, "draft")
        self.assertEqual(len(self.sim.drafts), 1)

    def test_sync_logs_never_hold_the_credentials(self):
        sale = self.import_order(1018)
        self.sim.faults.add("error", path="/invoices/drafts", method="POST", status=503, count=None)
        self.export(sale)
        self.sim.faults.clear()
        self.export(sale)
        logs = self.env["shop.sync.log"].search([("backend_id", "=", self.accounting.id)])
        self.assertTrue(logs.filtered(lambda l: l.state == "error"))
        text = " ".join(f"{log.message} {log.request_excerpt} {log.response_excerpt}" for log in logs)
        for secret in (self.sim.app_secret_token, self.sim.agreement_grant_token):
            self.assertNotIn(secret, text)

    def test_retry_from_the_log_and_resend_by_a_sales_user(self):
        sale = self.import_order(1019)
        self.sim.faults.add("error", path="/invoices/drafts", method="POST", status=400)
        log = self.export(sale)
        self.assertEqual((log.state, sale.economic_invoice_state), ("error", "error"))
        self.assertFalse(self.sim.drafts)
        with trap_jobs() as trap:
            log.action_retry()
            trap.assert_jobs_count(1, only=self.accounting._economic_export_invoice)
        user = new_test_user(self.env, "seller", groups="sales_team.group_sale_salesman_all_leads,"
                                                        "shop_sync_base.group_shop_sync_user")
        sale.with_user(user).with_context(queue_job__no_delay=True).action_economic_send()
        self.assertEqual(sale.economic_invoice_state, "draft")
        self.assertEqual(len(self.sim.drafts), 1)
