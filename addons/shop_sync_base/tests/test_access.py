"""Security is per method: every action reachable over RPC checks the group and the backend's
company itself (a hidden button is still callable), before any superuser work."""

from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shop_sync_base.models.shop_sync_partner_matcher import _equals_ignoring_case
from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.tests.common import (
    ESCAPED_DESCRIPTION, MANAGER, PLAIN_DESCRIPTION, USER, AccessAssertions, ShopSyncCase, order_payload)


class AccessCase(AccessAssertions, ShopSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Other Co"})
        cls.user = new_test_user(cls.env, "sync_user_a", groups=USER)
        cls.manager = new_test_user(cls.env, "sync_manager_a", groups=MANAGER)
        cls.other_manager = new_test_user(cls.env, "sync_manager_b", groups=MANAGER,
                                          company_id=cls.other_company.id)


@tagged("post_install", "-at_install", "shop_sync")
class TestActionsCheckGroupAndCompany(AccessCase):
    def test_backend_configuration_and_remote_writes_are_for_managers_of_its_company(self):
        self.adapter.register_webhooks = lambda url: [("orders/updated", "7")]
        self.adapter.webhook_secret = lambda: "chosen-by-the-shop"
        self.adapter.list_webhooks = lambda: []
        methods = ("action_test_connection", "action_load_order_states", "action_register_webhooks",
                   "action_check_webhooks", "action_sync_now", "action_import_all_products")
        with trap_jobs() as trap:
            for method in methods:
                with self.subTest(method=method):
                    self.assertRefused(lambda user, method=method: getattr(self.backend.with_user(user), method)(),
                                       self.user, self.other_manager)
            trap.assert_jobs_count(0)
        self.assertEqual((self.backend.webhook_secret, self.backend.connection_state), ("s3cret", "unknown"))
        self.assertFalse(self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id)]), "nothing was done")
        for method in methods:
            getattr(self.backend.with_user(self.manager), method)()
        self.assertEqual(self.backend.webhook_secret, "chosen-by-the-shop")
        self.assertEqual(self.backend.connection_state, "ok")

    def test_dry_run_and_reconciliation_are_for_users_of_the_backends_company(self):
        self.assertEqual(self.backend.with_user(self.user).action_dry_run()["res_model"], "shop.sync.dry.run")
        self.assertRefused(lambda user: self.backend.with_user(user).action_dry_run(), self.other_manager)
        for model in ("shop.sync.dry.run", "shop.sync.reconciliation"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.other_manager).create({"backend_id": self.backend.id})

    def test_the_dry_run_checks_the_company_before_running_as_superuser(self):
        # a wizard of the other company's manager pointing at this company's backend (e.g. written
        # through RPC): its method refuses before reading the shop
        wizard = self.env["shop.sync.dry.run"].with_user(self.other_manager).sudo().create(
            {"backend_id": self.backend.id}).sudo(False)
        self.adapter.fetch_orders = lambda since: self.fail("the shop was read")
        with self.assertRaises(AccessError):
            wizard.action_run()

    def test_log_retry_and_event_replay_are_for_managers_of_the_company(self):
        log = self.env["shop.sync.log"]._record(self.backend, "order_import", "error", ref="9")
        event = self.env["shop.sync.event"]._store(self.backend, "webhook", "order", "{not json", external_id="o9")
        with trap_jobs() as trap:
            self.assertRefused(lambda user: log.with_user(user).action_retry(), self.user, self.other_manager)
            for method in ("action_replay", "action_process_now"):
                self.assertRefused(lambda user, method=method: getattr(event.with_user(user), method)(),
                                   self.user, self.other_manager)
            trap.assert_jobs_count(0)
        self.assertFalse(log.retried)
        self.assertEqual((event.state, event.log_ids), ("pending", self.env["shop.sync.log"]), "not processed")
        log.with_user(self.manager).action_retry()
        self.assertTrue(log.retried)
        event.with_user(self.manager).action_replay()
        self.assertEqual((event.state, event.message), ("error", "Malformed payload"))

    def test_a_manager_works_only_in_the_companies_of_the_session(self):
        both = new_test_user(self.env, "sync_manager_ab", groups=MANAGER, company_id=self.other_company.id,
                             company_ids=[(6, 0, (self.company | self.other_company).ids)])
        with self.assertRaises(AccessError):  # only the other company is active in this session
            self.backend.with_user(both).with_context(allowed_company_ids=self.other_company.ids).action_sync_now()
        self.backend.with_user(both).with_context(allowed_company_ids=self.company.ids).action_sync_now()

    def test_create_attempts_and_rate_buckets_are_not_read_by_shop_sync_users(self):
        """They name no company (a backend id, e.g. an order reference): only the administrator reads them."""
        self.env["shop.sync.create.attempt"].create({"backend_id": self.backend.id, "key": "SHOPSYNC:1:1001",
                                                     "attempted_at": "2026-01-05 10:00:00"})
        self.env["shop.sync.rate.bucket"].create({"backend_id": self.backend.id, "key": "api", "tokens": 1,
                                                  "stamp": 0})
        for model in ("shop.sync.create.attempt", "shop.sync.rate.bucket"):
            with self.subTest(model=model):
                self.assertRefused(lambda user, model=model: self.env[model].with_user(user).search([]),
                                   self.manager, self.other_manager)


@tagged("post_install", "-at_install", "shop_sync")
class TestWizardsAreOwnAndReadOnly(AccessCase):
    def setUp(self):
        super().setUp()
        for number in (4001, 4003):
            self.adapter.orders[f"o{number}"] = order_payload(number)
        self.backend._poll_orders()
        self.adapter.orders["o4003"] = order_payload(4003, email="anna.jensen@example.com")
        self.adapter.orders["o4004"] = order_payload(4004)  # never received
        self.backend.orders_synced_until = False  # a dry-run reads them all

    def compare(self, user):
        wizard = self.env["shop.sync.reconciliation"].with_user(user).create({
            "backend_id": self.backend.id, "date_from": date(2026, 1, 5), "date_to": date(2026, 1, 5)})
        wizard.action_compare()
        return wizard

    def test_a_user_sees_only_their_own_wizards_and_lines(self):
        wizard = self.compare(self.user)
        colleague = new_test_user(self.env, "sync_user_a2", groups=USER)
        for model in ("shop.sync.reconciliation", "shop.sync.reconciliation.day", "shop.sync.reconciliation.line"):
            with self.subTest(model=model):
                self.assertTrue(self.env[model].with_user(self.user).search([]))
                self.assertFalse(self.env[model].with_user(colleague).search([]))
        with self.assertRaises(AccessError):
            wizard.with_user(colleague).problem_ids.read(["reason"])
        dry_run = self.env["shop.sync.dry.run"].with_user(self.user).create({"backend_id": self.backend.id})
        dry_run.action_run()
        self.assertTrue(dry_run.line_ids)
        self.assertFalse(self.env["shop.sync.dry.run"].with_user(colleague).search([]))
        self.assertFalse(self.env["shop.sync.dry.run.line"].with_user(colleague).search([]))

    def test_lines_cannot_be_written_or_created_by_users(self):
        wizard = self.compare(self.user)
        line = wizard.problem_ids.filtered(lambda line: line.order_number == "4004")
        for user in (self.user, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    line.with_user(user).write({"external_id": "o4001", "reason": "forged"})
                with self.assertRaises(AccessError):
                    self.env["shop.sync.reconciliation.line"].with_user(user).create({
                        "wizard_id": wizard.id, "problem": "missing_odoo", "external_id": "o4001"})
        dry_run = self.env["shop.sync.dry.run"].with_user(self.user).create({"backend_id": self.backend.id})
        dry_run.action_run()
        with self.assertRaises(AccessError):
            dry_run.line_ids[:1].with_user(self.user).write({"new_value": "forged"})

    def test_retry_reads_the_order_from_the_shop_again(self):
        wizard = self.compare(self.manager)
        line = wizard.problem_ids.filtered(lambda line: line.order_number == "4004")
        self.adapter.orders["o4004"] = order_payload(4004, email="changed@example.com")  # after the comparison
        line.action_retry()
        self.assertEqual(line.event_id.source, "manual")
        self.assertEqual(self.sale_for(4004).partner_id.email, "changed@example.com", "the shop's current order")
        self.assertTrue(line.retried)

    def test_retry_of_an_order_the_shop_no_longer_returns_is_refused(self):
        wizard = self.compare(self.manager)
        line = wizard.problem_ids.filtered(lambda line: line.order_number == "4004")
        del self.adapter.orders["o4004"]
        with self.assertRaisesRegex(UserError, "no longer returns order 4004"):
            line.action_retry()
        self.assertFalse(self.sale_for(4004))

    def test_retry_checks_the_group_and_the_company(self):
        wizard = self.compare(self.manager)
        line = wizard.problem_ids.filtered(lambda line: line.order_number == "4004")
        self.assertRefused(lambda user: line.with_user(user).action_retry(), self.user, self.other_manager)
        self.assertFalse(self.sale_for(4004))


@tagged("post_install", "-at_install", "shop_sync")
class TestSafetiesNoClientCanSwitchOff(AccessCase):
    def test_a_dry_run_context_key_does_not_reuse_sale_order_numbers(self):
        salesman = new_test_user(self.env, "salesman", groups="sales_team.group_sale_salesman")
        partner = self.env["res.partner"].create({"name": "Buyer"})
        SaleOrder = self.env["sale.order"].with_user(salesman).with_context(shop_sync_dry_run=True)
        first, second = (SaleOrder.create({"partner_id": partner.id}) for _i in range(2))
        self.assertNotEqual(first.name, second.name)


@tagged("post_install", "-at_install", "shop_sync")
class TestExactPartnerMatching(ShopSyncCase):
    def match(self, email, company="", vat=""):
        order = self.adapter.parse_order(order_payload(1, email=email))
        order.customer.company, order.customer.vat = company, vat
        return self.env["shop.sync.partner.matcher"]._match(self.backend, order)[0]

    def test_shop_values_are_no_like_patterns(self):
        john = self.env["res.partner"].create({"name": "John", "email": "john.doe@x.com", "phone": "+45 1111"})
        self.env["res.partner"].create({"name": "Big", "email": "boss@bigcustomer.com"})
        for email in ("john_doe@x.com", "%@x.com", "john%"):
            with self.subTest(email=email):
                self.assertNotEqual(self.match(email), john)
        self.assertEqual(self.match("%@bigcustomer.com").email, "%@bigcustomer.com", "a new contact")
        self.assertEqual(john.phone, "+45 1111", "the other buyer's partner was not touched")
        self.assertEqual(self.match("JOHN.DOE@X.com"), john, "case is still ignored")

    def test_company_vat_and_name_are_matched_exactly(self):
        acme = self.env["res.partner"].create({"name": "Acme A/S", "is_company": True, "vat": "DK12345674"})
        Matcher = self.env["shop.sync.partner.matcher"]
        domain = [("company_id", "in", (False, self.company.id))]
        for vat, name in (("DK1234567_", "Acme%"), ("DK%", "Acme_A/S"), ("%", "%")):
            with self.subTest(vat=vat, name=name):
                self.assertFalse(Matcher._company(records.Customer(email="b@acme.example", company=name, vat=vat),
                                                  domain))
        for vat, name in (("dk 1234 5674", "Other name"), ("", "ACME a/s")):
            with self.subTest(vat=vat, name=name):
                self.assertEqual(Matcher._company(records.Customer(email="b@acme.example", company=name, vat=vat),
                                                  domain), acme, "the same VAT number or name, ignoring case")

    def test_escaped_terms_keep_backslashes_literal(self):
        Partner = self.env["res.partner"]
        partner = Partner.create({"name": r"Back\slash Co", "is_company": True})
        self.assertEqual(Partner.search([_equals_ignoring_case("name", r"back\slash co")]), partner)
        self.assertFalse(Partner.search([_equals_ignoring_case("name", r"back\\slash co")]))


@tagged("post_install", "-at_install", "shop_sync")
class TestDescriptionHtml(ShopSyncCase):
    def test_plain_text_is_escaped_with_its_line_breaks(self):
        self.assertEqual(records.description_html(PLAIN_DESCRIPTION), ESCAPED_DESCRIPTION)
        self.assertEqual(records.description_html("a\r\nb"), "<p>a<br/>b</p>")
        self.assertEqual(records.description_html(""), "")
