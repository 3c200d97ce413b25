import math
from datetime import UTC, datetime
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.shop_sync_base.services.http import RemoteError

from simulators import ccv as ccv_simulator
from simulators.ccv import API_PREFIX
from simulators.common import ManualClock

from ..services.client import CcvClient
from .common import CcvCase


@tagged("post_install", "-at_install", "shop_sync")
class TestCcvClient(CcvCase):
    catalogue_options = {"products": 3, "customers": 3, "orders": 23}

    def list_calls(self, path="/orders"):
        return [entry for entry in self.app.journal
                if entry[0] == "GET" and entry[1].split("?")[0] == API_PREFIX + path]

    def test_paging_walks_every_order_exactly_once(self):
        orders = list(self.adapter(page_size=5).fetch_orders(None))
        self.assertEqual(sorted(order["id"] for order in orders), sorted(self.app.orders))
        self.assertEqual(len(orders), 23)
        self.assertEqual(len(self.list_calls()), math.ceil(23 / 5), "one request per page, stops at next=null")
        self.assertTrue(all(status == 200 for _method, _path, status in self.app.journal))

    def test_order_window_is_the_watermark_minus_the_look_back(self):
        newest = max(self.app.orders.values(), key=lambda order: order["create_date"])
        since = ccv_simulator._parse_timestamp(newest["create_date"])
        self.backend.ccv_order_lookback_days = 1
        within_a_day = [o for o in self.app.orders.values()
                        if ccv_simulator._parse_timestamp(o["create_date"]).timestamp() >= since.timestamp() - 86400]
        orders = list(self.adapter().fetch_orders(since))
        self.assertEqual({o["id"] for o in orders}, {o["id"] for o in within_a_day})
        self.assertLess(len(orders), len(self.app.orders))
        self.assertIn("min_create_date=", self.list_calls()[0][1])

    def test_tampered_answer_is_refused(self):
        with patch.object(ccv_simulator, "sign_response", lambda *args: "0" * 128):
            with self.assertRaises(RemoteError) as caught:
                self.adapter().fetch_order(next(iter(self.app.orders)))
        self.assertIn("not signed by the shop", str(caught.exception))

    def test_unsigned_answer_is_refused(self):
        client = CcvClient(self.server.url, ccv_simulator.PUBLIC_KEY, ccv_simulator.SECRET_KEY)
        with patch.object(ccv_simulator.CcvSimulator, "after_request", lambda self, request, response: response):
            with self.assertRaises(RemoteError):
                client.get("/products")

    def test_error_body_becomes_the_message(self):
        with self.assertRaises(RemoteError) as caught:
            self.adapter().fetch_order(999)
        self.assertEqual(caught.exception.status, 404)
        self.assertIn("404.20: ", str(caught.exception))
        self.assertIn("Order 999 does not exist", str(caught.exception))

    def test_wrong_secret_is_refused_by_the_shop(self):
        client = CcvClient(self.server.url, ccv_simulator.PUBLIC_KEY, "wrong-secret")
        with self.assertRaises(RemoteError) as caught:
            client.get("/orders")
        self.assertEqual(caught.exception.status, 401)
        self.assertIn("401.13", str(caught.exception))
        self.assertNotIn("wrong-secret", str(caught.exception) + caught.exception.body)

    def test_injected_429_is_retried_after_retry_after(self):
        sleeps = []
        self.app.faults.add("rate_limit", count=2, retry_after=2, path=API_PREFIX + "/orders")
        orders = list(self.adapter(sleep=sleeps.append).fetch_orders(None))
        self.assertEqual(len(orders), 23)
        self.assertEqual(sleeps, [2.0, 2.0], "short waits are slept (a long one postpones the job)")

    def limit_shop(self, **limits):
        """Lower the shop's limits and start a fresh rate window on a fake clock (at the start of a
        minute: the shop's windows are whole minutes, so the wait it asks for does not depend on when
        the test runs)."""
        clock = ManualClock(datetime.now(UTC).replace(second=0, microsecond=0))
        self.startPatcher(patch.object(self.app, "clock", clock))
        self.startPatcher(patch.multiple(self.app, **limits))
        self.app.reset()
        self.app.seed(self.catalogue)
        return clock

    def test_rate_limit_beyond_the_short_wait_leaves_the_worker(self):
        """429.10 (2 GET a minute on /orders): the shop asks to wait for the rest of its 60 s window,
        longer than a worker may sleep, so the client sleeps nothing and raises a retryable error
        carrying the wait (the job layer postpones the job by it)."""
        clock = self.limit_shop(get_limit=2)
        adapter = self.adapter(page_size=5, sleep=clock.sleep)
        with self.assertRaises(RemoteError) as caught:
            list(adapter.fetch_orders(None))
        self.assertEqual((caught.exception.status, caught.exception.retryable), (429, True))
        self.assertTrue(10 < caught.exception.retry_after <= 60, caught.exception.retry_after)
        self.assertEqual(clock.slept, [])

    def test_rate_limit_of_the_shop_is_waited_out_when_allowed(self):
        """The same shop with a client allowed to sleep a minute: it waits the Retry-After the shop
        computes from its window, and every page arrives once."""
        clock = self.limit_shop(get_limit=2)
        adapter = self.adapter(page_size=5, sleep=clock.sleep, max_backoff=60)
        orders = list(adapter.fetch_orders(None))
        self.assertEqual(sorted(order["id"] for order in orders), sorted(self.app.orders))
        self.assertEqual(adapter.client.http.stats["throttled"], 2)
        self.assertEqual(len(clock.slept), 2)
        self.assertTrue(all(0 < seconds <= 60 for seconds in clock.slept), clock.slept)
        refused = [path for _method, path, status in self.app.journal if status == 429]
        self.assertEqual(len(refused), 2)

    def test_total_limit_code_is_reported_when_retries_run_out(self):
        self.limit_shop(total_limit=1)
        client = CcvClient(self.server.url, ccv_simulator.PUBLIC_KEY, ccv_simulator.SECRET_KEY,
                           sleep=lambda seconds: None, retries=1)
        client.get("/products")
        with self.assertRaises(RemoteError) as caught:
            client.get("/products")
        self.assertEqual(caught.exception.status, 429)
        self.assertIn("429.11", str(caught.exception))
        self.assertTrue(caught.exception.retryable)
