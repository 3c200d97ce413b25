from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..services.http import RemoteError

PROBLEMS = [
    ("missing_odoo", "Missing in Odoo"),
    ("missing_accounting", "Missing in accounting"),
    ("duplicate", "Duplicate sale orders"),
    ("total_mismatch", "Total mismatch"),
    ("vat_mismatch", "VAT differs"),
    ("date_mismatch", "Date differs"),
    ("not_in_shop", "Not in the shop"),
    ("unreadable", "Shop order not readable"),
]


class ShopSyncReconciliation(models.TransientModel):
    """Per day and currency: the shop's orders (read from the shop, nothing written there) against
    the backend's sale orders and their invoices in accounting; every difference is a line with a
    one-click retry where one makes sense."""

    _name = "shop.sync.reconciliation"
    _description = "Shop Sync Reconciliation"

    backend_id = fields.Many2one("shop.sync.backend", "Shop", required=True, ondelete="cascade",
                                 domain=[("role", "=", "shop")])
    date_from = fields.Date(required=True, default=lambda self: fields.Date.context_today(self) - timedelta(days=7))
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    timezone = fields.Char(readonly=True, help="Days are counted in this time zone: the company's accounting time "
                                               "zone, the one that dates its accounting documents.")
    day_ids = fields.One2many("shop.sync.reconciliation.day", "wizard_id", readonly=True)
    problem_ids = fields.One2many("shop.sync.reconciliation.line", "wizard_id", readonly=True)
    problem_count = fields.Integer(compute="_compute_problem_count")
    done = fields.Boolean(readonly=True)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise UserError(_("The period ends before it starts."))

    @api.depends("backend_id", "date_from", "date_to")
    def _compute_display_name(self):
        """The title of the window and its breadcrumb (instead of the model name and a record id)."""
        for wizard in self:
            wizard.display_name = wizard.backend_id and _(
                "Reconciliation: %(shop)s, %(start)s – %(end)s", shop=wizard.backend_id.name,
                start=format_date(self.env, wizard.date_from), end=format_date(self.env, wizard.date_to),
            ) or _("Reconciliation")

    @api.depends("problem_ids")
    def _compute_problem_count(self):
        for wizard in self:
            wizard.problem_count = len(wizard.problem_ids)

    def action_compare(self):
        self.ensure_one()
        self.backend_id._check_access_company()
        # the days of the books (the accounting dates), whoever compares: not the user's time zone
        tz = self.backend_id.company_id._shop_sync_zone()
        start = datetime.combine(self.date_from, time.min, tz).astimezone(UTC)
        end = datetime.combine(self.date_to + timedelta(days=1), time.min, tz).astimezone(UTC)
        # read every side as superuser (a Shop Sync User may have no access to sale orders), only
        # after the check above; the lines are read-only for users: only this method writes them
        wizard = self.sudo()
        shop_orders, unreadable = wizard._shop_orders(start, end)
        sales = wizard._sales(start, end, [order.number for order in shop_orders])
        days, problems = wizard._compare(tz, shop_orders, sales)
        problems += unreadable
        wizard.day_ids.unlink()
        wizard.problem_ids.unlink()
        wizard.write({
            "timezone": tz.key, "done": True,
            "day_ids": [fields.Command.create(values) for _key, values in sorted(days.items())],
            "problem_ids": [fields.Command.create(values) for values in problems],
        })
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "current", "name": self.display_name}

    # -- the three sides ---------------------------------------------------------------------------
    def _shop_orders(self, start, end):
        """``[records.Order]`` created in [start, end), read from the shop; plus lines
        for the payloads that could not be read.  Orders created in the period changed since its
        start, so asking for changes since then finds them all."""
        backend = self.backend_id
        adapter = backend._get_adapter()
        orders, unreadable = [], []
        try:
            for payload in adapter.fetch_orders(start):
                try:
                    order = adapter.parse_order(payload)
                except RemoteError:
                    raise
                except Exception as exc:  # noqa: BLE001 - reported on its line, the rest is compared
                    external_id, ref = adapter.identify("order", payload)
                    unreadable.append({"problem": "unreadable", "external_id": external_id, "order_number": ref,
                                       "reason": f"{type(exc).__name__}: {exc}"})
                    continue
                if start <= order.created_at.astimezone(UTC) < end:
                    orders.append(order)
        except RemoteError as exc:
            self.env["shop.sync.log"]._record(backend, "order_import", "error", reason=_("Reconciliation failed"),
                                               message=str(exc), response=exc.body)
            raise UserError(_("The orders of %(shop)s could not be read: %(error)s", shop=backend.name,
                              error=exc)) from exc
        return orders, unreadable

    def _sales(self, start, end, numbers):
        """The backend's sale orders of the period or of the shop's order numbers."""
        naive = (start.replace(tzinfo=None), end.replace(tzinfo=None))
        return self.env["sale.order"].search([
            ("shop_sync_backend_id", "=", self.backend_id.id), "|", ("shop_order_number", "in", numbers),
            "&", ("date_order", ">=", naive[0]), ("date_order", "<", naive[1])], order="id")

    # -- comparison --------------------------------------------------------------------------------
    def _compare(self, tz, shop_orders, sales):
        by_number = defaultdict(lambda: self.env["sale.order"])
        for sale in sales:
            by_number[sale.shop_order_number] |= sale
        invoices = sales._shop_sync_accounting_status()
        days, problems = {}, []

        def day(moment, currency):
            key = (moment.astimezone(tz).date(), currency)
            return days.setdefault(key, {
                "date": key[0], "currency": currency, "shop_count": 0, "shop_total": 0.0, "odoo_count": 0,
                "odoo_total": 0.0, "invoiced_count": 0, "problem_count": 0})

        def problem(row, kind, **values):
            row["problem_count"] += 1
            problems.append({"problem": kind, "date": row["date"], "currency": row["currency"], **values})

        seen = set()
        for order in shop_orders:
            row = day(order.created_at, (order.currency or "").upper())
            row["shop_count"] += 1
            row["shop_total"] += float(order.total)
            found = by_number.get(order.number, self.env["sale.order"])
            seen.update(found.ids)
            common = {"order_number": order.number, "external_id": order.external_id, "shop_total": float(order.total),
                      "shop_state": order.state}
            if not found:
                event, reason = self._why_missing(order)
                problem(row, "missing_odoo", event_id=event.id, reason=reason, **common)
                continue
            self._count_sales(row, found, invoices, problem, common)
            if len(found) > 1:
                problem(row, "duplicate", sale_ids=[fields.Command.set(found.ids)],
                        reason=_("%(count)s sale orders for one shop order: %(names)s", count=len(found),
                                 names=", ".join(found.mapped("name"))), **common)
            else:
                if found.currency_id.compare_amounts(found.amount_total, float(order.total)):
                    problem(row, "total_mismatch", sale_ids=[fields.Command.set(found.ids)],
                            odoo_total=found.amount_total, reason=_("The shop says %(shop)s, Odoo %(odoo)s.",
                                                                    shop=order.total, odoo=found.amount_total),
                            **common)
                shop_day, odoo_day = (moment.astimezone(tz).date() for moment in (
                    order.created_at, found.date_order.replace(tzinfo=UTC)))
                if shop_day != odoo_day:
                    problem(row, "date_mismatch", sale_ids=[fields.Command.set(found.ids)],
                            odoo_total=found.amount_total, reason=_(
                                "The shop's order is of %(shop)s, the sale order of %(odoo)s.", shop=shop_day,
                                odoo=odoo_day), **common)
        for sale in sales.filtered(lambda sale: sale.id not in seen):
            row = day(sale.date_order.replace(tzinfo=UTC), sale.currency_id.name)
            common = {"order_number": sale.shop_order_number, "shop_state": sale.shop_order_state}
            self._count_sales(row, sale, invoices, problem, common)
            problem(row, "not_in_shop", sale_ids=[fields.Command.set(sale.ids)], odoo_total=sale.amount_total,
                    reason=_("The shop returned no order %s created in this period.", sale.shop_order_number),
                    **common)
        return days, problems

    def _count_sales(self, row, sales, invoices, problem, common):
        for sale in sales:
            row["odoo_count"] += 1
            row["odoo_total"] += sale.amount_total
            status = invoices.get(sale.id)
            if not status:
                continue
            if status["invoice"]:
                row["invoiced_count"] += 1
                self._compare_invoice(row, sale, status, problem, common)
            elif status["expected"]:
                problem(row, "missing_accounting", sale_ids=[fields.Command.set(sale.ids)],
                        odoo_total=sale.amount_total, reason=self._invoice_reason(sale, status["note"]),
                        **common)

    def _compare_invoice(self, row, sale, status, problem, common):
        """The accounting document against the sale order (whose total the shop's was compared with):
        gross and VAT to the cent (an explicit rounding line moves cents from VAT to net), and the
        date the books need."""
        if status.get("gross") is None:
            return
        currency, values = sale.currency_id, {"sale_ids": [fields.Command.set(sale.ids)],
                                              "odoo_total": sale.amount_total, **common}
        invoice, rounding = status["invoice"], status.get("rounding") or 0.0
        if currency.compare_amounts(status["gross"], sale.amount_total):
            problem(row, "total_mismatch", reason=_("Accounting invoice %(invoice)s: gross %(remote)s, Odoo %(odoo)s.",
                                                    invoice=invoice, remote=status["gross"], odoo=sale.amount_total),
                    **values)
        if currency.compare_amounts(status["vat"] + rounding, sale.amount_tax):
            problem(row, "vat_mismatch", reason=_(
                "Accounting invoice %(invoice)s: VAT %(remote)s (rounding line %(rounding)s), Odoo %(odoo)s.",
                invoice=invoice, remote=status["vat"], rounding=rounding, odoo=sale.amount_tax), **values)
        expected = sale._shop_sync_accounting_date()
        if status.get("date") and status["date"] != expected:
            problem(row, "date_mismatch", reason=_(
                "Accounting invoice %(invoice)s is dated %(remote)s; the order's date is %(odoo)s.",
                invoice=invoice, remote=status["date"], odoo=expected), **values)

    def _why_missing(self, order):
        """The latest inbox event of a shop order and the reason of its latest import attempt."""
        backend = self.backend_id
        event = self.env["shop.sync.event"].search([
            ("backend_id", "=", backend.id), ("object", "=", "order"), ("external_id", "=", str(order.external_id))],
            limit=1)
        log = self.env["shop.sync.log"].search([
            ("backend_id", "=", backend.id), ("flow", "=", "order_import"), "|",
            ("external_id", "=", str(order.external_id)), ("external_ref", "=", order.number)], limit=1)
        if log:
            return event, " ".join(filter(None, (log.reason, log.message)))
        if event:
            return event, _("Received (%s), not processed yet.", event.state)
        return event, _("Never received: no inbox event and no log.")

    def _invoice_reason(self, sale, note):
        log = self.env["shop.sync.log"].search([
            ("flow", "=", "invoice_export"), ("res_model", "=", "sale.order"), ("res_id", "=", sale.id)], limit=1)
        return " ".join(filter(None, (note, log.reason, log.message))) or _("No attempt logged.")


class ShopSyncReconciliationDay(models.TransientModel):
    _name = "shop.sync.reconciliation.day"
    _description = "Shop Sync Reconciliation Day"
    _order = "date, currency"

    wizard_id = fields.Many2one("shop.sync.reconciliation", required=True, ondelete="cascade", index=True)
    date = fields.Date(required=True)
    currency = fields.Char()
    shop_count = fields.Integer("Shop orders")
    shop_total = fields.Float("Shop total", digits=(16, 2))
    odoo_count = fields.Integer("Sale orders")
    odoo_total = fields.Float("Odoo total", digits=(16, 2))
    invoiced_count = fields.Integer("Invoiced")
    problem_count = fields.Integer("Problems")


class ShopSyncReconciliationLine(models.TransientModel):
    _name = "shop.sync.reconciliation.line"
    _description = "Shop Sync Reconciliation Problem"
    _order = "date, id"

    wizard_id = fields.Many2one("shop.sync.reconciliation", required=True, ondelete="cascade", index=True)
    date = fields.Date()
    currency = fields.Char()
    problem = fields.Selection(PROBLEMS, required=True)
    order_number = fields.Char("Shop order")
    external_id = fields.Char()
    shop_state = fields.Char()
    shop_total = fields.Float(digits=(16, 2))
    odoo_total = fields.Float(digits=(16, 2))
    sale_ids = fields.Many2many("sale.order", string="Sale orders", groups="sales_team.group_sale_salesman")
    sale_names = fields.Char("Sale order names", compute="_compute_sale_names", compute_sudo=True)
    event_id = fields.Many2one("shop.sync.event", "Inbox event", ondelete="set null")
    reason = fields.Text()
    retried = fields.Boolean(readonly=True)
    can_retry = fields.Boolean(compute="_compute_can_retry")

    @api.depends("sale_ids")
    def _compute_sale_names(self):
        for line in self:
            line.sale_names = ", ".join(line.sale_ids.mapped("name"))

    @api.depends("problem", "external_id")
    def _compute_can_retry(self):
        for line in self:
            line.can_retry = line.problem in ("missing_odoo", "missing_accounting") or bool(
                line.problem == "unreadable" and line.external_id)

    def action_retry(self):
        """Missing in Odoo or unreadable: read the order from the shop again and process it with the
        current mappings (an unchanged order replays its inbox event, a changed one is stored as a
        manual event).  Missing in accounting: queue the invoice export again.  Nothing of the
        line but the shop's order id is trusted."""
        self.wizard_id.backend_id._check_manager()
        for line in self.sudo():
            if not line.can_retry:
                raise UserError(_("There is nothing to retry for %s.", line.order_number))
            backend = line.wizard_id.backend_id
            if line.problem == "missing_accounting":
                line.sale_ids.filtered(lambda sale: sale.shop_sync_backend_id == backend)._shop_sync_resend_accounting()
            else:
                line.event_id = line._refetch(backend)
            line.retried = True
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"message": _("Retry queued."), "type": "info"}}

    def _refetch(self, backend):
        """Read this line's order from the shop, store it (unless the inbox holds the very same
        payload: that event is replayed) and queue its processing; return the event."""
        adapter = backend._get_adapter()
        try:
            payload = adapter.fetch_order(self.external_id)
        except RemoteError as exc:
            self.env["shop.sync.log"]._record_detached(backend, "order_import", "error", ref=self.order_number,
                                                        external_id=self.external_id, reason=_("Retry failed"),
                                                        message=str(exc), response=exc.body)
            raise UserError(_("Order %(order)s could not be read from %(shop)s: %(error)s",
                              order=self.order_number, shop=backend.name, error=exc)) from exc
        if not payload:
            raise UserError(_("%(shop)s no longer returns order %(order)s.", shop=backend.name,
                              order=self.order_number))
        Event = self.env["shop.sync.event"]
        event = Event._store(backend, "manual", "order", payload, adapter=adapter) or Event.search([
            ("backend_id", "=", backend.id), ("object", "=", "order"), ("external_id", "=", self.external_id)],
            limit=1)
        event.write({"state": "pending"})
        event._enqueue()
        return event

    def action_open_sales(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "sale.order", "name": _("Sale orders"),
                "domain": [("id", "in", self.sale_ids.ids)], "view_mode": "list,form"}
