import logging
import re
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import SUPERUSER_ID, Command, _, api, fields, models
from odoo.exceptions import UserError

from .shop_sync_backend import _html_table

_logger = logging.getLogger(__name__)

# how RemoteError words a refused credential (``HTTP 401: ...``): the connection is lost
CONNECTION_LOST = re.compile(r"\bHTTP 40[13]\b")
CONNECTION_LOST_KEY = "connection_lost"  # activity key of a lost connection, whatever the flow
REPAIRABLE = ("missing", "disabled", "wrong_address")
DIGEST_HOURS = 24


class ShopSyncBackend(models.Model):
    """Monitoring of a backend: activities for its responsible users when errors pile up or the
    connection is lost, a daily digest e-mail, and the daily webhook check (with repair)."""

    _name = "shop.sync.backend"
    _inherit = ["shop.sync.backend", "mail.thread", "mail.activity.mixin"]

    responsible_user_ids = fields.Many2many(
        "res.users", "shop_sync_backend_responsible_rel", "backend_id", "user_id", "Responsible users",
        domain=[("share", "=", False)],
        help="Get an activity when synchronisation errors occur (one per flow while it is open) and, if "
             "chosen, a daily e-mail digest of the errors.")
    error_threshold = fields.Integer(
        "Notify after (errors)", default=1,
        help="An activity is created once this many errors of one flow occurred within the period. "
             "A refused connection (HTTP 401/403) notifies at once.")
    error_period = fields.Integer("Within (hours)", default=24)
    notify_digest = fields.Boolean("Daily e-mail digest", help="Each responsible user receives one e-mail a day "
                                                               "with the errors of the last 24 hours.")
    webhook_auto_repair = fields.Boolean(
        "Repair webhooks", help="The daily webhook check registers missing, disabled or misdirected webhook "
                                "topics again (WooCommerce disables a webhook after repeated failed deliveries).")

    _error_threshold_positive = models.Constraint(
        "CHECK(error_threshold > 0 AND error_period > 0)",
        "The error threshold and its period must be at least 1.")

    # -- activities -----------------------------------------------------------------------------
    def _notify_error(self, log):
        """Schedule an activity for each responsible user about ``log``'s flow, unless one is still
        open: when the flow's errors in the period reach the threshold, or at once when the remote
        refused the credentials (an HTTP 401/403, or a connector's log created with the context key
        ``shop_sync_credentials_refused``, e.g. a refused OAuth refresh token)."""
        self.ensure_one()
        lost = bool(self.env.context.get("shop_sync_credentials_refused") or CONNECTION_LOST.search(log.message or ""))
        key = CONNECTION_LOST_KEY if lost else log.flow
        count = self.env["shop.sync.log"].sudo().search_count([
            ("backend_id", "=", self.id), ("flow", "=", log.flow), ("state", "=", "error"),
            ("create_date", ">=", log.create_date - timedelta(hours=self.error_period))])
        if not lost and count < self.error_threshold:
            return
        backend = self.with_user(SUPERUSER_ID).sudo()  # the system notifies (a webhook has no user at all)
        notified = backend.env["mail.activity"].search([
            ("res_model", "=", self._name), ("res_id", "=", self.id), ("shop_sync_key", "=", key)]).user_id
        users = backend.responsible_user_ids - notified
        if not users:
            return
        flow = dict(log._fields["flow"]._description_selection(self.env))[log.flow]
        if lost:
            summary = _("%s: connection lost", backend.name)
            text = _("%(backend)s refused the credentials (%(error)s). Synchronisation stops until they are "
                     "fixed on the backend.", backend=backend.name, error=log.message)
        else:
            summary = _("%(backend)s: %(flow)s errors", backend=backend.name, flow=flow)
            text = _("%(count)s %(flow)s errors in the last %(hours)s hours; the latest: %(reason)s",
                     count=count, flow=flow, hours=backend.error_period, reason=log.reason or log.message or "-")
        note = Markup("<p>%s</p><p><a href='%s'>%s</a></p>") % (text, log._similar_errors_url(), _("Open the errors"))
        for user in users:
            backend.activity_schedule("shop_sync_base.mail_activity_type_sync_error", summary=summary, note=note,
                                      user_id=user.id, shop_sync_key=key)

    # -- digest ---------------------------------------------------------------------------------
    @api.model
    def _cron_error_digest(self):
        """Scheduled action (daily): one e-mail per responsible user with the errors of the last
        24 hours of the backends that asked for a digest.  Returns the mails created."""
        backends = self.sudo().search([("notify_digest", "=", True), ("responsible_user_ids", "!=", False)])
        rows = self.env["shop.sync.log"].sudo()._read_group(
            [("backend_id", "in", backends.ids), ("state", "=", "error"),
             ("create_date", ">=", fields.Datetime.now() - timedelta(hours=DIGEST_HOURS))],
            ["backend_id", "flow", "reason"], ["__count"], order="backend_id, flow, reason")
        per_user = defaultdict(list)
        for backend, flow, reason, count in rows:
            for user in backend.responsible_user_ids:
                per_user[user].append((backend, flow, reason, count))
        mails = self.env["mail.mail"].sudo()
        for user, user_rows in per_user.items():
            mails |= self.with_context(lang=user.lang)._send_error_digest(user, user_rows)
        return mails

    def _send_error_digest(self, user, rows):
        flows = dict(self.env["shop.sync.log"]._fields["flow"]._description_selection(self.env))
        total = sum(count for *_row, count in rows)
        body = Markup("<p>%s</p>") % _("Synchronisation errors of the last %(hours)s hours: %(total)s.",
                                       hours=DIGEST_HOURS, total=total) + _html_table(
            (_("Backend"), _("Flow"), _("Reason"), _("Errors")),
            ((backend.name, flows.get(flow, flow), reason or "-", count) for backend, flow, reason, count in rows))
        sender = user.company_id.email_formatted or self.env["ir.mail_server"]._get_default_from_address()
        return self.env["mail.mail"].sudo().create({
            "subject": _("Shop Sync: %s errors in the last 24 hours", total),
            "body_html": body, "email_from": sender, "recipient_ids": [Command.link(user.partner_id.id)],
            "auto_delete": True,
        })

    # -- webhook health -------------------------------------------------------------------------
    @api.model
    def _cron_check_webhooks(self):
        """Scheduled action (daily): queue the webhook check of every active shop backend (flow
        ``webhook_check``), one job each, so that a backend written by a running job meanwhile (a
        serialization failure) is retried by queue_job on its own instead of failing the whole run."""
        for backend in self.sudo().search([("role", "=", "shop"), ("kind", "!=", "none")]):
            backend._shop_sync_enqueue("webhook_check")

    def _check_and_repair_webhooks(self):
        """Job of flow ``webhook_check``: check the webhooks and, where the backend allows it,
        register the missing or disabled topics again.  A UserError on the way (e.g. the connector of
        the backend is not configured) is an error log, as the check's other failures are."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self.action_check_webhooks()
                if not self.webhook_auto_repair or self.webhook_state not in REPAIRABLE:
                    return
                broken = ", ".join(f"{topic} ({status})" for topic, status, _detail in self.webhook_health
                                   if status != "ok")
                self.action_register_webhooks()
                self.action_check_webhooks()
        except UserError as exc:
            self.env["shop.sync.log"]._record(self, "webhook", "error", reason=_("Webhook check failed"),
                                               message=str(exc))
            return
        repaired = self.webhook_state == "ok"
        self.env["shop.sync.log"]._record(
            self, "webhook", "done" if repaired else "error", reason=_("Webhooks repaired") if repaired
            else _("Webhook repair failed"), message=_("Registered again: %(topics)s. Webhook health now: %(state)s.",
                                                       topics=broken, state=self.webhook_state))


class ShopSyncLog(models.Model):
    _inherit = "shop.sync.log"

    @api.model_create_multi
    def create(self, vals_list):
        logs = super().create(vals_list)
        if not self.env.context.get("shop_sync_dry_run"):
            for log in logs.filtered(lambda log: log.state == "error" and log.backend_id.responsible_user_ids):
                try:
                    with self.env.cr.savepoint():
                        log.backend_id._notify_error(log)
                except Exception:  # noqa: BLE001 - a failed notification must never lose the log itself
                    _logger.exception("could not notify the responsible users of sync log %s", log.id)
        return logs

    def action_view_similar_errors(self):
        """The errors of this log's backend and flow: the link of error activities, a button on the log."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("shop_sync_base.action_shop_sync_log")
        flow = dict(self._fields["flow"]._description_selection(self.env))[self.flow]
        action.update(name=_("%(backend)s: %(flow)s errors", backend=self.backend_id.name, flow=flow), context={},
                      domain=[("backend_id", "=", self.backend_id.id), ("flow", "=", self.flow),
                              ("state", "=", "error")])
        return action

    def _similar_errors_url(self):
        """Absolute link opening ``action_view_similar_errors`` of this log (a server action run on it)."""
        return f"{self.get_base_url()}/odoo/{self.id}/action-shop_sync_base.action_server_shop_sync_similar_errors"


class MailActivity(models.Model):
    _inherit = "mail.activity"

    shop_sync_key = fields.Char(
        "Shop Sync notification", readonly=True, index="btree_not_null",
        help="Flow (or lost connection) of a Shop Sync error activity: one stays open per backend and key.")
