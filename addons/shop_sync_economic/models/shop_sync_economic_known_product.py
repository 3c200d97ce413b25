from odoo import api, fields, models


class ShopSyncEconomicKnownProduct(models.Model):
    """e-conomic product numbers known to exist that no binding records: the companion products of
    another product group (``<number>.<group>``) and the rounding product.  An invoice then names
    them without reading them again, as it does for bound products; a draft refused for a product
    forgets the numbers it named, so the next attempt reads (and creates) them again."""

    _name = "shop.sync.economic.known.product"
    _description = "e-conomic Known Product Number"
    _log_access = False

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    number = fields.Char(required=True)

    _number_unique = models.Constraint("UNIQUE(backend_id, number)", "A product number is known once per backend.")

    @api.model
    def _known(self, backend, number):
        return bool(self.search_count([("backend_id", "=", backend.id), ("number", "=", number)], limit=1))

    @api.model
    def _remember(self, backend, number):
        # a concurrent invoice job may remember the same number: no unique violation for that
        self.env.cr.execute("INSERT INTO shop_sync_economic_known_product (backend_id, number) VALUES (%s, %s) "
                            "ON CONFLICT DO NOTHING", [backend.id, number])

    @api.model
    def _forget(self, backend, numbers):
        self.search([("backend_id", "=", backend.id), ("number", "in", list(numbers))]).unlink()
