from odoo import api, fields, models

FIELD_LABELS = {
    "name": "Name", "description": "Description", "price": "Sales price", "barcode": "Barcode / EAN",
    "weight": "Weight", "category": "Category", "published": "Status / published", "image": "Image",
    "vendor": "Vendor / brand", "tags": "Tags", "dimensions": "Dimensions", "short_description": "Short description",
    "backorders": "Backorders allowed", "vat_rate": "VAT rate",
    "email": "E-mail", "phone": "Phone", "address": "Address", "vat": "VAT number",
}
# object -> {field: written on update by default}.  Every field is written on create by default;
# update is off for what people enrich in Odoo (names, texts, categories) so it is not overwritten.
RULE_DEFAULTS = {
    "product": {"name": False, "description": False, "price": True, "barcode": True, "weight": True,
                "category": False, "published": True, "image": True, "vendor": False, "tags": False,
                "dimensions": True, "short_description": False, "backorders": True, "vat_rate": True},
    "customer": {"name": False, "email": False, "phone": True, "address": False, "vat": False},
}

class ShopSyncFieldRule(models.Model):
    """Per backend, object, direction and field: write it when creating? when updating?"""

    _name = "shop.sync.field.rule"
    _inherit = "shop.sync.backend.record"
    _description = "Shop Sync Field Rule"
    _order = "backend_id, object, direction, sequence, id"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    object = fields.Selection([("product", "Product"), ("customer", "Customer")], required=True)
    direction = fields.Selection(
        [("import", "Remote → Odoo"), ("export", "Odoo → Remote")], required=True, default="import")
    field = fields.Selection(list(FIELD_LABELS.items()), required=True)
    sequence = fields.Integer(default=10)
    on_create = fields.Boolean("Write on create", default=True)
    on_update = fields.Boolean("Write on update", default=False)

    _rule_unique = models.Constraint(
        "UNIQUE(backend_id, object, direction, field)", "There is already a rule for this field.")

    @api.model
    def _ensure_defaults(self, backend):
        """Create the missing rules of ``backend`` with their default checkboxes."""
        existing = {(rule.object, rule.direction, rule.field) for rule in backend.field_rule_ids}
        values = []
        for obj, defaults in RULE_DEFAULTS.items():
            for sequence, (name, update) in enumerate(defaults.items()):
                for direction in ("import", "export"):
                    if (obj, direction, name) not in existing:
                        values.append({"backend_id": backend.id, "object": obj, "direction": direction,
                                       "field": name, "sequence": sequence, "on_create": True, "on_update": update})
        return self.create(values)

    @api.model
    def _ensure_all_defaults(self):
        """On install and update: backends created before a field got its rule get it (with its
        default checkboxes), so a new mapped field is not silently never written."""
        # every backend, once per module update
        backends = self.env["shop.sync.backend"].with_context(active_test=False).search([])  # pylint: disable=no-search-all
        for backend in backends:
            self._ensure_defaults(backend)

    @api.model
    def _allowed_fields(self, backend, obj, direction, creating):
        """Names of the fields that may be written for a record being created or updated."""
        flag = "on_create" if creating else "on_update"
        return {rule.field for rule in backend.field_rule_ids
                if rule.object == obj and rule.direction == direction and rule[flag]}
