from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.shop_sync_base.services.http import RemoteError, create_once

from ..services.client import eq
from ..services.mapper import balance_nets, split_line

REFERENCE = "SHOPSYNC:{backend}:{number}"
DRAFTS, BOOKED = "invoices/drafts", "invoices/booked"


class ShopSyncEconomicInvoiceExporter(models.AbstractModel):
    """One shop sale order in, exactly one e-conomic draft invoice out.

    Exactly once: a lock per order, the binding sale.order <-> ``draft:<n>`` / ``booked:<n>``,
    and before creating, a look-up of drafts and booked invoices by the reference stamped in
    ``references.other``; a POST whose answer was lost is followed by the same look-up.  A draft
    this attempt created whose totals differ from Odoo's is deleted again; nothing else is ever
    deleted.  Booking is a separate, explicit step (``_book``).
    """

    _name = "shop.sync.economic.invoice.exporter"
    _description = "e-conomic Draft Invoice Export"

    @api.model
    def _reference(self, sale):
        return REFERENCE.format(backend=sale.shop_sync_backend_id.id, number=sale.shop_order_number or sale.name)

    @api.model
    def _lock_order(self, backend, sale):
        """Serialise work on ``sale``'s invoice; return (reference, its binding, common log values)."""
        reference = self._reference(sale)
        self.env["shop.sync.binding"]._lock(backend, "sale.order", reference)
        binding = self.env["shop.sync.binding"]._for_record(backend, sale)
        return reference, binding, {"ref": sale.shop_order_number or sale.name, "record": sale}

    @api.model
    def _not_ready(self, backend, sale):
        """Why ``sale`` is not (yet) to be invoiced in ``backend``; None when it is."""
        shop = sale.shop_sync_backend_id
        if not shop or shop.accounting_backend_id != backend:
            return _("The order does not come from a shop invoiced in %s.", backend.name)
        if sale.state == "cancel":
            return _("The order is cancelled.")
        if not sale.order_line.filtered(lambda line: not line.display_type):
            return _("The order has no lines.")
        if shop.accounting_require_paid:
            paid = shop.order_state_ids.filtered("accounting_paid").mapped("code")
            if sale.shop_order_state not in paid:
                return _("The order is not paid yet (shop state %s).", sale.shop_order_state or "?")
        return None

    # -- export -----------------------------------------------------------------------------------
    @api.model
    def _export(self, backend, sale):
        Log = self.env["shop.sync.log"]
        reference, binding, common = self._lock_order(backend, sale)
        if binding:
            return Log._record(backend, "invoice_export", "skipped", reason=_("Already in e-conomic"),
                               external_id=binding.external_id,
                               message=_("Already sent as %s.", binding.external_id), **common)
        reason = self._not_ready(backend, sale)
        if reason:
            return Log._record(backend, "invoice_export", "skipped", reason=_("Not invoiced"), message=reason, **common)
        payload = None
        try:
            client = backend._economic_client()
            document, kind = self._find(client, reference)
            if document:
                return self._adopt(backend, sale, document, kind, reference, common)
            payload = self._payload(backend, client, sale, reference)
            draft = self._create(client, payload, reference)
            number = draft["draftInvoiceNumber"]
            problem = self._difference(backend, sale, draft)
            if problem:
                client.delete(f"{DRAFTS}/{number}")
                sale.economic_invoice_state = "error"
                return Log._record(backend, "invoice_export", "error", reason=_("Totals differ: draft deleted"),
                                   external_id=f"draft:{number}", request=payload, response=draft,
                                   message=_("%(problem)s The draft invoice %(number)s created by this attempt was "
                                             "deleted again.", problem=problem, number=number), **common)
            self._bind(backend, sale, "draft", number, reference)
            return Log._record(backend, "invoice_export", "done", external_id=f"draft:{number}", request=payload,
                               message=_("Draft invoice %(number)s created: %(net)s net, %(gross)s %(currency)s gross.",
                                         number=number, net=draft.get("netAmount"), gross=draft.get("grossAmount"),
                                         currency=draft.get("currency")), **common)
        except RemoteError as exc:
            transient = exc.retryable or exc.uncertain
            sale.economic_invoice_state = "pending" if transient else "error"
            return Log._record(backend, "invoice_export", "error",
                               reason=_("Invoice not created (will retry)") if transient else _("Invoice not created"),
                               message=str(exc), request=payload, response=exc.body, **common)
        except (UserError, ValidationError) as exc:
            sale.economic_invoice_state = "error"
            return Log._record(backend, "invoice_export", "error", reason=_("Invoice not created"),
                               message=str(exc), request=payload, **common)

    @api.model
    def _find(self, client, reference):
        """(document, 'draft' | 'booked') of an invoice already stamped with ``reference``."""
        for path, kind in ((DRAFTS, "draft"), (BOOKED, "booked")):
            document = client.first(path, filter=eq("references.other", reference))
            if document:
                return document, kind
        return None, None

    @api.model
    def _create(self, client, payload, reference):
        """POST the draft; an uncertain answer (5xx, lost) is followed by the look-up by reference,
        and the draft is sent again only when e-conomic does not have it."""
        return create_once(lambda: client.post(DRAFTS, payload), lambda: self._find_draft(client, reference))

    @api.model
    def _find_draft(self, client, reference):
        document, kind = self._find(client, reference)
        return document if kind == "draft" else None

    @api.model
    def _adopt(self, backend, sale, document, kind, reference, common):
        """Bind an invoice an earlier attempt created (its answer or commit was lost); never delete it."""
        number = document["draftInvoiceNumber" if kind == "draft" else "bookedInvoiceNumber"]
        self._bind(backend, sale, kind, number, reference)
        problem = self._difference(backend, sale, document)
        Log = self.env["shop.sync.log"]
        if problem:
            sale.economic_invoice_state = "error"
            return Log._record(backend, "invoice_export", "error", reason=_("Totals differ"),
                               external_id=f"{kind}:{number}", response=document,
                               message=_("%(problem)s The %(kind)s invoice %(number)s was created by an earlier "
                                         "attempt: it is bound, not deleted; check it in e-conomic.",
                                         problem=problem, kind=kind, number=number), **common)
        return Log._record(backend, "invoice_export", "done", external_id=f"{kind}:{number}",
                           message=_("Found %(kind)s invoice %(number)s created by an earlier attempt; bound to the "
                                     "order.", kind=kind, number=number), **common)

    @api.model
    def _bind(self, backend, sale, kind, number, reference):
        self.env["shop.sync.binding"]._bind(backend, sale, f"{kind}:{number}", reference)
        values = {"economic_invoice_state": kind}
        values["economic_draft_number" if kind == "draft" else "economic_booked_number"] = number
        sale.write(values)

    # -- payload ----------------------------------------------------------------------------------
    @api.model
    def _payload(self, backend, client, sale, reference):
        """The draft invoice document: customer and products are created in e-conomic first."""
        invoice_partner = sale.partner_invoice_id
        commercial = invoice_partner.commercial_partner_id
        country = sale.partner_shipping_id.country_id or invoice_partner.country_id
        customer = self.env["shop.sync.economic.customer.exporter"]._customer_for_invoice(backend, client, sale)
        terms, terms_type = backend._economic_payment_terms(sale.shop_payment_method)
        issue_date = fields.Date.to_string(fields.Date.context_today(sale, sale.date_order))
        recipient = {"name": (commercial.name or invoice_partner.name or "?")[:250],
                     "vatZone": {"vatZoneNumber": backend._economic_vat_zone(country)}}
        recipient.update(self._address(invoice_partner, 250, 250, 50))
        payload = {
            "date": issue_date,
            "currency": sale.currency_id.name,
            "customer": {"customerNumber": customer},
            "layout": {"layoutNumber": backend._economic_layout(country)},
            "paymentTerms": {"paymentTermsNumber": terms},
            "recipient": recipient,
            "references": {"other": reference},
            "notes": {"heading": _("Order %s", sale.shop_order_number or sale.name)[:250]},
            "lines": self._lines(backend, client, sale, country),
        }
        if terms_type == "dueDate":
            payload["dueDate"] = issue_date
        shipping = sale.partner_shipping_id
        if shipping != invoice_partner and shipping.street:
            payload["delivery"] = self._address(shipping, 255, 50, 30)
        return payload

    @api.model
    def _lines(self, backend, client, sale, country):
        """Every order line (products, shipping, fees, discounts as negative lines) with its net
        amount as Odoo computed it, adding up to the order's untaxed total to the cent."""
        Products = self.env["shop.sync.economic.product.exporter"]
        order_lines = sale.order_line.filtered(lambda l: not l.display_type)
        nets = balance_nets(order_lines.mapped("price_subtotal"), sale.amount_untaxed)
        lines = []
        for line, net in zip(order_lines, nets):
            number = Products._ensure(backend, client, line.product_id, country)
            description = (line.name or line.product_id.display_name)[:2500]
            for quantity, unit_price in split_line(line.product_uom_qty, net):
                lines.append({"sortKey": len(lines) + 1, "product": {"productNumber": number},
                              "description": description, "quantity": float(quantity),
                              "unitNetPrice": float(unit_price)})
        return lines

    @staticmethod
    def _address(partner, address_size, city_size, zip_size):
        street = ", ".join(part for part in (partner.street, partner.street2) if part)
        values = {"address": street[:address_size], "zip": (partner.zip or "")[:zip_size],
                  "city": (partner.city or "")[:city_size], "country": (partner.country_id.name or "")[:50]}
        return {key: value for key, value in values.items() if value}

    @api.model
    def _difference(self, backend, sale, document):
        """Why e-conomic's totals do not match Odoo's, or None.  The net total must match to the
        cent; VAT only where e-conomic charges it (domestic zone), within a cent per line since
        e-conomic computes it on the invoice total and Odoo per line."""
        currency = sale.currency_id
        if document.get("currency") and document["currency"] != currency.name:
            return _("e-conomic has the invoice in %(remote)s, Odoo in %(odoo)s.", remote=document["currency"],
                     odoo=currency.name)
        net = document.get("netAmount", 0.0)
        if currency.compare_amounts(net, sale.amount_untaxed):
            return _("Net totals differ: e-conomic %(remote)s, Odoo %(odoo)s %(currency)s.", remote=net,
                     odoo=sale.amount_untaxed, currency=currency.name)
        zone = ((document.get("recipient") or {}).get("vatZone") or {}).get("vatZoneNumber")
        if zone and zone == backend.economic_vat_zone_domestic_id.number:
            vat = document.get("vatAmount", 0.0)
            tolerance = currency.rounding * len(sale.order_line.filtered(lambda l: not l.display_type))
            if abs(vat - sale.amount_tax) > tolerance + currency.rounding / 2:
                return _("VAT differs: e-conomic %(remote)s, Odoo %(odoo)s %(currency)s.", remote=vat,
                         odoo=sale.amount_tax, currency=currency.name)
        return None

    # -- booking ----------------------------------------------------------------------------------
    @api.model
    def _book(self, backend, sale):
        """Book the order's draft (explicit action only); returns the log."""
        Log = self.env["shop.sync.log"]
        reference, binding, common = self._lock_order(backend, sale)
        if not binding or not binding.external_id.startswith("draft:"):
            return Log._record(backend, "invoice_export", "skipped", reason=_("Nothing to book"),
                               message=_("The order has no e-conomic draft invoice to book."), **common)
        number = int(binding.external_id.split(":", 1)[1])
        try:
            client = backend._economic_client()
            try:
                booked = client.post(BOOKED, {"draftInvoice": {"draftInvoiceNumber": number}})
            except RemoteError as exc:
                # lost answer, or the draft is gone (booked in e-conomic meanwhile): look for it
                document, kind = self._find(client, reference) if exc.uncertain or exc.status in (400, 404) \
                    else (None, None)
                if kind != "booked":
                    raise
                booked = document
        except RemoteError as exc:
            return Log._record(backend, "invoice_export", "error", reason=_("Invoice not booked"), message=str(exc),
                               response=exc.body, external_id=binding.external_id, **common)
        except UserError as exc:
            return Log._record(backend, "invoice_export", "error", reason=_("Invoice not booked"), message=str(exc),
                               external_id=binding.external_id, **common)
        booked_number = booked["bookedInvoiceNumber"]
        self._bind(backend, sale, "booked", booked_number, reference)
        return Log._record(backend, "invoice_export", "done", reason=_("Booked"), external_id=f"booked:{booked_number}",
                           message=_("Draft invoice %(draft)s booked as invoice %(number)s.", draft=number,
                                     number=booked_number), **common)
