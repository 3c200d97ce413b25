"""Configure a copy of the test database for the multi-process reliability tests (run through
``odoo shell``, see harness.configure_database).  Reads the simulators' URLs from the environment,
prints one JSON line ``RELIABILITY {...}`` with the ids and the webhook token, and commits.

The company sells from Denmark on Odoo's Danish chart with the EU One-Stop-Shop taxes; a Shopify
backend on the Shopify simulator invoices its orders in an e-conomic backend on the e-conomic
simulator; the shop's products are imported and in stock.  The order watermark is "now": polls see only the
orders the tests place.
"""
# ruff: noqa: F821 - `env` is given by odoo shell

import json
import os

from odoo import fields

from simulators.economic import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN
from simulators.seed import configure_economic_vat, prepare_odoo_company
from simulators.shopify import ACCESS_TOKEN, API_SECRET

company = prepare_odoo_company(env)
Backend = env["shop.sync.backend"].with_context(tracking_disable=True)
accounting = Backend.create({
    "name": "e-conomic (reliability)", "kind": "economic", "api_url": os.environ["RELIABILITY_ECONOMIC_URL"],
    "economic_app_secret_token": APP_SECRET_TOKEN, "economic_agreement_grant_token": AGREEMENT_GRANT_TOKEN})
accounting.action_economic_load_options()
configure_economic_vat(accounting)
shop = Backend.create({
    "name": "Shopify (reliability)", "kind": "shopify", "api_url": os.environ["RELIABILITY_SHOPIFY_URL"],
    "shopify_access_token": ACCESS_TOKEN, "webhook_secret": API_SECRET, "accounting_backend_id": accounting.id,
    # the import below runs inline, page by page: a bulk operation would postpone it to a later job
    "shopify_bulk_import": False})
shop.action_load_order_states()
shop.with_context(queue_job__no_delay=True)._import_products(full=True)
shop.orders_synced_until = fields.Datetime.now()
# stock on hand: confirming an imported order reserves it (concurrent imports touch the same quants)
stock = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).lot_stock_id
for binding in env["shop.sync.binding"].search([("backend_id", "=", shop.id), ("model", "=", "product.product")]):
    product = env["product.product"].browse(binding.res_id)
    if product.is_storable:
        env["stock.quant"]._update_available_quantity(product, stock, 1000)
env.cr.commit()
print("RELIABILITY " + json.dumps({"shop": shop.id, "accounting": accounting.id, "token": shop.webhook_token,
                                   "products": env["shop.sync.binding"].search_count(
                                       [("backend_id", "=", shop.id), ("model", "=", "product.product")])}))
