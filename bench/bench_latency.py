"""Webhook received -> sale order committed, against a running Odoo server with queue_job workers.

Run by scripts/bench.sh through ``odoo shell`` on the live bench database while that script's
server (BENCH_ODOO_URL) runs.  A WooCommerce simulator is served from this process; a fresh
WooCommerce backend imports its products and registers its webhooks (the simulator's pings go
to the server).  Then, twice, the simulator places BENCH_WEBHOOKS orders and their signed
``order.created`` deliveries are posted to the server: first paced at BENCH_WEBHOOK_RATE per
second (steady load: latency), then one after the other as fast as they are answered, like the
shop's single delivery queue (burst: throughput).  A trigger on ``sale_order`` NOTIFYs each order's insert
and confirmation, which PostgreSQL delivers at commit to a separate connection LISTENing. Latency runs from
the moment a webhook request is sent to the moment its sale order is committed; throughput is orders
committed per second from the first request sent to the last order committed; the same figures are printed
for the orders confirmed (the backend's confirmation job confirms them after the import).  Only order
webhooks are posted (not the product.updated ones the stock reduction fires).  The backend is archived at
the end.
  BENCH_WEBHOOKS       orders per series (default 200)
  BENCH_WEBHOOK_RATE   webhooks per second of the paced series (default 1)
  BENCH_TIMEOUT        seconds to wait for the last sale order (default 600)
"""
# ruff: noqa: F821 - `env` is given by odoo shell

import dataclasses
import json
import math
import os
import select
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import psycopg2
import requests

from odoo.sql_db import connection_info_for

from simulators.common import SimulatorServer
from simulators.seed import generate, prepare_odoo_company
from simulators.woocommerce import CONSUMER_KEY, CONSUMER_SECRET, STATE_TO_STATUS, WooCommerceSimulator

WEBHOOKS = int(os.environ.get("BENCH_WEBHOOKS", 200))
RATE = float(os.environ.get("BENCH_WEBHOOK_RATE", 1))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", 600))
ODOO_URL = os.environ["BENCH_ODOO_URL"]
SERVER_PID = int(os.environ.get("BENCH_SERVER_PID", 0))  # scripts/bench.sh's server: leader of its process group
BENCH_PREFIX = "Bench "


def prepare_company():
    """Danish company (Danish chart, OSS taxes), the seed countries' currencies (idempotent)."""
    prepare_odoo_company(env)
    # backends of earlier runs point at simulators that are gone
    env["shop.sync.backend"].search([("name", "=like", f"{BENCH_PREFIX}%")]).active = False
    env["ir.config_parameter"].set_param("web.base.url", ODOO_URL)


def make_backend(shop, url):
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    backend = env["shop.sync.backend"].create({
        "name": f"{BENCH_PREFIX}WooCommerce {time.strftime('%Y-%m-%d %H:%M:%S')}", "kind": "woocommerce",
        "api_url": url, "woo_consumer_key": CONSUMER_KEY, "woo_consumer_secret": CONSUMER_SECRET,
        "warehouse_id": warehouse.id, "sync_orders": False})
    backend.action_load_order_states()
    backend.with_context(queue_job__no_delay=True)._import_products(full=True)
    env.cr.commit()
    backend.action_register_webhooks()
    env.cr.commit()
    shop.flush_webhooks()
    pings = [delivery.get("status") for delivery in shop.webhooks.deliveries if delivery["topic"] == "ping"]
    if not pings or pings != [200] * len(pings):
        raise RuntimeError(f"webhook registration pings not acknowledged by {ODOO_URL}: {pings}")
    return backend


def place_orders(shop, catalogue, first_number):
    """Place BENCH_WEBHOOKS orders in the shop; return their signed order.created deliveries (url, body, headers)."""
    held = []
    shop.deliver_webhook = lambda url, topic, body, headers: held.append((url, topic, body, headers))
    paid = [order for order in catalogue.orders if STATE_TO_STATUS[order.state] == "processing"]
    for index in range(WEBHOOKS):
        shop.add_order(dataclasses.replace(paid[index % len(paid)], number=str(first_number + index)))
    return [(url, body, headers) for url, topic, body, headers in held if topic == "order.created"]


COMMIT_CHANNEL = "shop_sync_bench_commit"


def install_commit_trigger():
    """A trigger on ``sale_order`` of the bench's throwaway database that NOTIFYs each insert and each change
    of state: PostgreSQL delivers a notification when its transaction commits, so the watcher learns the
    moment an order is committed instead of finding it at its next poll (up to one poll interval later)."""
    env.cr.execute(f"""
        CREATE OR REPLACE FUNCTION shop_sync_bench_notify_commit() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('{COMMIT_CHANNEL}', json_build_array(NEW.shop_sync_backend_id, NEW.shop_order_number,
                                                                 NEW.state, NEW.shop_sync_to_confirm)::text);
            RETURN NULL;
        END $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS shop_sync_bench_notify_commit ON sale_order;
        CREATE TRIGGER shop_sync_bench_notify_commit AFTER INSERT OR UPDATE OF state ON sale_order
            FOR EACH ROW WHEN (NEW.shop_order_number IS NOT NULL) EXECUTE FUNCTION shop_sync_bench_notify_commit();
    """)
    env.cr.commit()


def drop_commit_trigger():
    env.cr.execute("DROP TRIGGER IF EXISTS shop_sync_bench_notify_commit ON sale_order; "
                   "DROP FUNCTION IF EXISTS shop_sync_bench_notify_commit()")
    env.cr.commit()


class CommitWatcher(threading.Thread):
    """LISTENs to the commits of the backend's sale orders (``install_commit_trigger``) on its own
    connection; notes when each expected order number is first committed and when it is committed
    confirmed (state 'sale': the confirmation job runs after the import job)."""

    def __init__(self, backend_id, expected):
        super().__init__(name="bench-watcher", daemon=True)
        self.backend_id = backend_id
        self.expected = set(expected)
        self.seen = {}  # order number -> perf_counter() when first committed
        self.confirmed = {}  # order number -> perf_counter() when first committed confirmed
        self.unconfirmed = set()  # order numbers left quotations (confirmation refused or off)
        self.stop = threading.Event()
        self.listening = threading.Event()

    def run(self):
        # a connection of its own, outside Odoo's pool: it stays in autocommit to receive notifications
        connection = psycopg2.connect(**connection_info_for(env.cr.dbname)[1])
        try:
            connection.autocommit = True
            connection.cursor().execute(f"LISTEN {COMMIT_CHANNEL}")
            self.listening.set()
            while not self.stop.is_set() and len(self.confirmed) + len(self.unconfirmed) < len(self.expected):
                if not select.select([connection], [], [], 0.5)[0]:
                    continue
                moment = time.perf_counter()
                connection.poll()
                while connection.notifies:
                    backend_id, number, state, to_confirm = json.loads(connection.notifies.pop(0).payload)
                    if backend_id != self.backend_id or number not in self.expected:
                        continue
                    self.seen.setdefault(number, moment)
                    if state == "sale":
                        self.confirmed.setdefault(number, moment)
                    elif not to_confirm:
                        self.unconfirmed.add(number)
        finally:
            connection.close()


def send_all(deliveries, rate):
    """POST each delivery at its slot of the schedule (``rate`` per second; 0: one after the other);
    returns {order number: (sent at, answered at, status, sent at on the wall clock)}."""
    sent = {}
    senders = 16 if rate else 1
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=senders))
    lock = threading.Lock()

    def post(slot, url, body, headers):
        if rate:
            time.sleep(max(0.0, start + slot / rate - time.perf_counter()))
        number = json.loads(body)["number"]
        started, wall = time.perf_counter(), time.time()
        try:
            status = session.post(url, data=body, headers=headers, timeout=60).status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        with lock:
            sent[number] = (started, time.perf_counter(), status, wall)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        for slot, (url, body, headers) in enumerate(deliveries):
            pool.submit(post, slot, url, body, headers)
    return sent


def percentile(values, share):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def job_breakdown(backend, sent, seen):
    """Where the paced latency goes, from queue_job's timestamps (wall clock, naive UTC) of the jobs
    that processed these orders: p50 and p95 ms of request sent -> job queued (HTTP, controller), queued ->
    started (commit, runner notified, dispatch over HTTP, job taken), started -> done (the job's work)
    and done -> sale order committed (the job's end, its commit, the notification)."""
    env.cr.execute("""
        SELECT event.external_ref, job.date_created, job.date_started, job.date_done
          FROM queue_job job
          JOIN shop_sync_event event
            ON event.id::text IN (SELECT jsonb_array_elements_text(((job.records #>> '{}')::jsonb)->'ids'))
         WHERE job.model_name = 'shop.sync.event' AND job.state = 'done' AND event.backend_id = %s
           AND event.external_ref = ANY(%s)""", (backend.id, list(sent)))
    wall = {}  # order number -> (sent, queued, started, done, seen) in seconds since the epoch
    for number, created, started, done in env.cr.fetchall():
        if number in seen:
            sent_at, sent_wall = sent[number][0], sent[number][3]
            wall[number] = (sent_wall, *(moment.replace(tzinfo=UTC).timestamp() for moment in (created, started, done)),
                            sent_wall + seen[number] - sent_at)
    if not wall:
        return ""
    steps = [("request -> job queued", 0, 1), ("queued -> started", 1, 2), ("job run", 2, 3),
             ("done -> committed", 3, 4)]
    spans = {label: [1000 * (times[end] - times[begin]) for times in wall.values()] for label, begin, end in steps}
    return "; ".join(f"{label} {percentile(spans[label], 0.5):.0f} / {percentile(spans[label], 0.95):.0f}"
                     for label, _begin, _end in steps) + " ms (p50 / p95 of each step)"


def server_cpu():
    """CPU seconds used so far by the server's processes (HTTP workers, job runner; workers that ended count
    in their parent) and by each of their PostgreSQL backends: ``(seconds, {backend pid: seconds})``.  On a
    shared machine the wall time counts the other processes' turns too; CPU per order does not."""
    def seconds(pid, children=False):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile, or the database server runs elsewhere
            return None
        return sum(map(int, fields[11:15 if children else 13])) / os.sysconf("SC_CLK_TCK"), int(fields[2])

    processes = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        used = seconds(pid, children=True)
        if used and used[1] == SERVER_PID:
            processes[int(pid)] = used[0]
    env.cr.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
                   [f"odoo-{SERVER_PID}"])
    backends = {pid: used[0] for (pid,) in env.cr.fetchall() if (used := seconds(pid))}
    env.cr.rollback()
    return sum(processes.values()), backends, processes


def cpu_per_order(before, after, orders):
    """Milliseconds of CPU per order in Odoo and in PostgreSQL between two ``server_cpu()``, then per process
    (server log pids: the job runner's lines and each HTTP worker's werkzeug lines tell which is which)."""
    database = sum(seconds - before[1].get(pid, 0.0) for pid, seconds in after[1].items())
    by_process = ", ".join(f"{pid} {1000 * (seconds - before[2].get(pid, 0.0)) / orders:.0f}"
                           for pid, seconds in sorted(after[2].items()))
    by_backend = ", ".join(f"{1000 * (seconds - before[1].get(pid, 0.0)) / orders:.0f}"
                           for pid, seconds in sorted(after[1].items()))
    return (f"server CPU over the series (webhooks, import and confirmation jobs) "
            f"{1000 * (after[0] - before[0]) / orders:.0f} ms/order in Odoo + {1000 * database / orders:.0f} ms in "
            f"PostgreSQL\n  per order by server process (pid ms): {by_process}; by PostgreSQL backend: {by_backend}")


def measure(shop, backend, catalogue, first_number, rate):
    """One series of orders delivered at ``rate``: prints latency percentiles and throughput."""
    Log = env["shop.sync.log"]
    last_log = Log.search([], order="id desc", limit=1).id
    deliveries = place_orders(shop, catalogue, first_number)
    watcher = CommitWatcher(backend.id, (json.loads(body)["number"] for _url, body, _headers in deliveries))
    watcher.start()
    watcher.listening.wait(10)
    cpu_before = server_cpu()
    sent = send_all(deliveries, rate)
    watcher.join(TIMEOUT)
    watcher.stop.set()
    watcher.join()
    seen, confirmed = dict(watcher.seen), dict(watcher.confirmed)
    cpu = cpu_per_order(cpu_before, server_cpu(), max(1, len(seen)))
    env.cr.rollback()
    errors = Log.search_count([("backend_id", "=", backend.id), ("state", "=", "error"), ("id", ">", last_log)])
    refused = sum(1 for _started, _answered, status, _wall in sent.values() if status != 200)
    pace = f"{rate:g}/s" if rate else "back to back"
    latencies = [1000 * (seen[number] - sent[number][0]) for number in sent if number in seen]
    if not latencies:
        print(f"webhook latency ({pace}): 0/{len(sent)} sale orders committed within {TIMEOUT:.0f} s; "
              f"{refused} webhooks refused, {errors} sync errors")
        return
    answers = [1000 * (answered - started) for started, answered, _status, _wall in sent.values()]
    span = max(seen.values()) - min(started for started, _answered, _status, _wall in sent.values())
    print(f"webhook latency ({pace}): {len(latencies)}/{len(sent)} sale orders committed; webhook sent -> "
          f"sale order committed p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
          f"max {max(latencies):.0f} ms; webhook answered p50 {percentile(answers, 0.5):.0f} ms, "
          f"p95 {percentile(answers, 0.95):.0f} ms; throughput {len(latencies) / span:.1f} orders/s; "
          f"{refused} refused, {errors} sync errors (goal: {'p95 <= 200 ms' if rate else '>= 20 orders/s'})")
    if confirmed:
        waits = [1000 * (confirmed[number] - sent[number][0]) for number in sent if number in confirmed]
        span = max(confirmed.values()) - min(started for started, _answered, _status, _wall in sent.values())
        print(f"  confirmed (state 'sale', by the confirmation job): {len(waits)}/{len(sent)}; webhook sent -> "
              f"confirmed p50 {percentile(waits, 0.5):.0f} ms, p95 {percentile(waits, 0.95):.0f} ms; "
              f"throughput {len(waits) / span:.1f} orders/s")
    print(f"  {cpu}")
    if rate:
        print(f"  where it goes: {job_breakdown(backend, sent, seen)}")


def main():
    env.cr.commit()  # nothing of the shell's own transaction is held while the server works
    prepare_company()
    env.cr.commit()
    catalogue = generate(products=20, customers=40, orders=60)
    shop = WooCommerceSimulator(CONSUMER_KEY, CONSUMER_SECRET)
    server = SimulatorServer(shop).start()
    backend = None
    try:
        shop.site_url = f"{server.url}/"
        shop.seed(catalogue)
        backend = make_backend(shop, server.url)
        install_commit_trigger()
        measure(shop, backend, catalogue, 900000, RATE)
        measure(shop, backend, catalogue, 950000, 0)
    finally:
        server.stop()
        env.cr.rollback()
        drop_commit_trigger()
        if backend:
            backend.active = False
        env.cr.commit()


print(f'{{"webhooks": {WEBHOOKS}, "webhook_rate": {RATE:g}}}')
main()
