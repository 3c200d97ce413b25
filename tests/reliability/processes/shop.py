"""The shop side of the multi-process scenarios: place an order in the Shopify simulator, deliver
it as a signed webhook, and read back what Odoo and e-conomic hold for it."""

import dataclasses
import itertools
import json

import psycopg2
import requests

from simulators.shopify import API_SECRET, SHOP_DOMAIN, webhook_signature

from .harness import CONNECTION, wait_for

_numbers = itertools.count(9001)


class Shop:
    def __init__(self, shopify, economic, catalogue, db, ids, server):
        self.sim = shopify.app
        self.economic = economic.app
        self.catalogue = catalogue
        self.db = db
        self.ids = ids
        self.server = server

    def place_order(self):
        """A customer places a paid order now; returns (gid, name)."""
        seed = next(order for order in self.catalogue.orders if order.state == "paid")
        gid = self.sim.add_order(dataclasses.replace(seed, number=str(next(_numbers))))
        return gid, self.sim.orders[gid]["name"]

    def post_webhook(self, gid):
        """POST orders/create as Shopify does (REST payload, HMAC of the body) to the backend's endpoint."""
        with self.sim.lock:
            body = json.dumps(self.sim.rest.order(self.sim.orders[gid])).encode()
        headers = {"Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
                   "X-Shopify-Shop-Domain": SHOP_DOMAIN, "X-Shopify-API-Version": "2025-01",
                   "X-Shopify-Hmac-Sha256": webhook_signature(API_SECRET, body)}
        url = f"{self.server.url}/shop_sync/webhook/{self.ids['shop']}/{self.ids['token']}"
        return requests.post(url, data=body, headers=headers, timeout=30)

    def lock_key(self, gid):
        """The advisory-lock key the order importer takes for this order (shop_sync.binding._lock)."""
        return f"{self.ids['shop']}|sale.order|{gid}"

    # -- what Odoo holds --------------------------------------------------------------------------
    def sale_orders(self, name):
        return self.db.all("SELECT id, accounting_state FROM sale_order "
                           "WHERE shop_sync_backend_id = %s AND shop_order_number = %s", (self.ids["shop"], name))

    def events(self, gid):
        return self.db.all("SELECT id, source, state, message FROM shop_sync_event "
                           "WHERE backend_id = %s AND external_id = %s ORDER BY id", (self.ids["shop"], gid))

    def logs(self, backend, flow, ref):
        return self.db.all("SELECT state, reason, message FROM shop_sync_log "
                           "WHERE backend_id = %s AND flow = %s AND external_ref = %s ORDER BY id",
                           (backend, flow, ref))

    def jobs(self, method, record_id=None, *, model="shop.sync.event"):
        """(state, worker_pid, uuid, exc_info, result) of the jobs of ``model.method`` (on ``record_id``)."""
        rows = self.db.all("SELECT state, worker_pid, uuid, exc_info, result, records FROM queue_job "
                           "WHERE model_name = %s AND method_name = %s ORDER BY id", (model, method))
        return [row[:5] for row in rows
                if record_id is None or record_id in json.loads(row[5] or "{}").get("ids", [])]

    def settle(self, timeout=60):
        """Wait until no job is due or running: the server is shared by the tests of the session,
        and work an earlier test left queued (an invoice export after its last import) would take a
        test's faults or be read as the test's own."""
        wait_for(lambda: not self.db.value("SELECT count(*) FROM queue_job "
                                           "WHERE state IN ('pending', 'enqueued', 'started') "
                                           "AND (eta IS NULL OR eta <= now() at time zone 'utc')"),
                 timeout=timeout, message="the jobs of earlier tests to end")

    # -- what e-conomic holds ---------------------------------------------------------------------
    def drafts(self, name):
        reference = f"SHOPSYNC:{self.ids['shop']}:{name}"
        with self.economic.lock:
            return [draft for draft in self.economic.drafts.values()
                    if (draft.get("references") or {}).get("other") == reference]


class Blocker:
    """An open transaction of the test that makes a worker wait at a chosen point: it holds an
    uncommitted shop_sync_binding row that the worker's own binding insert conflicts with (the
    unique index makes the insert wait for this transaction)."""

    def __init__(self, db_name):
        self.conn = psycopg2.connect(dbname=db_name, **CONNECTION)

    def hold_binding(self, backend, res_id, external_id):
        with self.conn.cursor() as cr:
            cr.execute("INSERT INTO shop_sync_binding (backend_id, model, res_id, external_id) "
                       "VALUES (%s, 'sale.order', %s, %s)", (backend, res_id, external_id))

    def release(self):
        self.conn.rollback()
        self.conn.close()
