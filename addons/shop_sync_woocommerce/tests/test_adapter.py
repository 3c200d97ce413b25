from decimal import Decimal

from odoo.tests import BaseCase, tagged

from odoo.addons.shop_sync_base.services.adapter import WebhookRejected
from odoo.addons.shop_sync_base.services.signatures import hmac_base64
from odoo.addons.shop_sync_woocommerce.services.adapter import WooCommerceAdapter, is_ping


def order(**changes):
    """A wc/v3 order with prices excluding tax, two tax rates and a coupon spread over both."""
    payload = {
        "id": 727, "number": "727", "status": "processing", "currency": "EUR", "prices_include_tax": False,
        "date_created_gmt": "2026-01-05T10:00:00", "date_modified_gmt": "2026-01-05T11:00:00",
        "date_paid_gmt": "2026-01-05T10:01:00", "payment_method": "bacs", "customer_id": 0,
        "billing": {"first_name": "Anna", "last_name": "Jensen", "company": "", "email": "anna@example.com",
                    "address_1": "Main 1", "postcode": "8000", "city": "Aarhus", "country": "DK"},
        "shipping": {"first_name": "Anna", "last_name": "Jensen", "address_1": "Main 1", "country": "DK"},
        "line_items": [
            {"id": 1, "name": "Mug", "sku": "MUG", "quantity": 2, "subtotal": "100.00", "subtotal_tax": "25.00",
             "total": "90.00", "total_tax": "22.50", "taxes": [{"id": 1, "total": "22.5", "subtotal": "25"}]},
            {"id": 2, "name": "Book", "sku": "BOOK", "quantity": 1, "subtotal": "50.00", "subtotal_tax": "0.00",
             "total": "45.00", "total_tax": "0.00", "taxes": []},
        ],
        "tax_lines": [{"id": 9, "rate_id": 1, "rate_percent": 25, "tax_total": "22.50", "shipping_tax_total": "2.50"}],
        "shipping_lines": [{"id": 3, "method_id": "flat_rate", "method_title": "GLS", "total": "10.00",
                            "total_tax": "2.50", "taxes": [{"id": 1, "total": "2.5"}]}],
        "fee_lines": [],
        "coupon_lines": [{"id": 4, "code": "TEN", "discount": "15.00", "discount_tax": "2.50"}],
        "total": "170.00", "meta_data": [{"key": "_billing_vat_number", "value": "DK123"}],
    }
    payload.update(changes)
    return payload


@tagged("post_install", "-at_install", "shop_sync")
class TestWooCommerceAdapter(BaseCase):
    def setUp(self):
        super().setUp()
        self.adapter = WooCommerceAdapter({"webhook_secret": "s3cret"})

    def test_order_without_tax_in_prices_and_a_coupon_over_two_rates(self):
        record = self.adapter.parse_order(order())
        self.assertFalse(record.prices_include_tax)
        lines = [(line.kind, line.sku or line.name, line.quantity, line.unit_price, line.tax_rate)
                 for line in record.lines]
        self.assertEqual(lines, [
            ("product", "MUG", 2, Decimal("50.00"), Decimal(25)),
            ("product", "BOOK", 1, Decimal("50.00"), Decimal(0)),
            ("shipping", "GLS", 1, Decimal("10.00"), Decimal(25)),
            ("discount", "Coupon TEN", 1, Decimal("5.00"), Decimal(0)),
            ("discount", "Coupon TEN", 1, Decimal("10.00"), Decimal(25)),
        ])
        self.assertEqual(record.lines[2].code, "flat_rate")
        gross = sum((line.quantity * line.unit_price * (-1 if line.kind == "discount" else 1)
                     * (1 + line.tax_rate / 100) for line in record.lines), Decimal(0))
        self.assertEqual(gross, record.total)
        self.assertEqual((record.customer.vat, record.customer.is_company), ("DK123", False))
        self.assertEqual(record.created_at.isoformat(), "2026-01-05T10:00:00+00:00")
        self.assertEqual(record.updated_at.isoformat(), "2026-01-05T11:00:00+00:00", "date_modified_gmt")

    def test_prices_including_tax_give_gross_lines(self):
        record = self.adapter.parse_order(order(prices_include_tax=True))
        self.assertEqual([line.unit_price for line in record.lines],
                         [Decimal("62.50"), Decimal("50.00"), Decimal("12.50"), Decimal("5.00"), Decimal("12.50")])
        signed = sum((line.quantity * line.unit_price * (-1 if line.kind == "discount" else 1)
                      for line in record.lines), Decimal(0))
        self.assertEqual(signed, record.total)

    def test_company_billing_makes_a_company_customer(self):
        billing = {**order()["billing"], "company": "Hygge ApS"}
        self.assertTrue(self.adapter.parse_order(order(billing=billing)).customer.is_company)

    def test_webhook_signature_and_classification(self):
        body = b'{"id":727,"number":"727"}'
        headers = {"x-wc-webhook-signature": hmac_base64("s3cret", body), "X-WC-Webhook-Topic": "order.updated"}
        self.adapter.verify_webhook(headers, body)
        with self.assertRaises(WebhookRejected):
            self.adapter.verify_webhook(headers, body + b" ")
        with self.assertRaises(WebhookRejected):
            self.adapter.verify_webhook({}, body)
        self.assertEqual(self.adapter.webhook_event(headers, {"id": 727, "number": "727"}), ("order", "727", "727"))
        variation = {"id": 12, "parent_id": 10, "type": "variation", "sku": "TEE-M"}
        self.assertEqual(self.adapter.webhook_event({"X-WC-Webhook-Topic": "product.updated"}, variation),
                         ("product", "10", "TEE-M"))
        self.assertIsNone(self.adapter.webhook_event({"X-WC-Webhook-Topic": "order.deleted"}, {"id": 727}))
        self.assertIsNone(self.adapter.webhook_event({"X-WC-Webhook-Topic": "customer.created"}, {"id": 2}))

    def test_ping_is_recognised(self):
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        self.assertTrue(is_ping(form, {"webhook_id": "7"}))
        self.assertFalse(is_ping(form, {"webhook_id": "x"}))
        self.assertFalse(is_ping({**form, "X-WC-Webhook-Signature": "abc"}, {"webhook_id": "7"}))
        self.assertFalse(is_ping({"Content-Type": "application/json"}, {"webhook_id": "7"}))
