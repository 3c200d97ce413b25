from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .shop_sync_economic_invoice_exporter import DRAFTS


class ShopSyncEconomicCreditNoteExporter(models.AbstractModel):
    """Shop refunds and cancellations reversed in e-conomic, exactly once.

    A credit note is a draft invoice with negative lines (e-conomic has no separate credit note
    document): the same customer, VAT zone, layout and products (so the same revenue accounts and
    VAT) as the order's invoice, stamped ``SHOPSYNC:<shop>:<order>:R<refund id>`` in
    ``references.other`` and looked up by it before every create, and again after a POST whose
    answer was lost.  Credit notes are never booked here.  A cancelled order's draft invoice (and
    the credit note drafts of its refunds) is deleted when it is a draft this hub created; a booked
    invoice gets a credit note for what is left of it.
    """

    _name = "shop.sync.economic.credit.note.exporter"
    _inherit = "shop.sync.accounting.credit.note.exporter"
    _description = "e-conomic Credit Note Export"
    _accounting_system = "e-conomic"

    # -- refunds (the base's flow: ``_export``) ---------------------------------------------------
    @api.model
    def _waiting_for_document(self, sale, refund):
        return _("Waiting for the invoice"), _(
            "Order %(order)s has no invoice in e-conomic yet: the credit note of refund %(refund)s is sent by the "
            "scheduled pass once it has one.", order=self._order_number(sale), refund=refund.external_id)

    @api.model
    def _credit_note_found(self, backend, client, refund, reference, common):
        document, kind = self.env["shop.sync.economic.invoice.exporter"]._find(client, reference)
        if not document:
            return None
        number = document["draftInvoiceNumber" if kind == "draft" else "bookedInvoiceNumber"]
        self._bind(backend, refund, kind, number, reference)
        return self.env["shop.sync.log"]._record(
            backend, "credit_note_export", "done", external_id=f"{kind}:{number}", message=_(
                "Found credit note %(kind)s %(number)s created by an earlier attempt; bound to the refund.",
                kind=kind, number=number), **common)

    @api.model
    def _credit_note_payload(self, backend, client, refund, reference, order_document):
        Invoices = self.env["shop.sync.economic.invoice.exporter"]
        sale = refund.sale_order_id
        heading = _("Credit note: refund %(refund)s of order %(order)s (invoice %(invoice)s)",
                    refund=refund.external_id, order=self._order_number(sale), invoice=order_document.external_id)
        plan = Invoices._draft_plan(backend, sale, self._refund_entries(refund, -1), gross=-refund.amount_total)
        return Invoices._payload(backend, client, sale, reference, plan=plan, heading=heading,
                                 date=refund._shop_sync_accounting_date())

    @api.model
    def _credit_note_created(self, backend, client, refund, reference, payload, common):
        Log = self.env["shop.sync.log"]
        Invoices = self.env["shop.sync.economic.invoice.exporter"]
        draft = Invoices._full(client, Invoices._create(client, payload, reference), "draft")
        number = draft["draftInvoiceNumber"]
        self._bind(backend, refund, "draft", number, reference)
        # the refund's gross and VAT to the cent (a rounding line moves cents from VAT to net, as on invoices)
        problem = Invoices._difference(backend, refund.sale_order_id, draft,
                                       (-refund.amount_total, -refund.amount_tax))
        if problem:
            # bound all the same: deleting could remove a document someone already looks at
            refund.accounting_state = "error"
            return Log._record(backend, "credit_note_export", "error", reason=_("Totals differ"),
                               external_id=f"draft:{number}", request=payload, response=draft, message=_(
                                   "Credit note draft %(number)s does not credit refund %(refund)s: %(problem)s "
                                   "Check it in e-conomic.", number=number, refund=refund.external_id,
                                   problem=problem), **common)
        return Log._record(backend, "credit_note_export", "done", external_id=f"draft:{number}", request=payload,
                           message=_("Credit note draft %(number)s created for refund %(refund)s: %(net)s net, "
                                     "%(gross)s %(currency)s gross.", number=number, refund=refund.external_id,
                                     net=draft.get("netAmount"), gross=draft.get("grossAmount"),
                                     currency=draft.get("currency")), **common)

    @api.model
    def _bind(self, backend, refund, kind, number, reference):
        self.env["shop.sync.binding"]._bind(backend, refund, f"{kind}:{number}", reference)
        refund.write({"accounting_state": kind, "economic_credit_note_number": number})

    # -- cancellations (the base's flow: ``_cancel``) ---------------------------------------------
    @api.model
    def _nothing_to_reverse(self):
        return _("The order was cancelled before it had an invoice in e-conomic: nothing to reverse.")

    @api.model
    def _cancel_find(self, backend, client, sale, reference):
        Invoices = self.env["shop.sync.economic.invoice.exporter"]
        document, kind = Invoices._find(client, reference)
        if not document:
            return None, None
        number = document["draftInvoiceNumber" if kind == "draft" else "bookedInvoiceNumber"]
        Invoices._bind(backend, sale, kind, number, reference)
        return kind, number

    @api.model
    def _order_reversed(self, sale):
        return super()._order_reversed(sale) or bool(sale.economic_cancel_credit_note_number)

    @api.model
    def _reverse(self, backend, client, sale, kind, remote_id, reference, common):
        """Delete the order's draft (and its refunds' draft credit notes) when this hub created them,
        or credit what is left of a booked invoice."""
        if kind == "draft":
            return self._delete_drafts(backend, client, sale, int(remote_id), reference, common)
        return self._credit_booked(backend, client, sale, remote_id, common)

    @api.model
    def _delete_drafts(self, backend, client, sale, number, reference, common):
        Log = self.env["shop.sync.log"]
        credit_notes = self._credit_note_bindings(backend, sale)
        booked = credit_notes.filtered(lambda b: not b.external_id.startswith("draft:"))
        if booked:
            return Log._record(backend, "invoice_export", "error", reason=_("Cancellation not applied"), message=_(
                "Credit notes %s of this order are booked: the draft invoice is kept; reverse the order in e-conomic "
                "by hand.", ", ".join(booked.mapped("external_id"))), **common)
        deleted = []
        for draft_number, stamp, bound in [(number, reference, None)] + [
                (int(b.external_id.split(":", 1)[1]), b.external_ref, b) for b in credit_notes]:
            document = client.get_or_none(f"{DRAFTS}/{draft_number}")
            if document and (document.get("references") or {}).get("other") != stamp:
                raise UserError(_("Draft invoice %(number)s in e-conomic is not the one this hub created (its "
                                  "reference is not %(stamp)s): it is not deleted.", number=draft_number, stamp=stamp))
            if document:
                client.delete(f"{DRAFTS}/{draft_number}")
            deleted.append(str(draft_number))
            if bound:
                self._forget_credit_note(bound)
        self.env["shop.sync.binding"]._for_record(backend, sale).unlink()
        sale._shop_sync_accounting_result("cancelled", "")
        sale.write({"economic_draft_number": 0})
        return Log._record(backend, "invoice_export", "done", reason=_("Order cancelled"), message=_(
            "The order was cancelled: draft invoice(s) %s deleted in e-conomic.", ", ".join(deleted)), **common)

    @api.model
    def _credit_booked(self, backend, client, sale, number, common):
        """A credit note for the booked invoice minus the refunds credited already."""
        Log = self.env["shop.sync.log"]
        Invoices = self.env["shop.sync.economic.invoice.exporter"]
        reference = self._cancel_reference(sale)
        if sale.economic_cancel_credit_note_number:
            return Log._record(backend, "invoice_export", "skipped", reason=_("Already credited"), message=_(
                "Credit note %s already reverses the booked invoice.", sale.economic_cancel_credit_note_number),
                **common)
        document, kind = Invoices._find(client, reference)
        if not document:
            entries, gross = self._cancel_entries(sale)
            payload = Invoices._payload(backend, client, sale, reference, plan=Invoices._draft_plan(
                backend, sale, entries, gross=gross), heading=_(
                "Credit note: order %(order)s cancelled (invoice %(number)s)",
                order=self._order_number(sale), number=number), date=sale._shop_sync_cancel_accounting_date())
            document, kind = Invoices._create(client, payload, reference), "draft"
        credit_number = document["draftInvoiceNumber" if kind == "draft" else "bookedInvoiceNumber"]
        sale.write({"economic_cancel_credit_note_number": credit_number})
        return Log._record(backend, "credit_note_export", "done", reason=_("Order cancelled"),
                           external_id=f"{kind}:{credit_number}", message=_(
                               "The order was cancelled: credit note draft %(credit)s reverses booked invoice "
                               "%(number)s (%(net)s net).", credit=credit_number, number=number,
                               net=document.get("netAmount")),
                           **common)


class ShopSyncRefund(models.Model):
    _inherit = "shop.sync.refund"

    economic_credit_note_state = fields.Selection(related="accounting_state", string="e-conomic")
    economic_credit_note_number = fields.Integer("e-conomic credit note", readonly=True, copy=False)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    economic_cancel_credit_note_number = fields.Integer(
        "e-conomic cancellation credit note", readonly=True, copy=False,
        help="The credit note that reverses the booked invoice of this cancelled order.")


class ShopSyncBackend(models.Model):
    _inherit = "shop.sync.backend"

    # Jobs run as whoever queued them; what they write is integration work, done as superuser.
    def _economic_export_credit_note(self, refund):
        """Job: one credit note for one shop refund (never twice)."""
        self.ensure_one()
        log = self.env["shop.sync.economic.credit.note.exporter"].sudo()._export(self.sudo(), refund.sudo())
        return log.message if log else None

    def _economic_cancel_invoice(self, sale):
        """Job: reverse the e-conomic document of an order the shop cancelled."""
        self.ensure_one()
        log = self.env["shop.sync.economic.credit.note.exporter"].sudo()._cancel(self.sudo(), sale.sudo())
        return log.message if log else None
