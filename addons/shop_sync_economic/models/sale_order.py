from odoo import _, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    economic_backend_id = fields.Many2one(related="shop_sync_backend_id.accounting_backend_id",
                                          string="Accounting backend")
    economic_invoice_state = fields.Selection(
        [("pending", "Waiting"), ("draft", "Draft invoice"), ("booked", "Booked"), ("error", "Error")],
        "e-conomic", readonly=True, copy=False, index=True,
        help="Waiting: the draft invoice is queued or will be retried. Error: see the sync log, fix and resend.")
    economic_draft_number = fields.Integer("e-conomic draft invoice", readonly=True, copy=False)
    economic_booked_number = fields.Integer("e-conomic invoice", readonly=True, copy=False)

    def _shop_sync_imported(self):
        result = super()._shop_sync_imported()
        for sale in self:
            accounting = sale.economic_backend_id
            if accounting.kind == "economic" and accounting.active and accounting.economic_invoice_orders:
                sale.economic_invoice_state = "pending"
                if not self.env["shop.sync.economic.invoice.exporter"]._not_ready(accounting, sale):
                    accounting._economic_enqueue_invoice(sale)
        return result

    def _shop_sync_accounting_status(self):
        result = super()._shop_sync_accounting_status()
        Exporter = self.env["shop.sync.economic.invoice.exporter"]
        accounting = self.economic_backend_id.filtered(lambda b: b.kind == "economic" and b.economic_invoice_orders)
        bound = {(binding.backend_id.id, binding.res_id): binding.external_id
                 for binding in self.env["shop.sync.binding"].sudo().search([
                     ("backend_id", "in", accounting.ids), ("model", "=", "sale.order"), ("res_id", "in", self.ids)])}
        states = dict(self._fields["economic_invoice_state"]._description_selection(self.env))
        for sale in self.filtered(lambda sale: sale.economic_backend_id in accounting):
            backend = sale.economic_backend_id
            invoice = bound.get((backend.id, sale.id), "")
            too_early = backend.economic_invoice_from and sale.date_order.date() < backend.economic_invoice_from
            not_ready = Exporter._not_ready(backend, sale)
            result[sale.id] = {
                "invoice": invoice, "expected": not (invoice or too_early or not_ready),
                "note": states.get(sale.economic_invoice_state) or _("Not queued"),
            }
        return result

    def _shop_sync_resend_accounting(self):
        return self.action_economic_send()

    def action_economic_send(self):
        """(Re)queue the draft invoice of these orders (after fixing an error)."""
        self.economic_backend_id._check_access_company()
        for sale in self:
            backend = sale._economic_backend()
            sale.economic_invoice_state = "pending"
            backend._economic_enqueue_invoice(sale)
        return self.env["shop.sync.backend"]._notify(_("Draft invoice queued."), "info")

    def action_economic_book(self):
        """Book the e-conomic draft invoice of these orders (never done automatically)."""
        self.economic_backend_id._check_manager()
        Exporter = self.env["shop.sync.economic.invoice.exporter"]
        logs = self.env["shop.sync.log"]
        for sale in self:
            logs |= Exporter._book(sale._economic_backend(), sale)
        errors = logs.filtered(lambda log: log.state != "done")
        if errors:
            return self.env["shop.sync.backend"]._notify(
                _("Not booked: %s", "; ".join(errors.mapped("message"))), "danger")
        return self.env["shop.sync.backend"]._notify(_("Booked in e-conomic."), "success")

    def _economic_backend(self):
        self.ensure_one()
        backend = self.economic_backend_id
        if backend.kind != "economic":
            raise UserError(_("Order %s does not come from a shop invoiced in e-conomic.", self.name))
        return backend
