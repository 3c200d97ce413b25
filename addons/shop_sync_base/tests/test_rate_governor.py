"""The client-side rate governor: one token bucket per backend in PostgreSQL, shared by every worker.

Waits follow the backend's rate and burst (a fake clock: ``freeze_time``); a wait longer than a
worker sleeps becomes queue_job's RetryableJobError and takes nothing; two workers (two
environments on their own cursors, and threads on their own connections) draw from one bucket in
turn; the HTTP client sleeps what the governor asks before each attempt."""

import threading
from datetime import datetime

from odoo import api
from odoo.tests import freeze_time, tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.shop_sync_base.models.shop_sync_backend_rate import GOVERNOR_MAX_SLEEP
from odoo.addons.shop_sync_base.services.http import HttpClient
from simulators.common import SimulatorServer

from .common import ShopSyncCase
from .test_http_service import CounterApp

START = datetime(2026, 3, 2, 9, 0, 0)


@tagged("post_install", "-at_install", "shop_sync")
class TestRateGovernor(ShopSyncCase):
    def setUp(self):
        super().setUp()
        self.backend.write({"rate_limit": 10.0, "rate_burst": 2.0})
        # grants are committed on connections of their own: leave no bucket behind
        self.addCleanup(self.env["shop.sync.rate.bucket"]._drop, [self.backend.id])

    def test_no_limit_no_governor(self):
        backend = self.env["shop.sync.backend"].create({"name": "No limit"})
        self.assertEqual((backend.rate_limit, backend.rate_burst), (0.0, 0.0), "no limit documented for 'none'")
        self.assertIsNone(backend._rate_governor())
        self.assertIsNone(backend._adapter_config()["governor"])
        self.assertTrue(callable(self.backend._adapter_config()["governor"]), "handed to the adapter's client")

    def test_waits_follow_rate_and_burst(self):
        acquire = self.backend._rate_governor()
        with freeze_time(START) as clock:
            self.assertEqual([round(acquire(), 3) for _i in range(5)], [0.0, 0.0, 0.1, 0.2, 0.3])
            clock.tick(0.3)  # the last grant's wait has passed: the bucket is empty, not in debt
            self.assertEqual(round(acquire(), 3), 0.1)
            clock.tick(10)  # a quiet period refills the burst, not more
            self.assertEqual([round(acquire(), 3) for _i in range(3)], [0.0, 0.0, 0.1])
            self.assertEqual(round(acquire(cost=2), 3), 0.3, "a request may cost more than one token")

    def test_long_wait_postpones_the_job_and_takes_nothing(self):
        acquire = self.backend._rate_governor()
        with freeze_time(START):
            waits = [acquire() for _i in range(2 + int(GOVERNOR_MAX_SLEEP * 10))]
            self.assertAlmostEqual(waits[-1], GOVERNOR_MAX_SLEEP, places=6)
            for _attempt in range(3):
                with self.assertRaises(RetryableJobError) as caught:
                    acquire()
                self.assertEqual(caught.exception.seconds, int(GOVERNOR_MAX_SLEEP) + 1,
                                 "postponed by the wait, rounded up")
                self.assertTrue(caught.exception.ignore_retry, "waiting for the budget uses up none of the tries")
                self.assertIn("Rate limit of", str(caught.exception))
        with self.registry.cursor() as cr:  # committed by the grants' own connections, after this test began
            cr.execute("SELECT tokens FROM shop_sync_rate_bucket WHERE backend_id = %s", [self.backend.id])
            self.assertAlmostEqual(cr.fetchone()[0], -GOVERNOR_MAX_SLEEP * 10, places=6,
                                   msg="the refused requests took no token")

    def test_two_workers_share_one_bucket(self):
        """Two environments on cursors of their own (two workers' transactions) alternate; the
        second worker's grants wait behind the first's."""
        with freeze_time(START), self.registry.cursor() as other_cr:
            workers = [env["shop.sync.rate.bucket"] for env in (self.env, api.Environment(other_cr, self.env.uid, {}))]
            waits = [round(workers[turn % 2]._grant(self.backend.id, "api", 10.0, 2.0, max_wait=1), 3)
                     for turn in range(5)]
        self.assertEqual(waits, [0.0, 0.0, 0.1, 0.2, 0.3])

    def test_concurrent_workers_are_served_in_turn(self):
        """Four threads, each on connections of its own, take 10 grants each at once: every grant
        gets its own slot (no two requests counted as one by concurrent updates of the row)."""
        Bucket = self.env["shop.sync.rate.bucket"]
        waits, errors = [], []

        def worker():
            try:
                for _i in range(10):
                    waits.append(Bucket._grant(self.backend.id, "api", 100.0, 4.0, max_wait=GOVERNOR_MAX_SLEEP,
                                               now=START.timestamp()))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _i in range(4)]  # one moment for all (freezegun
        for thread in threads:                                          # leaves threads on the real clock)
            thread.start()
        for thread in threads:
            thread.join()
        self.assertFalse(errors)
        self.assertEqual(sorted(round(wait, 4) for wait in waits), [0.0] * 4 + [n / 100 for n in range(1, 37)])

    def test_http_client_sleeps_the_governed_wait_before_each_attempt(self):
        costs, sleeps = [], []

        def governor(cost):
            costs.append(cost)
            return 0.25

        with SimulatorServer(CounterApp()) as server:
            http = HttpClient(server.url, governor=governor, sleep=sleeps.append)
            http.get("items")
            http.post("items", json_body={}, cost=3)
        self.assertEqual((costs, sleeps, http.stats["governed"]), ([1, 3], [0.25, 0.25], 0.5))

    def test_http_client_sends_nothing_when_the_governor_postpones(self):
        def governor(cost):
            raise RetryableJobError("later", seconds=30)

        with SimulatorServer(CounterApp()) as server:
            http = HttpClient(server.url, governor=governor)
            with self.assertRaises(RetryableJobError):
                http.post("items", json_body={})
            self.assertEqual((server.app.posts, http.stats["requests"]), (0, 0))
