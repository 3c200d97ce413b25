"""Credentials never reach what a Shop Sync User can read.

One backend of every connector kind, each credential field holding a unique value, talks to a
remote that refuses everything with an error body echoing the whole request (URL, headers, body):
the connection tests and polls fail and are logged, and the user's own dry-runs show the fetch
failures.  The Shop Sync User then reads every field of every record of every shop.sync.* model: no
credential value may appear anywhere.
"""

import base64
import json
import uuid

from odoo.tests import TransactionCase, new_test_user

from simulators.common import SimulatorServer

MANAGER = "shop_sync_base.group_shop_sync_manager"


class EchoingRemote:
    """A remote that answers 401 to anything, its error message quoting the request it got."""

    name = "echo"

    def __call__(self, environ, start_response):
        headers = {key: value for key, value in environ.items() if key.startswith("HTTP_")}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode(errors="replace") if length else ""
        quoted = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}?{environ.get('QUERY_STRING')} " \
                 f"{headers} {body}"
        answer = json.dumps({"message": f"Not authorised: {quoted}", "errors": quoted,
                             "developerHint": quoted}).encode()
        start_response("401 Unauthorized", [("Content-Type", "application/json"),
                                            ("Content-Length", str(len(answer)))])
        return [answer]


class TestCredentialsStayWithManagers(TransactionCase):
    # outside an addon, Odoo's test case needs what it derives from odoo.addons.<module>
    test_tags = {"standard", "at_install"}
    test_module = "shop_sync_base"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, queue_job__no_delay=True))
        cls.server = SimulatorServer(EchoingRemote()).start()
        cls.addClassCleanup(cls.server.stop)

    def _credential_fields(self, Backend):
        return [name for name, field in Backend._fields.items()
                if field.type == "char" and field.store and MANAGER in (field.groups or "").split(",")]

    def test_a_shop_sync_user_reads_no_credential_even_after_failures(self):
        Backend = self.env["shop.sync.backend"]
        kinds = [kind for kind, _label in Backend._fields["kind"].selection if kind != "none"]
        if not kinds:
            self.skipTest("no connector installed")
        secrets = []
        for kind in kinds:
            values = {}
            for name in self._credential_fields(Backend):
                values[name] = f"SECRET{uuid.uuid4().hex}"
                secrets.append(values[name])
            if kind == "woocommerce":  # Basic auth: both in base64 in the Authorization header
                pair = f"{values['woo_consumer_key']}:{values['woo_consumer_secret']}".encode()
                secrets.append(base64.b64encode(pair).decode())
            if kind == "ccv":  # CCV keeps one signing key per webhook event
                values["webhook_secret"] = json.dumps({"orders": values["webhook_secret"]})
            backend = Backend.create({"name": f"{kind} with secrets", "kind": kind, "api_url": self.server.url,
                                      **values})
            backend.action_test_connection()
            self.assertEqual(backend.connection_state, "failed")
            if backend.role == "shop":
                backend._poll_orders()
        logs = self.env["shop.sync.log"].search([("backend_id.name", "like", " with secrets"),
                                                 ("state", "=", "error")])
        self.assertGreaterEqual(len(logs), len(kinds), "the failures are logged")

        user = new_test_user(self.env, login="shop_sync_reader", groups="shop_sync_base.group_shop_sync_user")
        if "shop.sync.dry.run" in self.env:  # the user's own dry-runs show fetch failures
            for backend in Backend.search([("name", "like", " with secrets"), ("role", "=", "shop")]):
                self.env["shop.sync.dry.run"].with_user(user).create({"backend_id": backend.id}).action_run()
        read = {}
        for model_name in sorted(self.env.registry):
            Model = self.env[model_name].with_user(user)
            if not model_name.startswith("shop.sync.") or Model._abstract or not Model.has_access("read"):
                continue
            fields = Model.fields_get(attributes=["type"])
            for name in self._credential_fields(Model):
                self.assertNotIn(name, fields, f"{model_name}.{name} is offered to a Shop Sync User")
            records = Model.search([])
            text = repr(records.read(list(fields)))
            read[model_name] = text
            for secret in secrets:
                self.assertNotIn(secret, text, f"a credential is readable in {model_name}")
        self.assertIn("shop.sync.backend", read)
        self.assertIn("Connection failed", read["shop.sync.log"])
        if "shop.sync.dry.run" in self.env:
            self.assertIn("Fetching failed", read["shop.sync.dry.run.line"])
