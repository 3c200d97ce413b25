"""Credentials never reach what a Shop Sync User can read, and a Shop Sync User can neither act
as a Manager nor read or touch another company's records.

One backend of every connector kind, each credential field holding a unique value, talks to a
remote that refuses everything with an error body echoing the whole request (URL, headers, body):
the connection tests and polls fail and are logged, and the user's own dry-runs show the fetch
failures.  The Shop Sync User then reads every field of every record of every shop.sync.* model: no
credential value may appear anywhere.  Then, with a second company holding a backend, a log, an
event, a binding and wizards of its own, the user calls every action method of every shop.sync.*
model (found by introspection, so a new one is covered without being listed here).
"""

import base64
import json
import uuid

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user

from simulators.common import SimulatorServer

MANAGER = "shop_sync_base.group_shop_sync_manager"
USER = "shop_sync_base.group_shop_sync_user"
#: actions of Shop Sync Users on their own company's records (README "Day to day")
USER_ACTIONS = {"action_dry_run", "action_run", "action_compare", "action_open_record", "action_open_sales",
                "action_view_similar_errors"}
#: actions that only return a window action filtered by the record rules: nothing read or done
NAVIGATION = {"action_view_logs", "action_view_events"}


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

    def _company_records(self, company, owner, name):
        """One record of every shop.sync.* model with action methods, of ``company``; the
        wizards are ``owner``'s."""
        Backend = self.env["shop.sync.backend"]
        kinds = [kind for kind, _label in Backend._fields["kind"].selection if kind != "none"]
        backends = Backend.create([{"name": f"{name} {kind}", "kind": kind, "api_url": self.server.url,
                                    "company_id": company.id} for kind in kinds])
        shop = backends.filtered(lambda backend: backend.role == "shop")[:1]
        partner = self.env["res.partner"].create({"name": f"{name} buyer", "company_id": company.id})
        dry_run = self.env["shop.sync.dry.run"].with_user(owner).create({"backend_id": shop.id})
        reconciliation = self.env["shop.sync.reconciliation"].with_user(owner).create({"backend_id": shop.id})
        return {
            "shop.sync.backend": backends,
            "shop.sync.log": self.env["shop.sync.log"]._record(shop, "order_import", "error", ref=f"{name}-1"),
            "shop.sync.event": self.env["shop.sync.event"]._store(shop, "webhook", "order", "{}", external_id="1"),
            "shop.sync.binding": self.env["shop.sync.binding"].create({
                "backend_id": shop.id, "model": "res.partner", "res_id": partner.id, "external_id": "1"}),
            "shop.sync.dry.run": dry_run,
            "shop.sync.reconciliation": reconciliation,
            "shop.sync.reconciliation.line": self.env["shop.sync.reconciliation.line"].sudo().create({
                "wizard_id": reconciliation.id, "problem": "missing_odoo", "external_id": "1"}).sudo(False),
        }

    @staticmethod
    def _action_methods(Model):
        """Public action methods our addons define on ``Model``."""
        return sorted(name for name in dir(type(Model)) if name.startswith(("action_", "button_"))
                      and getattr(type(Model), name).__module__.startswith("odoo.addons.shop_sync_"))

    def test_a_shop_sync_user_neither_acts_as_manager_nor_reaches_another_company(self):
        if len(self.env["shop.sync.backend"]._fields["kind"].selection) < 2:
            self.skipTest("no connector installed")
        other_company = self.env["res.company"].create({"name": "Other shop company"})
        user = new_test_user(self.env, "shop_sync_user_a", groups=USER)
        colleague = new_test_user(self.env, "shop_sync_user_a2", groups=USER)
        other_manager = new_test_user(self.env, "shop_sync_manager_b", groups=MANAGER, company_id=other_company.id)
        own = self._company_records(self.env.company, user, "Own")
        foreign = self._company_records(other_company, other_manager, "Foreign")
        colleagues = {model: self.env[model].with_user(colleague).create({"backend_id": own["shop.sync.backend"][0].id})
                      for model in ("shop.sync.dry.run", "shop.sync.reconciliation")}

        # reading: nothing of the other company, no wizard of a colleague
        for model_name in sorted(self.env.registry):
            Model = self.env[model_name].with_user(user)
            if not model_name.startswith("shop.sync.") or Model._abstract or not Model.has_access("read"):
                continue
            visible = Model.search([])
            hidden = foreign.get(model_name, Model.browse()) | colleagues.get(model_name, Model.browse())
            self.assertFalse(visible & hidden.with_user(user), f"{model_name}: another company's or user's record")
            for record in hidden:
                with self.subTest(model=model_name, record=record.id), self.assertRaises(AccessError):
                    record.with_user(user).read(["display_name"])

        # acting: every action method of every shop.sync.* model
        called = set()
        for model_name in sorted(self.env.registry):
            if not model_name.startswith("shop.sync.") or self.env[model_name]._abstract:
                continue
            for method in self._action_methods(self.env[model_name]):
                self.assertIn(model_name, own, f"{model_name}.{method}: add a record of the model to this test")
                for label, records in (("own", own[model_name]), ("foreign", foreign[model_name])):
                    if method in NAVIGATION or (label == "own" and method in USER_ACTIONS):
                        continue
                    for record in records:
                        called.add(f"{model_name}.{method}")
                        with self.subTest(call=f"{model_name}.{method}", company=label, record=record.display_name), \
                                self.assertRaises(AccessError):
                            getattr(record.with_user(user), method)()
        for expected in ("shop.sync.backend.action_register_webhooks", "shop.sync.log.action_retry",
                         "shop.sync.event.action_replay", "shop.sync.reconciliation.line.action_retry",
                         "shop.sync.dry.run.action_run", "shop.sync.reconciliation.action_compare"):
            self.assertIn(expected, called)
        if "economic_stock_master" in self.env["shop.sync.backend"]._fields:
            self.assertIn("shop.sync.backend.action_economic_pull_stock", called)
