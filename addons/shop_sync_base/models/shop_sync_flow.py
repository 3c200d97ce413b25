"""The flow registry: every flow of the hub is declared once, here or in its connector.

A flow is one kind of queued work of a backend (poll orders, export stock, one order's invoice...).
Its declaration says which job method runs it, which log flow its attempts are recorded under,
its direction, which backends have it (role / kind), which boolean field schedules it and which
button queues it by hand.  The cron, the buttons, Retry of a log, Replay of an inbox event and the
Overview read the declarations; every job of the hub is queued through ``_shop_sync_enqueue``, which
gives each job an identity key (a double click queues one job) and the channel of its job function
(declared with its retry pattern in the addon's ``queue.job.function`` XML data, never in code).

Adding a flow: one ``Flow`` in ``_shop_sync_flow_declarations`` and one ``queue.job.function`` record.
"""

import hashlib
from dataclasses import dataclass

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools.translate import LazyTranslate

from ..services.jobs import retryable_job_error

_lt = LazyTranslate(__name__)

BACKEND = "shop.sync.backend"


@dataclass(frozen=True)
class Flow:
    """One declared flow.

    ``key``: unique name, the start of its jobs' identity keys.  ``method``: the job method on
    ``model`` (its ``queue.job.function`` gives channel and retry pattern).  ``log_flow``: the
    ``shop.sync.log`` flow its attempts are logged under.  ``direction``: 'inbound' or 'outbound'.
    ``role`` / ``kind``: the backends that have it (``kind`` None: every backend of the role).
    ``enabled_by``: the backend's boolean field that makes the cron queue it every interval (None:
    never scheduled itself; per-record flows are queued by the flow or event that needs them).
    ``button``: ``(model, method)`` of the button that queues it by hand.  ``record_model``: the model
    of the record a per-record flow works on (the job's only argument).  ``kwargs``: fixed keyword
    arguments of the job, as ``((name, value), ...)``.  ``retry``: Retry of a log of ``log_flow``
    re-runs this flow (one flow per log flow and record model says yes).  ``priority``: queue_job's
    priority of its jobs (the runner starts the pending job of lowest priority first; None: queue_job's
    default, 10).
    """

    key: str
    method: str
    log_flow: str
    direction: str
    label: object
    role: str = "shop"
    kind: str | None = None
    enabled_by: str | None = None
    button: tuple | None = None
    record_model: str | None = None
    model: str = BACKEND
    kwargs: tuple = ()
    retry: bool = True
    priority: int | None = None


# A shop's orders are started before the catalogue, stock, delivery and accounting work queued before
# them: a webhook's order waits for a free job slot, never behind a queue of background jobs.
ORDER_EVENTS_PRIORITY = 5
# Confirming imported orders (procurement, pickings, reservations) comes after the order events waiting,
# so a burst is imported first, and before the background work, so an order is confirmed soon after.
ORDER_CONFIRM_PRIORITY = 7

SHOP_FLOWS = (
    Flow("orders_poll", "_poll_orders", "order_import", "inbound", _lt("Poll orders"),
         enabled_by="sync_orders", button=(BACKEND, "action_sync_now")),
    Flow("products_poll", "_import_products", "product_import", "inbound", _lt("Poll products"),
         enabled_by="sync_products", button=(BACKEND, "action_sync_now")),
    Flow("products_full_import", "_import_products", "product_import", "inbound", _lt("Full product import"),
         button=(BACKEND, "action_import_all_products"), kwargs=(("full", True),), retry=False),
    Flow("stock_export", "_export_stock", "stock_export", "outbound", _lt("Export stock"),
         enabled_by="sync_stock", button=(BACKEND, "action_sync_now")),
    Flow("fulfilment_export", "_export_fulfilment", "fulfilment_export", "outbound", _lt("Report delivery"),
         record_model="stock.picking", button=("stock.picking", "action_shop_sync_send_fulfilment")),
    Flow("order_events", "_process", "order_import", "inbound", _lt("Process orders"),
         model="shop.sync.event", button=("shop.sync.event", "action_replay"), retry=False,
         priority=ORDER_EVENTS_PRIORITY),
    Flow("order_confirm", "_confirm_orders", "order_confirm", "inbound", _lt("Confirm orders"),
         enabled_by="confirm_orders", priority=ORDER_CONFIRM_PRIORITY),
    Flow("product_events", "_process_products", "product_import", "inbound", _lt("Process products"),
         model="shop.sync.event", button=("shop.sync.event", "action_replay"), retry=False),
    Flow("webhook_check", "_check_and_repair_webhooks", "webhook", "inbound", _lt("Check webhooks"),
         retry=False),
)


class ShopSyncBackend(models.Model):
    _inherit = "shop.sync.backend"

    @api.model
    def _shop_sync_flow_declarations(self):
        """Every flow of every backend kind; connectors add theirs (``super()`` + their ``Flow``s)."""
        return list(SHOP_FLOWS)

    def _shop_sync_flows(self):
        """The declared flows this backend has (its role, and its kind when the flow names one)."""
        self.ensure_one()
        return [flow for flow in self._shop_sync_flow_declarations()
                if flow.role == self.role and flow.kind in (None, self.kind)]

    def _shop_sync_flow(self, key):
        """The declaration of flow ``key`` of this backend; a UserError when it has none."""
        self.ensure_one()
        for flow in self._shop_sync_flows():
            if flow.key == key:
                return flow
        raise UserError(_("Backend %(name)s has no flow %(flow)s.", name=self.name, flow=key))

    def _shop_sync_scheduled_flows(self):
        """The flows the cron queues for this backend now: declared with an enabling field that is on."""
        self.ensure_one()
        return [flow for flow in self._shop_sync_flows() if flow.enabled_by and self[flow.enabled_by]]

    def _shop_sync_enqueue(self, key, record=None, *, records=None, description=None, eta=None, key_suffix=None):
        """Queue flow ``key`` of this backend: its job method on ``records`` (the backend itself unless
        the flow runs on another model, e.g. inbox events), with ``record`` as argument for per-record
        flows.  The job's identity key is the flow, the backend, the records and the record: queuing
        what is already waiting (a double click, a Retry, the next cron) adds no second job.  Returns
        the queued job (or the one already waiting); ``eta`` (seconds) postpones it; the flow's
        ``priority`` orders it among the pending jobs; ``key_suffix`` ends the identity key (a job that must
        not be taken for a waiting one)."""
        self.ensure_one()
        flow = self._shop_sync_flow(key)
        if flow.record_model and (record is None or record._name != flow.record_model):
            raise UserError(_("Flow %(flow)s needs one %(model)s.", flow=key, model=flow.record_model))
        target = self if records is None else records
        if target._name != flow.model:
            raise UserError(_("Flow %(flow)s runs on %(model)s.", flow=key, model=flow.model))
        args = (record,) if flow.record_model else ()
        if not description:
            subject = record if record is not None else self if records is None else records
            description = f"{flow.label}: {', '.join(str(name or '?') for name in subject[:3].mapped('display_name'))}"
        identity_key = self._shop_sync_identity_key(flow, target, record)
        delayed = self._delay(None if records is None else records, description=description,
                              identity_key=f"{identity_key}:{key_suffix}" if key_suffix else identity_key,
                              channel=self._shop_sync_channel(flow), eta=eta, priority=flow.priority)
        return getattr(delayed, flow.method)(*args, **dict(flow.kwargs))

    def _shop_sync_identity_key(self, flow, target, record):
        """``<flow>:<backend>[:<records>][:<record>]``; long lists of records are hashed."""
        parts = [flow.key, str(self.id)]
        if target._name != BACKEND:
            ids = ",".join(map(str, sorted(target.ids)))
            parts.append(ids if len(ids) <= 64 else hashlib.sha256(ids.encode()).hexdigest()[:32])
        if record is not None:
            parts.append(str(record.id))
        return ":".join(parts)

    def _shop_sync_channel(self, flow):
        """The channel of the flow's ``queue.job.function`` (XML data): named on the job so the queued
        job shows it, read from the one place it is declared (a changed channel there applies)."""
        Function = self.env["queue.job.function"].sudo()
        return Function.job_config(Function.job_function_name(flow.model, flow.method)).channel

    def _shop_sync_retry_flow(self, log):
        """Queue again the flow a log without inbox event recorded: the per-record flow of its record
        when it has one, else the backend's flow of that log flow.  False when no flow re-runs it."""
        self.ensure_one()
        for flow in self._shop_sync_flows():
            if not flow.retry or flow.log_flow != log.flow or flow.model != BACKEND:
                continue
            if flow.record_model:
                if flow.record_model != log.res_model:
                    continue
                record = self.env[log.res_model].browse(log.res_id).exists()
                return record and self._shop_sync_enqueue(flow.key, record)
            return self._shop_sync_enqueue(flow.key)
        return False

    def _shop_sync_retry_later(self, flow, exc, *, reason, message, **log_values):
        """The one rule for a remote failure (``RemoteError`` ``exc``) in a job of this backend.

        Retryable (429, a 5xx, no answer: ``exc.retryable`` or ``exc.uncertain``) while the running
        job has tries left: the attempt is logged in its own transaction (it survives the job's
        rollback) and the job is postponed with ``RetryableJobError`` (the remote's Retry-After,
        capped; else the job function's retry pattern): no worker sleeps through the wait.
        Otherwise (a refusal, the tries ran out, or not in a job) this returns None and the caller
        logs the error and keeps its watermark / state, so the next run or Retry asks again."""
        self.ensure_one()
        job = self._shop_sync_retry_job(exc)
        if not job:
            return None
        attempt = job.retry + 1
        self.env["shop.sync.log"]._record_detached(
            self, flow, "error", reason=reason, response=exc.body, message=_(
                "%(message)s; the job tries again later (attempt %(attempt)s of %(max)s).", message=message,
                attempt=attempt, max=job.max_retries or "∞"), **log_values)
        raise retryable_job_error(exc) from exc

    def _shop_sync_retry_job(self, exc):
        """The running queue job when the remote failure ``exc`` is retryable (429, a 5xx, no answer)
        and the job has tries left after this one; else None (a refusal, the last try, not in a job)."""
        job = self.env["shop.sync.event"]._current_job()
        if not ((exc.retryable or exc.uncertain) and job and (not job.max_retries or job.retry + 1 < job.max_retries)):
            return None
        return job
