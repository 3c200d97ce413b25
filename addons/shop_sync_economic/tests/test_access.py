"""The e-conomic buttons check the group and the company themselves (they are callable over RPC
whether the form shows them or not), and the stock master lock cannot be passed from a client."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shop_sync_base.tests.common import MANAGER, USER, AccessAssertions

from .common import EconomicCase

SALES = "sales_team.group_sale_salesman_all_leads"


@tagged("post_install", "-at_install", "shop_sync")
class TestEconomicActionsCheckGroupAndCompany(AccessAssertions, EconomicCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        other_company = cls.env["res.company"].create({"name": "Other Co"})
        cls.user = new_test_user(cls.env, "eco_user", groups=f"{USER},{SALES}")
        cls.manager = new_test_user(cls.env, "eco_manager", groups=f"{MANAGER},{SALES}")
        cls.other_manager = new_test_user(cls.env, "eco_manager_b", groups=f"{MANAGER},{SALES}",
                                          company_id=other_company.id)

    def test_backend_buttons_are_for_managers_of_its_company(self):
        self.accounting.economic_stock_master = True
        methods = ("action_economic_load_options", "action_economic_fill_vat_zones",
                   "action_economic_export_products", "action_economic_pull_stock",
                   "action_economic_import_products")
        with trap_jobs() as trap:
            for method in methods:
                with self.subTest(method=method):
                    self.assertRefused(lambda user, method=method: getattr(self.accounting.with_user(user), method)(),
                                       self.user, self.other_manager)
            trap.assert_jobs_count(0)
            self.assertFalse(self.accounting.economic_vat_zone_mapping_ids)
            for method in methods:
                getattr(self.accounting.with_user(self.manager), method)()
            trap.assert_jobs_count(1, only=self.accounting._economic_export_products)
            trap.assert_jobs_count(1, only=self.accounting._economic_pull_stock)
            trap.assert_jobs_count(1, only=self.accounting._economic_import_products)
        self.assertTrue(self.accounting.economic_vat_zone_mapping_ids)

    def test_stock_pull_needs_the_stock_master_option(self):
        self.assertFalse(self.accounting.economic_stock_master)
        with trap_jobs() as trap, self.assertRaisesRegex(UserError, "not the stock master"):
            self.accounting.with_user(self.manager).action_economic_pull_stock()
        trap.assert_jobs_count(0)
        self.assertEqual(self.accounting._economic_pull_stock(), 0, "a job queued before the switch pulls nothing")
        self.assertEqual(self.logs("stock_import").reason, "Not the stock master")
        self.assertFalse(self.mug.shop_sync_stock_master_id)

    def test_booking_is_for_managers_sending_for_users_of_the_company(self):
        sale = self.import_order(2001)
        self.export(sale)
        self.assertRefused(lambda user: sale.with_user(user).action_economic_book(), self.user, self.other_manager)
        self.assertRefused(lambda user: sale.with_user(user).action_economic_send(), self.other_manager)
        self.assertFalse(self.sim.booked)
        result = sale.with_user(self.manager).action_economic_book()
        self.assertEqual(result["params"]["type"], "success", result)
        self.assertEqual(sale.economic_invoice_state, "booked")

    def test_the_e_conomic_state_and_numbers_of_an_order_are_for_managers(self):
        """Read-only in the views only: a salesman (or a Shop Sync User) writing them over RPC could
        mark an order invoiced so that it never reaches the books.  Users resend with the button."""
        salesman = new_test_user(self.env, "eco_salesman", groups="base.group_user,sales_team.group_sale_salesman",
                                 company_id=self.company.id)
        sale = self.import_order(2002)
        sale.user_id = salesman  # the salesman's own order
        self.export(sale)
        kept = {"economic_invoice_state": "draft", "economic_draft_number": sale.economic_draft_number,
                "economic_booked_number": 0, "economic_cancel_credit_note_number": 0}
        self.assertEqual({name: sale[name] for name in kept}, kept)
        self.assertTrue(kept["economic_draft_number"])
        forged = {"economic_invoice_state": "booked", "economic_draft_number": 0, "economic_booked_number": 7,
                  "economic_cancel_credit_note_number": 9}
        for name, value in forged.items():
            with self.subTest(field=name):
                for user in (salesman, self.user):
                    with self.subTest(user=user.login), self.assertRaisesRegex(AccessError, rf"\({name}\)"):
                        sale.with_user(user).write({name: value})
        self.assertEqual({name: sale[name] for name in kept}, kept)
        # a refund's credit note state: its access rights let nobody but the flows write a refund
        refund = self.env["shop.sync.refund"].create({
            "name": "R1", "backend_id": self.shop.id, "sale_order_id": sale.id, "external_id": "r1"})
        with self.assertRaises(AccessError):
            refund.with_user(salesman).write({"economic_credit_note_state": "draft"})
        self.assertFalse(refund.accounting_state)
        # the salesman's own quotation: the form sends the editable related state empty
        quotation = self.env["sale.order"].with_user(salesman).create(
            {"partner_id": sale.partner_id.id, "economic_invoice_state": False})
        self.assertFalse(quotation.accounting_state)
        # a Shop Sync User resends with the button (its check, then as superuser), a Manager writes them
        sale.accounting_state = "error"
        with trap_jobs() as trap:
            sale.with_user(self.user).action_economic_send()
            trap.assert_jobs_count(1)
        self.assertEqual(sale.economic_invoice_state, "pending")
        sale.with_user(self.manager).write({"accounting_state": "error", "economic_booked_number": 7})
        self.assertEqual((sale.accounting_state, sale.economic_booked_number), ("error", 7))

    def test_known_product_numbers_are_read_in_their_company_only(self):
        self.env["shop.sync.economic.known.product"]._remember(self.accounting, "MUG.2")
        Known = self.env["shop.sync.economic.known.product"]
        self.assertTrue(Known.with_user(self.manager).search([("backend_id", "=", self.accounting.id)]))
        self.assertFalse(Known.with_user(self.other_manager).search([]))


@tagged("post_install", "-at_install", "shop_sync")
class TestStockLockNoClientCanPass(EconomicCase):
    def test_the_stock_master_of_a_product_is_not_cleared_by_a_write(self):
        """The field is read-only in the form only: a stock manager writing it over RPC would unlock
        manual adjustments of a product whose stock e-conomic masters."""
        self.mug.product_tmpl_id.shop_sync_stock_master_id = self.accounting
        stock_manager = new_test_user(self.env, "stock_boss_2", groups="stock.group_stock_manager,"
                                                                     "product.group_product_manager")
        for product in (self.mug.product_tmpl_id, self.mug):
            with self.subTest(model=product._name), self.assertRaises(AccessError):
                product.with_user(stock_manager).write({"shop_sync_stock_master_id": False})
        self.assertEqual(self.mug.product_tmpl_id.shop_sync_stock_master_id, self.accounting)

    def test_the_pull_context_key_does_not_open_the_stock_master_lock(self):
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1)
        self.mug.product_tmpl_id.shop_sync_stock_master_id = self.accounting
        stock_manager = new_test_user(self.env, "stock_boss", groups="stock.group_stock_manager")
        Quant = self.env["stock.quant"].with_user(stock_manager).with_context(
            inventory_mode=True, shop_sync_economic_stock=True, shop_sync_accounting_stock=True)
        with self.assertRaisesRegex(UserError, "mastered in e-conomic"):
            Quant.create({"product_id": self.mug.id, "location_id": warehouse.lot_stock_id.id,
                          "inventory_quantity": 50})
