import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytz

from odoo import SUPERUSER_ID, Command, _, api, fields, models

_logger = logging.getLogger(__name__)

RETENTION_BATCH = 1000  # records deleted or blanked per step (and per commit in the cron)


class ResCompany(models.Model):
    _inherit = "res.company"

    shop_sync_job_user_id = fields.Many2one(
        "res.users", "Shop Sync job user", readonly=True, copy=False,
        help="Technical user the synchronisation jobs of this company run as (created when first needed).")
    shop_sync_log_retention_days = fields.Integer(
        "Keep sync logs (days)", default=90,
        help="Sync logs and inbox events older than this are deleted by a daily scheduled action.")
    shop_sync_personal_data_days = fields.Integer(
        "Keep personal data (days)", default=30,
        help="After this many days the stored payloads and request/response excerpts of sync logs and inbox "
             "events are blanked; order number, state, reason, message and external id are kept.")

    _shop_sync_retention_positive = models.Constraint(
        "CHECK(shop_sync_log_retention_days > 0 AND shop_sync_personal_data_days > 0)",
        "Sync log retention periods must be at least one day.")

    # -- job user -----------------------------------------------------------------------------
    def _shop_sync_job_user(self):
        """The company's technical user that runs the synchronisation jobs, created on first use.

        Jobs must not depend on the rights of whoever queued them (an accountant pressing Retry has
        no Sales or Inventory rights).  The user is archived: nobody can log in as it, while the
        jobs still run as it (``with_user``); it receives no e-mail (notifications in Odoo)."""
        self.ensure_one()
        company = self.sudo()
        if not company.shop_sync_job_user_id:
            # as the superuser: a webhook's environment has no user at all
            Users = self.env["res.users"].with_user(SUPERUSER_ID).sudo()
            user = Users.with_context(no_reset_password=True, tracking_disable=True).create({
                "name": _("Shop Sync (%s)", company.name),
                "login": f"shop_sync_job_{company.id}",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [Command.set(self.env.ref("shop_sync_base.group_shop_sync_job").ids)],
                "active": False,
            })
            user.notification_type = "inbox"  # once internal (the constraint refuses it on a share user)
            company.shop_sync_job_user_id = user
        return company.shop_sync_job_user_id

    # -- time zone ----------------------------------------------------------------------------
    def _shop_sync_tz(self):
        """Name of the time zone that dates the company's accounting documents, and so their VAT period: its
        address's time zone (Shop Sync settings: *Accounting time zone*), else its country's when all of the
        country's zones keep the same time (Denmark, Sweden, Germany...), else UTC; never the importing user's nor
        the server's.  The address rarely has one: the database's first company is created without it, so a Danish
        order placed at 00:30 on 1 July would otherwise be booked in June (UTC)."""
        self.ensure_one()
        return self.partner_id.tz or self._shop_sync_country_tz() or "UTC"

    def _shop_sync_zone(self):
        """``_shop_sync_tz`` as a ``ZoneInfo`` (UTC for a name this Python does not know)."""
        try:
            return ZoneInfo(self._shop_sync_tz())
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def _shop_sync_day(self, moment):
        """The company's accounting day of ``moment`` (aware, or naive UTC as Odoo stores date-times): the
        one place that turns a shop's or Odoo's time into the day of the books."""
        self.ensure_one()
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(self._shop_sync_zone()).date()

    def _shop_sync_country_tz(self):
        """The time zone of the company's country when all of the country's zones keep the same time, else False."""
        self.ensure_one()
        zones = pytz.country_timezones.get(self.country_id.code or "", [])
        offsets = {tuple(ZoneInfo(zone).utcoffset(moment) for moment in (datetime(2026, 1, 15), datetime(2026, 7, 15)))
                   for zone in zones}  # winter and summer time
        return zones[0] if len(offsets) == 1 else False

    def _shop_sync_tz_warning(self):
        """Why the company's accounting dates are UTC days for want of a time zone, or False."""
        self.ensure_one()
        if self.partner_id.tz or self._shop_sync_country_tz():
            return False
        if self.country_id:
            return _("Company %(company)s has no time zone and %(country)s has several, so the accounting dates of "
                     "shop orders are UTC days: an order placed just after midnight may fall in the previous day, "
                     "month or VAT period. Set Shop Sync settings → Accounting time zone.",
                     company=self.name, country=self.country_id.name)
        return _("Company %s has neither a time zone nor a country, so the accounting dates of shop orders are UTC "
                 "days: set Shop Sync settings → Accounting time zone.", self.name)

    # -- retention ----------------------------------------------------------------------------
    @api.model
    def _shop_sync_cron_retention(self):
        """Scheduled action: apply every company's retention, committing after each batch."""
        # every company, on purpose (there are few)
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        companies._shop_sync_apply_retention(progress=self.env["ir.cron"]._commit_progress)

    def _shop_sync_apply_retention(self, batch_size=RETENTION_BATCH, progress=None):
        """Delete the logs and inbox events older than each company's retention and blank the
        payloads and request/response excerpts older than its personal-data period.

        ``progress(count)`` is called after each batch (the cron commits there and returns the time
        left; 0 stops the run, which resumes on the next one).  Returns the number of records touched."""
        now = fields.Datetime.now()
        Log = self.env["shop.sync.log"].sudo().with_context(active_test=False)
        Event = self.env["shop.sync.event"].sudo().with_context(active_test=False)
        steps = []
        for company in self:
            deleted_before = now - timedelta(days=company.shop_sync_log_retention_days)
            blanked_before = now - timedelta(days=company.shop_sync_personal_data_days)
            owned = [("company_id", "=", company.id)]
            steps += [
                (Log, [*owned, ("create_date", "<", deleted_before)], None),
                (Event, [*owned, ("create_date", "<", deleted_before)], None),
                (Log, [*owned, ("create_date", "<", blanked_before), "|", ("request_excerpt", "!=", False),
                       ("response_excerpt", "!=", False)], {"request_excerpt": False, "response_excerpt": False}),
                (Event, [*owned, ("create_date", "<", blanked_before), ("payload_purged", "=", False)],
                 {"payload": "", "payload_hash": False, "payload_purged": True}),
            ]
        touched = 0
        for model, domain, values in steps:
            while records := model.search(domain, limit=batch_size, order="id"):
                if values is None:
                    records.unlink()
                else:
                    records.write(values)
                touched += len(records)
                if progress and not progress(len(records)):
                    _logger.info("shop sync retention: time is up after %s records, resuming on the next run", touched)
                    return touched
        return touched
