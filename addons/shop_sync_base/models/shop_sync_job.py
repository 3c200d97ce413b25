from odoo import api, models

REQUESTED_BY = "shop_sync_requested_by"  # context key: id of the user who asked for the work


def requested_by(env):
    """Who asked for the work being done: carried through the jobs it queued; else the current user
    (who clicked, the cron's user) or, without one (a webhook), the public user."""
    return env.context.get(REQUESTED_BY) or env.uid or env.ref("base.public_user").id


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


class ShopSyncEvent(models.Model):
    _name = "shop.sync.event"
    _inherit = ["shop.sync.event", "shop.sync.job.mixin"]

    def _delay(self, **job_options):
        """``with_delay`` on these events (of one backend) as that backend's job user."""
        return self.backend_id.ensure_one()._delay(self, **job_options)
