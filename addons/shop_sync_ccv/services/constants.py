"""CCV constants: order statuses, webhook events, resource paths and the field-mapping table."""

from decimal import Decimal

LOOKBACK_DAYS = 30
# an order's credit invoices (CCV's refunds), embedded in its payload by the adapter so the inbox sees a new one
CREDIT_INVOICES_KEY = "shop_sync_credit_invoices"
CREDIT_TYPE = "credit"  # an invoice's ``type``: "either an debit or credit invoice"
DEFAULT_VAT_RATE = Decimal("21")
#: CCV order statuses (``status`` 1..14)
ORDER_STATUSES = [
    (1, "New"), (2, "In process"), (3, "Wait for manufacturer"), (4, "Wait for payment"), (5, "Sent"),
    (6, "Delivered"), (7, "Completed"), (8, "Cancelled"), (9, "Wait for supplier"), (10, "Is being packaged"),
    (11, "Ready to be collected"), (12, "Is being assembled"), (13, "Backorder"), (14, "Reserved"),
]
#: allowed on a new backend: "In process" (CCV's paid state) and every later, not cancelled step
#: of fulfilment.  Not allowed: 1 New and 4 Wait for payment (unpaid), 8 Cancelled, 14 Reserved.
SENT, DELIVERED, COMPLETED = 5, 6, 7
SHIPPED_STATUSES = (SENT, DELIVERED, COMPLETED)
DEFAULT_ALLOWED_STATUSES = (2, 3, 5, 6, 7, 9, 10, 11, 12, 13)
#: CCV's API has no refund resource (the SDK's endpoints list none): a refunded order is set to 8 Cancelled,
#: which cancels an imported order in Odoo and reverses its invoice (deleted draft or credit note)
CANCEL_STATUSES = (8,)
WEBHOOK_EVENTS = ("orders.created", "orders.updated", "products.created", "products.updated")
PRODUCT_PATH, COMBINATION_PATH = "products", "attributecombinations"
#: the product's collections read with it (``expand`` of GET /products and /products/{id}, as CCV's API docs
#: list them; generated into jacobdekeizer/ccvshop-client src/Parameters/Products/Concerns/ExpandableProductFields.php)
PRODUCT_EXPAND = "attributecombinations,productphotos,producttocategories"

FIELD_MAPPING = (
    ("order.ordernumber_full / ordernumber", "sale.order Shop order number, Customer reference", ""),
    ("order.status", "sale.order Shop order state", "1..14; checked against the allowed states"),
    ("order.create_date", "sale.order Order date", ""),
    ("order.currency", "sale.order Pricelist currency", "must be active in Odoo"),
    ("order.total_price", "sale.order Total", "checked to the cent"),
    ("order.paymethod", "sale.order Shop payment method", "payment method mapping"),
    ("customer.email", "res.partner E-mail", "partner matched by e-mail"),
    ("billingaddress.first_name + last_name", "res.partner Name", ""),
    ("customer.customertype b2b / billingaddress.company", "res.partner Company (parent)", "b2c: private person"),
    ("customer.btw", "res.partner VAT", "companies"),
    ("billingaddress.address_line_1 / street + housenumber", "res.partner Street", ""),
    ("billingaddress.zipcode, city, country_code", "res.partner Zip, City, Country", ""),
    ("billingaddress.telephone / mobile", "res.partner Phone", ""),
    ("deliveryaddress.*", "Delivery address (child contact)", "empty: same as billing"),
    ("orderrow.sub_sku_number / product_number", "sale.order.line Product (by Internal reference)", ""),
    ("orderrow.count", "sale.order.line Quantity", ""),
    ("orderrow.price - discount", "sale.order.line Unit price", "incl. VAT, per unit"),
    ("orderrow.tax", "sale.order.line Taxes", "rate; tax mapping per country"),
    ("order.total_shipping @ shipping_tax_percentage", "Shipping line", "code: deliver_method"),
    ("order.paymethod_costs, extra_costs", "Fee lines", ""),
    ("order.total_discounts", "Discount line", "at shipping_tax_percentage"),
    ("product.productnumber", "product.template Internal reference", "simple products"),
    ("product.name", "product.template Name", ""),
    ("product.description", "product.template Sales description", ""),
    ("product.shortdescription", "product.template Short description", "HTML to text; exported as HTML"),
    ("product.brand.name / brand_id", "product.template Vendor / brand",
     "export: the brand of that name (brands resource), created when missing"),
    ("product.price", "product.template Sales price", "incl. VAT; converted with the Odoo product's taxes"),
    ("product.vatrate", "product.template Sales taxes (their rate)",
     "Odoo -> CCV on create and update (VAT rate rule); created without sales taxes: the backend's fallback rate"),
    ("product.eannumber", "product.product Barcode", "simple products"),
    ("product.weight", "product.product Weight", "kg"),
    ("product producttocategories -> categories.name", "product.template Category",
     "the webshop category named like maincategory, else the first, else maincategory; export: maincategory "
     "and POST /producttocategories to the category of that name (never created: logged)"),
    ("product.maincategory", "product.template Category (name)", "text for exports and searches"),
    ("productphotos (is_mainphoto).deeplink", "product.template Image",
     "downloaded when it changes; exported as a new main photo (base64 source) when Odoo's image changes"),
    ("product.active", "product.template Can be sold", ""),
    ("attributecombination.sku_number", "product.product Internal reference", "variants"),
    ("attributecombination.combination[attribute, attribute_value]", "product.product Attributes", ""),
    ("attributecombination.ean_number", "product.product Barcode", "variants"),
    ("attributecombination.stock / product.stock", "Free quantity of the warehouse", "Odoo -> CCV"),
)
