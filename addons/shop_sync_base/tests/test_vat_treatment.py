from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install", "shop_sync")
class TestVatTreatment(TransactionCase):
    """One classification of a sale's VAT for every accounting connector."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.dk")
        cls.mug = cls.env["product.product"].create({"name": "Mug", "list_price": 100})

    def sale(self, country, vat=False, ship_to=None):
        buyer = self.env["res.partner"].create({"name": "Buyer", "country_id": self.env.ref(f"base.{country}").id,
                                                "is_company": bool(vat), "vat": vat})
        shipping = buyer
        if ship_to:
            shipping = self.env["res.partner"].create({"name": "Depot", "type": "delivery", "parent_id": buyer.id,
                                                       "country_id": self.env.ref(f"base.{ship_to}").id})
        return self.env["sale.order"].create({"partner_id": buyer.id, "partner_shipping_id": shipping.id,
                                              "order_line": [(0, 0, {"product_id": self.mug.id})]})

    def test_domestic_oss_reverse_charge_and_export(self):
        cases = [
            (self.sale("dk"), ("domestic", "dk")),
            (self.sale("dk", vat="DK12345674"), ("domestic", "dk")),
            (self.sale("nl"), ("oss", "nl")),
            (self.sale("de", vat="DE123456788"), ("reverse_charge", "de")),
            (self.sale("us"), ("export", "us")),
            (self.sale("no", vat="NO123456785"), ("export", "no")),
            # the place of supply of goods is where they are delivered
            (self.sale("dk", ship_to="fr"), ("oss", "fr")),
            (self.sale("se", ship_to="us"), ("export", "us")),
        ]
        for sale, (treatment, code) in cases:
            self.assertEqual(sale._shop_sync_vat_treatment(), (treatment, self.env.ref(f"base.{code}")))
