from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.shop_sync_base.models.sale_order import VAT_TREATMENTS

# mapping type -> option type of its remote value
OPTION_OF_TYPE = {
    "economic_vat_zone": "vat_zone",
    "economic_layout": "layout",
    "economic_product_group": "product_group",
    "economic_category_group": "product_group",
    "payment_method": "payment_terms",
}


class ShopSyncMapping(models.Model):
    """e-conomic value maps: VAT zone and layout per country of the customer, e-conomic payment
    terms per shop payment method (the base's ``payment_method`` type), and VAT per destination.

    VAT per destination (``economic_product_group``): for a VAT treatment (domestic, OSS, reverse
    charge, export), a country (empty: any), the Odoo tax rate of the line and goods/services
    (``external_code``, empty: both), the e-conomic product group whose sales account for the VAT
    zone carries that rate's VAT code, and that VAT zone.  e-conomic takes no account or VAT code on
    a draft line (the product's group decides), so this is e-conomic's "VAT code and revenue
    account per country".  The remote number is ``external_value``; picking an e-conomic value
    (``economic_option_id``) fills it."""

    _inherit = "shop.sync.mapping"

    mapping_type = fields.Selection(
        selection_add=[("economic_vat_zone", "e-conomic VAT zone"), ("economic_layout", "e-conomic layout"),
                       ("economic_product_group", "e-conomic VAT per destination"),
                       ("economic_category_group", "e-conomic product group per category")],
        ondelete={"economic_vat_zone": "cascade", "economic_layout": "cascade", "economic_product_group": "cascade",
                  "economic_category_group": "cascade"})
    product_category_id = fields.Many2one(
        "product.category", "Product category",
        help="Products of this category (or of a category below it without its own row) are created in e-conomic "
             "in the row's product group.")
    vat_treatment = fields.Selection(VAT_TREATMENTS, "VAT treatment")
    economic_vat_zone_id = fields.Many2one(
        "shop.sync.economic.option", "Invoice VAT zone", ondelete="restrict", check_company=True,
        domain="[('backend_id', '=', backend_id), ('option_type', '=', 'vat_zone')]")
    economic_sales_account = fields.Char("Sales account (VAT code)", compute="_compute_economic_sales_account",
                                         help="What e-conomic books these lines on: the product group's sales "
                                              "account for the VAT zone, with its VAT code and rate.")
    economic_option_type = fields.Char(compute="_compute_economic_option_type")
    economic_option_id = fields.Many2one(
        "shop.sync.economic.option", "e-conomic value", ondelete="set null", check_company=True,
        domain="[('backend_id', '=', backend_id), ('option_type', '=', economic_option_type)]")

    @api.depends("mapping_type")
    def _compute_economic_option_type(self):
        for mapping in self:
            mapping.economic_option_type = OPTION_OF_TYPE.get(mapping.mapping_type, False)

    @api.depends("economic_option_id", "economic_vat_zone_id")
    def _compute_economic_sales_account(self):
        for mapping in self:
            account = mapping.backend_id._economic_sales_account(mapping.economic_option_id,
                                                                 mapping.economic_vat_zone_id.number) \
                if mapping.mapping_type == "economic_product_group" and mapping.economic_vat_zone_id else None
            mapping.economic_sales_account = account.display_name if account else False

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

    @api.constrains("mapping_type", "vat_treatment", "economic_vat_zone_id")
    def _check_economic_vat(self):
        for mapping in self.filtered(lambda m: m.mapping_type == "economic_product_group"):
            if not (mapping.vat_treatment and mapping.economic_vat_zone_id and mapping.economic_option_id):
                raise ValidationError(_("A VAT-per-destination mapping needs a VAT treatment, a product group and "
                                        "a VAT zone loaded from e-conomic."))
