from odoo import _, fields, models


class ShopSyncRefund(models.Model):
    """A refund the shop gave on an imported order, recorded once per shop refund id.

    A line's tax is the tax the shop gave back on it when the shop's API says (Shopify, WooCommerce),
    else its amount is split into net and tax with the order line's own taxes (the VAT treatment of
    the original order), so accounting credits exactly what the shop gave back, VAT to the cent.
    """

    _name = "shop.sync.refund"
    _description = "Shop Refund"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True)
    backend_id = fields.Many2one("shop.sync.backend", required=True, readonly=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sale_order_id = fields.Many2one("sale.order", required=True, readonly=True, ondelete="cascade", index=True,
                                    check_company=True)
    external_id = fields.Char("Shop refund id", required=True, readonly=True)
    date = fields.Datetime(readonly=True)
    reason = fields.Char(readonly=True)
    restock = fields.Boolean("Restocked by the shop", readonly=True)
    return_picking_id = fields.Many2one("stock.picking", "Stock return", readonly=True, check_company=True)
    currency_id = fields.Many2one(related="sale_order_id.currency_id")
    amount_untaxed = fields.Monetary("Untaxed", readonly=True)
    amount_tax = fields.Monetary("Tax", readonly=True)
    amount_total = fields.Monetary("Total", readonly=True)
    line_ids = fields.One2many("shop.sync.refund.line", "refund_id", "Lines", readonly=True)

    _external_unique = models.Constraint(
        "UNIQUE(backend_id, external_id)", "This shop refund is recorded already.")

    def _shop_sync_accounting_date(self):
        """The date the refund's credit note must carry: the day the shop refunded, in the company's
        time zone (as an order's accounting date), never before the order's.  A credit note dated
        the order's day would reduce the VAT of a period that may be declared already; the reduction
        belongs to the period of the refund (EU VAT Directive 2006/112/EC art. 90 and 185)."""
        self.ensure_one()
        sale = self.sale_order_id
        order_date = sale._shop_sync_accounting_date()
        if not self.date:
            return order_date
        return max(order_date, self.company_id._shop_sync_day(self.date))

    def _shop_sync_return_stock(self):
        """The shop restocked the refunded items: return what of them was delivered (a validated
        return of the delivery); returns a sentence for the log."""
        self.ensure_one()
        wanted = {}
        for line in self.line_ids.filtered(lambda l: l.kind == "product" and l.quantity and l.sale_line_id):
            wanted[line.sale_line_id] = wanted.get(line.sale_line_id, 0.0) + line.quantity
        returns = self.env["stock.picking"]
        for picking in self.sale_order_id.picking_ids.filtered(
                lambda p: p.state == "done" and p.picking_type_code == "outgoing"):
            wizard = self.env["stock.return.picking"].with_context(
                active_id=picking.id, active_model="stock.picking").create({"picking_id": picking.id})
            for return_line in wizard.product_return_moves:
                sale_line = return_line.move_id.sale_line_id
                quantity = min(wanted.get(sale_line, 0.0), return_line.move_id.quantity - sum(
                    return_line.move_id.returned_move_ids.filtered(lambda m: m.state != "cancel").mapped("quantity")))
                if quantity > 0:
                    return_line.quantity = quantity
                    wanted[sale_line] -= quantity
            if any(wizard.product_return_moves.mapped("quantity")):
                returned = wizard._create_return()
                for move in returned.move_ids:
                    move.quantity = move.product_uom_qty
                returned.move_ids.picked = True
                returned.with_context(skip_backorder=True, skip_sms=True).button_validate()
                returns |= returned
        self.return_picking_id = returns[:1]
        if not returns:
            return _("Restocked in the shop: nothing of it was delivered, so nothing is returned.")
        return _("Stock returned: %s.", ", ".join(returns.mapped("name")))


class ShopSyncRefundLine(models.Model):
    _name = "shop.sync.refund.line"
    _description = "Shop Refund Line"
    _order = "refund_id, id"
    _check_company_auto = True

    refund_id = fields.Many2one("shop.sync.refund", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="refund_id.company_id", store=True)
    sale_line_id = fields.Many2one("sale.order.line", "Order line", readonly=True, ondelete="set null",
                                   check_company=True,
                                   help="The order line refunded; for an amount refunded without lines, the line "
                                        "whose taxes it carries.")
    product_id = fields.Many2one("product.product", readonly=True, check_company=True)
    name = fields.Char(readonly=True)
    kind = fields.Selection([("product", "Product"), ("shipping", "Shipping"), ("fee", "Fee"),
                             ("amount", "Amount without lines")], required=True, readonly=True)
    quantity = fields.Float(readonly=True, digits="Product Unit")
    currency_id = fields.Many2one(related="refund_id.currency_id")
    price_subtotal = fields.Monetary("Untaxed", readonly=True)
    price_tax = fields.Monetary("Tax", readonly=True)
    price_total = fields.Monetary("Total", readonly=True)
