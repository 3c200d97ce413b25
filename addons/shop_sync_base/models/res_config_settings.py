from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    shop_sync_log_retention_days = fields.Integer(related="company_id.shop_sync_log_retention_days", readonly=False)
    shop_sync_personal_data_days = fields.Integer(related="company_id.shop_sync_personal_data_days", readonly=False)
    shop_sync_tz = fields.Selection(
        related="company_id.partner_id.tz", readonly=False, string="Accounting time zone",
        help="Dates the accounting documents of shop orders, and so their VAT period (the company's address's time "
             "zone). Empty: the country's time zone when the country keeps one time, else UTC.")
    shop_sync_effective_tz = fields.Char("Accounting dates in", compute="_compute_shop_sync_effective_tz")

    @api.depends("company_id", "shop_sync_tz")
    def _compute_shop_sync_effective_tz(self):
        for settings in self:
            company = settings.company_id
            settings.shop_sync_effective_tz = settings.shop_sync_tz or company._shop_sync_country_tz() or "UTC"
