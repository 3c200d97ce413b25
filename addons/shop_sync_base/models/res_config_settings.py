from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    shop_sync_log_retention_days = fields.Integer(related="company_id.shop_sync_log_retention_days", readonly=False)
    shop_sync_personal_data_days = fields.Integer(related="company_id.shop_sync_personal_data_days", readonly=False)
