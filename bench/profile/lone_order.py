"""Bench only: CPU and SQL queries of lone order import jobs, run in ``odoo shell`` on a live bench database
after a bench run (its archived WooCommerce backend and its inbox's order payloads, renumbered as new orders).
Each order is stored as an inbox event, committed, then processed as its job does (the job user, a new
transaction on a cursor of its own, committed); everything is undone at the end.
  LONE_ORDERS=30  LONE_PROFILE=<file.prof> (cProfile of the timed part)  LONE_SQL=1 (the last job's queries)
  LONE_DIRECT=1 after each job, the same order created by plain ORM code in a transaction of its own (rolled
  back), as bench_pipeline.py's direct side does: the floor of a lone order in Odoo on this machine"""
# ruff: noqa: F821 - `env` is given by odoo shell
import cProfile
import json
import os
import statistics
import threading
import time
import traceback

from odoo import Command

ORDERS = int(os.environ.get("LONE_ORDERS", 30))
backend = env["shop.sync.backend"].with_context(active_test=False).search([("kind", "=", "woocommerce")],
                                                                          order="id desc", limit=1)
payloads = [json.loads(payload) for payload in env["shop.sync.event"].search(
    [("backend_id", "=", backend.id), ("object", "=", "order")], order="id", limit=ORDERS).mapped("payload")]
backend.active = True
adapter = backend._get_adapter()
last_queries = []
if os.environ.get("LONE_SQL"):
    def where():
        """The innermost frame of shop-sync code and the innermost addon frame that sent the query."""
        frames = [f"{frame.filename.split('/addons/')[-1]}:{frame.lineno}" for frame in traceback.extract_stack()
                  if "/addons/" in frame.filename and "lone_order" not in frame.filename]
        ours = [frame for frame in frames if frame.startswith("shop_sync")]
        return f"{ours[-1] if ours else '-'} | {frames[-1] if frames else '-'}"
    threading.current_thread().query_hooks = [lambda cr, query, params, start, delay: last_queries.append(
        (round(1000 * delay, 2), where() + " | " + " ".join(str(query).split())[:120]))]
profile = cProfile.Profile() if os.environ.get("LONE_PROFILE") else None
created = []
last_job = env["queue.job"].search([], order="id desc", limit=1).id  # the jobs these orders queue come after it
cpu, queries, walls = [], [], []
direct = {"cpu": [], "wall": [], "queries": []}


def create_directly(order_env, order):
    """What an integrator's script does per order (bench_pipeline.py's direct side): customer by e-mail (created
    when new), products by SKU, the sales tax of each line's rate, one sale order; Odoo computes the rest."""
    company = order_env.company
    partner = order_env["res.partner"].search([("email", "=ilike", order.customer.email)], limit=1) or \
        order_env["res.partner"].create({"name": order.customer.last_name or order.customer.email,
                                         "email": order.customer.email, "country_id": order_env["res.country"].search(
                                             [("code", "=", order.shipping.country_code)], limit=1).id})
    by_sku = {product.default_code: product for product in order_env["product.product"].search(
        [("default_code", "in", [line.sku for line in order.lines if line.sku])])}
    lines = []
    for line in order.lines:
        tax = order_env["account.tax"].search([
            ("type_tax_use", "=", "sale"), ("amount_type", "=", "percent"), ("amount", "=", float(line.tax_rate or 0)),
            ("price_include", "=", order.prices_include_tax), ("company_id", "=", company.id)],
            order="sequence, id", limit=1)
        product = by_sku.get(line.sku) or backend.with_env(order_env).shipping_product_id
        lines.append(Command.create({"product_id": product.id, "name": line.name,
                                     "product_uom_qty": float(line.quantity), "price_unit": float(line.unit_price),
                                     "tax_ids": [Command.set(tax.ids)]}))
    order_env["sale.order"].create({"partner_id": partner.id, "client_order_ref": order.number, "order_line": lines})
    order_env.flush_all()


try:
    for index, payload in enumerate(payloads):
        payload = dict(payload, id=800000 + index, number=str(800000 + index))
        event = env["shop.sync.event"]._store(backend, "webhook", "order", payload, external_id=payload["id"],
                                              external_ref=payload["number"])
        created.append(event.id)
        env.cr.commit()
        # a cursor of its own, as a job has in the server: a new transaction, so no environment or record
        # cache of the earlier jobs (in the shell's transaction they pile up and slow every look-up)
        with env.registry.cursor() as job_cr:
            job_env = env(cr=job_cr)
            job_events = backend.with_env(job_env)._as_job_user(event.with_env(job_env))
            last_queries.clear()
            count, started, wall = job_cr.sql_log_count, time.process_time(), time.perf_counter()
            if profile:
                profile.enable()
            job_events._process()
            job_env.flush_all()
            if profile:
                profile.disable()
            cpu.append(1000 * (time.process_time() - started))
            walls.append(1000 * (time.perf_counter() - wall))
            queries.append(job_cr.sql_log_count - count)
            shown = list(last_queries)
        if os.environ.get("LONE_DIRECT"):
            with env.registry.cursor() as direct_cr:
                direct_env = env(cr=direct_cr)
                user_event = backend.with_env(direct_env)._as_job_user(event.with_env(direct_env))
                order, _log = user_event._parse({})
                count, started, wall = direct_cr.sql_log_count, time.process_time(), time.perf_counter()
                create_directly(user_event.env, order)
                direct["cpu"].append(1000 * (time.process_time() - started))
                direct["wall"].append(1000 * (time.perf_counter() - wall))
                direct["queries"].append(direct_cr.sql_log_count - count)
                direct_cr.rollback()
finally:
    env.cr.rollback()
    events = env["shop.sync.event"].browse(created)
    sales = env["sale.order"].search([("shop_sync_backend_id", "=", backend.id),
                                      ("shop_order_number", "in", events.mapped("external_ref"))])
    states = sales.mapped("state")
    sales.with_context(disable_cancel_warning=True).action_cancel() if sales else None
    sales.unlink()
    env["shop.sync.binding"].search([("backend_id", "=", backend.id),
                                     ("external_id", "in", events.mapped("external_id"))]).unlink()
    env["queue.job"].search([("id", ">", last_job), ("state", "=", "pending")]).unlink()
    events.log_ids.unlink()
    events.unlink()
    backend.active = False
    env.cr.commit()
ordered = sorted(cpu)
print(f"lone order jobs: {len(cpu)}, {len(states)} sale orders ({set(states)}); CPU min {ordered[0]:.1f} ms, "
      f"p25 {ordered[len(ordered) // 4]:.1f}, median {statistics.median(cpu):.1f}; load {os.getloadavg()[0]:.2f}; "
      f"wall median {statistics.median(walls):.1f}; queries median "
      f"{statistics.median(queries)} ({min(queries)}-{max(queries)})")
if direct["cpu"]:
    print(f"the same orders created directly (plain ORM, alternating with the jobs): CPU median "
          f"{statistics.median(direct['cpu']):.1f} ms, wall median {statistics.median(direct['wall']):.1f} ms, queries "
          f"median {statistics.median(direct['queries'])}")
for delay, query in shown if os.environ.get("LONE_SQL") else ():
    print(delay, query)
if profile:
    profile.dump_stats(os.environ["LONE_PROFILE"])
