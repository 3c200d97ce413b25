"""An e-conomic backend against the e-conomic simulator, and a shop whose orders it invoices."""

from datetime import UTC, datetime
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import TransactionCase

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.tests.common import sale_tax
from simulators.common import SimulatorServer
from simulators.economic import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN, EconomicSimulator


class EconomicCase(TransactionCase):
    """One simulator server per class (reset per test); the backend's values loaded from it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.server = SimulatorServer(EconomicSimulator()).start()
        cls.addClassCleanup(cls.server.stop)
        cls.sim = cls.server.app
        cls.sleeps = []
        Backend = type(cls.env["shop.sync.backend"])
        cls.startClassPatcher(patch.object(Backend, "_economic_client_options",
                                           lambda self: {"sleep": cls.sleeps.append}))
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.dk")
        for currency in ("base.DKK", "base.EUR", "base.USD"):
            cls.env.ref(currency).active = True
        cls.tax25 = sale_tax(cls.env, 25, "DK VAT 25% incl.")
        cls.tax19 = sale_tax(cls.env, 19, "DE VAT 19% incl.")
        cls.tax21 = sale_tax(cls.env, 21, "NL VAT 21% incl.")
        cls.tax0 = sale_tax(cls.env, 0, "No VAT")
        cls.accounting = cls.env["shop.sync.backend"].create({
            "name": "e-conomic", "kind": "economic", "api_url": cls.server.url,
            "economic_app_secret_token": APP_SECRET_TOKEN, "economic_agreement_grant_token": AGREEMENT_GRANT_TOKEN,
            "poll_overlap": 0})
        cls.accounting.action_economic_load_options()
        cls.shop = cls.env["shop.sync.backend"].create({
            "name": "Memory shop", "confirm_orders": False, "accounting_backend_id": cls.accounting.id})
        cls.env["shop.sync.order.state"].create([
            {"backend_id": cls.shop.id, "code": "pending", "name": "Pending", "allowed": True},
            {"backend_id": cls.shop.id, "code": "paid", "name": "Paid", "allowed": True, "accounting_paid": True},
        ])
        cls.mug = cls.env["product.product"].create({
            "name": "Mug", "default_code": "MUG-1", "type": "consu", "is_storable": True, "list_price": 100,
            "taxes_id": [(6, 0, cls.tax25.ids)]})

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.faults.clear()
        self.sim.journal.clear()
        self.sleeps.clear()

    # -- helpers ------------------------------------------------------------------------------
    def import_order(self, number, lines=None, country="DK", currency="DKK", email="anna@example.com", company="",
                     state="paid", payment="card", vat="", created_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
                     waiting=False):
        """A shop order through the hub's order importer; returns the sale order.  ``waiting``: imported
        as one of a batch of inbox events (a webhook), so a quotation waiting for the confirmation job."""
        lines = lines or [("product", "Mug", "MUG-1", "2", "100", "25")]
        address = records.Address(name="Anna Jensen", street="Main 1", zip="8000", city="Aarhus",
                                  country_code=country, email=email)
        order_lines = [records.OrderLine(kind=kind, name=name, sku=sku, quantity=Decimal(qty),
                                         unit_price=Decimal(price), tax_rate=Decimal(rate))
                       for kind, name, sku, qty, price, rate in lines]
        total = sum(line.quantity * line.unit_price * (-1 if line.kind == "discount" else 1) for line in order_lines)
        order = records.Order(
            external_id=f"o{number}", number=str(number), state=state,
            created_at=created_at, currency=currency, total=total,
            customer=records.Customer(email=email, first_name="Anna", last_name="Jensen", company=company, vat=vat),
            billing=address, shipping=address, lines=order_lines, payment_method=payment)
        Importer = self.env["shop.sync.order.importer"]
        if waiting:
            Importer = Importer.with_context(shop_sync_order_batch=Importer._prepare_batch(self.shop, [order]))
        log = Importer._import(self.shop, order)
        self.assertEqual(log.state, "done", log.message)
        return self.env["sale.order"].browse(log.res_id)

    def export(self, sale):
        return self.env["shop.sync.economic.invoice.exporter"]._export(self.accounting, sale)

    def option(self, option_type, number):
        return self.accounting.economic_option_ids.filtered(
            lambda option: option.option_type == option_type and option.number == number)

    def vat_row(self, treatment, country, rate, group, zone=2):
        """A 'VAT per destination' row: ``treatment`` to ``country`` at ``rate`` % -> product group, VAT zone."""
        return self.env["shop.sync.mapping"].create({
            "backend_id": self.accounting.id, "mapping_type": "economic_product_group", "vat_treatment": treatment,
            "country_id": self.env.ref(f"base.{country}").id if country else False, "tax_rate": rate,
            "economic_option_id": self.option("product_group", group).id,
            "economic_vat_zone_id": self.option("vat_zone", zone).id})

    def journal(self, method, path):
        """Requests the simulator served for ``method`` on ``path`` (query ignored)."""
        return [entry for entry in self.sim.journal if entry[0] == method and entry[1].split("?")[0] == path]

    def logs(self, flow):
        return self.env["shop.sync.log"].search([("backend_id", "=", self.accounting.id), ("flow", "=", flow)])
