"""A CCV Shop simulator served over HTTP and a backend pointing at it."""

from datetime import UTC, datetime

from odoo.tests import HttpCase, TransactionCase


from simulators.ccv import PUBLIC_KEY, SECRET_KEY, CcvSimulator
from simulators.common import SimulatorServer
from simulators.seed import COUNTRIES, generate, prepare_odoo_company

from ..services.adapter import CcvAdapter

#: seed states whose CCV status is allowed by default (paid -> 2, shipped -> 5, completed -> 7)
ALLOWED_SEED_STATES = ("paid", "shipped", "completed")



class CcvMixin:
    """Class set-up shared by the transaction and HTTP cases: a seeded simulator, the currencies
    and included-VAT taxes of the seed countries, and a CCV backend."""

    catalogue_options = {"products": 6, "customers": 6, "orders": 12}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_ccv()

    def setUp(self):
        super().setUp()
        self._reset_shop()

    @classmethod
    def _setup_ccv(cls):
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, queue_job__no_delay=True))
        cls.app = CcvSimulator()
        cls.server = SimulatorServer(cls.app).start()
        cls.addClassCleanup(cls.server.stop)
        cls.catalogue = generate(start=datetime.now(UTC), **cls.catalogue_options)
        cls.app.seed(cls.catalogue)
        for _rate, currency in COUNTRIES.values():
            cls.env.ref(f"base.{currency}").active = True
        prepare_odoo_company(cls.env)
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.backend = cls.env["shop.sync.backend"].create({
            "name": "CCV test shop", "kind": "ccv", "api_url": cls.server.url, "ccv_public_key": PUBLIC_KEY,
            "ccv_secret_key": SECRET_KEY, "confirm_orders": False, "warehouse_id": cls.warehouse.id,
            # the tests send a shop's worth of requests in seconds; the simulator's own limits (and the
            # client's handling of its 429s) are what they test: the rate governor is tested in the base
            "rate_limit": 0,
        })
        cls.backend.action_load_order_states()

    def _reset_shop(self):
        """Every test starts from the seeded shop (same ids, so bindings made in setUpClass hold)."""
        self.app.reset()
        self.app.seed(self.catalogue)
        self.app.journal.clear()
        self.app.faults.clear()

    def adapter(self, **client_options):
        return CcvAdapter(self.backend._adapter_config(), **client_options)

    def import_products(self):
        self.backend._import_products(full=True)

    def logs(self, flow, **values):
        domain = [("backend_id", "=", self.backend.id), ("flow", "=", flow)]
        domain += [(name, "=", value) for name, value in values.items()]
        return self.env["shop.sync.log"].search(domain)

    def sale_for(self, number):
        return self.env["sale.order"].search([("shop_sync_backend_id", "=", self.backend.id),
                                              ("shop_order_number", "=", str(number))])


class CcvCase(CcvMixin, TransactionCase):
    pass


class CcvHttpCase(CcvMixin, HttpCase):
    pass
