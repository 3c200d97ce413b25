import time

from odoo import api, fields, models

from ..services.locks import read_committed

# One grant: the bucket refills at ``rate`` up to ``burst`` since the last grant, then ``cost`` is
# taken when the caller's wait (the debt left, at ``rate``) is at most ``max_wait``; otherwise the
# refill is kept and nothing taken.  Returns the tokens available before taking.
_GRANT = """
    WITH current AS (
        SELECT id, LEAST(%(burst)s, tokens + %(rate)s * GREATEST(0, %(now)s - stamp)) AS available
          FROM shop_sync_rate_bucket
         WHERE backend_id = %(backend)s AND key = %(key)s
           FOR UPDATE)
    UPDATE shop_sync_rate_bucket AS bucket
       SET tokens = CASE WHEN current.available - %(cost)s >= -%(rate)s * %(max_wait)s
                         THEN current.available - %(cost)s ELSE current.available END,
           stamp = GREATEST(bucket.stamp, %(now)s)
      FROM current
     WHERE bucket.id = current.id
 RETURNING current.available
"""


class ShopSyncRateBucket(models.Model):
    """A token bucket per backend (and per limit of its API), shared by every worker through
    PostgreSQL: the client-side rate governor.

    Each grant is one short transaction of its own (a row lock for one UPDATE, never held across a
    request): the bucket refills continuously at the backend's rate up to its burst, and a request
    takes its cost, leaving a debt when workers ask faster than the rate; the caller then waits
    until the debt is paid, so concurrent workers are served in turn at the rate.  A wait longer
    than the caller accepts takes nothing.  No foreign key: the grant runs on its own connection,
    which may not see a backend created by a transaction still running (tests, a first sync).
    """

    _name = "shop.sync.rate.bucket"
    _description = "Shop Sync Rate Bucket"
    _log_access = False

    backend_id = fields.Integer(required=True, index=True)
    key = fields.Char(required=True, help="Which limit of the backend's API (e.g. api, graphql, write).")
    tokens = fields.Float(required=True, help="Requests (or cost points) available at 'stamp'; negative: "
                                              "granted ahead of the rate, to be waited for.")
    stamp = fields.Float(required=True, help="Seconds since the epoch of the last grant.")

    _bucket_unique = models.Constraint("UNIQUE(backend_id, key)", "One bucket per backend and limit.")

    @api.model
    def _grant(self, backend_id, key, rate, burst, cost=1.0, max_wait=0.0, now=None):
        """Seconds the caller must wait before sending a request of ``cost``.

        When that wait is at most ``max_wait`` the cost is taken (the caller sleeps, then sends);
        otherwise nothing is taken and the caller gives up for now.  ``rate`` per second (> 0),
        ``burst`` the bucket's size; ``now`` in seconds since the epoch (default: the clock)."""
        burst = max(float(burst or 0), float(cost))
        params = {"backend": backend_id, "key": key, "rate": float(rate), "burst": burst, "cost": float(cost),
                  "max_wait": float(max_wait), "now": time.time() if now is None else now}
        with self.env.registry.cursor() as cr:
            read_committed(cr)  # a concurrent grant is waited for and read
            cr.execute(_GRANT, params)
            row = cr.fetchone()
            if row is None:
                cr.execute("INSERT INTO shop_sync_rate_bucket (backend_id, key, tokens, stamp) "
                           "VALUES (%(backend)s, %(key)s, %(burst)s, %(now)s) ON CONFLICT DO NOTHING", params)
                cr.execute(_GRANT, params)
                row = cr.fetchone()
        return max(0.0, (float(cost) - row[0]) / float(rate))

    @api.model
    def _drop(self, backend_ids):
        """Forget the buckets of deleted backends (on their own connection, like the grants)."""
        with self.env.registry.cursor() as cr:
            cr.execute("DELETE FROM shop_sync_rate_bucket WHERE backend_id = ANY(%s)", [list(backend_ids)])
