from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.http import RemoteError

from .shop_sync_eaccounting_document_exporter import DATES, DOCUMENTS


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_eacc_convert(self):
        """Convert the eAccounting customer invoice draft of these orders into an invoice (an
        explicit Manager action: never done automatically).  eAccounting converts only when the
        draft's totals still equal the shop's gross and VAT, which the request names."""
        self.check_access("read")
        self.accounting_backend_id._check_manager()
        Log = self.env["shop.sync.log"]
        Documents = self.env["shop.sync.eaccounting.document.exporter"].sudo()
        logs = Log
        for sale in self.sudo():
            backend = sale.accounting_backend_id
            if backend.kind != "eaccounting":
                raise UserError(_("Order %s is not invoiced in eAccounting.", sale.name))
            reference, binding, common = Documents._lock_order(backend, sale)
            if not binding or not binding.external_id.startswith("draft:"):
                logs |= Log._record(backend, "invoice_export", "skipped", reason=_("Nothing to convert"),
                                    message=_("The order has no eAccounting customer invoice draft."), **common)
                continue
            draft_id = binding.external_id.split(":", 1)[1]
            try:
                client = backend._eacc_client()
                draft = client.get_or_none(f"{DOCUMENTS['draft'][0]}/{draft_id}")
                if draft is None:  # converted in eAccounting itself: its invoice carries our reference
                    invoice, kind = Documents._find(client, "draft", reference)
                    if kind != "invoice":
                        raise UserError(_("Customer invoice draft %s is gone from eAccounting and no invoice carries "
                                          "its reference.", draft_id))
                else:
                    invoice = self._eacc_convert_draft(client, sale, draft, reference)
            except (RemoteError, UserError) as exc:
                logs |= Log._record(backend, "invoice_export", "error", reason=_("Draft not converted"),
                                    message=str(exc), response=getattr(exc, "body", None),
                                    external_id=binding.external_id, **common)
                continue
            Documents._bind(backend, sale, "invoice", invoice, reference)
            logs |= Log._record(backend, "invoice_export", "done", reason=_("Converted"),
                                external_id=f"invoice:{invoice['Id']}",
                                message=_("Customer invoice draft converted into invoice %s.",
                                          invoice.get("InvoiceNumber") or invoice["Id"]), **common)
        errors = logs.filtered(lambda log: log.state != "done")
        if errors:
            return self.env["shop.sync.backend"]._notify(
                _("Not converted: %s", "; ".join(errors.mapped("message"))), "danger")
        return self.env["shop.sync.backend"]._notify(_("Converted into invoices in eAccounting."), "success")


    def _eacc_convert_draft(self, client, sale, draft, reference):
        """Convert ``draft`` naming the shop's totals; a lost answer is looked up by ``reference``."""
        Documents = self.env["shop.sync.eaccounting.document.exporter"].sudo()
        rounding = float(Documents._rounding_amount(draft))
        try:
            return client.post(f"{DOCUMENTS['draft'][0]}/{draft['Id']}/convert", {
                "TotalAmountInvoiceCurrency": sale.amount_total,
                "TotalVatAmountInvoiceCurrency": sale.amount_tax - rounding})
        except RemoteError as exc:
            # lost answer: the draft may be an invoice now; look for it by our reference
            found, kind = Documents._find(client, "draft", reference) if exc.uncertain else (None, None)
            if kind != "invoice":
                raise
            return found


class ShopSyncBackend(models.Model):
    _inherit = "shop.sync.backend"

    def _accounting_documents(self, sales):
        """Reconciliation: the bound documents as eAccounting holds them (one read each); an
        eAccounting that cannot be read leaves them out, with an error log."""
        if self.kind != "eaccounting":
            return super()._accounting_documents(sales)
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        bindings = self.env["shop.sync.binding"].sudo().search([
            ("backend_id", "=", self.id), ("model", "=", "sale.order"), ("res_id", "in", sales.ids)])
        result = {}
        try:
            client = self._eacc_client()
            for binding in bindings:
                kind, document_id = binding.external_id.split(":", 1)
                document = client.get_or_none(f"{DOCUMENTS[kind][0]}/{document_id}")
                if document is None and kind == "draft":  # converted in eAccounting itself: its invoice
                    document, kind = Documents._find(client, "draft", binding.external_ref)
                if document is None:
                    continue
                gross, vat, _roundings = Documents._amounts(document, kind)
                date = document.get(DATES[kind])
                result[binding.res_id] = {"gross": float(gross), "vat": float(vat),
                                          "rounding": float(Documents._rounding_amount(document)),
                                          "date": fields.Date.to_date(date[:10]) if date else False}
        except (RemoteError, UserError) as exc:
            self.env["shop.sync.log"]._record(self, "invoice_export", "error",
                                               reason=_("Reconciliation: documents not read"), message=str(exc),
                                               response=getattr(exc, "body", None))
        return result
