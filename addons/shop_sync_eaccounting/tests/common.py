"""An eAccounting backend against the eAccounting simulator (a Swedish company), authorised through
the simulator's identity server, and a shop of a Swedish Odoo company whose orders it invoices."""

from datetime import UTC, datetime
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import TransactionCase

from odoo.addons.shop_sync_base.services import records
from simulators.common import SimulatorServer
from simulators.eaccounting import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, EAccountingSimulator, validate_request


def swedish_company(env):
    """A Swedish webshop company (SEK) with sales taxes included in the price at 25, 12, 6 and 0 %
    and the OSS rates the tests and the demo sell at (19 and 7 % for Germany, 21 % for the Netherlands)."""
    for currency in ("base.SEK", "base.EUR", "base.NOK", "base.DKK", "base.USD"):
        env.ref(currency).active = True
    # install_mode: Odoo would install and load the Swedish localisation for a new Swedish company (outside
    # tests); the books are kept in eAccounting, these few taxes are all the orders need
    company = env["res.company"].with_context(install_mode=True).create({
        "name": "Shop Sync Sverige AB", "country_id": env.ref("base.se").id, "currency_id": env.ref("base.SEK").id})
    company.tax_calculation_rounding_method = "round_per_line"
    env.user.company_ids |= company
    if not env["stock.warehouse"].sudo().search_count([("company_id", "=", company.id)]):  # made in tests only
        env["stock.warehouse"].sudo().create({"name": "Stockholm", "code": "STHLM", "company_id": company.id})
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    group = env["account.tax.group"].create({"name": "Moms", "company_id": company.id})
    taxes = {rate: env["account.tax"].create({
        "name": f"VAT {rate}% incl.", "amount": float(rate), "amount_type": "percent", "type_tax_use": "sale",
        "price_include_override": "tax_included", "company_id": company.id, "tax_group_id": group.id})
        for rate in (25, 21, 12, 6, 19, 7, 0)}
    company.account_sale_tax_id = taxes[25]
    return env, company, taxes


class EAccountingCase(TransactionCase):
    """One simulator server per class (reset per test); the backend authorised and its values loaded.
    Every request the client sends is checked against the swagger (``assert_requests_valid``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the token refresh commits in a cursor of its own: here it shares the test's transaction
        cls.registry_enter_test_mode_cls()
        cls.env, cls.company, cls.taxes = swedish_company(cls.env(context=dict(cls.env.context,
                                                                              tracking_disable=True)))
        cls.server = SimulatorServer(EAccountingSimulator(requests_per_minute=0)).start()
        cls.addClassCleanup(cls.server.stop)
        cls.sim = cls.server.app
        cls.sleeps = []
        Backend = type(cls.env["shop.sync.backend"])
        cls.startClassPatcher(patch.object(Backend, "_eacc_client_options",
                                           lambda self: {"sleep": cls.sleeps.append}))
        cls.accounting = cls.env["shop.sync.backend"].create({
            "name": "eAccounting", "kind": "eaccounting", "api_url": cls.server.url, "company_id": cls.company.id,
            "eacc_client_id": CLIENT_ID, "eacc_client_secret": CLIENT_SECRET, "eacc_identity_url": cls.server.url,
            "eacc_redirect_uri": REDIRECT_URI, "accounting_invoice_from": "2025-01-01",
            # the flows are tested here, the shared rate governor in the base and in test_rate_governor
            "rate_limit": 0})
        cls.shop = cls.env["shop.sync.backend"].create({
            "name": "Memory shop", "confirm_orders": False, "accounting_backend_id": cls.accounting.id,
            "company_id": cls.company.id})
        cls.env["shop.sync.order.state"].create([
            {"backend_id": cls.shop.id, "code": "pending", "name": "Pending", "allowed": True},
            {"backend_id": cls.shop.id, "code": "paid", "name": "Paid", "allowed": True, "accounting_paid": True},
        ])
        cls.mug = cls.env["product.product"].create({
            "name": "Mug", "default_code": "MUG-1", "type": "consu", "is_storable": True, "list_price": 125,
            "taxes_id": [(6, 0, cls.taxes[25].ids)]})
        cls.book = cls.env["product.product"].create({
            "name": "Cook book", "default_code": "BOOK-1", "type": "consu", "list_price": 299,
            "taxes_id": [(6, 0, cls.taxes[6].ids)]})

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.faults.clear()
        self.sleeps.clear()
        self.prepare_accounting()

    def prepare_accounting(self):
        """The backend authorised and its values loaded (the simulator was reset)."""
        self.authorise()
        self.accounting.action_eacc_load_options()

    # -- helpers ------------------------------------------------------------------------------
    def authorise(self):
        """The Manager's round trip: Visma's code pasted and exchanged."""
        self.accounting.eacc_authorisation_code = self.sim.issue_authorization_code()
        self.accounting.action_eacc_authorise()
        self.assertEqual(self.accounting.eacc_auth_state, "authorised", self.accounting.eacc_auth_message)

    def import_order(self, number, lines=None, country="SE", currency="SEK", email="anna@example.se", company="",
                     state="paid", vat="", created_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC)):
        """A shop order through the hub's order importer; returns the sale order."""
        lines = lines or [("product", "Mug", "MUG-1", "2", "125", "25")]
        address = records.Address(name="Anna Svensson", street="Storgatan 1", zip="11122", city="Stockholm",
                                  country_code=country, email=email, company=company)
        order_lines = [records.OrderLine(kind=kind, name=name, sku=sku, quantity=Decimal(qty),
                                         unit_price=Decimal(price), tax_rate=Decimal(rate))
                       for kind, name, sku, qty, price, rate in lines]
        total = sum(line.quantity * line.unit_price * (-1 if line.kind == "discount" else 1) for line in order_lines)
        order = records.Order(
            external_id=f"o{number}", number=str(number), state=state, created_at=created_at, currency=currency,
            total=total, customer=records.Customer(email=email, first_name="Anna", last_name="Svensson",
                                                   company=company, vat=vat),
            billing=address, shipping=address, lines=order_lines, payment_method="card")
        log = self.env["shop.sync.order.importer"]._import(self.shop, order)
        self.assertEqual(log.state, "done", log.message)
        return self.env["sale.order"].browse(log.res_id)

    def export(self, sale):
        return self.env["shop.sync.eaccounting.document.exporter"]._export(self.accounting, sale)

    def api_requests(self, method=None, path=None):
        """The API requests the simulator served (``path`` without query), oldest first."""
        return [entry for entry in self.sim.request_log
                if (method is None or entry["method"] == method)
                and (path is None or entry["path"].split("?")[0] == path)]

    def assert_requests_valid(self):
        """Every request the client sent is valid against the swagger (the simulator's validator)."""
        problems = [(entry["method"], entry["path"], validate_request(entry["method"], entry["path"], entry["body"]))
                    for entry in self.sim.request_log]
        self.assertFalse([problem for problem in problems if problem[2]])

    def option(self, option_type, name):
        return self.accounting.eacc_option_ids.filtered(
            lambda option: option.option_type == option_type and option.name == name)

    def logs(self, flow):
        return self.env["shop.sync.log"].search([("backend_id", "=", self.accounting.id), ("flow", "=", flow)])
