from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.shop_sync_base.tests.common import ShopSyncCase, order_payload

MUGS = {"id": "L1", "name": "Mug", "sku": "MUG-1", "qty": "2", "price": "100.00", "rate": "25"}
SHIPPING = {"id": "S1", "kind": "shipping", "name": "Parcel", "qty": "1", "price": "50.00", "rate": "25"}


@tagged("post_install", "-at_install", "shop_sync")
class TestRefunds(ShopSyncCase):
    """Shop refunds recorded on the sale order once, with the order's VAT treatment; bad input logged."""

    def refund_logs(self, number):
        return self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("flow", "=", "refund_import"),
                                                 ("external_ref", "=", str(number))])

    def test_full_refund_is_recorded_with_net_and_tax_of_the_order(self):
        self.import_order(order_payload(2001, lines=[MUGS]))
        self.import_order(order_payload(2001, lines=[MUGS], refunds=[
            {"id": "R1", "amount": "200.00", "reason": "Broken",
             "lines": [{"line": "L1", "qty": "2", "amount": "200.00"}]}]))
        sale = self.sale_for(2001)
        refund = sale.shop_refund_ids
        self.assertEqual((refund.external_id, refund.reason), ("R1", "Broken"))
        self.assertEqual((refund.amount_total, refund.amount_untaxed, refund.amount_tax), (200.0, 160.0, 40.0))
        self.assertEqual(refund.line_ids.sale_line_id, sale.order_line)
        self.assertEqual(refund.line_ids.quantity, 2)
        self.assertEqual((sale.shop_refund_count, sale.shop_refunded_amount), (1, 200.0))
        log = self.refund_logs(2001)
        self.assertEqual((log.state, log.res_model, log.res_id, log.external_id),
                         ("done", "shop.sync.refund", refund.id, "R1"))
        self.assertEqual(sale.action_view_shop_refunds()["domain"], [("sale_order_id", "=", sale.id)])
        outsider = new_test_user(self.env, login="no-sales", groups="base.group_user")
        with self.assertRaises(AccessError):
            sale.with_user(outsider).action_view_shop_refunds()

    def test_partial_refunds_of_a_line_shipping_and_an_amount_without_lines(self):
        lines = [MUGS, SHIPPING]
        self.import_order(order_payload(2002, lines=lines))
        refunds = [
            {"id": "R1", "amount": "100.00", "lines": [{"line": "L1", "qty": "1", "amount": "100.00"}]},
            {"id": "R2", "amount": "50.00", "lines": [{"kind": "shipping", "line": "S1", "amount": "50.00"}]},
            {"id": "R3", "amount": "20.00", "reason": "Goodwill"},
        ]
        self.import_order(order_payload(2002, lines=lines, refunds=refunds))
        sale = self.sale_for(2002)
        by_id = {refund.external_id: refund for refund in sale.shop_refund_ids}
        self.assertEqual(by_id["R1"].line_ids.mapped("kind"), ["product"])
        self.assertEqual(by_id["R2"].line_ids.mapped("kind"), ["shipping"])
        self.assertEqual(by_id["R2"].line_ids.sale_line_id.shop_line_kind, "shipping")
        amount_line = by_id["R3"].line_ids
        self.assertEqual((amount_line.kind, amount_line.name, amount_line.quantity), ("amount", "Goodwill", 0))
        self.assertEqual((by_id["R3"].amount_untaxed, by_id["R3"].amount_tax), (16.0, 4.0))
        self.assertEqual(sale.shop_refunded_amount, 170.0)
        self.assertEqual(set(self.refund_logs(2002).mapped("state")), {"done"})

    def test_amount_without_lines_is_spread_over_what_is_left_of_each_line_and_rate(self):
        """WooCommerce refunds the rest of an order as an amount without items (status ``refunded``): a
        mug at 25 % and shipping at 0 % are given back each with its own VAT, not all at 25 %."""
        lines = [{**MUGS, "qty": "1", "price": "125.00"}, {**SHIPPING, "price": "40.00", "rate": "0"}]
        self.import_order(order_payload(2009, lines=lines))
        sale = self.sale_for(2009)
        self.assertEqual((sale.amount_total, sale.amount_tax), (165.0, 25.0))
        self.import_order(order_payload(2009, lines=lines, refunds=[
            {"id": "R1", "amount": "20.00", "lines": [{"kind": "shipping", "line": "S1", "amount": "20.00"}]},
            {"id": "R2", "amount": "145.00", "reason": "Refunded"}]))
        refund = sale.shop_refund_ids.filtered(lambda r: r.external_id == "R2")
        self.assertEqual([(line.kind, line.sale_line_id.shop_line_kind, line.price_total, line.price_tax)
                          for line in refund.line_ids],
                         [("amount", "product", 125.0, 25.0), ("amount", "shipping", 20.0, 0.0)])
        self.assertEqual((refund.amount_total, refund.amount_tax), (145.0, 25.0))
        self.assertEqual(sum(sale.shop_refund_ids.mapped("amount_tax")), sale.amount_tax, "all of the order's VAT")

    def test_refund_smaller_than_its_lines_keeps_the_restocking_fee_on_the_refunded_line(self):
        """The buyer returns a mug of 100 and the shop keeps 10 (a restocking fee, Shopify's order
        adjustment in the merchant's favour): the refund is 90, its lines 100 and -10 with the mug's VAT."""
        lines = [MUGS, SHIPPING]
        self.import_order(order_payload(2007, lines=lines))
        self.import_order(order_payload(2007, lines=lines, refunds=[
            {"id": "R1", "amount": "90.00", "lines": [{"line": "L1", "qty": "1", "amount": "100.00"}]}]))
        self.assertEqual(self.refund_logs(2007).state, "done", self.refund_logs(2007).message)
        sale = self.sale_for(2007)
        refund = sale.shop_refund_ids
        self.assertEqual((refund.amount_total, refund.amount_untaxed, refund.amount_tax), (90.0, 72.0, 18.0))
        fee = refund.line_ids.filtered(lambda line: line.kind == "amount")
        self.assertEqual((fee.price_total, fee.price_tax, fee.quantity), (-10.0, -2.0, 0))
        self.assertEqual(fee.sale_line_id, refund.line_ids.filtered(lambda line: line.kind == "product").sale_line_id)
        self.assertEqual(sale.shop_refunded_amount, 90.0)

    def test_same_refund_by_webhook_and_poll_is_recorded_once(self):
        payload = order_payload(2003, lines=[MUGS], refunds=[
            {"id": "R1", "amount": "100.00", "lines": [{"line": "L1", "qty": "1", "amount": "100.00"}]}])
        Event = self.env["shop.sync.event"]
        webhook = Event._store(self.backend, "webhook", "order", payload, adapter=self.adapter)
        poll = Event._store(self.backend, "poll", "order", dict(payload, updated_at="2026-01-05T10:00:01+00:00"),
                            adapter=self.adapter)
        (webhook | poll)._process()
        sale = self.sale_for(2003)
        self.assertEqual(len(sale.shop_refund_ids), 1)
        self.assertEqual(len(self.refund_logs(2003)), 1)

    def test_refund_of_an_order_never_imported_is_skipped_with_the_reason(self):
        self.import_order(order_payload(2004, state="pending", refunds=[{"id": "R1", "amount": "10.00"}]))
        log = self.refund_logs(2004)
        self.assertEqual((log.state, log.reason, log.external_id), ("skipped", "Order not imported", "R1"))
        self.assertFalse(self.env["shop.sync.refund"].search([("external_id", "=", "R1"),
                                                              ("backend_id", "=", self.backend.id)]))

    def test_refund_larger_than_the_order_is_an_error_and_nothing_is_written(self):
        self.import_order(order_payload(2005, lines=[MUGS], refunds=[{"id": "R1", "amount": "150.00"}]))
        self.import_order(order_payload(2005, lines=[MUGS], refunds=[{"id": "R1", "amount": "150.00"},
                                                                      {"id": "R2", "amount": "60.00"}]))
        sale = self.sale_for(2005)
        self.assertEqual(sale.shop_refund_ids.mapped("external_id"), ["R1"])
        log = self.refund_logs(2005).filtered(lambda l: l.external_id == "R2")
        self.assertEqual((log.state, log.reason), ("error", "Refund not imported"))
        self.assertIn("larger than what is left of order 2005", log.message)
        self.assertFalse(self.env["shop.sync.refund.line"].search([("refund_id.external_id", "=", "R2")]))

    def test_refund_of_more_items_than_ordered_is_an_error(self):
        self.import_order(order_payload(2006, lines=[MUGS], refunds=[
            {"id": "R1", "amount": "100.00", "lines": [{"line": "L1", "qty": "3", "amount": "100.00"}]}]))
        log = self.refund_logs(2006)
        self.assertEqual(log.state, "error")
        self.assertIn("more than order 2006 has left to refund", log.message)
        self.assertFalse(self.sale_for(2006).shop_refund_ids)

    def test_refund_lines_carry_the_tax_the_shop_gave_back(self):
        """2 of 3 mugs at 99.01 incl. 25 % (the line's VAT 59.41) refunded with the shop's 39.60 tax: the
        refund keeps it (a split of 198.02 in the proportion of the line makes 39.61), so its credit
        note gives back the VAT the shop did; the rest of the line's VAT goes with the last unit."""
        lines = [{**MUGS, "qty": "3", "price": "99.01"}]
        refunds = [{"id": "R1", "amount": "198.02", "lines": [{"line": "L1", "qty": "2", "amount": "198.02",
                                                                "tax": "39.60"}]}]
        self.import_order(order_payload(2010, lines=lines))
        sale = self.sale_for(2010)
        self.assertEqual(sale.amount_tax, 59.41)
        self.import_order(order_payload(2010, lines=lines, refunds=refunds))
        refund = sale.shop_refund_ids
        self.assertEqual((refund.amount_total, refund.amount_untaxed, refund.amount_tax), (198.02, 158.42, 39.6))
        self.assertEqual((refund.line_ids.price_subtotal, refund.line_ids.price_tax), (158.42, 39.6))
        refunds.append({"id": "R2", "amount": "99.01", "lines": [{"line": "L1", "qty": "1", "amount": "99.01",
                                                                   "tax": "19.81"}]})
        self.import_order(order_payload(2010, lines=lines, refunds=refunds))
        self.assertEqual(round(sum(sale.shop_refund_ids.mapped("amount_tax")), 2), sale.amount_tax)
        self.assertEqual(set(self.refund_logs(2010).mapped("state")), {"done"})

    def test_refund_with_only_its_total_tax_carries_it_on_its_largest_taxed_line(self):
        """CCV's credit invoice states its total tax, not each row's: 2 of 3 mugs at 99.01 incl. 25 % and
        the shipping at 0 %, 39.60 tax in all (split in the proportion of the lines: 39.61); the cent
        goes to the mugs, so the refund's tax is the shop's."""
        lines = [{**MUGS, "qty": "3", "price": "99.01"}, {**SHIPPING, "rate": "0"}]
        self.import_order(order_payload(2012, lines=lines, refunds=[
            {"id": "R1", "amount": "248.02", "tax": "39.60", "lines": [
                {"line": "L1", "qty": "2", "amount": "198.02"}, {"kind": "shipping", "line": "S1", "amount": "50.00"}]},
            {"id": "R2", "amount": "99.01", "tax": "25", "lines": [{"line": "L1", "qty": "1", "amount": "99.01"}]}]))
        refunds = self.sale_for(2012).shop_refund_ids
        first = refunds.filtered(lambda r: r.external_id == "R1")
        self.assertEqual((first.amount_total, first.amount_tax), (248.02, 39.6))
        self.assertEqual([(line.kind, line.price_subtotal, line.price_tax) for line in first.line_ids],
                         [("product", 158.42, 39.6), ("shipping", 50.0, 0.0)])
        log = self.refund_logs(2012).filtered(lambda l: l.external_id == "R2")
        self.assertEqual((log.state, log.reason), ("error", "Refund not imported"))
        self.assertIn("gives back 25.0 tax; the VAT of the order lines it refunds makes 19.8", log.message)

    def test_refund_tax_that_does_not_fit_the_order_line_is_an_error(self):
        """A shop's refund tax further from the order line's VAT than rounding (a cent per unit) is
        refused with both figures, not booked with a rounding line carrying the difference."""
        self.import_order(order_payload(2011, lines=[MUGS], refunds=[
            {"id": "R1", "amount": "100.00",
             "lines": [{"line": "L1", "qty": "1", "amount": "100.00", "tax": "9.09"}]}]))
        log = self.refund_logs(2011)
        self.assertEqual((log.state, log.reason), ("error", "Refund not imported"))
        self.assertIn("gives back 9.09 tax on 'Mug' (100.0 gross); the VAT of its order line makes 20.0", log.message)
        self.assertFalse(self.sale_for(2011).shop_refund_ids)

    def test_refund_of_an_unknown_line_is_an_error(self):
        self.import_order(order_payload(2007, lines=[MUGS], refunds=[
            {"id": "R1", "amount": "100.00", "lines": [{"line": "L9", "qty": "1", "amount": "100.00"}]}]))
        log = self.refund_logs(2007)
        self.assertEqual((log.state, log.reason), ("error", "Refund not imported"))
        self.assertIn("matches no line of order 2007", log.message)
        self.assertFalse(self.env["shop.sync.refund"].search([("backend_id", "=", self.backend.id)]))

    def test_restocked_refund_of_a_delivered_order_returns_the_stock(self):
        self.backend.confirm_orders = True
        stock = self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1).lot_stock_id
        self.env["stock.quant"]._update_available_quantity(self.mug, stock, 10)
        self.import_order(order_payload(2008, lines=[MUGS]))
        sale = self.sale_for(2008)
        delivery = sale.picking_ids
        delivery.move_ids.quantity = 2
        delivery.move_ids.picked = True
        delivery.button_validate()
        self.assertEqual(self.mug.qty_available, 8)
        self.import_order(order_payload(2008, lines=[MUGS], refunds=[
            {"id": "R1", "amount": "100.00", "restock": True,
             "lines": [{"line": "L1", "qty": "1", "amount": "100.00"}]}]))
        refund = sale.shop_refund_ids
        self.assertEqual(refund.return_picking_id.state, "done")
        self.assertEqual(refund.return_picking_id.return_id, delivery)
        self.assertEqual(self.mug.qty_available, 9)
        self.assertIn("Stock returned", self.refund_logs(2008).message)


@tagged("post_install", "-at_install", "shop_sync")
class TestCancellation(ShopSyncCase):
    """A shop cancelling an imported order cancels the sale order unless something was delivered."""

    def setUp(self):
        super().setUp()
        self.backend.order_state_ids.filtered(lambda state: state.code == "cancelled").cancels_order = True
        self.cancelled = []
        SaleOrder = type(self.env["sale.order"])
        patcher = patch.object(SaleOrder, "_shop_sync_accounting_cancel", lambda sale: self.cancelled.append(sale.id))
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_cancelled_before_delivery_cancels_the_sale_and_calls_accounting(self):
        self.backend.confirm_orders = True
        self.import_order(order_payload(2101))
        log = self.import_order(order_payload(2101, state="cancelled"))
        sale = self.sale_for(2101)
        self.assertEqual(sale.state, "cancel")
        self.assertEqual((log.state, log.reason), ("done", "Order cancelled"))
        self.assertEqual(self.cancelled, [sale.id])
        self.assertEqual(set(sale.picking_ids.mapped("state")), {"cancel"})

    def test_cancelled_after_delivery_is_an_error_asking_for_a_return(self):
        self.backend.confirm_orders = True
        stock = self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1).lot_stock_id
        self.env["stock.quant"]._update_available_quantity(self.mug, stock, 10)
        self.import_order(order_payload(2102))
        sale = self.sale_for(2102)
        sale.picking_ids.move_ids.quantity = 2
        sale.picking_ids.move_ids.picked = True
        sale.picking_ids.button_validate()
        log = self.import_order(order_payload(2102, state="cancelled"))
        self.assertEqual((log.state, log.reason), ("error", "Cancelled order was delivered"))
        self.assertIn("create a return", log.message)
        self.assertEqual(sale.state, "sale")
        self.assertEqual(self.cancelled, [])

    def test_refund_of_an_order_cancelled_by_the_shop_is_skipped_of_one_cancelled_in_odoo_alone_recorded(self):
        """The shop's cancellation reverses the order in the books, so a refund after it adds nothing;
        an order cancelled in Odoo alone keeps its accounting document, so the shop's refund counts."""
        refund = {"id": "R1", "amount": "50.00", "reason": "Goodwill"}
        self.import_order(order_payload(2104))
        self.import_order(order_payload(2104, state="cancelled"))
        log = self.import_order(order_payload(2104, state="cancelled", refunds=[refund]))
        skipped = self.env["shop.sync.log"].search([("flow", "=", "refund_import"), ("external_ref", "=", "2104")])
        self.assertEqual((skipped.state, skipped.reason), ("skipped", "Order cancelled"), log.message)
        self.assertFalse(self.sale_for(2104).shop_refund_ids)
        self.import_order(order_payload(2105))
        sale = self.sale_for(2105)
        sale._action_cancel()
        self.import_order(order_payload(2105, refunds=[{**refund, "id": "R2"}]))
        self.assertEqual(sale.shop_refund_ids.mapped("amount_total"), [50.0])
        self.assertEqual(self.cancelled, [self.sale_for(2104).id])

    def test_state_not_marked_as_cancelling_changes_nothing(self):
        self.import_order(order_payload(2103))
        self.import_order(order_payload(2103, state="pending"))
        self.assertNotEqual(self.sale_for(2103).state, "cancel")
        self.assertEqual(self.cancelled, [])
