import unittest
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import TransactionCase, tagged

try:  # the WooCommerce connector is another addon: this test runs when it is installed as well
    from odoo.addons.shop_sync_woocommerce.tests.common import WooCommerceMixin
except ImportError:  # pragma: no cover - the addon is not on the addons path
    WooCommerceMixin = object

from odoo.addons.shop_sync_economic.models.shop_sync_economic_invoice_exporter import ROUNDING_PRODUCT

from simulators.common import SimulatorServer
from simulators.economic import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN, EconomicSimulator
from simulators.seed import configure_economic_vat


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceBooks(WooCommerceMixin, TransactionCase):
    """Every seeded WooCommerce order, imported, invoiced and refunded through the hub: its documents in
    e-conomic (invoice minus credit notes) add up to what the shop kept (total minus refunds)."""

    @classmethod
    def setUpClass(cls):
        if WooCommerceMixin is object:
            raise unittest.SkipTest("shop_sync_woocommerce is not on the addons path")
        super().setUpClass()
        if not cls.env["ir.module.module"].search_count([("name", "=", "shop_sync_woocommerce"),
                                                         ("state", "=", "installed")]):
            raise unittest.SkipTest("shop_sync_woocommerce is not installed")
        cls.economic = SimulatorServer(EconomicSimulator()).start()
        cls.addClassCleanup(cls.economic.stop)
        Backend = type(cls.env["shop.sync.backend"])
        cls.startClassPatcher(patch.object(Backend, "_economic_client_options", lambda self: {"sleep": lambda s: None}))
        cls.accounting = cls.env["shop.sync.backend"].create({
            "name": "e-conomic", "kind": "economic", "api_url": cls.economic.url, "economic_invoice_from": "2020-01-01",
            "economic_app_secret_token": APP_SECRET_TOKEN, "economic_agreement_grant_token": AGREEMENT_GRANT_TOKEN})
        cls.accounting.action_economic_load_options()
        configure_economic_vat(cls.accounting)
        cls.backend.write({"accounting_backend_id": cls.accounting.id, "sync_products": False})
        cls.backend._import_products(full=True)

    def setUp(self):
        super().setUp()
        self.economic.app.reset()

    def documents(self, number):
        """e-conomic drafts and booked invoices of a shop order (its invoice and credit notes)."""
        stamp = f"SHOPSYNC:{self.backend.id}:{number}"
        app = self.economic.app
        return [document for document in [*app.drafts.values(), *app.booked.values()]
                if document.get("references", {}).get("other", "").split(":R")[0].split(":CANCEL")[0] == stamp]

    def test_invoice_minus_credit_notes_is_what_the_shop_kept_for_every_order(self):
        self.backend._poll_orders()  # imports the allowed orders and their seeded refunds; jobs run at once
        imported = self.sales()
        self.assertTrue(imported.shop_refund_ids, "the seed has partial refunds")
        # a partial refund given after the import, and an order cancelled after it
        kept = imported.filtered(lambda sale: not sale.shop_refund_ids)
        refunded, cancelled = kept[0], kept[1]
        order = next(o for o in self.shop.orders.values() if o["number"] == refunded.shop_order_number)
        item = order["line_items"][0]
        gross = ((Decimal(item["subtotal"]) + Decimal(item["subtotal_tax"])) / item["quantity"]).quantize(
            Decimal("0.01"))
        # its tax as typed in the admin's refund form, a cent above the item's share of the gross
        tax = self.shop._refund_amounts(order, item["id"], gross)["refund_tax"] + Decimal("0.01")
        self.shop.refund_order(refunded.shop_order_number, gross, [(item["id"], 1, gross, tax)], reason="Return")
        self.shop.set_order_status(cancelled.shop_order_number, "cancelled")
        self.backend._poll_orders()
        self.assertEqual(cancelled.state, "cancel")
        self.assertEqual(len(refunded.shop_refund_ids), 1)
        self.assertFalse(self.logs("refund_import", state="error"))
        self.assertFalse(self.env["shop.sync.log"].search([("backend_id", "=", self.accounting.id),
                                                           ("state", "=", "error")]).mapped("message"))
        for sale in imported:
            shop_order = next(o for o in self.shop.orders.values() if o["number"] == sale.shop_order_number)
            shop_kept = Decimal(shop_order["total"]) + sum(Decimal(r["total"]) for r in shop_order["refunds"])
            documents = self.documents(sale.shop_order_number)
            gross = sum(Decimal(str(document["grossAmount"])) for document in documents)
            if sale == cancelled:
                self.assertEqual((documents, sale.economic_invoice_state), ([], "cancelled"))
                continue
            refunds = sale.shop_refund_ids
            self.assertEqual(len(documents), 1 + len(refunds), sale.shop_order_number)
            self.assertAlmostEqual(float(shop_kept), sale.amount_total - sum(refunds.mapped("amount_total")), 2)
            self.assertEqual(gross, shop_kept, f"{sale.shop_order_number}: invoice - credit notes")
            # the VAT too: the order's tax less the refunds', and a refund of items gives back their tax as
            # WooCommerce kept it (an amount without items has no tax there: it is taxed as the order lines)
            vat = sum(Decimal(str(document["vatAmount"])) + sum(
                Decimal(str(line["totalNetAmount"])) for line in document.get("lines") or []
                if line["product"]["productNumber"] == ROUNDING_PRODUCT) for document in documents)
            self.assertEqual(vat, Decimal(str(shop_order["total_tax"])) - Decimal(str(round(
                sum(refunds.mapped("amount_tax")), 2))), f"{sale.shop_order_number}: VAT of invoice - credit notes")
            for refund in refunds.filtered(lambda r: "amount" not in r.line_ids.mapped("kind")):
                shop_refund = self.shop.refunds[shop_order["id"]][int(refund.external_id)]
                self.assertEqual(Decimal(str(refund.amount_tax)), -sum(
                    Decimal(item["total_tax"]) for key in ("line_items", "shipping_lines", "fee_lines")
                    for item in shop_refund[key]), refund.external_id)
