from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import EconomicCase


@tagged("post_install", "-at_install", "shop_sync")
class TestConfiguration(EconomicCase):
    def test_accounting_role_and_connection_test(self):
        self.assertEqual(self.accounting.role, "accounting")
        self.assertEqual(self.shop.role, "shop")
        result = self.accounting.action_test_connection()
        self.assertEqual(result["params"]["type"], "success", result)
        self.assertEqual(self.accounting.connection_state, "ok")
        self.assertEqual(self.accounting.connection_message, "Shop Sync ApS (agreement 1234567)")
        self.assertEqual(self.journal("GET", "/self")[0][2], 200)

    def test_wrong_token_fails_the_connection_test(self):
        self.accounting.economic_agreement_grant_token = "revoked"
        self.assertEqual(self.accounting.action_test_connection()["params"]["type"], "danger")
        self.assertEqual(self.accounting.connection_state, "failed")
        self.assertIn("AgreementGrantToken", self.accounting.connection_message)

    def test_values_loaded_and_defaults_filled(self):
        options = self.accounting.economic_option_ids
        counts = {kind: len(options.filtered(lambda o, k=kind: o.option_type == k))
                  for kind in ("layout", "payment_terms", "customer_group", "product_group", "unit", "vat_zone",
                               "account")}
        self.assertEqual(counts, {"layout": 2, "payment_terms": 6, "customer_group": 3, "product_group": 9,
                                  "unit": 3, "vat_zone": 4, "account": 17})
        # VAT as e-conomic decides it: a group's sales account per zone, the account's VAT code and its rate
        self.assertEqual(self.option("product_group", 11).sales_accounts, {"1": 1010, "2": 1051, "3": 1030, "4": 1040})
        self.assertEqual((self.option("account", 1051).vat_code, self.option("account", 1051).vat_rate), ("NL21", 21))
        self.assertEqual(self.option("account", 1051).display_name, "1051 Salg OSS Nederlandene 21% (NL21 21 %)")
        self.assertEqual(self.accounting.economic_rounding_group_id.number, 3, "the group without any VAT code")
        backend = self.accounting
        self.assertEqual(
            [backend.economic_layout_id.number, backend.economic_payment_terms_id.number,
             backend.economic_vat_zone_domestic_id.number, backend.economic_vat_zone_eu_id.number,
             backend.economic_vat_zone_abroad_id.number, backend.economic_customer_group_eu_id.number,
             backend.economic_product_group_id.number, backend.economic_service_group_id.number,
             backend.economic_unit_id.number], [19, 1, 1, 2, 3, 2, 1, 2, 1])
        self.assertEqual(self.option("payment_terms", 2).terms_type, "paidInCash")
        self.assertEqual(self.option("layout", 20).display_name, "20 Standard (engelsk)")
        # a value gone from e-conomic is archived on the next load, chosen defaults are kept
        del self.sim.layouts[20]
        backend.action_economic_load_options()
        self.assertFalse(self.option("layout", 20))
        self.assertEqual(backend.economic_layout_id.number, 19)

    def test_vat_zone_per_country_defaults_and_overrides(self):
        backend = self.accounting
        zone = backend._economic_vat_zone
        self.assertEqual([zone(self.env.ref(f"base.{code}")) for code in ("dk", "de", "se", "us", "no")],
                         [1, 2, 2, 3, 3])
        backend.action_economic_fill_vat_zones()
        rows = backend.economic_vat_zone_mapping_ids
        self.assertEqual(len(rows), 27, "Denmark and the other 26 EU members")
        self.assertEqual(rows.filtered(lambda r: r.country_id.code == "DE").economic_option_id.number, 2)
        # editable per country through the backend form
        with Form(backend) as form:
            with form.economic_vat_zone_mapping_ids.new() as row:
                row.country_id = self.env.ref("base.no")
                row.economic_option_id = self.option("vat_zone", 4)
            form.economic_layout_id = self.option("layout", 20)
        self.assertEqual(zone(self.env.ref("base.no")), 4)
        self.assertEqual(backend.economic_layout_id.number, 20)
        norway = self.import_order(5001, [("product", "Mug", "MUG-1", "1", "50", "0")], country="NO",
                                   email="ola@example.no")
        self.assertEqual(self.export(norway).state, "done")
        draft = self.sim.drafts[norway.economic_draft_number]
        self.assertEqual((draft["recipient"]["vatZone"]["vatZoneNumber"], draft["layout"]["layoutNumber"]), (4, 20))

    def test_payment_method_and_layout_mappings(self):
        self.env["shop.sync.mapping"].create([
            {"backend_id": self.accounting.id, "mapping_type": "payment_method", "external_code": "invoice",
             "economic_option_id": self.option("payment_terms", 4).id},
            {"backend_id": self.accounting.id, "mapping_type": "economic_layout",
             "country_id": self.env.ref("base.de").id, "external_value": "20"},
        ])
        self.vat_row("oss", "de", 19, group=12)
        by_invoice = self.import_order(5002, payment="invoice")
        by_card = self.import_order(5003, payment="card", email="other@example.com")
        german = self.import_order(5004, [("product", "Mug", "MUG-1", "1", "119", "19")], country="DE",
                                   currency="EUR", email="max@example.de", payment="invoice")
        for sale in (by_invoice, by_card, german):
            self.assertEqual(self.export(sale).state, "done")
        terms = {sale: self.sim.drafts[sale.economic_draft_number]["paymentTerms"]["paymentTermsNumber"]
                 for sale in (by_invoice, by_card)}
        self.assertEqual(terms, {by_invoice: 4, by_card: 1})
        self.assertEqual(self.sim.drafts[german.economic_draft_number]["layout"]["layoutNumber"], 20)

    def test_due_date_terms_send_a_due_date(self):
        self.accounting.economic_payment_terms_id = self.option("payment_terms", 6)
        sale = self.import_order(5005)
        self.assertEqual(self.export(sale).state, "done")
        self.assertEqual(self.sim.drafts[sale.economic_draft_number]["dueDate"], "2026-01-05")

    def test_missing_default_is_a_clear_error(self):
        self.accounting.economic_layout_id = False
        log = self.export(self.import_order(5006))
        self.assertEqual(log.state, "error")
        self.assertIn("Set 'Layout' on the e-conomic backend", log.message)
        self.assertFalse(self.sim.drafts)

    def test_credentials_are_for_managers_only(self):
        for name in ("economic_app_secret_token", "economic_agreement_grant_token"):
            self.assertEqual(self.accounting._fields[name].groups, "shop_sync_base.group_shop_sync_manager")
        user = new_test_user(self.env, "syncuser", groups="base.group_user,shop_sync_base.group_shop_sync_user")
        backend = self.accounting.with_user(user)
        self.assertEqual(backend.economic_layout_id.number, 19, "users read the configuration")
        with self.assertRaises(AccessError):
            backend.read(["economic_app_secret_token"])
        with self.assertRaises(AccessError):
            self.env["shop.sync.economic.option"].with_user(user).create(
                {"backend_id": self.accounting.id, "option_type": "unit", "number": 9, "name": "x"})

    def test_sale_order_form_shows_the_economic_state(self):
        sale = self.import_order(5007)
        self.export(sale)
        form = Form(sale)
        self.assertEqual(form.economic_invoice_state, "draft")
        self.assertEqual(form.economic_draft_number, sale.economic_draft_number)
        self.assertTrue(form.economic_backend_id)

    def test_scheduled_sync_queues_the_accounting_jobs(self):
        backend = self.accounting
        with trap_jobs() as trap:
            backend._enqueue_sync()
            trap.assert_jobs_count(1, only=backend._economic_export_pending)
            trap.assert_jobs_count(0, only=backend._economic_pull_stock)
            backend.write({"economic_stock_master": True, "economic_import_products": True})
            backend._enqueue_sync()
            trap.assert_jobs_count(1, only=backend._economic_pull_stock)
            trap.assert_jobs_count(1, only=backend._economic_import_products)
