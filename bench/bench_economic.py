"""e-conomic push of imported shop orders as draft invoices under a simulated rate limit.

Run by scripts/bench.sh through ``odoo shell`` on the live bench database while that script's
server runs with its queue_job workers.  An e-conomic simulator limited to BENCH_ECONOMIC_RPS
requests per second (429 with Retry-After beyond) is served from this process.  BENCH_INVOICES
shop orders (200 buyers, 4 in 5 Danish and 1 in 5 German, two products and shipping each) are
imported through the order importer of a fresh shop backend, untimed; then one invoice job per
order is queued at once and the server's job workers push them through the real invoice exporter
(customers, products, draft invoice; Retry-After honoured with real sleeps).  Timed from the
commit of the queued jobs to the last job done.  The backend's rate governor (one token bucket in
PostgreSQL shared by the workers) is set to BENCH_GOVERNOR_SHARE of the simulator's limit, with a
small burst, so that the workers together stay below it (the margin covers the requests' network
jitter).  Then a steady-state pass: BENCH_STEADY more orders of the same buyers and products
(customers and products known), invoiced the same way and reported on their own.  An order left
waiting (its retries ran out, or its job failed) gets what the scheduler does next, one pass of
``_economic_export_pending``, timed too and counted.  Exactly once: no two drafts with the same
order reference and no draft that no order is bound to.  The backends are archived at the end.
  BENCH_INVOICES       orders to invoice (default 1000)
  BENCH_ECONOMIC_RPS   the simulator's limit in requests per second (default 25)
  BENCH_GOVERNOR_SHARE the backend's rate limit as a share of BENCH_ECONOMIC_RPS (default 0.8; 0: no governor)
  BENCH_STEADY         orders of the steady-state pass (default a third of BENCH_INVOICES)
  BENCH_TIMEOUT        seconds to wait for the jobs of one pass (default 1800)
  BENCH_SERVER_LOG     the server's log file, where the HTTP client logs each retry and its delay
"""
# ruff: noqa: F821 - `env` is given by odoo shell

import os
import re
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from odoo.sql_db import db_connect

from odoo.addons.shop_sync_base.services import records

from simulators.common import SimulatorServer
from simulators.economic import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN, EconomicSimulator
from simulators.seed import configure_economic_vat, prepare_odoo_company

INVOICES = int(os.environ.get("BENCH_INVOICES", 1000))
RPS = int(os.environ.get("BENCH_ECONOMIC_RPS", 25))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", 1800))
GOVERNOR_SHARE = float(os.environ.get("BENCH_GOVERNOR_SHARE", 0.8))
STEADY = int(os.environ.get("BENCH_STEADY", INVOICES // 3))
GOVERNOR_BURST = 2
BENCH_PREFIX = "Bench "
ACTIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")
BUYERS = 200
THROUGHPUT_BEFORE = 4.6  # invoices/s, 1,000 drafts at 25 requests/s before the governor (README of 2026-11-23)
STEADY_REQUESTS_PER_INVOICE = 2.5


def prepare(url):
    """Company, taxes, products and a shop invoiced in a fresh e-conomic backend (invoicing off for now)."""
    prepare_odoo_company(env)
    Product = env["product.product"]
    for index in range(20):
        if not Product.search_count([("default_code", "=", f"BENCH-ECO-{index}")]):
            Product.create({"name": f"Bench article {index}", "default_code": f"BENCH-ECO-{index}", "type": "consu",
                            "list_price": 100 + index})
    Backend = env["shop.sync.backend"]
    Backend.search([("name", "=like", f"{BENCH_PREFIX}%")]).active = False
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    accounting = Backend.create({
        "name": f"{BENCH_PREFIX}e-conomic {stamp}", "kind": "economic", "api_url": url,
        "economic_app_secret_token": APP_SECRET_TOKEN, "economic_agreement_grant_token": AGREEMENT_GRANT_TOKEN,
        "economic_invoice_orders": False, "rate_limit": RPS * GOVERNOR_SHARE, "rate_burst": GOVERNOR_BURST})
    accounting.action_economic_load_options()
    configure_economic_vat(accounting)  # German private buyers: OSS at 19 %
    shop = Backend.create({"name": f"{BENCH_PREFIX}shop {stamp}", "confirm_orders": False, "sync_orders": False,
                           "accounting_backend_id": accounting.id})
    env["shop.sync.order.state"].create([
        {"backend_id": shop.id, "code": "paid", "name": "Paid", "allowed": True, "accounting_paid": True}])
    return accounting, shop


def import_orders(shop, count, first_number=0):
    """``count`` orders numbered from ``first_number``; the n-th of them is bought by buyer n (of
    BUYERS) with products n and n + 7 (of 20), so a second call repeats the first call's buyers."""
    Importer = env["shop.sync.order.importer"]
    created = datetime.now(UTC)
    sales = env["sale.order"]
    for position in range(count):
        index = first_number + position
        buyer = position % BUYERS
        country, currency, rate = ("DE", "EUR", Decimal(19)) if buyer % 5 == 4 else ("DK", "DKK", Decimal(25))
        email = f"buyer{buyer}@example.{country.lower()}"
        address = records.Address(name=f"Buyer {buyer}", street=f"Street {buyer}", zip="8000", city="Aarhus",
                                   country_code=country, email=email)
        lines = [records.OrderLine(kind="product", name=f"Bench article {sku}", sku=f"BENCH-ECO-{sku}",
                                   quantity=Decimal(1 + position % 3), unit_price=Decimal(100 + sku), tax_rate=rate)
                 for sku in (position % 20, (position + 7) % 20)]
        lines.append(records.OrderLine(kind="shipping", name="GLS", quantity=Decimal(1), unit_price=Decimal(39),
                                       tax_rate=rate))
        order = records.Order(
            external_id=f"eco{index}", number=str(700000 + index), state="paid", created_at=created,
            currency=currency, total=sum(line.quantity * line.unit_price for line in lines),
            customer=records.Customer(email=email, first_name="Buyer", last_name=str(buyer)),
            billing=address, shipping=address, lines=lines, payment_method="card")
        log = Importer._import(shop, order)
        if log.state != "done":
            raise RuntimeError(f"order {order.number} not imported: {log.reason} {log.message}")
        sales |= env["sale.order"].browse(log.res_id)
    env.cr.commit()
    return sales


def wait_for_jobs(accounting):
    """Seconds until no invoice job of ``accounting`` is waiting or running; job counts by state."""
    started = time.perf_counter()
    with db_connect(env.cr.dbname).cursor() as cr:
        while True:
            cr.execute("SELECT state, count(*) FROM queue_job WHERE identity_key LIKE %s GROUP BY state",
                       (f"accounting_invoice:{accounting.id}:%",))  # the flow registry's identity key
            states = dict(cr.fetchall())
            cr.rollback()
            if not any(states.get(state) for state in ACTIVE_JOB_STATES):
                return time.perf_counter() - started, states
            if time.perf_counter() - started > TIMEOUT:
                raise TimeoutError(f"invoice jobs still running after {TIMEOUT:.0f} s: {states}")
            time.sleep(0.05)


def client_retries(url):
    """(retries, seconds slept) the server's HTTP clients logged for ``url`` (services/http.py)."""
    path = os.environ.get("BENCH_SERVER_LOG")
    if not path or not os.path.exists(path):
        return None, None
    with open(path, encoding="utf-8", errors="replace") as log:
        delays = [float(delay) for delay in re.findall(rf"retrying {re.escape(url)} in ([0-9.]+)s", log.read())]
    return len(delays), sum(delays)


def refresh():
    env.cr.rollback()
    env.invalidate_all()


def invoice(accounting, sales):
    """Queue one invoice job per order, wait for them (and the scheduled pass for orders left
    waiting); (seconds, job counts, orders left to the scheduled pass)."""
    for sale in sales:
        accounting._accounting_enqueue_invoice(sale)
    sales.economic_invoice_state = "pending"
    env.cr.commit()
    seconds, jobs = wait_for_jobs(accounting)
    refresh()
    waiting = sales.filtered(lambda sale: sale.economic_invoice_state == "pending")
    if waiting:  # retries ran out under the limit: what the scheduler does next
        accounting._economic_export_pending()
        env.cr.commit()
        more, _jobs = wait_for_jobs(accounting)
        seconds += more
        refresh()
    return seconds, jobs, waiting


GOALS = {  # issue 14: throughput of the last measurement before the rate governor; requests per invoice
    "cold": f"goal: 0 answered 429, >= {THROUGHPUT_BEFORE} invoices/s",
    "steady": f"goal: 0 answered 429, <= {STEADY_REQUESTS_PER_INVOICE} requests per invoice, "
              f">= {THROUGHPUT_BEFORE} invoices/s",
}


def report(label, goal, sim, sales, seconds, jobs, waiting):
    drafts = len(sales.filtered("economic_draft_number"))
    requests = len(sim.journal)
    throttled = sum(1 for _method, _path, status in sim.journal if status == 429)
    states = Counter(sales.mapped("economic_invoice_state"))
    print(f"e-conomic {label}: {drafts}/{len(sales)} draft invoices in {seconds:.1f} s "
          f"({drafts / seconds:.1f} invoices/s); {requests} requests ({requests / max(drafts, 1):.2f} per invoice, "
          f"{requests / seconds:.1f}/s), {throttled} answered 429; {states.get('error', 0)} in error, "
          f"{len(waiting)} left to the scheduled pass, {jobs.get('failed', 0)} failed jobs ({GOALS[goal]})")


def main():
    env.cr.commit()
    sim = EconomicSimulator(requests_per_second=RPS)
    server = SimulatorServer(sim).start()
    backends = env["shop.sync.backend"]
    try:
        accounting, shop = prepare(server.url)
        backends = accounting | shop
        env.cr.commit()
        sales = import_orders(shop, INVOICES)
        steady_sales = import_orders(shop, STEADY, first_number=INVOICES)
        sim.journal.clear()
        accounting.economic_invoice_orders = True
        seconds, jobs, waiting = invoice(accounting, sales)
        journal = list(sim.journal)
        report("cold (new buyers and products)", "cold", sim, sales, seconds, jobs, waiting)
        if steady_sales:
            sim.journal.clear()
            steady = invoice(accounting, steady_sales)
            report("steady state (known buyers and products)", "steady", sim, steady_sales, *steady)
            journal += sim.journal
        all_sales = sales | steady_sales
        references = Counter(draft["references"]["other"] for draft in sim.drafts.values())
        duplicates = sum(count - 1 for count in references.values())
        unbound = len(set(sim.drafts) - set(all_sales.mapped("economic_draft_number")))
        throttled = sum(1 for _method, _path, status in journal if status == 429)
        retries, slept = client_retries(server.url)
        client = f"the clients retried {retries} times after sleeping {slept:.0f} s in all" if retries is not None \
            else "client retries not logged"
        errors = Counter(env["shop.sync.log"].search([("backend_id", "=", accounting.id),
                                                       ("state", "=", "error")]).mapped("reason"))
        governor = f"governor {accounting.rate_limit:g}/s, burst {accounting.rate_burst:g}" if accounting.rate_limit \
            else "no governor"
        print(f"e-conomic: {len(sim.drafts)}/{len(all_sales)} draft invoices; {duplicates} duplicate and {unbound} "
              f"unbound drafts; limit {RPS} requests/s ({governor}): {len(journal)} requests "
              f"({len(journal) / max(len(sim.drafts), 1):.2f} per invoice), {throttled} answered 429, {client}; "
              f"errors logged: {dict(errors) or 'none'}")
    finally:
        server.stop()
        refresh()
        backends.exists().active = False
        env.cr.commit()


print(f'{{"invoices": {INVOICES}, "steady_invoices": {STEADY}, "economic_requests_per_second": {RPS}, '
      f'"governor_share": {GOVERNOR_SHARE}}}')
main()
