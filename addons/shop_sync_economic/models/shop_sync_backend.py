from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.shop_sync_base.models.shop_sync_accounting import accounting_flows
from odoo.addons.shop_sync_base.services.http import RemoteError

from ..services.client import MAX_IN_LIST, EconomicClient, is_in

MANAGER = "shop_sync_base.group_shop_sync_manager"
OPTION = "shop.sync.economic.option"
FIELD_MAPPING = (
    ("customers.name / email / telephoneAndFaxNumber", "Customer name / e-mail / phone",
     "Written per the customer export rules"),
    ("customers.address, zip, city, country", "Customer address", "Rule 'Address'"),
    ("customers.corporateIdentificationNumber", "Company tax ID", "Rule 'VAT number' (companies)"),
    ("customers.vatZone / customerGroup", "Country of the customer", "VAT zone per country, group per zone"),
    ("products.productNumber", "Internal reference (SKU)", "Variants: own SKU or parent SKU + values"),
    ("products.name / description / salesPrice / barCode", "Name / sales description / price excl. VAT / "
     "barcode", "Written per the product export rules"),
    ("invoices/drafts.references.other", "SHOPSYNC:<shop backend>:<order number>",
     "Looked up before creating: never two drafts per order"),
    ("invoices/drafts.lines", "Order lines (products, shipping, fees, discounts)", "Net amounts, exact to the cent"),
    ("products.inventory.available", "On hand at the backend's warehouse", "Stock master option"),
)


def option_field(string, option_type, **kwargs):
    """A default of the backend: one of its e-conomic values of ``option_type`` (loaded from e-conomic)."""
    return fields.Many2one(OPTION, string, check_company=True,
                           domain=f"[('backend_id', '=', id), ('option_type', '=', '{option_type}')]", **kwargs)


def mapping_field(string, mapping_type, **kwargs):
    """The backend's rows of ``shop.sync.mapping`` of ``mapping_type``."""
    return fields.One2many("shop.sync.mapping", "backend_id", string, domain=[("mapping_type", "=", mapping_type)],
                           **kwargs)


class ShopSyncBackend(models.Model):
    _inherit = "shop.sync.backend"

    kind = fields.Selection(selection_add=[("economic", "e-conomic")], ondelete={"economic": "cascade"})

    # credentials
    economic_app_secret_token = fields.Char("App secret token", groups=MANAGER, copy=False,
                                            help="X-AppSecretToken: identifies the shop-sync app.")
    economic_agreement_grant_token = fields.Char("Agreement grant token", groups=MANAGER, copy=False,
                                                 help="X-AgreementGrantToken: the grant of this e-conomic agreement.")

    # reference values and defaults
    economic_option_ids = fields.One2many(OPTION, "backend_id", "e-conomic values")
    economic_layout_id = option_field("Layout", "layout")
    economic_payment_terms_id = option_field(
        "Payment terms", "payment_terms",
        help="Used when no payment-method mapping matches the order's payment method.")
    economic_vat_zone_domestic_id = option_field("VAT zone: domestic", "vat_zone")
    economic_vat_zone_eu_id = option_field("VAT zone: EU", "vat_zone")
    economic_vat_zone_abroad_id = option_field("VAT zone: abroad", "vat_zone")
    economic_customer_group_domestic_id = option_field("Customer group: domestic", "customer_group")
    economic_customer_group_eu_id = option_field("Customer group: EU", "customer_group")
    economic_customer_group_abroad_id = option_field("Customer group: abroad", "customer_group")
    economic_product_group_id = option_field("Product group: goods", "product_group")
    economic_service_group_id = option_field(
        "Product group: services", "product_group", help="For service products, shipping, fees and discounts.")
    economic_unit_id = option_field("Unit", "unit")
    economic_rounding_group_id = option_field(
        "Product group: rounding", "product_group",
        help="A product group whose sales accounts carry no VAT code. When e-conomic's VAT (per line) misses the "
             "shop's tax by some cents, one line of product SHOPSYNC-ROUNDING in this group carries the "
             "difference, so the invoice's gross equals the shop's total; without it such orders are refused.")
    economic_vat_mapping_ids = mapping_field(
        "VAT per destination", "economic_product_group",
        help="Per VAT treatment, country and rate: the product group whose sales account for the VAT zone carries "
             "that rate. OSS countries need a row; domestic, reverse charge and export fall back to the default "
             "groups and VAT zones when their rate matches.")

    economic_category_mapping_ids = mapping_field(
        "Product group per category", "economic_category_group",
        help="The e-conomic product group of a product of this Odoo category; other products get the default "
             "groups (goods or services).")
    economic_vat_zone_mapping_ids = mapping_field(
        "VAT zone per country", "economic_vat_zone",
        help="Countries not listed: the company's country is domestic, EU members EU, the rest abroad.")

    # options
    economic_invoice_orders = fields.Boolean(related="accounting_invoice_orders", readonly=False,
                                             string="Create draft invoices")
    economic_invoice_from = fields.Date(related="accounting_invoice_from", readonly=False,
                                        string="Invoice orders from (e-conomic)")
    economic_default_debtor = fields.Boolean(
        "Default debtor for private buyers",
        help="Invoice every private person on one e-conomic customer instead of creating a customer each.")
    economic_default_debtor_number = fields.Integer("Default debtor (customer number)")
    economic_create_products = fields.Boolean(
        "Create missing products", default=True,
        help="Create the e-conomic product of an order line when its SKU is unknown there (with the fields "
             "the product export rules allow on create); otherwise the invoice is refused with the SKU.")
    economic_variant_numbering = fields.Selection(
        [("sku", "Variant SKU"), ("parent", "Parent SKU + variant values")], "Product number of variants",
        default="sku", required=True,
        help="Variants become simple e-conomic products numbered by their own SKU, or by the parent SKU "
             "followed by the variant values (e.g. TSHIRT-M-Blue).")
    economic_stock_master = fields.Boolean(
        related="accounting_stock_master", readonly=False, string="e-conomic is the stock master",
        help="Pull the available quantity of e-conomic's products into this backend's warehouse and lock "
             "manual stock changes of those products in Odoo.")
    economic_stock_synced_until = fields.Datetime("Stock pulled from e-conomic until", copy=False)
    economic_import_products = fields.Boolean(
        related="accounting_import_products", readonly=False, string="Import products from e-conomic")

    @api.depends("kind")
    def _compute_role(self):  # pylint: disable=missing-return
        super()._compute_role()
        for backend in self.filtered(lambda b: b.kind == "economic"):
            backend.role = "accounting"

    @api.model
    def _shop_sync_flow_declarations(self):
        return super()._shop_sync_flow_declarations() + accounting_flows(
            "economic", invoice="_economic_export_invoice", credit_note="_economic_export_credit_note",
            cancel="_economic_cancel_invoice", pending="_economic_export_pending", stock_pull="_economic_pull_stock",
            products_import="_economic_import_products", products_export="_economic_export_products")

    def _field_mapping(self):
        if self.kind == "economic":
            return FIELD_MAPPING
        return super()._field_mapping()

    # -- client -------------------------------------------------------------------------------
    def _accounting_client(self):
        """The accounting flows and the connection test go through e-conomic's client."""
        if self.kind == "economic":
            return self._economic_client()
        return super()._accounting_client()

    def _economic_client(self):
        self.ensure_one()
        backend = self.sudo()
        if not backend.economic_app_secret_token or not backend.economic_agreement_grant_token:
            raise UserError(_("Enter the e-conomic app secret token and agreement grant token of %s.", self.name))
        return EconomicClient(backend.economic_app_secret_token, backend.economic_agreement_grant_token,
                              base_url=backend.api_url or None, governor=self._rate_governor(),
                              **self._economic_client_options())

    def _rate_limit_defaults(self):
        """e-conomic documents no per-second limit, only fair use: 50,000 API calls per 24 hours per
        agreement (https://e-conomic.com/developer/fair-use-policy); set the rate per second where
        the agreement is throttled harder."""
        if self.kind == "economic":
            return 50000 / 86400, 50000.0
        return super()._rate_limit_defaults()

    def _economic_client_options(self):
        """Extra HttpClient options (tests inject ``sleep``)."""
        return {}

    # -- reference values -----------------------------------------------------------------------
    def action_economic_load_options(self):
        """Load layouts, payment terms, groups, units and VAT zones; fill the empty defaults."""
        self._check_manager()
        for backend in self:
            try:
                count = self.env[OPTION]._load(backend, backend._economic_client())
            except RemoteError as exc:
                self.env["shop.sync.log"]._record(backend, "connection", "error", reason=_("Loading values failed"),
                                                   message=str(exc), response=exc.body)
                return self._notify(_("Loading from e-conomic failed: %s", exc), "danger")
            backend._economic_fill_defaults()
            self.env["shop.sync.log"]._record(backend, "connection", "done", reason=_("Values loaded"),
                                               message=_("%s reference values loaded.", count))
        return self._notify(_("Values loaded from e-conomic."), "success")

    def _economic_fill_defaults(self):
        """Sensible defaults for what is still empty: the lowest number of each type; the VAT zones
        and customer groups 1/2/3 for domestic/EU/abroad (e-conomic's standard numbering)."""
        self.ensure_one()
        options = self.economic_option_ids

        def pick(option_type, number=None, position=0):
            candidates = options.filtered(lambda o: o.option_type == option_type).sorted("number")
            exact = candidates.filtered(lambda o: o.number == number) if number else candidates[:0]
            return exact or candidates[position:position + 1] or candidates[:1]

        defaults = {
            "economic_layout_id": pick("layout"),
            "economic_payment_terms_id": pick("payment_terms"),
            "economic_vat_zone_domestic_id": pick("vat_zone", 1),
            "economic_vat_zone_eu_id": pick("vat_zone", 2),
            "economic_vat_zone_abroad_id": pick("vat_zone", 3),
            "economic_customer_group_domestic_id": pick("customer_group", 1),
            "economic_customer_group_eu_id": pick("customer_group", 2),
            "economic_customer_group_abroad_id": pick("customer_group", 3),
            "economic_product_group_id": pick("product_group"),
            "economic_service_group_id": pick("product_group", position=1),
            "economic_unit_id": pick("unit"),
            "economic_rounding_group_id": self._economic_groups_without_vat()[:1],
        }
        self.write({name: option.id for name, option in defaults.items() if option and not self[name]})

    def _economic_groups_without_vat(self):
        """Product groups whose sales accounts carry no VAT code in any zone (fit for rounding lines)."""
        accounts = {option.number: option for option in self.economic_option_ids if option.option_type == "account"}
        return self.economic_option_ids.filtered(
            lambda option: option.option_type == "product_group" and option.sales_accounts and all(
                number in accounts and not accounts[number].vat_code for number in option.sales_accounts.values()))

    def action_economic_fill_vat_zones(self):
        """List the company's country (domestic) and the EU members (EU) as editable VAT zone rows."""
        self._check_manager()
        Mapping = self.env["shop.sync.mapping"]
        for backend in self:
            mapped = backend.economic_vat_zone_mapping_ids.country_id
            countries = (backend.company_id.country_id | self.env.ref("base.europe").country_ids) - mapped
            for kind in ("domestic", "eu"):
                backend._economic_required(f"economic_vat_zone_{kind}_id")
            zones = {kind: backend[f"economic_vat_zone_{kind}_id"] for kind in ("domestic", "eu", "abroad")}
            Mapping.create([{
                "backend_id": backend.id, "mapping_type": "economic_vat_zone", "country_id": country.id,
                "economic_option_id": zones[backend._economic_zone_kind(country)].id,
            } for country in countries.sorted("name")])
        return True

    def _economic_required(self, field_name):
        """The number of a default option, or a clear error naming the missing setting."""
        option = self[field_name]
        if not option:
            raise UserError(_("Set '%(setting)s' on the e-conomic backend %(name)s (load the values from e-conomic "
                              "first).", setting=self._fields[field_name].string, name=self.name))
        return option.number

    # -- decisions per country / payment method ---------------------------------------------------
    def _economic_zone_kind(self, country):
        """'domestic', 'eu' or 'abroad': a mapping of the country first, then the company's
        country (or no country) is domestic, EU members are EU, the rest abroad."""
        self.ensure_one()
        mapping = self.env["shop.sync.mapping"]._lookup(self, "economic_vat_zone", country=country)
        if mapping:
            number = mapping._economic_number()
            for kind in ("domestic", "eu", "abroad"):
                if self[f"economic_vat_zone_{kind}_id"].number == number:
                    return kind
            return "abroad"
        if not country or country == self.company_id.country_id:
            return "domestic"
        if country in self.env.ref("base.europe").country_ids:
            return "eu"
        return "abroad"

    def _economic_vat_zone(self, country):
        """e-conomic VAT zone number of a country (mapping first, then the default per zone kind)."""
        self.ensure_one()
        mapping = self.env["shop.sync.mapping"]._lookup(self, "economic_vat_zone", country=country)
        if mapping:
            return mapping._economic_number()
        return self._economic_required(f"economic_vat_zone_{self._economic_zone_kind(country)}_id")

    def _economic_customer_group(self, country):
        self.ensure_one()
        return self._economic_required(f"economic_customer_group_{self._economic_zone_kind(country)}_id")

    def _economic_layout(self, country):
        mapping = self.env["shop.sync.mapping"]._lookup(self, "economic_layout", country=country)
        return mapping._economic_number() if mapping else self._economic_required("economic_layout_id")

    def _economic_payment_terms(self, payment_method):
        """(number, terms type) of the payment-method mapping, else the default terms."""
        mapping = self.env["shop.sync.mapping"]._lookup(self, "payment_method", code=payment_method or None)
        if mapping and (mapping.economic_option_id or mapping.external_value):
            number = mapping._economic_number()
            option = self.economic_option_ids.filtered(
                lambda o: o.option_type == "payment_terms" and o.number == number)
            return number, option.terms_type
        return self._economic_required("economic_payment_terms_id"), self.economic_payment_terms_id.terms_type

    def _economic_product_group(self, product):
        """Default group of a product created in e-conomic: the group of its category (or the nearest
        parent category) when mapped, else goods or services (its group for domestic sales; other
        destinations may need another group, see ``_economic_vat_line``)."""
        by_category = {row.product_category_id: row for row in self.economic_category_mapping_ids
                       if row.product_category_id and row.external_value}
        category = product.categ_id
        while category and category not in by_category:
            category = category.parent_id
        if category:
            return int(by_category[category].external_value)
        if product.type == "service":
            return self._economic_required("economic_service_group_id")
        return self._economic_required("economic_product_group_id")

    def _economic_sales_account(self, group, zone_number):
        """The account option e-conomic books ``group``'s sales on in VAT zone ``zone_number`` (loaded
        with the values from e-conomic), or an empty recordset."""
        number = (group.sales_accounts or {}).get(str(zone_number)) if group else None
        return self.economic_option_ids.filtered(
            lambda option: option.option_type == "account" and option.number == number)[:1]

    def _economic_vat_mapping(self, treatment, country, rate, kind):
        """The most specific VAT-per-destination row of ``treatment`` at ``rate`` for ``country`` and
        goods/services ``kind``: exact country and kind first, then the catch-all (empty) ones."""
        rows = self.economic_vat_mapping_ids.filtered(
            lambda m: m.vat_treatment == treatment and abs(m.tax_rate - rate) < 0.0001
            and m.country_id in (country, self.env["res.country"]) and m.external_code in (False, "", kind))
        return rows.sorted(lambda m: (not m.country_id, not m.external_code, m.sequence, m.id))[:1]

    def _economic_vat_line(self, treatment, country, rate, product):
        """(product group option, VAT zone number) to invoice a line of ``product`` taxed at ``rate`` %
        in Odoo, for an order of VAT ``treatment`` to ``country``; a clear UserError when e-conomic
        would book another rate (no mapping, sales account or VAT code missing)."""
        self.ensure_one()
        kind = "service" if product.type == "service" else "goods"
        treatments = dict(self.env["shop.sync.mapping"]._fields["vat_treatment"]._description_selection(self.env))
        where = _("%(treatment)s to %(country)s at %(rate)s %%", treatment=treatments[treatment],
                  country=country.name or "?", rate=f"{rate:g}")
        mapping = self._economic_vat_mapping(treatment, country, rate, kind)
        if mapping:
            group, zone = mapping.economic_option_id, mapping.economic_vat_zone_id.number
        elif treatment == "oss":
            raise UserError(_("No e-conomic VAT mapping for %s: add a 'VAT per destination' row with the product "
                              "group whose sales account carries that country's VAT code.", where))
        else:
            number = self._economic_product_group(product)  # its category's group, else the default (named if unset)
            group = self.economic_option_ids.filtered(
                lambda option: option.option_type == "product_group" and option.number == number)[:1]
            zone = self._economic_vat_zone(country)
        account = self._economic_sales_account(group, zone)
        if not account:
            raise UserError(_("e-conomic product group %(group)s has no sales account for VAT zone %(zone)s "
                              "(%(where)s); set one in e-conomic and load the values again.", group=group.display_name,
                              zone=zone, where=where))
        if account.vat_code_missing:
            raise UserError(_("Sales account %(account)s of e-conomic product group %(group)s names VAT code %(code)s, "
                              "which e-conomic's VAT accounts do not hold (%(where)s).", account=account.number,
                              group=group.display_name, code=account.vat_code, where=where))
        if abs(account.vat_rate - rate) >= 0.0001:
            raise UserError(_("No e-conomic VAT mapping for %(where)s: product group %(group)s books VAT zone %(zone)s "
                              "on %(account)s, which charges %(remote)s %%. Add a 'VAT per destination' row.",
                              where=where, group=group.display_name, zone=zone, account=account.display_name,
                              remote=f"{account.vat_rate:g}"))
        return group, zone

    def _accounting_documents(self, sales):
        """e-conomic's drafts and booked invoices bound to ``sales``, read 200 at a time; a document
        whose VAT differs from the order's is read alone for its lines (a rounding line explains
        cents).  An e-conomic that cannot be read leaves them out (logged)."""
        if self.kind != "economic":
            return super()._accounting_documents(sales)
        Exporter = self.env["shop.sync.economic.invoice.exporter"]
        bindings = self.env["shop.sync.binding"].sudo().search(
            [("backend_id", "=", self.id), ("model", "=", "sale.order"), ("res_id", "in", sales.ids)])
        sale_of = {binding.external_id: sales.browse(binding.res_id) for binding in bindings}
        documents = {}
        try:
            client = self._economic_client()
            for kind, path, key in (("draft", "invoices/drafts", "draftInvoiceNumber"),
                                    ("booked", "invoices/booked", "bookedInvoiceNumber")):
                numbers = [int(external_id.split(":", 1)[1]) for external_id in sale_of
                           if external_id.startswith(f"{kind}:")]
                for start in range(0, len(numbers), MAX_IN_LIST):
                    for document in client.iterate(path, filter=is_in(key, numbers[start:start + MAX_IN_LIST])):
                        sale = sale_of[f"{kind}:{document[key]}"]
                        if sale.currency_id.compare_amounts(document.get("vatAmount", 0.0), sale.amount_tax):
                            document = Exporter._full(client, document, kind)
                        documents[sale.id] = {
                            "gross": document.get("grossAmount", 0.0), "vat": document.get("vatAmount", 0.0),
                            "rounding": Exporter._rounding_amount(document),
                            "date": fields.Date.to_date(document.get("date"))}
        except (RemoteError, UserError) as exc:
            self.env["shop.sync.log"]._record(self, "invoice_export", "error",
                                               reason=_("Reconciliation: invoices not read"), message=str(exc),
                                               response=getattr(exc, "body", None))
        return documents

    # -- jobs ---------------------------------------------------------------------------------
    # Jobs run as the company's job user, but the records handed to them keep the user who queued
    # them (a sales user resending an invoice...): what they write is integration work, done as superuser.
    def _economic_export_invoice(self, sale):
        """Job: one draft invoice for one shop order (never twice)."""
        self.ensure_one()
        log = self.env["shop.sync.economic.invoice.exporter"].sudo()._export(self.sudo(), sale.sudo())
        return log.message if log else None

    def _economic_export_pending(self):
        """Job: the base's scheduled pass (``_accounting_export_pending``) for this backend."""
        self.ensure_one()
        return self._accounting_export_pending()

    def _economic_pull_stock(self):
        self.ensure_one()
        return self.env["shop.sync.economic.stock.importer"].sudo()._pull(self.sudo())

    def _economic_import_products(self, full=False):
        self.ensure_one()
        return self.env["shop.sync.economic.product.importer"].sudo()._import_all(self.sudo(), full=full)

    def _economic_export_products(self, products=None):
        """Job: create or update e-conomic products (all products of the product filter with a SKU
        when none given)."""
        self.ensure_one()
        if products is None:
            products = self.env["product.product"].search([
                ("default_code", "!=", False), ("company_id", "in", (False, self.company_id.id)),
                ("product_tmpl_id", "any", self._product_filter())])
        Exporter = self.env["shop.sync.economic.product.exporter"].sudo()
        return Exporter._export_all(self.sudo(), products.sudo())

    # -- buttons (the base's, under the names e-conomic had first: RPC clients call them) ---------
    def action_economic_export_products(self):
        return self.action_accounting_export_products()

    def action_economic_pull_stock(self):
        return self.action_accounting_pull_stock()

    def action_economic_import_products(self):
        return self.action_accounting_import_products()
