import dataclasses
import json

from odoo.tests import tagged

from odoo.addons.queue_job.job import Job

from simulators.ccv import sign_webhook

from .common import CcvHttpCase

DEAD_ADDRESS = "http://127.0.0.1:9/nobody-listens"


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvWebhooks(CcvHttpCase):
    """Deliveries made by the simulator (its body and ``x-hash`` recipe) posted to the real
    controller with ``url_open``."""

    catalogue_options = {"products": 4, "customers": 3, "orders": 3}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend._import_products(full=True)

    def setUp(self):
        super().setUp()
        self.backend.action_register_webhooks()
        # keep the simulator's own deliveries away from the test server: the test replays them
        for hook in self.app.webhook_subscriptions.values():
            hook["address"] = DEAD_ADDRESS

    def deliveries(self, topic):
        self.app.flush_webhooks()
        return [d for d in self.app.webhooks.deliveries if d["topic"] == topic]

    def post(self, delivery, headers=None):
        return self.url_open(self.backend.webhook_url, data=delivery["body"].encode(),
                             headers=headers or delivery["headers"])

    def run_queued_jobs(self):
        jobs = self.env["queue.job"].search([("state", "=", "pending")])
        for record in jobs:
            job = Job.load(self.env, record.uuid)
            job.perform()
            job.set_done()
            job.store()
        return len(jobs)

    def new_order(self, number, state="paid"):
        seed = dataclasses.replace(self.catalogue.orders[0], number=str(number), state=state)
        return self.app.add_order(seed), seed

    def test_registration_stores_one_key_per_webhook(self):
        stored = json.loads(self.backend.webhook_secret)
        self.assertEqual(sorted(hook["event"] for hook in stored.values()),
                         ["orders.created", "orders.updated", "products.created", "products.updated"])
        self.assertEqual({hook["key"] for hook in stored.values()},
                         {hook["key"] for hook in self.app.webhook_subscriptions.values()})
        self.assertEqual(self.backend.ccv_webhook_events,
                         "orders.created, orders.updated, products.created, products.updated")
        # registering again reuses the subscriptions (same address)
        for hook in self.app.webhook_subscriptions.values():
            hook["address"] = self.backend.webhook_url
        self.backend.action_register_webhooks()
        self.assertEqual(len(self.app.webhook_subscriptions), 4)
        self.assertEqual(json.loads(self.backend.webhook_secret), stored)

    def test_valid_webhook_imports_the_order_once(self):
        order_id, seed = self.new_order(5001)
        delivery = self.deliveries("orders.created")[-1]
        response = self.post(delivery)
        self.assertEqual((response.status_code, response.text), (200, "queued"))
        event = self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id), ("source", "=", "webhook")])
        self.assertEqual((event.external_id, event.external_ref, event.topic),
                         (str(order_id), "5001", "orders.created"))
        self.assertEqual(self.run_queued_jobs(), 1)
        sale = self.env["sale.order"].search([("shop_order_number", "=", "5001")])
        self.assertEqual(len(sale), 1)
        self.assertEqual(sale.currency_id.compare_amounts(sale.amount_total, float(seed.total)), 0)
        # the same delivery again, then a poll: still one sale order
        self.assertEqual(self.post(delivery).status_code, 200)
        self.run_queued_jobs()
        self.backend._poll_orders()
        self.assertEqual(self.env["sale.order"].search_count([("shop_order_number", "=", "5001")]), 1)
        logs = self.logs("order_import", external_ref="5001")
        self.assertEqual(logs.mapped("state").count("done"), 1)
        self.assertIn("Order already imported", logs.mapped("reason"))

    def test_status_change_webhook_is_verified_with_its_own_key(self):
        order_id, _seed = self.new_order(5002, state="pending")
        self.app.set_order_status(order_id, "paid")
        delivery = self.deliveries("orders.updated")[-1]
        self.assertEqual(self.post(delivery).status_code, 200)
        event = self.env["shop.sync.event"].search([("external_id", "=", str(order_id)), ("source", "=", "webhook")])
        self.assertEqual(event.topic, "orders.updated")
        self.run_queued_jobs()
        self.assertEqual(self.env["sale.order"].search([("shop_order_number", "=", "5002")]).shop_order_state, "2")

    def test_product_webhook_updates_the_product(self):
        shop_product = next(iter(self.app.products.values()))
        self.app.update_product(shop_product["id"], price=125.0)
        self.assertEqual(self.post(self.deliveries("products.updated")[-1]).status_code, 200)
        self.run_queued_jobs()
        template = self.env["shop.sync.binding"].search([
            ("backend_id", "=", self.backend.id), ("model", "=", "product.template"),
            ("external_id", "=", str(shop_product["id"]))])._record()
        self.assertAlmostEqual(template.list_price, 125.0)

    def test_bad_signature_is_refused_and_logged(self):
        self.new_order(5003)
        delivery = self.deliveries("orders.created")[-1]
        forged = sign_webhook("not-a-webhook-key", delivery["body"])
        response = self.post(delivery, headers={"Content-Type": "application/json", "x-hash": forged})
        self.assertEqual(response.status_code, 401)
        # signed with the key of another shop's webhook, or not signed at all
        self.assertEqual(self.post(delivery, headers={"Content-Type": "application/json"}).status_code, 401)
        logs = self.logs("webhook", state="error")
        self.assertEqual(logs.mapped("reason"), ["Signature rejected"] * 2)
        self.assertFalse(self.env["shop.sync.event"].search([("backend_id", "=", self.backend.id),
                                                             ("source", "=", "webhook")]))
        self.assertEqual(self.run_queued_jobs(), 0)
