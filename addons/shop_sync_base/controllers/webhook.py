import json
import logging
import re

from odoo import _, http
from odoo.http import request

from ..services.adapter import WebhookRejected
from ..services.signatures import same

_logger = logging.getLogger(__name__)

MAX_PAYLOAD = 2 * 1024 * 1024  # bytes; real order/product payloads are far smaller
TOKEN_IN_PATH = re.compile(r"(/shop_sync/webhook/\d+/)[^\s/?\"]+")


class HideWebhookToken(logging.Filter):
    """The endpoint's path carries the backend's secret token: mask it in the HTTP request log."""

    def filter(self, record):
        if "/shop_sync/webhook/" in record.getMessage():
            record.msg, record.args = TOKEN_IN_PATH.sub(r"\1***", record.getMessage()), ()
        return True


logging.getLogger("werkzeug").addFilter(HideWebhookToken())


class ShopSyncWebhook(http.Controller):
    """One endpoint per backend: check token and signature, store the payload in the inbox,
    queue its processing, answer quickly.  Every refusal is logged."""

    @http.route("/shop_sync/webhook/<int:backend_id>/<string:token>", type="http", auth="none",
                methods=["POST"], csrf=False, save_session=False, readonly=False)
    def receive(self, backend_id, token, **params):
        env = request.env(su=True)
        backend = env["shop.sync.backend"].browse(backend_id).exists()
        if not backend or not backend.active or not same(backend.webhook_token, token):
            return self._answer(404, "unknown webhook endpoint")
        Log = env["shop.sync.log"]
        adapter = backend._get_adapter()
        headers = dict(request.httprequest.headers)
        acknowledged = adapter.webhook_ack(headers, params)
        if acknowledged:
            Log._record(backend, "webhook", "done", reason=_("Ping"), message=acknowledged)
            return self._answer(200, "pong")
        length = request.httprequest.content_length or 0
        if length > MAX_PAYLOAD:
            Log._record(backend, "webhook", "error", reason=_("Payload too large"),
                        message=f"{length} bytes refused (limit {MAX_PAYLOAD}).")
            return self._answer(413, "payload too large")
        body = request.httprequest.get_data()  # without a Content-Length (chunked): Odoo's 128 MiB cap
        if len(body) > MAX_PAYLOAD:
            Log._record(backend, "webhook", "error", reason=_("Payload too large"),
                        message=f"More than {MAX_PAYLOAD} bytes refused.")
            return self._answer(413, "payload too large")
        try:
            adapter.verify_webhook(headers, body)
        except WebhookRejected as exc:
            Log._record(backend, "webhook", "error", reason=_("Signature rejected"), message=str(exc))
            return self._answer(401, "invalid signature")
        text = body.decode("utf-8", errors="replace")
        try:
            payload = json.loads(text)
        except ValueError as exc:
            # keep the body: nothing received is lost, even when it cannot be read
            event = env["shop.sync.event"]._store(backend, "webhook", "order", text,
                                                  topic=adapter.webhook_topic(headers))
            event.write({"state": "error", "message": f"Malformed JSON: {exc}"})
            Log._record(backend, "webhook", "error", event=event, reason=_("Malformed payload"), message=str(exc),
                        request=text)
            return self._answer(400, "malformed JSON")
        classified = adapter.webhook_event(headers, payload) if isinstance(payload, dict) else None
        if not classified:
            return self._answer(200, "ignored")
        object_name, external_id, external_ref = classified
        event = env["shop.sync.event"]._store(backend, "webhook", object_name, payload, external_id=external_id,
                                              external_ref=external_ref, topic=adapter.webhook_topic(headers))
        event._enqueue()
        return self._answer(200, "queued")

    @staticmethod
    def _answer(status, text):
        return request.make_response(text, headers=[("Content-Type", "text/plain")], status=status)
