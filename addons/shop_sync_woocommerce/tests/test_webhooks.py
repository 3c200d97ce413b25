import dataclasses
import time
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.shop_sync_base.services.signatures import hmac_base64

from simulators.woocommerce import STATE_TO_STATUS

from .common import CATALOGUE, WooCommerceHttpCase


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceWebhooks(WooCommerceHttpCase):
    """Deliveries of the simulator go through Odoo's real HTTP server and webhook controller."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("web.base.url", cls.base_url())
        cls.backend._import_products(full=True)
        cls.backend.webhook_secret = False

    def setUp(self):
        super().setUp()
        # hold the simulator's deliveries until the test lets requests in (see deliver())
        self.held = []
        self.startPatcher(patch.object(self.shop, "deliver_webhook", lambda *delivery: self.held.append(delivery)))

    def deliver(self):
        """Send the held webhooks to the test server and wait for the answers."""
        self.env.flush_all()
        with self.allow_requests(all_requests=True):
            while self.held:
                self.shop.webhooks.send(*self.held.pop(0))
            self.shop.flush_webhooks()
        self.env.invalidate_all()

    def events(self, **values):
        return self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id), ("source", "=", "webhook"),
                                                   *((name, "=", value) for name, value in values.items())])

    def register(self):
        self.backend.action_register_webhooks()
        self.deliver()

    def test_registration_generates_a_secret_and_acknowledges_the_ping(self):
        self.register()
        secret = self.backend.webhook_secret
        self.assertGreaterEqual(len(secret or ""), 32)
        hooks = self.shop.registered_webhooks.values()
        self.assertEqual(sorted(hook["topic"] for hook in hooks),
                         ["order.created", "order.updated", "product.created", "product.updated"])
        self.assertTrue(all(hook["secret"] == secret and hook["delivery_url"] == self.backend.webhook_url
                            for hook in hooks))
        pings = [d for d in self.shop.webhooks.deliveries if d["topic"] == "ping"]
        self.assertEqual([d.get("status") for d in pings], [200] * 4)
        self.assertEqual(len(self.logs("webhook", state="done", reason="Ping")), 4)
        self.assertFalse(self.logs("webhook", state="error"))
        self.assertFalse(self.events())
        # registering again updates the subscriptions instead of adding more
        self.register()
        self.assertEqual(len(self.shop.registered_webhooks), 4)

    def test_signed_order_webhook_makes_one_sale_order_despite_replays_and_polls(self):
        self.register()
        seed = next(order for order in CATALOGUE.orders if STATE_TO_STATUS[order.state] == "processing")
        self.shop.add_order(dataclasses.replace(seed, number="9001"))
        self.deliver()
        [event] = self.events(object="order")
        self.assertEqual((event.source, event.topic, event.external_ref), ("webhook", "order.created", "9001"))
        event._process()
        [sale] = self.sales()
        self.assertEqual(sale.shop_order_number, "9001")
        self.assertAlmostEqual(sale.amount_total, float(seed.total), places=2)
        # the same delivery replayed by the shop, then the order met again by polling
        delivery = next(d for d in self.shop.webhooks.deliveries if d["topic"] == "order.created")
        response = self.url_open(self.backend.webhook_url, data=delivery["body"], headers=delivery["headers"])
        self.assertEqual(response.status_code, 200)
        event.action_replay()
        self.backend.orders_synced_until = fields.Datetime.now() - timedelta(minutes=5)
        self.backend._poll_orders()
        self.assertEqual(self.logs("order_import", state="done", reason="Poll").message,
                         "1 fetched, 0 new or changed.", "the poll meets the order, the inbox knows it already")
        self.assertEqual(len(self.sales()), 1)
        self.assertEqual(len(self.logs("order_import", external_ref="9001", reason="Order already imported")), 1)

    def test_an_order_webhook_is_imported_from_its_signed_payload_without_asking_the_shop(self):
        """Webhook -> sale order latency: the signed delivery carries the whole order, so its job sends
        no request to the shop (WooCommerce's refunds, read only for an order that lists some, aside)."""
        self.register()
        seed = next(order for order in CATALOGUE.orders if STATE_TO_STATUS[order.state] == "processing")
        self.shop.add_order(dataclasses.replace(seed, number="9003"))
        self.deliver()
        [event] = self.events(object="order")
        self.shop.journal.clear()
        event._process()
        self.assertEqual(self.sales().shop_order_number, "9003")
        self.assertEqual(self.shop.journal, [], "nothing read from the shop")

    def test_deliveries_newest_first_keep_the_newest_state_and_price(self):
        """WooCommerce delivers webhooks in the background: the order of arrival is not the order of
        the changes.  ``date_modified_gmt`` tells which is newer."""
        self.register()
        seed = next(order for order in CATALOGUE.orders if STATE_TO_STATUS[order.state] == "processing")
        self.shop.add_order(dataclasses.replace(seed, number="9002"))
        self.deliver()
        self.events(object="order")._process()
        product = next(product for product in self.shop.products.values() if product["type"] == "simple")
        template = self.env["shop.sync.binding"]._find(self.backend, "product.template", str(product["id"]))._record()
        clock = [time.time() + 60]
        self.startPatcher(patch.object(self.shop, "clock", lambda: clock[0]))
        self.shop.set_order_status("9002", "completed")
        self.shop.update_product(product["id"], regular_price="111.00")
        clock[0] += 60
        self.shop.set_order_status("9002", "cancelled")
        cancelled_at = datetime.fromtimestamp(int(clock[0]), UTC).replace(tzinfo=None)
        self.shop.update_product(product["id"], regular_price="122.00")
        self.held.reverse()  # the newest changes arrive first
        self.deliver()
        for event in self.events(topic="order.updated").sorted("id") | self.events(object="product").sorted("id"):
            event._process()  # in the order of arrival
        sale = self.sales().filtered(lambda sale: sale.shop_order_number == "9002")
        self.assertEqual(sale.shop_order_state, "cancelled")
        self.assertEqual(sale.shop_cancelled_at, cancelled_at, "the cancelling save's date_modified_gmt")
        self.assertEqual(template.list_price, 122)
        self.assertEqual(self.events(topic="order.updated").sorted("id").mapped("message"),
                         ["Order cancelled", "Older than the version already imported"])
        [stale_price] = self.events(object="product").filtered(lambda event: '"111.00"' in event.payload)
        self.assertEqual((stale_price.state, stale_price.message),
                         ("skipped", "Older than the version already imported"))

    def test_bad_signature_is_refused_and_logged(self):
        self.backend.webhook_secret = "whsec-test"
        body = b'{"id":1,"number":"1"}'
        headers = {"Content-Type": "application/json", "X-WC-Webhook-Topic": "order.created",
                   "X-WC-Webhook-Signature": hmac_base64("not-the-secret", body)}
        response = self.url_open(self.backend.webhook_url, data=body, headers=headers)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(len(self.logs("webhook", state="error", reason="Signature rejected")), 1)
        self.assertFalse(self.events())
        headers["X-WC-Webhook-Signature"] = hmac_base64("whsec-test", body)
        self.assertEqual(self.url_open(self.backend.webhook_url, data=body, headers=headers).status_code, 200)
        self.assertEqual(self.events().external_ref, "1")

    def test_ping_to_a_wrong_token_is_not_acknowledged(self):
        url = self.backend.webhook_url.rsplit("/", 1)[0] + "/wrong"
        response = self.url_open(url, data={"webhook_id": "3"})
        self.assertEqual(response.status_code, 404)
