import hashlib
import json
import logging

from odoo import _, api, fields, models

from ..services.http import RemoteError
from ..services.payloads import loads

_logger = logging.getLogger(__name__)

OBJECTS = [("order", "Order"), ("product", "Product")]
PROCESSORS = {"order": "shop.sync.order.importer", "product": "shop.sync.product.importer"}
FLOWS = {"order": "order_events", "product": "product_events"}  # their declarations: shop_sync_flow.py
PRODUCT_BATCH = 50  # product events per job


class ShopSyncEvent(models.Model):
    """Inbox: every payload received (webhook) or fetched (poll) is stored here before processing,
    so processing can be retried or replayed later with the current mappings."""

    _name = "shop.sync.event"
    _description = "Shop Sync Inbox Event"
    _order = "id desc"
    _rec_name = "external_ref"

    backend_id = fields.Many2one("shop.sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
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
        """Queue the processing: one job per order; products in chunks of ``PRODUCT_BATCH`` per job
        and backend, which the product pipeline imports together (a full import is thousands)."""
        products = self.filtered(lambda event: event.object == "product")
        for event in self - products:
            event.backend_id._shop_sync_enqueue(FLOWS[event.object], records=event, description=_(
                "Process %(object)s %(ref)s", object=event.object, ref=event.external_ref or event.id))
        for backend in products.backend_id:
            mine = products.filtered(lambda event, backend=backend: event.backend_id == backend)
            for start in range(0, len(mine), PRODUCT_BATCH):
                chunk = mine[start:start + PRODUCT_BATCH]
                backend._shop_sync_enqueue(FLOWS["product"], records=chunk, description=_(
                    "Process %(count)s products of %(backend)s: %(refs)s", count=len(chunk), backend=backend.name,
                    refs=", ".join(chunk[:3].mapped(lambda event: event.external_ref or str(event.id)))
                    + (", ..." if len(chunk) > 3 else "")))

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
        Several product events are imported together (``_import_products``)."""
        products = self.filtered(lambda event: event.object == "product")
        logs = products._import_products() if len(products) > 1 else {}
        for event in self:
            log = logs.get(event) or event._process_one()
            event.write({"state": log.state, "message": log.reason or log.message,
                         "processed_at": fields.Datetime.now()})
        return True

    def _process_products(self):
        """Job: ``_process`` of product events, on the products channel (its own job function)."""
        return self._process()

    def _process_one(self):
        record, log = self._parse()
        return log or self.env[PROCESSORS[self.object]]._import(self.backend_id, record, event=self)

    def _import_products(self):
        """Import the readable product events through one batch per backend: ``{event: log}``."""
        logs, readable = {}, []
        for event in self:
            record, log = event._parse()
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

    def _parse(self):
        """``(canonical record, None)``, or ``(None, error log)`` when the payload cannot be read."""
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
        adapter = backend._get_adapter()
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
