from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.http import RemoteError

from ..services.client import MAX_IN_LIST, is_in


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
        documents = self._economic_documents(accounting, bound)
        for sale in self.filtered(lambda sale: sale.economic_backend_id in accounting):
            backend = sale.economic_backend_id
            invoice = bound.get((backend.id, sale.id), "")
            too_early = backend.economic_invoice_from and sale.date_order.date() < backend.economic_invoice_from
            not_ready = Exporter._not_ready(backend, sale)
            result[sale.id] = {
                "invoice": invoice, "expected": not (invoice or too_early or not_ready),
                "note": states.get(sale.economic_invoice_state) or _("Not queued"),
            }
            document = documents.get((backend.id, invoice))
            if document:
                result[sale.id].update(gross=document.get("grossAmount", 0.0), vat=document.get("vatAmount", 0.0),
                                       rounding=Exporter._rounding_amount(document),
                                       date=fields.Date.to_date(document.get("date")))
        return result

    def _economic_documents(self, accounting, bound):
        """``{(backend id, "draft:<n>" | "booked:<n>"): document}`` of the bound invoices, read from
        e-conomic 200 at a time; a document whose VAT differs from the order's is read alone for its
        lines (a rounding line explains cents).  An e-conomic that cannot be read leaves them out."""
        Exporter = self.env["shop.sync.economic.invoice.exporter"]
        sales = {(backend_id, external_id): res_id for (backend_id, res_id), external_id in bound.items()}
        documents = {}
        for backend in accounting:
            try:
                client = backend._economic_client()
                for kind, path, key in (("draft", "invoices/drafts", "draftInvoiceNumber"),
                                        ("booked", "invoices/booked", "bookedInvoiceNumber")):
                    numbers = [int(external_id.split(":", 1)[1]) for backend_id, external_id in sales
                               if backend_id == backend.id and external_id.startswith(f"{kind}:")]
                    for start in range(0, len(numbers), MAX_IN_LIST):
                        for document in client.iterate(path, filter=is_in(key, numbers[start:start + MAX_IN_LIST])):
                            external_id = f"{kind}:{document[key]}"
                            sale = self.browse(sales[backend.id, external_id])
                            if sale.currency_id.compare_amounts(document.get("vatAmount", 0.0), sale.amount_tax):
                                document = Exporter._full(client, document, kind)
                            documents[backend.id, external_id] = document
            except (RemoteError, UserError) as exc:
                self.env["shop.sync.log"]._record(backend, "invoice_export", "error",
                                                   reason=_("Reconciliation: invoices not read"), message=str(exc),
                                                   response=getattr(exc, "body", None))
        return documents

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
