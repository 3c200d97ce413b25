"""The flows every accounting connector runs the same way, once: its exporters inherit them and
override hooks only (what to look up, send and bind in the accounting system, and its wording).

The base owns the order of the steps (lock, exactly once, the base's "ready" decision, the look-up
before creating), the failure handling (the one retry rule ``_shop_sync_retry_later``, then the
error log and the record's accounting state) and the references stamped on the documents.  See
the README section "Accounting contract: what an accounting addon implements".
"""

from psycopg2 import errors as pg_errors

from odoo import _, api, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.queue_job.exception import RetryableJobError

from ..services.amounts import balance_nets
from ..services.http import RemoteError
from ..services.locks import claim_row

ORDER_REFERENCE = "SHOPSYNC:{backend}:{number}"
CREDIT_REFERENCE = "SHOPSYNC:{backend}:{number}:R{refund}"
CANCEL_REFERENCE = "SHOPSYNC:{backend}:{number}:CANCEL"
# seconds a job waits before reading an order again that another accounting job held or changed meanwhile
ORDER_BUSY_RETRY = 10


class ShopSyncAccountingExporter(models.AbstractModel):
    """What the accounting exporters share: references, the order lock, the retry rule."""

    _name = "shop.sync.accounting.exporter"
    _description = "Accounting Export (shared steps)"

    # The accounting system's name in log texts (e.g. "e-conomic"): set by each connector.
    _accounting_system = None

    @api.model
    def _order_number(self, sale):
        return sale.shop_order_number or sale.name

    @api.model
    def _reference(self, sale):
        """The reference stamped on the order's document and looked up before creating it."""
        return ORDER_REFERENCE.format(backend=sale.shop_sync_backend_id.id, number=self._order_number(sale))

    @api.model
    def _lock_order(self, backend, sale):
        """Serialise work on ``sale``'s document (``_claim_order``); return (reference, its binding, common
        log values)."""
        self._claim_order(sale)
        reference = self._reference(sale)
        binding = self.env["shop.sync.binding"]._for_record(backend, sale)
        return reference, binding, {"ref": self._order_number(sale), "record": sale}

    @api.model
    def _claim_order(self, sale):
        """One accounting job of ``sale`` at a time (its document, its refunds' credit notes, its
        reversal), deciding on what the others committed: each takes the order first, before it reads
        what it decides on (``claim_row``: the order's row locked and given a new version).  Odoo's
        REPEATABLE READ keeps the snapshot a job took when it started, so a job finding the order held
        by another, or changed since its snapshot, would act on stale data (a refund's credit note
        beside the cancellation's credit of the whole order): it is postponed instead and reads again
        (``RetryableJobError``, not counted as a try); outside a job the PostgreSQL error propagates
        (Odoo replays the request).  An order waiting for its confirmation has nothing in accounting
        yet and is the confirmation job's to lock (``_shop_sync_lock_to_confirm``)."""
        if sale.shop_sync_to_confirm:
            return
        try:
            claim_row(self.env.cr, sale._table, sale.id)
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as exc:
            if not self.env["shop.sync.event"]._current_job():
                raise
            raise RetryableJobError(_(
                "Order %s: another accounting job works on it or changed it since this job read it; read again "
                "later.", self._order_number(sale)), seconds=ORDER_BUSY_RETRY, ignore_retry=True) from exc

    @api.model
    def _order_entries(self, sale, sign=1):
        """Plan entries ``(line, quantity, net, order line whose taxes apply)`` of the order's lines with
        ``sign`` (-1: credited), their nets as Odoo computed them, adding up to the untaxed total to the
        cent."""
        order_lines = sale.order_line.filtered(lambda line: not line.display_type)
        return [(line, sign * line.product_uom_qty, sign * net, line) for line, net in zip(
            order_lines, balance_nets(order_lines.mapped("price_subtotal"), sale.amount_untaxed))]

    @api.model
    def _already_sent(self, backend, flow, binding, common):
        return self.env["shop.sync.log"]._record(
            backend, flow, "skipped", reason=_("Already in %s", self._accounting_system),
            external_id=binding.external_id, message=_("Already sent as %s.", binding.external_id), **common)

    @api.model
    def _remote_failure_waits(self, exc):
        """Whether the record waits ('pending', retried by the scheduled pass or Retry) after the
        remote failure ``exc`` rather than being in error: 429, a 5xx, no answer."""
        return exc.retryable or exc.uncertain


class ShopSyncAccountingDocumentExporter(models.AbstractModel):
    """One shop order, exactly one accounting document: the skeleton of the connector's ``invoice``
    job.  Hooks: ``_adopt_sent`` (a document an earlier attempt created), ``_document_payload``,
    ``_create_document`` and the wording ``_not_sent_reason``."""

    _name = "shop.sync.accounting.document.exporter"
    _inherit = "shop.sync.accounting.exporter"
    _description = "Accounting Document Export (shared flow)"

    @api.model
    def _export(self, backend, sale):
        Log = self.env["shop.sync.log"]
        reference, binding, common = self._lock_order(backend, sale)
        if binding:
            return self._already_sent(backend, "invoice_export", binding, common)
        reason = backend._accounting_not_ready(sale)
        if reason:
            return Log._record(backend, "invoice_export", "skipped", reason=self._not_ready_reason(), message=reason,
                               **common)
        payload = None
        try:
            client = backend._accounting_client()
            if adopted := self._adopt_sent(backend, client, sale, reference, common):
                return adopted
            payload, plan = self._document_payload(backend, client, sale, reference)
            return self._create_document(backend, client, sale, reference, payload, plan, common)
        except RemoteError as exc:
            return self._export_failed(backend, sale, exc, payload, common)
        except (UserError, ValidationError) as exc:
            sale._shop_sync_accounting_result("error")
            return Log._record(backend, "invoice_export", "error", reason=self._not_sent_reason(), message=str(exc),
                               request=payload, **common)

    @api.model
    def _export_failed(self, backend, sale, exc, payload, common):
        """A remote failure: the retry rule, then the order waits (transient) or is in error."""
        backend._shop_sync_retry_later("invoice_export", exc, reason=self._not_sent_reason(transient=True),
                                       message=str(exc), request=payload, **common)
        transient = self._remote_failure_waits(exc)
        sale._shop_sync_accounting_result("pending" if transient else "error")
        return self.env["shop.sync.log"]._record(
            backend, "invoice_export", "error", reason=self._not_sent_reason(transient=transient), message=str(exc),
            request=payload, response=exc.body, **common)

    @api.model
    def _line_rate(self, line):
        """The line's Odoo VAT rate in percent (its percent taxes, after the fiscal position)."""
        taxes = line.tax_ids.flatten_taxes_hierarchy()
        if taxes.filtered(lambda tax: tax.amount_type != "percent"):
            raise UserError(_("Line '%(line)s' has a tax that is not a percentage: %(system)s books percentages "
                              "only.", line=line.name, system=self._accounting_system))
        return sum(taxes.mapped("amount"))

    # -- hooks --------------------------------------------------------------------------------
    @api.model
    def _not_ready_reason(self):
        """The log reason of an order the base does not invoice (yet)."""
        return self._not_sent_reason()

    @api.model
    def _not_sent_reason(self, transient=False):
        """The log reason of a document not created (``transient``: retried later)."""
        return _("Not sent (will retry)") if transient else _("Not sent")

    @api.model
    def _adopt_sent(self, backend, client, sale, reference, common):
        """The log of binding the document stamped ``reference`` that an earlier attempt created
        (its answer or commit was lost), or None when there is none."""
        raise NotImplementedError

    @api.model
    def _document_payload(self, backend, client, sale, reference):
        """(payload, plan): the document to create and what the connector planned for it (passed on
        to ``_create_document``; None when it has no plan)."""
        raise NotImplementedError

    @api.model
    def _create_document(self, backend, client, sale, reference, payload, plan, common):
        """Create the document exactly once, check its totals, bind it and log (the log is returned)."""
        raise NotImplementedError


class ShopSyncAccountingCreditNoteExporter(models.AbstractModel):
    """A shop refund, exactly one credit note; a cancelled order, its document reversed: the
    skeletons of the connector's ``credit_note`` and ``cancel`` jobs.  Hooks: ``_credit_note_found``,
    ``_credit_note_payload``, ``_credit_note_created``, ``_cancel_find``, ``_reverse`` and the
    wording ``_waiting_for_document`` / ``_nothing_to_reverse``."""

    _name = "shop.sync.accounting.credit.note.exporter"
    _inherit = "shop.sync.accounting.exporter"
    _description = "Accounting Credit Note Export (shared flow)"

    # -- refunds ----------------------------------------------------------------------------------
    @api.model
    def _export(self, backend, refund):
        sale = refund.sale_order_id
        self._claim_order(sale)  # the order's cancellation or another refund's credit note may be at work
        reference = self._refund_reference(refund)
        Binding = self.env["shop.sync.binding"]
        Log = self.env["shop.sync.log"]
        common = {"ref": self._order_number(sale), "record": refund}
        binding = Binding._for_record(backend, refund)
        if binding:
            return self._already_sent(backend, "credit_note_export", binding, common)
        if refund.accounting_state == "cancelled" or sale._shop_sync_cancelled_by_shop() or (
                sale.state == "cancel" and self._order_reversed(sale)):
            # the order's reversal credits all of it that has no credit note: this refund too (an order
            # cancelled in Odoo alone keeps its document, so its refunds are credited)
            refund.accounting_state = "cancelled"
            return Log._record(backend, "credit_note_export", "skipped", reason=_("Order cancelled"), message=_(
                "Order %(order)s was cancelled before refund %(refund)s had its credit note: the cancellation "
                "reversed what was left of the order in %(system)s, this refund included.",
                order=self._order_number(sale), refund=refund.external_id, system=self._accounting_system), **common)
        order_document = Binding._for_record(backend, sale)
        if not order_document and sale.state == "cancel":  # never invoiced, and never will be
            refund.accounting_state = "cancelled"
            return Log._record(backend, "credit_note_export", "skipped", reason=_("Order cancelled"), message=_(
                "Order %(order)s was cancelled before it had a document: refund %(refund)s has nothing to credit.",
                order=self._order_number(sale), refund=refund.external_id), **common)
        if not order_document:
            refund.accounting_state = "pending"
            reason, message = self._waiting_for_document(sale, refund)
            return Log._record(backend, "credit_note_export", "skipped", reason=reason, message=message, **common)
        payload = None
        try:
            client = backend._accounting_client()
            found = self._credit_note_found(backend, client, refund, reference, common)
            if found:
                return found
            payload = self._credit_note_payload(backend, client, refund, reference, order_document)
            return self._credit_note_created(backend, client, refund, reference, payload, common)
        except RemoteError as exc:
            backend._shop_sync_retry_later("credit_note_export", exc, reason=_("Credit note not created (will retry)"),
                                           message=str(exc), request=payload, **common)
            transient = self._remote_failure_waits(exc)
            refund.accounting_state = "pending" if transient else "error"
            return Log._record(backend, "credit_note_export", "error", reason=_("Credit note not created (will retry)")
                               if transient else _("Credit note not created"), message=str(exc), request=payload,
                               response=exc.body, **common)
        except (UserError, ValidationError) as exc:
            refund.accounting_state = "error"
            return Log._record(backend, "credit_note_export", "error", reason=_("Credit note not created"),
                               message=str(exc), request=payload, **common)

    @api.model
    def _refund_reference(self, refund):
        """The reference stamped on the refund's credit note and looked up before creating it."""
        sale = refund.sale_order_id
        return CREDIT_REFERENCE.format(backend=sale.shop_sync_backend_id.id, number=self._order_number(sale),
                                       refund=refund.external_id)

    @api.model
    def _refund_entries(self, refund, sign):
        """Plan entries ``(line, quantity, net, order line whose taxes apply)`` of a refund's lines
        with ``sign`` (-1: credited), taxed as their order lines; an amount refunded without items is
        one unit."""
        return [(line, sign * (line.quantity or 1), sign * line.price_subtotal, line.sale_line_id)
                for line in refund.line_ids]

    # -- cancellations ----------------------------------------------------------------------------
    @api.model
    def _cancel(self, backend, sale):
        """Reverse a cancelled order: its document found (bound or by reference), the connector
        reverses it (``_reverse``); an order without a document has nothing to reverse."""
        Log = self.env["shop.sync.log"]
        reference, binding, common = self._lock_order(backend, sale)
        try:
            client = backend._accounting_client()
            if binding:
                kind, remote_id = binding.external_id.split(":", 1)
            else:
                kind, remote_id = self._cancel_find(backend, client, sale, reference)
                if not kind:
                    sale._shop_sync_accounting_result("cancelled")
                    return Log._record(backend, "invoice_export", "done", reason=_("Order cancelled"),
                                       message=self._nothing_to_reverse(), **common)
            self._absorb_refunds(backend, client, sale)
            return self._reverse(backend, client, sale, kind, remote_id, reference, common)
        except RemoteError as exc:
            backend._shop_sync_retry_later("invoice_export", exc, reason=_("Cancellation not applied (will retry)"),
                                           message=str(exc), **common)
            return Log._record(backend, "invoice_export", "error", reason=_("Cancellation not applied"),
                               message=str(exc), response=exc.body, **common)
        except (UserError, ValidationError) as exc:
            return Log._record(backend, "invoice_export", "error", reason=_("Cancellation not applied"),
                               message=str(exc), **common)

    @api.model
    def _refunds_without_credit_note(self, backend, sale):
        """The refunds of ``sale`` with no credit note bound in ``backend`` (reversed with it or not yet)."""
        bound = set(self._credit_note_bindings(backend, sale).mapped("res_id"))
        return sale.shop_refund_ids.filtered(lambda refund: refund.id not in bound)

    @api.model
    def _absorb_refunds(self, backend, client, sale):
        """The refunds of the cancelled order without a credit note bound (waiting, retried, in error,
        or closed by their job after the cancellation) are reversed with the order, never on their own
        as well (the order would be credited more than it was invoiced): a credit note an earlier
        attempt created for one (its answer or commit lost) is found by its reference and bound first,
        so ``_reverse`` deletes it or subtracts it with the other credit notes; the others' credit
        note job creates nothing once the order is reversed (``_export``).  No credit note job of the
        order runs meanwhile (``_claim_order``)."""
        for refund in self._refunds_without_credit_note(backend, sale):
            self._credit_note_found(backend, client, refund, self._refund_reference(refund),
                                    {"ref": self._order_number(sale), "record": refund})

    @api.model
    def _order_reversed(self, sale):
        """Whether the cancellation reversed ``sale``'s document (connectors that keep another state
        after crediting it add their own sign)."""
        return sale.accounting_state == "cancelled"

    @api.model
    def _cancel_reference(self, sale):
        """The reference stamped on the credit note reversing ``sale``'s invoice and looked up before
        creating it (the cancellation job holds the order: ``_claim_order``)."""
        return CANCEL_REFERENCE.format(backend=sale.shop_sync_backend_id.id, number=self._order_number(sale))

    @api.model
    def _cancel_entries(self, sale):
        """(plan entries, gross) of the credit note reversing what is left of ``sale``'s invoice: every
        order line credited, the refunds with a credit note added back."""
        credited = self._credited_refunds(sale)
        entries = self._order_entries(sale, -1)
        for refund in credited:
            entries += self._refund_entries(refund, 1)
        return entries, -(sale.amount_total - sum(credited.mapped("amount_total")))

    @api.model
    def _credited_refunds(self, sale):
        """The refunds of ``sale`` that have their credit note in its accounting backend: bound (also one
        bound in error, whose credit note exists all the same); the rest is reversed with the order."""
        bindings = self._credit_note_bindings(sale.accounting_backend_id, sale)
        return self.env["shop.sync.refund"].browse(bindings.mapped("res_id"))

    @api.model
    def _credit_note_bindings(self, backend, sale):
        """The bindings of the credit notes of ``sale``'s refunds in ``backend``."""
        return self.env["shop.sync.binding"].search([
            ("backend_id", "=", backend.id), ("model", "=", "shop.sync.refund"),
            ("res_id", "in", sale.shop_refund_ids.ids)])

    @api.model
    def _forget_credit_note(self, binding):
        """A credit note draft deleted with its cancelled order: the refund is 'cancelled', unbound."""
        binding._record().write({"accounting_state": "cancelled"})
        binding.unlink()

    # -- hooks --------------------------------------------------------------------------------
    @api.model
    def _waiting_for_document(self, sale, refund):
        """(reason, message) of a refund whose order has no document yet."""
        raise NotImplementedError

    @api.model
    def _nothing_to_reverse(self):
        """The message of a cancelled order that had no document."""
        raise NotImplementedError

    @api.model
    def _credit_note_found(self, backend, client, refund, reference, common):
        """The log of binding the credit note stamped ``reference`` an earlier attempt created, or None."""
        raise NotImplementedError

    @api.model
    def _credit_note_payload(self, backend, client, refund, reference, order_document):
        """The credit note to create (``order_document``: the binding of the order's document)."""
        raise NotImplementedError

    @api.model
    def _credit_note_created(self, backend, client, refund, reference, payload, common):
        """Create the credit note exactly once, bind it, set the refund's state and log."""
        raise NotImplementedError

    @api.model
    def _cancel_find(self, backend, client, sale, reference):
        """(kind, remote id) of the unbound document stamped ``reference`` (bound now if the
        connector binds what it finds), or (None, None)."""
        raise NotImplementedError

    @api.model
    def _reverse(self, backend, client, sale, kind, remote_id, reference, common):
        """Reverse the cancelled order's document ``kind:remote_id``: delete what this hub created
        and may delete, credit the rest; log."""
        raise NotImplementedError


class ShopSyncAccountingProductExporter(models.AbstractModel):
    """Odoo products to the accounting system's products: the loop of the connector's
    ``products_export`` job, one log per product.  Hook: ``_export_one``."""

    _name = "shop.sync.accounting.product.exporter"
    _description = "Accounting Product Export (shared flow)"

    @api.model
    def _export_all(self, backend, products):
        """Create or update each product; one log per product; returns the number exported."""
        client = backend._accounting_client()
        exported = 0
        for product in products:
            try:
                with self.env.cr.savepoint():
                    self._export_one(backend, client, product)
                exported += 1
            except (RemoteError, UserError) as exc:
                self._log_error(backend, exc, {"ref": product.default_code or product.display_name,
                                               "record": product})
        return exported

    @api.model
    def _export_one(self, backend, client, product):
        raise NotImplementedError

    @api.model
    def _allowed(self, backend, creating):
        return self.env["shop.sync.field.rule"]._allowed_fields(backend, "product", "export", creating)

    @api.model
    def _name_of(self, product):
        return product.with_context(display_default_code=False).display_name or product.name

    @api.model
    def _bind_product(self, backend, product, external_id, external_ref):
        """Bind ``product`` once: neither it nor the remote product bound already."""
        Binding = self.env["shop.sync.binding"]
        if not Binding._for_record(backend, product) and not Binding._find(backend, "product.product", external_id):
            Binding._bind_once(backend, product, external_id, external_ref)

    @api.model
    def _log_error(self, backend, exc, common):
        self.env["shop.sync.log"]._record(backend, "product_export", "error", reason=_("Product not exported"),
                                           message=str(exc), response=getattr(exc, "body", None), **common)
