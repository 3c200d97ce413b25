from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..services.http import WORKER_MAX_SLEEP

# The longest wait a worker sleeps for the rate governor; a longer one postpones the job instead.
GOVERNOR_MAX_SLEEP = WORKER_MAX_SLEEP


class ShopSyncBackend(models.Model):
    """The client-side rate governor of a backend: one token bucket in PostgreSQL
    (``shop.sync.rate.bucket``) shared by every worker that talks to the backend's API, so their
    requests together stay within the vendor's limit instead of each one learning it from 429s."""

    _inherit = "shop.sync.backend"

    rate_limit = fields.Float(
        "Rate limit (per second)", compute="_compute_rate_limit", store=True, readonly=False, precompute=True,
        digits=(16, 4),
        help="Requests per second all workers together send to this backend's API (Shopify GraphQL: query cost "
             "points per second); 0: no limit. Defaults to the vendor's documented limit for its standard plan.")
    rate_burst = fields.Float(
        "Burst", compute="_compute_rate_limit", store=True, readonly=False, precompute=True,
        help="Requests (or points) that may be sent at once after a quiet period, before the rate applies.")

    @api.depends("kind")
    def _compute_rate_limit(self):
        for backend in self:
            backend.rate_limit, backend.rate_burst = backend._rate_limit_defaults()

    def _rate_limit_defaults(self):
        """(rate per second, burst) the vendor documents for ``kind``; connectors override (0: none)."""
        return 0.0, 0.0

    def _rate_governor(self, key="api", rate=None, burst=None):
        """The backend's governor for an HTTP client: ``acquire(cost=1)`` returns the seconds to
        sleep before sending (the cost is granted), or raises queue_job's RetryableJobError when
        the wait is longer than a worker should sleep (nothing granted; the job is postponed by
        that wait, without using up one of its tries: a busy backend's jobs wait, they never
        fail).  None when the backend has no limit."""
        self.ensure_one()
        rate = self.rate_limit if rate is None else rate
        burst = self.rate_burst if burst is None else burst
        if not rate or rate <= 0:
            return None
        Bucket, backend_id, name, translate = self.env["shop.sync.rate.bucket"].sudo(), self.id, self.name, self.env._

        def acquire(cost=1):
            wait = Bucket._grant(backend_id, key, rate, burst, cost=cost, max_wait=GOVERNOR_MAX_SLEEP)
            if wait > GOVERNOR_MAX_SLEEP:
                raise RetryableJobError(
                    translate("Rate limit of %(name)s (%(rate)s per second): the next request is due in %(wait).0f s.",
                      name=name, rate=f"{rate:g}", wait=wait), seconds=int(wait) + 1,
                    ignore_retry=True)  # waiting for our own budget is not a failure: no try is used up
            return wait

        return acquire

    def _adapter_config(self):
        config = super()._adapter_config()
        config["governor"] = self._rate_governor()
        return config

    def unlink(self):
        ids = self.ids
        result = super().unlink()
        self.env["shop.sync.rate.bucket"].sudo()._drop(ids)
        self.env["shop.sync.create.attempt"].sudo()._drop(ids)
        return result
