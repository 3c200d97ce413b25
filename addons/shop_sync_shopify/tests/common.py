"""Test helpers: a Shopify simulator on a fake clock, and an Odoo case with a configured backend."""

from datetime import UTC, datetime
from unittest.mock import patch

from odoo.tests import TransactionCase

from odoo.addons.shop_sync_shopify.services.adapter import ShopifyAdapter
from simulators.common import ManualClock, SimulatorServer
from simulators.seed import COUNTRIES, generate, prepare_odoo_company
from simulators.shopify import ACCESS_TOKEN, API_SECRET, ShopifySimulator

START = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)  # after every seeded order



def simulator(clock, catalogue=None, **options):
    """A Shopify simulator on ``clock``, seeded with ``catalogue`` (default: ``generate()``)."""
    sim = ShopifySimulator(**options)
    sim.clock = clock
    sim.reset()
    sim.seed(catalogue or generate())
    return sim


def adapter_for(server, **config):
    return ShopifyAdapter({"url": server.url, "access_token": ACCESS_TOKEN, "webhook_secret": API_SECRET,
                           "location_id": "", **config})


class ShopifyCase(TransactionCase):
    """A Shopify backend talking to a seeded simulator over HTTP; the simulator is reset and
    re-seeded (same ids) before each test, its clock fixed at ``START``; client waits advance it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, queue_job__no_delay=True))
        cls.catalogue = generate()
        cls.clock = ManualClock(START)
        cls.sim = simulator(cls.clock, cls.catalogue)
        cls.server = SimulatorServer(cls.sim).start()
        cls.addClassCleanup(cls.server.stop)
        cls.startClassPatcher(patch.object(ShopifyAdapter, "sleep", staticmethod(cls.clock.sleep)))
        for currency in {currency for _rate, currency in COUNTRIES.values()}:
            cls.env.ref(f"base.{currency}").active = True
        prepare_odoo_company(cls.env)
        cls.backend = cls.env["shop.sync.backend"].create({
            "name": "Shopify demo", "kind": "shopify", "api_url": cls.server.url,
            "shopify_access_token": ACCESS_TOKEN, "webhook_secret": API_SECRET, "confirm_orders": False,
            # these tests read the paged product query (test_bulk_import reads the bulk export) and run the
            # simulator on a manual clock, which the real-time rate governor does not follow
            "shopify_bulk_import": False, "rate_limit": 0})
        cls.backend.action_load_order_states()

    def setUp(self):
        super().setUp()
        self.clock.now = START.timestamp()
        self.sim.faults.clear()
        self.sim.reset()
        self.sim.seed(self.catalogue)

    def logs(self, flow=None, **values):
        domain = [("backend_id", "=", self.backend.id)] + ([("flow", "=", flow)] if flow else [])
        domain += [(name, "=", value) for name, value in values.items()]
        return self.env["shop.sync.log"].search(domain)

    def sale_for(self, name):
        return self.env["sale.order"].search([("shop_sync_backend_id", "=", self.backend.id),
                                              ("shop_order_number", "=", name)])
