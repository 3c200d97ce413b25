from odoo import _, api, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.http import create_once

from ..services.client import AuthorisationError
from .shop_sync_eaccounting_document_exporter import DOCUMENTS

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
    _inherit = "shop.sync.accounting.credit.note.exporter"
    _description = "eAccounting Credit Note Export"
    _accounting_system = "eAccounting"

    @api.model
    def _remote_failure_waits(self, exc):
        """A refused authorisation waits too: the scheduled pass sends it once authorised again."""
        return isinstance(exc, AuthorisationError) or super()._remote_failure_waits(exc)

    # -- refunds (the base's flow: ``_export``) ---------------------------------------------------
    @api.model
    def _waiting_for_document(self, sale, refund):
        message = _("Order %(order)s has no document in eAccounting yet: the credit note of refund %(refund)s is "
                    "sent by the scheduled pass once it has one.", order=self._order_number(sale),
                    refund=refund.external_id)
        return _("Waiting for the document"), message

    @api.model
    def _credit_note_found(self, backend, client, refund, reference, common):
        document, kind = self.env["shop.sync.eaccounting.document.exporter"]._find(client, "draft", reference)
        return self._credit_note_bound(backend, refund, document, kind, reference, None, common) if document else None

    @api.model
    def _credit_note_payload(self, backend, client, refund, reference, order_document):
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        sale = refund.sale_order_id
        plan = Documents._plan(backend, sale, self._refund_entries(refund, -1), gross=-refund.amount_total)
        return Documents._payload(backend, client, sale, reference, "draft", plan, credit=True,
                                  date=refund._shop_sync_accounting_date())

    @api.model
    def _credit_note_created(self, backend, client, refund, reference, payload, common):
        document = self._create(client, payload, reference)
        problem = self._refund_difference(refund, document, "draft")
        if problem:  # this attempt created it: deleted again, as an order's document is
            client.delete(f"{DRAFTS}/{document['Id']}")
            refund.accounting_state = "error"
            note = self.env["shop.sync.eaccounting.document.exporter"]._price_setting_changed(
                backend, payload.get("CustomerIsPrivatePerson"), document)
            return self.env["shop.sync.log"]._record(
                backend, "credit_note_export", "error", reason=_("Totals differ: credit note deleted"),
                external_id=f"draft:{document['Id']}", request=payload, response=document,
                message=_("%(problem)s The credit note draft created by this attempt was deleted again.%(note)s",
                          problem=problem, note=note), **common)
        return self._credit_note_bound(backend, refund, document, "draft", reference, payload, common)

    @api.model
    def _refund_difference(self, refund, document, kind):
        """Why the credit note does not credit what the shop refunded (its gross and VAT, negative),
        or None."""
        return self.env["shop.sync.eaccounting.document.exporter"]._totals_difference(
            refund.sale_order_id.currency_id, document, kind, -refund.amount_total, -refund.amount_tax)

    @api.model
    def _credit_note_bound(self, backend, refund, document, kind, reference, payload, common):
        """Bind the credit note (a draft, or the invoice it was converted into: ``kind``); one whose
        totals differ (an earlier attempt made it: never deleted) is bound in error."""
        self.env["shop.sync.binding"]._bind(backend, refund, f"{kind}:{document['Id']}", reference)
        problem = self._refund_difference(refund, document, kind)
        refund.accounting_state = "error" if problem else "booked" if kind == "invoice" else "draft"
        if problem:
            return self.env["shop.sync.log"]._record(
                backend, "credit_note_export", "error", reason=_("Totals differ"),
                external_id=f"{kind}:{document['Id']}", response=document, message=_(
                    "%s The credit note draft was created by an earlier attempt: it is bound, not deleted; check it "
                    "in eAccounting.", problem), **common)
        gross, vat, _roundings = self.env["shop.sync.eaccounting.document.exporter"]._amounts(document, kind)
        return self.env["shop.sync.log"]._record(
            backend, "credit_note_export", "done", external_id=f"{kind}:{document['Id']}", request=payload, message=_(
                "Credit note draft for refund %(refund)s: %(gross)s %(currency)s gross, %(vat)s VAT.",
                refund=refund.external_id, gross=gross, vat=vat, currency=refund.sale_order_id.currency_id.name),
            **common)

    @api.model
    def _create(self, client, payload, reference):
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        return create_once(lambda: client.post(DRAFTS, payload),
                           lambda: Documents._find(client, "draft", reference, invoices=False)[0])

    # -- cancellations (the base's flow: ``_cancel``) ---------------------------------------------
    @api.model
    def _nothing_to_reverse(self):
        return _("The order was cancelled before it had a document in eAccounting: nothing to reverse.")

    @api.model
    def _cancel_find(self, backend, client, sale, reference):
        document, kind = self.env["shop.sync.eaccounting.document.exporter"]._find(
            client, backend.eacc_document_type, reference, sale=sale)
        return (kind, document["Id"]) if document else (None, None)

    @api.model
    def _reverse(self, backend, client, sale, kind, remote_id, reference, common):
        """Delete the order's draft or order (and its refunds' credit note drafts) when this hub
        created them, or credit what is left of an invoice: also of one the draft became in
        eAccounting (converted there: the bound draft is gone, an invoice carries its reference)."""
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        if kind == "draft" and client.get_or_none(f"{DRAFTS}/{remote_id}") is None:
            invoice, found = Documents._find(client, "draft", reference)
            if found == "invoice":
                Documents._bind(backend, sale, "invoice", invoice, reference)
                kind, remote_id = "invoice", invoice["Id"]
        if kind == "invoice":
            return self._credit_invoice(backend, client, sale, remote_id, common)
        return self._delete(backend, client, sale, kind, remote_id, reference, common)

    @api.model
    def _delete(self, backend, client, sale, kind, document_id, reference, common):
        """Every document is read and checked before anything is deleted: one not stamped by this
        hub, or a credit note converted into an invoice in eAccounting (booked: deleting the order's
        draft would leave it crediting nothing), refuses the cancellation as a whole."""
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        credit_notes = self._credit_note_bindings(backend, sale)
        targets = [(DOCUMENTS[kind][0], document_id, reference, None)] + [
            (DRAFTS, bound.external_id.split(":", 1)[1], bound.external_ref, bound) for bound in credit_notes]
        found = []
        for collection, remote_id, stamp, bound in targets:
            document = client.get_or_none(f"{collection}/{remote_id}")
            if document and Documents._stamp(document) != stamp:
                raise UserError(_("Document %(id)s in eAccounting is not the one this hub created (its reference is "
                                  "not %(stamp)s): it is not deleted.", id=remote_id, stamp=stamp))
            if document is None and bound:
                invoice, converted = Documents._find(client, "draft", stamp)
                if converted == "invoice":
                    raise UserError(_(
                        "The credit note of refund %(refund)s was converted into invoice %(number)s in eAccounting: "
                        "the order's %(document)s is kept (deleting it would leave that credit invoice crediting "
                        "nothing); reverse the order in eAccounting by hand.", refund=bound._record().external_id,
                        number=invoice.get("InvoiceNumber") or invoice["Id"], document=Documents._label(kind).lower()))
            found.append((collection, remote_id, document, bound))
        for collection, remote_id, document, bound in found:
            if document:
                client.delete(f"{collection}/{remote_id}")
            if bound:
                self._forget_credit_note(bound)
        self.env["shop.sync.binding"]._for_record(backend, sale).unlink()
        sale._shop_sync_accounting_result("cancelled", "")
        return self.env["shop.sync.log"]._record(
            backend, "invoice_export", "done", reason=_("Order cancelled"), external_id=f"{kind}:{document_id}",
            message=_("The order was cancelled: its %(document)s (and %(count)s credit note drafts) deleted in "
                      "eAccounting.", document=Documents._label(kind).lower(), count=len(credit_notes)), **common)

    @api.model
    def _credit_invoice(self, backend, client, sale, invoice_id, common):
        """A credit note for the invoice minus the refunds credited already; one this attempt created
        whose totals differ from that is deleted again (a UserError: the cancellation is not applied)."""
        Log = self.env["shop.sync.log"]
        Documents = self.env["shop.sync.eaccounting.document.exporter"]
        reference = self._cancel_reference(sale)
        document, _kind = Documents._find(client, "draft", reference, invoices=False)
        if not document:
            entries, gross = self._cancel_entries(sale)
            plan = Documents._plan(backend, sale, entries, gross=gross)
            document = self._create(client, Documents._payload(
                backend, client, sale, reference, "draft", plan, credit=True,
                date=sale._shop_sync_cancel_accounting_date()), reference)
            credited = self._credited_refunds(sale)
            problem = Documents._totals_difference(sale.currency_id, document, "draft", gross,
                                                   -(sale.amount_tax - sum(credited.mapped("amount_tax"))))
            if problem:
                client.delete(f"{DRAFTS}/{document['Id']}")
                raise UserError(_("%(problem)s The credit note draft reversing invoice %(invoice)s was deleted "
                                  "again.%(note)s", problem=problem, invoice=invoice_id,
                                  note=Documents._price_setting_changed(backend, plan["private"], document)))
        sale._shop_sync_accounting_result("cancelled")
        return Log._record(backend, "credit_note_export", "done", reason=_("Order cancelled"),
                           external_id=f"draft:{document['Id']}", message=_(
                               "The order was cancelled: a credit note draft reverses invoice %s.", invoice_id),
                           **common)
