"""WooCommerce REST API (``/wp-json/wc/v3``) simulator.

Speaks WooCommerce 9 as its official REST docs and source describe it: consumer key/secret auth
(HTTP Basic or ``consumer_key``/``consumer_secret`` query parameters), WordPress paging
(``page``/``per_page``/``offset``, ``X-WP-Total``, ``X-WP-TotalPages``, ``Link``), WordPress
parameter validation, ``{code, message, data: {status}}`` errors, batch endpoints (100 objects at
most, 413 beyond) and signed webhooks.  Bodies are serialised like PHP's ``wp_json_encode``
(compact, ``\\/`` escaped slashes): a webhook signature covers those exact bytes.

State is kept as wire-shaped dicts (what ``GET`` returns, minus ``_links``) in ``orders``,
``products``, ``variations``, ``customers`` and ``registered_webhooks``, each keyed by id.  Products,
variations, orders and refunds share one id sequence (WordPress posts), as in WooCommerce.

Refunds (``/orders/<id>/refunds``, shapes from the OpenAPI file's ``shop_order_refund`` and, for what
that 2021 file leaves out, WooCommerce's source: ``WC_REST_Order_Refunds_V2_Controller::
get_formatted_item_data`` lists ``line_items``, ``shipping_lines``, ``tax_lines`` and ``fee_lines``): the
order lists each as ``{id, reason, total}`` (negative, newest first); the refund resource has its
``amount``, ``reason``, dates and its items, whose quantities and amounts are negative, each pointing
at the order's item in meta ``_refunded_item_id``.  Product, shipping and fee items are refunded through
the request's ``line_items`` (``wc_create_refund`` takes any of them); a refund without items is an
amount only, and ``amount`` need not be the items' sum.  ``api_restock`` (default true)
puts the refunded quantities back in stock and counts them on the order item
(``_restock_refunded_items``).  A refund above what is left answers 500 "Invalid refund amount." as
WooCommerce does; the refund that leaves nothing makes the order ``refunded``, and ``order.updated``
fires on every refund (the topic includes ``woocommerce_order_refunded``).

Neutral seed states map to WooCommerce statuses as ``STATE_TO_STATUS`` says; there is no
"shipped" status in WooCommerce, a shipped order is ``completed``.  Seed prices include VAT, so
orders carry ``prices_include_tax: true`` and every gross amount is split into a net amount plus
its tax rounded to the cent: line, shipping and fee nets plus taxes add up to the seed total.
The tax rate is the one of the shipping (else billing) country in ``seed.COUNTRIES``, 0 elsewhere.
"""

import base64
import copy
import functools
import hashlib
import hmac
import html
import json
import math
import posixpath
import re
import secrets
from collections import deque
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import requests

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from .common import SimulatorApp
from .seed import CENT, COUNTRIES

CONSUMER_KEY = "ck_4f1d2c3b5a6e7f8091a2b3c4d5e6f708192a3b4c"
CONSUMER_SECRET = "cs_8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d"
API_ROOT = "/wp-json/wc/v3"
WC_VERSION = "9.8.5"
WP_VERSION = "6.8.1"
MAX_PER_PAGE = 100
BATCH_LIMIT = 100
# Product images (docs/_products.md "Product - Images properties", docs/_product-variations.md "image"): the REST
# API has no upload; an image given by ``src`` is downloaded ("sideloaded") into the media library by
# wc_rest_upload_image_from_url (WooCommerce source, includes/wc-rest-functions.php): its file name is the last
# segment of the address, its type must be an allowed image extension of that name (wp_check_filetype with
# wc_rest_allowed_image_mime_types), a download that fails is "Error getting remote image <src>. Error: <why>";
# set_product_images answers either with woocommerce_product_image_upload_error (400).  An ``id`` names an image of
# the media library (woocommerce_product_invalid_image_id otherwise).  The first image is the featured one; the
# uploads are public files under /wp-content/uploads/<year>/<month>/.
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "jpe": "image/jpeg", "gif": "image/gif", "png": "image/png",
               "bmp": "image/bmp", "tiff": "image/tiff", "tif": "image/tiff", "ico": "image/x-icon",
               "webp": "image/webp"}
UPLOADS = "/wp-content/uploads"

ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
                  "trash", "checkout-draft")
STATE_TO_STATUS = {"pending": "pending", "paid": "processing", "shipped": "completed",
                   "completed": "completed", "cancelled": "cancelled", "refunded": "refunded"}
PAYMENT_METHODS = {"card": ("stripe", "Credit card (Stripe)"), "mobilepay": ("mobilepay", "MobilePay"),
                   "invoice": ("invoice", "Invoice"), "bank_transfer": ("bacs", "Direct bank transfer")}
TAX_LABELS = {"DK": "Moms", "SE": "Moms", "DE": "MwSt", "NL": "BTW"}  # other countries: "VAT"
PAID_STATUSES = ("processing", "completed")  # reaching one sets date_paid
PAYABLE_STATUSES = ("pending", "on-hold", "failed", "cancelled")  # set_paid moves these to processing
STOCK_REDUCING_STATUSES = ("processing", "completed", "on-hold")
STOCK_RESTORING_STATUSES = ("pending", "cancelled")
STOCK_REDUCED_META = "_order_stock_reduced"
# wc_get_order_statuses(): the labels WooCommerce writes into "Order status changed from X to Y." notes
STATUS_LABELS = {"pending": "Pending payment", "processing": "Processing", "on-hold": "On hold",
                 "completed": "Completed", "cancelled": "Cancelled", "refunded": "Refunded", "failed": "Failed",
                 "checkout-draft": "Draft", "trash": "Trash"}
NOTE_TYPES = ("any", "customer", "internal")

PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
PRODUCT_STATUSES = ("draft", "pending", "private", "publish", "future")
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
BACKORDERS = ("no", "notify", "yes")
TAX_STATUSES = ("taxable", "shipping", "none")
CATALOG_VISIBILITIES = ("visible", "catalog", "search", "hidden")
WEBHOOK_STATUSES = ("active", "paused", "disabled")
CUSTOMER_ROLES = ("all", "administrator", "editor", "author", "contributor", "subscriber", "customer",
                  "shop_manager")
WEBHOOK_TOPIC_HOOKS = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order", "woocommerce_delete_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": ["woocommerce_process_product_meta", "woocommerce_new_product",
                        "woocommerce_new_product_variation"],
    "product.updated": ["woocommerce_process_product_meta", "woocommerce_update_product",
                        "woocommerce_update_product_variation"],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}

BILLING_FIELDS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state",
                  "postcode", "country", "email", "phone")
SHIPPING_FIELDS = BILLING_FIELDS[:9]

# JSON-schema-ish types of writable fields, checked on single create/update requests like WordPress
# does (batch items skip this validation, as in WooCommerce); a tuple is a string enum.
_STR, _INT, _BOOL, _ARRAY, _OBJECT = "string", "integer", "boolean", "array", "object"
_CATALOG_SCHEMA = {
    "sku": _STR, "regular_price": _STR, "sale_price": _STR, "status": PRODUCT_STATUSES, "description": _STR,
    "virtual": _BOOL, "downloadable": _BOOL, "tax_status": TAX_STATUSES, "tax_class": _STR,
    "manage_stock": _BOOL, "stock_quantity": _INT, "stock_status": STOCK_STATUSES, "backorders": BACKORDERS,
    "weight": _STR, "dimensions": _OBJECT, "shipping_class": _STR, "attributes": _ARRAY, "menu_order": _INT,
    "meta_data": _ARRAY, "global_unique_id": _STR,
}
SCHEMAS = {
    "orders": {
        "parent_id": _INT, "status": ORDER_STATUSES, "currency": _STR, "customer_id": _INT, "customer_note": _STR,
        "billing": _OBJECT, "shipping": _OBJECT, "payment_method": _STR, "payment_method_title": _STR,
        "transaction_id": _STR, "meta_data": _ARRAY, "line_items": _ARRAY, "shipping_lines": _ARRAY,
        "fee_lines": _ARRAY, "coupon_lines": _ARRAY, "set_paid": _BOOL,
    },
    "products": {
        **_CATALOG_SCHEMA, "name": _STR, "slug": _STR, "type": PRODUCT_TYPES, "featured": _BOOL,
        "catalog_visibility": CATALOG_VISIBILITIES, "short_description": _STR, "categories": _ARRAY, "tags": _ARRAY,
        "default_attributes": _ARRAY, "purchase_note": _STR, "reviews_allowed": _BOOL, "sold_individually": _BOOL,
        "images": _ARRAY,
    },
    "variations": {**_CATALOG_SCHEMA, "image": _OBJECT},
    "customers": {"email": _STR, "first_name": _STR, "last_name": _STR, "username": _STR, "password": _STR,
                  "billing": _OBJECT, "shipping": _OBJECT, "meta_data": _ARRAY},
    "webhooks": {"name": _STR, "status": WEBHOOK_STATUSES, "topic": _STR, "delivery_url": _STR, "secret": _STR},
}
REQUIRED_ON_CREATE = {"customers": ("email",), "webhooks": ("topic", "delivery_url")}

# list endpoints: allowed ``orderby`` values (first = default) and default ``order``
ORDERBY = {
    "orders": ("date", "id", "include", "title", "slug", "modified"),
    "products": ("date", "id", "include", "title", "slug", "price", "popularity", "rating", "menu_order", "modified"),
    "variations": ("date", "id", "include", "title", "slug", "menu_order", "modified"),
    "customers": ("name", "id", "include", "registered_date"),
    "webhooks": ("date", "id", "title"),
}
DEFAULT_ORDER = {"orders": "desc", "products": "desc", "variations": "desc", "customers": "asc", "webhooks": "desc"}
ORDER_STATUS_FILTER = ("any", "trash") + tuple(s for s in ORDER_STATUSES if s != "trash")
PRODUCT_STATUS_FILTER = ("any", "future", "trash", "draft", "pending", "private", "publish")
WEBHOOK_STATUS_FILTER = ("all",) + WEBHOOK_STATUSES

INVALID_ID_CODES = {
    "orders": "woocommerce_rest_shop_order_invalid_id", "products": "woocommerce_rest_product_invalid_id",
    "variations": "woocommerce_rest_product_variation_invalid_id", "customers": "woocommerce_rest_invalid_id",
    "webhooks": "woocommerce_rest_shop_webhook_invalid_id",
}
REFUND_META, RESTOCKED_META = "_refunded_item_id", "_restock_refunded_items"
SINGULAR = {"orders": "order", "products": "product", "variations": "variation", "customers": "customer",
            "webhooks": "webhook"}
PERMISSION_ERRORS = {  # answered to unauthenticated requests, per route kind
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "get": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "update": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
    "batch": ("woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."),
}
PERMISSION_ERRORS.update({f"{kind}_note{'s' if kind == 'list' else ''}": PERMISSION_ERRORS[kind]
                          for kind in ("list", "get", "create", "delete")})
PERMISSION_ERRORS.update(list_categories=PERMISSION_ERRORS["list"], list_tags=PERMISSION_ERRORS["list"],
                         create_tag=PERMISSION_ERRORS["create"])
PERMISSION_ERRORS.update(list_refunds=PERMISSION_ERRORS["list"], get_refund=PERMISSION_ERRORS["get"],
                         create_refund=PERMISSION_ERRORS["create"])

_EDITABLE = ["POST", "PUT", "PATCH"]
_WP_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}(:?\d{2})?)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def webhook_signature(secret, body):
    """``X-WC-Webhook-Signature`` of a delivery: base64 of HMAC-SHA256(secret, raw body bytes)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def php_json(data):
    """Serialise like WordPress' ``wp_json_encode``: compact, ASCII only, slashes escaped."""
    return json.dumps(data, separators=(",", ":")).replace("/", "\\/")


class WooError(Exception):
    """A WordPress ``WP_Error``, answered as ``{code, message, data: {status, ...}}``."""

    def __init__(self, code, message, status, **data):
        super().__init__(message)
        self.code, self.message, self.status, self.data = code, message, status, data

    def body(self):
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def _invalid_params(errors):
    """WordPress' 400 ``rest_invalid_param`` for ``{param: (detail code, message)}``."""
    return WooError(
        "rest_invalid_param", f"Invalid parameter(s): {', '.join(errors)}", 400,
        params={name: message for name, (_code, message) in errors.items()},
        details={name: {"code": code, "message": message, "data": None} for name, (code, message) in errors.items()},
    )


def _wp_list(values):
    """WordPress' ``%l`` list format: "a, b, and c"."""
    values = list(values)
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])}, and {values[-1]}"


def _type_matches(value, expected):
    if expected == _STR:
        return isinstance(value, str)
    if expected == _INT:
        return not isinstance(value, bool) and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
            or (isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value) is not None))
    if expected == _BOOL:
        return isinstance(value, bool) or str(value).lower() in ("true", "false", "1", "0")
    return isinstance(value, list if expected == _ARRAY else dict)


def _validate(data, schema, required=()):
    """Reject wrongly typed fields (and missing required ones) as WordPress' REST server does."""
    missing = [name for name in required if name not in data]
    if missing:
        raise WooError("rest_missing_callback_param", f"Missing parameter(s): {', '.join(missing)}", 400,
                       params=missing)
    errors = {}
    for name, expected in schema.items():
        if name not in data:
            continue
        value = data[name]
        if isinstance(expected, tuple):
            if value not in expected:
                errors[name] = ("rest_not_in_enum", f"{name} is not one of {_wp_list(expected)}.")
        elif not _type_matches(value, expected):
            errors[name] = ("rest_invalid_type", f"{name} is not of type {expected}.")
    if errors:
        raise _invalid_params(errors)


def _as_bool(value):
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


def _as_int(value, name):
    try:
        return int(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError):
        raise _invalid_params({name: ("rest_invalid_type", f"{name} is not of type integer.")}) from None


def _as_decimal(value, name):
    try:
        return Decimal(str(value).strip() or "0")
    except InvalidOperation:
        raise _invalid_params({name: ("rest_invalid_type", f"{name} is not of type number.")}) from None


def _price(value):
    """A stored price string as WooCommerce keeps it: as given, "" when empty or not a number."""
    text = "" if value is None else str(value).strip()
    try:
        Decimal(text)
    except InvalidOperation:
        return ""
    return text


def _money(amount):
    return str(Decimal(amount).quantize(CENT, ROUND_HALF_UP))


def _tax_included(gross, rate):
    return (gross * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)


def _tax_on(net, rate):
    return (net * rate / 100).quantize(CENT, ROUND_HALF_UP)


def _distribute(amount, weights):
    """Split ``amount`` over ``weights`` proportionally, in whole cents that add up exactly."""
    total = sum(weights, Decimal(0))
    if not amount or not total:
        return [Decimal(0)] * len(weights)
    cents = int(min(amount, total) / CENT)
    raw = [cents * weight / total for weight in weights]
    shares = [int(value) for value in raw]
    by_remainder = sorted(range(len(raw)), key=lambda index: raw[index] - shares[index], reverse=True)
    for index in by_remainder[:cents - sum(shares)]:
        shares[index] += 1
    return [share * CENT for share in shares]


def _objects(value):
    """The objects of a posted array (anything else in it is ignored)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _slugify(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _unique(base, taken, separator):
    """``base``, else ``base<separator>2``, ``3``... whichever is not ``taken``."""
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}{separator}{suffix}"
    return candidate


def _wire_date(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _address(fields, values=None):
    values = values or {}
    return {name: str(values.get(name, "") or "") for name in fields}


def _seed_address(customer, fields):
    return _address(fields, {
        "first_name": customer.first_name, "last_name": customer.last_name, "company": customer.company,
        "address_1": customer.address.street, "city": customer.address.city, "postcode": customer.address.zip,
        "country": customer.address.country, "email": customer.email, "phone": customer.phone,
    })


def _api(handler):
    """Answer a :class:`WooError` raised by a route handler as the WordPress error it stands for."""
    @functools.wraps(handler)
    def wrapper(self, request, **args):
        try:
            return handler(self, request, **args)
        except WooError as error:
            return self._error(error)
    return wrapper


def _collection_rules(path, kind):
    item = f"{path}/<int:record_id>"
    defaults = {"kind": kind}
    return [
        Rule(path, methods=["GET"], endpoint="list", defaults=defaults),
        Rule(path, methods=["POST"], endpoint="create", defaults=defaults),
        Rule(f"{path}/batch", methods=_EDITABLE, endpoint="batch", defaults=defaults),
        Rule(item, methods=["GET"], endpoint="get", defaults=defaults),
        Rule(item, methods=_EDITABLE, endpoint="update", defaults=defaults),
        Rule(item, methods=["DELETE"], endpoint="delete", defaults=defaults),
    ]


class WooCommerceSimulator(SimulatorApp):
    """Stateful WooCommerce shop behind ``/wp-json/wc/v3``.

    Inspection state (dicts by id of wire-shaped records, as ``GET`` serves them minus ``_links``):
    ``orders``, ``products`` (simple and variable parents), ``variations`` (with ``parent_id``),
    ``customers`` and ``registered_webhooks`` (which also hold their write-only ``secret``); ``order_notes``
    (order id -> notes) and ``customer_emails`` (customer notes sent to the buyer).

    ``site_url`` is the shop's home URL used in webhook payloads and ``X-WC-Webhook-Source``
    (API responses link to the host they were requested on, unless ``links_url`` is set: WordPress
    builds ``Link`` headers from its own configured address, which may differ from the one a client
    uses); ``timezone`` is the site timezone of
    the non-``_gmt`` dates; ``requests_per_minute`` enables a host-style rate limit (429).
    """

    name = "woocommerce"
    url_map = Map(
        _collection_rules(f"{API_ROOT}/orders", "orders")
        + _collection_rules(f"{API_ROOT}/products", "products")
        + _collection_rules(f"{API_ROOT}/products/<int:product_id>/variations", "variations")
        + _collection_rules(f"{API_ROOT}/customers", "customers")
        + _collection_rules(f"{API_ROOT}/webhooks", "webhooks")
        + [Rule(f"{API_ROOT}/orders/<int:order_id>/notes", methods=["GET"], endpoint="list_notes"),
           Rule(f"{API_ROOT}/orders/<int:order_id>/notes", methods=["POST"], endpoint="create_note"),
           Rule(f"{API_ROOT}/orders/<int:order_id>/notes/<int:note_id>", methods=["GET"], endpoint="get_note"),
           Rule(f"{API_ROOT}/orders/<int:order_id>/notes/<int:note_id>", methods=["DELETE"], endpoint="delete_note"),
           Rule(f"{API_ROOT}/orders/<int:order_id>/refunds", methods=["GET"], endpoint="list_refunds"),
           Rule(f"{API_ROOT}/orders/<int:order_id>/refunds", methods=["POST"], endpoint="create_refund"),
           Rule(f"{API_ROOT}/orders/<int:order_id>/refunds/<int:refund_id>", methods=["GET"], endpoint="get_refund"),
           Rule(f"{API_ROOT}/products/categories", methods=["GET"], endpoint="list_categories"),
           Rule(f"{API_ROOT}/products/tags", methods=["GET"], endpoint="list_tags"),
           Rule(f"{API_ROOT}/products/tags", methods=["POST"], endpoint="create_tag")],
        redirect_defaults=False,
    )

    def __init__(self, consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET, site_url="http://localhost/",
                 timezone="Europe/Copenhagen", currency="DKK", requests_per_minute=None):
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.site_url = site_url
        self.timezone = ZoneInfo(timezone)
        self.currency = currency
        self.requests_per_minute = requests_per_minute
        self.links_url = None
        super().__init__()

    # -- SimulatorApp contract --------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.orders, self.products, self.variations, self.customers = {}, {}, {}, {}
            self.refunds = {}  # order id -> {refund id: refund resource}
            self.registered_webhooks = {}  # ``self.webhooks`` is the base class' delivery dispatcher
            self.order_notes = {}  # order id -> its notes (wire-shaped, newest last)
            self.customer_emails = []  # customer notes e-mailed to the buyer: {to, order, note}
            self._sequences = {"post": 100, "user": 1, "item": 0, "meta": 0, "term": 14, "webhook": 0, "comment": 0}
            self._categories = {}  # name -> {id, name, slug}
            self._tags = {}  # name -> {id, name, slug}
            self.media = {}  # attachment id -> image object as the API shows it
            self.uploads = {}  # path under the site -> (bytes, content type)
            self._pending_events = {}  # (resource, id) -> event, delivered once per request
            self._request_times = deque()

    def snapshot(self):
        with self.lock:
            return {kind: [self._render(kind, record, self.site_url) for record in self._store(kind).values()]
                    for kind in SINGULAR}

    def error_response(self, status, message, **extra):
        code = "internal_server_error" if status >= 500 else "rest_error"
        return self._error(WooError(code, message, status, **extra))

    def rate_limited_response(self, fault):
        return self._too_many_requests(fault.retry_after)

    def before_request(self, request):
        """Rate limit, then consumer key auth, then routing (``rest_no_route``), then permissions.
        Uploaded files are public, served by the web server (no API, no limit)."""
        if request.path.startswith(f"{UPLOADS}/"):
            body, content_type = self.uploads.get(request.path, (None, None))
            return Response(body, content_type=content_type) if body is not None else Response(
                "Not Found", status=404, content_type="text/html")
        if self.requests_per_minute:
            now = self.clock()
            while self._request_times and self._request_times[0] <= now - 60:
                self._request_times.popleft()
            if len(self._request_times) >= self.requests_per_minute:
                return self._too_many_requests(60 - (now - self._request_times[0]))
            self._request_times.append(now)
        key, secret = request.args.get("consumer_key"), request.args.get("consumer_secret")
        if not (key and secret) and request.authorization and request.authorization.type == "basic":
            key, secret = request.authorization.username, request.authorization.password
        known_key = bool(key and secret) and hmac.compare_digest(key.encode(), self.consumer_key.encode())
        if known_key and not hmac.compare_digest(secret.encode(), self.consumer_secret.encode()):
            return self._error(WooError("woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401))
        try:
            endpoint, _args = self.url_map.bind_to_environ(request.environ).match()
        except (NotFound, MethodNotAllowed):
            return self._error(WooError("rest_no_route", "No route was found matching the URL and request method.",
                                        404))
        if not known_key:
            return self._error(WooError(*PERMISSION_ERRORS[endpoint], 401))
        return None

    def after_request(self, request, response):
        with self.lock:
            self._deliver_pending_events()
        return response

    # -- shop-side API (tests, demo) ----------------------------------------------------------
    def seed(self, catalogue):
        """Load a :class:`seed.Catalogue` silently (no webhooks, stock as given).

        Customers and products are dated 30 days before the first order; orders keep their seed
        dates; stock counts as already reduced for processing/completed/on-hold orders.
        """
        with self.lock:
            first_order = min((order.created_at for order in catalogue.orders), default=None)
            catalogue_date = first_order - timedelta(days=30) if first_order else self._now()
            for customer in catalogue.customers:
                self._restamp(self._insert_seed_customer(customer), catalogue_date)
            for product in catalogue.products:
                parent = self._insert_seed_product(product)
                for variation_id in parent["variations"]:
                    self._restamp(self.variations[variation_id], catalogue_date)
                self._restamp(parent, catalogue_date)
            for order in catalogue.orders:
                self._insert_seed_order(order, order.created_at, order.updated_at, reduce_stock=False)
            self._pending_events.clear()

    def add_order(self, seed_order):
        """Place ``seed_order`` now, as the shop's checkout would; returns the order id.

        Registers an unknown customer, reduces stock for processing/completed/on-hold orders and
        fires ``order.created`` (plus ``customer.created``/``product.updated`` as applicable).
        """
        with self.lock:
            now = self._now()
            order = self._insert_seed_order(seed_order, now, now, reduce_stock=True)
            self._deliver_pending_events()
            return order["id"]

    def set_order_status(self, order_key, status):
        """Change an order's status (a WooCommerce status or a neutral seed state), firing ``order.updated``.

        ``order_key``: an ``int`` is the order id, a ``str`` the order number.  Side effects follow
        WooCommerce: date_paid/date_completed, a full refund for "refunded", stock reduce/restore.
        """
        with self.lock:
            status = STATE_TO_STATUS.get(status, status)
            if status not in ORDER_STATUSES:
                raise ValueError(f"unknown order status {status!r}")
            order = self._order_by_key(order_key)
            self._change_status(order, status)
            self._order_saved(order)
            self._deliver_pending_events()
            return order["id"]

    def refund_order(self, order_key, amount, line_items=(), reason="", restock=True):
        """Refund as the shop admin does (``POST /orders/<id>/refunds``); fires ``order.updated``.
        ``line_items``: ``(item id, quantity, gross amount[, tax])``: the tax as the admin's refund form
        sent it (its tax fields can be typed over; the request's ``refund_tax`` is kept as given), else
        the item's share of the gross; returns the refund id."""
        with self.lock:
            order = self._order_by_key(order_key)
            refund = self._create_refund(order, Decimal(amount), [
                {"id": item_id, "quantity": quantity, **self._refund_amounts(order, item_id, Decimal(gross), *tax)}
                for item_id, quantity, gross, *tax in line_items], reason, restock)
            self._order_saved(order)
            self._deliver_pending_events()
            return refund["id"]

    def add_product(self, seed_product):
        """Create ``seed_product`` (with its variations) in the admin; fires ``product.created``."""
        with self.lock:
            product = self._insert_seed_product(seed_product)
            self._deliver_pending_events()
            return product["id"]

    def update_product(self, id_or_sku, **changes):
        """Apply wire-field ``changes`` to a product or variation (by id or SKU); fires ``product.updated``."""
        with self.lock:
            record = self._catalog_record(id_or_sku)
            if record["type"] == "variation":
                self._update_variation(record, changes)
            else:
                self._update_product(record, changes)
            self._deliver_pending_events()
            return record["id"]

    def add_image(self, content, filename, alt=""):
        """Upload an image to the media library (as the admin does); return its image object."""
        with self.lock:
            return dict(self._store_image(content, filename, alt))

    def set_product_image(self, id_or_sku, content, filename):
        """Upload ``content`` and make it the main image of a product or variation; fires ``product.updated``."""
        image = self.add_image(content, filename)
        record = self._catalog_record(id_or_sku)
        if record["type"] == "variation":
            key, value = "image", {"id": image["id"]}
        else:
            key, value = "images", [{"id": image["id"]}]
        return self.update_product(id_or_sku, **{key: value})

    def set_stock(self, sku, quantity):
        """Set the managed stock of the product or variation with ``sku``; fires ``product.updated``."""
        return self.update_product(sku, manage_stock=True, stock_quantity=quantity)

    # -- routes (generic per collection ``kind``; each kind's behaviour lives in its
    #    ``_create_<singular>``, ``_update_<singular>`` and ``_delete_<singular>`` methods) ------
    @_api
    def on_list(self, request, kind, product_id=None):
        parent = self._parent(product_id)
        query = self._list_query(kind, request.args)
        records = list(self._store(kind).values())
        if parent is not None:
            records = [record for record in records if record["parent_id"] == parent["id"]]
        if kind == "products" and query["sku"]:  # WooCommerce looks SKUs up among variations too
            records += self.variations.values()
        selected = sorted((record for record in records if self._matches(kind, record, query)),
                          key=lambda record: self._sort_key(kind, record, query),
                          reverse=query["order"] == "desc")
        per_page = query["per_page"]
        offset = query["offset"] if query["offset"] is not None else (query["page"] - 1) * per_page
        total_pages = math.ceil(len(selected) / per_page)
        response = self._json([self._shape(kind, record, request) for record in selected[offset:offset + per_page]])
        response.headers["X-WP-Total"] = str(len(selected))
        response.headers["X-WP-TotalPages"] = str(total_pages)
        page = offset // per_page + 1
        params = [(name, value) for name, value in request.args.items(multi=True) if name != "page"]
        links = {"prev": min(page - 1, total_pages), "next": page + 1 if total_pages > page else 0}
        for rel, target in links.items():
            if target > 0:
                base = f"{self.links_url.rstrip('/')}{request.path}" if self.links_url else request.base_url
                url = f"{base}?{urlencode(params + [('page', target)])}"
                response.headers.add("Link", f'<{url}>; rel="{rel}"')
        return response

    @_api
    def on_get(self, request, kind, record_id, product_id=None):
        record = self._lookup(kind, record_id, self._parent(product_id), "get")
        return self._json(self._shape(kind, record, request))

    @_api
    def on_create(self, request, kind, product_id=None):
        parent = self._parent(product_id)
        data = self._body(request)
        _validate(data, SCHEMAS[kind], REQUIRED_ON_CREATE.get(kind, ()))
        body = self._render(kind, self._create(kind, data, parent), request.host_url)
        location = body["_links"]["self"][0]["href"]
        return self._json(self._only_fields(body, request), 201, headers={"Location": location})

    @_api
    def on_update(self, request, kind, record_id, product_id=None):
        record = self._lookup(kind, record_id, self._parent(product_id), "update")
        data = self._body(request)
        _validate(data, SCHEMAS[kind])
        getattr(self, f"_update_{SINGULAR[kind]}")(record, data)
        return self._json(self._shape(kind, record, request))

    @_api
    def on_delete(self, request, kind, record_id, product_id=None):
        record = self._lookup(kind, record_id, self._parent(product_id), "delete")
        result = getattr(self, f"_delete_{SINGULAR[kind]}")(record, _as_bool(request.args.get("force", False)))
        return self._json(self._shape(kind, result, request))

    @_api
    def on_batch(self, request, kind, product_id=None):
        parent = self._parent(product_id)
        data = self._body(request)
        sections = {name: data.get(name) or [] for name in ("create", "update", "delete")}
        wrong = {name: ("rest_invalid_type", f"{name} is not of type array.")
                 for name, items in sections.items() if not isinstance(items, list)}
        if wrong:
            raise _invalid_params(wrong)
        if sum(len(items) for items in sections.values()) > BATCH_LIMIT:
            raise WooError("woocommerce_rest_request_entity_too_large",
                           f"Unable to accept more than {BATCH_LIMIT} items for this request.", 413)
        result = {}
        for section, items in sections.items():
            if section == "delete":
                items = [item_id for item_id in items if str(item_id).strip() not in ("", "0")]
            if items:
                result[section] = [self._batch_item(kind, section, item, parent, request) for item in items]
        return self._json(result)

    # -- refunds --------------------------------------------------------------------------------
    @_api
    def on_list_categories(self, request):
        """``GET /products/categories`` (OpenAPI file: ``product_cat``)."""
        return self._terms(request, self._categories, "categories", {
            "parent": 0, "display": "default", "image": None, "menu_order": 0})

    @_api
    def on_list_tags(self, request):
        """``GET /products/tags`` (OpenAPI file: ``product_tag``)."""
        return self._terms(request, self._tags, "tags", {})

    @_api
    def on_create_tag(self, request):
        """``POST /products/tags`` (OpenAPI file: ``name`` required); an existing name is WordPress'
        ``term_exists`` error."""
        name = str(self._body(request).get("name") or "").strip()
        if not name:
            raise WooError("rest_missing_callback_param", "Missing parameter(s): name", 400, params=["name"])
        if name in self._tags:
            raise WooError("term_exists", "A term with the name provided already exists with this parent.", 400,
                           resource_id=self._tags[name]["id"])
        return self._json(self._term_body(self._tag(name), "tags", {}), 201)

    def _terms(self, request, terms, field, extra):
        """A taxonomy's terms: ``search`` matches the name or slug, paged like every collection; names are
        HTML-escaped as WordPress stores term names."""
        search = (request.args.get("search") or "").casefold()
        per_page = _as_int(request.args.get("per_page") or 10, "per_page")
        page = _as_int(request.args.get("page") or 1, "page")
        found = [term for term in sorted(terms.values(), key=lambda term: term["name"])
                 if search in term["name"].casefold() or search in term["slug"]]
        response = self._json([self._term_body(term, field, extra)
                               for term in found[(page - 1) * per_page:page * per_page]])
        response.headers["X-WP-Total"] = str(len(found))
        response.headers["X-WP-TotalPages"] = str(math.ceil(len(found) / per_page))
        return response

    def _term_body(self, term, field, extra):
        return {"id": term["id"], "name": html.escape(term["name"], quote=False), "slug": term["slug"],
                "description": "", **extra,
                "count": sum(1 for product in self.products.values()
                             if any(entry["id"] == term["id"] for entry in product[field]))}

    def add_category(self, name):
        """The admin creates a product category; returns it."""
        with self.lock:
            return self._category(name)

    def add_tag(self, name):
        """The admin creates a product tag; returns it."""
        with self.lock:
            return self._tag(name)

    @_api
    def on_list_refunds(self, request, order_id):
        order = self._lookup("orders", order_id, None, "get")
        refunds = sorted(self.refunds.get(order["id"], {}).values(), key=lambda refund: refund["id"], reverse=True)
        response = self._json([self._refund_body(order, refund, request.host_url) for refund in refunds])
        response.headers["X-WP-Total"] = str(len(refunds))
        response.headers["X-WP-TotalPages"] = "1" if refunds else "0"
        return response

    @_api
    def on_get_refund(self, request, order_id, refund_id):
        order = self._lookup("orders", order_id, None, "get")
        refund = self.refunds.get(order["id"], {}).get(refund_id)
        if refund is None:
            raise WooError("woocommerce_rest_invalid_id", "Invalid ID.", 404)
        return self._json(self._refund_body(order, refund, request.host_url))

    @_api
    def on_create_refund(self, request, order_id):
        order = self._lookup("orders", order_id, None, "get")
        data = self._body(request)
        _validate(data, {"amount": _STR, "reason": _STR, "refunded_by": _INT, "meta_data": _ARRAY,
                         "api_refund": _BOOL, "api_restock": _BOOL, "line_items": _ARRAY})
        amount = _as_decimal(data.get("amount", "0"), "amount")
        if amount <= 0:
            raise WooError("woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.", 400)
        posted = [item for item in data.get("line_items") or [] if isinstance(item, dict)]
        items = [{"id": _as_int(item.get("id"), "id"), "quantity": _as_int(item.get("quantity", 0), "quantity"),
                  "refund_total": _as_decimal(item.get("refund_total", "0"), "refund_total"),
                  "refund_tax": sum((_as_decimal(tax.get("refund_total", "0"), "refund_total")
                                     for tax in item.get("refund_tax") or [] if isinstance(tax, dict)), Decimal(0))}
                 for item in posted]
        refund = self._create_refund(order, amount, items, data.get("reason") or "",
                                     data.get("api_restock", True) is not False)
        self._order_saved(order)
        return self._json(self._refund_body(order, refund, request.host_url), 201)

    def _refund_amounts(self, order, item_id, gross, refund_tax=None):
        """``refund_total`` / ``refund_tax`` of a gross amount on an order item: ``refund_tax`` as given,
        else at the item's own rate."""
        item = self._order_items(order).get(item_id)
        if item is None:
            return {"refund_total": gross, "refund_tax": Decimal(0)}
        net, tax = Decimal(item["total"]), Decimal(item["total_tax"])
        if refund_tax is None:
            refund_tax = (gross * tax / (net + tax)).quantize(CENT, ROUND_HALF_UP) if net + tax else Decimal(0)
        return {"refund_total": gross - Decimal(refund_tax), "refund_tax": Decimal(refund_tax)}

    @staticmethod
    def _order_items(order):
        return {item["id"]: item for key in ("line_items", "shipping_lines", "fee_lines") for item in order[key]}

    def _create_refund(self, order, amount, items, reason, restock, adjust_stock=True):
        """Store a refund of ``amount`` with ``items`` (id, quantity, refund_total, refund_tax), as
        ``wc_create_refund`` does (woocommerce/woocommerce ``includes/wc-order-functions.php``): the
        order's product, fee and shipping items may be refunded, each copied as a negative item with
        meta ``_refunded_item_id`` (a quantity only on product items), unknown items and items
        refunding nothing are ignored, ``amount`` is kept as given (it need not be the items' sum);
        refunded product items are restocked (``adjust_stock`` false: counted on the item only, for
        seeded history)."""
        refunded = -sum((Decimal(refund["total"]) for refund in order["refunds"]), Decimal(0))
        remaining = Decimal(order["total"]) - refunded
        if amount > remaining:
            raise WooError("woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.", 500)
        moment = self._now()
        refund = {"id": self._next_id("post"), "amount": _money(amount), "reason": reason, "refunded_by": 1,
                  "refunded_payment": False, "meta_data": [], "line_items": [], "shipping_lines": [],
                  "tax_lines": [], "fee_lines": []}
        self._set_date(refund, "date_created", moment)
        known = {item["id"]: (key, item)
                 for key in ("line_items", "shipping_lines", "fee_lines") for item in order[key]}
        for posted in items:
            key, item = known.get(posted["id"], (None, None))
            quantity, net, tax_total = posted["quantity"], posted["refund_total"], posted["refund_tax"]
            if item is None or not (quantity or net or tax_total):
                continue
            refund[key].append(self._refund_item(key, item, quantity, net, tax_total))
            if key == "line_items" and restock and quantity:
                self._restock_item(item, quantity, adjust_stock)
        refund["tax_lines"] = self._refund_tax_lines(order, refund)
        self.refunds.setdefault(order["id"], {})[refund["id"]] = refund
        order["refunds"].insert(0, {"id": refund["id"], "reason": reason, "total": _money(-amount)})
        if amount == remaining and order["status"] != "refunded":
            order["status"] = "refunded"
        return refund

    def _refund_item(self, key, item, quantity, net, tax_total):
        """The refund's copy of an order item, amounts negative (``get_order_item_data`` of the refunds
        controller: product items with quantity, SKU and price; shipping and fee items as on the order)."""
        taxes = [{"id": tax["id"], "total": _money(-tax_total), "subtotal": _money(-tax_total)}
                 for tax in item["taxes"][:1]]
        refunded = {"total": _money(-net), "total_tax": _money(-tax_total), "taxes": taxes,
                    "meta_data": [{"id": self._next_id("meta"), "key": REFUND_META, "value": str(item["id"])}]}
        if key == "shipping_lines":
            return {"id": self._next_id("item"), "method_title": item["method_title"], "method_id": item["method_id"],
                    **refunded}
        if key == "fee_lines":
            return {"id": self._next_id("item"), "name": item["name"], "tax_class": item["tax_class"],
                    "tax_status": item["tax_status"], **refunded}
        return {"id": self._next_id("item"), "name": item["name"], "product_id": item["product_id"],
                "variation_id": item["variation_id"], "quantity": -quantity, "tax_class": item["tax_class"],
                "subtotal": _money(-net), "subtotal_tax": _money(-tax_total), **refunded,
                "sku": item["sku"], "price": float(-net / quantity) if quantity else 0.0}

    def _refund_tax_lines(self, order, refund):
        """The refund's tax lines (``WC_Abstract_Order::update_taxes`` on the refund): the order's rate
        with the refunded item and shipping taxes, negative."""
        shipping_tax = sum((Decimal(item["total_tax"]) for item in refund["shipping_lines"]), Decimal(0))
        cart_tax = sum((Decimal(item["total_tax"]) for key in ("line_items", "fee_lines") for item in refund[key]),
                       Decimal(0))
        return [{**{name: line[name] for name in ("rate_code", "rate_id", "label", "compound", "rate_percent")},
                 "id": self._next_id("item"), "tax_total": _money(cart_tax), "shipping_tax_total": _money(shipping_tax),
                 "meta_data": []} for line in order["tax_lines"] if cart_tax or shipping_tax]

    def _restock_item(self, item, quantity, adjust_stock):
        record = self.variations.get(item["variation_id"]) or self.products.get(item["product_id"])
        if adjust_stock and record is not None and record["manage_stock"]:
            record["stock_quantity"] += quantity
            self._derive_catalog_fields(record)
            self._product_saved(record)
        restocked = next((meta for meta in item["meta_data"] if meta["key"] == RESTOCKED_META), None)
        if restocked is None:
            item["meta_data"].append({"id": self._next_id("meta"), "key": RESTOCKED_META, "value": str(quantity)})
        else:
            restocked["value"] = str(int(restocked["value"]) + quantity)

    def _refund_body(self, order, refund, base_url):
        body = copy.deepcopy(refund)
        collection = f"{base_url.rstrip('/')}{API_ROOT}/orders/{order['id']}/refunds"
        body["_links"] = {"self": [{"href": f"{collection}/{refund['id']}"}], "collection": [{"href": collection}],
                          "up": [{"href": f"{base_url.rstrip('/')}{API_ROOT}/orders/{order['id']}"}]}
        return body

    # -- request plumbing ---------------------------------------------------------------------
    def _json(self, data, status=200, headers=None):
        return Response(php_json(data), status=status, headers=headers, content_type="application/json; charset=UTF-8")

    def _error(self, error):
        return self._json(error.body(), error.status)

    def _too_many_requests(self, retry_after):
        seconds = max(1, math.ceil(retry_after))
        response = self._error(WooError(
            "rate_limit_exceeded", f"Too many requests. Please wait {seconds} seconds before trying again.", 429))
        response.headers["Retry-After"] = str(seconds)
        return response

    @staticmethod
    def _body(request):
        raw = request.get_data()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise WooError("rest_invalid_json", "Invalid JSON body passed.", 400, json_error_code=4,
                           json_error_message="Syntax error")
        return data

    def _batch_item(self, kind, section, item, parent, request):
        """Run one create/update/delete of a batch; a failure becomes ``{id, error}`` as in WooCommerce.

        Batch items skip the schema validation of single requests, as they do in WooCommerce.
        """
        try:
            if section == "delete":
                record = self._lookup(kind, _as_int(item, "id"), parent, "delete")
                return self._shape(kind, getattr(self, f"_delete_{SINGULAR[kind]}")(record, True), request)
            if not isinstance(item, dict):
                raise _invalid_params({"body": ("rest_invalid_type", "body is not of type object.")})
            if section == "create":
                return self._shape(kind, self._create(kind, item, parent), request)
            record = self._lookup(kind, _as_int(item.get("id", 0), "id"), parent, "update")
            getattr(self, f"_update_{SINGULAR[kind]}")(record, item)
            return self._shape(kind, record, request)
        except WooError as error:
            if section == "delete":
                item_id = item
            else:
                item_id = item.get("id", 0) if section == "update" and isinstance(item, dict) else 0
            return {"id": item_id, "error": error.body()}

    def _list_query(self, kind, args):
        """Parse and validate the query parameters of a list request (all errors reported at once)."""
        errors = {}

        def values(name):
            return [part.strip() for value in args.getlist(name) + args.getlist(f"{name}[]")
                    for part in value.split(",") if part.strip()]

        def integer(name, default, minimum, maximum=None):
            if name not in args:
                return default
            text = args[name].strip()
            if not re.fullmatch(r"-?\d+", text):
                errors[name] = ("rest_invalid_type", f"{name} is not of type integer.")
                return default
            number = int(text)
            if number < minimum or (maximum is not None and number > maximum):
                bounds = (f"between {minimum} (inclusive) and {maximum} (inclusive)" if maximum is not None
                          else f"greater than or equal to {minimum}")
                errors[name] = ("rest_out_of_bounds", f"{name} must be {bounds}")
            return number

        def enum(name, default, options, many=False):
            chosen = values(name) or [default]
            for index, value in enumerate(chosen):
                if value not in options:
                    label = f"{name}[{index}]" if many else name
                    errors[name] = ("rest_not_in_enum", f"{label} is not one of {_wp_list(options)}.")
            return chosen if many else chosen[0]

        def moment(name):
            text = args.get(name)
            if text is None:
                return None
            if not _WP_DATE.match(text):
                errors[name] = ("rest_invalid_date", "Invalid date.")
                return None
            return datetime.fromisoformat(text.replace("z", "Z").replace(" ", "T"))

        def ids(name):
            parsed = []
            for value in values(name):
                if not value.isdigit():
                    errors[name] = ("rest_invalid_type", f"{name}[{len(parsed)}] is not of type integer.")
                    return []
                parsed.append(int(value))
            return parsed

        query = {
            "page": integer("page", 1, 1), "per_page": integer("per_page", 10, 1, MAX_PER_PAGE),
            "offset": integer("offset", None, 0), "order": enum("order", DEFAULT_ORDER[kind], ("asc", "desc")),
            "orderby": enum("orderby", ORDERBY[kind][0], ORDERBY[kind]), "include": ids("include"),
            "exclude": ids("exclude"), "search": args.get("search", "").strip().lower(),
            "after": moment("after"), "before": moment("before"), "modified_after": moment("modified_after"),
            "modified_before": moment("modified_before"), "dates_are_gmt": _as_bool(args.get("dates_are_gmt")),
            "sku": values("sku"), "email": args.get("email", "").strip().lower(),
        }
        if kind == "orders":
            query["status"] = enum("status", "any", ORDER_STATUS_FILTER, many=True)
            query["customer"] = integer("customer", None, 0)
            query["product"] = integer("product", None, 0)
        elif kind in ("products", "variations"):
            query["status"] = enum("status", "any", PRODUCT_STATUS_FILTER)
            query["stock_status"] = enum("stock_status", None, STOCK_STATUSES) if "stock_status" in args else None
            query["type"] = enum("type", None, PRODUCT_TYPES) if "type" in args else None
            query["category"] = integer("category", None, 0)
        elif kind == "customers":
            query["role"] = enum("role", "customer", CUSTOMER_ROLES)
        else:
            query["status"] = enum("status", "all", WEBHOOK_STATUS_FILTER)
        if errors:
            raise _invalid_params(errors)
        return query

    def _matches(self, kind, record, query):
        if (query["include"] and record["id"] not in query["include"]) or record["id"] in query["exclude"]:
            return False
        if query["search"] and query["search"] not in self._search_text(kind, record):
            return False
        if kind != "customers" and not self._dates_match(record, query):
            return False
        if kind == "orders":
            statuses = query["status"]
            return ((record["status"] in statuses
                     or ("any" in statuses and record["status"] not in ("trash", "checkout-draft")))
                    and query["customer"] in (None, record["customer_id"])
                    and (query["product"] is None
                         or any(query["product"] in (line["product_id"], line["variation_id"])
                                for line in record["line_items"])))
        if kind in ("products", "variations"):
            return ((record["status"] == query["status"] or (query["status"] == "any" and record["status"] != "trash"))
                    and (not query["sku"] or record["sku"] in query["sku"])
                    and query["stock_status"] in (None, record["stock_status"])
                    and query["type"] in (None, record["type"])
                    and (query["category"] is None
                         or any(category["id"] == query["category"] for category in record.get("categories", []))))
        if kind == "customers":
            return query["email"] in ("", record["email"].lower()) and query["role"] in ("all", "customer")
        return query["status"] in ("all", record["status"])

    def _dates_match(self, record, query):
        """``after``/``before`` on the creation date, ``modified_*`` on the modification date (both exclusive)."""
        suffix = "_gmt" if query["dates_are_gmt"] else ""
        zone = timezone.utc if query["dates_are_gmt"] else self.timezone
        for param, field, later in (("after", "date_created", True), ("before", "date_created", False),
                                    ("modified_after", "date_modified", True),
                                    ("modified_before", "date_modified", False)):
            limit = query[param]
            if limit is None:
                continue
            if limit.tzinfo is not None:
                limit = limit.astimezone(zone).replace(tzinfo=None)
            value = datetime.fromisoformat(record[field + suffix])
            if (value <= limit) if later else (value >= limit):
                return False
        return True

    @staticmethod
    def _search_text(kind, record):
        if kind == "orders":
            parts = [record["number"], *record["billing"].values(), *record["shipping"].values()]
            parts += [f"{line['name']} {line['sku']}" for line in record["line_items"]]
        elif kind == "customers":
            parts = [record["email"], record["username"], record["first_name"], record["last_name"]]
        elif kind == "webhooks":
            parts = [record["name"]]
        else:
            parts = [record["name"], record["description"], record.get("short_description", "")]
        return " ".join(parts).lower()

    @staticmethod
    def _sort_key(kind, record, query):
        orderby = query["orderby"]
        if orderby == "include":
            include = query["include"]
            key = include.index(record["id"]) if record["id"] in include else len(include)
        elif orderby == "id":
            key = record["id"]
        elif orderby == "modified":
            key = record["date_modified_gmt"]
        elif orderby == "name":
            key = record["username"].lower()
        elif orderby in ("title", "slug") and kind != "orders":
            key = record.get("name" if orderby == "title" else "slug", "").lower()
        elif orderby == "price":
            key = Decimal(record["price"] or "0")
        elif orderby == "popularity":
            key = record.get("total_sales", 0)
        elif orderby == "rating":
            key = Decimal(record.get("average_rating", "0"))
        elif orderby == "menu_order":
            key = record["menu_order"]
        else:  # date, registered_date, and an order's title/slug (which start with its date)
            key = record["date_created_gmt"]
        return key, record["id"]

    # -- records, rendering, events ------------------------------------------------------------
    def _store(self, kind):
        return self.registered_webhooks if kind == "webhooks" else getattr(self, kind)

    def _now(self):
        return datetime.fromtimestamp(self.clock(), timezone.utc).replace(microsecond=0)

    def _next_id(self, sequence):
        self._sequences[sequence] += 1
        return self._sequences[sequence]

    def _set_date(self, record, field, moment):
        """Write ``field`` in the site timezone and ``field_gmt`` in UTC (both None for None)."""
        record[field] = None if moment is None else _wire_date(moment.astimezone(self.timezone))
        record[f"{field}_gmt"] = None if moment is None else _wire_date(moment.astimezone(timezone.utc))

    def _restamp(self, record, moment):
        self._set_date(record, "date_created", moment)
        self._set_date(record, "date_modified", moment)

    def _parent(self, product_id):
        if product_id is None:
            return None
        if product_id not in self.products:
            raise WooError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return self.products[product_id]

    def _lookup(self, kind, record_id, parent, operation):
        """The record ``record_id`` of ``kind``, else the "invalid id" error WooCommerce gives for ``operation``."""
        record = self._store(kind).get(record_id)
        if kind == "products" and record is None and operation == "get":
            record = self.variations.get(record_id)  # GET /products/<id> also serves variations
        if record is not None and (parent is None or record["parent_id"] == parent["id"]):
            return record
        if kind == "customers":
            message = "Invalid resource ID."
        elif kind == "webhooks" and operation != "delete":
            message = "ID is invalid."
        else:
            message = "Invalid ID."
        status = 400 if operation == "update" or (kind == "webhooks" and operation == "get") else 404
        raise WooError(INVALID_ID_CODES[kind], message, status)

    def _create(self, kind, data, parent):
        create = getattr(self, f"_create_{SINGULAR[kind]}")
        return create(data, parent) if kind == "variations" else create(data)

    def _shape(self, kind, record, request):
        """A record as an API response: rendered for the request's host, cut to ``_fields`` if asked."""
        return self._only_fields(self._render(kind, record, request.host_url), request)

    @staticmethod
    def _only_fields(body, request):
        fields = {part.strip() for part in request.args.get("_fields", "").split(",") if part.strip()}
        return {key: value for key, value in body.items() if key in fields | {"id"}} if fields else body

    def _render(self, kind, record, base_url):
        root = f"{base_url.rstrip('/')}{API_ROOT}"
        if kind == "products" and record["type"] == "variation":
            body = self._variation_as_product(record)
        else:
            body = {key: copy.deepcopy(value) for key, value in record.items() if key != "secret"}
        if kind == "variations":
            collection = f"{root}/products/{record['parent_id']}/variations"
        else:
            collection = f"{root}/{kind}"
        links = {"self": [{"href": f"{collection}/{record['id']}"}], "collection": [{"href": collection}]}
        if body.get("parent_id") and kind in ("products", "variations"):
            links["up"] = [{"href": f"{root}/products/{body['parent_id']}"}]
        if kind == "orders" and record["customer_id"]:
            links["customer"] = [{"href": f"{root}/customers/{record['customer_id']}"}]
        body["_links"] = links
        return body

    def _queue_event(self, resource, event, record_id):
        """Note a webhook event; each resource is delivered once per request ("deleted" wins, then "created")."""
        key = (resource, record_id)
        if event == "deleted" or key not in self._pending_events:
            self._pending_events[key] = event

    def _deliver_pending_events(self):
        events, self._pending_events = self._pending_events, {}
        for (resource, record_id), event in events.items():
            if event == "deleted":
                payload = {"id": record_id}
            else:
                kind = f"{resource}s"
                record = self._store(kind).get(record_id)
                if record is None and kind == "products":
                    record = self.variations.get(record_id)
                if record is None:
                    continue
                payload = self._render(kind, record, self.site_url)
            self._fire(f"{resource}.{event}", payload)

    def _fire(self, topic, payload):
        """POST ``payload`` to every active webhook on ``topic``, signed as WooCommerce signs it."""
        hooks = [webhook for webhook in self.registered_webhooks.values()
                 if webhook["status"] == "active" and webhook["topic"] == topic]
        if not hooks:
            return
        body = php_json(payload).encode()
        resource, event = topic.split(".")
        for webhook in hooks:
            delivery_id = hashlib.md5(f"{webhook['id']}{self.clock()}{secrets.token_hex(4)}".encode()).hexdigest()
            self.deliver_webhook(webhook["delivery_url"], topic, body, {
                "Content-Type": "application/json",
                "User-Agent": f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})",
                "X-WC-Webhook-Source": self.site_url,
                "X-WC-Webhook-Topic": topic,
                "X-WC-Webhook-Resource": resource,
                "X-WC-Webhook-Event": event,
                "X-WC-Webhook-Signature": webhook_signature(webhook["secret"], body),
                "X-WC-Webhook-ID": str(webhook["id"]),
                "X-WC-Webhook-Delivery-ID": delivery_id,
            })

    def _upsert_meta(self, record, posted):
        """Update ``meta_data`` entries matched by id or key, append the others (WooCommerce's update_meta_data)."""
        for entry in posted if isinstance(posted, list) else []:
            if not isinstance(entry, dict):
                continue
            existing = next((meta for meta in record["meta_data"]
                             if meta["id"] == entry.get("id") or meta["key"] == entry.get("key")), None)
            if existing is None:
                record["meta_data"].append({"id": self._next_id("meta"), "key": str(entry.get("key", "")),
                                            "value": entry.get("value", "")})
            else:
                existing["value"] = entry.get("value", "")

    # -- catalogue ----------------------------------------------------------------------------
    def _catalog_record(self, id_or_sku):
        if isinstance(id_or_sku, int):
            record = self.products.get(id_or_sku) or self.variations.get(id_or_sku)
        else:
            record = next((record for record in [*self.products.values(), *self.variations.values()]
                           if record["sku"] == id_or_sku and record["status"] != "trash"), None)
        if record is None:
            raise KeyError(f"no product or variation {id_or_sku!r}")
        return record

    def _check_sku(self, sku, own_id):
        """WooCommerce's SKU uniqueness over products and variations (``product_invalid_sku``, 400)."""
        taken = {record["sku"]: record["id"] for record in [*self.products.values(), *self.variations.values()]
                 if record["sku"] and record["id"] != own_id and record["status"] != "trash"}
        if sku in taken:
            suffix = 1
            while f"{sku}-{suffix}" in taken:
                suffix += 1
            raise WooError("product_invalid_sku", "Invalid or duplicated SKU.", 400, resource_id=taken[sku],
                           unique_sku=f"{sku}-{suffix}")

    def _tag(self, name):
        if name not in self._tags:
            self._tags[name] = {"id": self._next_id("term"), "name": name, "slug": _slugify(name)}
        return dict(self._tags[name])

    def _category(self, name):
        if name not in self._categories:
            self._categories[name] = {"id": self._next_id("term"), "name": name, "slug": _slugify(name)}
        return dict(self._categories[name])

    def _catalog_defaults(self, record_id):
        """Fields shared by products and variations, with WooCommerce's defaults."""
        record = {"id": record_id}
        now = self._now()
        self._set_date(record, "date_created", now)
        self._set_date(record, "date_modified", now)
        record.update({
            "description": "", "permalink": "", "sku": "", "global_unique_id": "", "price": "", "regular_price": "",
            "sale_price": "", "date_on_sale_from": None, "date_on_sale_from_gmt": None, "date_on_sale_to": None,
            "date_on_sale_to_gmt": None, "on_sale": False, "status": "publish", "purchasable": False, "virtual": False,
            "downloadable": False, "downloads": [], "download_limit": -1, "download_expiry": -1,
            "tax_status": "taxable", "tax_class": "", "manage_stock": False, "stock_quantity": None,
            "stock_status": "instock", "backorders": "no", "backorders_allowed": False, "backordered": False,
            "low_stock_amount": None, "weight": "", "dimensions": {"length": "", "width": "", "height": ""},
            "shipping_class": "", "shipping_class_id": 0, "menu_order": 0, "meta_data": [],
        })
        return record

    def _product_defaults(self, product_id):
        product = self._catalog_defaults(product_id)
        product.update({
            "name": "", "slug": "", "type": "simple", "featured": False, "catalog_visibility": "visible",
            "short_description": "", "price_html": "", "total_sales": 0, "external_url": "", "button_text": "",
            "sold_individually": False, "shipping_required": True, "shipping_taxable": True, "reviews_allowed": True,
            "average_rating": "0.00", "rating_count": 0, "related_ids": [], "upsell_ids": [], "cross_sell_ids": [],
            "parent_id": 0, "purchase_note": "", "categories": [], "tags": [], "images": [], "attributes": [],
            "default_attributes": [], "variations": [], "grouped_products": [],
        })
        return product

    def _variation_as_product(self, variation):
        """A variation in the products endpoint's shape (``/products/<id>``, ``/products?sku=``, webhooks)."""
        product = self._product_defaults(variation["id"])
        product.update({key: copy.deepcopy(value) for key, value in variation.items() if key in product})
        product.update(type="variation", slug=_slugify(variation["name"]),
                       attributes=copy.deepcopy(variation["attributes"]))
        return product

    def _apply_catalog_fields(self, record, data):
        """Write fields shared by products and variations, then derive price and stock fields."""
        if "sku" in data:
            sku = str(data["sku"] or "").strip()
            if sku:
                self._check_sku(sku, record["id"])
            record["sku"] = sku
        for name in ("regular_price", "sale_price"):
            if name in data:
                record[name] = _price(data[name])
        for name in ("description", "tax_class", "shipping_class", "global_unique_id", "weight"):
            if name in data:
                record[name] = str(data[name] or "")
        for name, options in (("status", PRODUCT_STATUSES), ("tax_status", TAX_STATUSES),
                              ("stock_status", STOCK_STATUSES), ("backorders", BACKORDERS)):
            if data.get(name) in options:
                record[name] = data[name]
        for name in ("virtual", "downloadable", "manage_stock"):
            if name in data:
                record[name] = _as_bool(data[name])
        if "menu_order" in data:
            record["menu_order"] = _as_int(data["menu_order"], "menu_order")
        if isinstance(data.get("dimensions"), dict):
            record["dimensions"].update({key: str(data["dimensions"][key]) for key in record["dimensions"]
                                         if key in data["dimensions"]})
        if record["manage_stock"]:
            if data.get("stock_quantity") is not None:
                record["stock_quantity"] = _as_int(data["stock_quantity"], "stock_quantity")
            record["stock_quantity"] = record["stock_quantity"] or 0
        else:
            record["stock_quantity"] = None
            record["backorders"] = "no"
        self._upsert_meta(record, data.get("meta_data"))
        self._derive_catalog_fields(record)

    @staticmethod
    def _derive_catalog_fields(record):
        """Current price, sale flag, stock status and purchasability, as WooCommerce derives them."""
        if record.get("type") != "variable":
            regular, sale = record["regular_price"], record["sale_price"]
            record["on_sale"] = bool(sale) and (not regular or Decimal(sale) < Decimal(regular))
            record["price"] = sale if record["on_sale"] else regular
        if record["manage_stock"]:
            if record["stock_quantity"] > 0:
                record["stock_status"] = "instock"
            else:
                record["stock_status"] = "outofstock" if record["backorders"] == "no" else "onbackorder"
        record["backorders_allowed"] = record["backorders"] != "no"
        record["backordered"] = (record["manage_stock"] and record["stock_quantity"] <= 0
                                 and record["backorders_allowed"])
        record["purchasable"] = bool(record["price"]) and record["status"] == "publish"

    def _sync_variable(self, product):
        """A variable product's price and stock status follow its published variations."""
        if not product["variations"]:
            return
        live = [self.variations[variation_id] for variation_id in product["variations"]
                if self.variations[variation_id]["status"] == "publish"]
        prices = [Decimal(child["price"]) for child in live if child["price"]]
        product["price"] = str(min(prices)) if prices else ""
        statuses = {child["stock_status"] for child in live}
        product["stock_status"] = next((status for status in STOCK_STATUSES if status in statuses), "outofstock")
        product["purchasable"] = product["status"] == "publish" and any(child["purchasable"] for child in live)

    def _product_saved(self, record, event="updated"):
        """Bump ``date_modified`` and queue the product webhook; a variation also resyncs and saves its parent."""
        now = self._now()
        self._set_date(record, "date_modified", now)
        self._queue_event("product", event, record["id"])
        if record["type"] == "variation":
            parent = self.products[record["parent_id"]]
            self._sync_variable(parent)
            self._set_date(parent, "date_modified", now)
            self._queue_event("product", "updated", parent["id"])
        elif record["type"] == "variable":
            self._sync_variable(record)

    def _apply_product_fields(self, product, data):
        for name in ("name", "short_description", "purchase_note"):
            if name in data:
                product[name] = str(data[name] or "")
        if data.get("type") in PRODUCT_TYPES:
            product["type"] = data["type"]
        if data.get("catalog_visibility") in CATALOG_VISIBILITIES:
            product["catalog_visibility"] = data["catalog_visibility"]
        for name in ("featured", "reviews_allowed", "sold_individually"):
            if name in data:
                product[name] = _as_bool(data[name])
        if data.get("slug") or not product["slug"]:
            slug = _slugify(str(data.get("slug") or product["name"])) or str(product["id"])
            product["slug"] = _unique(slug, {other["slug"] for other in self.products.values()
                                             if other["id"] != product["id"]}, "-")
        product["permalink"] = f"{self.site_url.rstrip('/')}/product/{product['slug']}/"
        if isinstance(data.get("categories"), list):
            known = {category["id"]: category for category in self._categories.values()}
            product["categories"] = [dict(known[entry["id"]]) for entry in data["categories"]
                                     if isinstance(entry, dict) and entry.get("id") in known]
        if isinstance(data.get("tags"), list):
            known = {tag["id"]: tag for tag in self._tags.values()}
            product["tags"] = [dict(known[entry["id"]]) for entry in data["tags"]
                               if isinstance(entry, dict) and entry.get("id") in known]
        if isinstance(data.get("attributes"), list):
            posted = [attribute for attribute in data["attributes"] if isinstance(attribute, dict)]
            product["attributes"] = [{
                "id": _as_int(attribute.get("id", 0), "attributes"), "name": str(attribute.get("name", "")),
                "position": _as_int(attribute.get("position", position), "attributes"),
                "visible": _as_bool(attribute.get("visible", False)),
                "variation": _as_bool(attribute.get("variation", False)),
                "options": [str(option) for option in attribute.get("options") or []],
            } for position, attribute in enumerate(posted)]
        if isinstance(data.get("default_attributes"), list):
            product["default_attributes"] = copy.deepcopy(data["default_attributes"])
        if isinstance(data.get("images"), list):
            product["images"] = [self._image(entry) for entry in data["images"] if isinstance(entry, dict)]
        self._apply_catalog_fields(product, data)
        if product["type"] == "variable":
            product.update(regular_price="", sale_price="", on_sale=False)

    def _create_product(self, data):
        if data.get("id"):
            raise WooError("woocommerce_rest_product_exists", "Cannot create existing product.", 400)
        product = self._product_defaults(self._sequences["post"] + 1)
        self._apply_product_fields(product, data)
        self._next_id("post")
        self.products[product["id"]] = product
        self._product_saved(product, "created")
        return product

    def _update_product(self, product, data):
        updated = copy.deepcopy(product)
        self._apply_product_fields(updated, data)
        product.update(updated)
        self._product_saved(product)

    def _delete_product(self, product, force):
        """``force``: delete with its variations; else move to the trash.  Fires ``product.deleted``."""
        result = copy.deepcopy(product)
        if force:
            for variation_id in product["variations"]:
                del self.variations[variation_id]
            del self.products[product["id"]]
        else:
            product["status"] = result["status"] = "trash"
            self._set_date(product, "date_modified", self._now())
        self._queue_event("product", "deleted", product["id"])
        return result

    def _apply_variation_fields(self, variation, parent, data):
        if isinstance(data.get("attributes"), list):
            # a parent's variation attribute, by id (global attributes) or by name; others are dropped
            by_key = {key: attribute for attribute in parent["attributes"] if attribute["variation"]
                      for key in (attribute["id"] or None, attribute["name"].lower()) if key is not None}
            chosen = [(by_key.get(entry.get("id") or str(entry.get("name", "")).lower()), entry)
                      for entry in data["attributes"] if isinstance(entry, dict)]
            variation["attributes"] = [
                {"id": attribute["id"], "name": attribute["name"], "option": str(entry.get("option", ""))}
                for attribute, entry in chosen if attribute]
        options = ", ".join(attribute["option"] for attribute in variation["attributes"])
        variation["name"] = f"{parent['name']} - {options}" if options else parent["name"]
        query = urlencode({f"attribute_{_slugify(attribute['name'])}": attribute["option"]
                           for attribute in variation["attributes"]})
        variation["permalink"] = f"{parent['permalink']}?{query}" if query else parent["permalink"]
        if isinstance(data.get("image"), dict):
            variation["image"] = self._image(data["image"]) if data["image"] else None
        self._apply_catalog_fields(variation, data)

    def _store_image(self, content, filename, alt=""):
        now = self._now()
        path = f"{UPLOADS}/{now:%Y/%m}/{filename}"
        self.uploads[path] = (content, IMAGE_TYPES[filename.rpartition(".")[2].lower()])
        image = {"id": self._next_id("post"), "src": f"{self.site_url.rstrip('/')}{path}",
                 "name": filename.rpartition(".")[0], "alt": alt}
        self._set_date(image, "date_created", now)
        self._set_date(image, "date_modified", now)
        self.media[image["id"]] = image
        return image

    def _image(self, entry):
        """The image object of one posted ``{id}`` or ``{src}`` (see IMAGE_TYPES), sideloading a ``src``."""
        media_id = _as_int(entry.get("id") or 0, "images")
        if not media_id and entry.get("src"):
            media_id = self._sideload(str(entry["src"]))["id"]
        if media_id not in self.media:
            raise WooError("woocommerce_product_invalid_image_id", f"#{media_id} is an invalid image ID.", 400)
        image = dict(self.media[media_id])
        if "alt" in entry:
            image["alt"] = str(entry["alt"] or "")
        return image

    def _sideload(self, src):
        filename = posixpath.basename(urlsplit(src).path)
        if filename.rpartition(".")[2].lower() not in IMAGE_TYPES or "." not in filename:
            raise WooError("woocommerce_product_image_upload_error",
                           "Invalid image: Sorry, you are not allowed to upload this file type.", 400)
        try:
            response = requests.get(src, timeout=10)
            error = None if response.status_code == 200 else response.reason
        except requests.RequestException as exc:
            response, error = None, f"cURL error: {type(exc).__name__}"
        if error:
            raise WooError("woocommerce_product_image_upload_error",
                           f"Error getting remote image {src}. Error: {error}", 400)
        return self._store_image(response.content, filename)

    def _create_variation(self, data, parent):
        if data.get("id"):
            raise WooError("woocommerce_rest_product_variation_exists", "Cannot create existing product_variation.",
                           400)
        variation = {**self._catalog_defaults(self._sequences["post"] + 1), "name": "", "type": "variation",
                     "parent_id": parent["id"], "image": None, "attributes": []}
        self._apply_variation_fields(variation, parent, data)
        self._next_id("post")
        self.variations[variation["id"]] = variation
        parent["variations"].append(variation["id"])
        self._product_saved(variation, "created")
        return variation

    def _update_variation(self, variation, data):
        updated = copy.deepcopy(variation)
        self._apply_variation_fields(updated, self.products[variation["parent_id"]], data)
        variation.update(updated)
        self._product_saved(variation)

    def _delete_variation(self, variation, force):
        if not force:
            raise WooError("woocommerce_rest_trash_not_supported", "The product_variation does not support trashing.",
                           501)
        parent = self.products[variation["parent_id"]]
        parent["variations"].remove(variation["id"])
        del self.variations[variation["id"]]
        self._queue_event("product", "deleted", variation["id"])
        self._sync_variable(parent)
        self._set_date(parent, "date_modified", self._now())
        self._queue_event("product", "updated", parent["id"])
        return variation

    def _insert_seed_product(self, seed_product):
        data = {"name": seed_product.title, "type": "variable" if seed_product.has_variants else "simple",
                "status": "publish" if seed_product.published else "draft", "sku": seed_product.sku,
                "description": seed_product.description, "categories": [self._category(seed_product.category)]}
        if not seed_product.has_variants:
            return self._create_product({**data, "regular_price": _money(seed_product.price)})
        names = list(dict.fromkeys(name for variant in seed_product.variants for name in variant.options))
        data["attributes"] = [
            {"name": name, "position": position, "visible": True, "variation": True,
             "options": list(dict.fromkeys(variant.options[name] for variant in seed_product.variants))}
            for position, name in enumerate(names)]
        product = self._create_product(data)
        for position, variant in enumerate(seed_product.variants):
            self._create_variation({
                "sku": variant.sku, "regular_price": _money(variant.price), "manage_stock": True,
                "stock_quantity": variant.stock, "weight": str(variant.weight_kg), "menu_order": position,
                "global_unique_id": variant.barcode or "",
                "attributes": [{"name": name, "option": option} for name, option in variant.options.items()],
            }, product)
        return product

    # -- customers ----------------------------------------------------------------------------
    def _customer_by_email(self, email):
        return next((customer for customer in self.customers.values()
                     if customer["email"].lower() == email.strip().lower()), None)

    def _check_email(self, email, own_id):
        if not _EMAIL.match(email):
            raise WooError("registration-error-invalid-email", "Please provide a valid email address.", 400)
        existing = self._customer_by_email(email)
        if existing and existing["id"] != own_id:
            raise WooError("registration-error-email-exists",
                           "An account is already registered with your email address. Please log in.", 400)

    def _apply_customer_fields(self, customer, data):
        for name in ("first_name", "last_name"):
            if name in data:
                customer[name] = str(data[name] or "")
        for name, fields in (("billing", BILLING_FIELDS), ("shipping", SHIPPING_FIELDS)):
            if isinstance(data.get(name), dict):
                customer[name].update(_address(fields, {**customer[name], **data[name]}))
        self._upsert_meta(customer, data.get("meta_data"))

    def _create_customer(self, data):
        if data.get("id"):
            raise WooError("woocommerce_rest_customer_exists", "Cannot create existing resource.", 400)
        email = str(data.get("email") or "").strip()
        self._check_email(email, None)
        taken = {customer["username"] for customer in self.customers.values()}
        username = str(data.get("username") or "").strip()
        if username in taken:
            raise WooError("registration-error-username-exists",
                           "An account is already registered with that username. Please choose another.", 400)
        if not username:
            username = _unique(_slugify(email.split("@")[0]).replace("-", ".") or "customer", taken, "")
        customer = {"id": self._next_id("user")}
        self._restamp(customer, self._now())
        avatar = hashlib.md5(email.lower().encode()).hexdigest()
        customer.update({
            "email": email, "first_name": "", "last_name": "", "role": "customer", "username": username,
            "billing": _address(BILLING_FIELDS), "shipping": _address(SHIPPING_FIELDS), "is_paying_customer": False,
            "avatar_url": f"https://secure.gravatar.com/avatar/{avatar}?s=96&d=mm&r=g", "meta_data": [],
        })
        self._apply_customer_fields(customer, data)
        self.customers[customer["id"]] = customer
        self._queue_event("customer", "created", customer["id"])
        return customer

    def _update_customer(self, customer, data):
        if "username" in data and data["username"] != customer["username"]:
            raise WooError("woocommerce_rest_customer_invalid_argument", "Username isn't editable.", 400)
        if "email" in data:
            self._check_email(str(data["email"] or "").strip(), customer["id"])
        updated = copy.deepcopy(customer)
        if "email" in data:
            updated["email"] = str(data["email"]).strip()
        self._apply_customer_fields(updated, data)
        self._set_date(updated, "date_modified", self._now())
        customer.update(updated)
        self._queue_event("customer", "updated", customer["id"])

    def _delete_customer(self, customer, force):
        if not force:
            raise WooError("woocommerce_rest_trash_not_supported", "Customers do not support trashing.", 501)
        del self.customers[customer["id"]]
        self._queue_event("customer", "deleted", customer["id"])
        return customer

    def _insert_seed_customer(self, seed_customer):
        vat = [{"key": "vat_number", "value": seed_customer.vat_number}] if seed_customer.vat_number else []
        return self._create_customer({
            "email": seed_customer.email, "first_name": seed_customer.first_name, "last_name": seed_customer.last_name,
            "billing": _seed_address(seed_customer, BILLING_FIELDS),
            "shipping": _seed_address(seed_customer, SHIPPING_FIELDS), "meta_data": vat,
        })

    # -- orders -------------------------------------------------------------------------------
    def _order_by_key(self, order_key):
        if isinstance(order_key, int):
            order = self.orders.get(order_key)
        else:
            order = next((order for order in self.orders.values() if order["number"] == str(order_key)), None)
        if order is None:
            raise KeyError(f"no order {order_key!r}")
        return order

    def _new_order(self, number, currency, created, created_via):
        order_id = self._next_id("post")
        order = {"id": order_id, "parent_id": 0, "number": number,
                 "order_key": f"wc_order_{hashlib.md5(f'order-{order_id}'.encode()).hexdigest()[:13]}",
                 "created_via": created_via, "version": WC_VERSION, "status": "pending", "currency": currency}
        self._restamp(order, created)
        order.update({
            "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "0.00", "shipping_tax": "0.00",
            "cart_tax": "0.00", "total": "0.00", "total_tax": "0.00", "prices_include_tax": True, "customer_id": 0,
            "customer_ip_address": "", "customer_user_agent": "", "customer_note": "",
            "billing": _address(BILLING_FIELDS), "shipping": _address(SHIPPING_FIELDS), "payment_method": "",
            "payment_method_title": "", "transaction_id": "",
        })
        self._set_date(order, "date_paid", None)
        self._set_date(order, "date_completed", None)
        order.update({"cart_hash": "", "meta_data": [], "line_items": [], "tax_lines": [], "shipping_lines": [],
                      "fee_lines": [], "coupon_lines": [], "refunds": []})
        return order

    def _next_order_number(self):
        numbers = [int(order["number"]) for order in self.orders.values() if order["number"].isdigit()]
        return str(max(numbers, default=1000) + 1)

    def _line_product(self, sku):
        """(product id, variation id, display name) of the catalogue item with ``sku``, or None."""
        try:
            record = self._catalog_record(sku)
        except KeyError:
            return None
        if record["type"] == "variation":
            return record["parent_id"], record["id"], record["name"]
        return record["id"], 0, record["name"]

    def _attribute_meta(self, variation):
        """A variation line item's meta: its attribute options, keyed by attribute slug."""
        return [{"id": self._next_id("meta"), "key": _slugify(attribute["name"]), "value": attribute["option"]}
                for attribute in (variation["attributes"] if variation else [])]

    @staticmethod
    def _tax_country(order):
        """Taxes follow the shipping address, else the billing address (WooCommerce's default)."""
        return order["shipping"]["country"] or order["billing"]["country"]

    def _fill_order(self, order, rate, lines, shipping_lines, fee_lines, discount, coupon_code):
        """Write line arrays, tax lines (one VAT ``rate`` of the tax country) and totals.

        ``lines``: dicts with product_id, variation_id, name, sku, quantity, meta_data, ``subtotal`` and
        ``subtotal_tax`` (Decimals); ``shipping_lines``/``fee_lines``: their wire fields with Decimal
        ``total``/``total_tax``; ``discount``: gross coupon amount, spread over lines by value.
        """
        country = self._tax_country(order)
        rate_id = list(COUNTRIES).index(country) + 1 if country in COUNTRIES else 0

        def taxes(total, subtotal=None):
            if not rate:
                return []
            return [{"id": rate_id, "total": _money(total), "subtotal": "" if subtotal is None else _money(subtotal)}]

        shares = _distribute(discount, [line["subtotal"] + line["subtotal_tax"] for line in lines])
        cart_tax = discount_total = discount_tax = Decimal(0)
        order["line_items"] = []
        for line, share in zip(lines, shares):
            total, total_tax = line["subtotal"], line["subtotal_tax"]
            if share:
                gross = total + total_tax - share
                total_tax = _tax_included(gross, rate)
                total = gross - total_tax
            discount_total += line["subtotal"] - total
            discount_tax += line["subtotal_tax"] - total_tax
            cart_tax += total_tax
            order["line_items"].append({
                "id": self._next_id("item"), "name": line["name"], "product_id": line["product_id"],
                "variation_id": line["variation_id"], "quantity": line["quantity"], "tax_class": "",
                "subtotal": _money(line["subtotal"]), "subtotal_tax": _money(line["subtotal_tax"]),
                "total": _money(total), "total_tax": _money(total_tax), "taxes": taxes(total_tax, line["subtotal_tax"]),
                "meta_data": line["meta_data"], "sku": line["sku"],
                "price": float(total / line["quantity"]) if line["quantity"] else 0.0,
            })
        order["shipping_lines"] = [{"id": self._next_id("item"), "method_title": line["method_title"],
                                    "method_id": line["method_id"], "total": _money(line["total"]),
                                    "total_tax": _money(line["total_tax"]), "taxes": taxes(line["total_tax"]),
                                    "meta_data": []} for line in shipping_lines]
        order["fee_lines"] = [{"id": self._next_id("item"), "name": line["name"], "tax_class": "",
                               "tax_status": line["tax_status"], "total": _money(line["total"]),
                               "total_tax": _money(line["total_tax"]), "taxes": taxes(line["total_tax"]),
                               "meta_data": []} for line in fee_lines]
        order["coupon_lines"] = [{"id": self._next_id("item"), "code": coupon_code, "discount": _money(discount_total),
                                  "discount_tax": _money(discount_tax), "meta_data": []}] if discount else []
        cart_tax += sum((line["total_tax"] for line in fee_lines), Decimal(0))
        shipping_total = sum((line["total"] for line in shipping_lines), Decimal(0))
        shipping_tax = sum((line["total_tax"] for line in shipping_lines), Decimal(0))
        net = sum((Decimal(line["total"]) for line in order["line_items"]), Decimal(0))
        net += sum((line["total"] for line in fee_lines), Decimal(0)) + shipping_total
        label = TAX_LABELS.get(country, "VAT")
        order["tax_lines"] = [{
            "id": self._next_id("item"), "rate_code": f"{country}-{label.upper()}-1", "rate_id": rate_id,
            "label": label, "compound": False, "tax_total": _money(cart_tax),
            "shipping_tax_total": _money(shipping_tax), "rate_percent": float(rate), "meta_data": [],
        }] if rate else []
        order.update(discount_total=_money(discount_total), discount_tax=_money(discount_tax),
                     shipping_total=_money(shipping_total), shipping_tax=_money(shipping_tax),
                     cart_tax=_money(cart_tax), total_tax=_money(cart_tax + shipping_tax),
                     total=_money(net + cart_tax + shipping_tax))

    def _insert_seed_order(self, seed_order, created, modified, reduce_stock):
        """Store ``seed_order`` (gross amounts split into net + VAT); ``reduce_stock`` as a live checkout does."""
        order = self._new_order(seed_order.number, seed_order.currency, created, "checkout")
        customer = self._customer_by_email(seed_order.customer.email) or self._insert_seed_customer(seed_order.customer)
        rate = seed_order.tax_rate
        order["customer_id"] = customer["id"]
        order["billing"] = _seed_address(seed_order.customer, BILLING_FIELDS)
        order["shipping"] = _seed_address(seed_order.customer, SHIPPING_FIELDS)
        order["payment_method"], order["payment_method_title"] = PAYMENT_METHODS[seed_order.payment_method]
        if seed_order.customer.vat_number:
            self._upsert_meta(order, [{"key": "_billing_vat_number", "value": seed_order.customer.vat_number}])
        lines = []
        for line in seed_order.lines:
            product_id, variation_id, name = self._line_product(line.sku) or (0, 0, line.name)
            variation = self.variations.get(variation_id)
            gross = line.unit_price * line.quantity
            tax = _tax_included(gross, rate)
            lines.append({
                "product_id": product_id, "variation_id": variation_id, "name": name, "sku": line.sku,
                "quantity": line.quantity, "subtotal": gross - tax, "subtotal_tax": tax,
                "meta_data": self._attribute_meta(variation),
            })
        shipping_tax = _tax_included(seed_order.shipping_amount, rate)
        shipping = [{"method_title": seed_order.shipping_method,
                     "method_id": "flat_rate" if seed_order.shipping_amount else "local_pickup",
                     "total": seed_order.shipping_amount - shipping_tax, "total_tax": shipping_tax}]
        fee_tax = _tax_included(seed_order.fee_amount, rate)
        fees = [{"name": "Payment fee", "tax_status": "taxable", "total": seed_order.fee_amount - fee_tax,
                 "total_tax": fee_tax}] if seed_order.fee_amount else []
        coupon = f"SAVE{int(seed_order.discount_amount)}"
        self._fill_order(order, rate, lines, shipping, fees, seed_order.discount_amount, coupon)
        self.orders[order["id"]] = order
        self._queue_event("order", "created", order["id"])
        status = STATE_TO_STATUS[seed_order.state]
        if reduce_stock:
            self._change_status(order, status)
        else:  # history: paid at checkout, stock already taken, completed at the last update
            order["status"] = status
            if status in (*PAID_STATUSES, "refunded"):
                self._set_date(order, "date_paid", created)
                customer["is_paying_customer"] = True
            if status == "completed":
                self._set_date(order, "date_completed", modified)
            if status == "refunded":
                self._add_full_refund(order)
            if status in STOCK_REDUCING_STATUSES:
                self._upsert_meta(order, [{"key": STOCK_REDUCED_META, "value": "yes"}])
        self._seed_refunds(order, seed_order, reduce_stock)
        self._set_date(order, "date_modified", modified)
        return order

    def _add_full_refund(self, order):
        refunded = -sum((Decimal(refund["total"]) for refund in order["refunds"]), Decimal(0))
        remaining = Decimal(order["total"]) - refunded
        if remaining > 0:
            self._create_refund(order, remaining, [], "", restock=False)

    def _seed_refunds(self, order, seed_order, adjust_stock):
        """The seed order's partial refunds, as the admin would have given them."""
        by_sku = {item["sku"]: item for item in order["line_items"]}
        for seed_refund in seed_order.refunds:
            items = []
            for sku, quantity in seed_refund.lines:
                item = by_sku[sku]
                gross = (Decimal(item["subtotal"]) + Decimal(item["subtotal_tax"])) / item["quantity"] * quantity
                items.append((item["id"], quantity, gross.quantize(CENT, ROUND_HALF_UP)))
            if seed_refund.shipping:
                items += [(line["id"], 0, Decimal(line["total"]) + Decimal(line["total_tax"]))
                          for line in order["shipping_lines"]]
            amount = sum((gross for _id, _qty, gross in items), Decimal(0)) + seed_refund.amount
            self._create_refund(order, amount, [
                {"id": item_id, "quantity": quantity, **self._refund_amounts(order, item_id, gross)}
                for item_id, quantity, gross in items], seed_refund.reason, seed_refund.restock, adjust_stock)

    def _change_status(self, order, status):
        """Move to ``status`` with WooCommerce's transition effects: payment/completion dates, full refund, stock."""
        if status == order["status"]:
            return
        moment = self._now()
        self._add_note(order, f"Order status changed from {STATUS_LABELS[order['status']]} to {STATUS_LABELS[status]}.")
        order["status"] = status
        if status in PAID_STATUSES and order["date_paid"] is None:
            self._set_date(order, "date_paid", moment)
            if order["customer_id"] in self.customers:
                self.customers[order["customer_id"]]["is_paying_customer"] = True
        if status == "completed":
            self._set_date(order, "date_completed", moment)
        if status == "refunded":
            self._add_full_refund(order)
        reduced = any(meta["key"] == STOCK_REDUCED_META for meta in order["meta_data"])
        if status in STOCK_REDUCING_STATUSES and not reduced:
            self._adjust_stock(order, -1)
            self._upsert_meta(order, [{"key": STOCK_REDUCED_META, "value": "yes"}])
        elif status in STOCK_RESTORING_STATUSES and reduced:
            self._adjust_stock(order, +1)
            order["meta_data"] = [meta for meta in order["meta_data"] if meta["key"] != STOCK_REDUCED_META]

    def _adjust_stock(self, order, direction):
        for line in order["line_items"]:
            record = self.variations.get(line["variation_id"]) or self.products.get(line["product_id"])
            if record is not None and record["manage_stock"]:
                record["stock_quantity"] += direction * line["quantity"]
                self._derive_catalog_fields(record)
                self._product_saved(record)

    def _order_saved(self, order):
        self._set_date(order, "date_modified", self._now())
        self._queue_event("order", "updated", order["id"])

    def _posted_line(self, posted, rate):
        """A REST ``line_items`` entry (by sku, product_id or variation_id) as :meth:`_fill_order` takes it."""
        if not isinstance(posted, dict):
            raise WooError("woocommerce_rest_required_product_reference", "Product ID or SKU is required.", 400)
        if posted.get("sku"):
            record = next((record for record in [*self.products.values(), *self.variations.values()]
                           if record["sku"] == posted["sku"]), None)
        elif posted.get("variation_id"):
            record = self.variations.get(_as_int(posted["variation_id"], "variation_id"))
        elif posted.get("product_id"):
            record = self.products.get(_as_int(posted["product_id"], "product_id"))
        else:
            raise WooError("woocommerce_rest_required_product_reference", "Product ID or SKU is required.", 400)
        quantity = _as_int(posted.get("quantity", 1), "quantity")
        if "subtotal" in posted or "total" in posted:
            net = _as_decimal(posted.get("subtotal", posted.get("total")), "line_items")
            tax = _tax_on(net, rate)
        else:  # catalogue prices include tax
            gross = Decimal(record["price"] or "0") * quantity if record else Decimal(0)
            tax = _tax_included(gross, rate)
            net = gross - tax
        is_variation = record is not None and record["type"] == "variation"
        return {
            "product_id": (record["parent_id"] if is_variation else record["id"]) if record else 0,
            "variation_id": record["id"] if is_variation else 0,
            "name": str(posted.get("name") or (record["name"] if record else "")),
            "sku": record["sku"] if record else "", "quantity": quantity, "subtotal": net, "subtotal_tax": tax,
            "meta_data": self._attribute_meta(record if is_variation else None),
        }

    def _create_order(self, data):
        if data.get("id"):
            raise WooError("woocommerce_rest_shop_order_exists", "Cannot create existing order.", 400)
        customer_id = _as_int(data.get("customer_id") or 0, "customer_id")
        if customer_id and customer_id not in self.customers:
            raise WooError("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.", 400)
        for coupon in _objects(data.get("coupon_lines")):  # the simulator has no coupons
            raise WooError("woocommerce_rest_invalid_coupon", f'Coupon "{coupon.get("code", "")}" does not exist!',
                           400)
        order = self._new_order(self._next_order_number(), str(data.get("currency") or self.currency), self._now(),
                                "rest-api")
        order["customer_id"] = customer_id
        self._apply_order_fields(order, data)
        rate = COUNTRIES.get(self._tax_country(order), (Decimal(0), None))[0]
        lines = [self._posted_line(posted, rate) for posted in data.get("line_items") or []]
        shipping, fees = [], []
        for posted in _objects(data.get("shipping_lines")):
            net = _as_decimal(posted.get("total", 0), "shipping_lines")
            shipping.append({"method_title": str(posted.get("method_title", "")),
                             "method_id": str(posted.get("method_id", "")), "total": net,
                             "total_tax": _tax_on(net, rate)})
        for posted in _objects(data.get("fee_lines")):
            net = _as_decimal(posted.get("total", 0), "fee_lines")
            taxable = posted.get("tax_status", "taxable") == "taxable"
            fees.append({"name": str(posted.get("name", "")), "tax_status": "taxable" if taxable else "none",
                         "total": net, "total_tax": _tax_on(net, rate) if taxable else Decimal(0)})
        self._fill_order(order, rate, lines, shipping, fees, Decimal(0), "")
        self.orders[order["id"]] = order
        self._queue_event("order", "created", order["id"])
        self._change_status(order, data["status"] if data.get("status") in ORDER_STATUSES else "pending")
        self._pay_if_asked(order, data)
        return order

    def _pay_if_asked(self, order, data):
        """``set_paid``: WooCommerce's ``payment_complete()``, which moves an unpaid order to processing."""
        if _as_bool(data.get("set_paid", False)) and order["status"] in PAYABLE_STATUSES:
            self._change_status(order, "processing")

    def _apply_order_fields(self, order, data):
        """Writable order fields other than status and line arrays (which are fixed once created)."""
        for name, fields in (("billing", BILLING_FIELDS), ("shipping", SHIPPING_FIELDS)):
            if isinstance(data.get(name), dict):
                order[name] = _address(fields, {**order[name], **data[name]})
        for name in ("payment_method", "payment_method_title", "transaction_id", "customer_note"):
            if name in data:
                order[name] = str(data[name] or "")
        self._upsert_meta(order, data.get("meta_data"))

    def _update_order(self, order, data):
        if "customer_id" in data:
            customer_id = _as_int(data["customer_id"] or 0, "customer_id")
            if customer_id and customer_id not in self.customers:
                raise WooError("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.", 400)
            order["customer_id"] = customer_id
        self._apply_order_fields(order, data)
        if "status" in data:
            self._change_status(order, data["status"] if data["status"] in ORDER_STATUSES else "pending")
        self._pay_if_asked(order, data)
        self._order_saved(order)

    def _delete_order(self, order, force):
        """``force``: delete for good; else move to the trash.  Fires ``order.deleted``."""
        if force:
            del self.orders[order["id"]]
        else:
            order["status"] = "trash"
            self._set_date(order, "date_modified", self._now())
        self._queue_event("order", "deleted", order["id"])
        return order

    # -- webhooks -----------------------------------------------------------------------------
    @staticmethod
    def _check_topic(topic, message):
        resource, _dot, event = str(topic).lower().partition(".")
        if f"{resource}.{event}" not in WEBHOOK_TOPIC_HOOKS and not (resource == "action" and event):
            raise WooError("woocommerce_rest_shop_webhook_invalid_topic", message, 400)
        return f"{resource}.{event}"

    @staticmethod
    def _check_delivery_url(url):
        if not re.match(r"^https?://[^\s/]+", str(url)):
            raise WooError("woocommerce_rest_shop_webhook_invalid_delivery_url",
                           "Webhook delivery URL must be a valid URL starting with http:// or https://.", 400)
        return str(url)

    @staticmethod
    def _apply_webhook_topic(webhook, topic):
        webhook["topic"] = topic
        webhook["resource"], _dot, webhook["event"] = topic.partition(".")
        webhook["hooks"] = [webhook["event"]] if webhook["resource"] == "action" else list(WEBHOOK_TOPIC_HOOKS[topic])

    def _create_webhook(self, data):
        """Register a webhook and ping its delivery URL with ``webhook_id=<id>``, as WooCommerce does."""
        if data.get("id"):
            raise WooError("woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.", 400)
        topic = self._check_topic(data.get("topic", ""), "Webhook topic is required and must be valid.")
        url = self._check_delivery_url(data.get("delivery_url", ""))
        status = data.get("status") or "active"
        if status not in WEBHOOK_STATUSES:
            raise WooError("woocommerce_rest_shop_webhook_invalid_status", "Webhook status must be valid.", 400)
        now = self._now()
        local = now.astimezone(self.timezone)
        webhook = {"id": self._next_id("webhook"),
                   "name": str(data.get("name") or f"Webhook created on {local:%b %d, %Y @ %I:%M %p}"),
                   "status": status}
        self._apply_webhook_topic(webhook, topic)
        webhook["delivery_url"] = url
        self._restamp(webhook, now)
        webhook["secret"] = str(data.get("secret") or secrets.token_urlsafe(38)[:50])
        self.registered_webhooks[webhook["id"]] = webhook
        self.deliver_webhook(url, "ping", f"webhook_id={webhook['id']}".encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})",
        })
        return webhook

    def _update_webhook(self, webhook, data):
        topic = self._check_topic(data["topic"], "Webhook topic must be valid.") if data.get("topic") else None
        url = self._check_delivery_url(data["delivery_url"]) if data.get("delivery_url") else None
        if data.get("status") and data["status"] not in WEBHOOK_STATUSES:
            raise WooError("woocommerce_rest_shop_webhook_invalid_status", "Webhook status must be valid.", 400)
        if topic:
            self._apply_webhook_topic(webhook, topic)
        if url:
            webhook["delivery_url"] = url
        if data.get("secret"):
            webhook["secret"] = str(data["secret"])
        if data.get("status"):
            webhook["status"] = data["status"]
        if data.get("name"):
            webhook["name"] = str(data["name"])
        self._set_date(webhook, "date_modified", self._now())

    def _delete_webhook(self, webhook, force):
        if not force:
            raise WooError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        return self.registered_webhooks.pop(webhook["id"])

    # -- order notes (docs: _order-notes.md; WooCommerce's WC_REST_Order_Notes_Controller) -------
    # A note with ``customer_note`` true is shown to the customer and e-mailed to them
    # (``woocommerce_new_customer_note``); others are internal.  Status changes add a system note.
    # The list is not paged and takes ``type`` (any, customer, internal); notes are deleted only
    # with ``force=true``.
    def _add_note(self, order, text, customer_note=False, author="system"):
        moment = self._now()
        note = {"id": self._next_id("comment"), "author": author, "note": text, "customer_note": customer_note}
        self._set_date(note, "date_created", moment)
        self.order_notes.setdefault(order["id"], []).append(note)
        if customer_note:
            self.customer_emails.append({"to": order["billing"]["email"], "order": order["id"], "note": text})
        return note

    def _note_order(self, order_id):
        order = self.orders.get(order_id)
        if order is None or order["status"] == "trash":
            raise WooError("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
        return order

    def _note(self, order, note_id):
        note = next((note for note in self.order_notes.get(order["id"], []) if note["id"] == note_id), None)
        if note is None:
            raise WooError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        return note

    def _render_note(self, order, note, base_url):
        collection = f"{base_url.rstrip('/')}{API_ROOT}/orders/{order['id']}/notes"
        return {**copy.deepcopy(note), "_links": {
            "self": [{"href": f"{collection}/{note['id']}"}], "collection": [{"href": collection}],
            "up": [{"href": f"{base_url.rstrip('/')}{API_ROOT}/orders/{order['id']}"}]}}

    @_api
    def on_list_notes(self, request, order_id):
        order = self._note_order(order_id)
        note_type = request.args.get("type", "any")
        if note_type not in NOTE_TYPES:
            raise _invalid_params({"type": ("rest_not_in_enum", f"type is not one of {_wp_list(NOTE_TYPES)}.")})
        notes = [note for note in reversed(self.order_notes.get(order["id"], []))
                 if note_type == "any" or note["customer_note"] == (note_type == "customer")]
        return self._json([self._render_note(order, note, request.host_url) for note in notes])

    @_api
    def on_create_note(self, request, order_id):
        data = self._body(request)
        _validate(data, {"note": _STR, "customer_note": _BOOL, "added_by_user": _BOOL}, ("note",))
        order = self._note_order(order_id)
        if not data["note"]:
            raise WooError("woocommerce_rest_shop_order_invalid_order_note",
                           "Cannot create order note, please provide a note.", 400)
        note = self._add_note(order, data["note"], bool(data.get("customer_note")),
                              "API user" if data.get("added_by_user") else "system")
        body = self._render_note(order, note, request.host_url)
        return self._json(body, 201, headers={"Location": body["_links"]["self"][0]["href"]})

    @_api
    def on_get_note(self, request, order_id, note_id):
        order = self._note_order(order_id)
        return self._json(self._render_note(order, self._note(order, note_id), request.host_url))

    @_api
    def on_delete_note(self, request, order_id, note_id):
        order = self._note_order(order_id)
        note = self._note(order, note_id)
        if not _as_bool(request.args.get("force", False)):
            raise WooError("woocommerce_rest_trash_not_supported", "Resource does not support trashing.", 501)
        self.order_notes[order["id"]].remove(note)
        return self._json(self._render_note(order, note, request.host_url))
