"""The demo's orders, end to end: WooCommerce simulator -> inbox -> sale order -> e-conomic draft."""

from datetime import datetime
from unittest.mock import patch
from zoneinfo import ZoneInfo

from odoo.tests import TransactionCase, tagged

from simulators.common import SimulatorServer
from simulators.economic import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN, EconomicSimulator
from simulators.seed import configure_economic_vat, generate, prepare_odoo_company
from simulators.woocommerce import CONSUMER_KEY, CONSUMER_SECRET, WooCommerceSimulator

DEMO = generate(products=20, orders=30, seed=42)  # what `python -m simulators` serves to `make run`
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@tagged("post_install", "-at_install", "shop_sync")
class TestDemoBooksBalance(TransactionCase):
    """Issue 15: every imported demo order is booked in e-conomic with the shop's gross, VAT and date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, queue_job__no_delay=True))
        Backend = cls.env["shop.sync.backend"]
        if "woocommerce" not in dict(Backend._fields["kind"].selection):
            cls.skipTest(cls, "the WooCommerce connector is not installed")
        company = prepare_odoo_company(cls.env)
        company.partner_id.tz = "Europe/Copenhagen"
        cls.economic = SimulatorServer(EconomicSimulator()).start()
        cls.addClassCleanup(cls.economic.stop)
        cls.woo = SimulatorServer(WooCommerceSimulator(CONSUMER_KEY, CONSUMER_SECRET)).start()
        cls.addClassCleanup(cls.woo.stop)
        cls.woo.app.site_url = f"{cls.woo.url}/"
        cls.woo.app.seed(DEMO)
        cls.economic.app.seed(DEMO)
        no_sleep = {"sleep": lambda seconds: None}
        cls.startClassPatcher(patch.object(type(Backend), "_economic_client_options", lambda self: no_sleep))
        cls.accounting = Backend.create({
            "name": "e-conomic", "kind": "economic", "api_url": cls.economic.url,
            "economic_app_secret_token": APP_SECRET_TOKEN, "economic_agreement_grant_token": AGREEMENT_GRANT_TOKEN,
            "economic_invoice_from": "2025-01-01"})
        cls.accounting.action_economic_load_options()
        configure_economic_vat(cls.accounting)
        cls.shop = Backend.create({
            "name": "WooCommerce", "kind": "woocommerce", "api_url": cls.woo.url, "woo_consumer_key": CONSUMER_KEY,
            "woo_consumer_secret": CONSUMER_SECRET, "accounting_backend_id": cls.accounting.id,
            "warehouse_id": cls.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).id})
        cls.shop.action_load_order_states()
        cls.shop._import_products(full=True)

    def booked_and_charged(self):
        """``{order number: (booked, charged)}``: the e-conomic draft's (gross, VAT + rounding line, date)
        against the shop's (total, total tax, order date in Copenhagen) and Odoo's (total, tax, date)."""
        self.shop._poll_orders()
        allowed = self.shop.order_state_ids.filtered("allowed").mapped("code")
        orders = [order for order in self.woo.app.orders.values() if order["status"] in allowed]
        self.assertGreaterEqual(len(orders), 10)
        drafts = list(self.economic.app.drafts.values())
        result = {}
        for order in orders:
            reference = f"SHOPSYNC:{self.shop.id}:{order['number']}"
            found = [draft for draft in drafts if draft["references"]["other"] == reference]
            logs = self.env["shop.sync.log"].search([("external_ref", "=", order["number"]), ("state", "=", "error")])
            self.assertEqual(len(found), 1, f"#{order['number']}: {len(found)} drafts; {logs.mapped('message')}")
            [draft] = found
            rounding = sum(line["totalNetAmount"] for line in draft["lines"]
                           if line["product"]["productNumber"] == "SHOPSYNC-ROUNDING")
            day = datetime.fromisoformat(order["date_created_gmt"] + "+00:00").astimezone(COPENHAGEN).date()
            sale = self.env["sale.order"].search([("shop_sync_backend_id", "=", self.shop.id),
                                                  ("shop_order_number", "=", order["number"])])
            result[order["number"]] = (
                (draft["grossAmount"], round(draft["vatAmount"] + rounding, 2), draft["date"]),
                (float(order["total"]), float(order["total_tax"]), day.isoformat()),
                (sale.amount_total, sale.amount_tax, day.isoformat()))
        return result

    def test_every_demo_order_is_booked_as_the_shop_charged_it(self):
        """Exactly one draft per order; its gross is the shop's total, its VAT (with an explicit rounding
        line) the shop's tax and Odoo's, its date the shop's order date, to the cent."""
        problems = [f"#{number}: e-conomic {booked}, shop {charged}, Odoo {odoo}"
                    for number, (booked, charged, odoo) in self.booked_and_charged().items()
                    if not booked == charged == odoo]
        self.assertFalse(problems, "\n".join(problems))
