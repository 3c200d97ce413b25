"""A WooCommerce backend talking to the wc/v3 simulator served on a local port."""

from datetime import UTC, datetime
from unittest.mock import patch

from odoo.tests import HttpCase, TransactionCase

from simulators.common import ManualClock, SimulatorServer
from simulators.seed import COUNTRIES, generate, prepare_odoo_company
from simulators.woocommerce import CONSUMER_KEY, CONSUMER_SECRET, WooCommerceSimulator

CATALOGUE = generate(products=12, customers=6, orders=24)  # has a taxed order with fee + coupon
CURRENCIES = sorted({currency for _rate, currency in COUNTRIES.values()})


class WooCommerceMixin:
    """Class set-up shared by the TransactionCase and HttpCase tests: simulator, taxes of the seed
    countries (price included), currencies and a backend.  Each test starts from a freshly seeded
    shop (the ids are the same after every reset)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_woocommerce()

    def setUp(self):
        super().setUp()
        self.reseed()

    @classmethod
    def _setup_woocommerce(cls):
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, queue_job__no_delay=True))
        cls.shop = WooCommerceSimulator(CONSUMER_KEY, CONSUMER_SECRET)
        cls.server = SimulatorServer(cls.shop).start()
        cls.addClassCleanup(cls.server.stop)
        cls.shop.site_url = f"{cls.server.url}/"
        cls.shop.seed(CATALOGUE)
        for currency in CURRENCIES:
            cls.env.ref(f"base.{currency}").active = True
        prepare_odoo_company(cls.env)
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.backend = cls.env["shop.sync.backend"].create({
            "name": "Woo", "kind": "woocommerce", "api_url": cls.server.url, "woo_consumer_key": CONSUMER_KEY,
            "woo_consumer_secret": CONSUMER_SECRET, "webhook_secret": "whsec-test", "confirm_orders": False,
            "warehouse_id": cls.warehouse.id,
        })
        cls.backend.action_load_order_states()

    def reseed(self):
        self.shop.reset()
        self.shop.faults.clear()
        self.shop.journal.clear()
        self.shop.webhooks.deliveries.clear()
        self.shop.seed(CATALOGUE)

    def logs(self, flow=None, **values):
        domain = [("backend_id", "=", self.backend.id)]
        if flow:
            domain.append(("flow", "=", flow))
        domain += [(name, "=", value) for name, value in values.items()]
        return self.env["shop.sync.log"].search(domain)

    def sales(self):
        return self.env["sale.order"].search([("shop_sync_backend_id", "=", self.backend.id)])

    def import_products(self):
        self.backend._import_products(full=True)
        return self.env["shop.sync.binding"].search([("backend_id", "=", self.backend.id)])

    def requests_to(self, method, path_prefix):
        return [entry for entry in self.shop.journal
                if entry[0] == method and entry[1].startswith(f"/wp-json/wc/v3/{path_prefix}")]


class WooCommerceCase(WooCommerceMixin, TransactionCase):
    pass


class WooCommerceHttpCase(WooCommerceMixin, HttpCase):
    pass


class RateLimitedWalkCase(WooCommerceCase):
    """The shop on a clock that moves only between polls, allowing 5 requests a minute, read in
    pages of 5: a walk its rate limit interrupts (a wait longer than a worker sleeps)."""

    def setUp(self):
        super().setUp()
        self.start = datetime.now(UTC).replace(microsecond=0)
        self.clock = ManualClock(self.start)
        self.startPatcher(patch.multiple(self.shop, clock=self.clock, requests_per_minute=5))
        get_adapter = type(self.backend)._get_adapter

        def small_pages(backend):
            adapter = get_adapter(backend)
            adapter.client.page_size = 5
            return adapter

        self.startPatcher(patch.object(type(self.backend), "_get_adapter", small_pages))
