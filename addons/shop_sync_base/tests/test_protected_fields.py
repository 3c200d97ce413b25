"""The fields that bind an order to its shop order and say where its accounting document stands are
read-only in the views only; over RPC a salesman could write them (mark an order exported so that it
never reaches the books, or create an order posing as a shop's).  Only the synchronisation (superuser,
the job user) and Shop Sync Managers set them; everything else of an order stays the salesman's."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.shop_sync_base.tests.common import MANAGER, ShopSyncCase, order_payload

SALESMAN = "base.group_user,sales_team.group_sale_salesman"

#: a value for each protected field of an order, unlike what an imported order holds
ORDER_VALUES = {
    "shop_sync_backend_id": False, "shop_order_number": "X-1", "shop_order_state": "cancelled",
    "shop_payment_method": "cash", "shop_accounting_date": "2026-02-01", "shop_sync_to_confirm": True,
    "accounting_state": "booked", "accounting_document": "booked:99",
}
LINE_VALUES = {"shop_line_external_id": "forged-line", "shop_line_kind": "discount"}


@tagged("post_install", "-at_install", "shop_sync")
class TestProtectedShopFields(ShopSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(cls.env, "guard_salesman", groups=SALESMAN, company_id=cls.company.id)
        cls.manager = new_test_user(cls.env, "guard_manager", groups=f"{SALESMAN}_all_leads,{MANAGER}",
                                    company_id=cls.company.id)

    def imported(self, number):
        self.import_order(order_payload(number, lines=[
            {"name": "Mug", "sku": "MUG-1", "qty": "2", "price": "100.00", "rate": "25", "id": f"line-{number}"}]))
        sale = self.sale_for(number)
        sale.user_id = self.salesman  # the salesman's own order
        return sale

    def shop_values(self, records, names):
        return {name: records[name] for name in names}

    def test_a_salesman_cannot_write_the_shop_binding_or_accounting_state_of_an_order(self):
        sale = self.imported(7001)
        kept = self.shop_values(sale, ORDER_VALUES)
        self.assertEqual((kept["shop_sync_backend_id"], kept["shop_order_number"]), (self.backend, "7001"))
        for name, value in ORDER_VALUES.items():
            with self.subTest(field=name), self.assertRaisesRegex(AccessError, rf"Shop Sync Manager.*\({name}\)"):
                sale.with_user(self.salesman).write({name: value})
        self.assertEqual(self.shop_values(sale, ORDER_VALUES), kept)
        # what salesmen do every day stays theirs, the binding goes with a write of both
        sale.with_user(self.salesman).write({"note": "Gift wrap", "client_order_ref": "PO-7", "origin": "phone"})
        with self.assertRaisesRegex(AccessError, r"\(accounting_state\)"):
            sale.with_user(self.salesman).write({"note": "Exported", "accounting_state": "draft"})
        self.assertEqual((sale.client_order_ref, sale.accounting_state), ("PO-7", kept["accounting_state"]))
        # a Shop Sync Manager may correct them
        sale.with_user(self.manager).write(ORDER_VALUES)
        self.assertEqual(sale.shop_order_number, "X-1")
        self.assertEqual(sale.accounting_state, "booked")

    def test_a_salesman_cannot_write_or_create_the_shop_line_id_and_kind(self):
        sale = self.imported(7002)
        line = sale.order_line.filtered("shop_line_external_id")
        self.assertEqual((line.shop_line_external_id, line.shop_line_kind), ("line-7002", "product"))
        attempts = {
            "write the line": lambda values: line.with_user(self.salesman).write(values),
            "write through the order": lambda values: sale.with_user(self.salesman).write(
                {"order_line": [Command.update(line.id, values)]}),
            "add a line": lambda values: sale.with_user(self.salesman).write({"order_line": [Command.create(
                {"product_id": self.mug.id, "product_uom_qty": 1, **values})]}),
        }
        for attempt, call in attempts.items():
            for name, value in LINE_VALUES.items():
                with self.subTest(attempt=attempt, field=name), self.assertRaisesRegex(AccessError, name):
                    call({name: value})
        self.assertEqual((line.shop_line_external_id, line.shop_line_kind), ("line-7002", "product"))
        self.assertEqual(len(sale.order_line), 1)
        # the salesman changes the line itself and adds one of their own
        line.with_user(self.salesman).write({"name": "Mug, blue"})
        sale.with_user(self.salesman).write({"order_line": [Command.create({"product_id": self.mug.id})]})
        self.assertEqual(len(sale.order_line), 2)
        line.with_user(self.manager).write(LINE_VALUES)
        self.assertEqual(line.shop_line_kind, "discount")

    def test_a_salesman_cannot_create_an_order_posing_as_a_shop_order(self):
        """The import goes by its binding, which a salesman cannot create, but a forged order would be
        invoiced in accounting under the real order's reference (the pending pass looks for the shop's
        orders), the real order's export would then adopt that document as sent, and the reconciliation
        would count the forged order for the real one (it goes by number)."""
        real = self.imported(7003)
        Sale = self.env["sale.order"].with_user(self.salesman)
        forged = {"shop_sync_backend_id": self.backend.id, "shop_order_number": "7004"}
        attempts = {
            "values": lambda: Sale.create({"partner_id": real.partner_id.id, **forged}),
            "context defaults": lambda: Sale.with_context(
                **{f"default_{name}": value for name, value in forged.items()}).create(
                {"partner_id": real.partner_id.id}),
            "copy": lambda: real.with_user(self.salesman).copy({"shop_order_number": "7004"}),
        }
        for attempt, call in attempts.items():
            with self.subTest(attempt=attempt), self.assertRaisesRegex(AccessError, "shop_order_number"):
                call()
        # a default of the salesman's own (ir.default) is a value set too
        self.env["ir.default"].with_user(self.salesman).set("sale.order", "shop_order_number", "7004", user_id=True)
        with self.assertRaisesRegex(AccessError, "shop_order_number"):
            Sale.create({"partner_id": real.partner_id.id})
        self.env["ir.default"].with_user(self.salesman).set("sale.order", "shop_order_number", False, user_id=True)
        self.assertFalse(self.sale_for(7004))
        # the salesman's own quotations and copies carry no binding, and are theirs to make
        quotation = Sale.create({"partner_id": real.partner_id.id, "accounting_state": False,
                                 "shop_sync_to_confirm": False})
        copy = real.with_user(self.salesman).copy()
        self.assertEqual((copy.shop_sync_backend_id, copy.shop_order_number, copy.order_line.shop_line_external_id),
                         (self.env["shop.sync.backend"], False, False))
        self.assertFalse(quotation.shop_sync_backend_id)
        # a Shop Sync Manager may bind an order by hand
        bound = self.env["sale.order"].with_user(self.manager).create({"partner_id": real.partner_id.id, **forged})
        self.assertEqual(self.sale_for(7004), bound)
