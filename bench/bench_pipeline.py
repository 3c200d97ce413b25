"""Benchmarks of the hub's pipelines, run through ``odoo shell`` by scripts/bench.sh.

Prints numbers and ratios; writes nothing that stays (the transaction is rolled back).
  BENCH_ORDERS    orders imported through the inbox + order pipeline vs created directly (default 1000)
  BENCH_CONFIRMED orders imported and confirmed (backend's "Confirm orders") vs created and confirmed
                  directly, as a burst of webhooks' jobs do (default 200)
  BENCH_PRODUCTS  products imported through the product pipeline (default 10000, with 3 variants
                  each: the full import of 10,000 products / 30,000 variants; about 10 minutes)
  BENCH_VARIANTS  variants per product (default 3)
  BENCH_BATCH     products per import batch (default: PRODUCT_BATCH, what a product job imports)
  BENCH_SAMPLE    products also imported one by one, as a single product webhook is (default 200)
  BENCH_TRACEMALLOC=1  also report the peak of Python allocations (slows the product import down)
"""
# ruff: noqa: F821 - `env` is given by odoo shell

import json
import os
import resource
import time
import tracemalloc
from decimal import Decimal

from odoo import Command
from odoo.tools import SQL

from odoo.addons.shop_sync_base.models.shop_sync_event import ORDER_BATCH, PRODUCT_BATCH
from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.adapter import ShopAdapter
from simulators.seed import prepare_odoo_company

ORDERS = int(os.environ.get("BENCH_ORDERS", 1000))
CONFIRMED = int(os.environ.get("BENCH_CONFIRMED", 200))
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", 10000))
VARIANTS = int(os.environ.get("BENCH_VARIANTS", 3))
BATCH = int(os.environ.get("BENCH_BATCH", PRODUCT_BATCH))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", 200))
TRACEMALLOC = os.environ.get("BENCH_TRACEMALLOC") == "1"
ANALYZE_EVERY = 1000  # products


class BenchAdapter(ShopAdapter):
    """Canonical payloads in memory: measures the hub, not a network."""

    def identify(self, object_name, payload):
        return payload["id"], payload["number"]

    def parse_order(self, payload):
        address = records.Address(name=payload["email"], street="Main 1", zip="8000", city="Aarhus", country_code="DK")
        return records.Order(
            external_id=payload["id"], number=payload["number"], state="paid", created_at=_now(), currency="DKK",
            total=Decimal(payload["total"]), customer=records.Customer(email=payload["email"], first_name="Bench"),
            billing=address, shipping=address,
            lines=[records.OrderLine(kind="product", name=sku, sku=sku, quantity=Decimal(1), unit_price=Decimal(100),
                                     tax_rate=Decimal(25)) for sku in payload["skus"]]
            + [records.OrderLine(kind="shipping", name="GLS", quantity=Decimal(1), unit_price=Decimal(39),
                                 tax_rate=Decimal(25))])


def _now():
    from datetime import UTC, datetime
    return datetime.now(UTC)


def _rss_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _cpu_seconds():
    """CPU seconds used so far by this process and by its PostgreSQL backend (None: the database server
    runs elsewhere, its /proc is not readable here)."""
    env.cr.execute("SELECT pg_backend_pid()")
    try:
        with open(f"/proc/{env.cr.fetchone()[0]}/stat") as stat:
            backend = sum(map(int, stat.read().rsplit(")", 1)[1].split()[11:13])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        backend = None
    return time.process_time(), backend


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def setup():
    tax = prepare_odoo_company(env).account_sale_tax_id  # Danish VAT 25 % included, as the pipeline picks it
    products = env["product.product"].create([
        {"name": f"Bench {i}", "default_code": f"BENCH-{i}", "type": "consu", "list_price": 100} for i in range(20)])
    backend = env["shop.sync.backend"].create({"name": "Bench", "confirm_orders": False})
    backend.order_state_ids.create({"backend_id": backend.id, "code": "paid", "name": "Paid", "allowed": True})
    adapter = BenchAdapter({})
    type(backend)._get_adapter = lambda self: adapter
    return backend, adapter, tax, products


def bench_orders(backend, tax, products, count=ORDERS, confirm=False):
    """Both sides build the same sale orders (3 product lines and a shipping line, 25 % VAT incl.)
    from the same data, alternating in chunks so machine load hits both alike; with ``confirm`` both
    confirm them too (storable products, the company's warehouse)."""
    first = 200000 if confirm else 100000
    payloads = [{"id": f"b{first + i}", "number": str(first + i), "email": f"buyer{first + i % 200}@example.com",
                 "skus": [products[(i + k) % 20].default_code for k in range(3)], "total": "339.00"}
                for i in range(count)]
    if confirm:
        backend.write({"confirm_orders": True, "warehouse_id": env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1).id})
        products.write({"is_storable": True})
    Event = env["shop.sync.event"]
    Partner, Product, Tax = env["res.partner"], env["product.product"], env["account.tax"]
    shipping = backend.shipping_product_id

    def through_pipeline(chunk):
        # as a poll does: every order stored in the inbox, then processed by jobs of ORDER_BATCH events; the
        # confirmation job they queue (confirmed orders) runs at once
        events = Event.concat(*(Event._store(backend, "poll", "order", payload, external_id=payload["id"],
                                             external_ref=payload["number"]) for payload in chunk))
        for start in range(0, len(events), ORDER_BATCH):
            events[start:start + ORDER_BATCH].with_context(queue_job__no_delay=True)._process()
        env.flush_all()

    def direct_orm(chunk):
        # what an integrator's script does per order: customer by e-mail (created when new),
        # products by SKU, the sales tax of the line's rate, then one sale order
        for payload in chunk:
            email = payload["email"].replace("buyer", "direct")
            partner = Partner.search([("email", "=ilike", email)], limit=1) or Partner.create(
                {"name": "Bench", "email": email, "street": "Main 1", "zip": "8000", "city": "Aarhus",
                 "country_id": env.ref("base.dk").id})
            by_sku = {product.default_code: product for product in Product.search(
                [("default_code", "in", payload["skus"])])}
            vat = Tax.search([("type_tax_use", "=", "sale"), ("amount_type", "=", "percent"), ("amount", "=", 25),
                              ("price_include", "=", True), ("company_id", "=", env.company.id)],
                             order="sequence, id", limit=1)
            sale = env["sale.order"].create({
                "partner_id": partner.id, "client_order_ref": payload["number"],
                "order_line": [Command.create({"product_id": by_sku[sku].id, "product_uom_qty": 1, "price_unit": 100,
                                               "tax_ids": [Command.set(vat.ids)]}) for sku in payload["skus"]]
                + [Command.create({"product_id": shipping.id, "name": "GLS", "price_unit": 39,
                                   "tax_ids": [Command.set(vat.ids)]})]})
            if confirm:
                sale.action_confirm()
        env.flush_all()

    orm_seconds = pipeline_seconds = orm_queries = pipeline_queries = 0
    for start in range(0, count, 50):
        chunk = payloads[start:start + 50]
        queries = env.cr.sql_log_count
        orm_seconds += timed(lambda: direct_orm(chunk))[0]
        orm_queries += env.cr.sql_log_count - queries
        queries = env.cr.sql_log_count
        pipeline_seconds += timed(lambda: through_pipeline(chunk))[0]
        pipeline_queries += env.cr.sql_log_count - queries
    numbers = [payload["number"] for payload in payloads]
    imported = env["sale.order"].search_count([("shop_sync_backend_id", "=", backend.id),
                                               ("shop_order_number", "in", numbers)])
    if not confirm:
        print("orders: pipeline = inbox event stored, parsed, state/binding/lock checks, partner match, products by "
              "SKU, taxes by the buyer's fiscal position, sale order, total check, binding, log; "
              "direct ORM = partner by e-mail, products by "
              "SKU, tax by rate, sale order")
    label, goal = ("orders confirmed", "the burst's orders/s are measured live") if confirm else (
        "orders", "goal <= 1.15")
    print(f"{label}: {imported}/{count} imported through inbox+pipeline in {pipeline_seconds:.1f} s "
          f"({1000 * pipeline_seconds / count:.1f} ms/order, {pipeline_queries / count:.1f} SQL queries/order); "
          f"direct ORM {orm_seconds:.1f} s ({1000 * orm_seconds / count:.1f} ms/order, "
          f"{orm_queries / count:.1f} SQL queries/order); ratio {pipeline_seconds / orm_seconds:.2f} ({goal})")


def bench_products(backend, adapter):
    """Full import: products in batches of BENCH_BATCH through ``_import_batch`` (a batch ends like
    a job: flushed, and the ORM cache dropped), and a sample one by one through ``_import``."""
    def product(i):
        return records.Product(
            external_id=f"bp{i}", name=f"Bench product {i}", sku=f"BP-{i}", price=Decimal(199), category="Bench",
            variants=[records.Variant(sku=f"BP-{i}-{size}", options={"Size": size}, external_id=f"bv{i}-{size}",
                                      barcode="", weight=Decimal("0.5"))
                      for size in ["S", "M", "L", "XL", "XXL", "3XL"][:VARIANTS]])
    importer = env["shop.sync.product.importer"]
    if TRACEMALLOC:
        tracemalloc.start()

    # after each fifth of the run: RSS (flat when memory stays bounded) and elapsed seconds (linear when
    # a product costs the same at the end as at the start)
    fifths, rss_trend, time_trend = [PRODUCTS * k // 5 for k in range(1, 6)], [], []
    started = time.perf_counter()

    def batches():
        states = []
        for start in range(0, PRODUCTS, BATCH):
            states += [log.state for log in importer._import_batch(
                backend, [product(i) for i in range(start, min(start + BATCH, PRODUCTS))])]
            env.flush_all()
            env.invalidate_all()
            if len(states) % ANALYZE_EVERY < BATCH:
                # production commits each job and autovacuum re-analyzes the growing tables; in this one
                # long transaction the planner would otherwise plan for the tables as they were at the start.
                # Only the tables written to, as autovacuum does: all of them took over a second a time
                env.cr.execute("SELECT relname FROM pg_stat_xact_user_tables WHERE n_tup_ins + n_tup_upd > 0")
                env.cr.execute(SQL("ANALYZE %s", SQL(", ").join(SQL.identifier(table) for table, in env.cr.fetchall())))
            if len(rss_trend) < 5 and len(states) >= fifths[len(rss_trend)]:
                rss_trend.append(_rss_mib())
                time_trend.append(time.perf_counter() - started)
        return states

    queries = env.cr.sql_log_count
    cpu_before = _cpu_seconds()
    seconds, states = timed(batches)
    # on a shared machine the wall time counts the other processes' turns too; the CPU time of this
    # process and of its PostgreSQL backend tells how much of it was the import's own work
    cpu = [after - before if before is not None and after is not None else None
           for before, after in zip(cpu_before, _cpu_seconds())]
    cpu_time = f"CPU {1000 * cpu[0] / PRODUCTS:.1f} ms/product in Odoo" + (
        f" + {1000 * cpu[1] / PRODUCTS:.1f} in PostgreSQL" if cpu[1] is not None else "")
    queries = env.cr.sql_log_count - queries
    peak = f"peak Python allocations {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB; " if TRACEMALLOC else ""
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # time is linear in the number of products (see the elapsed fifths): a shorter run tells the full import's
    full_import = "" if PRODUCTS == 10000 else f"10,000 x {VARIANTS} at this rate: {10000 * seconds / PRODUCTS:.0f} s; "
    print(f"products (batches of {BATCH}): {states.count('done')}/{PRODUCTS} products, {PRODUCTS * VARIANTS} "
          f"variants in {seconds:.1f} s ({1000 * seconds / PRODUCTS:.1f} ms/product; {full_import}goal for "
          f"10,000 x 3: <= 120 s; {cpu_time}); "
          f"{queries / PRODUCTS:.1f} SQL queries/product (goal <= 10); {peak}peak RSS of the process {rss:.0f} MiB "
          f"(RSS along the run: {', '.join(f'{mib:.0f}' for mib in rss_trend)} MiB; "
          f"elapsed: {', '.join(f'{elapsed:.0f}' for elapsed in time_trend)} s)")

    sample = min(PRODUCTS, SAMPLE)

    def one_by_one():
        states = [importer._import(backend, product(PRODUCTS + i)).state for i in range(sample)]
        env.flush_all()
        return states

    queries = env.cr.sql_log_count
    seconds, states = timed(one_by_one)
    queries = env.cr.sql_log_count - queries
    print(f"products (one by one, as a single product webhook): {states.count('done')}/{sample} products in "
          f"{seconds:.1f} s ({1000 * seconds / sample:.1f} ms/product); {queries / sample:.0f} SQL queries/product")


backend, adapter, tax, products = setup()
print(json.dumps({"orders": ORDERS, "products": PRODUCTS, "variants_per_product": VARIANTS}))
if ORDERS:
    bench_orders(backend, tax, products)
if CONFIRMED:
    bench_orders(backend, tax, products, CONFIRMED, confirm=True)
if PRODUCTS:
    bench_products(backend, adapter)
env.cr.rollback()
