from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools.sql import escape_psql


def _equals_ignoring_case(field_name, value):
    """Domain term: ``field_name`` equals ``value`` except for case.  The shop's value is escaped:
    a ``%`` or ``_`` in an e-mail, VAT number or company name is a character, not a wildcard."""
    return (field_name, "=ilike", escape_psql(value))


class ShopSyncPartnerMatcher(models.AbstractModel):
    """Find or create the Odoo partners of a shop order, matching the buyer by e-mail.

    A private buyer is one person; a company buyer is a company (found by VAT number, then by
    name) with the buyer as its contact.  Existing partners are only updated with the fields the
    customer import rules allow on update, and only where they differ, so data enriched in Odoo
    is kept and unchanged partners are not rewritten.
    """

    _name = "shop.sync.partner.matcher"
    _description = "Shop Sync Partner Matcher"

    @api.model
    def _match(self, backend, order, batch=None):
        """Return ``(customer, invoice address, delivery address)`` partners for ``order``; the contact is
        taken from ``batch`` (``OrderBatch.contacts``, see ``_contacts_by_email``) when it knows the e-mail."""
        customer = order.customer
        email = self._email(order)
        if not email:
            raise UserError(_("The order has no customer e-mail: the customer cannot be matched."))
        Partner = self.env["res.partner"].with_context(active_test=False)
        company_domain = Partner._check_company_domain(backend.company_id)  # what its sale orders accept
        if batch is not None and email in batch.contacts:
            contact = batch.contacts[email]
        else:
            contact = Partner.search([_equals_ignoring_case("email", email), *company_domain],
                                     order="is_company, id", limit=1)
        rules = self.env["shop.sync.field.rule"]
        if contact:
            allowed = rules._allowed_fields(backend, "customer", "import", creating=False)
            values = self._values(customer, order.billing, allowed)
            changed = {key: value for key, value in values.items()
                       if (contact[key].id if key == "country_id" else contact[key]) != value}
            if changed:
                contact.write(changed)
        else:
            allowed = rules._allowed_fields(backend, "customer", "import", creating=True) | {"email", "name"}
            values = {**self._values(customer, order.billing, allowed), "email": email}
            if customer.is_company:
                company = self._company(customer, company_domain) or Partner.create({
                    "name": customer.company, "is_company": True, "vat": customer.vat or False,
                    "company_id": backend.company_id.id, **self._address(order.billing, allowed)})
                values["parent_id"] = company.id
            contact = Partner.create({**values, "company_id": backend.company_id.id})
            if batch is not None:
                # created in the order's savepoint, which may still be undone: a later order looks it up
                batch.contacts.pop(email, None)
        commercial = contact.commercial_partner_id
        delivery = self._delivery_address(commercial, order.shipping, order.billing)
        return contact, contact, delivery

    @staticmethod
    def _email(order):
        """The e-mail the buyer of ``order`` is matched by."""
        return (order.customer.email or order.billing.email or "").strip().lower()

    @api.model
    def _contacts_by_email(self, backend, orders):
        """``{e-mail: contact, or no partner}``: the contacts ``_match`` would find for the buyers of
        ``orders``, in one search.  E-mails of other than ASCII characters are left out (``_match``
        searches them itself): only for ASCII are PostgreSQL's and Python's case folding alike."""
        emails = sorted({email for email in map(self._email, orders) if email and email.isascii()})
        if not emails:
            return {}
        Partner = self.env["res.partner"].with_context(active_test=False)
        found = Partner.search(Domain.OR([_equals_ignoring_case("email", email)] for email in emails)
                               & Domain(Partner._check_company_domain(backend.company_id)), order="is_company, id")
        if not all(partner.email.isascii() for partner in found):
            return {}
        contacts = dict.fromkeys(emails, Partner)
        for partner in found:  # in the order of _match's search: the first one found is the contact
            email = partner.email.lower()
            if email in contacts and not contacts[email]:
                contacts[email] = partner
        return contacts

    @api.model
    def _company(self, customer, company_domain):
        """The company partner of a company buyer: same VAT number first (ignoring case and
        spaces of the shop's value), then same name."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        domain = [("is_company", "=", True), *company_domain]
        vat = "".join((customer.vat or "").split())
        company = vat and Partner.search([*domain, _equals_ignoring_case("vat", vat)], order="id", limit=1)
        return company or Partner.search([*domain, _equals_ignoring_case("name", customer.company or "")], order="id",
                                         limit=1)

    @api.model
    def _values(self, customer, billing, allowed):
        values = {}
        if "name" in allowed:
            values["name"] = customer.name
        if "email" in allowed and customer.email:
            values["email"] = customer.email.strip().lower()
        if "phone" in allowed and (customer.phone or billing.phone):
            values["phone"] = customer.phone or billing.phone
        if "vat" in allowed and customer.vat and not customer.is_company:
            values["vat"] = customer.vat
        values.update(self._address(billing, allowed))
        return values

    @api.model
    def _address(self, address, allowed):
        if "address" not in allowed or not address:
            return {}
        country = self.env["res.country"]._shop_sync_by_code(address.country_code)
        return {"street": address.street or False, "street2": address.street2 or False,
                "zip": address.zip or False, "city": address.city or False, "country_id": country.id or False}

    @api.model
    def _delivery_address(self, commercial, shipping, billing):
        """The commercial partner itself when shipping equals billing, else a delivery child
        with that address (found again, not duplicated, on the next order)."""
        if not shipping or not shipping.street or self._same_address(shipping, billing):
            return commercial
        country = self.env["res.country"]._shop_sync_by_code(shipping.country_code)
        values = {"street": shipping.street, "zip": shipping.zip or False, "city": shipping.city or False,
                  "country_id": country.id or False}
        existing = commercial.child_ids.filtered(
            lambda p: p.type == "delivery" and all(p[key] == (value or False) if key != "country_id"
                                                   else p.country_id.id == value for key, value in values.items()))
        if existing:
            return existing[:1]
        return self.env["res.partner"].create({
            **values, "parent_id": commercial.id, "type": "delivery", "company_id": commercial.company_id.id,
            "name": shipping.name or shipping.company or False, "street2": shipping.street2 or False})

    @staticmethod
    def _same_address(first, second):
        keys = ("street", "zip", "city", "country_code")
        return all((getattr(first, key) or "").strip().lower() == (getattr(second, key) or "").strip().lower()
                   for key in keys)
