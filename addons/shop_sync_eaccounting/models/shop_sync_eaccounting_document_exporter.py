from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.amounts import CENT, money, split_line
from odoo.addons.shop_sync_base.services.http import create_once

from ..services.client import AuthorisationError, eq

ROUNDING_ARTICLE = "SHOPSYNC-ROUNDING"
# document type -> (collection, amount properties (gross, VAT, roundings) in the document's currency); an
# invoice is a converted draft: its TotalAmount / TotalVatAmount are in the company's currency (the swagger's
# CustomerInvoiceApi has them beside TotalAmountInvoiceCurrency / TotalVatAmountInvoiceCurrency)
DOCUMENTS = {
    "draft": ("customerinvoicedrafts", ("TotalAmount", "TotalVatAmount", "TotalRoundings")),
    "order": ("orders", ("Amount", "VatAmount", "RoundingsAmount")),
    "quote": ("quotedrafts", ("TotalAmount", "VatAmount", "RoundingsAmount")),
    "invoice": ("customerinvoices", ("TotalAmountInvoiceCurrency", "TotalVatAmountInvoiceCurrency", "TotalRoundings")),
}
# the property holding each document type's date
DATES = {"draft": "InvoiceDate", "order": "OrderDate", "quote": "QuoteDate", "invoice": "InvoiceDate"}


class ShopSyncEaccountingDocumentExporter(models.AbstractModel):
    """One shop sale order in, exactly one eAccounting document out: a customer invoice draft (or a
    sales order or a quote draft, per backend), never a final invoice (converting a draft is a
    Manager's action).

    Exactly once: a lock per order, the binding sale.order <-> ``<type>:<id>``, and before
    creating, a look-up of the backend's documents (and invoices) by the reference stamped in
    ``OurReference`` (a quote has none: its first row is a text row carrying the reference, looked
    up among the quote drafts of the order's date); a POST whose answer was lost or answered 5xx is
    followed by the same look-up.
    A document this attempt created whose totals differ from the shop's is deleted again; nothing
    else is ever deleted."""

    _name = "shop.sync.eaccounting.document.exporter"
    _inherit = "shop.sync.accounting.document.exporter"
    _description = "eAccounting Document Export"
    _accounting_system = "eAccounting"

    # -- export (the base's flow: ``_export``) ----------------------------------------------------
    @api.model
    def _adopt_sent(self, backend, client, sale, reference, common):
        document, found_kind = self._find(client, backend.eacc_document_type, reference, sale=sale)
        return self._adopt(backend, sale, document, found_kind, reference, common) if document else None

    @api.model
    def _document_payload(self, backend, client, sale, reference):
        plan = self._plan(backend, sale)
        return self._payload(backend, client, sale, reference, backend.eacc_document_type, plan), plan

    @api.model
    def _create_document(self, backend, client, sale, reference, payload, plan, common):
        Log = self.env["shop.sync.log"]
        kind = backend.eacc_document_type
        collection = DOCUMENTS[kind][0]
        created = create_once(lambda: client.post(collection, payload),
                              lambda: self._find(client, kind, reference, invoices=False, sale=sale)[0])
        problem = self._difference(sale, created, kind, plan)
        if problem:
            client.delete(f"{collection}/{created['Id']}")
            sale._shop_sync_accounting_result("error")
            return Log._record(backend, "invoice_export", "error", reason=_("Totals differ: document deleted"),
                               external_id=f"{kind}:{created['Id']}", request=payload, response=created,
                               message=_("%(problem)s The document created by this attempt was deleted again.%(note)s",
                                         problem=problem, note=self._price_setting_changed(
                                             backend, plan["private"], created)), **common)
        self._bind(backend, sale, kind, created, reference)
        gross, vat, _roundings = self._amounts(created, kind)
        return Log._record(backend, "invoice_export", "done", external_id=f"{kind}:{created['Id']}",
                           request=payload,
                           message=_("%(document)s created: %(gross)s %(currency)s gross, %(vat)s VAT.",
                                     document=self._label(kind), gross=gross, vat=vat,
                                     currency=sale.currency_id.name), **common)

    @api.model
    def _price_setting_changed(self, backend, private, document):
        """A note when ``document`` (a private person's draft) shows that eAccounting's company
        setting 'Show prices excl. VAT for private individuals' changed since the values were loaded
        (its ``IncludesVat`` "is set upon creation depending whether [it] is marked", swagger): the
        backend takes the new setting, so the Retry sends the unit prices as eAccounting reads them.
        Else an empty string."""
        if not private or "IncludesVat" not in document:
            return ""
        excluded = not document["IncludesVat"]
        if excluded == backend.eacc_private_prices_exclude_vat:
            return ""
        backend.eacc_private_prices_exclude_vat = excluded
        return " " + (_("eAccounting's setting 'Show prices excl. VAT for private individuals' is now on: the backend "
                        "takes it, Retry sends the document again.") if excluded else
                      _("eAccounting's setting 'Show prices excl. VAT for private individuals' is now off: the backend "
                        "takes it, Retry sends the document again."))

    @api.model
    def _export_failed(self, backend, sale, exc, payload, common):
        if isinstance(exc, AuthorisationError):  # sent by the scheduled pass once authorised again
            sale._shop_sync_accounting_result("pending")
            return self.env["shop.sync.log"]._record(backend, "invoice_export", "error",
                                                      reason=_("Re-authorise eAccounting"), message=str(exc),
                                                      request=payload, **common)
        return super()._export_failed(backend, sale, exc, payload, common)

    @api.model
    def _label(self, kind):
        return {"draft": _("Customer invoice draft"), "order": _("Sales order"), "quote": _("Quote draft"),
                "invoice": _("Invoice")}[kind]

    @api.model
    def _find(self, client, kind, reference, invoices=True, sale=None):
        """(document, type) of a document already stamped with ``reference``: of ``kind``, or (for
        drafts) the invoice it was converted to.  Quotes are read by ``sale``'s date (every quote
        draft without one) and matched by their reference row."""
        if kind == "quote":
            date = sale and self._date(sale._shop_sync_accounting_date())
            quotes = client.iterate(DOCUMENTS["quote"][0], filter=f"QuoteDate eq {date}Z" if date else None)
            return next(((quote, "quote") for quote in quotes if self._stamp(quote) == reference), (None, None))
        kinds = (kind, "invoice") if kind == "draft" and invoices else (kind,)
        for each in kinds:
            document = client.first(DOCUMENTS[each][0], filter=eq("OurReference", reference))
            if document:
                return document, each
        return None, None

    @staticmethod
    def _stamp(document):
        """The reference a document carries: ``OurReference``, or a quote's first row (a text row:
        eAccounting's QuoteApi has no writable reference)."""
        if "OurReference" in document:
            return document["OurReference"]
        rows = document.get("Rows") or []
        return rows[0].get("Text") if rows and not rows[0].get("ArticleId") else None

    @api.model
    def _date(self, day):
        """The document date ``day`` as eAccounting writes date-times."""
        return f"{fields.Date.to_string(day)}T00:00:00"

    @api.model
    def _adopt(self, backend, sale, document, kind, reference, common):
        """Bind a document an earlier attempt created (its answer or commit was lost); never delete it."""
        self._bind(backend, sale, kind, document, reference)
        problem = self._difference(sale, document, kind, None)
        Log = self.env["shop.sync.log"]
        if problem:
            sale._shop_sync_accounting_result("error")
            return Log._record(backend, "invoice_export", "error", reason=_("Totals differ"),
                               external_id=f"{kind}:{document['Id']}", response=document,
                               message=_("%s The document was created by an earlier attempt: it is bound, not deleted; "
                                         "check it in eAccounting.", problem), **common)
        return Log._record(backend, "invoice_export", "done", external_id=f"{kind}:{document['Id']}",
                           message=_("Found the %(document)s created by an earlier attempt; bound to the order.",
                                     document=self._label(kind).lower()), **common)

    @api.model
    def _bind(self, backend, sale, kind, document, reference):
        external_id = f"{kind}:{document['Id']}"
        self.env["shop.sync.binding"]._bind(backend, sale, external_id, reference)
        sale._shop_sync_accounting_result("booked" if kind == "invoice" else "draft", external_id)

    # -- plan -------------------------------------------------------------------------------------
    @api.model
    def _private(self, sale, treatment):
        """Whether the document is a private person's: eAccounting decides the VAT by it (with the
        country): an EU business without VAT, a private person under OSS; and a private person's
        unit prices include VAT unless the company shows them excluded."""
        if treatment == "oss":
            return True
        if treatment == "reverse_charge":
            return False
        return not sale.partner_invoice_id.commercial_partner_id.is_company

    @api.model
    def _plan(self, backend, sale, entries=None, gross=None):
        """Every row of the document as eAccounting will compute it, before anything is sent.

        Each order line (products, shipping, fees, discounts as negative lines) keeps its net amount
        as Odoo computed it (adding up to the untaxed total to the cent) and gets the account coding
        of the order's VAT treatment, destination and the line's Odoo rate (``backend._eacc_coding``
        refuses what eAccounting would not book).  Rows take two-decimal unit prices (``split_line``),
        net, or gross when eAccounting shows a private person's prices with VAT (then the gross is
        searched whose rows give exactly that net).  eAccounting's VAT is the rate on each row,
        rounded per row; the cents by which it misses the shop's tax go to one explicit rounding row
        in a coding without VAT, so the document's gross is the shop's total.  Returns ``{"treatment",
        "country", "private", "includes_vat", "rows": [(line, coding, rate, [(qty, unit price)])],
        "rounding", "vat", "gross"}``; a UserError names the cause.  A credit note passes its
        ``entries`` ``[(line, quantity, net, taxed line)]`` (negative) and its ``gross``."""
        treatment, country = sale._shop_sync_vat_treatment()
        if entries is None:
            entries = self._order_entries(sale)
        if treatment == "reverse_charge" and any(self._line_rate(taxed) for _l, _q, _n, taxed in entries):
            # the shop charged VAT to an EU business (no reverse charge): booked as eAccounting books
            # a sale with the buyer's country's VAT, to a private person under OSS
            treatment = "oss"
        private = self._private(sale, treatment)
        includes_vat = private and not backend.eacc_private_prices_exclude_vat
        rows, amount_total, vat_total = [], Decimal(0), Decimal(0)
        for line, quantity, net, taxed_line in entries:
            rate = Decimal(str(self._line_rate(taxed_line)))
            coding = backend._eacc_coding(treatment, country, float(rate), line.product_id)
            parts = self._parts(quantity, money(net), rate, includes_vat)
            for qty, unit in parts:
                amount, vat = self._row_amounts(qty, unit, rate, includes_vat)
                amount_total += amount
                vat_total += vat
            rows.append((line, coding, rate, parts))
        gross = money(sale.amount_total if gross is None else gross)
        rounding = gross - amount_total - (Decimal(0) if includes_vat else vat_total)
        if rounding and not backend.eacc_rounding_coding_id:
            raise UserError(_("eAccounting's VAT (per row) misses the shop's tax of order %(order)s by %(amount)s "
                              "%(currency)s: set 'Account coding: rounding' (a coding without VAT) on the backend "
                              "%(name)s for an explicit rounding row.", order=sale.shop_order_number or sale.name,
                              amount=rounding, currency=sale.currency_id.name, name=backend.name))
        if rounding and backend.eacc_rounding_coding_id.vat_rate:
            raise UserError(_("The rounding coding %s of the eAccounting backend charges VAT: pick one without.",
                              backend.eacc_rounding_coding_id.display_name))
        return {"treatment": treatment, "country": country, "private": private, "includes_vat": includes_vat,
                "rows": rows, "rounding": rounding, "vat": vat_total, "gross": gross}

    @staticmethod
    def _row_amounts(quantity, unit_price, rate, includes_vat):
        """(row amount as sent, its VAT) as eAccounting computes them: rounded to the cent per row."""
        amount = money(quantity * unit_price)
        if includes_vat:
            return amount, money(amount * rate / (100 + rate))
        return amount, money(amount * rate / 100)

    @classmethod
    def _parts(cls, quantity, net, rate, includes_vat):
        """``[(quantity, unit price)]`` of a line whose rows net exactly ``net``: net unit prices, or
        gross ones whose rows, less their VAT, give ``net``.  Then the gross of a row of one unit is
        searched cent by cent: each cent more adds 0 or 1 cent of VAT, so some gross nets exactly (a
        line of several units is split into ``quantity - 1`` units and one unit for this)."""
        sign = -1 if quantity < 0 else 1

        def split(total):
            return [(sign * qty, unit) for qty, unit in split_line(sign * quantity, sign * total)]

        def net_of(parts):
            return sum((amount - vat for amount, vat in (cls._row_amounts(qty, unit, rate, True)
                                                         for qty, unit in parts)), Decimal(0))

        if not includes_vat or not rate:
            return split(net)
        parts = split(money(net * (100 + rate) / 100))
        if net_of(parts) == net:
            return parts
        *head, (last_quantity, last_unit) = parts
        if abs(last_quantity) != 1:
            if abs(last_quantity) < 2 or last_quantity != last_quantity.to_integral_value():
                return parts  # a fraction of a unit: the totals check refuses what this misses
            head.append((last_quantity - sign, last_unit))
            last_quantity = Decimal(sign)
        wanted = net - net_of(head)
        for step in range(500):
            for unit in (last_unit + step * CENT, last_unit - step * CENT):
                if net_of([(last_quantity, unit)]) == wanted:
                    return [*head, (last_quantity, unit)]
        return parts

    # -- payload ----------------------------------------------------------------------------------
    @api.model
    def _payload(self, backend, client, sale, reference, kind, plan, credit=False, date=None):
        """The document (draft or order) of ``plan``: the customer and articles are created in
        eAccounting as needed (after the plan: nothing is created for an order it refuses); dated
        ``date`` (a credit note's: its refund's or the cancellation's day), else the order's."""
        customer = self.env["shop.sync.eaccounting.customer.exporter"]._customer_for_sale(backend, client, sale)
        if customer.get("CurrencyCode") and customer["CurrencyCode"] != sale.currency_id.name:
            raise UserError(_("eAccounting customer %(number)s keeps %(remote)s, the order is in %(currency)s: a "
                              "document takes its customer's currency.", number=customer.get("CustomerNumber"),
                              remote=customer["CurrencyCode"], currency=sale.currency_id.name))
        invoice_partner, shipping = sale.partner_invoice_id, sale.partner_shipping_id
        commercial = invoice_partner.commercial_partner_id
        date = self._date(date or sale._shop_sync_accounting_date())
        if kind == "quote":
            return self._quote_payload(backend, client, customer, reference, date, plan)
        references = 50 if kind == "order" else 100
        payload = {
            "CustomerId": customer["Id"],
            "RotReducedInvoicingType": 0,
            "InvoiceCustomerName": (commercial.name or invoice_partner.name or "?")[:50],
            "InvoiceAddress1": (invoice_partner.street or "")[:50] or None,
            "InvoiceAddress2": (invoice_partner.street2 or "")[:50] or None,
            "InvoicePostalCode": (invoice_partner.zip or "-")[:10],
            "InvoiceCity": (invoice_partner.city or "-")[:50],
            # eAccounting books the VAT by this country: the place of supply Odoo decided on
            "InvoiceCountryCode": (plan["country"].code or "")[:2],
            "DeliveryCustomerName": (shipping.name or "")[:50] or None,
            "DeliveryAddress1": (shipping.street or "")[:50] or None,
            "DeliveryPostalCode": (shipping.zip or "")[:10] or None,
            "DeliveryCity": (shipping.city or "")[:50] or None,
            "DeliveryCountryCode": (shipping.country_id.code or "")[:2] or None,
            "EuThirdParty": False,  # triangulation, never a shop's sale
            "CustomerIsPrivatePerson": plan["private"],
            "OurReference": reference[:references],
            "YourReference": (sale.shop_order_number or sale.name)[:references],
        }
        method = backend.eacc_delivery_method_id
        if method:
            payload.update(DeliveryMethodCode=(method.code or "")[:20] or None, DeliveryMethodName=method.name[:50])
        rows = self._rows(backend, client, plan, kind)
        if kind == "order":
            payload.update({
                "CurrencyCode": sale.currency_id.name, "OrderDate": date, "Status": 1,
                "Amount": float(plan["gross"]), "VatAmount": float(plan["vat"]),
                "RoundingsAmount": 0.0, "ReverseChargeOnConstructionServices": False, "Rows": rows})
        else:
            payload.update({"InvoiceDate": date, "IsCreditInvoice": credit, "Rows": rows})
        return {key: value for key, value in payload.items() if value is not None}

    @api.model
    def _quote_payload(self, backend, client, customer, reference, date, plan):
        """A quote draft: eAccounting's QuoteApi takes the country, the private/business kind and the
        currency from the customer (read-only on the quote), and so the VAT; the reference is the
        text of its first row."""
        country = customer.get("InvoiceCountryCode") or ""
        if country != (plan["country"].code or "") or bool(customer.get("IsPrivatePerson")) != plan["private"]:
            raise UserError(_(
                "A quote in eAccounting is booked by its customer's country and kind (%(remote)s, %(remote_kind)s), "
                "the order's VAT by %(country)s, %(kind)s: send this order as a customer invoice draft or sales "
                "order, or give the customer %(number)s the order's country and kind.", remote=country or "?",
                remote_kind=_("private") if customer.get("IsPrivatePerson") else _("business"),
                country=plan["country"].code or "?", kind=_("private") if plan["private"] else _("business"),
                number=customer.get("CustomerNumber")))
        return {"CustomerId": customer["Id"], "QuoteDate": date, "RotReducedInvoicingType": 0, "EuThirdParty": False,
                "Rows": [{"Text": reference[:2000]}, *self._rows(backend, client, plan, "quote")]}

    @api.model
    def _rows(self, backend, client, plan, kind):
        Articles = self.env["shop.sync.eaccounting.article.exporter"]
        rows = []

        def row(article, text, quantity, unit_price):
            values = {"ArticleId": article["Id"], "Text": text[:2000], "Quantity": float(quantity),
                      "UnitPrice": float(unit_price)}
            if kind == "quote":  # line numbers and the text row flag are read-only on a quote
                rows.append(values)
                return
            values.update(LineNumber=len(rows) + 1, IsTextRow=False)
            if kind == "order":
                values.update(IsWorkCost=False, EligibleForReverseChargeOnVat=False)
            else:
                values["ReversedConstructionServicesVatFree"] = False
            rows.append(values)

        for line, coding, _rate, parts in plan["rows"]:
            article = Articles._ensure(backend, client, line.product_id, coding)
            for quantity, unit_price in parts:
                row(article, line.name or line.product_id.display_name, quantity, unit_price)
        if plan["rounding"]:
            row(self._rounding_article(backend, client), _("Rounding: the shop's VAT, rounded per line, differs "
                                                           "from eAccounting's"), 1, plan["rounding"])
        return rows

    @api.model
    def _rounding_article(self, backend, client):
        """The article of rounding rows (in the backend's rounding coding), created if missing."""
        Articles = self.env["shop.sync.eaccounting.article.exporter"]
        self.env["shop.sync.binding"]._lock(backend, "product.product", ROUNDING_ARTICLE)
        article = Articles._find(client, ROUNDING_ARTICLE)
        if article is None:
            body = {"Number": ROUNDING_ARTICLE, "Name": _("Rounding"), "IsActive": True,
                    "CodingId": backend.eacc_rounding_coding_id.remote_id,
                    "UnitId": backend._eacc_required("eacc_unit_id").remote_id}
            article = create_once(lambda: client.post("articles", body),
                                  lambda: Articles._find(client, ROUNDING_ARTICLE))
        return article

    # -- totals -----------------------------------------------------------------------------------
    @api.model
    def _amounts(self, document, kind):
        """(gross, VAT, roundings) of a document as eAccounting holds it."""
        names = DOCUMENTS[kind][1]
        return tuple(money(document.get(name) or 0) for name in names)

    @staticmethod
    def _rounding_amount(document):
        """The amount of the document's rounding row (no VAT: net = gross)."""
        return sum((money(row.get("UnitPrice") or 0) * Decimal(str(row.get("Quantity") or 0))
                    for row in document.get("Rows") or [] if row.get("ArticleNumber") == ROUNDING_ARTICLE),
                   Decimal(0))

    @api.model
    def _difference(self, sale, document, kind, plan):
        """Why eAccounting's document does not book what the shop charged, or None: its gross must
        be the order's total and its VAT the shop's tax, to the cent (a rounding row without VAT is
        the one documented exception: its amount moves from net to VAT)."""
        rounding = plan["rounding"] if plan else self._rounding_amount(document)
        return self._totals_difference(sale.currency_id, document, kind, sale.amount_total, sale.amount_tax, rounding)

    @api.model
    def _totals_difference(self, currency, document, kind, gross_expected, vat_expected, rounding=None):
        """Why ``document`` does not book ``gross_expected`` and ``vat_expected`` in ``currency`` to
        the cent, or None (``rounding``: its rounding rows' amount, read from it when not given)."""
        remote = document.get("InvoiceCurrencyCode") or document.get("CurrencyCode")
        if remote and remote != currency.name:
            return _("eAccounting has the document in %(remote)s, Odoo in %(odoo)s.", remote=remote,
                     odoo=currency.name)
        gross, vat, _roundings = self._amounts(document, kind)
        if rounding is None:
            rounding = self._rounding_amount(document)
        if currency.compare_amounts(float(gross), gross_expected):
            return _("Gross totals differ: eAccounting %(remote)s, Odoo %(odoo)s %(currency)s.", remote=gross,
                     odoo=gross_expected, currency=currency.name)
        if currency.compare_amounts(float(vat + rounding), vat_expected):
            return _("VAT differs: eAccounting %(remote)s (rounding row %(rounding)s), Odoo %(odoo)s %(currency)s.",
                     remote=vat, rounding=rounding, odoo=vat_expected, currency=currency.name)
        return None
