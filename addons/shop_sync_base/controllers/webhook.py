import logging
import re

from odoo import _, http
from odoo.http import request

from ..services.adapter import WebhookRejected
from ..services.payloads import NestedTooDeeply, loads
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


def _body_limit(_controller):
    """The route's ``max_content_length``, set before anything reads the body.  A body without
    Content-Length (chunked) is then read by werkzeug in 64 KiB steps and no further than one byte
    over the cap, so a huge one is refused at 2 MiB instead of buffered up to Odoo's 128 MiB.  A
    declared Content-Length keeps Odoo's limit: ``receive`` refuses it (with a log) unread."""
    length = request.httprequest.content_length
    return MAX_PAYLOAD + 1 if length is None else request.httprequest.max_content_length


class ShopSyncWebhook(http.Controller):
    """One endpoint per backend: check token and signature, store the payload in the inbox,
    queue its processing, answer quickly.  Every refusal is logged."""

    @http.route("/shop_sync/webhook/<int:backend_id>/<string:token>", type="http", auth="none",
                methods=["POST"], csrf=False, save_session=False, readonly=False, max_content_length=_body_limit)
    def receive(self, backend_id, token, **params):
        """A signed body that is not readable JSON is stored in the inbox in error, with its log, so
        nothing the shop sent is lost.  Malformed JSON is answered 400: a body cut short may come
        whole on the shop's redelivery.  JSON nested too deeply, or of a shape the adapter cannot
        classify, is answered 200: it is complete and signed, a redelivery brings the same bytes, and
        shops disable a subscription that keeps failing (WooCommerce after 5 non-2xx answers in a
        row), which would stop every delivery."""
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
        body = request.httprequest.get_data()  # without a Content-Length: at most MAX_PAYLOAD + 1 (_body_limit)
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
            payload = loads(text)
        except NestedTooDeeply as exc:
            self._keep_unreadable(backend, adapter, headers, text, _("Payload nested too deeply"), exc)
            return self._answer(200, "stored, not readable")
        except ValueError as exc:
            self._keep_unreadable(backend, adapter, headers, text, _("Malformed payload"), exc)
            return self._answer(400, "malformed JSON")
        try:
            classified = adapter.webhook_event(headers, payload) if isinstance(payload, dict) else None
        except (KeyError, ValueError, TypeError, AttributeError) as exc:  # JSON, not of the expected shape
            self._keep_unreadable(backend, adapter, headers, text, _("Payload not understood"),
                                  f"{type(exc).__name__}: {exc}")
            return self._answer(200, "stored, not understood")
        if not classified:
            return self._answer(200, "ignored")
        object_name, external_id, external_ref = classified
        event = env["shop.sync.event"]._store(backend, "webhook", object_name, payload, external_id=external_id,
                                              external_ref=external_ref, topic=adapter.webhook_topic(headers))
        event._enqueue()
        return self._answer(200, "queued")

    @staticmethod
    def _keep_unreadable(backend, adapter, headers, text, reason, error):
        """Store a signed body that cannot be read as an inbox event in error, with its log."""
        event = backend.env["shop.sync.event"]._store(backend, "webhook", "order", text,
                                                      topic=adapter.webhook_topic(headers))
        event.write({"state": "error", "message": f"{reason}: {error}"})
        backend.env["shop.sync.log"]._record(backend, "webhook", "error", event=event, reason=reason,
                                             message=str(error), request=text)

    @staticmethod
    def _answer(status, text):
        return request.make_response(text, headers=[("Content-Type", "text/plain")], status=status)
