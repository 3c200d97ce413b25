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
    # Visma uses a refresh token once: a refresh whose answer is lost leaves a token Visma may
    # already have replaced.  Committed before the refresh is sent, cleared by its answer.
    refresh_state = fields.Selection(
        [("sent", "Sent, answer awaited"), ("lost", "Answer lost")], "Refresh of the stored token", copy=False,
        help="Sent: a refresh with the stored refresh token is under way (or its worker stopped). Answer lost: it "
             "was answered 5xx or not at all; Visma may have applied it, then the next refresh is refused.")
    refresh_sent_at = fields.Datetime("Refresh sent at", copy=False)

    _backend_unique = models.Constraint("UNIQUE(backend_id)", "A backend has one set of tokens.")
