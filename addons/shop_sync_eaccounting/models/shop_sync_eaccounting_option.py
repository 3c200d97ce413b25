from odoo import api, fields, models

OPTION_TYPES = [
    ("vat_code", "VAT code"),
    ("coding", "Article account coding"),
    ("terms", "Terms of payment"),
    ("delivery_method", "Delivery method"),
    ("unit", "Unit"),
]
# option type -> collection
COLLECTIONS = {
    "vat_code": "vatcodes",
    "coding": "articleaccountcodings",
    "terms": "termsofpayments",
    "delivery_method": "deliverymethods",
    "unit": "units",
}
# article account coding: the revenue account eAccounting books a sale on, per VAT treatment
CODING_ACCOUNTS = {
    "domestic": "DomesticSalesSubjectToVatAccountNumber",
    "oss": "ForeignSalesSubjectToMossAccountNumber",
    "reverse_charge": "ForeignSalesSubjectToThirdPartySalesAccountNumber",
    "export": "ForeignSalesVatExemptOutsideEuAccountNumber",
}


def percent(rate):
    """A rate in percent: eAccounting answers fractions (0.25) where its documents say percent."""
    rate = float(rate or 0.0)
    return rate * 100 if 0 < rate < 1 else rate


class ShopSyncEaccountingOption(models.Model):
    """One reference value of an eAccounting company (VAT code, article account coding, terms of
    payment, delivery method, unit), loaded so defaults and mappings are picked from a list.

    In eAccounting an invoice row takes no VAT code or account: its article's account coding
    decides them, per destination (domestic, EU private buyer under OSS, EU business, outside the
    EU), with the coding's rate; so the codings are kept with their rate and accounts."""

    _name = "shop.sync.eaccounting.option"
    _inherit = "shop.sync.accounting.option"
    _description = "eAccounting Reference Value"
    _order = "backend_id, option_type, name"
    _option_key = "remote_id"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True,
                                 domain=[("kind", "=", "eaccounting")])
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    option_type = fields.Selection(OPTION_TYPES, "Type", required=True)
    remote_id = fields.Char("Id", required=True, help="The identifier (UUID) in eAccounting.")
    code = fields.Char(help="VAT codes, delivery methods and units: their code.")
    name = fields.Char(required=True)
    vat_rate = fields.Float("VAT rate (%)", digits=(16, 4), help="VAT codes and article account codings.")
    coding_type = fields.Char("Goods / services", help="Article account codings: Goods or Service.")
    days = fields.Integer(help="Terms of payment: days until due.")
    accounts = fields.Json(help="Article account codings: {VAT treatment: revenue account number}.")
    active = fields.Boolean(default=True, help="Cleared when the value is no longer found in eAccounting.")

    _option_unique = models.Constraint(
        "UNIQUE(backend_id, option_type, remote_id)", "This eAccounting value is loaded already.")

    @api.depends("name", "code", "vat_rate", "option_type")
    def _compute_display_name(self):
        for option in self:
            name = f"{option.code} {option.name}" if option.code and option.code != option.name else option.name
            if option.option_type in ("vat_code", "coding"):
                name = f"{name} ({option.vat_rate:g} %)"
            option.display_name = name

    @api.model
    def _remote_options(self, client):
        for option_type, collection in COLLECTIONS.items():
            documents = client.get(collection) if option_type == "vat_code" else client.iterate(collection)
            for document in documents:
                if option_type == "coding" and document.get("IsActive") is False:
                    continue
                if option_type == "terms" and document.get("AvailableForSales") is False:
                    continue
                yield option_type, document["Id"], self._values(option_type, document)

    @api.model
    def _values(self, option_type, document):
        values = {"name": document.get("Name") or document.get("Description") or document.get("Code")
                  or document["Id"], "code": document.get("Code") or False, "active": True}
        if option_type == "vat_code":
            values["vat_rate"] = percent(document.get("VatRate"))
        elif option_type == "coding":
            values["vat_rate"] = percent(document.get("VatRatePercent"))
            values["coding_type"] = document.get("Type") or False
            values["accounts"] = {treatment: document.get(key) for treatment, key in CODING_ACCOUNTS.items()}
        elif option_type == "terms":
            values["days"] = document.get("NumberOfDays") or 0
        return values
