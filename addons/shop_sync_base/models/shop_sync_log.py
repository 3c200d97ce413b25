import logging

from odoo import _, api, fields, models

from ..services.server_flags import DRY_RUN, is_raised
from .shop_sync_job import requested_by

_logger = logging.getLogger(__name__)

FLOWS = [
    ("order_import", "Order import"),
    ("order_confirm", "Order confirmation"),
    ("product_import", "Product import"),
    ("product_export", "Product export"),
    ("stock_export", "Stock export"),
    ("stock_import", "Stock import"),
    ("customer_export", "Customer export"),
    ("invoice_export", "Invoice export"),
    ("fulfilment_export", "Fulfilment export"),
    ("refund_import", "Refund import"),
    ("credit_note_export", "Credit note export"),
    ("webhook", "Webhook"),
    ("connection", "Connection"),
]
EXCERPT = 4000


class ShopSyncLog(models.Model):
    """One attempt to move one thing: done, skipped (with the reason) or error (with the message)."""

    _name = "shop.sync.log"
    _inherit = "shop.sync.backend.record"
    _description = "Shop Sync Log"
    _order = "id desc"
    _rec_name = "external_ref"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, precompute=True)
    flow = fields.Selection(FLOWS, required=True, index=True)
    direction = fields.Selection([("inbound", "Inbound"), ("outbound", "Outbound")], compute="_compute_direction",
                                 store=True, precompute=True)
    state = fields.Selection([("done", "Done"), ("skipped", "Skipped"), ("error", "Error")], required=True,
                             index=True)
    external_ref = fields.Char("Reference", index="trigram", help="Order number, SKU, product number...")
    external_id = fields.Char(index=True)
    reason = fields.Char(help="Short reason, e.g. 'Order state not allowed'.")
    message = fields.Text()
    request_excerpt = fields.Text("Request")
    response_excerpt = fields.Text("Response")
    res_model = fields.Char("Odoo model")
    res_id = fields.Integer("Odoo record ID", index=True)  # an order's attempts are looked up by it
    event_id = fields.Many2one("shop.sync.event", ondelete="set null", index=True)
    retried = fields.Boolean(readonly=True, help="A retry has been queued for this attempt.")
    requested_by_id = fields.Many2one(
        "res.users", "Requested by", readonly=True, ondelete="set null",
        help="Who asked for this work: the user who clicked, the scheduled action's user or, for a webhook, "
             "the public user. The work itself runs as the company's Shop Sync job user.")

    @api.depends("flow")
    def _compute_direction(self):
        outbound = {"product_export", "stock_export", "customer_export", "invoice_export", "fulfilment_export",
                    "credit_note_export"}
        for log in self:
            log.direction = "outbound" if log.flow in outbound else "inbound"

    @api.model
    def _record(self, backend, flow, state, **kwargs):
        """Create a log record (as superuser: logging never fails on access rights)."""
        return self._record_many(backend, [(flow, state, kwargs)])

    @api.model
    def _record_many(self, backend, entries):
        """Create the log records of ``entries`` - ``(flow, state, keyword arguments of _record)`` -
        in one create (a batch logs each of its records)."""
        return self.sudo().create([self._values(backend, flow, state, **kwargs) for flow, state, kwargs in entries])

    @api.model
    def _values(self, backend, flow, state, *, ref=None, external_id=None, reason=None, message=None,
                record=None, event=None, request=None, response=None):
        values = {
            "backend_id": backend.id, "flow": flow, "state": state, "external_ref": ref,
            "external_id": external_id and str(external_id), "reason": reason, "message": message,
            "request_excerpt": request and str(request)[:EXCERPT],
            "response_excerpt": response and str(response)[:EXCERPT],
            "event_id": event.id if event else False,
            "requested_by_id": requested_by(self.env),
        }
        if record:
            values.update(res_model=record._name, res_id=record.id)
        return values

    @api.model
    def _record_detached(self, backend, flow, state, **kwargs):
        """Like ``_record`` but committed in its own transaction: survives a rollback of the caller
        (except in an import dry-run, whose every trace must be rolled back)."""
        if is_raised(self.env.cr, DRY_RUN):
            return self._record(backend, flow, state, **kwargs).id
        with self.env.registry.cursor() as cr:
            log = self.with_env(self.env(cr=cr))._record(backend.with_env(self.env(cr=cr)), flow, state, **kwargs)
            return log.id

    def action_retry(self):
        """Retry: replay the stored inbox event with the current mappings, or re-run the flow
        (Managers, like Replay: a retry may write to the remote systems)."""
        self.backend_id._check_manager()
        for log in self:
            if log.event_id:
                log.event_id._enqueue()
            else:
                log._retry_flow()
            log.retried = True
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"message": _("Retry queued."), "type": "info"}}

    def _retry_flow(self):
        """Re-run the flow of a log without a stored event, as the flow registry declares it
        (``shop.sync.backend._shop_sync_retry_flow``).  A refused confirmation's order waits for
        confirmation again first (the confirmation job takes only the orders waiting)."""
        self.ensure_one()
        if self.flow == "order_confirm" and self.res_model == "sale.order":
            sale = self.env["sale.order"].sudo().browse(self.res_id).exists()
            sale.filtered(lambda order: order.state == "draft").shop_sync_to_confirm = True
        return self.backend_id._shop_sync_retry_flow(self)

    def action_open_record(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": self.res_model, "res_id": self.res_id,
                "view_mode": "form", "target": "current"}
