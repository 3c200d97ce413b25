from odoo import _, api, fields, models
from odoo.tools import SQL

from ..services.locks import lock_free_rows

# VAT treatment of a sale, for accounting connectors (which VAT code / revenue account to book on)
VAT_TREATMENTS = [
    ("domestic", "Domestic"),
    ("oss", "EU private buyer (One-Stop-Shop)"),
    ("reverse_charge", "EU business (reverse charge)"),
    ("export", "Export outside the EU"),
]


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "shop.sync.protected.fields"]

    shop_sync_backend_id = fields.Many2one("shop.sync.backend", "Shop backend", readonly=True, index="btree_not_null",
                                           copy=False, check_company=True)
    shop_order_number = fields.Char("Shop order number", readonly=True, index="btree_not_null", copy=False)
    shop_order_state = fields.Char("Shop order state", readonly=True, copy=False)
    shop_payment_method = fields.Char("Shop payment method", readonly=True, copy=False)
    shop_accounting_date = fields.Date(
        "Accounting date", readonly=True, copy=False,
        help="The date the accounting document of this shop order carries (its VAT period): the shop's order "
             "date, or the date it was paid when the backend says so, in the company's time zone.")
    shop_sync_to_confirm = fields.Boolean(
        "Waiting for confirmation", readonly=True, copy=False, index=True,
        help="Imported from the shop as a quotation; the backend's confirmation job confirms it shortly.")
    shop_cancelled_at = fields.Datetime(
        "Cancelled by the shop", readonly=True, copy=False,
        help="When the shop cancelled the order (as the shop says, else when Odoo learnt it): the credit note "
             "reversing its accounting document is dated that day, in the company's time zone.")
    shop_refund_ids = fields.One2many("shop.sync.refund", "sale_order_id", "Shop refunds", readonly=True)
    shop_refund_count = fields.Integer("Refunds", compute="_compute_shop_refunded")
    shop_refunded_amount = fields.Monetary("Refunded by the shop", compute="_compute_shop_refunded",
                                           currency_field="currency_id")

    @api.model
    def _shop_sync_protected_fields(self):
        """The shop binding and the accounting state of an order (see ``shop.sync.protected.fields``)."""
        return super()._shop_sync_protected_fields() | {
            "shop_sync_backend_id", "shop_order_number", "shop_order_state", "shop_payment_method",
            "shop_accounting_date", "shop_sync_to_confirm", "shop_cancelled_at", "accounting_state",
            "accounting_document"}

    def _prepare_confirmation_values(self):
        """Shop orders keep the shop's order date when confirmed: Odoo would stamp the confirmation time
        (the import's) over it. Other orders of ``self`` get Odoo's date as usual."""
        values = super()._prepare_confirmation_values()
        shop_orders = self.filtered("shop_sync_backend_id")
        if shop_orders and "date_order" in values:
            (self - shop_orders).write({"date_order": values.pop("date_order")})
        return values

    @api.depends("shop_refund_ids.amount_total")
    def _compute_shop_refunded(self):
        for sale in self:
            sale.shop_refund_count = len(sale.shop_refund_ids)
            sale.shop_refunded_amount = sum(sale.shop_refund_ids.mapped("amount_total"))

    @api.model
    def _shop_sync_lock_to_confirm(self, backend, limit):
        """``(orders, next id)``: the first ``limit`` of ``backend``'s draft orders marked to confirm that no
        concurrent transaction holds or changed meanwhile (see ``lock_free_rows``), locked until this
        transaction ends; ``next id``: a marked order beyond those tried (False when none is).  Orders
        another job holds are its own to confirm: a job that locks none ends without a next one (no chain of
        empty jobs while the holder works), and two jobs take two batches side by side."""
        self.flush_model(["shop_sync_backend_id", "shop_sync_to_confirm", "state"])
        self.env.cr.execute(SQL(
            "SELECT id FROM sale_order WHERE shop_sync_backend_id = %s AND shop_sync_to_confirm AND state = 'draft' "
            "ORDER BY id", backend.id))
        ids = [row[0] for row in self.env.cr.fetchall()]
        locked, tried = [], 0
        while len(locked) < limit and tried < len(ids):
            chunk = ids[tried:tried + limit - len(locked)]
            tried += len(chunk)
            locked += lock_free_rows(self.env.cr, self._table, chunk)
        return self.browse(locked), ids[tried] if tried < len(ids) else False

    def _shop_sync_imported(self):
        """Hook called once a shop order was imported (e.g. to queue its invoice in accounting)."""
        return True

    def _shop_sync_accounting_refund(self, refund):
        """Hook called once a shop refund (``shop.sync.refund``) of this order was recorded, in the
        same transaction: accounting connectors queue its credit note.  The base does nothing."""
        return True

    def _shop_sync_cancelled_by_shop(self):
        """Whether the shop cancelled this order (its state is one marked Cancels), not Odoo alone: the
        shop's cancellation reverses the order's accounting document, Odoo's alone keeps it."""
        self.ensure_one()
        return self.state == "cancel" and self.shop_order_state in self.shop_sync_backend_id.order_state_ids.filtered(
            "cancels_order").mapped("code")

    def _shop_sync_accounting_cancel(self):
        """Hook called once the shop's cancellation cancelled this order: accounting connectors remove
        the draft they created or credit the booked invoice.  The base does nothing."""
        return True

    def _shop_sync_accounting_status(self):
        """For the reconciliation: ``{sale id: None}`` when no accounting system invoices the order,
        else ``{"invoice": remote reference or "", "expected": whether an invoice should exist by
        now, "note": why not yet}``, and when the invoice could be read: its ``"gross"``, ``"vat"``,
        ``"rounding"`` (the net of an explicit rounding line without VAT, moved from VAT to net) and
        ``"date"``.  Accounting connectors extend this."""
        return dict.fromkeys(self.ids)

    def _shop_sync_accounting_date(self):
        """The date the accounting document must carry (not the day an import or export job runs):
        ``shop_accounting_date``; for orders imported before it was stored, the order date in the
        company's time zone."""
        self.ensure_one()
        if self.shop_accounting_date:
            return self.shop_accounting_date
        return self.company_id._shop_sync_day(self.date_order)

    def _shop_sync_cancel_accounting_date(self):
        """The date the credit note reversing the order's accounting document must carry: the day the
        shop cancelled it, in the company's time zone, never before the order's (as a refund's: the VAT
        given back belongs to the period of the cancellation, EU VAT Directive 2006/112/EC art. 90 and
        185; the order's date would change a period that may be declared already).  An order cancelled
        before that moment was kept (an older version of this hub): the day it is reversed."""
        self.ensure_one()
        return max(self._shop_sync_accounting_date(),
                   self.company_id._shop_sync_day(self.shop_cancelled_at or fields.Datetime.now()))

    def _shop_sync_vat_treatment(self):
        """``(treatment, country)``: how accounting must book this sale's VAT (see ``VAT_TREATMENTS``).

        Decided once here for every accounting connector from the place of supply (the delivery
        country, else the invoice country, else the company's), the company's country and the buyer:
        the same country is domestic; from an EU company to another EU country it is reverse charge
        when the buyer has a VAT number (as Odoo's fiscal positions with "VAT required" apply), else
        the buyer's country's VAT under OSS; anything else is an export.  Distance sales below the
        OSS threshold (taxed with the home country's VAT) are not modelled: they show as OSS with the
        home rate, which the accounting mapping then refuses by rate."""
        self.ensure_one()
        company_country = self.company_id.country_id or self.company_id.account_fiscal_country_id
        country = self.partner_shipping_id.country_id or self.partner_invoice_id.country_id or company_country
        if country == company_country:
            return "domestic", country
        europe = self.env.ref("base.europe").country_ids
        if company_country in europe and country in europe:
            buyer = self.partner_invoice_id.commercial_partner_id
            return ("reverse_charge" if buyer.vat else "oss"), country
        return "export", country

    def action_view_shop_refunds(self):
        """The order's shop refunds (reachable over RPC: the caller must be able to read the order)."""
        self.ensure_one()
        self.check_access("read")
        return {"type": "ir.actions.act_window", "name": _("Shop refunds"), "res_model": "shop.sync.refund",
                "view_mode": "list,form", "domain": [("sale_order_id", "=", self.id)],
                "context": {"create": False}}


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = ["sale.order.line", "shop.sync.protected.fields"]

    shop_line_external_id = fields.Char(
        "Shop order line", readonly=True, copy=False,
        help="The shop's id of this order line, so deliveries and refunds name the line the shop knows.")
    shop_line_kind = fields.Selection([("product", "Product"), ("shipping", "Shipping"), ("fee", "Fee"),
                                       ("discount", "Discount")], "Shop line kind", readonly=True, copy=False)

    @api.model
    def _shop_sync_protected_fields(self):
        """The shop's line id and kind, which deliveries and refunds go by."""
        return super()._shop_sync_protected_fields() | {"shop_line_external_id", "shop_line_kind"}
