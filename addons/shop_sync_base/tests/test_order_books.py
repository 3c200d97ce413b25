"""Books that balance, on the Odoo side: the order's date survives confirmation and dates its accounting
document in the company's time zone; taxes follow the buyer's destination (Odoo's fiscal positions on the
Danish chart with OSS) and must carry the rate the shop charged; bad input leaves nothing behind."""

from datetime import UTC, date, datetime
from unittest.mock import patch

from odoo.tests import freeze_time, tagged

from odoo.addons.shop_sync_base.tests.common import MemoryShopAdapter, ShopSyncCase, order_payload

MUG = {"name": "Mug", "sku": "MUG-1", "qty": "1", "price": "410.00"}


def line(rate, **values):
    return {**MUG, "rate": rate, **values}


@tagged("post_install", "-at_install", "shop_sync")
class TestOrderDate(ShopSyncCase):
    def setUp(self):
        super().setUp()
        self.backend.confirm_orders = True
        self.env.user.tz = "UTC"  # as a webhook job's user: the company's time zone decides, not the user's

    @freeze_time("2026-01-05 00:10:00")
    def test_confirmed_order_keeps_the_shop_date_and_is_booked_on_the_copenhagen_day(self):
        # placed 2025-12-29 23:30 in Copenhagen (UTC+1), imported a week later
        log = self.import_order(order_payload(1003, lines=[line("25")],
                                              created_at=datetime(2025, 12, 29, 22, 30, tzinfo=UTC)))
        self.assertEqual(log.state, "done", log.message)
        sale = self.sale_for(1003)
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.date_order, datetime(2025, 12, 29, 22, 30))
        self.assertEqual(sale.shop_accounting_date, date(2025, 12, 29))

    def test_order_half_past_midnight_in_copenhagen_is_booked_on_that_day(self):
        # 00:30 on 1 July in Copenhagen (UTC+2) is still 30 June in UTC
        log = self.import_order(order_payload(1004, lines=[line("25")],
                                              created_at=datetime(2025, 6, 30, 22, 30, tzinfo=UTC)))
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.sale_for(1004).shop_accounting_date, date(2025, 7, 1))

    def test_company_without_a_time_zone_books_on_its_countrys_day(self):
        # the database's first company has no time zone (no form shows it); a Danish one is in Copenhagen's
        self.company.partner_id.tz = False
        self.assertEqual(self.company.country_id.code, "DK")
        log = self.import_order(order_payload(1008, lines=[line("25")],
                                              created_at=datetime(2025, 6, 30, 22, 30, tzinfo=UTC)))
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.sale_for(1008).shop_accounting_date, date(2025, 7, 1))
        # an order imported before the date was stored is dated alike when it is invoiced
        self.sale_for(1008).sudo().shop_accounting_date = False
        self.assertEqual(self.sale_for(1008)._shop_sync_accounting_date(), date(2025, 7, 1))

    def test_company_time_zone_is_its_own_else_its_countrys_when_the_country_keeps_one_time(self):
        self.company.partner_id.tz = False
        for code, zone in (("DK", "Europe/Copenhagen"), ("DE", "Europe/Berlin"), ("ES", "UTC"), ("US", "UTC")):
            with self.subTest(country=code):
                self.company.partner_id.country_id = self.env["res.country"].search([("code", "=", code)])
                self.assertEqual(self.company._shop_sync_tz(), zone)
        self.company.partner_id.tz = "Atlantic/Canary"
        self.assertEqual(self.company._shop_sync_tz(), "Atlantic/Canary")

    def test_a_company_in_a_country_of_several_time_zones_is_warned_and_sets_its_own_in_the_settings(self):
        self.company.partner_id.tz = False
        self.assertFalse(self.backend.accounting_tz_warning)  # Denmark keeps one time
        self.company.partner_id.country_id = self.env.ref("base.es")
        self.assertIn("Spain", self.backend.accounting_tz_warning)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.shop_sync_effective_tz, "UTC")
        settings.shop_sync_tz = "Europe/Madrid"
        self.assertEqual(settings.shop_sync_effective_tz, "Europe/Madrid")
        settings.execute()
        self.assertEqual(self.company.partner_id.tz, "Europe/Madrid")
        self.assertFalse(self.backend.accounting_tz_warning)
        # 22:30 UTC on 30 June is 00:30 on 1 July in Madrid
        log = self.import_order(order_payload(1009, lines=[line("25")],
                                              created_at=datetime(2025, 6, 30, 22, 30, tzinfo=UTC)))
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.sale_for(1009).shop_accounting_date, date(2025, 7, 1))

    def test_payment_date_when_the_backend_says_so_else_the_order_date_with_a_note(self):
        self.backend.accounting_date_source = "paid"
        created = datetime(2025, 12, 31, 20, 0, tzinfo=UTC)
        paid = self.import_order(order_payload(1005, lines=[line("25")], created_at=created,
                                               paid_at=datetime(2025, 12, 31, 23, 15, tzinfo=UTC)))
        self.assertEqual(self.sale_for(1005).shop_accounting_date, date(2026, 1, 1))
        self.assertNotIn("no payment date", paid.message)
        unpaid = self.import_order(order_payload(1006, lines=[line("25")], created_at=created))
        self.assertEqual(self.sale_for(1006).shop_accounting_date, date(2025, 12, 31))
        self.assertIn("The shop sent no payment date", unpaid.message)

    def test_other_orders_confirmed_with_shop_orders_get_odoo_date(self):
        self.import_order(order_payload(1007, lines=[line("25")]))
        shop_sale = self.sale_for(1007)
        manual = self.env["sale.order"].create({
            "partner_id": shop_sale.partner_id.id, "date_order": datetime(2020, 1, 1),
            "order_line": [(0, 0, {"product_id": self.mug.id, "product_uom_qty": 1})]})
        with freeze_time("2026-02-01 09:00:00"):
            manual.action_confirm()
        self.assertEqual(manual.date_order, datetime(2026, 2, 1, 9, 0))


@tagged("post_install", "-at_install", "shop_sync")
class TestDestinationTaxes(ShopSyncCase):
    def import_sale(self, number, lines, **extra):
        log = self.import_order(order_payload(number, lines=lines, **extra))
        self.assertEqual(log.state, "done", log.message)
        return self.sale_for(number)

    def test_domestic_private_buyer_pays_danish_vat(self):
        sale = self.import_sale(2001, [line("25", price="125.00")])
        self.assertEqual(sale.fiscal_position_id, self.fiscal_positions["Denmark (Company)"])
        self.assertEqual(sale.order_line.tax_ids, self.company.account_sale_tax_id)
        self.assertEqual((sale.amount_total, sale.amount_tax), (125.0, 25.0))

    def test_eu_private_buyer_pays_the_buyers_country_vat_under_oss(self):
        # issue 15, order #1009: 410.00 EUR including 71.16 Dutch VAT
        sale = self.import_sale(2002, [line("21")], country="NL", currency="EUR")
        self.assertEqual(sale.fiscal_position_id.name, "OSS B2C Netherlands")
        tax = sale.order_line.tax_ids
        self.assertEqual((tax.amount, tax.price_include), (21.0, True))
        self.assertIn(tax, sale.fiscal_position_id.tax_ids)
        self.assertEqual((sale.amount_total, sale.amount_untaxed, sale.amount_tax), (410.0, 338.84, 71.16))

    def test_net_prices_use_the_twin_of_the_oss_tax_that_excludes_vat(self):
        sale = self.import_sale(2003, [line("21", price="338.84")], country="NL", currency="EUR",
                                prices_include_tax=False, total="410.00")
        tax = sale.order_line.tax_ids
        self.assertEqual((tax.amount, tax.price_include), (21.0, False))
        oss = sale.fiscal_position_id.tax_ids.filtered(lambda t: t.amount == 21)
        self.assertEqual((tax.tax_group_id, tax.invoice_repartition_line_ids.account_id),
                         (oss.tax_group_id, oss.invoice_repartition_line_ids.account_id))
        self.assertEqual((sale.amount_total, sale.amount_tax), (410.0, 71.16))

    def test_eu_company_with_a_vat_number_is_reverse_charge(self):
        sale = self.import_sale(2004, [line("0", price="338.84")], country="DE", currency="EUR",
                                customer={"email": "einkauf@kontor.example", "name": "Jonas Schmidt",
                                          "company": "Kontor GmbH", "vat": "DE123456788"})
        self.assertEqual(sale.fiscal_position_id, self.fiscal_positions["EU countries (Company)"])
        self.assertEqual(sale.order_line.tax_ids.mapped("amount"), [0.0])
        self.assertEqual((sale.amount_total, sale.amount_tax), (338.84, 0.0))

    def test_buyer_outside_the_eu_is_export_at_zero(self):
        sale = self.import_sale(2005, [line("0", price="100.00")], country="NO", currency="EUR")
        self.assertEqual(sale.fiscal_position_id, self.fiscal_positions["3rd countries (Company / Private)"])
        self.assertEqual(sale.order_line.tax_ids.mapped("amount"), [0.0])
        self.assertEqual((sale.amount_total, sale.amount_tax), (100.0, 0.0))

    def test_untaxed_line_stays_untaxed(self):
        sale = self.import_sale(2006, [line("25", price="125.00"),
                                       {"kind": "shipping", "name": "Own courier", "qty": "1", "price": "40.00",
                                        "rate": "0"}])
        shipping = sale.order_line.filtered(lambda l: l.product_id == self.backend.shipping_product_id)
        self.assertFalse(shipping.tax_ids)
        self.assertEqual((sale.amount_total, sale.amount_tax), (165.0, 25.0))

    def test_tax_mapping_stays_an_explicit_override(self):
        export_zero = self.fiscal_positions["3rd countries (Company / Private)"].tax_ids.filtered(
            lambda t: t.amount == 0)[:1]
        self.env["shop.sync.mapping"].create({
            "backend_id": self.backend.id, "mapping_type": "tax", "country_id": self.env.ref("base.nl").id,
            "tax_rate": 21, "tax_id": export_zero.id})
        sale = self.import_sale(2007, [line("21", price="338.84")], country="NL", currency="EUR", total="338.84")
        self.assertEqual(sale.order_line.tax_ids, export_zero)


@tagged("post_install", "-at_install", "shop_sync")
class TestBadTaxInput(ShopSyncCase):
    """One clear log naming the order and the cause, nothing half-written, the event kept and imported on
    Retry once the cause is fixed."""

    def counts(self):
        return {model: self.env[model].search_count([]) for model in
                ("sale.order", "res.partner", "shop.sync.binding")}

    def store(self, payload):
        return self.env["shop.sync.event"]._store(self.backend, "webhook", "order", payload, adapter=self.adapter)

    def assert_refused(self, event, *fragments):
        before = self.counts()
        event._process()
        self.assertEqual(event.state, "error")
        self.assertEqual(len(event.log_ids), 1)
        for fragment in fragments:
            self.assertIn(fragment, event.log_ids.message)
        self.assertEqual(self.counts(), before, "no customer, sale order or binding is left")

    def test_rate_unlike_the_destination_is_refused_and_names_order_country_position_and_rates(self):
        event = self.store(order_payload(3001, lines=[line("25")], country="DE", currency="EUR",
                                         email="privat@example.de"))
        self.assert_refused(event, "Order 3001", "25% VAT for Germany", "'OSS B2C Germany'", "to 19%")
        # fixed in Odoo: an explicit tax mapping (Germany, 25 %) -> the Danish 25 % tax; Retry replays the event
        self.env["shop.sync.mapping"].create({
            "backend_id": self.backend.id, "mapping_type": "tax", "country_id": self.env.ref("base.de").id,
            "tax_rate": 25, "tax_id": self.company.account_sale_tax_id.id})
        event.log_ids.action_retry()
        self.assertEqual(event.state, "done")
        self.assertAlmostEqual(self.sale_for(3001).amount_tax, 82.0)

    def test_unknown_country_code_is_refused(self):
        event = self.store(order_payload(3002, lines=[line("25")], country="XX", email="who@example.com"))
        self.assert_refused(event, "Order 3002", "country code 'XX'")

    def test_invalid_vat_number_gets_no_reverse_charge(self):
        customer = {"email": "einkauf@kontor.example", "name": "Jonas Schmidt", "company": "Kontor GmbH",
                    "vat": "DE12345"}
        event = self.store(order_payload(3003, lines=[line("0")], country="DE", currency="EUR", customer=customer))
        self.assert_refused(event, "Order 3003", "VAT number DE12345 is not valid", "reverse charge")
        # fixed in the shop: its next delivery of the order imports it, with reverse charge
        fixed = self.store(order_payload(3003, lines=[line("0")], country="DE", currency="EUR",
                                         customer={**customer, "vat": "DE123456788"}))
        fixed._process()
        self.assertEqual(fixed.state, "done", fixed.log_ids.message)
        self.assertEqual(self.sale_for(3003).fiscal_position_id, self.fiscal_positions["EU countries (Company)"])


@tagged("post_install", "-at_install", "shop_sync")
class TestTaxRounding(ShopSyncCase):
    """7 % of 33 × 16.50 = 38.115: the shop rounds each line (38.12 + 38.12), a company rounding globally
    gets 76.23 and a total a cent off; the backend says why, and Odoo agrees once it rounds per line."""

    LINES = [{"name": "Mug", "sku": "MUG-1", "qty": "33", "price": "16.50", "rate": "7"}] * 2

    def setUp(self):
        super().setUp()
        self.startPatcher(patch.object(MemoryShopAdapter, "TAX_ROUNDING", "round_per_line"))
        tax7 = self.env["account.tax"].create({
            "name": "VAT 7% excl.", "amount": 7, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_excluded", "company_id": self.company.id})
        self.env["shop.sync.mapping"].create({"backend_id": self.backend.id, "mapping_type": "tax",
                                              "tax_rate": 7, "tax_id": tax7.id})

    def test_global_rounding_is_named_as_the_cause_and_per_line_agrees(self):
        self.company.tax_calculation_rounding_method = "round_globally"
        self.assertIn("Rounding method", self.backend.tax_rounding_warning)
        payload = order_payload(4001, lines=self.LINES, prices_include_tax=False, total="1165.24")
        log = self.import_order(payload)
        self.assertEqual(log.state, "error")
        self.assertIn("Totals differ", log.message)
        self.assertIn("rounds taxes 'Round per Tax' but No connector rounds 'Round per Line'", log.message)
        self.assertNotIn("Check the tax mappings", log.message)
        self.company.tax_calculation_rounding_method = "round_per_line"
        self.assertFalse(self.backend.tax_rounding_warning)
        log = self.import_order(payload)
        self.assertEqual(log.state, "done", log.message)
        self.assertEqual(self.sale_for(4001).amount_tax, 76.24)


@tagged("post_install", "-at_install", "shop_sync")
class TestViesConfirmation(ShopSyncCase):
    """With Odoo's VIES check of VAT numbers on (base_vat), a business buyer gets reverse charge only once VIES
    confirms its number: an order the shop booked as reverse charge waits for that instead of being booked as
    an untaxed sale in the buyer's country, and a buyer Odoo knows unconfirmed is asked about again."""

    CUSTOMER = {"email": "einkauf@kontor.example", "name": "Jonas Schmidt", "company": "Kontor GmbH",
                "vat": "DE123456788"}

    def setUp(self):
        super().setUp()
        self.company.vat_check_vies = True

    def vies(self, **behaviour):
        return patch("odoo.addons.base_vat.models.res_partner.check_vies", **behaviour)

    def store(self, number, rate="0", price="338.84"):
        payload = order_payload(number, lines=[line(rate, price=price)], country="DE", currency="EUR",
                                customer=self.CUSTOMER, total=price)
        return self.env["shop.sync.event"]._store(self.backend, "webhook", "order", payload, adapter=self.adapter)

    def test_reverse_charge_order_waits_for_vies_and_retry_asks_again(self):
        event = self.store(5001)
        partners = self.env["res.partner"].search_count([])
        with self.vies(side_effect=OSError("VIES is down")):
            event._process()
        self.assertEqual(event.state, "error")
        for fragment in ("Order 5001", "VIES has not confirmed the VAT number DE123456788 of Kontor GmbH",
                         "19% VAT for Germany", "'OSS B2C Germany'", "Retry asks it again"):
            self.assertIn(fragment, event.log_ids.message)
        self.assertFalse(self.sale_for(5001))
        self.assertEqual(self.env["res.partner"].search_count([]), partners, "no customer is left")
        with self.vies(return_value={"valid": True}) as vies:
            event.log_ids.action_retry()
        self.assertEqual(event.state, "done")
        vies.assert_called()
        sale = self.sale_for(5001)
        self.assertEqual(sale.fiscal_position_id, self.fiscal_positions["EU countries (Company)"])
        self.assertEqual((sale.amount_total, sale.amount_tax), (338.84, 0.0))

    def known_unconfirmed_buyer(self, vat="DE123456788", country="base.de", email="einkauf@kontor.example"):
        """Kontor GmbH and its buyer, known since yesterday, with a VAT number VIES never confirmed."""
        self.company.vat_check_vies = False
        kontor = self.env["res.partner"].create({"name": "Kontor GmbH", "is_company": True, "vat": vat,
                                                 "country_id": self.env.ref(country).id})
        jonas = self.env["res.partner"].create({"name": "Jonas Schmidt", "email": email, "parent_id": kontor.id})
        self.assertFalse(kontor.vies_valid)
        # known since yesterday: not created by the import (which asks VIES about a new buyer itself)
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET create_date = create_date - interval '1 day' WHERE id IN %s",
                            [(kontor.id, jonas.id)])
        (kontor | jonas).invalidate_recordset(["create_date"])
        self.company.vat_check_vies = True
        return kontor

    def test_known_buyer_unconfirmed_before_the_check_was_on_is_asked_again(self):
        kontor = self.known_unconfirmed_buyer()
        with self.vies(return_value={"valid": True}) as vies:
            self.store(5002)._process()
        vies.assert_called_once_with("DE123456788", timeout=10)
        self.assertTrue(kontor.vies_valid)
        self.assertEqual(self.sale_for(5002).fiscal_position_id, self.fiscal_positions["EU countries (Company)"])

    def test_vies_is_asked_once_per_job_about_a_known_buyer(self):
        self.known_unconfirmed_buyer()
        events = self.store(5008) | self.store(5009)
        with self.vies(side_effect=OSError("VIES is down")) as vies:
            events._process()
        vies.assert_called_once()
        self.assertEqual(events.mapped("state"), ["error", "error"])
        self.assertTrue(all("VIES has not confirmed" in event.log_ids.message for event in events))

    def test_vies_is_not_asked_about_a_buyer_outside_the_eu(self):
        self.known_unconfirmed_buyer(vat="NO995525828MVA", country="base.no", email="innkjop@kontor.example")
        payload = order_payload(5010, lines=[line("0", price="100.00")], country="NO", currency="EUR", total="100.00",
                                customer={**self.CUSTOMER, "email": "innkjop@kontor.example", "vat": "NO995525828MVA"})
        with self.vies(side_effect=AssertionError("VIES must not be asked")) as vies:
            log = self.import_order(payload)
        vies.assert_not_called()
        self.assertEqual(log.state, "done", log.message)
        export = self.fiscal_positions["3rd countries (Company / Private)"]
        self.assertEqual(self.sale_for(5010).fiscal_position_id, export)

    def test_number_vies_refuses_is_taxed_in_the_buyers_country_when_the_shop_did_so(self):
        with self.vies(return_value={"valid": False}):
            event = self.store(5003, rate="19", price="403.22")
            event._process()
            self.assertEqual(event.state, "done", event.log_ids.message)
            refused = self.store(5004)
            refused._process()
        sale = self.sale_for(5003)
        self.assertEqual(sale.fiscal_position_id.name, "OSS B2C Germany")
        self.assertEqual(sale.order_line.tax_ids.mapped("amount"), [19.0])
        self.assertEqual(refused.state, "error")
        self.assertIn("VIES has not confirmed", refused.log_ids.message)

    def test_vies_is_not_asked_for_a_confirmed_buyer_nor_when_the_check_is_off(self):
        with self.vies(return_value={"valid": True}) as vies:
            self.store(5005)._process()
            self.store(5006)._process()
        vies.assert_called_once()  # when the customer was created; its next order asks nothing
        self.company.vat_check_vies = False
        self.CUSTOMER = {**self.CUSTOMER, "email": "buyer@other.example", "company": "Other GmbH", "vat": "DE129273398"}
        with self.vies(side_effect=AssertionError("VIES must not be asked")) as vies:
            self.store(5007)._process()
        vies.assert_not_called()
        self.assertTrue(all(self.sale_for(number) for number in (5005, 5006, 5007)))
