"""CCV Shop REST API v1 simulator.

Speaks CCV's wire protocol under ``/api/rest/v1/`` for orders, order rows, products, attribute
combinations (variants) and webhooks.  Shapes follow CCV's published resource schemas (field names
as in the official SDK ccvshop/ccvshop-api and the schema-generated PHP client); only the fields a
shop/accounting sync needs are modelled.

Authentication (as CCV): every request carries ``x-public``, ``x-date`` (ISO-8601 UTC; ``Z``,
``+00:00`` and PHP's ``+0000`` accepted) and
``x-hash = hex(HMAC-SHA512(secret, "{public}|{METHOD}|{uri}|{body}|{x-date}"))`` where ``uri`` is
the path plus query string exactly as sent and ``body`` the raw request body (``""`` without one).
``x-date`` may be at most 5 minutes off ``self.clock``.  Refusals are 401 with codes ``401.10``
(header missing), ``401.11`` (unknown public key), ``401.12`` (x-date unreadable or skewed),
``401.13`` (hash mismatch).  Every response carries ``x-date`` and, when the public key is known,
``x-hash`` over ``"{public}|{METHOD}|{uri}|{responseBody}|{x-date}"`` (responses to injected
``error``/``rate_limit`` faults bypass the hooks and are unsigned).

Errors are ``{status, code, developermessage}``: 400.10 invalid input, 404.20 unknown resource,
405.10 method not allowed, 429.10 per method+resource limit, 429.11 total limit, 500.20.
Rate limits count authenticated requests per public key in fixed windows of 60 s of ``self.clock``:
GET 150 per minute, POST/PATCH/PUT/DELETE 100 per minute, refused with 429.10 (resource limit) or
429.11 (total limit) (shared/specs/ccv/FACTS.md, "Limits and errors"; the SDK's RateLimitResourceException
and RateLimitTotalException).  Simulator choices (undocumented): the GET and write limits count per
method and resource (the last non-numeric path segment), the total limit (250 per minute) per public
key over all requests, and a refusal carries ``Retry-After`` (the seconds left in the window).

Embedded collections (``expand``): ``GET /products`` and ``GET /products/{id}`` take ``expand``, a
comma-separated list of the product's collections to embed (CCV's products "expand" parameter,
generated from CCV's API docs into jacobdekeizer/ccvshop-client
``src/Parameters/Products/Concerns/ExpandableProductFields.php``: attributecombinations,
productphotos, producttocategories, productattachments, productkeywords, ...; FACTS.md lists
``expand`` for orders too).  The three this simulator keeps are served; another name is refused
with 400.10.  Without ``expand`` a product links its collections (``{"href"}``), as before.
Simulator choice (undocumented): an embedded collection is the first page of that collection at
CCV's default page size (``{href, start, size, first, previous, next, items}``), ``next`` leading to
the rest, so a client that follows ``next`` reads all of it whatever CCV embeds.

Webhooks: CCV does not publish how the webhook ``key`` protects deliveries; this simulator sends
header ``x-hash = hex(HMAC-SHA512(webhook key, raw body))``.  Bodies follow CCV's observed
notification (``triggered_at``, ``href``, ``id`` plus a few resource fields).  Changes made through
the API or the shop-side Python API fire webhooks; ``seed`` does not.

Amounts are JSON numbers, prices include VAT (``order_row_taxes_included`` true).  Seed states map
to CCV statuses: pending -> 1 New (unpaid), paid -> 2 In process (paid), shipped -> 5 Sent,
completed -> 7 Completed, cancelled -> 8 Cancelled (unpaid), refunded -> 8 Cancelled with
``paid`` true (CCV has no refund status; refunds live in credit invoices, below).

Categories and photos (resources outside the shared facts; their fields as the official SDK
ccvshop/ccvshop-api ``src/Resources`` and the schema-generated client jacobdekeizer/ccvshop-client
``src/Models`` describe them):

* ``shortdescription`` of a product: "Product short description" (Products Post and Patch models,
  jacobdekeizer/ccvshop-client ``src/Models/Products/Products/Patch.php``), HTML like ``description``.
  The product models document no length, width or height (only ``weight`` and a ``package_id``) and
  no tags (``productkeywords``/``meta_keywords`` are search terms); ``ordering_without_stock``
  (backorders) names only its default ``global_setting``: none of them is modelled here.
* ``brands``: ``{id, name}``, ``GET /brands``, ``POST /brands`` with ``name`` (BrandsEndpoint and
  ``src/Models/Brands`` of jacobdekeizer/ccvshop-client).  A product is given one by ``brand_id``
  ("Id of the brand, the brand id are available in the resource brands"; the text ``brand`` is
  "Deprecated. Please use brand_id", Products Patch model) and shows it as ``brand``
  ``{href, id, name}`` (Products resource model ``Brand``); null without one.  Simulator choices
  (undocumented): an unknown ``brand_id`` is refused with 400.10; two brands may share a name.
* ``categories`` (``GET /categories``, ``GET /categories/{id}``): ``id``, ``name``, ``position``,
  ``parentcategory``...  The webshop's category tree, where a product is shown.  A product's own
  ``maincategory`` is only text: "Main category of this product for exports and searches. This
  does not influence the category structure." (Products Patch model).
* ``producttocategories``: a product in a category, ``{id, position, product_id, category_id,
  product_href, category_href}``; ``GET /products/{id}/producttocategories``,
  ``GET /categories/{id}/producttocategories``, ``POST /producttocategories`` with ``category_id``
  and ``product_id`` (ProductToCategory::getPostData), ``DELETE /producttocategories/{id}``.
  Simulator choice (undocumented): a product already in the category is refused with 400.10.
* ``productphotos``: ``{id, filename, alttext, is_mainphoto, deeplink}`` ("Product photo deeplink");
  ``GET /products/{id}/productphotos``, ``GET/DELETE /productphotos/{id}``, ``POST
  /products/{id}/productphotos`` with ``file_type`` ("Photo extension"), ``alttext``, ``source``
  ("Base64 encode image source. Do not include the base64 metadata") and ``is_mainphoto``
  ("Products without a mainphoto will not show a photo in categories").  Simulator choices
  (undocumented): a new main photo makes the others non-main; ``deeplink`` is where the file is
  served (``/Files/photos/<id>.<file_type>``, no signature needed, like a storefront image); a
  ``source`` that is not base64 is refused with 400.10.

Refunds are credit invoices.  CCV's official PHP SDK (ccvshop/ccvshop-api ``src/Endpoints``) has no
refund or invoice endpoint, but CCV's API docs do, as the client generated from them shows
(jacobdekeizer/ccvshop-client ``src/Endpoints/InvoicesEndpoint.php``, ``InvoicerowsEndpoint.php``,
``src/Models/Invoices/Resource/Invoices.php``, ``src/Models/Invoicerows/Resource/Invoicerows.php``,
``src/Parameters/Invoices/All.php``): ``GET /invoices`` (filters ``invoicenumber``, ``ordernumber``,
``invoicenumber_full``, ``ordernumber_full``, ``status`` "paid, unpaid, reimbursed",
``min_create_date``, ``max_create_date``, ``orderby``), ``GET /invoices/{id}`` and
``GET /invoices/{id}/invoicerows``.  An invoice has ``type`` ("Type defines if it either an debit or
credit invoice"), ``status`` ("1. paid. 2. unpaid. 3. reimbursed"), ``ordernumber``, ``create_date``,
``total_price`` / ``total_price_inc_tax`` / ``total_price_exc_tax``, ``total_tax`` ("Total tax amount
on the invoice"), ``total_shipping``, ``shipping_tax_percentage``, ``order`` (a link) and its rows; a
row has ``count``, ``price``, ``discount``, ``tax`` (a percentage, no amount), ``total_price`` and
``orderrow`` (``{"href"}`` of the order row).  ``credit_order`` makes a credit invoice as the back
office's credit does: chosen order rows (a count of each) and the shipping, at the order's prices.
Simulator choices (undocumented): the type is ``"credit"``, a credit invoice's amounts are positive,
its status 3 (reimbursed), its ``total_tax`` the tax inside its rows and shipping rounded once (as the
order's); crediting changes nothing on the order and fires no webhook; debit invoices are not kept,
and the seed's refunds are not made as credit invoices (the seeded shop stays as it was).
"""

import base64
import hashlib
import hmac
import json
import math
import secrets
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from simulators.common import SimulatorApp
from simulators.seed import CENT, COUNTRIES

PUBLIC_KEY = "ccv-sim-public-key"
SECRET_KEY = "ccv-sim-secret-key"
API_PREFIX = "/api/rest/v1"
CLOCK_SKEW_SECONDS = 300
RATE_WINDOW_SECONDS = 60
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
DEFAULT_VAT_RATE = COUNTRIES["DK"][0]  # the merchant's home country

ORDER_STATUSES = {
    1: "New", 2: "In process", 3: "Wait for manufacturer", 4: "Wait for payment", 5: "Sent",
    6: "Delivered", 7: "Completed", 8: "Cancelled", 9: "Wait for supplier", 10: "Is being packaged",
    11: "Ready to be collected", 12: "Is being assembled", 13: "Backorder", 14: "Reserved",
}
# neutral seed state -> (CCV status, paid)
STATE_TO_STATUS = {
    "pending": (1, False), "paid": (2, True), "shipped": (5, True),
    "completed": (7, True), "cancelled": (8, False), "refunded": (8, True),
}
# seed payment method -> (paymethod_id, paymethod, paymethod_label)
PAYMETHODS = {
    "card": (5, "CreditCard", "Credit card"),
    "mobilepay": (12, "MobilePay", "MobilePay"),
    "invoice": (4, "OnAccount", "On account"),
    "bank_transfer": (3, "BankTransfer", "Bank transfer in advance"),
}
WEBHOOK_EVENTS = ("orders.created", "orders.updated", "products.created", "products.updated", "products.deleted")
TAX_TARIFFS = ("normal", "low a", "low b", "extra low", "zero")
COUNTRY_NAMES = {"DK": "Denmark", "DE": "Germany", "NL": "Netherlands", "SE": "Sweden",
                 "US": "United States", "NO": "Norway"}
ERROR_CODES = {400: "400.10", 401: "401.10", 404: "404.20", 405: "405.10", 429: "429.10", 500: "500.20"}

_FIRST_IDS = {"orders": 50001, "orderrows": 70001, "products": 30001, "combinations": 40001,
              "webhooks": 1, "attributes": 101, "attributevalues": 501, "categories": 801,
              "producttocategories": 9001, "productphotos": 60001, "brands": 701, "invoices": 80001,
              "invoicerows": 85001, "invoicenumber": 1}
PHOTO_PATH = "/Files/photos"
_BLANK_ADDRESS = {
    "gender": None, "initials": "", "first_name": "", "last_name": "", "full_name": "", "company": "",
    "address_line_1": "", "address_line_2": "", "street": "", "housenumber": None, "housenumber_suffix": "",
    "zipcode": "", "city": "", "province": "", "country": "", "country_code": None, "telephone": "",
    "fax": "", "mobile": "", "comment": "",
}
_ADDRESS_INPUT = {**{name: "string" for name in _BLANK_ADDRESS},
                  "gender": "nullable string", "country_code": "nullable string", "housenumber": "nullable integer"}
_CUSTOMER_INPUT = {"email": "string", "customertype": "string", "btw": "string", "kvk": "string",
                   "reference": "string", "billingaddress": "object", "deliveryaddress": "object"}
_ORDER_POST = {"customer": "object", "orderrows": "array", "status": "integer", "paid": "boolean",
               "is_completed": "boolean", "currency": "string", "deliver_method": "string",
               "total_shipping": "number", "paymethod_costs": "number", "extra_costs": "number",
               "extra_costs_description": "string", "reservationnumber": "string"}
# Shipping an order (CCV's PATCH /orders/{id} schema, as generated into the PHP client
# jacobdekeizer/ccvshop-client, Models/Orders/Orders/Patch.php): ``status`` 5 "Sent";
# ``track_and_trace_code`` "supplied by shipping party"; ``track_and_trace_carrier`` "represents the
# shipping service"; ``mail`` "if TRUE, notify the customer of the status change", with ``note``
# "appended to the email" and the track and trace code.  ``note`` and ``mail`` are instructions,
# not order fields.  The order resource also has a read-only ``track_and_trace_deeplink`` (seen in
# real order bodies, e.g. bonapp1.ccvshop.nl); how CCV fills it is not documented, so it stays
# empty here.  Order webhooks carry the code and carrier (as observed in real notifications).
_ORDER_PATCH = {"status": "integer", "paid": "boolean", "invoicenumber": "integer", "total_shipping": "number",
                "paymethod_costs": "number", "extra_costs": "number", "extra_costs_description": "string",
                "track_and_trace_code": "string", "track_and_trace_carrier": "string",
                "reservationnumber": "string", "note": "string", "mail": "boolean"}
_ORDERROW_INPUT = {"product_id": "integer", "attribute_combination_id": "integer", "product_name": "string",
                   "product_number": "string", "count": "number", "price": "number", "discount": "number",
                   "tax": "number", "unit": "string", "weight": "number"}
_ORDERROW_PATCH = {"count": "number", "price": "number", "discount": "number"}
_PRODUCT_INPUT = {"productnumber": "string", "active": "boolean", "eannumber": "string", "mpnnumber": "string",
                  "name": "string", "shortdescription": "string", "description": "string", "vatrate": "number",
                  "taxtariff": "string", "price": "number", "discount": "number", "unit": "string",
                  "stockenabled": "boolean", "stock": "number", "stocklocation": "string",
                  "ordering_without_stock": "string", "weight": "number", "maincategory": "string",
                  "brand_id": "integer"}
_COMBINATION_PATCH = {"note": "string", "stock": "number", "product_number": "string", "ean_number": "string",
                      "sku_number": "string", "active": "boolean"}
_BRAND_POST = {"name": "string"}
_PRODUCT_TO_CATEGORY_POST = {"category_id": "integer", "product_id": "integer"}
_PHOTO_POST = {"file_type": "string", "alttext": "nullable string", "source": "string", "is_mainphoto": "boolean"}
_WEBHOOK_POST = {"event": "string", "address": "string", "is_active": "boolean"}
_WEBHOOK_PATCH = {"address": "string", "is_active": "boolean"}
_MONEY_FIELDS = {"price", "discount", "total_shipping", "paymethod_costs", "extra_costs"}

_ORDER_FILTERS = ("ordernumber", "status", "is_paid", "min_create_date", "max_create_date", "is_completed",
                  "paymethod_id", "transaction_id", "orderby")
_ORDER_SORT_FIELDS = ("id", "ordernumber", "create_date")
_INVOICE_FILTERS = ("invoicenumber", "ordernumber", "invoicenumber_full", "ordernumber_full", "status",
                    "min_create_date", "max_create_date", "orderby")
_INVOICE_SORT_FIELDS = ("id", "invoicenumber", "ordernumber", "create_date")
INVOICE_STATUSES = {1: "paid", 2: "unpaid", 3: "reimbursed"}
_PRODUCT_FILTERS = ("productnumber", "eannumber", "productname", "minstock", "maxstock", "active", "orderby",
                    "expand")
#: product collections served embedded on ``expand`` (see the module docstring)
PRODUCT_EXPANDABLE = ("attributecombinations", "productphotos", "producttocategories")
_PRODUCT_SORT_FIELDS = ("id", "name", "createdate", "modifydate")

_TYPE_CHECKS = {
    "string": lambda value: isinstance(value, str),
    "nullable string": lambda value: value is None or isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "nullable integer": lambda value: value is None or (isinstance(value, int) and not isinstance(value, bool)),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
}


# -- signing recipes ------------------------------------------------------------------------------
def _hmac_sha512_hex(key, message):
    return hmac.new(key.encode(), message.encode(), hashlib.sha512).hexdigest()


def sign_request(public, secret, method, uri, body, x_date):
    """CCV request ``x-hash``: HMAC-SHA512 hex of ``public|METHOD|uri|body|x-date``."""
    return _hmac_sha512_hex(secret, "|".join((public, method.upper(), uri, body, x_date)))


def sign_response(public, secret, method, uri, body, x_date):
    """CCV response ``x-hash``: the request recipe over the response body and response ``x-date``."""
    return sign_request(public, secret, method, uri, body, x_date)


def sign_webhook(key, body):
    """This simulator's webhook ``x-hash``: HMAC-SHA512 hex of the raw body with the webhook key."""
    return _hmac_sha512_hex(key, body)


# -- small helpers --------------------------------------------------------------------------------
def _decimal(value):
    return Decimal(str(value))


def _money(value):
    return float(_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def _tax_included(amount, rate):
    return amount * rate / (100 + rate)


def _format_timestamp(moment):
    """``2026-01-05T12:00:00Z`` from epoch seconds or an aware datetime."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_timestamp(text):
    """Aware datetime from ISO-8601 text (naive = UTC), or None when unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _request_uri(request):
    """Path plus query string exactly as the client sent them."""
    return request.environ.get("REQUEST_URI") or request.full_path.rstrip("?")


def _resource_name(path):
    """Rate-limit resource of a path: its last non-numeric segment below the API prefix."""
    names = [segment for segment in path[len(API_PREFIX):].split("/") if segment and not segment.isdigit()]
    return names[-1] if names else ""


def _split_street(line):
    street, _, number = line.rpartition(" ")
    return (street, int(number)) if street and number.isdigit() else (line, None)


def _validated(payload, spec, where, required=()):
    """``payload`` after checking it only has ``spec`` fields of the right JSON type."""
    if not isinstance(payload, dict):
        raise BadRequest(f"{where}: expected a JSON object")
    for name, value in payload.items():
        if name not in spec:
            raise BadRequest(f"{where}: unknown or read-only property '{name}'; allowed: {', '.join(spec)}")
        if not _TYPE_CHECKS[spec[name]](value):
            raise BadRequest(f"{where}: property '{name}' must be of type {spec[name]}")
    missing = [name for name in required if name not in payload]
    if missing:
        raise BadRequest(f"{where}: required property missing: {', '.join(missing)}")
    return payload


def _money_fields(changes):
    return {name: _money(value) if name in _MONEY_FIELDS else value for name, value in changes.items()}


def _parse_int(value, name):
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"Query parameter '{name}' must be an integer") from None


def _parse_number(value, name):
    try:
        return float(value)
    except ValueError:
        raise BadRequest(f"Query parameter '{name}' must be a number") from None


def _parse_bool(value, name):
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise BadRequest(f"Query parameter '{name}' must be true or false")


def _parse_date_bound(value, name, upper):
    """Filter bound from a date or date-time; a date-only upper bound includes that whole day."""
    moment = _parse_timestamp(value)
    if moment is None:
        raise BadRequest(f"Query parameter '{name}' must be an ISO-8601 date or date-time (encode '+' as %2B)")
    if upper and len(value) == 10:
        moment += timedelta(days=1) - timedelta(microseconds=1)
    return moment


def _sorted(records, orderby, fields):
    """Records sorted by ``orderby`` (``field`` or ``field_desc``), by id when None."""
    orderby = orderby or "id"
    field = orderby.removesuffix("_desc")
    if field not in fields:
        raise BadRequest(f"orderby must be one of {', '.join(fields)} (optionally suffixed with _desc)")
    records = sorted(records, key=lambda record: record["id"])
    return sorted(records, key=lambda record: (record[field] is None, record[field] or 0),
                  reverse=orderby.endswith("_desc"))


class CcvSimulator(SimulatorApp):
    """Stateful CCV Shop REST API v1.

    State (dicts keyed by integer id, values are the wire records without ``href`` links):
    ``orders``, ``orderrows``, ``products``, ``combinations`` (attribute combinations) and
    ``webhook_subscriptions`` (``self.webhooks`` is the base class's delivery dispatcher).
    """

    name = "ccv"
    url_map = Map([
        Rule(f"{API_PREFIX}/orders", methods=["GET"], endpoint="list_orders"),
        Rule(f"{API_PREFIX}/orders", methods=["POST"], endpoint="create_order"),
        Rule(f"{API_PREFIX}/orders/<int:order_id>", methods=["GET"], endpoint="get_order"),
        Rule(f"{API_PREFIX}/orders/<int:order_id>", methods=["PATCH"], endpoint="update_order"),
        Rule(f"{API_PREFIX}/orders/<int:order_id>/orderrows", methods=["GET"], endpoint="list_order_rows"),
        Rule(f"{API_PREFIX}/orderrows/<int:row_id>", methods=["GET"], endpoint="get_order_row"),
        Rule(f"{API_PREFIX}/orderrows/<int:row_id>", methods=["PATCH"], endpoint="update_order_row"),
        Rule(f"{API_PREFIX}/invoices", methods=["GET"], endpoint="list_invoices"),
        Rule(f"{API_PREFIX}/invoices/<int:invoice_id>", methods=["GET"], endpoint="get_invoice"),
        Rule(f"{API_PREFIX}/invoices/<int:invoice_id>/invoicerows", methods=["GET"], endpoint="list_invoice_rows"),
        Rule(f"{API_PREFIX}/products", methods=["GET"], endpoint="list_products"),
        Rule(f"{API_PREFIX}/products", methods=["POST"], endpoint="create_product"),
        Rule(f"{API_PREFIX}/products/<int:product_id>", methods=["GET"], endpoint="get_product"),
        Rule(f"{API_PREFIX}/products/<int:product_id>", methods=["PATCH"], endpoint="patch_product"),
        Rule(f"{API_PREFIX}/products/<int:product_id>", methods=["DELETE"], endpoint="delete_product"),
        Rule(f"{API_PREFIX}/products/<int:product_id>/attributecombinations", methods=["GET"],
             endpoint="list_combinations"),
        Rule(f"{API_PREFIX}/attributecombinations/<int:combination_id>", methods=["GET"],
             endpoint="get_combination"),
        Rule(f"{API_PREFIX}/attributecombinations/<int:combination_id>", methods=["PATCH"],
             endpoint="update_combination"),
        Rule(f"{API_PREFIX}/brands", methods=["GET"], endpoint="list_brands"),
        Rule(f"{API_PREFIX}/brands", methods=["POST"], endpoint="create_brand"),
        Rule(f"{API_PREFIX}/categories", methods=["GET"], endpoint="list_categories"),
        Rule(f"{API_PREFIX}/categories/<int:category_id>", methods=["GET"], endpoint="get_category"),
        Rule(f"{API_PREFIX}/categories/<int:category_id>/producttocategories", methods=["GET"],
             endpoint="list_category_products"),
        Rule(f"{API_PREFIX}/products/<int:product_id>/producttocategories", methods=["GET"],
             endpoint="list_product_categories"),
        Rule(f"{API_PREFIX}/producttocategories", methods=["POST"], endpoint="create_product_to_category"),
        Rule(f"{API_PREFIX}/producttocategories/<int:link_id>", methods=["DELETE"],
             endpoint="delete_product_to_category"),
        Rule(f"{API_PREFIX}/products/<int:product_id>/productphotos", methods=["GET"], endpoint="list_photos"),
        Rule(f"{API_PREFIX}/products/<int:product_id>/productphotos", methods=["POST"], endpoint="create_photo"),
        Rule(f"{API_PREFIX}/productphotos/<int:photo_id>", methods=["GET"], endpoint="get_photo"),
        Rule(f"{API_PREFIX}/productphotos/<int:photo_id>", methods=["DELETE"], endpoint="delete_photo"),
        Rule(f"{PHOTO_PATH}/<int:photo_id>.<extension>", methods=["GET"], endpoint="photo_file"),
        Rule(f"{API_PREFIX}/webhooks", methods=["GET"], endpoint="list_webhooks"),
        Rule(f"{API_PREFIX}/webhooks", methods=["POST"], endpoint="create_webhook"),
        Rule(f"{API_PREFIX}/webhooks/<int:webhook_id>", methods=["GET"], endpoint="get_webhook"),
        Rule(f"{API_PREFIX}/webhooks/<int:webhook_id>", methods=["PATCH"], endpoint="update_webhook"),
        Rule(f"{API_PREFIX}/webhooks/<int:webhook_id>", methods=["DELETE"], endpoint="delete_webhook"),
    ], strict_slashes=False)

    def __init__(self, public_key=PUBLIC_KEY, secret_key=SECRET_KEY, get_limit=150, write_limit=100,
                 total_limit=250, ordernumber_prefix=None, shop_url="http://localhost"):
        """``*_limit``: requests per minute (GET per resource, writes per method and resource, all
        together); ``shop_url``: base of the ``href`` in webhook bodies (API responses use the
        request's host)."""
        self.public_key = public_key
        self.secret_key = secret_key
        self.get_limit = get_limit
        self.write_limit = write_limit
        self.total_limit = total_limit
        self.ordernumber_prefix = ordernumber_prefix
        self.shop_url = shop_url.rstrip("/")
        super().__init__()

    # -- SimulatorApp contract -------------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.orders = {}
            self.orderrows = {}
            self.invoices = {}  # credit invoices; their order's id under "_order_id" (not rendered)
            self.invoicerows = {}
            self.products = {}
            self.combinations = {}
            self.webhook_subscriptions = {}
            self.categories = {}
            self.brands = {}
            self.product_categories = {}  # producttocategories: id -> link
            self.photos = {}  # id -> photo record, its bytes under "content"
            self.customer_emails = []  # status mails of PATCH /orders with mail: true
            self._next_ids = dict(_FIRST_IDS)
            self._attribute_ids = {}  # attribute name -> id
            self._attribute_value_ids = {}  # (attribute id, value) -> id
            self._rate_window = None
            self._resource_counts = Counter()  # (public key, method, resource) -> requests this window
            self._total_counts = Counter()  # public key -> requests this window

    def snapshot(self):
        with self.lock:
            return {
                "orders": list(self.orders.values()),
                "orderrows": list(self.orderrows.values()),
                "invoices": list(self.invoices.values()),
                "products": list(self.products.values()),
                "combinations": list(self.combinations.values()),
                "webhooks": list(self.webhook_subscriptions.values()),
            }

    def error_response(self, status, message, code=None):
        code = code or ERROR_CODES.get(status, f"{status}.00")
        return self.json_response({"status": status, "code": code, "developermessage": message}, status=status)

    def rate_limited_response(self, fault):
        response = self.error_response(429, "Too many requests for this resource", code="429.10")
        response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def before_request(self, request):
        if not request.path.startswith(f"{API_PREFIX}/"):
            return None
        return self._authenticate(request) or self._count_request(request)

    def after_request(self, request, response):
        x_date = _format_timestamp(self.clock())
        response.headers["x-date"] = x_date
        public = request.headers.get("x-public")
        if public == self.public_key:
            response.headers["x-hash"] = sign_response(
                public, self.secret_key, request.method, _request_uri(request), response.get_data(as_text=True), x_date)
        return response

    def _authenticate(self, request):
        public, x_date, x_hash = (request.headers.get(name) for name in ("x-public", "x-date", "x-hash"))
        if not (public and x_date and x_hash):
            return self.error_response(401, "Headers x-public, x-date and x-hash are required", code="401.10")
        if public != self.public_key:
            return self.error_response(401, "Unknown public key", code="401.11")
        sent_at = _parse_timestamp(x_date)
        if sent_at is None or abs(self.clock() - sent_at.timestamp()) > CLOCK_SKEW_SECONDS:
            return self.error_response(
                401, f"x-date '{x_date}' is unreadable or more than {CLOCK_SKEW_SECONDS} s off", code="401.12")
        expected = sign_request(public, self.secret_key, request.method, _request_uri(request),
                                request.get_data(as_text=True), x_date)
        if not hmac.compare_digest(expected.encode(), x_hash.strip().lower().encode()):
            return self.error_response(401, "x-hash does not match the request", code="401.13")
        return None

    def _count_request(self, request):
        now = self.clock()
        window = int(now // RATE_WINDOW_SECONDS)
        if window != self._rate_window:
            self._rate_window = window
            self._resource_counts = Counter()
            self._total_counts = Counter()
        public = request.headers["x-public"]
        resource_key = (public, request.method, _resource_name(request.path))
        limit = self.get_limit if request.method in ("GET", "HEAD") else self.write_limit
        if self._resource_counts[resource_key] >= limit:
            refusal = self.error_response(
                429, f"Limit of {limit} {request.method} requests per minute on this resource reached", code="429.10")
        elif self._total_counts[public] >= self.total_limit:
            refusal = self.error_response(
                429, f"Total limit of {self.total_limit} requests per minute reached", code="429.11")
        else:
            self._resource_counts[resource_key] += 1
            self._total_counts[public] += 1
            return None
        refusal.headers["Retry-After"] = str(math.ceil((window + 1) * RATE_WINDOW_SECONDS - now))
        return refusal

    # -- shop-side Python API --------------------------------------------------------------------
    def seed(self, catalogue):
        """Load a seed catalogue (products, then orders) without firing webhooks."""
        with self.lock:
            for seed_product in catalogue.products:
                self._create_seed_product(seed_product)
            for seed_order in catalogue.orders:
                self._create_seed_order(seed_order)

    def add_order(self, seed_order):
        """A new shop order from a ``SeedOrder``; fires ``orders.created``; returns its id."""
        with self.lock:
            order = self._create_seed_order(seed_order)
            self._notify_order("orders.created", order)
            return order["id"]

    def credit_order(self, order_ref, rows=(), shipping=False):
        """A credit invoice of the order (id, else ordernumber), as the back office makes one:
        ``rows`` ``[(sku, count)]`` of its order rows at their prices, and the shipping when
        ``shipping``; returns the invoice id."""
        with self.lock:
            order = self._order_by_ref(order_ref)
            by_sku = {row["sub_sku_number"] or row["product_number"]: row for row in self._rows_of(order["id"])}
            invoice = {
                "id": self._next_id("invoices"), "invoicenumber_prefix": None, "create_date": _format_timestamp(
                    self.clock()), "status": 3, "status_name": INVOICE_STATUSES[3], "type": "credit",
                "ordernumber_prefix": order["ordernumber_prefix"], "ordernumber": order["ordernumber"],
                "ordernumber_full": order["ordernumber_full"], "taxes_included": True,
                "invoice_row_taxes_included": True, "shipping_taxes_included": True,
                "shipping_tax_percentage": order["shipping_tax_percentage"], "currency": order["currency"],
                "total_shipping": order["total_shipping"] if shipping else 0.0, "total_discounts": 0.0,
                "paymethod_costs": 0.0, "extra_costs": 0.0, "_order_id": order["id"],
            }
            number = self._next_id("invoicenumber")
            invoice.update(invoicenumber=number, invoicenumber_full=str(number))
            total = tax = _decimal(invoice["total_shipping"])
            tax = _tax_included(tax, _decimal(invoice["shipping_tax_percentage"]))
            for sku, count in rows:
                row = by_sku[sku]
                credited = {name: row[name] for name in (
                    "product_type", "product_id", "product_name", "product_number", "sub_product_number",
                    "sub_sku_number", "sub_ean_number", "price", "discount", "tax", "selling_price")}
                credited.update(id=self._next_id("invoicerows"), invoice_id=str(invoice["id"]), count=count,
                                total_price=_money(_decimal(row["selling_price"]) * count), _orderrow_id=row["id"])
                self.invoicerows[credited["id"]] = credited
                total += _decimal(credited["total_price"])
                tax += _tax_included(_decimal(credited["total_price"]), _decimal(credited["tax"]))
            invoice.update(total_price=_money(total), total_price_inc_tax=_money(total), total_tax=_money(tax),
                           total_price_exc_tax=_money(total - _decimal(_money(tax))))
            self.invoices[invoice["id"]] = invoice
            return invoice["id"]

    def set_order_status(self, order_ref, status):
        """Set the status of an order (id, else ordernumber) to a CCV status int or a neutral
        seed state (which also sets ``paid``); fires ``orders.updated``."""
        with self.lock:
            order = self._order_by_ref(order_ref)
            if isinstance(status, str):
                changes = dict(zip(("status", "paid"), STATE_TO_STATUS[status]))
            elif status in ORDER_STATUSES:
                changes = {"status": status}
            else:
                raise ValueError(f"unknown CCV order status {status!r}")
            self._change_order(order, changes)

    def add_product(self, seed_product):
        """A new product (with its variants) from a ``SeedProduct``; fires ``products.created``."""
        with self.lock:
            product = self._create_seed_product(seed_product)
            self._notify_product("products.created", product)
            return product["id"]

    def update_product(self, product_ref, **changes):
        """Apply POST/PATCH-style fields (``name``, ``price``, ``active``, ...) to a product (id,
        else productnumber); fires ``products.updated`` when something changed."""
        with self.lock:
            product = self._product_by_ref(product_ref)
            self._change_product(product, _validated(changes, _PRODUCT_INPUT, "update_product"))

    def add_category(self, name, products=()):
        """The merchant adds a webshop category holding ``products`` (ids or productnumbers); returns its id."""
        with self.lock:
            category = {"id": self._next_id("categories"), "name": name, "position": len(self.categories) + 1,
                        "parentcategory": None}
            self.categories[category["id"]] = category
            for reference in products:
                self._link_category(self._product_by_ref(reference), category)
            return category["id"]

    def add_photo(self, product_ref, content, file_type="png", is_mainphoto=True):
        """The merchant uploads a photo of a product (id or productnumber); returns the photo."""
        with self.lock:
            return self._new_photo(self._product_by_ref(product_ref), content, file_type, is_mainphoto)

    def add_brand(self, name):
        """The merchant adds a brand; returns its id."""
        with self.lock:
            brand = {"id": self._next_id("brands"), "name": name}
            self.brands[brand["id"]] = brand
            return brand["id"]

    def categories_of(self, product_ref):
        """Names of the webshop categories a product is in."""
        with self.lock:
            product = self._product_by_ref(product_ref)
            return [self.categories[link["category_id"]]["name"] for link in self.product_categories.values()
                    if link["product_id"] == product["id"]]

    def photos_of(self, product_ref):
        with self.lock:
            product = self._product_by_ref(product_ref)
            return [photo for photo in self.photos.values() if photo["product_id"] == product["id"]]

    def _link_category(self, product, category):
        if any((link["product_id"], link["category_id"]) == (product["id"], category["id"])
               for link in self.product_categories.values()):
            raise BadRequest(f"Product {product['id']} is already in category {category['id']}")
        link = {"id": self._next_id("producttocategories"), "position": 1, "product_id": product["id"],
                "category_id": category["id"]}
        self.product_categories[link["id"]] = link
        return link

    def _new_photo(self, product, content, file_type, is_mainphoto):
        if is_mainphoto:
            for photo in self.photos.values():
                if photo["product_id"] == product["id"]:
                    photo["is_mainphoto"] = False
        photo_id = self._next_id("productphotos")
        photo = {"id": photo_id, "product_id": product["id"], "filename": f"{photo_id}.{file_type}",
                 "alttext": None, "is_mainphoto": is_mainphoto, "file_type": file_type, "content": content}
        self.photos[photo_id] = photo
        product["modifydate"] = _format_timestamp(self.clock())
        return photo

    def set_stock(self, sku, quantity):
        """Set the stock of a variant (by ``sku_number``) or of a simple product (by
        ``productnumber``, which enables stock keeping); fires ``products.updated``."""
        with self.lock:
            combination = next((c for c in self.combinations.values() if c["sku_number"] == sku), None)
            if combination is not None:
                self._change_combination(combination, {"stock": quantity})
            else:
                self._change_product(self._product_by_ref(sku), {"stock": quantity, "stockenabled": True})

    # -- record construction ---------------------------------------------------------------------
    def _next_id(self, kind):
        self._next_ids[kind] += 1
        return self._next_ids[kind] - 1

    def _create_seed_product(self, seed_product):
        first_variant = seed_product.variants[0] if seed_product.variants else None
        product = self._new_product({
            "productnumber": seed_product.sku, "name": seed_product.title, "description": seed_product.description,
            "price": seed_product.price, "active": seed_product.published, "maincategory": seed_product.category,
            "stockenabled": seed_product.has_variants,
            "stock": sum(variant.stock for variant in seed_product.variants),
            "weight": float(first_variant.weight_kg) if first_variant else 0.0,
        })
        for variant in seed_product.variants:
            self._new_combination(product, variant)
        return product

    def _new_product(self, fields):
        now = _format_timestamp(self.clock())
        product = {
            "id": self._next_id("products"), "is_active": True, "createdate": now, "modifydate": now,
            "productnumber": "", "eannumber": "", "mpnnumber": "", "name": "", "shortdescription": "",
            "description": "", "vatrate": float(DEFAULT_VAT_RATE), "taxtariff": "normal", "price": 0.0,
            "discount": 0.0, "unit": "", "stockenabled": False, "stock": 0, "stocklocation": "",
            "ordering_without_stock": "global_setting", "weight": 0.0, "maincategory": "", "is_visible": True,
            "brand_id": None,
        }
        self._apply_product_fields(product, fields)
        self.products[product["id"]] = product
        return product

    def _new_combination(self, product, variant):
        combination = []
        for attribute, value in variant.options.items():
            if attribute not in self._attribute_ids:
                self._attribute_ids[attribute] = self._next_id("attributes")
            attribute_id = self._attribute_ids[attribute]
            if (attribute_id, value) not in self._attribute_value_ids:
                self._attribute_value_ids[attribute_id, value] = self._next_id("attributevalues")
            value_id = self._attribute_value_ids[attribute_id, value]
            combination.append({"attribute": {"id": attribute_id, "name": attribute},
                                "attribute_value": {"id": value_id, "name": value}, "extra_price": 0.0})
        record = {
            "id": self._next_id("combinations"), "product_id": product["id"],
            "note": ", ".join(f"{attribute}: {value}" for attribute, value in variant.options.items()),
            "stock": variant.stock, "netto_extra_price": _money(_decimal(variant.price) - _decimal(product["price"])),
            "ordering_without_stock": "global_setting", "product_number": variant.sku,
            "ean_number": variant.barcode or "", "sku_number": variant.sku, "active": True,
            "combination": combination,
        }
        self.combinations[record["id"]] = record

    def _create_seed_order(self, seed_order):
        number = int(seed_order.number)
        if any(order["ordernumber"] == number for order in self.orders.values()):
            raise ValueError(f"ordernumber {number} already exists")
        status, paid = STATE_TO_STATUS[seed_order.state]
        paymethod_id, paymethod, paymethod_label = PAYMETHODS[seed_order.payment_method]
        order = self._new_order(number, {
            "create_date": _format_timestamp(seed_order.created_at), "status": status, "paid": paid,
            "paymethod_id": paymethod_id, "paymethod": paymethod, "paymethod_label": paymethod_label,
            "deliver_method": "pickup" if seed_order.shipping_method == "Pickup" else "shipping",
            "currency": seed_order.currency, "shipping_tax_percentage": float(seed_order.tax_rate),
            "total_shipping": _money(seed_order.shipping_amount), "paymethod_costs": _money(seed_order.fee_amount),
            "total_discounts": _money(seed_order.discount_amount), "customer": self._seed_customer(seed_order.customer),
        })
        for line in seed_order.lines:
            combination = next((c for c in self.combinations.values() if c["sku_number"] == line.sku), None)
            product_id = combination["product_id"] if combination else next(
                (p["id"] for p in self.products.values() if p["productnumber"] == line.sku), None)
            fields = {"count": line.quantity, "price": line.unit_price, "tax": line.tax_rate}
            if product_id is None:
                fields.update(product_name=line.name, product_number=line.sku)
            self._new_orderrow(order, product_id, combination, fields)
        self._recalculate(order)
        return order

    @staticmethod
    def _seed_customer(customer):
        street, housenumber = _split_street(customer.address.street)
        address = {
            **_BLANK_ADDRESS, "first_name": customer.first_name, "last_name": customer.last_name,
            "full_name": f"{customer.first_name} {customer.last_name}", "company": customer.company or "",
            "address_line_1": customer.address.street, "street": street, "housenumber": housenumber,
            "zipcode": customer.address.zip, "city": customer.address.city,
            "country": COUNTRY_NAMES.get(customer.address.country, customer.address.country),
            "country_code": customer.address.country, "telephone": customer.phone,
        }
        return {"billingaddress": address, "deliveryaddress": dict(address), "email": customer.email,
                "customertype": "b2b" if customer.company else "b2c", "btw": customer.vat_number or "",
                "kvk": "", "reference": ""}

    def _new_order(self, ordernumber, fields):
        order = {
            "id": self._next_id("orders"), "ordernumber_prefix": None, "ordernumber": None,
            "ordernumber_full": None, "invoicenumber": None, "transaction_id": None,
            "create_date": _format_timestamp(self.clock()), "deliver_method": "shipping", "status": 1,
            "is_completed": True, "paid": False, "paymethod_id": None, "paymethod": "", "paymethod_label": "",
            "taxes_included": True, "order_row_taxes_included": True, "shipping_taxes_included": True,
            "shipping_tax_percentage": float(DEFAULT_VAT_RATE), "is_intra_community_order": False,
            "total_orderrow_price": 0.0, "total_shipping": 0.0, "total_discounts": 0.0, "total_price": 0.0,
            "currency": COUNTRIES["DK"][1], "total_tax": 0.0, "total_weight": 0.0, "paymethod_costs": 0.0,
            "extra_costs": 0.0, "extra_costs_description": "", "track_and_trace_code": "",
            "track_and_trace_carrier": None, "track_and_trace_deeplink": "", "reservationnumber": "",
            "customer": None, **fields,
        }
        if order["is_completed"]:
            prefix = self.ordernumber_prefix
            order.update(ordernumber_prefix=prefix, ordernumber=ordernumber,
                         ordernumber_full=f"{prefix}-{ordernumber}" if prefix else str(ordernumber))
        self.orders[order["id"]] = order
        return order

    def _new_orderrow(self, order, product_id, combination, fields):
        """An order row; product and combination data fill what ``fields`` leaves out."""
        product = self.products.get(product_id)
        row = {
            "id": self._next_id("orderrows"), "order_id": order["id"], "product_type": "product",
            "product_id": product_id, "product_name": product["name"] if product else "",
            "product_number": product["productnumber"] if product else "",
            "sub_product_number": combination["product_number"] if combination else "",
            "sub_sku_number": combination["sku_number"] if combination else "",
            "sub_ean_number": combination["ean_number"] if combination else "",
            "count": 1, "price": product["price"] if product else 0.0, "discount": 0.0,
            "tax": product["vatrate"] if product else float(DEFAULT_VAT_RATE), "unit": "",
            "weight": product["weight"] if product else 0.0,
            "attributes": [{"option_name": part["attribute"]["name"], "value_name": part["attribute_value"]["name"]}
                           for part in (combination["combination"] if combination else [])],
        }
        row.update(_money_fields(fields))
        row["tax"] = float(row["tax"])
        self._recalculate_row(row)
        self.orderrows[row["id"]] = row
        return row

    @staticmethod
    def _recalculate_row(row):
        selling_price = _decimal(row["price"]) - _decimal(row["discount"])
        row["selling_price"] = _money(selling_price)
        row["total_price"] = _money(selling_price * _decimal(row["count"]))

    def _rows_of(self, order_id):
        return [row for row in self.orderrows.values() if row["order_id"] == order_id]

    def _recalculate(self, order):
        """Order totals from its rows: total_price = rows + shipping + paymethod costs + extra costs
        - discounts; costs and discounts carry VAT at ``shipping_tax_percentage``."""
        rows = self._rows_of(order["id"])
        rows_total = sum((_decimal(row["total_price"]) for row in rows), Decimal(0))
        rows_tax = sum((_tax_included(_decimal(row["total_price"]), _decimal(row["tax"])) for row in rows), Decimal(0))
        costs = (_decimal(order["total_shipping"]) + _decimal(order["paymethod_costs"])
                 + _decimal(order["extra_costs"]) - _decimal(order["total_discounts"]))
        order.update(
            total_orderrow_price=_money(rows_total), total_price=_money(rows_total + costs),
            total_tax=_money(rows_tax + _tax_included(costs, _decimal(order["shipping_tax_percentage"]))),
            total_weight=float(sum((_decimal(row["weight"]) * _decimal(row["count"]) for row in rows), Decimal(0))),
        )

    # -- changes and notifications ---------------------------------------------------------------
    def _order_by_ref(self, order_ref):
        if order_ref in self.orders:
            return self.orders[order_ref]
        order = next((o for o in self.orders.values() if o["ordernumber"] == int(order_ref)), None)
        if order is None:
            raise KeyError(f"no order with id or ordernumber {order_ref!r}")
        return order

    def _product_by_ref(self, product_ref):
        if product_ref in self.products:
            return self.products[product_ref]
        matches = [p for p in self.products.values() if p["productnumber"] == product_ref]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} products with id or productnumber {product_ref!r}")
        return matches[0]

    def _change_order(self, order, changes):
        before = dict(order)
        order.update(_money_fields(changes))
        self._recalculate(order)
        if order != before:
            self._notify_order("orders.updated", order, previous_status=before["status"])

    def _apply_product_fields(self, product, fields):
        fields = _money_fields(fields)
        if "taxtariff" in fields and fields["taxtariff"] not in TAX_TARIFFS:
            raise BadRequest(f"taxtariff must be one of {', '.join(TAX_TARIFFS)}")
        if not 0 <= fields.get("vatrate", 0) <= 100:  # "VAT rate of product in percentage, 0-100" (Products Post)
            raise BadRequest("vatrate must be a percentage from 0 to 100")
        if fields.get("brand_id") is not None and fields["brand_id"] not in self.brands:
            raise BadRequest(f"Unknown brand_id {fields['brand_id']}")
        if "active" in fields:
            fields["is_active"] = fields["is_visible"] = fields.pop("active")
        product.update(fields)

    def _change_product(self, product, changes):
        before = dict(product)
        self._apply_product_fields(product, changes)
        if product != before:
            product["modifydate"] = _format_timestamp(self.clock())
            self._notify_product("products.updated", product)

    def _change_combination(self, combination, changes):
        before = dict(combination)
        combination.update(changes)
        if combination != before:
            product = self.products[combination["product_id"]]
            product["modifydate"] = _format_timestamp(self.clock())
            self._notify_product("products.updated", product)

    def _notify_order(self, event, order, previous_status=None):
        payload = {
            "href": f"{self.shop_url}{API_PREFIX}/orders/{order['id']}", "id": order["id"],
            "order_number": order["ordernumber"], "ordernumber_prefix": order["ordernumber_prefix"],
            "ordernumber_full": order["ordernumber_full"], "total_price": order["total_price"],
            "status": order["status"], "customer_email": order["customer"]["email"],
            "customer_mobile": order["customer"]["billingaddress"]["mobile"],
            "track_and_trace_code": order["track_and_trace_code"],
            "track_and_trace_carrier": order["track_and_trace_carrier"],
        }
        if event == "orders.updated":
            payload["previous_status"] = previous_status
        self._notify(event, payload)

    def _notify_product(self, event, product):
        self._notify(event, {"href": f"{self.shop_url}{API_PREFIX}/products/{product['id']}",
                             "id": product["id"], "productnumber": product["productnumber"]})

    def _notify(self, event, payload):
        body = json.dumps({"triggered_at": _format_timestamp(self.clock()), **payload})
        for subscription in self.webhook_subscriptions.values():
            if subscription["is_active"] and subscription["event"] == event:
                headers = {"Content-Type": "application/json", "x-hash": sign_webhook(subscription["key"], body)}
                self.deliver_webhook(subscription["address"], event, body, headers)

    # -- HTTP plumbing ---------------------------------------------------------------------------
    @staticmethod
    def _base_url(request):
        return request.host_url.rstrip("/")

    @staticmethod
    def _json_body(request):
        try:
            return json.loads(request.get_data(as_text=True))
        except ValueError:
            raise BadRequest("Request body is not valid JSON") from None

    @staticmethod
    def _query(request, allowed):
        unknown = [name for name in request.args if name not in ("start", "size", *allowed)]
        if unknown:
            raise BadRequest(f"Unknown query parameter(s): {', '.join(unknown)}")
        return request.args

    @staticmethod
    def _record(records, record_id, label):
        if record_id not in records:
            raise NotFound(f"{label} {record_id} does not exist")
        return records[record_id]

    def _collection(self, request, records, render):
        """CCV collection envelope for one page of ``records`` (``start``/``size`` query)."""
        start = _parse_int(request.args.get("start", "0"), "start")
        size = min(_parse_int(request.args.get("size", str(DEFAULT_PAGE_SIZE)), "size"), MAX_PAGE_SIZE)
        if start < 0 or size < 1:
            raise BadRequest("start must be >= 0 and size >= 1")
        params = [(key, value) for key, value in parse_qsl(urlsplit(_request_uri(request)).query,
                                                           keep_blank_values=True) if key not in ("start", "size")]
        return self.json_response(self._page(self._base_url(request), request.path, params, start, size, records,
                                             render, href=f"{self._base_url(request)}{_request_uri(request)}"))

    @staticmethod
    def _page(base, path, params, start, size, records, render, href=None):
        """One page of ``records`` at ``path`` (with the query ``params`` besides start and size)."""
        def page_link(page_start):
            return f"{base}{path}?{urlencode([*params, ('start', page_start), ('size', size)])}"

        return {
            "href": href or page_link(start), "start": start, "size": size,
            "first": page_link(0),
            "previous": page_link(max(0, start - size)) if start > 0 else None,
            "next": page_link(start + size) if start + size < len(records) else None,
            "items": [render(base, record) for record in records[start:start + size]],
        }

    def _product_collection(self, product_id, name):
        """``(records, render)`` of the product's collection ``name`` (one of ``PRODUCT_EXPANDABLE``)."""
        records, render = {
            "attributecombinations": (self.combinations, self._render_combination),
            "productphotos": (self.photos, self._render_photo),
            "producttocategories": (self.product_categories, self._render_product_to_category),
        }[name]
        return sorted((record for record in records.values() if record["product_id"] == product_id),
                      key=lambda record: record["id"]), render

    @staticmethod
    def _expansion(request):
        """The collections named by ``expand`` (refused: one this simulator does not keep)."""
        names = [name.strip() for name in request.args.get("expand", "").split(",") if name.strip()]
        unknown = [name for name in names if name not in PRODUCT_EXPANDABLE]
        if unknown:
            raise BadRequest(f"Cannot expand {', '.join(unknown)}; expandable: {', '.join(PRODUCT_EXPANDABLE)}")
        return names

    def _product_renderer(self, expand):
        """``render(base, product)`` embedding the first page of each collection of ``expand``."""
        def render(base, product):
            rendered = self._render_product(base, product)
            for name in expand:
                records, render_item = self._product_collection(product["id"], name)
                rendered[name] = self._page(base, f"{API_PREFIX}/products/{product['id']}/{name}", [], 0,
                                            DEFAULT_PAGE_SIZE, records, render_item)
            return rendered
        return render

    @staticmethod
    def _render_order(base, order):
        href = f"{base}{API_PREFIX}/orders/{order['id']}"
        return {"href": href, **order, "orderrows": {"href": f"{href}/orderrows"}}

    @staticmethod
    def _render_invoice(base, invoice):
        href = f"{base}{API_PREFIX}/invoices/{invoice['id']}"
        fields = {name: value for name, value in invoice.items() if not name.startswith("_")}
        return {"href": href, **fields, "order": f"{base}{API_PREFIX}/orders/{invoice['_order_id']}",
                "invoicerows": {"href": f"{href}/invoicerows"}}

    @staticmethod
    def _render_invoicerow(base, row):
        fields = {name: value for name, value in row.items() if not name.startswith("_")}
        return {"href": f"{base}{API_PREFIX}/invoicerows/{row['id']}", **fields,
                "orderrow": {"href": f"{base}{API_PREFIX}/orderrows/{row['_orderrow_id']}"}}

    @staticmethod
    def _render_orderrow(base, row):
        product_href = f"{base}{API_PREFIX}/products/{row['product_id']}" if row["product_id"] else None
        return {"href": f"{base}{API_PREFIX}/orderrows/{row['id']}", **row, "product_href": product_href,
                "parent": {"href": f"{base}{API_PREFIX}/orders/{row['order_id']}"}}

    def _render_product(self, base, product):
        href = f"{base}{API_PREFIX}/products/{product['id']}"
        brand = self.brands.get(product["brand_id"])
        return {"href": href, **product, **{name: {"href": f"{href}/{name}"} for name in PRODUCT_EXPANDABLE},
                "brand": brand and {"href": f"{base}{API_PREFIX}/brands/{brand['id']}", **brand}}

    @staticmethod
    def _render_combination(base, combination):
        return {"href": f"{base}{API_PREFIX}/attributecombinations/{combination['id']}", **combination,
                "parent": {"href": f"{base}{API_PREFIX}/products/{combination['product_id']}"}}

    @staticmethod
    def _render_brand(base, brand):
        return {"href": f"{base}{API_PREFIX}/brands/{brand['id']}", **brand}

    @staticmethod
    def _render_category(base, category):
        href = f"{base}{API_PREFIX}/categories/{category['id']}"
        return {"href": href, **category, "producttocategories": {"href": f"{href}/producttocategories"}}

    @staticmethod
    def _render_product_to_category(base, link):
        return {"href": f"{base}{API_PREFIX}/producttocategories/{link['id']}", **link,
                "product_href": f"{base}{API_PREFIX}/products/{link['product_id']}",
                "category_href": f"{base}{API_PREFIX}/categories/{link['category_id']}"}

    @staticmethod
    def _render_photo(base, photo):
        return {"href": f"{base}{API_PREFIX}/productphotos/{photo['id']}", "id": photo["id"],
                "filename": photo["filename"], "alttext": photo["alttext"], "is_mainphoto": photo["is_mainphoto"],
                "deeplink": f"{base}{PHOTO_PATH}/{photo['filename']}",
                "parent": {"href": f"{base}{API_PREFIX}/products/{photo['product_id']}"}}

    @staticmethod
    def _render_webhook(base, webhook):
        return {"href": f"{base}{API_PREFIX}/webhooks/{webhook['id']}", **webhook}

    # -- orders ----------------------------------------------------------------------------------
    def on_list_orders(self, request):
        query = self._query(request, _ORDER_FILTERS)
        completed = _parse_bool(query.get("is_completed", "true"), "is_completed")
        orders = [order for order in self.orders.values() if order["is_completed"] == completed]
        if "ordernumber" in query:
            number = _parse_int(query["ordernumber"], "ordernumber")
            orders = [order for order in orders if order["ordernumber"] == number]
        if "status" in query:
            status = _parse_int(query["status"], "status")
            if status not in ORDER_STATUSES:
                raise BadRequest("status must be an integer from 1 to 14")
            orders = [order for order in orders if order["status"] == status]
        if "is_paid" in query:
            paid = _parse_bool(query["is_paid"], "is_paid")
            orders = [order for order in orders if order["paid"] == paid]
        if "min_create_date" in query:
            bound = _parse_date_bound(query["min_create_date"], "min_create_date", upper=False)
            orders = [order for order in orders if _parse_timestamp(order["create_date"]) >= bound]
        if "max_create_date" in query:
            bound = _parse_date_bound(query["max_create_date"], "max_create_date", upper=True)
            orders = [order for order in orders if _parse_timestamp(order["create_date"]) <= bound]
        if "paymethod_id" in query:
            paymethod_id = _parse_int(query["paymethod_id"], "paymethod_id")
            orders = [order for order in orders if order["paymethod_id"] == paymethod_id]
        if "transaction_id" in query:
            orders = [order for order in orders if order["transaction_id"] == query["transaction_id"]]
        return self._collection(request, _sorted(orders, query.get("orderby"), _ORDER_SORT_FIELDS), self._render_order)

    def on_get_order(self, request, order_id):
        order = self._record(self.orders, order_id, "Order")
        return self.json_response(self._render_order(self._base_url(request), order))

    def on_create_order(self, request):
        payload = _validated(self._json_body(request), _ORDER_POST, "order", required=("customer", "orderrows"))
        if payload.get("status", 1) not in ORDER_STATUSES:
            raise BadRequest("status must be an integer from 1 to 14")
        if not payload["orderrows"]:
            raise BadRequest("orderrows must contain at least one row")
        customer = self._customer_input(payload.pop("customer"))
        row_inputs = [self._orderrow_input(row) for row in payload.pop("orderrows")]
        number = max((order["ordernumber"] or 0 for order in self.orders.values()), default=0) + 1
        order = self._new_order(number, {**_money_fields(payload), "customer": customer})
        for product_id, combination, fields in row_inputs:
            self._new_orderrow(order, product_id, combination, fields)
        self._recalculate(order)
        self._notify_order("orders.created", order)
        return self.json_response(self._render_order(self._base_url(request), order), status=201)

    def _customer_input(self, data):
        customer = _validated(data, _CUSTOMER_INPUT, "customer")
        addresses = {kind: {**_BLANK_ADDRESS, **_validated(customer.get(kind, {}), _ADDRESS_INPUT, f"customer.{kind}")}
                     for kind in ("billingaddress", "deliveryaddress")}
        return {"email": "", "customertype": "b2c", "btw": "", "kvk": "", "reference": "", **customer, **addresses}

    def _orderrow_input(self, data):
        """(product_id, combination, row fields) from one POSTed order row."""
        fields = dict(_validated(data, _ORDERROW_INPUT, "orderrow", required=("count",)))
        product_id = fields.pop("product_id", None)
        combination_id = fields.pop("attribute_combination_id", None)
        if product_id is not None and product_id not in self.products:
            raise BadRequest(f"orderrow: product {product_id} does not exist")
        if product_id is None and not {"product_name", "price"} <= fields.keys():
            raise BadRequest("orderrow: product_name and price are required without product_id")
        combination = None
        if combination_id is not None:
            combination = self.combinations.get(combination_id)
            if combination is None or combination["product_id"] != product_id:
                raise BadRequest(
                    f"orderrow: attribute combination {combination_id} is not a variant of product {product_id}")
        if fields["count"] <= 0:
            raise BadRequest("orderrow: count must be positive")
        return product_id, combination, fields

    def on_update_order(self, request, order_id):
        order = self._record(self.orders, order_id, "Order")
        changes = _validated(self._json_body(request), _ORDER_PATCH, "order")
        if changes.get("status", order["status"]) not in ORDER_STATUSES:
            raise BadRequest("status must be an integer from 1 to 14")
        note, mail = changes.pop("note", ""), changes.pop("mail", False)
        self._change_order(order, changes)
        if mail:
            self.customer_emails.append({
                "to": order["customer"]["email"], "order": order["id"], "status": ORDER_STATUSES[order["status"]],
                "track_and_trace_code": order["track_and_trace_code"], "note": note})
        return Response(status=204)

    # -- invoices --------------------------------------------------------------------------------
    def on_list_invoices(self, request):
        query = self._query(request, _INVOICE_FILTERS)
        invoices = list(self.invoices.values())
        for name in ("invoicenumber", "ordernumber"):
            if name in query:
                number = _parse_int(query[name], name)
                invoices = [invoice for invoice in invoices if invoice[name] == number]
        for name in ("invoicenumber_full", "ordernumber_full"):
            if name in query:
                invoices = [invoice for invoice in invoices if invoice[name] == query[name]]
        if "status" in query:
            if query["status"] not in INVOICE_STATUSES.values():
                raise BadRequest(f"status must be one of {', '.join(INVOICE_STATUSES.values())}")
            invoices = [invoice for invoice in invoices if INVOICE_STATUSES[invoice["status"]] == query["status"]]
        if "min_create_date" in query:
            bound = _parse_date_bound(query["min_create_date"], "min_create_date", upper=False)
            invoices = [invoice for invoice in invoices if _parse_timestamp(invoice["create_date"]) >= bound]
        if "max_create_date" in query:
            bound = _parse_date_bound(query["max_create_date"], "max_create_date", upper=True)
            invoices = [invoice for invoice in invoices if _parse_timestamp(invoice["create_date"]) <= bound]
        return self._collection(request, _sorted(invoices, query.get("orderby"), _INVOICE_SORT_FIELDS),
                                self._render_invoice)

    def on_get_invoice(self, request, invoice_id):
        invoice = self._record(self.invoices, invoice_id, "Invoice")
        return self.json_response(self._render_invoice(self._base_url(request), invoice))

    def on_list_invoice_rows(self, request, invoice_id):
        self._query(request, ())
        self._record(self.invoices, invoice_id, "Invoice")
        rows = sorted((row for row in self.invoicerows.values() if row["invoice_id"] == str(invoice_id)),
                      key=lambda row: row["id"])
        return self._collection(request, rows, self._render_invoicerow)

    # -- order rows ------------------------------------------------------------------------------
    def on_list_order_rows(self, request, order_id):
        self._query(request, ())
        self._record(self.orders, order_id, "Order")
        return self._collection(request, sorted(self._rows_of(order_id), key=lambda row: row["id"]),
                                self._render_orderrow)

    def on_get_order_row(self, request, row_id):
        row = self._record(self.orderrows, row_id, "Order row")
        return self.json_response(self._render_orderrow(self._base_url(request), row))

    def on_update_order_row(self, request, row_id):
        row = self._record(self.orderrows, row_id, "Order row")
        changes = _validated(self._json_body(request), _ORDERROW_PATCH, "orderrow")
        if changes.get("count", row["count"]) <= 0:
            raise BadRequest("orderrow: count must be positive")
        before = dict(row)
        row.update(_money_fields(changes))
        if row != before:
            order = self.orders[row["order_id"]]
            self._recalculate_row(row)
            self._recalculate(order)
            self._notify_order("orders.updated", order, previous_status=order["status"])
        return Response(status=204)

    # -- products and attribute combinations -----------------------------------------------------
    def on_list_products(self, request):
        query = self._query(request, _PRODUCT_FILTERS)
        products = list(self.products.values())
        for name in ("productnumber", "eannumber"):
            if name in query:
                products = [product for product in products if product[name] == query[name]]
        if "productname" in query:
            if len(query["productname"]) < 3:
                raise BadRequest("productname needs at least 3 characters")
            needle = query["productname"].lower()
            products = [product for product in products if needle in product["name"].lower()]
        if "minstock" in query:
            minimum = _parse_number(query["minstock"], "minstock")
            products = [product for product in products if product["stock"] >= minimum]
        if "maxstock" in query:
            maximum = _parse_number(query["maxstock"], "maxstock")
            products = [product for product in products if product["stock"] <= maximum]
        if "active" in query:
            active = _parse_bool(query["active"], "active")
            products = [product for product in products if product["is_active"] == active]
        return self._collection(request, _sorted(products, query.get("orderby"), _PRODUCT_SORT_FIELDS),
                                self._product_renderer(self._expansion(request)))

    def on_create_product(self, request):
        fields = _validated(self._json_body(request), _PRODUCT_INPUT, "product", required=("name", "price"))
        product = self._new_product(fields)
        self._notify_product("products.created", product)
        return self.json_response(self._render_product(self._base_url(request), product), status=201)

    def on_get_product(self, request, product_id):
        self._query(request, ("expand",))
        product = self._record(self.products, product_id, "Product")
        return self.json_response(self._product_renderer(self._expansion(request))(self._base_url(request), product))

    def on_patch_product(self, request, product_id):
        product = self._record(self.products, product_id, "Product")
        self._change_product(product, _validated(self._json_body(request), _PRODUCT_INPUT, "product"))
        return Response(status=204)

    def on_delete_product(self, request, product_id):
        product = self._record(self.products, product_id, "Product")
        del self.products[product_id]
        for combination_id in [c["id"] for c in self.combinations.values() if c["product_id"] == product_id]:
            del self.combinations[combination_id]
        self._notify_product("products.deleted", product)
        return Response(status=204)

    def on_list_combinations(self, request, product_id):
        self._query(request, ())
        self._record(self.products, product_id, "Product")
        return self._collection(request, *self._product_collection(product_id, "attributecombinations"))

    def on_get_combination(self, request, combination_id):
        combination = self._record(self.combinations, combination_id, "Attribute combination")
        return self.json_response(self._render_combination(self._base_url(request), combination))

    def on_update_combination(self, request, combination_id):
        combination = self._record(self.combinations, combination_id, "Attribute combination")
        self._change_combination(combination, _validated(self._json_body(request), _COMBINATION_PATCH,
                                                         "attributecombination"))
        return Response(status=204)

    # -- categories and photos -------------------------------------------------------------------
    def on_list_brands(self, request):
        self._query(request, ())
        return self._collection(request, list(self.brands.values()), self._render_brand)

    def on_create_brand(self, request):
        payload = _validated(self._json_body(request), _BRAND_POST, "brand", required=("name",))
        brand_id = self.add_brand(payload["name"])
        return self.json_response(self._render_brand(self._base_url(request), self.brands[brand_id]), status=201)

    def on_list_categories(self, request):
        self._query(request, ())
        return self._collection(request, list(self.categories.values()), self._render_category)

    def on_get_category(self, request, category_id):
        category = self._record(self.categories, category_id, "Category")
        return self.json_response(self._render_category(self._base_url(request), category))

    def on_list_category_products(self, request, category_id):
        self._query(request, ())
        self._record(self.categories, category_id, "Category")
        links = [link for link in self.product_categories.values() if link["category_id"] == category_id]
        return self._collection(request, links, self._render_product_to_category)

    def on_list_product_categories(self, request, product_id):
        self._query(request, ())
        self._record(self.products, product_id, "Product")
        return self._collection(request, *self._product_collection(product_id, "producttocategories"))

    def on_create_product_to_category(self, request):
        payload = _validated(self._json_body(request), _PRODUCT_TO_CATEGORY_POST, "producttocategory",
                             required=("category_id", "product_id"))
        product = self._record(self.products, payload["product_id"], "Product")
        category = self._record(self.categories, payload["category_id"], "Category")
        link = self._link_category(product, category)
        return self.json_response(self._render_product_to_category(self._base_url(request), link), status=201)

    def on_delete_product_to_category(self, request, link_id):
        self._record(self.product_categories, link_id, "Product to category")
        del self.product_categories[link_id]
        return Response(status=204)

    def on_list_photos(self, request, product_id):
        self._query(request, ())
        self._record(self.products, product_id, "Product")
        return self._collection(request, *self._product_collection(product_id, "productphotos"))

    def on_create_photo(self, request, product_id):
        product = self._record(self.products, product_id, "Product")
        payload = _validated(self._json_body(request), _PHOTO_POST, "productphoto", required=("file_type", "source"))
        try:
            content = base64.b64decode(payload["source"], validate=True)
        except ValueError:
            raise BadRequest("source must be the base64 encoded image, without metadata") from None
        photo = self._new_photo(product, content, payload["file_type"], payload.get("is_mainphoto", False))
        photo["alttext"] = payload.get("alttext")
        self._notify_product("products.updated", product)
        return self.json_response(self._render_photo(self._base_url(request), photo), status=201)

    def on_get_photo(self, request, photo_id):
        photo = self._record(self.photos, photo_id, "Product photo")
        return self.json_response(self._render_photo(self._base_url(request), photo))

    def on_delete_photo(self, request, photo_id):
        self._record(self.photos, photo_id, "Product photo")
        del self.photos[photo_id]
        return Response(status=204)

    def on_photo_file(self, request, photo_id, extension):
        photo = self._record(self.photos, photo_id, "Product photo")
        if extension != photo["file_type"]:
            raise NotFound(f"Photo {photo_id} is not a {extension}")
        content_type = {"jpg": "image/jpeg", "jpeg": "image/jpeg"}.get(extension, f"image/{extension}")
        return Response(photo["content"], content_type=content_type)

    # -- webhooks --------------------------------------------------------------------------------
    def on_list_webhooks(self, request):
        self._query(request, ())
        return self._collection(request, list(self.webhook_subscriptions.values()), self._render_webhook)

    def on_create_webhook(self, request):
        payload = _validated(self._json_body(request), _WEBHOOK_POST, "webhook", required=("event", "address"))
        if payload["event"] not in WEBHOOK_EVENTS:
            raise BadRequest(f"event must be one of {', '.join(WEBHOOK_EVENTS)}")
        self._check_address(payload["address"])
        webhook = {"id": self._next_id("webhooks"), "createdate": _format_timestamp(self.clock()),
                   "event": payload["event"], "address": payload["address"], "key": secrets.token_hex(20),
                   "is_active": payload.get("is_active", True)}
        self.webhook_subscriptions[webhook["id"]] = webhook
        return self.json_response(self._render_webhook(self._base_url(request), webhook), status=201)

    @staticmethod
    def _check_address(address):
        if urlsplit(address).scheme not in ("http", "https"):
            raise BadRequest("address must be an http(s) URL")

    def on_get_webhook(self, request, webhook_id):
        webhook = self._record(self.webhook_subscriptions, webhook_id, "Webhook")
        return self.json_response(self._render_webhook(self._base_url(request), webhook))

    def on_update_webhook(self, request, webhook_id):
        webhook = self._record(self.webhook_subscriptions, webhook_id, "Webhook")
        changes = _validated(self._json_body(request), _WEBHOOK_PATCH, "webhook")
        if "address" in changes:
            self._check_address(changes["address"])
        webhook.update(changes)
        return Response(status=204)

    def on_delete_webhook(self, request, webhook_id):
        self._record(self.webhook_subscriptions, webhook_id, "Webhook")
        del self.webhook_subscriptions[webhook_id]
        return Response(status=204)
