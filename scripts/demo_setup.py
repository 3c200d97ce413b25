"""Configure a fresh demo database (run through ``odoo shell``, see scripts/run.sh).

The company sells from Denmark in DKK on Odoo's Danish chart with the EU One-Stop-Shop taxes and
fiscal positions (``prepare_odoo_company``); one backend per installed connector points at its
simulator (python -m simulators, already running); the shops have imported their products and invoice
their orders as draft invoices in the e-conomic backend; each shop has one order already delivered,
with tracking, so it shows a fulfilment.  With Visma eAccounting installed, the CCV shop belongs to a
second, Swedish company instead and invoices its orders as customer invoice drafts in eAccounting
(authorised through the simulator's identity server, as a Manager would on the backend form).
"""
# ruff: noqa: F821 - `env` is given by odoo shell

import time
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.shop_sync_base.tests.common import deliver
from simulators import __main__ as sims
from simulators.seed import configure_economic_vat, prepare_odoo_company

company = prepare_odoo_company(env)
env["ir.config_parameter"].set_param("web.base.url", "http://localhost:8069")

Backend = env["shop.sync.backend"]
kinds = dict(Backend._fields["kind"].selection)
settings = {  # e-conomic first: the shops invoice their orders there
    "economic": {"economic_app_secret_token": "APP_SECRET_TOKEN",
                 "economic_agreement_grant_token": "AGREEMENT_GRANT_TOKEN"},
    "shopify": {"shopify_access_token": "ACCESS_TOKEN", "webhook_secret": "API_SECRET"},
    "woocommerce": {"woo_consumer_key": "CONSUMER_KEY", "woo_consumer_secret": "CONSUMER_SECRET"},
    "ccv": {"ccv_public_key": "PUBLIC_KEY", "ccv_secret_key": "SECRET_KEY"},
}
modules = {"shopify": "simulators.shopify", "woocommerce": "simulators.woocommerce", "ccv": "simulators.ccv",
           "economic": "simulators.economic"}
warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
accounting = Backend


def patiently(work, tries=4):
    """Run ``work()`` inline; when the backend's rate budget asks to wait (a job would be postponed),
    sleep that long and run it again: the full import before may have used up the budget."""
    for _try in range(tries - 1):
        try:
            return work()
        except RetryableJobError as exc:
            time.sleep(exc.seconds or 1)
    return work()


def ship_one_order(backend, tracking_number):
    """Import the shop's first order in an allowed state and not shipped yet, and validate its
    delivery with carrier and tracking; the fulfilment job runs inline, so the shop (simulator)
    records the shipment."""
    inline = backend.with_context(queue_job__no_delay=True)
    adapter = inline._get_adapter()
    allowed = set(inline.order_state_ids.filtered("allowed").mapped("code"))
    order = next((order for order in map(adapter.parse_order, adapter.fetch_orders(None))
                  if order.state in allowed and not adapter.fulfilments(order.external_id)), None)
    if order is None:
        return
    inline.env["shop.sync.order.importer"]._import(inline, order)
    sale = inline.env["sale.order"].search([("shop_sync_backend_id", "=", backend.id),
                                            ("shop_order_number", "=", order.number)])
    picking = deliver(sale, carrier="PostNord DK", tracking=tracking_number,
                      url=f"https://tracking.postnord.com/dk/?id={tracking_number}")
    print(f"{backend.name}: order {order.number} delivered, fulfilment {picking.shop_fulfilment_state}")


def subscribe_webhooks(backend):
    """Subscribe the shop's webhooks to the demo server, so the webhook check at its first start finds them
    all (the simulator's pings go unanswered now: Odoo is not serving yet); the daily check registers them
    again on a later ``make run``, whose simulators start without subscriptions."""
    backend.webhook_auto_repair = True
    backend.action_register_webhooks()
    print(f"{backend.name}: {backend.log_ids.sorted('id')[-1:].message}")


for kind, fields in settings.items():
    if kind not in kinds or (kind == "ccv" and "eaccounting" in kinds):  # the CCV shop is Swedish then
        continue
    module = __import__(modules[kind], fromlist=["_"])
    values = {"name": f"{kinds[kind]} (simulator)", "kind": kind, "api_url": f"http://127.0.0.1:{sims.port(kind)}",
              "warehouse_id": warehouse.id}
    values.update({field: getattr(module, constant) for field, constant in fields.items() if field in Backend._fields})
    if accounting:
        values["accounting_backend_id"] = accounting.id
    if kind == "shopify":
        # the first import below runs inline, page by page: a bulk operation would postpone it to a later job
        values["shopify_bulk_import"] = False
    backend = Backend.create(values)
    if backend.role == "accounting":
        try:
            backend.action_economic_load_options()  # layouts, payment terms, VAT zones... from e-conomic
            configure_economic_vat(backend)  # the OSS countries' product groups
            accounting = backend
        except Exception as exc:  # noqa: BLE001 - the shops still work without accounting
            print(f"{backend.name}: options not loaded, orders are not invoiced ({exc})")
    else:
        try:
            backend.action_load_order_states()
            # one-time full product import, processed inline, so the first order sync finds the SKUs
            backend.with_context(queue_job__no_delay=True)._import_products(full=True)
        except Exception as exc:  # noqa: BLE001 - a demo without products still starts; see Shop Sync > Logs
            print(f"{backend.name}: products not imported ({exc})")
        try:
            patiently(lambda: ship_one_order(backend, f"0037071234{backend.id:04d}"))
        except Exception as exc:  # noqa: BLE001 - the demo still starts; see Shop Sync > Logs
            print(f"{backend.name}: no delivery shown ({exc})")
        subscribe_webhooks(backend)
env.cr.commit()


def refund_and_cancel_after_import(shop):
    """Refunds and cancellations, shown on the WooCommerce shop: its orders are imported (and invoiced)
    now; then, through the shop's own REST API, one imported order is partly refunded and another
    cancelled, and the next poll records the refund (a credit note in e-conomic) and cancels the sale
    order (its draft invoice deleted)."""
    inline = shop.with_context(queue_job__no_delay=True)
    inline._poll_orders()
    sales = env["sale.order"].search([("shop_sync_backend_id", "=", shop.id), ("shop_refund_ids", "=", False),
                                      ("state", "!=", "cancel")], order="id")
    if len(sales) < 2:
        return
    client = shop._get_adapter().client
    refunded, cancelled = sales[0], sales[1]
    shop_id = {sale: env["shop.sync.binding"]._for_record(shop, sale).external_id for sale in (refunded, cancelled)}
    order = client.get(f"orders/{shop_id[refunded]}")
    item = order["line_items"][0]
    # one unit, its net and its tax per rate after discounts, as WooCommerce's refund form fills them in
    # (refund_total is the item's total excluding tax)
    net = round(float(item["total"]) / item["quantity"], 2)
    taxes = [{"id": tax["id"], "refund_total": f"{round(float(tax['total']) / item['quantity'], 2):.2f}"}
             for tax in item.get("taxes") or []]
    amount = net + sum(float(tax["refund_total"]) for tax in taxes)
    client.post(f"orders/{order['id']}/refunds", {"amount": f"{amount:.2f}", "reason": "Demo: returned item",
                                                  "line_items": [{"id": item["id"], "quantity": 1,
                                                                  "refund_total": f"{net:.2f}",
                                                                  "refund_tax": taxes}]})
    client.put(f"orders/{shop_id[cancelled]}", {"status": "cancelled"})
    inline._poll_orders()
    print(f"{shop.name}: order {refunded.shop_order_number} partly refunded, {cancelled.shop_order_number} cancelled "
          "after import")


def swedish_ccv_shop_in_eaccounting():
    """A Swedish company (SEK) whose books are in Visma eAccounting, and the CCV shop selling for it:
    the backend authorised through the identity server's authorisation link and code, its values
    loaded; the shop's products imported and its orders invoiced as customer invoice drafts."""
    from odoo.addons.shop_sync_eaccounting.tests.common import swedish_company
    from simulators.ccv import PUBLIC_KEY, SECRET_KEY
    from simulators.eaccounting import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI

    sv_env, sweden, _taxes = swedish_company(env)
    sweden.partner_id.tz = "Europe/Stockholm"
    env.ref("base.user_admin").company_ids |= sweden
    url = f"http://127.0.0.1:{sims.port('eaccounting')}"
    books = sv_env["shop.sync.backend"].create({
        "name": "Visma eAccounting (simulator)", "kind": "eaccounting", "api_url": url, "company_id": sweden.id,
        "eacc_client_id": CLIENT_ID, "eacc_client_secret": CLIENT_SECRET, "eacc_identity_url": url,
        "eacc_redirect_uri": REDIRECT_URI, "accounting_invoice_from": "2025-01-01"})
    books.action_eacc_new_authorisation()
    consent = requests.get(books.eacc_authorise_url, allow_redirects=False, timeout=10)  # the Manager signs in
    books.eacc_authorisation_code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    books.action_eacc_authorise()
    books.action_eacc_load_options()
    shop = sv_env["shop.sync.backend"].create({
        "name": "CCV Shop (simulator)", "kind": "ccv", "api_url": f"http://127.0.0.1:{sims.port('ccv')}",
        "ccv_public_key": PUBLIC_KEY, "ccv_secret_key": SECRET_KEY, "company_id": sweden.id,
        "accounting_backend_id": books.id, "ccv_order_lookback_days": 3650,
        "warehouse_id": sv_env["stock.warehouse"].search([("company_id", "=", sweden.id)], limit=1).id})
    shop.action_load_order_states()
    inline = shop.with_context(queue_job__no_delay=True)
    inline._import_products(full=True)
    inline._poll_orders()
    subscribe_webhooks(shop)
    drafts = sv_env["sale.order"].search_count([("shop_sync_backend_id", "=", shop.id),
                                                ("accounting_state", "=", "draft")])
    print(f"{shop.name}: {drafts} orders as customer invoice drafts in {books.name}")


if "eaccounting" in kinds and "ccv" in kinds:
    try:
        swedish_ccv_shop_in_eaccounting()
    except Exception as exc:  # noqa: BLE001 - the demo still starts; see Shop Sync > Logs
        print(f"CCV / eAccounting demo skipped ({exc})")
    env.cr.commit()

for shop in Backend.search([("kind", "=", "woocommerce")]):
    try:
        refund_and_cancel_after_import(shop)
    except Exception as exc:  # noqa: BLE001 - the demo still starts; see Shop Sync > Logs
        print(f"{shop.name}: refund/cancellation demo skipped ({exc})")
env.cr.commit()
print("demo configured:", ", ".join(Backend.search([]).mapped("name")) or "no connector installed")
