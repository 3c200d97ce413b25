import math

from odoo.tests import BaseCase, tagged

from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_woocommerce.services.adapter import WooCommerceAdapter
from odoo.addons.shop_sync_woocommerce.services.client import WooClient, api_root

from simulators.common import SimulatorServer
from simulators.woocommerce import CONSUMER_KEY, CONSUMER_SECRET, WooCommerceSimulator

from .common import CATALOGUE


@tagged("post_install", "-at_install", "shop_sync")
class TestWooClient(BaseCase):
    """The client against the simulator alone (no database)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = WooCommerceSimulator(CONSUMER_KEY, CONSUMER_SECRET)
        cls.server = SimulatorServer(cls.shop).start()
        cls.addClassCleanup(cls.server.stop)

    def setUp(self):
        super().setUp()
        self.shop.reset()
        self.shop.faults.clear()
        self.shop.seed(CATALOGUE)
        self.shop.journal.clear()
        self.slept = []

    def client(self, secret=CONSUMER_SECRET, **options):
        return WooClient(self.server.url, CONSUMER_KEY, secret, sleep=self.slept.append, **options)

    def test_api_root(self):
        self.assertEqual(api_root("https://shop.example/"), "https://shop.example/wp-json/wc/v3")
        self.assertEqual(api_root("https://shop.example/wp-json/wc/v3"), "https://shop.example/wp-json/wc/v3")

    def test_paging_walks_every_order_exactly_once(self):
        orders = list(self.client(page_size=7).paginate("orders", {"orderby": "id", "order": "asc"}))
        self.assertEqual(sorted(order["id"] for order in orders), sorted(self.shop.orders))
        pages = [path for method, path, _status in self.shop.journal if path.startswith("/wp-json/wc/v3/orders")]
        self.assertEqual(len(pages), math.ceil(len(self.shop.orders) / 7))

    def test_paging_link_to_another_host_is_not_followed(self):
        """A shop whose WordPress address differs from the configured URL links elsewhere: the
        Basic credentials must not go there."""
        self.shop.links_url = "http://127.0.0.2:1"
        self.addCleanup(setattr, self.shop, "links_url", None)
        client = self.client(page_size=3)
        with self.assertRaises(RemoteError) as caught:
            list(client.paginate("orders"))
        self.assertIn("http://127.0.0.2:1", str(caught.exception))
        self.assertIn("not followed", str(caught.exception))
        self.assertEqual(client.http.stats["requests"], 1, "only the first page, on the configured host")

    def test_paging_link_on_the_same_origin_is_followed(self):
        self.shop.links_url = self.server.url + "/"
        self.addCleanup(setattr, self.shop, "links_url", None)
        orders = list(self.client(page_size=3).paginate("orders"))
        self.assertEqual(len(orders), len(self.shop.orders))

    def test_adapter_polls_every_status_with_gmt_dates(self):
        adapter = WooCommerceAdapter({}, client=self.client(page_size=5))
        self.shop.orders[next(iter(self.shop.orders))]["status"] = "on-hold"
        orders = list(adapter.fetch_orders(None))
        self.assertEqual(len(orders), len(self.shop.orders))
        self.assertEqual(len({order["id"] for order in orders}), len(orders))

    def test_rate_limit_is_retried_after_the_announced_wait(self):
        self.shop.faults.add("rate_limit", count=2, retry_after=3)
        self.assertEqual(len(self.client().get("orders")), 10)
        self.assertEqual(self.slept, [3.0, 3.0])

    def test_error_body_becomes_the_message(self):
        with self.assertRaises(RemoteError) as caught:
            self.client(secret="cs_wrong").get("orders")
        self.assertEqual(caught.exception.status, 401)
        self.assertEqual(caught.exception.message,
                         "Consumer secret is invalid. [woocommerce_rest_authentication_error]")
        with self.assertRaises(RemoteError) as caught:
            self.client().get("orders/999999")
        self.assertIn("[woocommerce_rest_shop_order_invalid_id]", str(caught.exception))

    def test_an_html_page_answered_with_200_is_a_remote_error(self):
        self.shop.faults.add("html_page")
        with self.assertRaises(RemoteError) as caught:
            list(self.client().paginate("orders"))
        self.assertEqual(caught.exception.status, 200)
        self.assertIn(f"answered GET {self.server.url}/wp-json/wc/v3/orders?per_page=100&page=1 with HTML instead "
                      "of JSON.", caught.exception.message)
        self.assertTrue(caught.exception.body.startswith("<!DOCTYPE html>"))

    def test_batch_is_sent_in_chunks_of_100(self):
        items = [{"id": 900000 + index, "manage_stock": True, "stock_quantity": 1} for index in range(230)]
        answered = self.client().batch("products", "update", items)
        self.assertEqual([answer["id"] for answer in answered], [item["id"] for item in items])
        self.assertTrue(all(answer["error"]["code"] == "woocommerce_rest_product_invalid_id" for answer in answered))
        posts = [path for method, path, _status in self.shop.journal if method == "POST"]
        self.assertEqual(posts, ["/wp-json/wc/v3/products/batch"] * 3)
