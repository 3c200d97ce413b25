from odoo import fields, models


class ShopSyncStockLocation(models.Model):
    """One stock location of a shop and the Odoo location whose free quantity (on hand minus
    reserved) is pushed to it.  Loaded from the shop ("Load shop locations"); a location without
    an Odoo location gets no stock pushed."""

    _name = "shop.sync.stock.location"
    _inherit = "shop.sync.backend.record"
    _description = "Shop Sync Stock Location"
    _order = "backend_id, sequence, id"
    _check_company_auto = True

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    external_id = fields.Char("Shop location id", required=True, readonly=True)
    name = fields.Char("Shop location", required=True)
    location_id = fields.Many2one(
        "stock.location", "Odoo location", check_company=True,
        domain="[('usage', '=', 'internal'), ('company_id', 'in', (False, company_id))]",
        help="Its free quantity, sub-locations included, is the shop location's stock (e.g. a warehouse's stock "
             "location).")

    _location_unique = models.Constraint(
        "UNIQUE(backend_id, external_id)", "This shop location is listed already.")
