from odoo import api, fields, models

OPTION_TYPES = [
    ("layout", "Layout"),
    ("payment_terms", "Payment terms"),
    ("customer_group", "Customer group"),
    ("product_group", "Product group"),
    ("unit", "Unit"),
    ("vat_zone", "VAT zone"),
]
# option type -> (collection, identifier property)
COLLECTIONS = {
    "layout": ("layouts", "layoutNumber"),
    "payment_terms": ("payment-terms", "paymentTermsNumber"),
    "customer_group": ("customer-groups", "customerGroupNumber"),
    "product_group": ("product-groups", "productGroupNumber"),
    "unit": ("units", "unitNumber"),
    "vat_zone": ("vat-zones", "vatZoneNumber"),
}


class ShopSyncEconomicOption(models.Model):
    """One reference value of an e-conomic agreement (layout, payment terms, group, unit, VAT
    zone), loaded from e-conomic so the backend's defaults and mappings are picked from a list."""

    _name = "shop.sync.economic.option"
    _description = "e-conomic Reference Value"
    _order = "backend_id, option_type, number"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True,
                                 domain=[("kind", "=", "economic")])
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    option_type = fields.Selection(OPTION_TYPES, "Type", required=True)
    number = fields.Integer(required=True, help="The identifier in e-conomic.")
    name = fields.Char(required=True)
    terms_type = fields.Char("Payment terms type", help="e.g. net, paidInCash, dueDate (payment terms only).")
    active = fields.Boolean(default=True, help="Cleared when the value is no longer found in e-conomic.")

    _option_unique = models.Constraint(
        "UNIQUE(backend_id, option_type, number)", "This e-conomic value is loaded already.")

    @api.depends("number", "name")
    def _compute_display_name(self):
        for option in self:
            option.display_name = f"{option.number} {option.name}"

    @api.model
    def _load(self, backend, client):
        """Fetch every type's collection; create or update the options, archive vanished ones."""
        existing = {(option.option_type, option.number): option
                    for option in self.with_context(active_test=False).search([("backend_id", "=", backend.id)])}
        seen = set()
        for option_type, (collection, key) in COLLECTIONS.items():
            for document in client.iterate(collection):
                number = document[key]
                values = {"name": document.get("name") or str(number), "active": True,
                          "terms_type": document.get("paymentTermsType") or False}
                option = existing.get((option_type, number))
                if option:
                    option.write(values)
                else:
                    self.create({"backend_id": backend.id, "option_type": option_type, "number": number, **values})
                seen.add((option_type, number))
        for key, option in existing.items():
            if key not in seen and option.active:
                option.active = False
        return len(seen)
