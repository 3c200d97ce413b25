from odoo import api, fields, models

MAPPING_TYPES = [
    ("tax", "Tax"),
    ("payment_method", "Payment method"),
    ("shipping_method", "Shipping method"),
]


class ShopSyncOrderState(models.Model):
    """One of the shop's own order states, and whether orders in it may move to Odoo."""

    _name = "shop.sync.order.state"
    _inherit = "shop.sync.backend.record"
    _description = "Shop Sync Order State"
    _order = "backend_id, sequence, id"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    code = fields.Char(required=True, help="The state as the shop names it in its API.")
    name = fields.Char(required=True, translate=True)
    allowed = fields.Boolean(help="Orders in this state are imported; others are logged as skipped.")
    cancels_order = fields.Boolean(
        "Cancels", help="The shop cancelled the order: an imported order reaching this state is cancelled in Odoo "
                        "when nothing was delivered, and its accounting document is removed or credited.")

    _code_unique = models.Constraint("UNIQUE(backend_id, code)", "This order state exists already.")


class ShopSyncMapping(models.Model):
    """A value map of one backend, looked up by type, external code and/or country.

    * tax: (country, rate) -> Odoo tax
    * payment_method: shop payment method code -> payment terms, remote terms in ``external_value``
    * shipping_method: shop shipping method code -> shipping product
    """

    _name = "shop.sync.mapping"
    _inherit = "shop.sync.backend.record"
    _description = "Shop Sync Mapping"
    _order = "backend_id, mapping_type, sequence, id"
    _check_company_auto = True

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    mapping_type = fields.Selection(MAPPING_TYPES, "Type", required=True)
    external_code = fields.Char(help="Shop code matched (payment or shipping method); empty matches any.")
    country_id = fields.Many2one("res.country", help="Empty matches any country.")
    tax_rate = fields.Float("Tax rate (%)", digits=(16, 4))
    tax_id = fields.Many2one("account.tax", check_company=True,
                             domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', company_id)]")
    payment_term_id = fields.Many2one("account.payment.term", check_company=True)
    product_id = fields.Many2one("product.product", "Shipping product", check_company=True)
    external_value = fields.Char("Remote value", help="Value written to the remote system (e.g. payment terms "
                                                      "number); VAT codes and revenue accounts per destination "
                                                      "are the accounting connector's own mappings.")

    @api.model
    def _lookup(self, backend, mapping_type, code=None, country=None, rate=None):
        """Most specific mapping: exact code and country first, then the catch-all (empty) ones."""
        candidates = backend.mapping_ids.filtered(lambda m: m.mapping_type == mapping_type)
        if rate is not None:
            candidates = candidates.filtered(lambda m: abs(m.tax_rate - float(rate)) < 0.0001)
        candidates = candidates.filtered(
            lambda m: (not m.external_code or m.external_code == code)
            and (not m.country_id or m.country_id == country))
        return candidates.sorted(
            lambda m: (not m.external_code, not m.country_id, m.sequence, m.id))[:1]
