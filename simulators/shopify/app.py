"""The Shopify Admin GraphQL API simulator (API version 2025-01).

``POST /admin/api/2025-01/graphql.json`` with ``X-Shopify-Access-Token``: every document is parsed
and validated against the real 2025-01 schema, costed and throttled like Shopify does, then executed
by graphql-core over the in-memory shop (``state``).  Changes made by mutations or by the shop-side
Python API are delivered as REST-shaped, HMAC-signed webhooks to subscribed callback URLs.
"""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal

from graphql import GraphQLError, execute, get_named_type, get_operation_ast, parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import OperationType
from graphql.type import GraphQLNonNull, is_list_type, is_object_type
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from ..common import SimulatorApp
from .bulk import BulkOperations
from .cost import LeakyBucket, QueryCostAnalysis
from .media import CDN_PATH, MediaStore
from .mutations import Mutations
from .rest import WEBHOOK_TOPICS, RestPayloads
from .schema import admin_schema, shopify_validation_error, shopify_variable_error
from .state import ITEM_FIELDS, PRODUCT_FIELDS, SEED_HISTORY, VARIANT_FIELDS, ShopState
from .views import GraphViews, iso

SHOP_DOMAIN = "demo-shop.myshopify.com"
ACCESS_TOKEN = "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"
API_SECRET = "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"
API_VERSION = "2025-01"

UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMITS_DOC = "https://shopify.dev/api/usage/rate-limits"
THROTTLED_ERROR = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMITS_DOC}}
# neutral values for non-null fields the simulator has no data for (objects: {}, lists: [])
EMPTY_SCALARS = {
    "Boolean": False, "Int": 0, "Float": 0.0, "UnsignedInt64": "0", "String": "", "HTML": "", "URL": "",
    "Decimal": "0.0", "Money": "0.00",
}


def webhook_signature(secret, body):
    """``X-Shopify-Hmac-Sha256``: base64 of the HMAC-SHA256 of the raw body keyed with the app secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _max_cost_error(cost, max_cost):
    return {
        "message": f"Query cost is {cost}, which exceeds the single query max cost limit ({max_cost}).\n\n"
                   "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
                   "cost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk "
                   "operations should be used instead.\nSee https://shopify.dev/api/usage/bulk-operations/queries "
                   "for usage details.\n",
        "extensions": {
            "code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": max_cost, "documentation": RATE_LIMITS_DOC,
        },
    }


def resolve_field(source, info, **args):
    """Field resolver over node dicts: callables get ``(info, **args)``; absent fields are null, or a
    neutral value when the schema says non-null."""
    if isinstance(source, dict) and info.field_name in source:
        value = source[info.field_name]
        return value(info, **args) if callable(value) else value
    if not isinstance(info.return_type, GraphQLNonNull):
        return None
    inner = info.return_type.of_type
    if is_list_type(inner):
        return []
    if is_object_type(inner):
        return {}
    return EMPTY_SCALARS.get(get_named_type(inner).name)


class ShopifySimulator(SimulatorApp):
    """A Shopify shop behind the Admin GraphQL API.

    Shop side (fires webhooks unless noted): ``seed(catalogue)`` (history, no webhooks),
    ``add_order``, ``set_order_state``, ``add_product``, ``update_product``, ``set_stock``.
    Inspection: ``orders``, ``customers``, ``products``, ``variants``, ``inventory_items``,
    ``inventory``, ``locations``, ``webhook_subscriptions`` (records as documented in ``state``),
    ``inventory_level(sku)``, ``snapshot()``; ``graphql(query, variables)`` answers a document
    in-process exactly as over HTTP.  Throttling: ``bucket_size`` points, ``restore_rate`` per
    second of ``clock``, at most ``max_query_cost`` per query.  Bulk query operations (``bulk``) run
    ``bulk_seconds`` of ``clock``; their JSONL files are served under ``/_bulk/``.
    """

    name = "shopify"

    def __init__(self, *, shop_domain=SHOP_DOMAIN, access_token=ACCESS_TOKEN, api_secret=API_SECRET,
                 api_version=API_VERSION, bucket_size=2000, restore_rate=100, max_query_cost=1000, bulk_seconds=2,
                 cdn_url="https://cdn.shopify.com"):
        self.shop_domain = shop_domain
        self.access_token = access_token
        self.api_secret = api_secret
        self.api_version = api_version
        self.bucket_size = bucket_size
        self.restore_rate = restore_rate
        self.max_query_cost = max_query_cost
        self.bulk_seconds = bulk_seconds
        self.graphql_path = f"/admin/api/{api_version}/graphql.json"
        self.url_map = Map([Rule(self.graphql_path, endpoint="graphql", methods=["POST"]),
                            Rule("/_bulk/<token>.jsonl", endpoint="bulk_file", methods=["GET"])])
        self.cdn_url = cdn_url  # where media.py's files are served; a test serving the app sets its own address
        super().__init__()

    # -- state ----------------------------------------------------------------------------------
    def reset(self):
        """Empty shop with one location, "Main warehouse"; a full throttle bucket."""
        self.state = ShopState(self.now, self._deliver_event, self.shop_domain)
        self.state.media_store = MediaStore(self.state, self.cdn_url)
        self.views = GraphViews(self.state)
        self.mutations = Mutations(self.state, self.views)
        self.rest = RestPayloads(self.state)
        self.bucket = LeakyBucket(self.bucket_size, self.restore_rate, lambda: self.clock())
        self.bulk = BulkOperations(lambda: self.clock(), self.now, self.views, resolve_field, self.bulk_seconds)

    def now(self):
        """Clock time as an aware UTC datetime, in whole seconds like Shopify's timestamps."""
        return datetime.fromtimestamp(int(self.clock()), timezone.utc)

    orders = property(lambda self: self.state.orders, doc="gid -> order record")
    customers = property(lambda self: self.state.customers, doc="gid -> customer record")
    products = property(lambda self: self.state.products, doc="gid -> product record")
    variants = property(lambda self: self.state.variants, doc="gid -> variant record")
    collections = property(lambda self: self.state.collections, doc="gid -> collection record")
    inventory_items = property(lambda self: self.state.inventory_items, doc="gid -> inventory item record")
    inventory = property(lambda self: self.state.inventory, doc="(item gid, location gid) -> quantities")
    locations = property(lambda self: self.state.locations, doc="gid -> location record")
    webhook_subscriptions = property(lambda self: self.state.webhook_subscriptions, doc="gid -> subscription")

    def snapshot(self):
        state = self.state
        return {
            "shop": {"domain": self.shop_domain, "api_version": self.api_version},
            "orders": [
                {"id": order["id"], "name": order["name"], "state": order["state"],
                 "financial_status": order["financial_status"], "fulfillment_status": order["fulfillment_status"],
                 "cancelled": order["cancelled_at"] is not None, "updated_at": iso(order["updated_at"])}
                for order in state.orders.values()
            ],
            "products": [
                {"id": product["id"], "title": product["title"], "status": product["status"],
                 "updated_at": iso(product["updated_at"]),
                 "variants": [{"id": variant["id"], "sku": variant["sku"], "price": str(variant["price"])}
                              for variant in state.product_variants(product)]}
                for product in state.products.values()
            ],
            "customers": [{"id": customer["id"], "email": customer["email"]} for customer in state.customers.values()],
            "inventory": [
                {"sku": state.variants[state.inventory_items[item_id]["variant_id"]]["sku"],
                 "inventory_item_id": item_id, "location": state.locations[location_id]["name"],
                 **{name: value for name, value in level.items() if not name.endswith("_at")}}
                for (item_id, location_id), level in state.inventory.items()
            ],
            "webhook_subscriptions": [
                {"id": subscription["id"], "topic": subscription["topic"], "callback_url": subscription["callback_url"]}
                for subscription in state.webhook_subscriptions.values()
            ],
            "throttle": self.bucket.status(),
        }

    # -- shop-side Python API ---------------------------------------------------------------------
    def seed(self, catalogue):
        """Load a ``seed.Catalogue`` as existing history: seed timestamps, no webhooks."""
        with self.lock, self.state.muting():
            first_order = min((order.created_at for order in catalogue.orders), default=None)
            created_at = first_order - SEED_HISTORY if first_order else self.now()
            for customer in catalogue.customers:
                if not self.state.customer_by_email(customer.email):
                    self.state.add_customer(customer, created_at)
            for product in catalogue.products:
                self.state.add_seed_product(product, created_at)
            for order in catalogue.orders:
                self.state.add_seed_order(order, live=False)

    def add_order(self, seed_order):
        """A customer places ``seed_order`` now (clock time); returns the order gid."""
        with self.lock:
            return self.state.add_seed_order(seed_order, live=True)["id"]

    def set_order_state(self, order_reference, neutral_state):
        """Move an order (gid, "#1001", "1001" or 1001) to a neutral state (see ``seed.ORDER_STATES``)."""
        with self.lock:
            self.state.set_order_state(self.state.order_by_reference(order_reference), neutral_state)

    def refund_order(self, order_reference, lines=(), *, shipping=False, amount=0, note=None, restock=False):
        """Refund as the admin does: ``lines`` ``[(sku, quantity)]``, the shipping, ``amount`` more
        without lines; fires refunds/create and orders/updated.  Returns the refund gid."""
        with self.lock:
            order = self.state.order_by_reference(order_reference)
            by_sku = {line["sku"]: line["id"] for line in order["line_items"]}
            return self.state.refund(order, [(by_sku[sku], quantity) for sku, quantity in lines], shipping=shipping,
                                     extra=Decimal(str(amount)), note=note, restock=restock)["id"]

    def add_product(self, seed_product):
        """The merchant adds a ``seed.SeedProduct``; returns the product gid."""
        with self.lock:
            product = self.state.add_seed_product(seed_product)
            self.state.emit("PRODUCTS_CREATE", product)
            return product["id"]

    def update_product(self, reference, **changes):
        """The merchant edits a product found by gid, variant SKU or seed parent SKU.

        Product keys: title, handle, description_html, product_type, vendor, status, tags.  Variant
        keys (sku, barcode, price, compare_at_price, taxable, inventory_policy, tracked,
        requires_shipping, weight, weight_unit) apply to the variant of that SKU, else to all variants.
        """
        with self.lock:
            product, variant = self.state.product_by_reference(reference)
            variant_changes = {key: value for key, value in changes.items() if key not in PRODUCT_FIELDS}
            unknown = set(variant_changes) - set(VARIANT_FIELDS + ITEM_FIELDS)
            if unknown:
                raise KeyError(f"unknown product fields {sorted(unknown)}")
            if variant_changes:
                for target in [variant] if variant else self.state.product_variants(product):
                    self.state.update_variant(target, variant_changes)
            product_changes = {key: value for key, value in changes.items() if key in PRODUCT_FIELDS}
            if "status" in product_changes:
                product_changes["status"] = product_changes["status"].upper()
            self.state.update_product(product, product_changes)
            self.state.emit("PRODUCTS_UPDATE", product)

    def add_collection(self, title, products=(), *, rules=None):
        """The merchant creates a custom collection holding ``products`` (gids, variant SKUs or seed
        parent SKUs), or a smart one with ``rules`` (see ``ShopState.add_collection``); returns its gid."""
        with self.lock:
            ids = [self.state.product_by_reference(reference)[0]["id"] for reference in products]
            return self.state.add_collection(title, rules=rules, product_ids=ids)["id"]

    def set_product_image(self, reference, content, filename, content_type="image/png"):
        """The merchant uploads an image and makes it the product's first (featured) media; returns the media."""
        with self.lock:
            product, _variant = self.state.product_by_reference(reference)
            media = self.state.media_store.add(product, f"https://merchant.example/{filename}", content=content,
                                               content_type=content_type)
            self.state.media_store.reorder(product["id"], [{"id": media["id"], "newPosition": "0"}])
            self.state.emit("PRODUCTS_UPDATE", product)
            return media

    def set_stock(self, sku, available, location=None):
        """Set the available quantity of a SKU at a location (gid or name; default: Main warehouse)."""
        with self.lock:
            item_id, location_id = self._level_key(sku, location)
            self.state.stock_item(item_id, location_id)
            self.state.set_quantity(item_id, location_id, "available", available)

    def inventory_level(self, sku, location=None):
        """Copy of the quantities of a SKU at a location (default: Main warehouse)."""
        with self.lock:
            return dict(self.state.inventory[self._level_key(sku, location)])

    def _level_key(self, sku, location):
        variant = self.state.variant_by_sku(sku)
        if variant is None:
            raise KeyError(f"no variant with SKU {sku!r}")
        return variant["inventory_item_id"], self.state.location_by_reference(location)["id"]

    # -- webhooks -------------------------------------------------------------------------------------
    def _deliver_event(self, topic, subject):
        subscriptions = [item for item in self.state.webhook_subscriptions.values() if item["topic"] == topic]
        if not subscriptions:
            return
        payload = self.rest.payload(topic, subject)
        event_id = str(uuid.uuid4())
        triggered_at = iso(self.now())
        for subscription in subscriptions:
            fields = subscription["include_fields"]
            body = json.dumps({key: payload[key] for key in fields if key in payload} if fields else payload).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": WEBHOOK_TOPICS[topic],
                "X-Shopify-Hmac-Sha256": webhook_signature(self.api_secret, body),
                "X-Shopify-Shop-Domain": self.shop_domain,
                "X-Shopify-API-Version": self.api_version,
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered_at,
            }
            self.deliver_webhook(subscription["callback_url"], WEBHOOK_TOPICS[topic], body, headers)

    # -- HTTP -----------------------------------------------------------------------------------------
    def error_response(self, status, message, **extra):
        """Shopify's HTTP-level error body: ``{"errors": "<message>"}``."""
        return self.json_response({"errors": message, **extra}, status)

    def rate_limited_response(self, fault):
        response = self.json_response({"errors": [THROTTLED_ERROR]}, 429)
        response.headers["Retry-After"] = str(float(fault.retry_after))
        return response

    def before_request(self, request):
        if request.path.startswith("/_bulk/"):  # a signed storage URL: no access token
            return None
        if request.path.startswith(f"{CDN_PATH}/"):  # the CDN's public files (media.py)
            body, content_type = self.state.media_store.files.get(request.path, (None, None))
            return Response(body, content_type=content_type) if body is not None else Response("Not Found", status=404)
        if request.headers.get("X-Shopify-Access-Token") != self.access_token:
            return self.error_response(401, UNAUTHORIZED)
        return None

    def after_request(self, request, response):
        response.headers["X-Shopify-API-Version"] = self.api_version
        response.headers["X-Request-Id"] = str(uuid.uuid4())
        return response

    def on_bulk_file(self, request, token):
        with self.lock:
            body = self.bulk.files.get(token)
        if body is None:
            return self.error_response(404, "Not Found")
        return Response(body, status=200, content_type="application/jsonl")

    def on_graphql(self, request):
        self.bulk.base_url = request.host_url.rstrip("/")
        if request.mimetype == "application/graphql":
            query, variables, operation_name = request.get_data(as_text=True), {}, None
        else:
            body = request.get_json(force=True, silent=True)
            body = body if isinstance(body, dict) else {}
            query, variables, operation_name = body.get("query"), body.get("variables") or {}, body.get("operationName")
        if not isinstance(query, str) or not query.strip() or not isinstance(variables, dict):
            return self.json_response({"errors": {"query": "Required parameter missing or invalid"}}, 400)
        return self.json_response(self.graphql(query, variables, operation_name))

    def graphql(self, query, variables=None, operation_name=None):
        """The response body Shopify gives to one GraphQL request (throttling included)."""
        with self.lock:
            return self._graphql(query, variables or {}, operation_name)

    def _graphql(self, query, variables, operation_name):
        schema = admin_schema()
        try:
            document = parse(query)
        except GraphQLError as error:
            return {"errors": [{
                "message": error.message.replace("Syntax Error:", "Parse error:"),
                "locations": [{"line": loc.line, "column": loc.column} for loc in error.locations or ()],
            }]}
        validation_errors = validate(schema, document)
        if validation_errors:
            return {"errors": [shopify_validation_error(error, document) for error in validation_errors]}
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = f'No operation named "{operation_name}"' if operation_name else "An operation name is required"
            return {"errors": [{"message": message}]}
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return {"errors": [shopify_variable_error(error, operation, variables) for error in coerced]}
        analysis = QueryCostAnalysis(schema, document, operation, coerced)
        requested = analysis.requested()
        if analysis.errors:
            return {"errors": analysis.errors}
        if requested > self.max_query_cost:
            return {"errors": [_max_cost_error(requested, self.max_query_cost)]}
        if not self.bucket.spend(requested):
            return {"errors": [THROTTLED_ERROR], "extensions": {"cost": self._cost(requested, None)}}
        context = {"search": []}
        is_mutation = operation.operation == OperationType.MUTATION
        result = execute(
            schema, document, root_value=self._mutation_root() if is_mutation else self._query_root(),
            context_value=context, variable_values=variables, operation_name=operation_name,
            field_resolver=resolve_field,
        )
        actual = analysis.actual(result.data)
        self.bucket.refund(requested - actual)
        response = {"errors": [error.formatted for error in result.errors]} if result.errors else {}
        response["data"] = result.data
        response["extensions"] = {"cost": self._cost(requested, actual)}
        if context["search"]:
            response["extensions"]["search"] = context["search"]
        return response

    def _query_root(self):
        root = self.views.root()
        node = root["node"]
        root.update(currentBulkOperation=lambda info, type="QUERY": self.bulk.current(type),
                    node=lambda info, id: self.bulk.node(id) if "/BulkOperation/" in id else node(info, id))
        return root

    def _mutation_root(self):
        return {**self.mutations.root(), "bulkOperationRunQuery": self.bulk.run_query}

    def _cost(self, requested, actual):
        return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": self.bucket.status()}
