"""Shopify constants: order states, webhook topics, inventory codes and the field-mapping table."""

from decimal import Decimal

CENT = Decimal("0.01")
# stamped on each product the hub creates: after an uncertain productCreate (no SKU yet, the
# variants come next) it is how the product is found again
CREATED_TAG = "shop-sync:{sku}"
ORDER_STATES = [
    ("PENDING", "Payment pending"),
    ("AUTHORIZED", "Payment authorized"),
    ("PARTIALLY_PAID", "Partially paid"),
    ("PAID", "Paid"),
    ("PARTIALLY_REFUNDED", "Partially refunded"),
    ("REFUNDED", "Refunded"),
    ("VOIDED", "Voided"),
    ("EXPIRED", "Expired"),
    ("CANCELLED", "Cancelled"),
]
DEFAULT_ALLOWED_STATES = ["PAID", "PARTIALLY_REFUNDED"]
PAID_STATES = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})
WEBHOOK_TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "REFUNDS_CREATE", "PRODUCTS_CREATE", "PRODUCTS_UPDATE")
ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/paid", "orders/cancelled",
                          "orders/fulfilled", "orders/partially_fulfilled", "orders/edited"})
REFUND_TOPIC = "refunds/create"  # the payload is a refund: its order is read again
RESTOCKING = frozenset({"RETURN", "CANCEL", "LEGACY_RESTOCK"})
PRODUCT_TOPICS = frozenset({"products/create", "products/update"})
DEFAULT_OPTION = ("Title", "Default Title")
KILOGRAMS_PER = {"KILOGRAMS": Decimal(1), "GRAMS": Decimal("0.001"), "POUNDS": Decimal("0.45359237"),
                 "OUNCES": Decimal("0.028349523125")}
VAT_ATTRIBUTES = ("vat_number", "vat", "vat_id")
STALE = "COMPARE_QUANTITY_STALE"

FIELD_MAPPING = (
    ("Order.name", "Sale order: Customer reference, Shop order number", "#1001"),
    ("Order.displayFinancialStatus / cancelledAt", "Shop order state",
     "CANCELLED when cancelled, else the financial status; checked against the allowed states"),
    ("Order.presentmentCurrencyCode", "Currency / pricelist", "the buyer's currency (multi-currency orders)"),
    ("Order.createdAt", "Order date", ""),
    ("Order.email, customer.firstName/lastName/phone", "Customer (matched by e-mail)", ""),
    ("billingAddress.company / customer.defaultAddress.company", "Company of the customer",
     "empty: a private person"),
    ("Order.customAttributes vat_number", "Company VAT number", ""),
    ("billingAddress / shippingAddress (countryCodeV2)", "Invoice / delivery address", ""),
    ("Order.paymentGatewayNames[0]", "Shop payment method", "payment method mapping"),
    ("lineItems.sku, quantity", "Order line product (by Internal reference), quantity", ""),
    ("lineItems.discountedUnitPriceSet.presentmentMoney", "Order line unit price",
     "VAT included when Order.taxesIncluded"),
    ("lineItems.taxLines.ratePercentage", "Order line taxes",
     "the buyer's fiscal position, checked against this rate; or the tax mapping; 0 % when the line is not "
     "taxable or the order taxExempt"),
    ("Order.processedAt (paid orders)", "Accounting date", "when the backend dates by payment"),
    ("lineItems without variant and SKU", "Fee line", "e.g. gift wrapping, custom items"),
    ("shippingLines.code / title, originalPriceSet", "Shipping line", "shipping method mapping"),
    ("totalDiscountsSet minus line-level discounts", "Discount lines", "one per VAT rate"),
    ("totalPriceSet.presentmentMoney", "Checked against the order total", "to the cent"),
    ("totalTaxSet.presentmentMoney", "Checked against the order's VAT", "to the cent"),
    ("Product.title", "Product name", ""),
    ("Product.descriptionHtml", "Sales description", ""),
    ("Product.collections (custom, by title)", "Product category",
     "the custom collection titled like the product type, else the first custom one, else productType; "
     "export: productType and collectionAddProducts to the collection of that name (never created: logged)"),
    ("Product.productType", "Product category (name)", "exported as the category name"),
    ("Product.status = ACTIVE", "Can be sold", "DRAFT / ARCHIVED: not for sale"),
    ("Product.vendor", "Vendor / brand", "field rules"),
    ("Product.tags", "Product tags", "the hub's own shop-sync: tag stays in Shopify only"),
    ("ProductVariant.inventoryPolicy (CONTINUE)", "Backorders allowed", "any variant; exported to every variant"),
    ("Product.featuredMedia (READY)", "Product image",
     "downloaded when it changes; exported as Odoo's image address (with an access token) that Shopify downloads, "
     "added to the media and moved first"),
    ("ProductVariant.sku", "Internal reference", "products are matched by SKU"),
    ("ProductVariant.selectedOptions", "Attribute values", "none for the 'Default Title' variant"),
    ("ProductVariant.price", "Sales price", ""),
    ("ProductVariant.barcode", "Barcode", ""),
    ("inventoryItem.measurement.weight", "Weight (kg)", "0 is treated as not set"),
    ("inventoryItem.id + location (the backend's, or each mapped shop location)", "Variant binding / stock level",
     "inventorySetQuantities 'available' with compareQuantity"),
)


# fulfillment orders that can still ship, and fulfillments that stand (FulfillmentOrderStatus /
# FulfillmentStatus in the 2025-01 schema)
FULFILLABLE_STATUSES = ("OPEN", "IN_PROGRESS")
LIVE_FULFILLMENT_STATUSES = ("PENDING", "OPEN", "SUCCESS")
