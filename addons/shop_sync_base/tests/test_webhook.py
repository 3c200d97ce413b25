import io
import json
import logging
from unittest.mock import patch

from werkzeug.test import EnvironBuilder

from odoo.http import root
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.shop_sync_base.controllers.webhook import MAX_PAYLOAD
from odoo.addons.shop_sync_base.services.signatures import hmac_base64
from odoo.addons.shop_sync_base.tests.common import MemoryShopAdapter, order_payload, statements

# a signed order webhook stored and joining a pending job (12 before: the public user looked up, the events'
# and the job's whole rows read)
WEBHOOK_QUERIES = 11


@tagged("post_install", "-at_install", "shop_sync")
class TestWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["shop.sync.backend"].create({"name": "Hooked", "webhook_secret": "s3cret"})
        cls.adapter = MemoryShopAdapter(cls.backend._adapter_config())
        cls.startClassPatcher(patch.object(type(cls.backend), "_get_adapter", lambda self: cls.adapter))

    def post(self, body, signature=None, url=None):
        body = body if isinstance(body, bytes) else json.dumps(body, default=str).encode()
        headers = {"Content-Type": "application/json",
                   "X-Signature": signature if signature is not None else hmac_base64("s3cret", body)}
        return self.url_open(url or self.backend.webhook_url.replace(self.base_url(), ""), data=body,
                             headers=headers)

    def events(self):
        return self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id)])

    def logs(self, reason):
        return self.env["shop.sync.log"].search([("backend_id", "=", self.backend.id), ("reason", "=", reason)])

    def test_signed_webhook_is_stored_and_queued(self):
        response = self.post(order_payload(77))
        self.assertEqual(response.status_code, 200)
        event = self.events()
        self.assertEqual((event.source, event.external_ref, event.state), ("webhook", "77", "pending"))
        job = self.env["queue.job"].search([("model_name", "=", "shop.sync.event"), ("method_name", "=", "_process")])
        self.assertEqual(job.records, event)

    def test_a_webhook_joining_a_job_reads_no_user_no_payload_and_not_the_whole_job(self):
        """Its answer waits for these queries (and the job's start for its commit).  The public user who
        asked is known from its cached XML id (``env.ref`` looked it up); the job's name reads three events'
        references, not every column of its events (their payloads); the job's records are read and written
        without its other columns (mail tracking read the whole row)."""
        # Odoo's caches (routing, XML ids, access rules, job functions) warm, as in a running server
        self.post(order_payload(74))
        self.post(order_payload(75))
        patterns = (r".", r'FROM "res_users"', r'"shop_sync_event"\."payload"', r'"queue_job"\."args"')
        with statements(*patterns) as counts:
            response = self.post(order_payload(76))  # joins the job of 74 and 75, which no runner started
        self.assertEqual(response.status_code, 200)
        job = self.env["queue.job"].search([("model_name", "=", "shop.sync.event"), ("method_name", "=", "_process")])
        self.assertEqual(job.records, self.events())
        self.assertEqual([counts[pattern] for pattern in patterns[1:]], [0, 0, 0])
        self.assertLessEqual(counts["."], WEBHOOK_QUERIES)

    def test_bad_signature_is_refused_and_logged(self):
        response = self.post(order_payload(78), signature="forged")
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.events())
        self.assertEqual(len(self.logs("Signature rejected")), 1)

    def test_refused_webhook_notifies_the_responsible_user_and_keeps_who_asked(self):
        user = new_test_user(self.env, "hook_watcher", groups="shop_sync_base.group_shop_sync_user")
        self.backend.responsible_user_ids = user
        response = self.post(order_payload(80), signature="forged")
        self.assertEqual(response.status_code, 401)
        log = self.logs("Signature rejected")
        self.assertEqual(log.requested_by_id, self.env.ref("base.public_user"))
        activity = self.env["mail.activity"].search([("res_model", "=", "shop.sync.backend"),
                                                     ("res_id", "=", self.backend.id)])
        self.assertEqual((activity.user_id, activity.shop_sync_key), (user, "webhook"))

    def test_wrong_token_is_404(self):
        response = self.post(order_payload(79), url=f"/shop_sync/webhook/{self.backend.id}/nope")
        self.assertEqual(response.status_code, 404)

    def test_malformed_json_is_kept_and_logged(self):
        response = self.post(b"{oops")
        self.assertEqual(response.status_code, 400)
        event = self.events()
        self.assertEqual((event.state, event.payload), ("error", "{oops"))
        self.assertEqual(len(self.logs("Malformed payload")), 1)

    def test_oversized_payload_is_refused(self):
        response = self.post(b"x" * (MAX_PAYLOAD + 1))
        self.assertEqual(response.status_code, 413)
        self.assertEqual(len(self.logs("Payload too large")), 1)

    def test_oversized_payload_without_length_is_refused_while_read(self):
        chunks = (b"x" * 65536 for _chunk in range(MAX_PAYLOAD // 65536 + 2))  # chunked: no Content-Length
        response = self.url_open(self.backend.webhook_url.replace(self.base_url(), ""), data=chunks,
                                 headers={"Content-Type": "application/json", "X-Signature": "unchecked"})
        self.assertEqual(response.status_code, 413)
        self.assertEqual(self.logs("Payload too large").message, f"More than {MAX_PAYLOAD} bytes refused.")
        self.assertFalse(self.logs("Signature rejected"), "refused before anything else is looked at")

    def test_a_huge_body_without_length_is_refused_once_the_cap_is_read(self):
        """Through Odoo's WSGI application itself: the test server would read the rest of a refused
        body after answering (to let the client see the 413), which hides what the endpoint read."""
        body = EndlessBody()
        environ = EnvironBuilder(path=self.backend.webhook_url.replace(self.base_url(), ""), method="POST",
                                 headers={"Content-Type": "application/json", "X-Signature": "unchecked"}).get_environ()
        environ.pop("CONTENT_LENGTH", None)  # chunked, from a server that dechunks (as werkzeug's does)
        environ.update({"wsgi.input": body, "wsgi.input_terminated": True})
        answer = []
        with self.allow_requests(all_requests=True):
            b"".join(root(environ, lambda status, headers, exc_info=None: answer.append(status)))
        self.assertEqual(answer, ["413 REQUEST ENTITY TOO LARGE"])
        self.assertLessEqual(body.served, MAX_PAYLOAD + 64 * 1024, "read no further than the cap (and a chunk)")
        self.assertEqual(self.logs("Payload too large").message, f"More than {MAX_PAYLOAD} bytes refused.")

    def test_json_nested_too_deeply_is_stored_and_logged_not_a_500(self):
        body = b"[" * 100_000
        response = self.post(body)
        self.assertEqual(response.status_code, 200, "signed and complete: accepted, so the shop keeps delivering")
        event = self.events()
        self.assertEqual((event.state, event.payload), ("error", body.decode()))
        log = self.logs("Payload nested too deeply")
        self.assertEqual((log.state, log.event_id), ("error", event))
        self.assertIn("nested too deeply", log.message)

    def test_json_of_an_unexpected_shape_is_stored_and_logged_not_a_500(self):
        response = self.post({"number": "80"})  # no id: the adapter cannot classify it
        self.assertEqual(response.status_code, 200)
        event = self.events()
        self.assertEqual((event.state, json.loads(event.payload)), ("error", {"number": "80"}))
        self.assertEqual(self.logs("Payload not understood").message, "KeyError: 'id'")

    def test_ping_is_acknowledged_without_event(self):
        self.assertEqual(self.post({"ping": True}).status_code, 200)
        self.assertFalse(self.events())

    def test_request_log_hides_the_token(self):
        token = self.backend.webhook_token
        line = f'"POST /shop_sync/webhook/{self.backend.id}/{token} HTTP/1.1" 200 -'
        record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "%s - - [%s] %s",
                                   ("127.0.0.1", "23/Nov/2026 14:00:00", line), None)
        self.assertTrue(logging.getLogger("werkzeug").filter(record))
        self.assertNotIn(token, record.getMessage())
        self.assertIn(f"/shop_sync/webhook/{self.backend.id}/*** HTTP/1.1", record.getMessage())


class EndlessBody(io.RawIOBase):
    """A request body that never ends (1 GiB), counting the bytes read from it."""

    def __init__(self, size=1 << 30):
        self.size, self.served = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.size - self.served)
        buffer[:count] = b" " * count
        self.served += count
        return count
