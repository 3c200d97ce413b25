from odoo import api, models, tools


class ResCountry(models.Model):
    _inherit = "res.country"

    @api.model
    def _shop_sync_by_code(self, code):
        """The country of an ISO code (any case; empty when none has it).  Every order names its
        countries: they are looked up once per server, like Odoo's ``_phone_code_for`` (a country
        created, changed or deleted clears that cache)."""
        return self.browse(self._shop_sync_id_by_code((code or "").upper()))

    @api.model
    @tools.ormcache("code", cache="stable")
    def _shop_sync_id_by_code(self, code):
        return self.sudo().search([("code", "=", code)], limit=1).id if code else False
