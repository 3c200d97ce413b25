"""VAT by destination in e-conomic: every order's draft books the shop's gross and VAT to the cent."""

from datetime import UTC, datetime

from odoo.tests import freeze_time, tagged

from .common import EconomicCase

DUTCH = [("product", "Mug", "MUG-1", "1", "410", "21")]


@tagged("post_install", "-at_install", "shop_sync")
class TestVatByDestination(EconomicCase):
    def draft_of(self, sale):
        return self.sim.drafts[sale.economic_draft_number]

    def test_oss_order_books_the_buyers_country_vat(self):
        """Issue 15, #1009: a private buyer in the Netherlands paid 410.00 EUR including 71.16 Dutch VAT."""
        self.vat_row("oss", "nl", 21, group=11)
        sale = self.import_order(1009, DUTCH + [("shipping", "GLS", "", "1", "39", "21")], country="NL",
                                 currency="EUR", email="eva@example.nl")
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        draft = self.draft_of(sale)
        self.assertEqual((draft["grossAmount"], draft["vatAmount"]), (sale.amount_total, sale.amount_tax))
        self.assertEqual((draft["grossAmount"], draft["vatAmount"]), (449.0, 77.93))
        self.assertEqual(draft["recipient"]["vatZone"]["vatZoneNumber"], 2)
        # a draft line takes no account: companion products in the OSS group carry the lines
        self.assertEqual([line["product"]["productNumber"] for line in draft["lines"]],
                         ["MUG-1.11", "SHOP-SHIPPING.11"])
        self.assertEqual(self.sim.products["MUG-1.11"]["productGroup"]["productGroupNumber"], 11)
        self.assertNotIn("MUG-1", self.sim.products, "the product's own (domestic) group is not forced on it")
        booked = self.sim._book(dict(draft), 99)
        self.assertEqual({line["vatRate"] for line in booked["lines"]}, {21.0})

    def test_free_untaxed_line_needs_no_vat_mapping(self):
        """A free pick-up sent without tax (0.00 at 0 %) books no VAT in any group: no row is needed for it."""
        self.vat_row("oss", "nl", 21, group=11)
        sale = self.import_order(1019, DUTCH + [("shipping", "Pickup", "", "1", "0", "0")], country="NL",
                                 currency="EUR", email="eva@example.nl")
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        draft = self.draft_of(sale)
        self.assertEqual([line["product"]["productNumber"] for line in draft["lines"]], ["MUG-1.11", "SHOP-SHIPPING"])
        self.assertEqual((draft["grossAmount"], draft["vatAmount"]), (410.0, 71.16))

    def test_destination_without_mapping_is_refused_before_anything_is_created_and_retried(self):
        sale = self.import_order(1010, DUTCH, country="NL", currency="EUR", email="eva@example.nl")
        log = self.export(sale)
        self.assertEqual((log.state, log.external_ref), ("error", "1010"))
        self.assertIn("No e-conomic VAT mapping for EU private buyer (One-Stop-Shop) to Netherlands at 21 %",
                      log.message)
        self.assertEqual(sale.economic_invoice_state, "error")
        self.assertFalse(self.sim.customers or self.sim.products or self.sim.drafts, "nothing half-written")
        self.assertFalse([entry for entry in self.sim.journal if entry[0] != "GET"])
        self.vat_row("oss", "nl", 21, group=11)
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.draft_of(sale)["vatAmount"], 71.16)

    def test_mapping_whose_account_charges_another_rate_is_refused(self):
        self.vat_row("oss", "nl", 21, group=12)  # Germany's 19 %
        log = self.export(self.import_order(1011, DUTCH, country="NL", currency="EUR", email="eva@example.nl"))
        self.assertEqual(log.state, "error")
        self.assertIn("which charges 19 %", log.message)
        self.assertFalse(self.sim.drafts or self.sim.customers)

    def test_reverse_charge_and_export_use_the_default_groups(self):
        business = self.import_order(1012, [("product", "Mug", "MUG-1", "2", "80", "0")], country="DE",
                                     currency="EUR", email="buy@kontor.de", company="Kontor GmbH", vat="DE123456788")
        american = self.import_order(1013, [("product", "Mug", "MUG-1", "1", "50", "0")], country="US",
                                     currency="USD", email="joe@example.com")
        self.assertEqual(business._shop_sync_vat_treatment()[0], "reverse_charge")
        for sale, zone in ((business, 2), (american, 3)):
            log = self.export(sale)
            self.assertEqual(log.state, "done", log.message)
            draft = self.draft_of(sale)
            self.assertEqual((draft["recipient"]["vatZone"]["vatZoneNumber"], draft["vatAmount"]), (zone, 0.0))
            self.assertEqual(draft["grossAmount"], sale.amount_total)
            self.assertEqual(draft["lines"][0]["product"]["productNumber"], "MUG-1")

    def test_missing_vat_account_is_a_clear_error(self):
        self.vat_row("oss", "nl", 21, group=11)
        del self.sim.vat_accounts["NL21"]
        self.accounting.action_economic_load_options()
        self.assertTrue(self.option("account", 1051).vat_code_missing)
        log = self.export(self.import_order(1014, DUTCH, country="NL", currency="EUR", email="eva@example.nl"))
        self.assertEqual(log.state, "error")
        self.assertIn("names VAT code NL21, which e-conomic's VAT accounts do not hold", log.message)
        self.assertFalse(self.sim.drafts or self.sim.customers or self.sim.products)

    def test_shop_tax_rounded_per_line_gets_an_explicit_rounding_line(self):
        """100.00 EUR including 21 %: the shop's VAT is 17.36 (net 82.64); e-conomic's 82.64 x 21 % is 17.35."""
        self.vat_row("oss", "nl", 21, group=11)
        sale = self.import_order(1015, [("product", "Mug", "MUG-1", "1", "100", "21")], country="NL",
                                 currency="EUR", email="eva@example.nl")
        self.assertEqual((sale.amount_untaxed, sale.amount_tax), (82.64, 17.36))
        log = self.export(sale)
        self.assertEqual(log.state, "done", log.message)
        draft = self.draft_of(sale)
        rounding = draft["lines"][-1]
        self.assertEqual((rounding["product"]["productNumber"], rounding["totalNetAmount"]),
                         ("SHOPSYNC-ROUNDING", 0.01))
        self.assertEqual((draft["grossAmount"], draft["vatAmount"]), (100.0, 17.35))
        self.assertEqual(self.sim.products["SHOPSYNC-ROUNDING"]["productGroup"]["productGroupNumber"], 3)
        # the invoicing-only products are not catalogue products: importing from e-conomic skips them
        self.sim.products["MUG-1"] = {**self.sim.products["MUG-1.11"], "productNumber": "MUG-1",
                                      "productGroup": {"productGroupNumber": 1}}
        self.assertEqual(self.accounting._economic_import_products(full=True), 1)
        self.assertFalse(self.env["product.product"].search_count(
            [("default_code", "in", ("MUG-1.11", "SHOPSYNC-ROUNDING"))]))

    def test_without_rounding_group_the_cent_is_refused_not_hidden(self):
        self.vat_row("oss", "nl", 21, group=11)
        self.accounting.economic_rounding_group_id = False
        log = self.export(self.import_order(1016, [("product", "Mug", "MUG-1", "1", "100", "21")], country="NL",
                                            currency="EUR", email="eva@example.nl"))
        self.assertEqual(log.state, "error")
        self.assertIn("misses the shop's tax of order 1016 by 0.01", log.message)
        self.assertFalse(self.sim.drafts or self.sim.customers)

    def test_vat_off_by_a_cent_deletes_the_draft_in_every_zone(self):
        self.vat_row("oss", "nl", 21, group=11)
        sale = self.import_order(1017, DUTCH, country="NL", currency="EUR", email="eva@example.nl")
        self.sim.vat_accounts["NL21"]["ratePercentage"] = 21.01  # e-conomic changed behind Odoo's back
        log = self.export(sale)
        self.assertEqual((log.state, log.reason), ("error", "Totals differ: draft deleted"))
        self.assertIn("Gross totals differ", log.message)
        self.assertFalse(self.sim.drafts)

    @freeze_time("2026-07-03 09:00:00")
    def test_draft_is_dated_by_the_order_date_in_the_company_time_zone(self):
        """00:30 in Copenhagen on 1 July is 22:30 UTC on 30 June; the job runs days later."""
        self.company.partner_id.tz = "Europe/Copenhagen"
        sale = self.import_order(1018, created_at=datetime(2026, 6, 30, 22, 30, tzinfo=UTC))
        self.assertEqual(self.export(sale).state, "done")
        self.assertEqual(self.draft_of(sale)["date"], "2026-07-01")
