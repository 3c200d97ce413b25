"""The demo's CCV orders, end to end: CCV simulator -> inbox -> sale order -> eAccounting draft."""

import unittest
from datetime import datetime
from zoneinfo import ZoneInfo

from odoo.tests import tagged

from simulators.ccv import PUBLIC_KEY, SECRET_KEY, CcvSimulator
from simulators.common import SimulatorServer
from simulators.seed import generate

from .common import EAccountingCase

DEMO = generate(products=20, orders=30, seed=42)  # what `python -m simulators` serves to `make run`
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@tagged("post_install", "-at_install", "shop_sync")
class TestDemoBooks(EAccountingCase):
    """Every imported demo order of the CCV shop is a customer invoice draft in eAccounting with the
    shop's gross, VAT and order date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "ccv" not in dict(cls.env["shop.sync.backend"]._fields["kind"].selection):
            raise unittest.SkipTest("the CCV connector is not installed")
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        cls.company.partner_id.tz = "Europe/Stockholm"
        cls.ccv = SimulatorServer(CcvSimulator()).start()
        cls.addClassCleanup(cls.ccv.stop)
        cls.ccv.app.seed(DEMO)
        cls.ccv_shop = cls.env["shop.sync.backend"].create({
            "name": "CCV Shop", "kind": "ccv", "api_url": cls.ccv.url, "ccv_public_key": PUBLIC_KEY,
            "ccv_secret_key": SECRET_KEY, "company_id": cls.company.id, "accounting_backend_id": cls.accounting.id,
            "ccv_order_lookback_days": 3650, "warehouse_id": cls.env["stock.warehouse"].search(
                [("company_id", "=", cls.company.id)], limit=1).id})
        cls.ccv_shop.action_load_order_states()
        cls.ccv_shop._import_products(full=True)

    def setUp(self):
        super().setUp()
        self.sim.seed(DEMO)

    def test_every_demo_order_is_booked_as_the_shop_charged_it(self):
        self.ccv_shop._poll_orders()
        allowed = self.ccv_shop.order_state_ids.filtered("allowed").mapped("code")
        orders = [order for order in self.ccv.app.orders.values() if str(order["status"]) in allowed]
        self.assertGreaterEqual(len(orders), 10)
        drafts = list(self.sim.drafts.values())
        problems = []
        for order in orders:
            number = str(order["ordernumber_full"] or order["ordernumber"])
            found = [draft for draft in drafts if draft["OurReference"] == f"SHOPSYNC:{self.ccv_shop.id}:{number}"]
            if len(found) != 1:
                logs = self.env["shop.sync.log"].search([("external_ref", "=", number), ("state", "=", "error")])
                problems.append(f"#{number}: {len(found)} drafts; {logs.mapped('message')}")
                continue
            [draft] = found
            rounding = sum(row["UnitPrice"] * row["Quantity"] for row in draft["Rows"]
                           if row["ArticleNumber"] == "SHOPSYNC-ROUNDING")
            day = datetime.fromisoformat(order["create_date"]).astimezone(STOCKHOLM).date().isoformat()
            booked = (draft["TotalAmount"], round(draft["TotalVatAmount"] + rounding, 2), draft["InvoiceDate"][:10])
            charged = (order["total_price"], order["total_tax"], day)
            if booked != charged:
                problems.append(f"#{number}: eAccounting {booked}, shop {charged}")
        self.assertFalse(problems, "\n".join(problems))
        self.assert_requests_valid()
