from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.http import RemoteError, create_once

from ..services.client import eq
from ..services.mapper import money, split_line

DRAFTS, BOOKED = "invoices/drafts", "invoices/booked"
ROUNDING_PRODUCT = "SHOPSYNC-ROUNDING"


class ShopSyncEconomicInvoiceExporter(models.AbstractModel):
    """One shop sale order in, exactly one e-conomic draft invoice out.

    Exactly once: a lock per order, the binding sale.order <-> ``draft:<n>`` / ``booked:<n>``,
    and before creating, a look-up of drafts and booked invoices by the reference stamped in
    ``references.other``; a POST whose answer was lost is followed by the same look-up.  A draft
    this attempt created whose totals differ from Odoo's is deleted again; nothing else is ever
    deleted.  Booking is a separate, explicit step (``_book``).
    """

    _name = "shop.sync.economic.invoice.exporter"
    _inherit = "shop.sync.accounting.document.exporter"
    _description = "e-conomic Draft Invoice Export"
    _accounting_system = "e-conomic"

    # -- export (the base's flow: ``_export``) ----------------------------------------------------
    @api.model
    def _not_ready_reason(self):
        return _("Not invoiced")

    @api.model
    def _not_sent_reason(self, transient=False):
        return _("Invoice not created (will retry)") if transient else _("Invoice not created")

    @api.model
    def _adopt_sent(self, backend, client, sale, reference, common):
        if self._maybe_sent(backend, sale, reference):
            document, kind = self._find(client, reference)
            if document:
                return self._adopt(backend, sale, self._full(client, document, kind), kind, reference, common)
        return None

    @api.model
    def _document_payload(self, backend, client, sale, reference):
        return self._payload(backend, client, sale, reference), None

    @api.model
    def _create_document(self, backend, client, sale, reference, payload, plan, common):
        Log = self.env["shop.sync.log"]
        self.env["shop.sync.create.attempt"]._mark(backend, reference)
        draft = self._full(client, self._create(client, payload, reference), "draft")
        number = draft["draftInvoiceNumber"]
        problem = self._difference(backend, sale, draft)
        if problem:
            client.delete(f"{DRAFTS}/{number}")
            sale.accounting_state = "error"
            return Log._record(backend, "invoice_export", "error", reason=_("Totals differ: draft deleted"),
                               external_id=f"draft:{number}", request=payload, response=draft,
                               message=_("%(problem)s The draft invoice %(number)s created by this attempt was "
                                         "deleted again.", problem=problem, number=number), **common)
        self._bind(backend, sale, "draft", number, reference)
        return Log._record(backend, "invoice_export", "done", external_id=f"draft:{number}", request=payload,
                           message=_("Draft invoice %(number)s created: %(net)s net, %(gross)s %(currency)s gross.",
                                     number=number, net=draft.get("netAmount"), gross=draft.get("grossAmount"),
                                     currency=draft.get("currency")), **common)

    @api.model
    def _export_failed(self, backend, sale, exc, payload, common):
        if exc.status == 400 and payload:  # e.g. a line's product deleted in e-conomic: read them again
            self.env["shop.sync.economic.known.product"]._forget(
                backend, {line["product"]["productNumber"] for line in payload["lines"]})
        return super()._export_failed(backend, sale, exc, payload, common)

    @api.model
    def _maybe_sent(self, backend, sale, reference):
        """Whether a draft stamped ``reference`` may exist already: a create of it was attempted
        (committed before its POST, see shop.sync.create.attempt), or an earlier export attempt of the
        order was logged (attempts made before those marks existed).  Otherwise the look-up by
        reference, two requests, is skipped: nothing can have been sent."""
        if self.env["shop.sync.create.attempt"]._marked(backend, reference):
            return True
        return bool(self.env["shop.sync.log"].search_count([
            ("backend_id", "=", backend.id), ("flow", "=", "invoice_export"), ("res_model", "=", "sale.order"),
            ("res_id", "=", sale.id)], limit=1))

    @api.model
    def _find(self, client, reference):
        """(document, 'draft' | 'booked') of an invoice already stamped with ``reference``."""
        for path, kind in ((DRAFTS, "draft"), (BOOKED, "booked")):
            document = client.first(path, filter=eq("references.other", reference))
            if document:
                return document, kind
        return None, None

    @api.model
    def _full(self, client, document, kind):
        """The single resource (with its lines): collections and a look-up after a lost answer omit them."""
        if "lines" in document:
            return document
        key, path = ("draftInvoiceNumber", DRAFTS) if kind == "draft" else ("bookedInvoiceNumber", BOOKED)
        return client.get(f"{path}/{document[key]}")

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
            sale.accounting_state = "error"
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
        sale._shop_sync_accounting_result(kind, f"{kind}:{number}")
        sale.write({"economic_draft_number" if kind == "draft" else "economic_booked_number": number})

    # -- payload ----------------------------------------------------------------------------------
    @api.model
    def _payload(self, backend, client, sale, reference, plan=None, heading=None, date=None):
        """The draft invoice document.  Its VAT is planned first (nothing is created in e-conomic when
        a destination has no mapping); then customer and products are created in e-conomic.  A credit
        note passes its own ``plan`` (see ``_draft_plan``) and ``date`` (its refund's or the cancellation's
        day), and keeps the order's customer, VAT zone, layout and terms."""
        plan = plan or self._draft_plan(backend, sale)
        invoice_partner = sale.partner_invoice_id
        commercial = invoice_partner.commercial_partner_id
        country = sale.partner_shipping_id.country_id or invoice_partner.country_id
        customer = self.env["shop.sync.economic.customer.exporter"]._customer_for_invoice(backend, client, sale)
        terms, terms_type = backend._economic_payment_terms(sale.shop_payment_method)
        issue_date = fields.Date.to_string(date or sale._shop_sync_accounting_date())
        recipient = {"name": (commercial.name or invoice_partner.name or "?")[:250],
                     "vatZone": {"vatZoneNumber": plan["zone"]}}
        recipient.update(self._address(invoice_partner, 250, 250, 50))
        payload = {
            "date": issue_date,
            "currency": sale.currency_id.name,
            "customer": {"customerNumber": customer},
            "layout": {"layoutNumber": backend._economic_layout(country)},
            "paymentTerms": {"paymentTermsNumber": terms},
            "recipient": recipient,
            "references": {"other": reference},
            "notes": {"heading": (heading or _("Order %s", sale.shop_order_number or sale.name))[:250]},
            "lines": self._lines(backend, client, sale, plan),
        }
        if terms_type == "dueDate":
            payload["dueDate"] = issue_date
        shipping = sale.partner_shipping_id
        if shipping != invoice_partner and shipping.street:
            payload["delivery"] = self._address(shipping, 255, 50, 30)
        return payload

    @api.model
    def _draft_plan(self, backend, sale, entries=None, gross=None):
        """Every line of the draft as e-conomic will compute it, before anything is sent.

        Each order line (products, shipping, fees, discounts as negative lines) gets its net amount as
        Odoo computed it (adding up to the untaxed total to the cent), split into e-conomic lines of
        two-decimal unit prices, and the product group whose sales account for the order's VAT zone
        carries the line's Odoo tax rate.  e-conomic's VAT is that rate on each line's net, rounded
        per line (as the simulator documents); where it misses the shop's tax (Odoo's, per line or
        globally rounded), the cents go to one explicit rounding line without VAT, so the gross is the
        shop's total.  Returns {"zone", "rows": [(order line, group number, [(qty, unit price)])],
        "rounding"}; raises a UserError naming the cause.

        A credit note plans its own ``entries`` ``[(line with product_id and name, quantity, net,
        order line whose taxes apply)]`` (negative quantities and nets) against its ``gross``."""
        treatment, country = sale._shop_sync_vat_treatment()
        if entries is None:
            entries = self._order_entries(sale)
        rows, zones, net_total, vat_total = [], set(), Decimal(0), Decimal(0)
        for line, line_quantity, net, taxed_line in entries:
            net = money(net)
            rate = self._line_rate(taxed_line)
            if net:
                group, zone = backend._economic_vat_line(treatment, country, rate, line.product_id)
                zones.add(zone)
                group = group.number
            else:  # e.g. free pick-up: no VAT in any group, often sent untaxed; the product's own group
                group = backend._economic_product_group(line.product_id)
            sign = -1 if line_quantity < 0 else 1
            parts = [(sign * quantity, unit_price)
                     for quantity, unit_price in split_line(sign * line_quantity, sign * net)]
            for quantity, unit_price in parts:
                line_net = money(quantity * unit_price)
                net_total += line_net
                vat_total += money(line_net * Decimal(str(rate)) / 100)
            rows.append((line, group, parts))
        if len(zones) > 1:
            raise UserError(_("The lines of order %(order)s need different e-conomic VAT zones (%(zones)s); an "
                              "invoice has one. Check the 'VAT per destination' rows.",
                              order=sale.shop_order_number or sale.name, zones=", ".join(map(str, sorted(zones)))))
        zone = zones.pop() if zones else backend._economic_vat_zone(country)
        rounding = money(sale.amount_total if gross is None else gross) - net_total - vat_total
        if rounding:
            group = backend.economic_rounding_group_id
            if not group:
                raise UserError(_("e-conomic's VAT (per line) misses the shop's tax of order %(order)s by %(amount)s "
                                  "%(currency)s: set 'Product group: rounding' on the e-conomic backend %(name)s for "
                                  "an explicit rounding line.", order=sale.shop_order_number or sale.name,
                                  amount=rounding, currency=sale.currency_id.name, name=backend.name))
            account = backend._economic_sales_account(group, zone)
            if not account or account.vat_code:
                raise UserError(_("The rounding product group %(group)s must book VAT zone %(zone)s on a sales account "
                                  "without VAT code.", group=group.display_name, zone=zone))
        return {"zone": zone, "rows": rows, "rounding": rounding}

    @api.model
    def _lines(self, backend, client, sale, plan):
        """The draft's lines from ``_draft_plan``: products created in e-conomic (in the planned group)
        as needed, and the rounding line if any."""
        Products = self.env["shop.sync.economic.product.exporter"]
        lines = []
        bound = Products._bindings(backend, self.env["product.product"].concat(
            *(line.product_id for line, _group, _parts in plan["rows"])))
        for line, group, parts in plan["rows"]:
            number = Products._ensure(backend, client, line.product_id, group, bound)
            description = (line.name or line.product_id.display_name)[:2500]
            for quantity, unit_price in parts:
                lines.append({"sortKey": len(lines) + 1, "product": {"productNumber": number},
                              "description": description, "quantity": float(quantity),
                              "unitNetPrice": float(unit_price)})
        if plan["rounding"]:
            lines.append({"sortKey": len(lines) + 1,
                          "product": {"productNumber": self._rounding_product(backend, client)},
                          "description": _("Rounding: the shop's VAT, rounded per line, differs from e-conomic's"),
                          "quantity": 1.0, "unitNetPrice": float(plan["rounding"])})
        return lines

    @api.model
    def _rounding_product(self, backend, client):
        """The e-conomic product of rounding lines (in the backend's rounding group), created if missing
        (a create answered 5xx or lost is looked up before it is sent again)."""
        Known = self.env["shop.sync.economic.known.product"]
        if Known._known(backend, ROUNDING_PRODUCT):
            return ROUNDING_PRODUCT
        self.env["shop.sync.binding"]._lock(backend, "product.product", ROUNDING_PRODUCT)
        path = client.product_path(ROUNDING_PRODUCT)
        if client.get_or_none(path) is None:
            body = {"productNumber": ROUNDING_PRODUCT, "name": _("Rounding"),
                    "productGroup": {"productGroupNumber": backend.economic_rounding_group_id.number}}
            create_once(lambda: client.post("products", body), lambda: client.get_or_none(path))
        Known._remember(backend, ROUNDING_PRODUCT)
        return ROUNDING_PRODUCT

    @staticmethod
    def _address(partner, address_size, city_size, zip_size):
        street = ", ".join(part for part in (partner.street, partner.street2) if part)
        values = {"address": street[:address_size], "zip": (partner.zip or "")[:zip_size],
                  "city": (partner.city or "")[:city_size], "country": (partner.country_id.name or "")[:50]}
        return {key: value for key, value in values.items() if value}

    @api.model
    def _difference(self, backend, sale, document, totals=None):
        """Why e-conomic's invoice does not book what the shop charged, or None: the gross must be the
        order's total and the VAT its tax, exactly to the cent, in every VAT zone; a rounding line
        (without VAT) is the one documented exception, its amount moved from net to VAT.  ``totals``:
        the (gross, VAT) to book instead of the order's (a credit note's, negative)."""
        currency = sale.currency_id
        total, tax = totals or (sale.amount_total, sale.amount_tax)
        if document.get("currency") and document["currency"] != currency.name:
            return _("e-conomic has the invoice in %(remote)s, Odoo in %(odoo)s.", remote=document["currency"],
                     odoo=currency.name)
        rounding = self._rounding_amount(document)
        gross = document.get("grossAmount", 0.0)
        if currency.compare_amounts(gross, total):
            return _("Gross totals differ: e-conomic %(remote)s, Odoo %(odoo)s %(currency)s.", remote=gross,
                     odoo=total, currency=currency.name)
        vat = document.get("vatAmount", 0.0)
        if currency.compare_amounts(vat + rounding, tax):
            return _("VAT differs: e-conomic %(remote)s (rounding line %(rounding)s), Odoo %(odoo)s %(currency)s.",
                     remote=vat, rounding=rounding, odoo=tax, currency=currency.name)
        return None

    @staticmethod
    def _rounding_amount(document):
        return sum(line.get("totalNetAmount", 0.0) for line in document.get("lines") or []
                   if (line.get("product") or {}).get("productNumber") == ROUNDING_PRODUCT)

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
