from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# mapping type -> option type of its remote value
OPTION_OF_TYPE = {
    "economic_vat_zone": "vat_zone",
    "economic_layout": "layout",
    "economic_product_group": "product_group",
    "payment_method": "payment_terms",
}


class ShopSyncMapping(models.Model):
    """e-conomic value maps: VAT zone and layout per country, product group per country and
    goods/services (``external_code``), and e-conomic payment terms per shop payment method
    (the base's ``payment_method`` type).  The remote number is ``external_value``; picking an
    e-conomic value (``economic_option_id``) fills it."""

    _inherit = "shop.sync.mapping"

    mapping_type = fields.Selection(
        selection_add=[("economic_vat_zone", "e-conomic VAT zone"), ("economic_layout", "e-conomic layout"),
                       ("economic_product_group", "e-conomic product group")],
        ondelete={"economic_vat_zone": "cascade", "economic_layout": "cascade", "economic_product_group": "cascade"})
    economic_option_type = fields.Char(compute="_compute_economic_option_type")
    economic_option_id = fields.Many2one(
        "shop.sync.economic.option", "e-conomic value", ondelete="set null",
        domain="[('backend_id', '=', backend_id), ('option_type', '=', economic_option_type)]")

    @api.depends("mapping_type")
    def _compute_economic_option_type(self):
        for mapping in self:
            mapping.economic_option_type = OPTION_OF_TYPE.get(mapping.mapping_type, False)

    @api.onchange("economic_option_id")
    def _onchange_economic_option_id(self):
        if self.economic_option_id:
            self.external_value = str(self.economic_option_id.number)

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._with_option_value(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._with_option_value(vals))

    def _with_option_value(self, vals):
        if vals.get("economic_option_id"):
            option = self.env["shop.sync.economic.option"].browse(vals["economic_option_id"])
            vals = {**vals, "external_value": str(option.number)}
        return vals

    @api.constrains("mapping_type", "external_value", "economic_option_id")
    def _check_economic_number(self):
        for mapping in self.filtered(lambda m: m.mapping_type.startswith("economic_")):
            if not (mapping.external_value or "").strip().isdigit():
                raise ValidationError(_("An e-conomic mapping needs the e-conomic number as remote value."))

    def _economic_number(self):
        self.ensure_one()
        value = (self.external_value or "").strip()
        if not value.isdigit():
            raise UserError(_("The %(type)s mapping needs an e-conomic number as remote value, not '%(value)s'.",
                              type=self.mapping_type, value=value))
        return int(value)
