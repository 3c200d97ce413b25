from odoo import _, api, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    economic_backend_id = fields.Many2one(related="shop_sync_backend_id.accounting_backend_id",
                                          string="Accounting backend (e-conomic view)")
    economic_invoice_state = fields.Selection(related="accounting_state", string="e-conomic")
    economic_draft_number = fields.Integer("e-conomic draft invoice", readonly=True, copy=False)
    economic_booked_number = fields.Integer("e-conomic invoice", readonly=True, copy=False)

    @api.model
    def _shop_sync_protected_fields(self):
        """The base's guard covers e-conomic's names of the state and its document numbers too."""
        return super()._shop_sync_protected_fields() | {
            "economic_invoice_state", "economic_draft_number", "economic_booked_number",
            "economic_cancel_credit_note_number"}

    def action_economic_send(self):
        """(Re)queue the draft invoice of these orders (the base's button, under its first name)."""
        return self.action_shop_sync_send_accounting()

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
