from odoo import api, fields, models

OPTION_TYPES = [
    ("layout", "Layout"),
    ("payment_terms", "Payment terms"),
    ("customer_group", "Customer group"),
    ("product_group", "Product group"),
    ("account", "Account"),
    ("unit", "Unit"),
    ("vat_zone", "VAT zone"),
]
# option type -> (collection, identifier property)
COLLECTIONS = {
    "layout": ("layouts", "layoutNumber"),
    "payment_terms": ("payment-terms", "paymentTermsNumber"),
    "customer_group": ("customer-groups", "customerGroupNumber"),
    "product_group": ("product-groups", "productGroupNumber"),
    "account": ("accounts", "accountNumber"),
    "unit": ("units", "unitNumber"),
    "vat_zone": ("vat-zones", "vatZoneNumber"),
}


class ShopSyncEconomicOption(models.Model):
    """One reference value of an e-conomic agreement (layout, payment terms, group, account, unit,
    VAT zone), loaded from e-conomic so the backend's defaults and mappings are picked from a list.

    VAT in e-conomic is decided by the product group's sales account for the invoice's VAT zone and
    that account's VAT code: a product group keeps its sales account per zone, an account its VAT
    code and that VAT account's rate (read from ``/vat-accounts``), so an order's VAT can be checked
    against Odoo's before anything is sent."""

    _name = "shop.sync.economic.option"
    _inherit = "shop.sync.accounting.option"
    _description = "e-conomic Reference Value"
    _order = "backend_id, option_type, number"
    _option_key = "number"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True,
                                 domain=[("kind", "=", "economic")])
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    option_type = fields.Selection(OPTION_TYPES, "Type", required=True)
    number = fields.Integer(required=True, help="The identifier in e-conomic.")
    name = fields.Char(required=True)
    terms_type = fields.Char("Payment terms type", help="e.g. net, paidInCash, dueDate (payment terms only).")
    vat_code = fields.Char("VAT code", help="Accounts: the VAT code (VAT account) booked with this account.")
    vat_rate = fields.Float("VAT rate (%)", digits=(16, 4), help="Accounts: the rate of their VAT code.")
    vat_code_missing = fields.Boolean(
        "VAT code missing", help="Accounts: the account names a VAT code that e-conomic's VAT accounts do not hold.")
    sales_accounts = fields.Json(help="Product groups: {VAT zone number: sales account number}.")
    active = fields.Boolean(default=True, help="Cleared when the value is no longer found in e-conomic.")

    _option_unique = models.Constraint(
        "UNIQUE(backend_id, option_type, number)", "This e-conomic value is loaded already.")

    @api.depends("number", "name", "vat_code", "vat_rate")
    def _compute_display_name(self):
        for option in self:
            name = f"{option.number} {option.name}"
            if option.option_type == "account" and option.vat_code:
                name = f"{name} ({option.vat_code} {option.vat_rate:g} %)"
            option.display_name = name

    @api.model
    def _remote_options(self, client):
        rates = {document["vatCode"]: document.get("ratePercentage", 0.0)
                 for document in client.iterate("vat-accounts")}
        for option_type, (collection, key) in COLLECTIONS.items():
            for document in client.iterate(collection):
                number = document[key]
                yield option_type, number, {
                    "name": document.get("name") or str(number), "active": True,
                    "terms_type": document.get("paymentTermsType") or False,
                    **self._vat_values(client, option_type, number, document, rates)}

    @api.model
    def _vat_values(self, client, option_type, number, document, rates):
        if option_type == "account":
            code = (document.get("vatAccount") or {}).get("vatCode")
            return {"vat_code": code or False, "vat_rate": rates.get(code, 0.0),
                    "vat_code_missing": bool(code) and code not in rates}
        if option_type == "product_group":
            return {"sales_accounts": {
                str(item["vatZone"]["vatZoneNumber"]): item["salesAccount"]["accountNumber"]
                for item in client.iterate(f"product-groups/{number}/sales-accounts")}}
        return {}
