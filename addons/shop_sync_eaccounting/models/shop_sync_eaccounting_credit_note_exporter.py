from odoo import _, api, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.shop_sync_base.services.amounts import balance_nets
from odoo.addons.shop_sync_base.services.http import RemoteError, create_once

from ..services.client import AuthorisationError
from .shop_sync_eaccounting_document_exporter import DOCUMENTS

CREDIT_REFERENCE = "SHOPSYNC:{backend}:{number}:R{refund}"
CANCEL_REFERENCE = "SHOPSYNC:{backend}:{number}:CANCEL"
DRAFTS = DOCUMENTS["draft"][0]


class ShopSyncEaccountingCreditNoteExporter(models.AbstractModel):
    """Shop refunds and cancellations reversed in eAccounting, exactly once.

    A credit note is a customer invoice draft marked ``IsCreditInvoice`` with negative rows: the
    order's customer, destination and articles (so the same codings: revenue accounts and VAT),
    stamped ``SHOPSYNC:<shop>:<order>:R<refund id>`` in ``OurReference`` and looked up by it before
    every create and after a POST answered 5xx or lost.  Never converted to an invoice here.  A
    cancelled order's document (and its refunds' credit note drafts) is deleted when this hub
    created it and it is still a draft or order; an invoice gets a credit note for what is left."""

    _name = "shop.sync.eaccounting.credit.note.exporter"
    _description = "eAccounting Credit Note Export"

    @api.model
    def _reference(self, refund):
        sale = refund.sale_order_id
        return CREDIT_REFERENCE.format(backend=sale.shop_sync_backend_id.id, number=sale.shop_order_number or sale.name,
                                       refund=refund.external_id)

    @api.model
    def _export(self, backend, refund):
        Log = self.env["shop.sync.log"]
        Binding = self.env["shop.sync.binding"]
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        sale = refund.sale_order_id
        reference = self._reference(refund)
        Binding._lock(backend, "shop.sync.refund", reference)
        common = {"ref": sale.shop_order_number or sale.name, "record": refund}
        binding = Binding._for_record(backend, refund)
        if binding:
            return Log._record(backend, "credit_note_export", "skipped", reason=_("Already in eAccounting"),
                               external_id=binding.external_id,
                               message=_("Already sent as %s.", binding.external_id), **common)
        if not Binding._for_record(backend, sale):
            refund.accounting_state = "pending"
            return Log._record(backend, "credit_note_export", "skipped", reason=_("Waiting for the document"),
                               message=_(
                "Order %(order)s has no document in eAccounting yet: the credit note of refund %(refund)s is sent by "
                "the scheduled pass once it has one.", order=sale.shop_order_number or sale.name,
                refund=refund.external_id), **common)
        payload = None
        try:
            client = backend._eacc_client()
            document, _kind = Documents._find(client, "draft", reference)
            if not document:
                plan = Documents._plan(backend, sale, self._refund_entries(refund, -1), gross=-refund.amount_total)
                payload = Documents._payload(backend, client, sale, reference, "draft", plan, credit=True)
                document = self._create(client, payload, reference)
            Binding._bind(backend, refund, f"draft:{document['Id']}", reference)
            refund.accounting_state = "draft"
            gross, vat, _roundings = Documents._amounts(document, "draft")
            return Log._record(backend, "credit_note_export", "done", external_id=f"draft:{document['Id']}",
                               request=payload, message=_(
                                   "Credit note draft for refund %(refund)s: %(gross)s %(currency)s gross, %(vat)s "
                                   "VAT.", refund=refund.external_id, gross=gross, vat=vat,
                                   currency=sale.currency_id.name), **common)
        except RemoteError as exc:
            if not isinstance(exc, AuthorisationError):
                backend._shop_sync_retry_later("credit_note_export", exc, message=str(exc), request=payload,
                                               reason=_("Credit note not created (will retry)"), **common)
            transient = isinstance(exc, AuthorisationError) or (
                (exc.retryable or exc.uncertain) and exc.status not in (400, 401, 403))
            refund.accounting_state = "pending" if transient else "error"
            return Log._record(backend, "credit_note_export", "error", reason=_("Credit note not created (will retry)")
                               if transient else _("Credit note not created"), message=str(exc), request=payload,
                               response=exc.body, **common)
        except (UserError, ValidationError) as exc:
            refund.accounting_state = "error"
            return Log._record(backend, "credit_note_export", "error", reason=_("Credit note not created"),
                               message=str(exc), request=payload, **common)

    @api.model
    def _create(self, client, payload, reference):
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        return create_once(lambda: client.post(DRAFTS, payload),
                           lambda: Documents._find(client, "draft", reference, invoices=False)[0])

    @api.model
    def _refund_entries(self, refund, sign):
        """Plan entries of a refund's lines with ``sign`` (-1: credited), taxed as their order lines;
        an amount refunded without items is one unit."""
        return [(line, sign * (line.quantity or 1), sign * line.price_subtotal, line.sale_line_id)
                for line in refund.line_ids]

    # -- cancellations ----------------------------------------------------------------------------
    @api.model
    def _cancel(self, backend, sale):
        """Reverse a cancelled order: delete its draft or order (and its refunds' credit note drafts)
        when this hub created them, or credit what is left of an invoice."""
        Log = self.env["shop.sync.log"]
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        reference, binding, common = Documents._lock_order(backend, sale)
        try:
            client = backend._eacc_client()
            if binding:
                kind, document_id = binding.external_id.split(":", 1)
            else:
                document, kind = Documents._find(client, backend.eacc_document_type, reference, sale=sale)
                if not document:
                    sale._shop_sync_accounting_result("cancelled")
                    return Log._record(backend, "invoice_export", "done", reason=_("Order cancelled"), message=_(
                        "The order was cancelled before it had a document in eAccounting: nothing to reverse."),
                        **common)
                document_id = document["Id"]
            if kind == "invoice":
                return self._credit_invoice(backend, client, sale, document_id, common)
            return self._delete(backend, client, sale, kind, document_id, reference, common)
        except RemoteError as exc:
            if not isinstance(exc, AuthorisationError):
                backend._shop_sync_retry_later("invoice_export", exc, message=str(exc),
                                               reason=_("Cancellation not applied (will retry)"), **common)
            return Log._record(backend, "invoice_export", "error", reason=_("Cancellation not applied"),
                               message=str(exc), response=exc.body, **common)
        except (UserError, ValidationError) as exc:
            return Log._record(backend, "invoice_export", "error", reason=_("Cancellation not applied"),
                               message=str(exc), **common)

    @api.model
    def _delete(self, backend, client, sale, kind, document_id, reference, common):
        Binding = self.env["shop.sync.binding"]
        credit_notes = Binding.search([("backend_id", "=", backend.id), ("model", "=", "shop.sync.refund"),
                                       ("res_id", "in", sale.shop_refund_ids.ids)])
        targets = [(DOCUMENTS[kind][0], document_id, reference, None)] + [
            (DRAFTS, bound.external_id.split(":", 1)[1], bound.external_ref, bound) for bound in credit_notes]
        for collection, remote_id, stamp, bound in targets:
            document = client.get_or_none(f"{collection}/{remote_id}")
            if document and self.env["shop.sync.eaccounting.document.exporter"]._stamp(document) != stamp:
                raise UserError(_("Document %(id)s in eAccounting is not the one this hub created (its reference is "
                                  "not %(stamp)s): it is not deleted.", id=remote_id, stamp=stamp))
            if document:
                client.delete(f"{collection}/{remote_id}")
            if bound:
                bound._record().write({"accounting_state": "cancelled"})
                bound.unlink()
        Binding._for_record(backend, sale).unlink()
        sale._shop_sync_accounting_result("cancelled", "")
        return self.env["shop.sync.log"]._record(
            backend, "invoice_export", "done", reason=_("Order cancelled"), external_id=f"{kind}:{document_id}",
            message=_("The order was cancelled: its %(document)s (and %(count)s credit note drafts) deleted in "
                      "eAccounting.", document=self.env["shop.sync.eaccounting.document.exporter"]._label(kind).lower(),
                      count=len(credit_notes)), **common)

    @api.model
    def _credit_invoice(self, backend, client, sale, invoice_id, common):
        """A credit note for the invoice minus the refunds credited already."""
        Log = self.env["shop.sync.log"]
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        reference = CANCEL_REFERENCE.format(backend=sale.shop_sync_backend_id.id,
                                            number=sale.shop_order_number or sale.name)
        self.env["shop.sync.binding"]._lock(backend, "sale.order", reference)
        document, _kind = Documents._find(client, "draft", reference, invoices=False)
        if not document:
            credited = sale.shop_refund_ids.filtered(lambda refund: refund.accounting_state in ("draft", "booked"))
            order_lines = sale.order_line.filtered(lambda line: not line.display_type)
            entries = [(line, -line.product_uom_qty, -net, line) for line, net in zip(
                order_lines, balance_nets(order_lines.mapped("price_subtotal"), sale.amount_untaxed))]
            for refund in credited:
                entries += self._refund_entries(refund, 1)
            gross = -(sale.amount_total - sum(credited.mapped("amount_total")))
            plan = Documents._plan(backend, sale, entries, gross=gross)
            document = self._create(client, Documents._payload(backend, client, sale, reference, "draft", plan,
                                                               credit=True), reference)
        sale._shop_sync_accounting_result("cancelled")
        return Log._record(backend, "credit_note_export", "done", reason=_("Order cancelled"),
                           external_id=f"draft:{document['Id']}", message=_(
                               "The order was cancelled: a credit note draft reverses invoice %s.", invoice_id),
                           **common)
