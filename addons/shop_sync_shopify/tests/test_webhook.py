"""Shopify webhooks through the hub's real controller: signed, stored once, imported once."""

import dataclasses
import json
from unittest.mock import patch

from odoo.tests import HttpCase, freeze_time, tagged

from odoo.addons.shop_sync_shopify.tests.common import START, ShopifyCase
from simulators.shopify import API_SECRET, SHOP_DOMAIN, webhook_signature


@tagged("post_install", "-at_install", "shop_sync")
class TestWebhooks(ShopifyCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    def post(self, payload, topic="orders/create", signature=None):
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-Hmac-Sha256": signature or webhook_signature(API_SECRET, body),
            "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "X-Shopify-API-Version": "2025-01",
        }
        return self.url_open(self.backend.webhook_url.replace(self.base_url(), ""), data=body, headers=headers)

    def events(self):
        return self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id), ("object", "=", "order")])

    def process_queued(self):
        """Run the processing jobs the controller queued (no job runner in tests)."""
        jobs = self.env["queue.job"].search([("model_name", "=", "shop.sync.event"), ("method_name", "=", "_process"),
                                             ("state", "=", "pending")])
        for job in jobs:
            job.records._process()
            job.state = "done"

    def test_signed_webhook_imports_one_order_even_replayed_and_polled(self):
        seed = next(order for order in self.catalogue.orders if order.state == "paid")
        name = f"#{seed.number}"
        payload = self.sim.rest.order(self.sim.state.order_by_reference(name))
        for topic in ("orders/create", "orders/create", "orders/paid"):  # a redelivery, then another topic
            response = self.post(payload, topic)
            self.assertEqual((response.status_code, response.text), (200, "queued"))
        event = self.events()
        self.assertEqual(len(event), 1, "the same body is stored once")
        self.assertEqual((event.external_id, event.external_ref, event.topic),
                         (payload["admin_graphql_api_id"], name, "orders/create"))
        self.process_queued()
        sale = self.sale_for(name)
        self.assertEqual(len(sale), 1)
        self.assertFalse(sale.currency_id.compare_amounts(sale.amount_total, float(seed.total)))
        event.action_replay()
        self.process_queued()
        with freeze_time(START):
            self.backend._poll_orders()
        self.assertEqual(len(self.sale_for(name)), 1)
        self.assertEqual(len(self.logs("order_import", external_ref=name, reason="Order already imported")), 2,
                         "the replay and the poll both found the order imported")

    def test_bad_signature_is_refused_and_logged(self):
        payload = self.sim.rest.order(next(iter(self.sim.orders.values())))
        response = self.post(payload, signature=webhook_signature("not-the-app-secret", json.dumps(payload).encode()))
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.events())
        log = self.logs("webhook", reason="Signature rejected")
        self.assertEqual((log.state, log.message), ("error", "X-Shopify-Hmac-Sha256 does not match the body."))

    def test_registered_webhooks_deliver_a_new_order(self):
        self.backend.action_register_webhooks()
        subscriptions = self.sim.webhook_subscriptions.values()
        self.assertEqual(sorted(item["topic"] for item in subscriptions),
                         ["ORDERS_CREATE", "ORDERS_UPDATED", "PRODUCTS_CREATE", "PRODUCTS_UPDATE", "REFUNDS_CREATE"])
        self.assertEqual({item["callback_url"] for item in subscriptions}, {self.backend.webhook_url})
        seed = dataclasses.replace(next(order for order in self.catalogue.orders if order.state == "paid"),
                                   number="7001")
        deliver = self.sim.deliver_webhook

        def deliver_to_this_database(url, topic, body, headers):
            # the test cluster holds several databases; a production server selects it by dbfilter
            deliver(url, topic, body, {**headers, "X-Odoo-Database": self.env.cr.dbname})

        with patch.object(self.sim, "deliver_webhook", deliver_to_this_database), \
                self.allow_requests(all_requests=True):  # the simulator's requests carry no test cookie
            self.sim.add_order(seed)
            self.sim.flush_webhooks()
        self.assertEqual([delivery["status"] for delivery in self.sim.webhooks.deliveries[-1:]], [200])
        self.assertEqual(self.events().external_ref, "#7001")
        self.process_queued()
        self.assertEqual(self.sale_for("#7001").shop_order_state, "PAID")
