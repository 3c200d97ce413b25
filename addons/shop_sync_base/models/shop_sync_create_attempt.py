from odoo import api, fields, models


class ShopSyncCreateAttempt(models.Model):
    """Creates sent (or about to be sent) to a remote without an idempotency key, per backend and
    our own reference of the record (e.g. the order's stamp in an e-conomic draft).

    Written and read on a connection of their own, committed before the create is sent: a record
    whose reference has no attempt was never sent, so its look-up by reference (a request) can be
    skipped; one with an attempt is looked up first, whatever became of the transaction that sent
    it (a lost answer, a worker killed before its commit).  No foreign key, for the same reason as
    the rate buckets: that connection may not see a backend created by a running transaction.
    """

    _name = "shop.sync.create.attempt"
    _description = "Shop Sync Create Attempt"
    _log_access = False

    backend_id = fields.Integer(required=True, index=True)
    key = fields.Char(required=True, help="Our reference of the record created remotely.")
    attempted_at = fields.Datetime(required=True)

    _attempt_unique = models.Constraint("UNIQUE(backend_id, key)", "One attempt per backend and reference.")

    @api.model
    def _mark(self, backend, key):
        """Commit that ``key`` is about to be created in ``backend`` (call before sending)."""
        with self.env.registry.cursor() as cr:
            cr.execute("INSERT INTO shop_sync_create_attempt (backend_id, key, attempted_at) "
                       "VALUES (%s, %s, now() AT TIME ZONE 'UTC') ON CONFLICT DO NOTHING", [backend.id, key])

    @api.model
    def _marked(self, backend, key):
        """Whether a create of ``key`` may have been sent to ``backend``: read on a fresh connection,
        so an attempt committed after this transaction began (a concurrent job) is seen."""
        with self.env.registry.cursor() as cr:
            cr.execute("SELECT 1 FROM shop_sync_create_attempt WHERE backend_id = %s AND key = %s",
                       [backend.id, key])
            return bool(cr.fetchone())

    @api.model
    def _drop(self, backend_ids):
        with self.env.registry.cursor() as cr:
            cr.execute("DELETE FROM shop_sync_create_attempt WHERE backend_id = ANY(%s)", [list(backend_ids)])
