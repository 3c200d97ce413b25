"""Accounting as a generic target of the hub: which shops invoice where, and when.

The base decides WHEN accounting work happens: an imported order is invoiced (once it is ready:
paid when the shop asks for paid orders only), a recorded refund gets its credit note, a cancelled
order's document is reversed, the scheduled pass catches up on what waited (from the 'Invoice
orders from' date), stock and products follow the backend's options.  An accounting addon only
implements HOW, as the job methods it declares with ``accounting_flows`` (see the README section
"Accounting contract: what an accounting addon implements").
"""

from odoo import _, fields, models
from odoo.exceptions import UserError

from .shop_sync_flow import BACKEND, Flow, _lt

ACCOUNTING_STATES = [("pending", "Waiting"), ("draft", "Draft"), ("booked", "Booked"), ("error", "Error"),
                     ("cancelled", "Cancelled")]


def accounting_flows(kind, *, invoice, credit_note, cancel, pending, stock_pull, products_import,
                     products_export):
    """The flows of the accounting connector ``kind``, for its ``_shop_sync_flow_declarations``.

    Each argument names a job method of the connector on ``shop.sync.backend`` (declare a
    ``queue.job.function`` for each, on ``shop_sync_base.channel_shop_sync_accounting``):

    * ``invoice(sale)``: one accounting document for one shop order, exactly once (lock, binding,
      look-up of the order's reference before creating); sets ``sale.accounting_state`` /
      ``accounting_document`` (``sale._shop_sync_accounting_result``) and logs under 'invoice_export'.
    * ``credit_note(refund)``: one credit note for one ``shop.sync.refund``, exactly once; sets
      ``refund.accounting_state``; waits (state 'pending') while the order has no document.
    * ``cancel(sale)``: reverse the document of an order the shop cancelled (state 'cancelled').
    * ``pending()``: the scheduled pass; implement as ``return self._accounting_export_pending()``.
    * ``stock_pull()``: the accounting system is the stock master: pull its quantities (log 'stock_import').
    * ``products_import(full=False)``: create or update Odoo products from the accounting system.
    * ``products_export(products=None)``: create or update the accounting system's products.
    """
    common = {"role": "accounting", "kind": kind}
    return [
        Flow("accounting_pending", pending, "invoice_export", "outbound", _lt("Invoice pending orders"),
             enabled_by="accounting_invoice_orders", button=(BACKEND, "action_sync_now"), retry=False, **common),
        Flow("accounting_invoice", invoice, "invoice_export", "outbound", _lt("Accounting document"),
             record_model="sale.order", button=("sale.order", "action_shop_sync_send_accounting"), **common),
        Flow("accounting_credit_note", credit_note, "credit_note_export", "outbound", _lt("Credit note"),
             record_model="shop.sync.refund", button=("shop.sync.log", "action_retry"), **common),
        Flow("accounting_cancel", cancel, "invoice_export", "outbound", _lt("Reverse cancelled order"),
             record_model="sale.order", retry=False, **common),
        Flow("accounting_stock_pull", stock_pull, "stock_import", "inbound", _lt("Pull stock"),
             enabled_by="accounting_stock_master", button=(BACKEND, "action_accounting_pull_stock"), **common),
        Flow("accounting_products_import", products_import, "product_import", "inbound",
             _lt("Import products from accounting"), enabled_by="accounting_import_products",
             button=(BACKEND, "action_sync_now"), **common),
        Flow("accounting_products_full_import", products_import, "product_import", "inbound",
             _lt("Import all products from accounting"), button=(BACKEND, "action_accounting_import_products"),
             kwargs=(("full", True),), retry=False, **common),
        Flow("accounting_products_export", products_export, "product_export", "outbound",
             _lt("Export products to accounting"), button=(BACKEND, "action_accounting_export_products"),
             retry=False, **common),
    ]


class ShopSyncBackend(models.Model):
    _inherit = "shop.sync.backend"

    # shop side: where the orders of this shop are invoiced
    accounting_backend_id = fields.Many2one(
        "shop.sync.backend", "Accounting backend", ondelete="set null", check_company=True,
        domain="[('role', '=', 'accounting'), ('company_id', '=', company_id), ('id', '!=', id)]",
        help="Imported orders of this shop are invoiced in this accounting system.")
    accounting_require_paid = fields.Boolean(
        "Invoice paid orders only",
        help="Only orders whose shop state is marked 'Paid' in the order states are invoiced.")
    # accounting side
    shop_backend_ids = fields.One2many("shop.sync.backend", "accounting_backend_id", "Shops invoiced here")
    accounting_invoice_orders = fields.Boolean(
        "Create accounting documents", default=True,
        help="One accounting document (e.g. a draft invoice) per shop order of the linked shops.")
    accounting_invoice_from = fields.Date(
        "Invoice orders from", default=fields.Date.context_today,
        help="Orders placed before this date are never invoiced by the scheduled pass.")
    accounting_stock_master = fields.Boolean(
        "Accounting is the stock master",
        help="Pull the available quantity of the accounting system's products into this backend's warehouse.")
    accounting_import_products = fields.Boolean(
        "Import products from accounting",
        help="Create or update Odoo products from the accounting system (matched by SKU) so the shops can "
             "export them.")

    def write(self, vals):
        mastering = self.filtered("accounting_stock_master")
        result = super().write(vals)
        stopped = mastering.filtered(lambda backend: not backend.accounting_stock_master or not backend.active)
        if stopped:
            self.env["shop.sync.stock.master"]._unlock(stopped)
        return result

    # -- the connector's client -------------------------------------------------------------------
    def _get_adapter(self):
        """An accounting backend's connection test goes through its client."""
        if self.role == "accounting":
            return self._accounting_client()
        return super()._get_adapter()

    def _accounting_client(self):
        """The API client of this accounting backend, used by the base's accounting flows (see
        ``shop_sync_accounting_exporter`` / ``_importer``): connectors implement it for their kind."""
        self.ensure_one()
        raise UserError(_("No connector is installed for backend %(name)s (%(kind)s).", name=self.name,
                          kind=self.kind))

    # -- when -------------------------------------------------------------------------------------
    def _accounting_active(self):
        """Whether this accounting backend creates documents for its shops' orders now."""
        self.ensure_one()
        return self.role == "accounting" and self.active and self.accounting_invoice_orders

    def _accounting_not_ready(self, sale):
        """Why ``sale`` is not (yet) to be invoiced in this backend; None when it is.  Connectors may
        add their own reasons (``super()`` first)."""
        self.ensure_one()
        shop = sale.shop_sync_backend_id
        if not shop or shop.accounting_backend_id != self:
            return _("The order does not come from a shop invoiced in %s.", self.name)
        if sale.state == "cancel":
            return _("The order is cancelled.")
        if sale.shop_sync_to_confirm:
            return _("The order is waiting for its confirmation.")
        if not sale.order_line.filtered(lambda line: not line.display_type):
            return _("The order has no lines.")
        if shop.accounting_require_paid:
            paid = shop.order_state_ids.filtered("accounting_paid").mapped("code")
            if sale.shop_order_state not in paid:
                return _("The order is not paid yet (shop state %s).", sale.shop_order_state or "?")
        return None

    def _accounting_enqueue_invoice(self, sale):
        self.ensure_one()
        return self._shop_sync_enqueue("accounting_invoice", sale, description=_(
            "Accounting document in %(backend)s: %(order)s", backend=self.name,
            order=sale.shop_order_number or sale.name))

    def _accounting_enqueue_credit_note(self, refund):
        self.ensure_one()
        return self._shop_sync_enqueue("accounting_credit_note", refund, description=_(
            "Credit note in %(backend)s: %(refund)s", backend=self.name, refund=refund.name))

    def _accounting_enqueue_cancel(self, sale):
        self.ensure_one()
        return self._shop_sync_enqueue("accounting_cancel", sale, description=_(
            "Reverse cancelled order in %(backend)s: %(order)s", backend=self.name,
            order=sale.shop_order_number or sale.name))

    def _accounting_export_pending(self):
        """The scheduled pass (the connector's ``pending`` job calls it): queue the document of every
        imported order of the linked shops still waiting for one (placed from 'Invoice orders from',
        ready), and the credit notes of refunds whose order has its document now (or was cancelled:
        they are closed).  Returns how many orders were queued."""
        self.ensure_one()
        sales = self.env["sale.order"].search([
            ("shop_sync_backend_id.accounting_backend_id", "=", self.id),
            ("accounting_state", "in", (False, "pending")),
            ("state", "!=", "cancel"),
            ("date_order", ">=", fields.Datetime.to_datetime(self.accounting_invoice_from or fields.Date.today())),
        ], order="date_order, id")
        ready = sales.filtered(lambda sale: not self._accounting_not_ready(sale))
        for sale in ready:
            self._accounting_enqueue_invoice(sale)
        refunds = self.env["shop.sync.refund"].search([
            ("sale_order_id.shop_sync_backend_id.accounting_backend_id", "=", self.id),
            ("accounting_state", "=", "pending"),
            ("sale_order_id.accounting_state", "in", ("draft", "booked", "cancelled"))])
        for refund in refunds:
            self._accounting_enqueue_credit_note(refund)
        return len(ready)

    # -- what the connector reads back ------------------------------------------------------------
    def _accounting_documents(self, sales):
        """Reconciliation: ``{sale id: {"gross", "vat", "rounding", "date"}}`` of the documents of
        ``sales`` (bound to this backend) as the accounting system holds them; orders whose document
        could not be read are left out.  Connectors implement it; the base reads nothing."""
        self.ensure_one()
        return {}

    # -- buttons ----------------------------------------------------------------------------------
    def action_accounting_export_products(self):
        """Create or update every product with an internal reference in the accounting system."""
        self._check_manager()
        for backend in self:
            backend._shop_sync_enqueue("accounting_products_export")
        return self._notify(_("Product export queued."), "info")

    def action_accounting_pull_stock(self):
        self._check_manager()
        not_master = self.filtered(lambda backend: not backend.accounting_stock_master)
        if not_master:
            raise UserError(_("The accounting system is not the stock master of %s: enable the option first.",
                              ", ".join(not_master.mapped("name"))))
        for backend in self:
            backend._shop_sync_enqueue("accounting_stock_pull")
        return self._notify(_("Stock pull queued."), "info")

    def action_accounting_import_products(self):
        """One-time import of every product of the accounting system (not only recent changes)."""
        self._check_manager()
        for backend in self:
            backend._shop_sync_enqueue("accounting_products_full_import")
        return self._notify(_("Product import queued."), "info")


class ShopSyncOrderState(models.Model):
    _inherit = "shop.sync.order.state"

    accounting_paid = fields.Boolean(
        "Paid", help="Orders in this state are paid: with 'Invoice paid orders only', only they are invoiced.")


class ShopSyncRefund(models.Model):
    _inherit = "shop.sync.refund"

    accounting_state = fields.Selection(
        ACCOUNTING_STATES[:4] + [("cancelled", "Cancelled with the order")], "Credit note", readonly=True,
        copy=False, index=True, help="Waiting: the credit note waits for the order's document or is retried. "
                                     "Cancelled with the order: the order's reversal deleted its credit note, or "
                                     "credits the refund with the rest of the order.")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    accounting_backend_id = fields.Many2one(related="shop_sync_backend_id.accounting_backend_id",
                                            string="Accounting backend")
    accounting_state = fields.Selection(
        ACCOUNTING_STATES, "Accounting", readonly=True, copy=False, index=True,
        help="Waiting: the accounting document is queued or will be retried. Error: see the sync log, fix and "
             "resend.")
    accounting_document = fields.Char(
        "Accounting document", readonly=True, copy=False,
        help="The accounting system's reference of this order's document (e.g. draft:12, booked:7).")

    # -- the base's hooks (called by the order and refund imports) --------------------------------
    def _shop_sync_imported(self):
        """Queue the accounting document of orders whose shop invoices in accounting (when ready;
        otherwise they wait for the scheduled pass)."""
        result = super()._shop_sync_imported()
        for sale in self:
            accounting = sale.accounting_backend_id
            if accounting and accounting._accounting_active():
                sale.accounting_state = "pending"
                if not accounting._accounting_not_ready(sale):
                    accounting._accounting_enqueue_invoice(sale)
        return result

    def _shop_sync_accounting_refund(self, refund):
        result = super()._shop_sync_accounting_refund(refund)
        accounting = self.accounting_backend_id
        if accounting and accounting._accounting_active():
            refund.accounting_state = "pending"
            accounting._accounting_enqueue_credit_note(refund)
        return result

    def _shop_sync_accounting_cancel(self):
        result = super()._shop_sync_accounting_cancel()
        for sale in self:
            accounting = sale.accounting_backend_id
            if accounting and accounting._accounting_active():
                accounting._accounting_enqueue_cancel(sale)
        return result

    def _shop_sync_accounting_result(self, state, document=None):
        """For connectors: record the outcome of the order's accounting job (``document``: the remote
        reference, e.g. 'draft:12'; kept when not given).  Once the order has its document, the credit
        notes of refunds that were waiting for it are queued now, not at the next scheduled pass (a refund
        that comes with its order arrives before the order is confirmed and invoiced)."""
        values = {"accounting_state": state}
        if document is not None:
            values["accounting_document"] = document
        self.write(values)
        if state in ("draft", "booked"):
            for sale in self:
                for refund in sale.shop_refund_ids.filtered(lambda refund: refund.accounting_state == "pending"):
                    sale.accounting_backend_id._accounting_enqueue_credit_note(refund)

    def _shop_sync_accounting_status(self):
        """Reconciliation of the orders invoiced in an accounting system: the binding to the accounting
        backend is the document, the backend's ``_accounting_documents`` its amounts."""
        result = super()._shop_sync_accounting_status()
        accountings = self.accounting_backend_id.filtered(
            lambda backend: backend.role == "accounting" and backend.accounting_invoice_orders)
        bound = {(binding.backend_id.id, binding.res_id): binding.external_id
                 for binding in self.env["shop.sync.binding"].sudo().search([
                     ("backend_id", "in", accountings.ids), ("model", "=", "sale.order"), ("res_id", "in", self.ids)])}
        states = dict(self._fields["accounting_state"]._description_selection(self.env))
        for accounting in accountings:
            sales = self.filtered(lambda sale, accounting=accounting: sale.accounting_backend_id == accounting)
            documents = accounting._accounting_documents(
                sales.filtered(lambda sale, accounting=accounting: (accounting.id, sale.id) in bound))
            for sale in sales:
                invoice = bound.get((accounting.id, sale.id), "")
                too_early = accounting.accounting_invoice_from and \
                    sale.date_order.date() < accounting.accounting_invoice_from
                not_ready = accounting._accounting_not_ready(sale)
                result[sale.id] = {"invoice": invoice, "expected": not (invoice or too_early or not_ready),
                                   "note": states.get(sale.accounting_state) or _("Not queued"),
                                   **documents.get(sale.id, {})}
        return result

    def _shop_sync_resend_accounting(self):
        """(Re)queue the accounting document of these orders (after fixing an error)."""
        return self.action_shop_sync_send_accounting()

    def action_shop_sync_send_accounting(self):
        """Button: (re)queue the accounting document of these orders (Shop Sync Users of the company)."""
        self.check_access("read")
        self.accounting_backend_id._check_access_company()
        for sale in self:
            accounting = sale.accounting_backend_id
            if not accounting or accounting.role != "accounting":
                raise UserError(_("Order %s does not come from a shop invoiced in an accounting system.", sale.name))
            sale.sudo().accounting_state = "pending"
            accounting._accounting_enqueue_invoice(sale)
        return self.env["shop.sync.backend"]._notify(_("Accounting document queued."), "info")
