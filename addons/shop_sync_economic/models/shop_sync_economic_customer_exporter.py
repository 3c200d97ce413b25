import hashlib
import json

from odoo import _, api, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.services.http import RemoteError, create_once

from ..services.client import eq, sort_by
from ..services.mapper import apply_update_rules, writable

# customer export rule -> e-conomic properties it decides
PROPERTIES_OF_RULE = {
    "name": ("name",),
    "email": ("email",),
    "phone": ("telephoneAndFaxNumber",),
    "address": ("address", "zip", "city", "country", "vatZone"),
    "vat": ("corporateIdentificationNumber",),
}


class ShopSyncEconomicCustomerExporter(models.AbstractModel):
    """Odoo partners to e-conomic customers: the binding first, then a customer with the same
    e-mail, else a new one.  The customer export rules decide which properties are written when
    creating and which are overwritten when updating; a private buyer may go to the backend's
    default debtor instead."""

    _name = "shop.sync.economic.customer.exporter"
    _description = "e-conomic Customer Export"

    @api.model
    def _customer_for_invoice(self, backend, client, sale):
        """Customer number to invoice ``sale`` on."""
        partner = sale.partner_invoice_id.commercial_partner_id
        if backend.economic_default_debtor and not partner.is_company:
            if not backend.economic_default_debtor_number:
                raise UserError(_("Enter the default debtor's customer number on the e-conomic backend %s.",
                                  backend.name))
            return backend.economic_default_debtor_number
        return self._export(backend, client, partner, email=partner.email or sale.partner_id.email,
                            currency=sale.currency_id)

    @api.model
    def _export(self, backend, client, partner, email=None, currency=None):
        """Return the customer number of ``partner`` (commercial entity), creating or updating it."""
        Binding = self.env["shop.sync.binding"]
        email = (email or partner.email or "").strip().lower()
        common = {"ref": email or partner.name, "record": partner}
        Binding._lock(backend, "res.partner", partner.id)
        try:
            binding = Binding._for_record(backend, partner)
            if binding:
                number = int(binding.external_id)
                self._update(backend, client, partner, number, email, common, binding=binding)
                return number
            found = self._find_by_email(client, email)
            if found:
                number = found["customerNumber"]
                binding = self._bind(backend, partner, number, email)
                updated = self._update(backend, client, partner, number, email, common, document=found, log=False,
                                       binding=binding)
                self._log(backend, "done", _("Matched by e-mail to customer %(number)s%(updated)s.", number=number,
                                             updated=_(" and updated") if updated else ""), number, common)
                return number
            number = self._create(backend, client, partner, email, currency, common)
            binding = self._bind(backend, partner, number, email)
            allowed = self._allowed(backend, creating=False)
            if binding and allowed <= self._allowed(backend, creating=True):  # the create wrote all of them
                binding.last_value = self._fingerprint(allowed, self._values(backend, partner, email, allowed))
            return number
        except (RemoteError, UserError) as exc:
            self.env["shop.sync.log"]._record(backend, "customer_export", "error", reason=_("Customer not exported"),
                                               message=str(exc), response=getattr(exc, "body", None), **common)
            raise

    @api.model
    def _find_by_email(self, client, email):
        if not email:
            return None
        return client.first("customers", filter=eq("email", email), sort=sort_by("customerNumber"))

    @api.model
    def _create(self, backend, client, partner, email, currency, common):
        body = self._values(backend, partner, email, self._allowed(backend, creating=True))
        country = partner.country_id
        body.update({
            "name": (partner.name or email)[:255],
            "currency": (currency or backend.company_id.currency_id).name,
            "customerGroup": {"customerGroupNumber": backend._economic_customer_group(country)},
            "paymentTerms": {"paymentTermsNumber": backend._economic_required("economic_payment_terms_id")},
            "vatZone": {"vatZoneNumber": backend._economic_vat_zone(country)},
        })
        # an uncertain answer (5xx, lost): the customer may exist; find it by e-mail before sending again
        # (without an e-mail it cannot be found: the error stays, for someone to check e-conomic)
        created = create_once(lambda: client.post("customers", body),
                              (lambda: self._find_by_email(client, email)) if email else None)
        number = created["customerNumber"]
        self._log(backend, "done", _("Customer %s created.", number), number, common, request=body)
        return number

    @api.model
    def _update(self, backend, client, partner, number, email, common, document=None, log=True, binding=None):
        """Overwrite what the update rules allow (PUT takes the full document); True if changed.

        The binding remembers a fingerprint of the values (and rules) e-conomic was last given or
        found with: while the partner and the rules are unchanged, the customer is neither read nor
        written again (an edit made in e-conomic meanwhile stays until the partner changes in Odoo)."""
        allowed = self._allowed(backend, creating=False)
        if not allowed:
            return False
        values = self._values(backend, partner, email, allowed)
        fingerprint = self._fingerprint(allowed, values)
        if document is None:
            if binding and binding.last_value == fingerprint:
                return False
            document = client.get(f"customers/{number}")
        current = writable(document)
        desired = apply_update_rules(current, values, allowed, PROPERTIES_OF_RULE)
        changed = desired != current
        if changed:
            client.put(f"customers/{number}", desired)
        if binding:  # once e-conomic has them
            binding.last_value = fingerprint
        if changed and log:
            self._log(backend, "done", _("Customer %s updated.", number), number, common, request=desired)
        return changed

    @staticmethod
    def _fingerprint(allowed, values):
        return hashlib.sha256(json.dumps([sorted(allowed), values], sort_keys=True, default=str).encode()).hexdigest()

    @api.model
    def _allowed(self, backend, creating):
        return self.env["shop.sync.field.rule"]._allowed_fields(backend, "customer", "export", creating)

    @api.model
    def _values(self, backend, partner, email, allowed):
        """e-conomic properties of ``partner`` for the allowed rules (empty values left out)."""
        values = {}
        if "name" in allowed and partner.name:
            values["name"] = partner.name[:255]
        if "email" in allowed and email:
            values["email"] = email[:255]
        if "phone" in allowed and partner.phone:
            values["telephoneAndFaxNumber"] = partner.phone[:255]
        if "address" in allowed:
            street = "\n".join(part for part in (partner.street, partner.street2) if part)
            values.update({key: value for key, value in (
                ("address", street[:510]), ("zip", (partner.zip or "")[:30]), ("city", (partner.city or "")[:50]),
                ("country", (partner.country_id.name or "")[:50])) if value})
            values["vatZone"] = {"vatZoneNumber": backend._economic_vat_zone(partner.country_id)}
        if "vat" in allowed and partner.is_company and partner.vat:
            values["corporateIdentificationNumber"] = partner.vat[:40]
        return values

    @api.model
    def _bind(self, backend, partner, number, email):
        """Bind unless another partner holds this customer already (same e-mail twice in Odoo), or a
        concurrent invoice job bound it meanwhile."""
        Binding = self.env["shop.sync.binding"]
        if not Binding._find(backend, "res.partner", number):
            return Binding._bind_once(backend, partner, number, email or partner.name)
        return Binding.browse()

    @api.model
    def _log(self, backend, state, message, number, common, request=None):
        return self.env["shop.sync.log"]._record(backend, "customer_export", state, message=message,
                                                  external_id=number, request=request, **common)
