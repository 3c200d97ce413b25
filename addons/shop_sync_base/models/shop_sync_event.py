import hashlib
import json
import logging

from odoo import _, api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from odoo.addons.queue_job.exception import RetryableJobError

from ..services.http import RemoteError
from ..services.locks import lock_free_rows
from ..services.payloads import loads

_logger = logging.getLogger(__name__)

OBJECTS = [("order", "Order"), ("product", "Product")]
PROCESSORS = {"order": "shop.sync.order.importer", "product": "shop.sync.product.importer"}
FLOWS = {"order": "order_events", "product": "product_events"}  # their declarations: shop_sync_flow.py
PRODUCT_BATCH = 200  # product events per job (per product: 1.4 SQL queries in a batch of 200, 2.2 in one of 50)
ORDER_BATCH = 20  # order events per job at most (events of a burst of webhooks join a job not started yet)


class ShopSyncEvent(models.Model):
    """Inbox: every payload received (webhook) or fetched (poll) is stored here before processing,
    so processing can be retried or replayed later with the current mappings."""

    _name = "shop.sync.event"
    _inherit = "shop.sync.backend.record"
    _description = "Shop Sync Inbox Event"
    _order = "id desc"
    _rec_name = "external_ref"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, precompute=True)
    source = fields.Selection([("webhook", "Webhook"), ("poll", "Poll"), ("manual", "Manual")], required=True)
    object = fields.Selection(OBJECTS, required=True)
    topic = fields.Char(help="The remote's name for the event, e.g. orders/updated.")
    external_id = fields.Char(index=True)
    external_ref = fields.Char("Reference", index="trigram")
    payload = fields.Text(required=True)
    payload_hash = fields.Char(index=True)
    payload_purged = fields.Boolean("Personal data removed", readonly=True, copy=False,
                                    help="The payload was blanked by the personal-data retention (Shop Sync settings).")
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Done"), ("skipped", "Skipped"), ("error", "Error")],
        default="pending", required=True, index=True)
    message = fields.Text(readonly=True)
    processed_at = fields.Datetime(readonly=True)
    log_ids = fields.One2many("shop.sync.log", "event_id")

    @api.model
    def _store(self, backend, source, object_name, payload, *, adapter=None, topic=None,
               external_id=None, external_ref=None):
        """Store one payload (dict or raw text); return the new event, or an empty recordset when
        the very same payload of the same record is stored already (a poll overlap re-read).

        A payload the adapter cannot identify (a record without its id...) is stored all the same
        (once), in error with its log, to be replayed once the adapter reads it: one bad record of
        a poll neither stops the others nor is dropped."""
        raw = payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True, default=str)
        unreadable = None
        if external_id is None and adapter is not None and not isinstance(payload, str):
            try:
                external_id, external_ref = adapter.identify(object_name, payload)
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                unreadable = f"{type(exc).__name__}: {exc}"
        digest = hashlib.sha256(raw.encode()).hexdigest()
        if (external_id or unreadable) and self.search_count([
                ("backend_id", "=", backend.id), ("object", "=", object_name),
                ("external_id", "=", external_id and str(external_id)), ("payload_hash", "=", digest)], limit=1):
            return self.browse()
        event = self.sudo().create({
            "backend_id": backend.id, "source": source, "object": object_name, "topic": topic,
            "external_id": external_id and str(external_id), "external_ref": external_ref,
            "payload": raw, "payload_hash": digest,
        })
        if unreadable:
            log = self.env["shop.sync.log"]._record(
                backend, f"{object_name}_import", "error", event=event, reason=_("Payload not understood"),
                message=_("The %(object)s could not be identified: %(error)s", object=object_name, error=unreadable),
                request=raw)
            event.write({"state": "error", "message": log.reason})
        return event

    def _enqueue(self):
        """Queue the processing, in jobs of at most ``ORDER_BATCH`` orders or ``PRODUCT_BATCH`` products
        of one backend (a full import is thousands of products; a burst of webhooks, many orders).
        Events join a job of their backend and flow that has not started yet when it has room (see
        ``_join_pending_job``): under load one job imports several, at 1/s each event has its own."""
        for backend in self.backend_id:
            for object_name, _label in OBJECTS:
                mine = self.filtered(lambda event, backend=backend, object_name=object_name:
                                     event.backend_id == backend and event.object == object_name)
                size = PRODUCT_BATCH if object_name == "product" else ORDER_BATCH
                for start in range(0, len(mine), size):
                    chunk = mine[start:start + size]
                    if not chunk._join_pending_job(FLOWS[object_name], size):
                        backend._shop_sync_enqueue(FLOWS[object_name], records=chunk,
                                                   description=chunk._job_description())

    def _job_description(self):
        """Named by its first three events, whose fields it reads alone: reading one field would fetch every
        column of all of them, payloads included (a webhook joining a job of 19 events read 19 payloads)."""
        shown = self[:3]
        shown.fetch(["external_ref", "object", "backend_id"])
        refs = ", ".join(shown.mapped(lambda event: event.external_ref or str(event.id)))
        if len(self) == 1:
            return _("Process %(object)s %(ref)s", object=self.object, ref=refs)
        return _("Process %(count)s %(object)s events of %(backend)s: %(refs)s", count=len(self),
                 object=shown[:1].object, backend=shown[:1].backend_id.name,
                 refs=refs + (", ..." if len(self) > 3 else ""))

    def _poll_enqueue(self):
        """Queue the events a poll stored, except those already in error (not understood, see
        ``_store``); return how many those are."""
        readable = self.filtered(lambda event: event.state == "pending")
        readable._enqueue()
        return len(self - readable)

    def action_replay(self):
        self.backend_id._check_manager()
        self.write({"state": "pending"})
        self._enqueue()
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"message": _("Replay queued."), "type": "info"}}

    def action_process_now(self):
        """Process synchronously (from the UI), with the current mappings."""
        self.backend_id._check_manager()
        self._process()
        return True

    def _process(self):
        """Job: turn each event into Odoo records through the base pipelines; every outcome is logged.
        Several product events are imported together (``_import_products``), order events (one or more)
        through one order batch (``_import_orders``); each event in a savepoint of its own, so one that fails
        unexpectedly is logged and never undoes the others.
        One adapter (HTTP session) per backend serves the whole batch.  Events a concurrent
        transaction is processing are left to it (``_claim``)."""
        events = self._claim()
        adapters = {}
        products = events.filtered(lambda event: event.object == "product")
        logs = products._import_products(adapters) if len(products) > 1 else {}
        logs.update(events.filtered(lambda event: event.object == "order")._import_orders(adapters))
        outcomes = [(event, logs.get(event) or event._process_one(adapters)) for event in events]
        # written once all are processed: flushed together, not before each event's savepoint
        for event, log in outcomes:
            event.write({"state": log.state, "message": log.reason or log.message,
                         "processed_at": fields.Datetime.now()})
        return True

    def _process_products(self):
        """Job: ``_process`` of product events, on the products channel (its own job function)."""
        return self._process()

    def _claim(self):
        """These events but those another transaction is processing (their rows are locked) or has
        processed since this one's snapshot: their rows are locked until this transaction ends."""
        return self.browse(lock_free_rows(self.env.cr, self._table, self.ids))

    def _adapter(self, adapters):
        """The adapter of this event's backend, made once per batch (``adapters``: {backend: adapter})."""
        backend = self.backend_id
        if backend not in adapters:
            adapters[backend] = backend._get_adapter()
        return adapters[backend]

    def _process_one(self, adapters=None, batch=None):
        record, log = self._parse(adapters)
        return log or self._import_record(record, batch)

    def _import_record(self, record, batch=None):
        """The pipeline's import of this event's record, in a savepoint: an unexpected failure is this
        event's error log, and never undoes the other events of its batch (``batch``: the order
        importer's ``OrderBatch`` of this event's batch)."""
        importer = self.env[PROCESSORS[self.object]]
        if batch:
            importer = importer.with_context(shop_sync_order_batch=batch)
        try:
            with self.env.cr.savepoint():
                return importer._import(self.backend_id, record, event=self)
        except (RetryableJobError, *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            raise  # not the event's fault: the whole job is retried later
        except Exception as exc:  # noqa: BLE001 - one bad event must not stop the batch; the log says why
            _logger.exception("event %s of backend %s failed", self.id, self.backend_id.id)
            return self.env["shop.sync.log"]._record(
                self.backend_id, f"{self.object}_import", "error", ref=self.external_ref, external_id=self.external_id,
                event=self, reason=_("Event not processed"), message=f"{type(exc).__name__}: {exc}")

    def _import_orders(self, adapters):
        """Import these order events through one ``OrderBatch`` per backend: ``{event: log}``.  Their new
        orders are not confirmed here (when the backend confirms orders): they wait for the backend's
        confirmation job (flow ``order_confirm``), queued once per batch, so the import commits them at
        once and a burst's orders are confirmed together."""
        Importer = self.env[PROCESSORS["order"]]
        logs, readable = {}, {}
        for event in self:
            record, log = event._parse(adapters)
            if log:
                logs[event] = log
            else:
                readable[event] = record
        for backend in self.backend_id:
            orders = {event: record for event, record in readable.items() if event.backend_id == backend}
            batch = Importer._prepare_batch(backend, list(orders.values()))
            logs.update({event: event._import_record(record, batch) for event, record in orders.items()})
            if batch.to_confirm:
                backend._shop_sync_queue_confirmation(batch.to_confirm[0].id)
        return logs

    def _import_products(self, adapters=None):
        """Import the readable product events through one batch per backend: ``{event: log}``."""
        logs, readable = {}, []
        adapters = {} if adapters is None else adapters
        for event in self:
            record, log = event._parse(adapters)
            if log:
                logs[event] = log
            else:
                readable.append((event, record))
        Importer = self.env[PROCESSORS["product"]]
        for backend in self.backend_id:
            batch = [(event, record) for event, record in readable if event.backend_id == backend]
            if batch:
                events, products = zip(*batch)
                logs.update(zip(events, Importer._import_batch(backend, list(products), list(events))))
        return logs

    def _parse(self, adapters=None):
        """``(canonical record, None)``, or ``(None, error log)`` when the payload cannot be read
        (``adapters``: the batch's, see ``_adapter``)."""
        backend = self.backend_id
        Log = self.env["shop.sync.log"]
        flow = f"{self.object}_import"
        if self.payload_purged:
            return None, Log._record(backend, flow, "error", ref=self.external_ref, external_id=self.external_id,
                                     event=self, reason=_("Payload removed"), message=_(
                                         "The payload was removed after the personal-data retention period; "
                                         "the record must be read from the shop again."))
        try:
            payload = loads(self.payload)
        except ValueError as exc:
            return None, Log._record(backend, flow, "error", ref=self.external_ref, event=self,
                                     reason=_("Malformed payload"), message=str(exc), request=self.payload)
        adapter = self._adapter({} if adapters is None else adapters)
        parse = adapter.parse_order if self.object == "order" else adapter.parse_product
        try:
            return parse(payload), None
        except RemoteError as exc:
            return None, self._remote_failure(flow, exc)
        except Exception as exc:  # noqa: BLE001 - any mapper failure is a payload problem to log
            _logger.info("cannot read %s payload of event %s: %s", self.object, self.id, exc)
            return None, Log._record(backend, flow, "error", ref=self.external_ref, external_id=self.external_id,
                                     event=self, reason=_("Payload not understood"),
                                     message=f"{type(exc).__name__}: {exc}", request=self.payload)

    def _remote_failure(self, flow, exc):
        """The remote failed while the adapter read the record (e.g. re-fetched a webhook's order):
        the payload is fine.  The backend's rule (``_shop_sync_retry_later``) retries the job later;
        otherwise the event ends in error and is replayed with Retry on its log."""
        backend = self.backend_id
        common = {"ref": self.external_ref, "external_id": self.external_id, "event": self}
        backend._shop_sync_retry_later(flow, exc, reason=_("Remote error"), message=_(
            "%(error)s The record could not be read from %(backend)s", error=exc, backend=backend.name), **common)
        job = self._current_job()
        return self.env["shop.sync.log"]._record(backend, flow, "error", reason=_("Remote error"), message=_(
            "%(error)s The record could not be read from %(backend)s (attempt %(attempt)s). The event is kept: "
            "use Retry once the remote answers again.", error=exc, backend=backend.name,
            attempt=job.retry + 1 if job else 1), response=exc.body, **common)

    def _current_job(self):
        """The queue.job running this code, if any."""
        uuid = self.env.context.get("job_uuid")
        return self.env["queue.job"].sudo().search([("uuid", "=", uuid)], limit=1) if uuid else None
