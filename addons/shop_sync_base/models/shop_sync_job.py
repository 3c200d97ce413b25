from psycopg2 import errors as pg_errors

from odoo import api, models
from odoo.tools import SQL

REQUESTED_BY = "shop_sync_requested_by"  # context key: id of the user who asked for the work


def requested_by(env):
    """Who asked for the work being done: carried through the jobs it queued; else the current user
    (who clicked, the cron's user) or, without one (a webhook), the public user: its id from the cached
    XML id (``env.ref`` checked that the user exists, one query each time a webhook asks, twice a webhook)."""
    return (env.context.get(REQUESTED_BY) or env.uid
            or env["ir.model.data"]._xmlid_to_res_id("base.public_user", raise_if_not_found=True))


class ShopSyncJobMixin(models.AbstractModel):
    """Models whose methods run as queue jobs: the job keeps who asked in its stored context."""

    _name = "shop.sync.job.mixin"
    _description = "Shop Sync Job Mixin"

    @api.model
    def _job_prepare_context_before_enqueue_keys(self):
        return (*super()._job_prepare_context_before_enqueue_keys(), REQUESTED_BY)


class ShopSyncBackend(models.Model):
    _name = "shop.sync.backend"
    _inherit = ["shop.sync.backend", "shop.sync.job.mixin"]

    def _as_job_user(self, records=None):
        """``records`` (default: this backend) as the job user of the backend's company, in that company
        only, remembering who asked: the hub's work never depends on the rights of whoever clicked."""
        self.ensure_one()
        company = self.company_id
        target = self if records is None else records
        return target.with_user(company._shop_sync_job_user()).with_context(
            allowed_company_ids=company.ids, **{REQUESTED_BY: requested_by(self.env)})

    def _delay(self, records=None, **job_options):
        """``with_delay(**job_options)`` on ``records`` (default: this backend) run as the job user
        (see ``_as_job_user``); every job of the hub is queued through here."""
        return self._as_job_user(records).with_delay(**job_options)

    def _shop_sync_lock_pending_job(self, flow_key, condition=None):
        """Id of a job of this backend's flow ``flow_key`` (meeting ``condition``, an ``SQL`` on queue_job)
        that has not started yet, locked until this transaction ends so that work added to it now is
        seen when it starts (the runner's update that starts it waits for the lock); None when there is
        none (a job the runner is taking, or took since this transaction's snapshot, is not one)."""
        if self.env.context.get("queue_job__no_delay"):
            return None
        flow = self._shop_sync_flow(flow_key)
        key = self._shop_sync_identity_key(flow, self, None)
        cr = self.env.cr
        self.env["queue.job"].flush_model()
        try:
            with cr.savepoint(flush=False):
                cr.execute(SQL("""
                    SELECT id FROM queue_job
                     WHERE state = 'pending' AND eta IS NULL AND model_name = %s AND method_name = %s
                       AND (identity_key = %s OR starts_with(identity_key, %s)) AND %s
                     ORDER BY id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED""",
                               flow.model, flow.method, key, f"{key}:", condition or SQL("TRUE")), log_exceptions=False)
                row = cr.fetchone()
        except pg_errors.SerializationFailure:
            return None
        return row[0] if row else None


class ShopSyncEvent(models.Model):
    _name = "shop.sync.event"
    _inherit = ["shop.sync.event", "shop.sync.job.mixin"]

    def _delay(self, **job_options):
        """``with_delay`` on these events (of one backend) as that backend's job user."""
        return self.backend_id.ensure_one()._delay(self, **job_options)

    def _join_pending_job(self, flow_key, size):
        """Add these events to a job of their backend's flow ``flow_key`` (see ``_shop_sync_enqueue``),
        queued for the same requester, that has not started yet and has room for them; return whether
        one was found.

        The job's row is locked until this transaction commits, and the job runner's update that
        starts a job waits for that lock: the job starts after these events are committed, so it
        sees them.  A job the runner took meanwhile (locked, or changed since this transaction's
        snapshot) is left alone, and a job of its own is queued instead.  A job waiting for a
        retry (``eta``) is never joined: these events would wait with it."""
        job_id = self.backend_id.ensure_one()._shop_sync_lock_pending_job(flow_key, SQL(
            # queue_job stores the recordset as a JSON text in its jsonb column: #>> '{}' reads it
            """retry = 0 AND ((records #>> '{}')::jsonb)->'context'->>%s = %s
               AND jsonb_array_length(((records #>> '{}')::jsonb)->'ids') <= %s""",
            REQUESTED_BY, str(requested_by(self.env)), size - len(self)))
        if not job_id:
            return False
        Job = self.env["queue.job"].sudo()
        job = Job.browse(job_id)
        # its records only, not its other columns (arguments, result, traceback); written untracked (the job's
        # chatter tracks none of these fields, but preparing to track read the whole row too)
        job.fetch(["records"])
        events = job.records | self
        job.with_context(_job_edit_sentinel=Job.EDIT_SENTINEL, tracking_disable=True).write(
            {"records": events, "name": events._job_description()})
        return True
