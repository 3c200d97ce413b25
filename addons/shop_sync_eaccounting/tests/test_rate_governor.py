"""eAccounting's clients ask the backend's shared rate governor (``shop.sync.rate.bucket``) before
every request: several clients of one backend together stay within Visma's 600 requests a minute,
so the simulator, counting as Visma documents it, never answers 429."""

from datetime import UTC, datetime

from odoo.tests import freeze_time, tagged

from simulators.common import ManualClock

from .common import EAccountingCase


@tagged("post_install", "-at_install", "shop_sync")
class TestEAccountingRateGovernor(EAccountingCase):
    def test_defaults_follow_visma_documented_limit(self):
        backend = self.env["shop.sync.backend"].create({"name": "Fresh", "kind": "eaccounting"})
        rate, burst = backend.rate_limit, backend.rate_burst
        self.assertGreater(rate, 0)
        self.assertLessEqual(burst + 60 * rate, 600, "no 60 s window may hold more than 600 requests")
        self.assertEqual(burst + 60 * rate, 600, "the documented budget is used")

    def test_several_clients_of_one_backend_get_no_429(self):
        """Three clients (three workers) send 650 requests to one URL in turn, more than the minute
        allows: the governor spreads them, the simulator throttles none, and the clients slept the
        governed waits (a fake clock shared by the governor and the simulator moves by them)."""
        self.accounting.write({"rate_limit": 9.5, "rate_burst": 30})  # the defaults (the tests' backend has none)
        self.addCleanup(self.env["shop.sync.rate.bucket"]._drop, [self.accounting.id])
        start = datetime.now(UTC).replace(microsecond=0)
        clock = ManualClock(start)
        with freeze_time(start.replace(tzinfo=None)) as frozen:
            def sleep(seconds):
                frozen.tick(seconds)
                clock.sleep(seconds)

            self.sim.clock, self.sim.requests_per_minute = clock, 600
            self.addCleanup(setattr, self.sim, "requests_per_minute", 0)
            self.sim.request_log.clear()
            self.sleeps.clear()
            clients = [self.accounting._eacc_client() for _worker in range(3)]
            for client in clients:
                client.http.sleep = sleep
            for turn in range(650):
                self.assertEqual(clients[turn % 3].get("companysettings")["CountryCode"], "SE")
        statuses = [entry["status"] for entry in self.sim.request_log]
        self.assertEqual((len(statuses), set(statuses)), (650, {200}), "no 429 from the simulator")
        self.assertEqual(sum(client.stats["throttled"] for client in clients), 0)
        governed = sum(client.stats["governed"] for client in clients)
        self.assertAlmostEqual(governed, (650 - 30) / 9.5, delta=0.5,
                               msg="the clients waited what the governor asked")
        self.assertAlmostEqual(clock.now - start.timestamp(), governed, delta=0.01)
