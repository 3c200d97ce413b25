import logging
from datetime import UTC
from decimal import Decimal

from psycopg2 import errors as pg_errors

from odoo import Command, _, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)


class ShopSyncRefundImporter(models.AbstractModel):
    """Canonical ``records.Refund`` in, ``shop.sync.refund`` on the sale order out; every outcome logged.

    Called by the order importer for the refunds of an order payload, under the order's lock, so a
    webhook and a poll carrying the same refund record it once (and the unique shop refund id makes
    it structural).  Decisions: the order must be imported and not cancelled by the shop (an order
    cancelled in Odoo alone keeps its accounting document, so its refunds count); each refund line must
    match an order line; quantities and the refunded total may not exceed the order; a line's tax is
    the shop's when it says (to the cent), else its amount is split into net and tax with the order
    line's own taxes (then adjusted by the cents to the refund's total tax, when the shop states only
    that); what the lines leave of the refund's
    amount was given without lines (spread over what is left of the order lines) or, negative, kept
    by the shop (a line taken from the largest refunded line);
    restocked items delivered are returned.
    """

    _name = "shop.sync.refund.importer"
    _description = "Shop Sync Refund Import Pipeline"

    @api.model
    def _import_refunds(self, backend, order, sale, event=None):
        """Record the refunds of ``order`` (``records.Order``) not recorded yet on ``sale`` (None or
        empty when the order was not imported); return their logs."""
        if not order.refunds:
            return []
        known = set(self.env["shop.sync.refund"].sudo().search([
            ("backend_id", "=", backend.id),
            ("external_id", "in", [refund.external_id for refund in order.refunds])]).mapped("external_id"))
        return [self._import(backend, order, sale, refund, event)
                for refund in order.refunds if refund.external_id not in known]

    @api.model
    def _import(self, backend, order, sale, refund, event=None):
        Log = self.env["shop.sync.log"]
        common = {"ref": order.number, "external_id": refund.external_id, "event": event}
        if not sale:
            return Log._record(backend, "refund_import", "skipped", reason=_("Order not imported"), message=_(
                "Refund %(refund)s of order %(number)s: the order was never imported (see its order import log), "
                "so there is nothing to refund in Odoo.", refund=refund.external_id, number=order.number), **common)
        if sale._shop_sync_cancelled_by_shop():
            # its reversal credits the order; cancelled in Odoo alone, the order's document stands, so
            # the shop's refund is recorded and credited as any other
            return Log._record(backend, "refund_import", "skipped", reason=_("Order cancelled"), record=sale, message=_(
                "Refund %(refund)s of order %(number)s: the shop cancelled %(name)s, its cancellation reverses it "
                "in the books.", refund=refund.external_id, number=order.number, name=sale.name), **common)
        try:
            with self.env.cr.savepoint():
                record = self.env["shop.sync.refund"].sudo().create(self._values(backend, sale, order, refund))
                note = record._shop_sync_return_stock() if refund.restock else ""
                sale._shop_sync_accounting_refund(record)
        except pg_errors.UniqueViolation:
            return Log._record(backend, "refund_import", "skipped", reason=_("Refund already imported"),
                               message=_("Recorded meanwhile by a concurrent delivery."), record=sale, **common)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except (UserError, ValidationError) as exc:
            return Log._record(backend, "refund_import", "error", reason=_("Refund not imported"), message=str(exc),
                               record=sale, **common)
        except Exception as exc:  # noqa: BLE001 - one bad refund must not stop the run; the log says why
            _logger.exception("refund %s of order %s (backend %s) failed", refund.external_id, order.number, backend.id)
            return Log._record(backend, "refund_import", "error", reason=_("Refund not imported"),
                               message=f"{type(exc).__name__}: {exc}", record=sale, **common)
        return Log._record(backend, "refund_import", "done", record=record, message=_(
            "Refund %(refund)s of %(name)s recorded: %(total)s %(currency)s (%(untaxed)s untaxed).%(note)s",
            refund=refund.external_id, name=sale.name, total=record.amount_total, currency=record.currency_id.name,
            untaxed=record.amount_untaxed, note=note and f" {note}"), **common)

    # -- values -----------------------------------------------------------------------------------
    @api.model
    def _values(self, backend, sale, order, refund):
        """Values of the refund record; a UserError names what does not fit the order."""
        currency = sale.currency_id
        order_lines = sale.order_line.filtered(lambda line: not line.display_type)
        refunded = sale.shop_refund_ids
        already = sum(refunded.mapped("amount_total"))
        if refund.amount <= 0:
            raise UserError(_("Refund %s has no positive amount.", refund.external_id))
        if currency.compare_amounts(already + float(refund.amount), sale.amount_total) > 0:
            raise UserError(_(
                "Refund %(refund)s of %(amount)s %(currency)s is larger than what is left of order %(number)s: "
                "total %(total)s, refunded before %(before)s.", refund=refund.external_id, amount=refund.amount,
                currency=currency.name, number=order.number, total=sale.amount_total, before=already))
        lines, gross_lines = [], Decimal(0)
        quantities = {}
        for line in refund.lines:
            sale_line = self._order_line(order_lines, line, order)
            quantities[sale_line] = quantities.get(sale_line, 0.0) + float(line.quantity)
            before = sum(refunded.line_ids.filtered(lambda l, s=sale_line: l.sale_line_id == s).mapped("quantity"))
            if line.quantity and before + quantities[sale_line] > sale_line.product_uom_qty + 1e-6:
                raise UserError(_(
                    "Refund %(refund)s gives back %(qty)s x %(name)s, more than order %(number)s has left to "
                    "refund (%(left)s).", refund=refund.external_id, qty=line.quantity, name=sale_line.name,
                    number=order.number, left=sale_line.product_uom_qty - before))
            gross_lines += line.amount
            values = self._line_values(sale_line, line.kind, line.name or sale_line.name, line.quantity, line.amount)
            lines.append(values if line.tax is None else self._with_shop_tax(values, line, refund, order))
        rest = refund.amount - gross_lines
        if currency.compare_amounts(float(rest), 0) > 0:  # given back on top of the lines, or without lines
            lines += self._spread_values(order_lines, refunded, lines, rest, refund.reason or _("Refund without lines"))
        elif currency.compare_amounts(float(rest), 0) < 0:
            # the shop kept part of what the lines give back (a restocking fee, a discrepancy in its favour):
            # a negative line taxed as the refunded line it is taken from, so the refund is what the buyer got
            carrier = max(lines, key=lambda values: values["price_total"])
            lines.append(self._line_values(self.env["sale.order.line"].browse(carrier["sale_line_id"]), "amount",
                                           refund.reason or _("Kept by the shop (e.g. a restocking fee)"), 0, rest))
        if refund.tax is not None:
            self._with_refund_tax(lines, refund, order)
        totals = {name: currency.round(sum(values[name] for values in lines))
                  for name in ("price_subtotal", "price_tax", "price_total")}
        return {
            "name": _("Refund %s", refund.external_id), "backend_id": backend.id, "sale_order_id": sale.id,
            "external_id": refund.external_id, "reason": refund.reason or False, "restock": refund.restock,
            "date": (refund.created_at or order.updated_at or order.created_at).astimezone(UTC).replace(tzinfo=None),
            "amount_untaxed": totals["price_subtotal"], "amount_tax": totals["price_tax"],
            "amount_total": totals["price_total"], "line_ids": [Command.create(values) for values in lines],
        }

    @api.model
    def _with_shop_tax(self, values, line, refund, order):
        """``values`` of a refund line carrying the tax the shop gave back on it (``line.tax``), so the
        credit note books the VAT the shop refunded to the cent: a split of the gross in the proportion
        of the order line rounds differently (e.g. the shop's tax of 2 of 3 units at 99.99 incl. 25 %
        is 40.00, the split's 39.99).  A tax further from the split than rounding explains (a cent per
        unit) does not fit the order line's VAT treatment: a UserError names both."""
        currency = self.env["sale.order.line"].browse(values["sale_line_id"]).currency_id
        tax = currency.round(float(line.tax))
        allowed = 0.01 * max(1.0, abs(float(line.quantity)))
        if currency.compare_amounts(abs(tax - values["price_tax"]), allowed) > 0:
            raise UserError(_(
                "Refund %(refund)s of order %(number)s gives back %(tax)s tax on '%(line)s' (%(gross)s gross); "
                "the VAT of its order line makes %(split)s.", refund=refund.external_id, number=order.number,
                tax=tax, line=values["name"], gross=values["price_total"], split=values["price_tax"]))
        return dict(values, price_subtotal=currency.round(values["price_total"] - tax), price_tax=tax)

    @api.model
    def _with_refund_tax(self, lines, refund, order):
        """Make ``lines`` carry the refund's total tax as the shop states it (``refund.tax``, e.g. CCV's
        credit invoice, which gives no tax per row): the cents by which their taxes miss it go to
        the largest taxed line.  More than rounding explains (a cent per unit) is a UserError."""
        currency = self.env["sale.order.line"].browse(lines[0]["sale_line_id"]).currency_id if lines else None
        if not currency:
            return
        tax = currency.round(float(refund.tax))
        difference = currency.round(tax - sum(values["price_tax"] for values in lines))
        allowed = 0.01 * sum(max(1.0, abs(values["quantity"])) for values in lines)
        if currency.compare_amounts(abs(difference), allowed) > 0:
            raise UserError(_(
                "Refund %(refund)s of order %(number)s gives back %(tax)s tax; the VAT of the order lines it "
                "refunds makes %(split)s.", refund=refund.external_id, number=order.number, tax=tax,
                split=currency.round(tax - difference)))
        if not currency.is_zero(difference):
            carrier = max(lines, key=lambda values: (bool(values["price_tax"]), abs(values["price_total"])))
            carrier["price_tax"] = currency.round(carrier["price_tax"] + difference)
            carrier["price_subtotal"] = currency.round(carrier["price_total"] - carrier["price_tax"])

    @api.model
    def _spread_values(self, order_lines, refunded, lines, rest, name):
        """Lines of an amount given back without items: ``rest`` spread over the order lines in proportion
        to what is left of each (its gross less what refunds gave back on it, ``lines`` included), so a
        refund of what is left (WooCommerce's ``refunded`` status, a Shopify refund of the rest) credits
        each line, and each VAT rate, what is left of it; one rate at 25 % and another at 0 % are not
        credited all at the largest line's rate."""
        currency = order_lines.currency_id[:1]
        left = {}
        for sale_line in order_lines:
            given = sum(refunded.line_ids.filtered(lambda l, s=sale_line: l.sale_line_id == s).mapped("price_total"))
            given += sum(values["price_total"] for values in lines if values["sale_line_id"] == sale_line.id)
            if not currency.is_zero(sale_line.price_total - given):
                left[sale_line] = Decimal(str(currency.round(sale_line.price_total - given)))
        total = sum(left.values(), Decimal(0))
        if total <= 0:  # nothing left on the lines (e.g. cents of rounding): the largest product line carries it
            carrier = max(order_lines, key=lambda l: (l.shop_line_kind in (False, "product"), l.price_total))
            return [self._line_values(carrier, "amount", name, 0, rest)]
        shares = {sale_line: (rest * amount / total).quantize(Decimal("0.01")) for sale_line, amount in left.items()}
        largest = max(shares, key=lambda sale_line: abs(left[sale_line]))
        shares[largest] += rest - sum(shares.values(), Decimal(0))  # the cents of rounding
        return [self._line_values(sale_line, "amount", name, 0, share) for sale_line, share in shares.items() if share]

    @api.model
    def _order_line(self, order_lines, line, order):
        """The sale order line a refund line refers to: by the shop's line id; by SKU (or kind, for
        shipping and fees) only for orders imported before line ids were kept."""
        if line.line_external_id:
            match = order_lines.filtered(lambda l: l.shop_line_external_id == str(line.line_external_id))
            if match or any(order_lines.mapped("shop_line_external_id")):
                return self._one(match, line, order)
        if line.kind == "product":
            match = order_lines.filtered(lambda l: line.sku and l.product_id.default_code == line.sku
                                         and l.shop_line_kind in (False, "product"))
        else:
            match = order_lines.filtered(lambda l: l.shop_line_kind == line.kind)[:1]
        return self._one(match, line, order)

    @api.model
    def _one(self, match, line, order):
        if not match:
            raise UserError(_("Refund line '%(line)s' (line id %(id)s, SKU %(sku)s) matches no line of order "
                              "%(number)s.", line=line.name or line.kind, id=line.line_external_id or "-",
                              sku=line.sku or "-", number=order.number))
        return match[:1]

    @api.model
    def _line_values(self, sale_line, kind, name, quantity, gross):
        """A refund line: ``gross`` split into net and tax in the proportion of its order line, so the
        refund carries the order's VAT treatment (rate, price included or not, fiscal position)."""
        currency = sale_line.currency_id
        gross = currency.round(float(gross))
        net = currency.round(gross * sale_line.price_subtotal / sale_line.price_total) \
            if sale_line.price_total else gross
        return {"sale_line_id": sale_line.id, "product_id": sale_line.product_id.id, "name": name, "kind": kind,
                "quantity": float(quantity), "price_subtotal": net, "price_tax": currency.round(gross - net),
                "price_total": gross}
