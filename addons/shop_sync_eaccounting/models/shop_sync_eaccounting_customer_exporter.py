from odoo import _, api, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.http import RemoteError, create_once

from ..services.client import all_of, eq

# customer export rule -> eAccounting properties it decides
PROPERTIES_OF_RULE = {
    "name": ("Name", "ContactPersonName"),
    "email": ("EmailAddress", "ContactPersonEmail"),
    "phone": ("Telephone", "ContactPersonPhone"),
    "address": ("InvoiceAddress1", "InvoiceAddress2", "InvoicePostalCode", "InvoiceCity", "InvoiceCountryCode"),
    "vat": ("VatNumber",),
}
# properties eAccounting computes: never sent back in a PUT
READ_ONLY = frozenset({"Id", "TermsOfPayment", "PayToAccountId", "LastInvoiceDate", "ChangedUtc", "CustomerLabels"})


class ShopSyncEaccountingCustomerExporter(models.AbstractModel):
    """Odoo partners to eAccounting customers, matched by e-mail and currency.

    A document's currency is its customer's (``InvoiceCurrencyCode`` is read-only), so a buyer
    ordering in two currencies has a customer per currency.  A company is a customer with a
    contact person, a private buyer a private person (or the backend's default customer).  The
    customer export rules decide what is written when creating and overwritten when updating."""

    _name = "shop.sync.eaccounting.customer.exporter"
    _description = "eAccounting Customer Export"

    @api.model
    def _customer_for_sale(self, backend, client, sale):
        """The eAccounting customer document to put ``sale`` on."""
        partner = sale.partner_invoice_id
        commercial = partner.commercial_partner_id
        if backend.eacc_default_customer and not commercial.is_company:
            number = (backend.eacc_default_customer_number or "").strip()
            if not number:
                raise UserError(_("Enter the default customer's number on the eAccounting backend %s.", backend.name))
            found = client.first("customers", filter=eq("CustomerNumber", number))
            if not found:
                raise UserError(_("The default customer %(number)s of backend %(name)s does not exist in eAccounting.",
                                  number=number, name=backend.name))
            return found
        email = (commercial.email or partner.email or sale.partner_id.email or "").strip().lower()
        contact = next((person for person in (sale.partner_id, partner) if person != commercial and person.name), None)
        return self._export(backend, client, partner, email, sale.currency_id.name, contact)

    @api.model
    def _export(self, backend, client, partner, email, currency, contact=None):
        """The customer of ``partner`` in ``currency``: found by e-mail (and updated as the rules
        allow) or created; an error is logged on the partner and raised."""
        commercial = partner.commercial_partner_id
        common = {"ref": email or commercial.name, "record": commercial}
        self.env["shop.sync.binding"]._lock(backend, "res.partner", f"{email or commercial.id}:{currency}")
        try:
            found = self._find(client, commercial, email, currency)
            if found:
                self._update(backend, client, partner, email, found, common, contact)
                return found
            return self._create(backend, client, partner, email, currency, common, contact)
        except (RemoteError, UserError) as exc:
            self.env["shop.sync.log"]._record(backend, "customer_export", "error", reason=_("Customer not exported"),
                                               message=str(exc), response=getattr(exc, "body", None), **common)
            raise

    @api.model
    def _find(self, client, commercial, email, currency):
        if email:
            return client.first("customers", filter=all_of(eq("EmailAddress", email), eq("CurrencyCode", currency)))
        return client.first("customers", filter=all_of(eq("Name", (commercial.name or "")[:50]),
                                                       eq("CurrencyCode", currency)))

    @api.model
    def _create(self, backend, client, partner, email, currency, common, contact):
        commercial = partner.commercial_partner_id
        body = self._values(partner, email, self._allowed(backend, creating=True), contact)
        body.update({
            "Name": (commercial.name or email)[:50],
            "IsPrivatePerson": not commercial.is_company,
            "IsActive": True,
            "CurrencyCode": currency,
            "TermsOfPaymentId": backend._eacc_required("eacc_terms_id").remote_id,
            "InvoicePostalCode": body.get("InvoicePostalCode") or (partner.zip or "-")[:10],
            "InvoiceCity": body.get("InvoiceCity") or (partner.city or "-")[:50],
        })
        # an uncertain answer (5xx, lost): the customer may exist; look it up before sending again
        created = create_once(lambda: client.post("customers", body),
                              lambda: self._find(client, commercial, email, currency))
        self._log(backend, _("Customer %s created.", created.get("CustomerNumber")), created, common, request=body)
        return created

    @api.model
    def _update(self, backend, client, partner, email, document, common, contact):
        """Overwrite what the update rules allow (PUT takes the full document); True if changed."""
        allowed = self._allowed(backend, creating=False)
        values = self._values(partner, email, allowed, contact)
        current = {key: value for key, value in document.items() if key not in READ_ONLY and value is not None}
        desired = dict(current)
        for rule in allowed:
            for name in PROPERTIES_OF_RULE.get(rule, ()):
                if name in values:
                    desired[name] = values[name]
        if desired == current:
            return False
        client.put(f"customers/{document['Id']}", desired)
        self._log(backend, _("Customer %s updated.", document.get("CustomerNumber")), document, common,
                  request=desired)
        return True

    @api.model
    def _allowed(self, backend, creating):
        return self.env["shop.sync.field.rule"]._allowed_fields(backend, "customer", "export", creating)

    @api.model
    def _values(self, partner, email, allowed, contact=None):
        """eAccounting properties of ``partner`` for the allowed rules (empty values left out): the
        person who ordered for a company is its contact person."""
        commercial = partner.commercial_partner_id
        contact = contact if commercial.is_company else None
        values = {}
        if "name" in allowed and commercial.name:
            values["Name"] = commercial.name[:50]
            if contact:
                values["ContactPersonName"] = contact.name[:100]
        if "email" in allowed and email:
            values["EmailAddress"] = email[:255]
            if contact:
                values["ContactPersonEmail"] = (contact.email or email)[:255]
        if "phone" in allowed and (partner.phone or commercial.phone):
            values["Telephone"] = (commercial.phone or partner.phone)[:50]
        if "address" in allowed:
            values.update({key: value for key, value in (
                ("InvoiceAddress1", (partner.street or "")[:50]), ("InvoiceAddress2", (partner.street2 or "")[:50]),
                ("InvoicePostalCode", (partner.zip or "")[:10]), ("InvoiceCity", (partner.city or "")[:50]),
                ("InvoiceCountryCode", (partner.country_id.code or "")[:2])) if value})
        if "vat" in allowed and commercial.is_company and commercial.vat:
            values["VatNumber"] = commercial.vat[:20]
        return values

    @api.model
    def _log(self, backend, message, document, common, request=None):
        return self.env["shop.sync.log"]._record(backend, "customer_export", "done", message=message,
                                                  external_id=document.get("Id"), request=request, **common)
