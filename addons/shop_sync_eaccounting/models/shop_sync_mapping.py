from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.shop_sync_base.models.sale_order import VAT_TREATMENTS

# mapping type -> option type of its eAccounting value
OPTION_OF_TYPE = {"eaccounting_coding": "coding", "payment_method": "terms"}


class ShopSyncMapping(models.Model):
    """eAccounting value maps: terms of payment per shop payment method (the base's
    ``payment_method`` type) and VAT per destination (``eaccounting_coding``): for a VAT treatment,
    a country (empty: any) and the Odoo tax rate of the line, the article account coding whose rate
    and revenue account eAccounting books those rows on."""

    _inherit = "shop.sync.mapping"

    mapping_type = fields.Selection(selection_add=[("eaccounting_coding", "eAccounting VAT per destination")],
                                    ondelete={"eaccounting_coding": "cascade"})
    vat_treatment = fields.Selection(VAT_TREATMENTS, "VAT treatment")
    eacc_option_type = fields.Char(compute="_compute_eacc_option_type")
    eacc_option_id = fields.Many2one(
        "shop.sync.eaccounting.option", "eAccounting value", ondelete="restrict",
        domain="[('backend_id', '=', backend_id), ('option_type', '=', eacc_option_type)]")

    @api.depends("mapping_type")
    def _compute_eacc_option_type(self):
        for mapping in self:
            mapping.eacc_option_type = OPTION_OF_TYPE.get(mapping.mapping_type, False)

    @api.constrains("mapping_type", "vat_treatment", "eacc_option_id")
    def _check_eacc_coding(self):
        for mapping in self.filtered(lambda m: m.mapping_type == "eaccounting_coding"):
            if not (mapping.vat_treatment and mapping.eacc_option_id.option_type == "coding"):
                raise ValidationError(_("An eAccounting VAT-per-destination mapping needs a VAT treatment and an "
                                        "article account coding loaded from eAccounting."))
