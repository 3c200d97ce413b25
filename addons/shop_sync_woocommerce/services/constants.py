"""WooCommerce constants: order states, webhook topics, meta keys and the field-mapping table."""

import re
from decimal import Decimal

ORDER_STATES = [
    ("pending", "Pending payment"),
    ("processing", "Processing"),
    ("on-hold", "On hold"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
    ("refunded", "Refunded"),
    ("failed", "Failed"),
]
WEBHOOK_TOPICS = ("order.created", "order.updated", "product.created", "product.updated")
IMPORTED_TYPES = ("simple", "variable")
# meta entry on each product the hub creates (value: its first SKU), to find it again after an
# uncertain create when it has no SKU of its own (a variable product's SKUs are its variations')
CREATED_META = "shop_sync_created"
VARIATIONS_KEY = "shop_sync_variations"  # full variations embedded in a polled variable product
REFUNDS_KEY = "shop_sync_refunds"  # full refunds embedded in a fetched order
REFUNDED_ITEM_META, RESTOCKED_META = "_refunded_item_id", "_restock_refunded_items"
VAT_META_KEYS = ("_billing_vat_number", "_vat_number", "vat_number", "_billing_vat")
ZERO = Decimal(0)
TRACKING_META = "_wc_shipment_tracking_items"  # WooCommerce Shipment Tracking's order meta
DELIVERY_REFERENCE = re.compile(r"\(ref\. ([^()]+)\)$")

FIELD_MAPPING = (
    ("order.number", "Sale order: Customer reference, Shop order number", ""),
    ("order.status", "Sale order: Shop order state", "checked against the allowed states"),
    ("order.date_created_gmt", "Sale order: Order date", "the accounting date in the company's time zone"),
    ("order.date_paid_gmt", "Sale order: Accounting date", "when the backend dates by payment"),
    ("order.currency", "Sale order: Pricelist currency", "the currency must be active"),
    ("order.payment_method", "Sale order: Shop payment method", "payment method mapping"),
    ("order.customer_note", "Sale order: Terms and conditions / note", ""),
    ("order.billing.email", "Customer: E-mail", "customers are matched by e-mail"),
    ("order.billing.first_name + last_name", "Customer: Name", ""),
    ("order.billing.company", "Customer: parent company", "empty: a private person"),
    ("order.meta_data._billing_vat_number", "Company: Tax ID", ""),
    ("order.billing.address_1/2, postcode, city, country", "Customer: Address", ""),
    ("order.shipping.*", "Sale order: Delivery address", "a delivery contact when it differs"),
    ("line_items[].sku", "Order line: Product (Internal reference)", ""),
    ("line_items[].quantity", "Order line: Quantity", ""),
    ("line_items[].subtotal + subtotal_tax", "Order line: Unit price × quantity",
     "net subtotal when prices_include_tax is false"),
    ("line_items[].taxes (with an amount) → tax_lines[].rate_percent", "Order line: Taxes",
     "the buyer's fiscal position, checked against this rate; or the tax mapping"),
    ("shipping_lines[].method_id", "Shipping line: Product", "shipping method mapping, else the shipping product"),
    ("shipping_lines[].total + total_tax", "Shipping line: Unit price", ""),
    ("fee_lines[].name, total + total_tax", "Fee line: Description, Unit price", "gift wrapping, payment fees"),
    ("coupon_lines[].code, discount + discount_tax", "Discount line: Description, Unit price",
     "one line per tax rate"),
    ("order.total", "Sale order: Total", "checked to the cent"),
    ("product.name", "Product: Name", "field rules"),
    ("product.sku / variations[].sku", "Product variant: Internal reference", "products are matched by SKU"),
    ("product.regular_price / variations[].regular_price", "Product: Sales price",
     "with VAT when the backend says so; converted with the Odoo product's taxes"),
    ("product.description", "Product: Sales description", "HTML to text"),
    ("product.categories[0].name", "Product: Product category",
     "created under the backend's parent when missing; exported by name to an existing shop category"),
    ("product.short_description", "Product: Short description", "HTML to text; exported as HTML"),
    ("product.tags[].name", "Product: Tags", "exported by id, a missing shop tag is created"),
    ("product/variation backorders (no / notify / yes)", "Product: Backorders allowed",
     "only kept by WooCommerce when it manages the stock"),
    ("product/variation dimensions (length, width, height)", "Product: Dimensions (cm)",
     "the shop's dimension unit must be cm; one size per product in Odoo"),
    ("(none)", "Product: Vendor / brand", "WooCommerce core has no vendor field"),
    ("product.images[0].src", "Product: Image", "downloaded when it changes; exported as Odoo's image address "
     "(with an access token) that WooCommerce downloads; further images stay in the shop"),
    ("product.weight / variations[].weight", "Product variant: Weight", "kg"),
    ("product.global_unique_id", "Product variant: Barcode", "GTIN/EAN"),
    ("product.status (publish/draft)", "Product: Can be sold", "flow 3 creates draft or publish"),
    ("variations[].attributes[].name/option", "Product variant: Attribute values", ""),
    ("product/variation stock_quantity", "Product variant: Free quantity of the warehouse",
     "written with manage_stock true, rounded down"),
)

