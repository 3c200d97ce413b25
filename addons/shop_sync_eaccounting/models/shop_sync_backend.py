import secrets
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.models.shop_sync_accounting import accounting_flows
from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_base.services.locks import read_committed

from ..services.client import IDENTITY_URL, AuthorisationError, EAccountingClient, Token, VismaIdentity, authorise_url

MANAGER = "shop_sync_base.group_shop_sync_manager"
OPTION = "shop.sync.eaccounting.option"
TOKEN = "shop.sync.eaccounting.token"
EACC_REQUESTS_PER_MINUTE = 600  # developer.vismaonline.com, "Rate Limits"
EACC_BURST = 30  # with it 9.5 requests a second: exact in the rate's four decimals
# longer than the identity client's timeout (30 s): a refresh "sent" longer ago got no answer
EACC_REFRESH_UNDER_WAY = timedelta(minutes=2)
FIELD_MAPPING = (
    ("customers.Name / EmailAddress / Telephone", "Customer name / e-mail / phone",
     "Matched by e-mail and currency; written per the customer export rules"),
    ("customers.IsPrivatePerson / ContactPersonName", "Company (contact person) or private person", ""),
    ("customers.Invoice* / Delivery*", "Customer addresses", "Rule 'Address'"),
    ("customers.VatNumber / CorporateIdentityNumber", "Company tax ID", "Rule 'VAT number' (companies)"),
    ("articles.Number", "Internal reference (SKU)", "Variants as simple articles"),
    ("articles.Name / NetPrice / GrossPrice", "Name / price", "Written per the product export rules"),
    ("articles.CodingId", "VAT rate of the line and destination", "VAT per destination rows, else by rate"),
    ("customerinvoicedrafts / orders .OurReference, quotedrafts .Rows[0].Text",
     "SHOPSYNC:<shop backend>:<order number>", "Looked up before creating: never two documents per order"),
    ("customerinvoicedrafts / orders .Rows", "Order lines (products, shipping, fees, discounts)",
     "Net amounts, exact to the cent"),
    ("articles.StockBalanceAvailable", "On hand at the backend's warehouse", "Stock master option"),
)


class ShopSyncBackend(models.Model):
    _inherit = "shop.sync.backend"

    kind = fields.Selection(selection_add=[("eaccounting", "Visma eAccounting")],
                            ondelete={"eaccounting": "cascade"})

    # OAuth2 client and authorisation
    eacc_client_id = fields.Char("Client id", groups=MANAGER, copy=False,
                                 help="The integration's client id at Visma's developer portal.")
    eacc_client_secret = fields.Char("Client secret", groups=MANAGER, copy=False)
    eacc_identity_url = fields.Char("Identity server", default=IDENTITY_URL, groups=MANAGER,
                                    help="Visma's identity server (connect/authorize, connect/token).")
    eacc_redirect_uri = fields.Char("Redirect URI", groups=MANAGER,
                                    help="The redirect URI registered for the client at Visma.")
    eacc_authorise_url = fields.Char("Authorisation link", compute="_compute_eacc_authorise_url", groups=MANAGER,
                                     help="Open it, sign in to eAccounting and grant access: Visma sends you back to "
                                          "the redirect URI (/shop_sync/eaccounting/oauth of this Odoo), which "
                                          "exchanges the code; or paste the code below.")
    eacc_auth_state_token = fields.Char(groups=MANAGER, copy=False, default=lambda self: secrets.token_urlsafe(16),
                                        help="The 'state' of the authorisation link: names this backend when "
                                             "Visma sends the Manager back with the code.")
    eacc_authorisation_code = fields.Char(
        "Authorisation code", groups=MANAGER, copy=False,
        help="Exchanged once for tokens by 'Authorise', then cleared.")
    eacc_auth_state = fields.Selection(
        [("none", "Not authorised"), ("authorised", "Authorised"), ("reauthorise", "Re-authorise")],
        "Authorisation", default="none", required=True, readonly=True, copy=False,
        help="Re-authorise: Visma refused the refresh token (revoked or expired); the eAccounting flows stop "
             "until a Manager authorises again.")
    eacc_auth_message = fields.Char("Authorisation message", readonly=True, copy=False)

    # reference values and defaults
    eacc_option_ids = fields.One2many(OPTION, "backend_id", "eAccounting values")
    eacc_terms_id = fields.Many2one(OPTION, "Terms of payment",
                                    domain="[('backend_id', '=', id), ('option_type', '=', 'terms')]",
                                    help="Of the customers created; a payment-method mapping may name others.")
    eacc_unit_id = fields.Many2one(OPTION, "Article unit",
                                   domain="[('backend_id', '=', id), ('option_type', '=', 'unit')]",
                                   help="Unit of the articles created.")
    eacc_delivery_method_id = fields.Many2one(
        OPTION, "Delivery method", domain="[('backend_id', '=', id), ('option_type', '=', 'delivery_method')]",
        help="Written on the documents; a shipping-method mapping may name another.")
    eacc_rounding_coding_id = fields.Many2one(
        OPTION, "Account coding: rounding", domain="[('backend_id', '=', id), ('option_type', '=', 'coding')]",
        help="A coding without VAT. When eAccounting's VAT misses the shop's tax by some cents, one row of article "
             "SHOPSYNC-ROUNDING in this coding carries the difference, so the document's gross equals the shop's "
             "total; without it such orders are refused.")
    eacc_vat_mapping_ids = fields.One2many(
        "shop.sync.mapping", "backend_id", "eAccounting VAT per destination",
        domain=[("mapping_type", "=", "eaccounting_coding")],
        help="Per VAT treatment, country and rate: the article account coding (VAT rate and revenue account) of "
             "the rows. Without a row, the active coding of the line's rate is used.")

    eacc_private_prices_exclude_vat = fields.Boolean(
        "Private persons' prices exclude VAT", readonly=True,
        help="eAccounting's company setting 'Show prices excl. VAT for private individuals' (loaded with the "
             "values): otherwise a private person's document takes unit prices including VAT.")

    eacc_stock_synced_until = fields.Datetime("Stock pulled from eAccounting until", copy=False)

    # options
    eacc_document_type = fields.Selection(
        [("draft", "Customer invoice draft"), ("order", "Sales order"), ("quote", "Quote draft")],
        "Document per order", default="draft",
        required=True, help="What each shop order becomes in eAccounting. A draft becomes an invoice only by a "
                            "Manager's explicit 'Convert to invoice'.")
    eacc_default_customer = fields.Boolean(
        "Default customer for private buyers",
        help="Invoice every private person on one eAccounting customer instead of creating a customer each.")
    eacc_default_customer_number = fields.Char("Default customer (number)")
    eacc_create_articles = fields.Boolean(
        "Create missing articles", default=True,
        help="Create the article of an order line when its SKU is unknown in eAccounting; otherwise the order is "
             "refused naming the SKU.")

    @api.depends("kind")
    def _compute_role(self):  # pylint: disable=missing-return
        super()._compute_role()
        for backend in self.filtered(lambda b: b.kind == "eaccounting"):
            backend.role = "accounting"

    def _field_mapping(self):
        if self.kind == "eaccounting":
            return FIELD_MAPPING
        return super()._field_mapping()

    @api.depends("eacc_client_id", "eacc_redirect_uri", "eacc_identity_url", "eacc_auth_state_token")
    def _compute_eacc_authorise_url(self):
        for backend in self:
            ready = backend.kind == "eaccounting" and backend.eacc_client_id and backend.eacc_redirect_uri
            backend.eacc_authorise_url = authorise_url(
                backend.eacc_identity_url or IDENTITY_URL, backend.eacc_client_id, backend.eacc_redirect_uri,
                backend.eacc_auth_state_token or "") if ready else False

    # -- OAuth2 -------------------------------------------------------------------------------
    def _eacc_identity(self):
        self.ensure_one()
        backend = self.sudo()
        if not backend.eacc_client_id or not backend.eacc_client_secret:
            raise UserError(_("Enter the eAccounting client id and client secret of %s.", self.name))
        return VismaIdentity(backend.eacc_client_id, backend.eacc_client_secret,
                             base_url=backend.eacc_identity_url or None, **self._eacc_client_options())

    def action_eacc_new_authorisation(self):
        """A fresh ``state`` for the authorisation link (a link is used once)."""
        self._check_manager()
        for backend in self.sudo():
            backend.eacc_auth_state_token = secrets.token_urlsafe(16)
        return True

    def action_eacc_authorise(self):
        """Exchange the pasted authorisation code for tokens (once: the code is cleared either way)."""
        self._check_manager()
        for backend in self:
            sudo = backend.sudo()
            code = (sudo.eacc_authorisation_code or "").strip()
            if not code:
                raise UserError(_("Paste the authorisation code Visma returned first."))
            sudo.eacc_authorisation_code = False
            try:
                token = backend._eacc_identity().exchange_code(code, sudo.eacc_redirect_uri or "")
            except RemoteError as exc:
                # the tokens of an earlier authorisation, if any, stay in use
                if exc.uncertain:  # Visma may have used the code (once) for tokens we never received
                    message = _("Authorisation failed: Visma's answer was lost (%s). An authorisation code is used "
                                "once: open the authorisation link again for a new code.", exc)
                else:
                    message = _("Authorisation failed: %s", exc)
                sudo.eacc_auth_message = message[:250]
                self.env["shop.sync.log"]._record(backend, "connection", "error", reason=_("Not authorised"),
                                                   message=message)
                return self._notify(message, "danger")
            backend._eacc_save_token(token)
            sudo.write({"eacc_auth_state": "authorised", "eacc_auth_message": False})
            self.env["shop.sync.log"]._record(backend, "connection", "done", reason=_("Authorised"),
                                               message=_("eAccounting access granted."))
        return self._notify(_("Authorised in eAccounting."), "success")

    def _eacc_token_record(self):
        return self.env[TOKEN].sudo().search([("backend_id", "=", self.id)], limit=1)

    def _eacc_save_token(self, token):
        record = self._eacc_token_record()
        values = {"access_token": token.access_token, "refresh_token": token.refresh_token,
                  "expires_at": token.expires_at, "refresh_state": False, "refresh_sent_at": False}
        if record:
            record.write(values)
        else:
            self.env[TOKEN].sudo().create({"backend_id": self.id, **values})

    def _eacc_access_token(self, force=False):
        """A valid access token, refreshed in a transaction of its own when it expires within
        minutes (or when ``force``d after a 401); AuthorisationError when Visma refuses the refresh
        token, after marking the backend 're-authorise' (committed: the flows stop)."""
        self.ensure_one()
        record = self._eacc_token_record()
        if self.sudo().eacc_auth_state != "authorised" or not record.refresh_token:
            raise AuthorisationError(_("eAccounting backend %s is not authorised: a Manager must authorise it (again) "
                                       "on its form.", self.name))
        current = Token(record.access_token, record.refresh_token, record.expires_at)
        if not force and not current.expiring():
            return current.access_token
        try:
            return self._eacc_refresh(record, current, force)
        finally:  # what the refresh's own transaction wrote
            self.invalidate_recordset(["eacc_auth_state", "eacc_auth_message"])
            record.invalidate_recordset()

    def _eacc_refresh(self, record, current, force):
        """The refresh itself, in a cursor of its own under a lock of the token row (a worker that
        finds the row refreshed meanwhile takes the new token).

        Visma uses a refresh token once (see ``simulators/eaccounting.py``), so a refresh whose
        answer is lost (5xx, no answer) may have replaced the stored token.  The row says so before
        the refresh is sent (committed: a worker stopped in between is covered too): while it is
        under way no other worker sends the same token; a lost answer keeps the tokens and is
        retried like any remote failure, and a refusal after it names the lost answer."""
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr, su=True)
            read_committed(cr)  # a worker that waited for another's refresh reads it
            cr.execute(f"SELECT id FROM {env[TOKEN]._table} WHERE id = %s FOR UPDATE", [record.id])
            locked = env[TOKEN].browse(record.id)
            if locked.refresh_token != current.refresh_token or (
                    not force and not Token(locked.access_token, None, locked.expires_at).expiring()):
                return locked.access_token  # another worker refreshed meanwhile
            now = fields.Datetime.now()
            if locked.refresh_state == "sent" and locked.refresh_sent_at > now - EACC_REFRESH_UNDER_WAY:
                raise RemoteError(_("Another worker is refreshing the eAccounting token of %s.", self.name),
                                  retryable=True, retry_after=EACC_REFRESH_UNDER_WAY.total_seconds())
            unknown_since = locked.refresh_state and locked.refresh_sent_at
            locked.write({"refresh_state": "sent", "refresh_sent_at": now})
            # the refresh's own cursor, before sending
            cr.commit()  # pylint: disable=invalid-commit
            backend = env["shop.sync.backend"].browse(self.id)
            try:
                token = backend._eacc_identity().refresh(locked.refresh_token)
            except AuthorisationError as exc:
                backend._eacc_refresh_refused(locked, exc, unknown_since)
                # the flows stop whatever the job does
                cr.commit()  # pylint: disable=invalid-commit
                raise
            except RemoteError as exc:
                # a refusal (429, 4xx) was not applied: the earlier state stands; a 5xx or no answer may
                # have been: the token Visma holds is unknown until the next refresh
                locked.write({"refresh_state": "lost", "refresh_sent_at": now} if exc.uncertain else
                             {"refresh_state": unknown_since and "lost", "refresh_sent_at": unknown_since})
                env["shop.sync.log"]._record(
                    backend, "connection", "error", reason=_("Token refresh failed"), message=_(
                        "Refreshing the eAccounting access token failed (%(error)s); the tokens are kept and "
                        "the refresh is tried again.", error=exc))
                # the job rolls back, the state must not
                cr.commit()  # pylint: disable=invalid-commit
                raise
            locked.write({"access_token": token.access_token, "refresh_token": token.refresh_token,
                          "expires_at": token.expires_at, "refresh_state": False, "refresh_sent_at": False})
            return token.access_token

    def _eacc_refresh_refused(self, locked, exc, unknown_since):
        """Visma refused the refresh token: the backend waits to be authorised again, its flows stop.
        After a refresh whose answer was lost the message says so (Visma had replaced the token)."""
        locked.write({"access_token": False, "refresh_token": False, "expires_at": False,
                      "refresh_state": False, "refresh_sent_at": False})
        if unknown_since:
            message = _("Visma refused the refresh token (%(error)s): the answer to the refresh sent at "
                        "%(sent)s (UTC) was lost, and Visma uses a refresh token once. Authorise the backend again; "
                        "its flows are stopped until then.", error=exc.message, sent=unknown_since)
        else:
            message = _("Visma refused the refresh token (%s): authorise the backend again; its flows are stopped "
                        "until then.", exc.message)
        self.write({"eacc_auth_state": "reauthorise", "eacc_auth_message": message[:250]})
        self.env["shop.sync.log"].with_context(shop_sync_credentials_refused=True)._record(
            self, "connection", "error", reason=_("Re-authorise"), message=message)

    # -- client -------------------------------------------------------------------------------
    def _accounting_client(self):
        """The accounting flows and the connection test go through eAccounting's client."""
        if self.kind == "eaccounting":
            return self._eacc_client()
        return super()._accounting_client()

    def _eacc_client(self):
        self.ensure_one()
        return EAccountingClient(self._eacc_access_token, base_url=self.sudo().api_url or None,
                                 governor=self._rate_governor(), **self._eacc_client_options())

    def _rate_limit_defaults(self):
        """Visma documents 600 requests a minute per client and endpoint (developer.vismaonline.com,
        "Rate Limits"); one bucket for all endpoints of the backend is stricter than that.  The burst
        is taken from the minute's budget, so no 60 s window holds more than 600 requests."""
        if self.kind == "eaccounting":
            return (EACC_REQUESTS_PER_MINUTE - EACC_BURST) / 60, float(EACC_BURST)
        return super()._rate_limit_defaults()

    def _eacc_client_options(self):
        """Extra HttpClient options (tests inject ``sleep``)."""
        return {}

    # -- reference values -----------------------------------------------------------------------
    def action_eacc_load_options(self):
        """Load VAT codes, account codings, terms of payment, delivery methods and units; fill the
        empty defaults."""
        self._check_manager()
        for backend in self:
            try:
                client = backend._eacc_client()
                settings = client.get("companysettings")
                count = self.env[OPTION]._load(backend, client)
            except (RemoteError, UserError) as exc:
                self.env["shop.sync.log"]._record(backend, "connection", "error", reason=_("Loading values failed"),
                                                   message=str(exc), response=getattr(exc, "body", None))
                return self._notify(_("Loading from eAccounting failed: %s", exc), "danger")
            backend.eacc_private_prices_exclude_vat = bool(settings.get("ShowPricesExclVatPC"))
            backend._eacc_fill_defaults()
            self.env["shop.sync.log"]._record(backend, "connection", "done", reason=_("Values loaded"),
                                               message=_("%s reference values loaded.", count))
        return self._notify(_("Values loaded from eAccounting."), "success")

    def _eacc_fill_defaults(self):
        """The first value of each type for what is still empty; a coding without VAT for rounding."""
        self.ensure_one()
        options = self.eacc_option_ids
        defaults = {
            "eacc_terms_id": options.filtered(lambda o: o.option_type == "terms").sorted(lambda o: (o.days, o.name)),
            "eacc_unit_id": options.filtered(lambda o: o.option_type == "unit"),
            "eacc_delivery_method_id": options.filtered(lambda o: o.option_type == "delivery_method"),
            "eacc_rounding_coding_id": options.filtered(lambda o: o.option_type == "coding" and not o.vat_rate),
        }
        self.write({name: found[:1].id for name, found in defaults.items() if found and not self[name]})

    def _eacc_required(self, field_name):
        """A default option, or a clear error naming the missing setting."""
        option = self[field_name]
        if not option:
            raise UserError(_("Set '%(setting)s' on the eAccounting backend %(name)s (load the values from "
                              "eAccounting first).", setting=self._fields[field_name].string, name=self.name))
        return option

    # -- VAT per destination ------------------------------------------------------------------------
    def _eacc_codings(self, rate, product=None):
        """The active account codings charging ``rate`` %; those for the product's kind (goods or
        services) first."""
        service = bool(product) and product.type == "service"
        return self.eacc_option_ids.filtered(
            lambda option: option.option_type == "coding" and abs(option.vat_rate - rate) < 0.0001).sorted(
            lambda option: ((option.coding_type or "").lower().startswith("service") != service, option.name))

    def _eacc_product_coding(self, product):
        """The coding of a new article for ``product``: the one of its domestic sales tax rate (the
        company's default sales tax when it has none)."""
        taxes = product.taxes_id.filtered(lambda tax: tax.company_id in self.company_id.parent_ids) \
            or self.company_id.account_sale_tax_id
        rate = sum(taxes.flatten_taxes_hierarchy().mapped("amount"))
        coding = self._eacc_codings(rate, product)[:1]
        if not coding:
            raise UserError(_("eAccounting holds no active account coding at %(rate)s %% (the VAT of '%(product)s'): "
                              "add one in eAccounting and load the values again.", rate=f"{rate:g}",
                              product=product.display_name))
        return coding

    def _eacc_coding(self, treatment, country, rate, product):
        """The account coding of a row of ``product`` taxed at ``rate`` % in Odoo, for an order of VAT
        ``treatment`` to ``country``: the most specific 'VAT per destination' row (exact country
        first); else, domestic: the coding of that rate; None (the article's own coding) for OSS, which
        eAccounting books at the buyer's country's rate of the coding's rate class, and for reverse
        charge and export, which it books without VAT on the coding's foreign accounts.  A UserError
        names what is missing; a rate eAccounting computes otherwise (OSS) is caught by the totals
        check after the create."""
        self.ensure_one()
        treatments = dict(self.env["shop.sync.mapping"]._fields["vat_treatment"]._description_selection(self.env))
        where = _("%(treatment)s to %(country)s at %(rate)s %%", treatment=treatments[treatment],
                  country=country.name or "?", rate=f"{rate:g}")
        rows = self.eacc_vat_mapping_ids.filtered(
            lambda m: m.vat_treatment == treatment and abs(m.tax_rate - rate) < 0.0001
            and m.country_id in (country, self.env["res.country"]))
        mapping = rows.sorted(lambda m: (not m.country_id, m.sequence, m.id))[:1]
        if mapping:
            return mapping.eacc_option_id
        if treatment == "domestic":
            coding = self._eacc_codings(rate, product)[:1]
            if not coding:
                raise UserError(_("No eAccounting account coding for %s: add one at that rate in eAccounting (and "
                                  "load the values again) or a 'VAT per destination' row.", where))
            return coding
        if treatment == "oss":
            return None
        if rate:  # reverse charge, export
            raise UserError(_("eAccounting books %(where)s without VAT, Odoo charges %(rate)s %%: check the fiscal "
                              "position or add a 'VAT per destination' row.", where=where, rate=f"{rate:g}"))
        return None

    # -- flows and jobs ---------------------------------------------------------------------------
    @api.model
    def _shop_sync_flow_declarations(self):
        return super()._shop_sync_flow_declarations() + accounting_flows(
            "eaccounting", invoice="_eacc_export_document", credit_note="_eacc_export_credit_note",
            cancel="_eacc_cancel_document", pending="_eacc_export_pending", stock_pull="_eacc_pull_stock",
            products_import="_eacc_import_products", products_export="_eacc_export_products")

    def _shop_sync_scheduled_flows(self):
        """No eAccounting flow runs while the backend waits to be authorised again."""
        flows = super()._shop_sync_scheduled_flows()
        if self.kind == "eaccounting" and self.eacc_auth_state != "authorised":
            return []
        return flows

    # Jobs run as the company's job user, but the records handed to them keep the user who queued
    # them: what they write is integration work, done as superuser.
    def _eacc_export_document(self, sale):
        """Job: one document for one shop order (never twice)."""
        self.ensure_one()
        log = self.env["shop.sync.eaccounting.document.exporter"].sudo()._export(self.sudo(), sale.sudo())
        return log.message if log else None

    def _eacc_export_pending(self):
        self.ensure_one()
        return self._accounting_export_pending()

    def _eacc_export_credit_note(self, refund):
        self.ensure_one()
        log = self.env["shop.sync.eaccounting.credit.note.exporter"].sudo()._export(self.sudo(), refund.sudo())
        return log.message if log else None

    def _eacc_cancel_document(self, sale):
        self.ensure_one()
        log = self.env["shop.sync.eaccounting.credit.note.exporter"].sudo()._cancel(self.sudo(), sale.sudo())
        return log.message if log else None

    def _eacc_pull_stock(self):
        self.ensure_one()
        return self.env["shop.sync.eaccounting.stock.importer"].sudo()._pull(self.sudo())

    def _eacc_import_products(self, full=False):
        self.ensure_one()
        return self.env["shop.sync.eaccounting.product.importer"].sudo()._import_all(self.sudo(), full=full)

    def _eacc_export_products(self, products=None):
        """Job: create or update eAccounting articles (all products with a SKU when none given)."""
        self.ensure_one()
        if products is None:
            products = self.env["product.product"].search([
                ("default_code", "!=", False), ("company_id", "in", (False, self.company_id.id))])
        Exporter = self.env["shop.sync.eaccounting.article.exporter"].sudo()
        return Exporter._export_all(self.sudo(), products.sudo())
