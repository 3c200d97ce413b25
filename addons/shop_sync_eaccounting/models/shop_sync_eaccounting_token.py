from odoo import fields, models

MANAGER = "shop_sync_base.group_shop_sync_manager"


class ShopSyncEaccountingToken(models.Model):
    """The OAuth2 tokens of one eAccounting backend, apart from the backend's row.

    A refresh answers a new refresh token and invalidates the old one, so a new token is written
    and committed in a transaction of its own, under a lock of this row: a job rolled back after
    refreshing must not lose it, and two workers must not refresh at once.  A row of its own means
    that lock never waits for the job's transaction, which may have written the backend."""

    _name = "shop.sync.eaccounting.token"
    _inherit = "shop.sync.backend.record"
    _description = "eAccounting OAuth2 Tokens"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    access_token = fields.Char(groups=MANAGER, copy=False)
    refresh_token = fields.Char(groups=MANAGER, copy=False)
    expires_at = fields.Datetime("Access token expires at", copy=False)

    _backend_unique = models.Constraint("UNIQUE(backend_id)", "A backend has one set of tokens.")
