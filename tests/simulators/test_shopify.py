"""Shopify Admin GraphQL simulator, exercised over real HTTP like a connector would."""

import base64
import dataclasses
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests
from werkzeug.wrappers import Request, Response

from simulators.common import ManualClock, SimulatorServer
from simulators.seed import generate
from simulators.shopify import ACCESS_TOKEN, API_SECRET, API_VERSION, SHOP_DOMAIN, ShopifySimulator, webhook_signature

START = datetime(2026, 1, 6, 12, 0, tzinfo=timezone.utc)
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"



class Receiver:
    """A webhook endpoint recording what it receives."""

    name = "receiver"

    def __init__(self):
        self.received = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.received.append({"headers": dict(request.headers), "body": request.get_data()})
        return Response("ok")(environ, start_response)


@pytest.fixture
def catalogue():
    return generate()


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture(scope="module")
def simulator():
    return ShopifySimulator()


@pytest.fixture(scope="module")
def running_server(simulator):
    with SimulatorServer(simulator) as running:
        yield running


@pytest.fixture
def app(simulator, catalogue, clock):
    """The module's simulator, reset and seeded for each test."""
    simulator.faults.clear()
    simulator.clock = clock
    simulator.reset()
    simulator.seed(catalogue)
    return simulator


@pytest.fixture
def server(running_server, app):
    """The HTTP server of ``app``."""
    return running_server


@pytest.fixture(scope="module")
def webhook_endpoint():
    endpoint = Receiver()
    with SimulatorServer(endpoint) as running:
        endpoint.url = f"{running.url}/webhooks"
        yield endpoint


@pytest.fixture
def receiver(webhook_endpoint):
    webhook_endpoint.received.clear()
    return webhook_endpoint


def post(server, query, variables=None, token=ACCESS_TOKEN):
    headers = {"X-Shopify-Access-Token": token} if token else {}
    return requests.post(f"{server.url}{GRAPHQL_PATH}", json={"query": query, "variables": variables or {}},
                         headers=headers, timeout=10)


def gql(server, query, variables=None):
    """POST a document that must succeed; returns the whole body."""
    response = post(server, query, variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body


def all_order_names(server, query=None):
    names, after = [], None
    while True:
        page = gql(server, """query($after: String, $query: String) {
            orders(first: 50, after: $after, query: $query) { nodes { name } pageInfo { hasNextPage endCursor } } }""",
                   {"after": after, "query": query})["data"]["orders"]
        names += [node["name"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return names
        after = page["pageInfo"]["endCursor"]


SET_QUANTITIES = """mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}"""

SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $url: URL!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {callbackUrl: $url, format: JSON}) {
    webhookSubscription { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
    userErrors { field message }
  }
}"""


# -- protocol -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "shpat_wrong"])
def test_missing_or_wrong_token_is_rejected(server, token):
    response = post(server, "{ shop { name } }", token=token)
    assert response.status_code == 401
    assert response.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_invalid_document_is_answered_like_shopify_and_not_executed(server, app):
    response = post(server, SUBSCRIBE.replace("topic endpoint", "topic bogus endpoint"),
                    {"topic": "ORDERS_CREATE", "url": "http://127.0.0.1:9/hook"})
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body and "extensions" not in body
    assert body["errors"] == [{
        "message": "Field 'bogus' doesn't exist on type 'WebhookSubscription'",
        "locations": [{"line": 3, "column": 36}],
        "path": ["mutation", "webhookSubscriptionCreate", "webhookSubscription", "bogus"],
        "extensions": {"code": "undefinedField", "typeName": "WebhookSubscription", "fieldName": "bogus"},
    }]
    assert app.webhook_subscriptions == {}


def test_syntax_and_variable_errors(server):
    assert post(server, "{ shop { name ").json()["errors"][0]["message"].startswith("Parse error")
    error = post(server, "query($n: Int!) { orders(first: $n) { nodes { id } } }", {"n": "ten"}).json()["errors"][0]
    assert error["message"] == "Variable $n of type Int! was provided invalid value"
    missing = requests.post(f"{server.url}{GRAPHQL_PATH}", json={}, headers={"X-Shopify-Access-Token": ACCESS_TOKEN})
    assert missing.status_code == 400
    assert missing.json() == {"errors": {"query": "Required parameter missing or invalid"}}


def test_paging_arguments_are_enforced(server):
    too_many = post(server, "{ orders(first: 251) { nodes { id } } }").json()
    assert too_many["errors"][0]["message"].startswith("first cannot exceed 250.")
    assert "data" not in too_many
    unsized = post(server, "{ products(first: 1) { nodes { variants { nodes { id } } } } }").json()
    assert unsized["errors"][0]["message"] == "you must provide one of first or last"
    assert unsized["errors"][0]["path"] == ["products", "nodes", "variants"]


# -- queries ---------------------------------------------------------------------------------------------
def test_order_carries_what_a_connector_needs(server, app, catalogue):
    seed_order = next(order for order in catalogue.orders if order.number == "1001")  # pending, fee, discount
    order_id = app.state.order_by_reference("#1001")["id"]
    order = gql(server, """query($id: ID!) { order(id: $id) {
        id legacyResourceId name createdAt updatedAt displayFinancialStatus displayFulfillmentStatus cancelledAt
        email currencyCode presentmentCurrencyCode taxesIncluded paymentGatewayNames tags note
        customer { email firstName lastName phone defaultAddress { company countryCodeV2 } }
        billingAddress { company address1 city zip countryCodeV2 } shippingAddress { city countryCodeV2 }
        lineItems(first: 10) { nodes {
          sku title quantity variant { id sku }
          originalUnitPriceSet { presentmentMoney { amount currencyCode } }
          discountedUnitPriceSet { presentmentMoney { amount } }
          discountAllocations { allocatedAmountSet { presentmentMoney { amount } } }
          taxLines { ratePercentage rate priceSet { presentmentMoney { amount } } } } }
        shippingLines(first: 5) { nodes { title code originalPriceSet { presentmentMoney { amount } }
          taxLines { ratePercentage priceSet { presentmentMoney { amount } } } } }
        discountApplications(first: 5) { nodes { __typename allocationMethod
          value { ... on MoneyV2 { amount currencyCode } } ... on DiscountCodeApplication { code } } }
        totalDiscountsSet { presentmentMoney { amount } } subtotalPriceSet { presentmentMoney { amount } }
        totalTaxSet { presentmentMoney { amount } } totalShippingPriceSet { presentmentMoney { amount } }
        totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } } }""",
        {"id": order_id})["data"]["order"]
    assert order["name"] == "#1001" and order["id"] == f"gid://shopify/Order/{order['legacyResourceId']}"
    assert (order["displayFinancialStatus"], order["displayFulfillmentStatus"]) == ("PENDING", "UNFULFILLED")
    assert order["createdAt"] == seed_order.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert order["email"] == order["customer"]["email"] == seed_order.customer.email
    assert order["billingAddress"]["company"] == seed_order.customer.company
    assert order["presentmentCurrencyCode"] == seed_order.currency and order["taxesIncluded"] is True
    products, fees = order["lineItems"]["nodes"][:-1], order["lineItems"]["nodes"][-1:]
    assert [line["sku"] for line in products] == [line.sku for line in seed_order.lines]
    assert all(line["variant"]["sku"] == line["sku"] for line in products)
    assert fees == [{
        "sku": None, "title": "Gift wrapping", "quantity": 1, "variant": None,
        "originalUnitPriceSet": {"presentmentMoney": {"amount": "15.0", "currencyCode": seed_order.currency}},
        "discountedUnitPriceSet": {"presentmentMoney": {"amount": "15.0"}}, "discountAllocations": [],
        "taxLines": [{"ratePercentage": 25.0, "rate": 0.25, "priceSet": {"presentmentMoney": {"amount": "3.0"}}}],
    }]
    allocated = sum(Decimal(line["discountAllocations"][0]["allocatedAmountSet"]["presentmentMoney"]["amount"])
                    for line in products)
    assert allocated == seed_order.discount_amount
    assert order["discountApplications"]["nodes"] == [{
        "__typename": "DiscountCodeApplication", "allocationMethod": "ACROSS", "code": "SAVE25",
        "value": {"amount": "25.0", "currencyCode": seed_order.currency}}]
    assert order["shippingLines"]["nodes"][0]["title"] == seed_order.shipping_method
    assert Decimal(order["totalPriceSet"]["presentmentMoney"]["amount"]) == seed_order.total
    assert Decimal(order["totalDiscountsSet"]["presentmentMoney"]["amount"]) == seed_order.discount_amount
    taxes = [line["taxLines"][0]["priceSet"]["presentmentMoney"]["amount"]
             for line in order["lineItems"]["nodes"] + order["shippingLines"]["nodes"]]
    assert sum(map(Decimal, taxes)) == Decimal(order["totalTaxSet"]["presentmentMoney"]["amount"])


def test_neutral_states_map_to_shopify_statuses(server, catalogue):
    orders = gql(server, """{ orders(first: 50) { nodes {
        name displayFinancialStatus displayFulfillmentStatus cancelledAt closed } } }""")["data"]["orders"]["nodes"]
    by_name = {order["name"]: order for order in orders}
    expected = {
        "pending": ("PENDING", "UNFULFILLED", False, False), "paid": ("PAID", "UNFULFILLED", False, False),
        "shipped": ("PAID", "FULFILLED", False, False), "completed": ("PAID", "FULFILLED", False, True),
        "cancelled": ("VOIDED", "UNFULFILLED", True, True), "refunded": ("REFUNDED", "UNFULFILLED", False, True),
    }
    for seed_order in catalogue.orders:
        order = by_name[f"#{seed_order.number}"]
        financial, *rest = expected[seed_order.state]
        if seed_order.refunds:  # a partial refund of a paid order
            financial = "PARTIALLY_REFUNDED"
        assert (order["displayFinancialStatus"], order["displayFulfillmentStatus"], order["cancelledAt"] is not None,
                order["closed"]) == (financial, *rest)


def test_catalogue_customers_locations_and_shop(server, app, catalogue):
    body = gql(server, """{
      shop { myshopifyDomain currencyCode }
      products(first: 20, sortKey: TITLE) { nodes { title handle descriptionHtml status productType
        options { name values }
        variants(first: 5) { nodes { sku barcode price inventoryQuantity selectedOptions { name value }
          inventoryItem { id measurement { weight { value unit } } } } } } }
    }""")["data"]
    assert body["shop"] == {"myshopifyDomain": SHOP_DOMAIN, "currencyCode": "DKK"}
    body |= gql(server, """{
      customers(first: 50) { nodes { email defaultAddress { company } } }
      locations(first: 1) { nodes { id name inventoryLevels(first: 100) { nodes {
        item { sku } quantities(names: ["available", "on_hand", "committed", "reserved", "incoming"]) { name quantity }
      } } } }
    }""")["data"]
    products = {product["title"]: product for product in body["products"]["nodes"]}
    assert list(products) == sorted(products, key=str.lower)
    for seed_product in catalogue.products:
        product = products[seed_product.title]
        assert product["status"] == ("ACTIVE" if seed_product.published else "DRAFT")
        variants = product["variants"]["nodes"]
        if seed_product.variants:
            assert [v["sku"] for v in variants] == [v.sku for v in seed_product.variants]
            assert variants[0]["selectedOptions"] == [{"name": k, "value": v}
                                                      for k, v in seed_product.variants[0].options.items()]
            assert variants[0]["inventoryQuantity"] == seed_product.variants[0].stock
        else:
            assert [v["sku"] for v in variants] == [seed_product.sku]
            assert product["options"] == [{"name": "Title", "values": ["Default Title"]}]
            assert variants[0]["price"] == str(seed_product.price)
    assert {customer["email"] for customer in body["customers"]["nodes"]} == {c.email for c in catalogue.customers}
    [location] = body["locations"]["nodes"]
    assert location["name"] == "Main warehouse"
    quantities = {level["item"]["sku"]: {q["name"]: q["quantity"] for q in level["quantities"]}
                  for level in location["inventoryLevels"]["nodes"]}
    assert len(quantities) == len(app.variants)
    for level in quantities.values():
        assert level["on_hand"] == level["available"] + level["committed"] + level["reserved"]


def test_seeded_open_orders_commit_stock(app, catalogue):
    open_orders = [order for order in catalogue.orders if order.state in ("pending", "paid")]
    sku = open_orders[0].lines[0].sku
    committed = sum(line.quantity for order in open_orders for line in order.lines if line.sku == sku)
    level = app.inventory_level(sku)
    assert level["committed"] == committed
    assert level["on_hand"] == level["available"] + committed


def test_paging_walks_all_orders_exactly_once(server, app):
    names, after, pages = [], None, 0
    while True:
        page = gql(server, """query($after: String) { orders(first: 7, after: $after, sortKey: CREATED_AT) {
            edges { cursor node { name createdAt } }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }""",
                   {"after": after})["data"]["orders"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 5 and len(names) == len(set(names)) == len(app.orders) == 30
    oldest_first = sorted(app.orders.values(), key=lambda order: order["created_at"])
    assert names == [order["name"] for order in oldest_first]
    backwards = gql(server, """query($before: String) { orders(last: 3, before: $before, sortKey: CREATED_AT) {
        nodes { name } pageInfo { hasNextPage hasPreviousPage } } }""", {"before": after})["data"]["orders"]
    assert [node["name"] for node in backwards["nodes"]] == names[24:27]
    assert backwards["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": True}
    newest = gql(server, "{ orders(first: 2, reverse: true, sortKey: CREATED_AT) { nodes { name } } }")
    assert [node["name"] for node in newest["data"]["orders"]["nodes"]] == names[:-3:-1]


def test_updated_at_filter_finds_changes_since_a_watermark(server, app, clock):
    watermark = max(order["updated_at"] for order in app.orders.values())
    since = f"updated_at:>'{watermark.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    assert all_order_names(server, since) == []
    assert len(all_order_names(server, since.replace(">", "<="))) == 30
    clock.advance(60)
    app.set_order_state(1004, "shipped")
    assert all_order_names(server, since) == ["#1004"]
    assert all_order_names(server, f"{since} AND financial_status:paid fulfillment_status:shipped") == ["#1004"]
    assert all_order_names(server, f"{since} AND status:closed") == []
    created = "created_at:>=2026-01-01 created_at:<'2026-01-03T00:00:00Z'"
    window = (datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 3, tzinfo=timezone.utc))
    expected = {order["name"] for order in app.orders.values() if window[0] <= order["created_at"] < window[1]}
    assert expected and set(all_order_names(server, created)) == expected


def test_financial_status_filter_and_count(server, app):
    paid = {order["name"] for order in app.orders.values() if order["financial_status"] == "PAID"}
    assert set(all_order_names(server, "financial_status:paid")) == paid
    counted = gql(server, '{ ordersCount(query: "financial_status:pending OR financial_status:refunded") { count } }')
    assert counted["data"]["ordersCount"]["count"] == sum(
        order["financial_status"] in ("PENDING", "REFUNDED") for order in app.orders.values())


def test_sku_filter_on_product_variants(server, catalogue):
    wanted = next(product for product in catalogue.products if product.variants).variants[1]
    nodes = gql(server, """query($q: String) { productVariants(first: 5, query: $q) {
        nodes { id sku price inventoryItem { id } product { title } } } }""",
                {"q": f"sku:{wanted.sku}"})["data"]["productVariants"]["nodes"]
    assert [node["sku"] for node in nodes] == [wanted.sku]
    assert nodes[0]["inventoryItem"]["id"].startswith("gid://shopify/InventoryItem/")


def test_unknown_search_field_is_reported_and_ignored(server):
    body = gql(server, '{ customers(first: 50, query: "shoe_size:44") { nodes { id } } }')
    assert len(body["data"]["customers"]["nodes"]) == 10
    assert body["extensions"]["search"] == [{
        "path": ["customers"], "query": "shoe_size:44",
        "warnings": [
            {"field": "shoe_size", "code": "invalid_field", "message": "Invalid search field for this query."}
        ],
    }]


# -- mutations -------------------------------------------------------------------------------------------
def test_inventory_set_quantities_compare_and_set(server, app, catalogue):
    sku = next(product for product in catalogue.products if product.variants).variants[0].sku
    variant = app.state.variant_by_sku(sku)
    location_id = app.state.default_location_id
    before = app.inventory_level(sku)

    def set_available(compare):
        return gql(server, SET_QUANTITIES, {"input": {"name": "available", "reason": "correction", "quantities": [{
            "inventoryItemId": variant["inventory_item_id"], "locationId": location_id, "quantity": 42,
            "compareQuantity": compare}]}})["data"]["inventorySetQuantities"]

    stale = set_available(before["available"] + 1)
    assert stale == {"inventoryAdjustmentGroup": None, "userErrors": [{
        "field": ["input", "quantities", "0", "compareQuantity"], "code": "COMPARE_QUANTITY_STALE",
        "message": "The compareQuantity value does not match persisted value."}]}
    assert app.inventory_level(sku) == before
    applied = set_available(before["available"])
    delta = 42 - before["available"]
    assert applied["userErrors"] == []
    assert applied["inventoryAdjustmentGroup"]["changes"] == [
        {"name": "available", "delta": delta, "quantityAfterChange": 42},
        {"name": "on_hand", "delta": delta, "quantityAfterChange": before["on_hand"] + delta},
    ]
    assert app.inventory_level(sku)["available"] == 42


def test_product_flow_from_odoo(server, app):
    created = gql(server, """mutation($product: ProductCreateInput!) { productCreate(product: $product) {
        product { id status options { name values } variants(first: 5) { nodes { id } } }
        userErrors { field message } } }""",
                  {"product": {"title": "Odoo Lamp", "status": "DRAFT", "descriptionHtml": "<p>Bright</p>",
                               "productOptions": [{"name": "Size", "values": [{"name": "S"}, {"name": "M"}]}]}}
                  )["data"]["productCreate"]
    assert created["userErrors"] == [] and created["product"]["status"] == "DRAFT"
    product_id = created["product"]["id"]
    location_id = app.state.default_location_id
    bulk = gql(server, """mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
        productVariantsBulkCreate(productId: $id, variants: $variants, strategy: REMOVE_STANDALONE_VARIANT) {
          productVariants { id sku price barcode inventoryQuantity } userErrors { field message code } } }""",
               {"id": product_id, "variants": [
                   {"optionValues": [{"optionName": "Size", "name": size}], "price": price, "barcode": f"57{size}",
                    "inventoryItem": {"sku": f"LAMP-{size}",
                                      "measurement": {"weight": {"value": 1.2, "unit": "KILOGRAMS"}}},
                    "inventoryQuantities": [{"locationId": location_id, "availableQuantity": 5}]}
                   for size, price in (("S", "99.00"), ("M", "109.50"))]})["data"]["productVariantsBulkCreate"]
    assert bulk["userErrors"] == []
    assert [(v["sku"], v["price"], v["inventoryQuantity"]) for v in bulk["productVariants"]] == [
        ("LAMP-S", "99.00", 5), ("LAMP-M", "109.50", 5)]
    update = gql(server, """mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
        productVariantsBulkUpdate(productId: $id, variants: $variants) {
          productVariants { price compareAtPrice } userErrors { code } } }""",
                 {"id": product_id, "variants": [{"id": bulk["productVariants"][0]["id"], "price": "89.00",
                                                  "compareAtPrice": "99.00"}]})["data"]["productVariantsBulkUpdate"]
    assert update == {"productVariants": [{"price": "89.00", "compareAtPrice": "99.00"}], "userErrors": []}
    activated = gql(server, """mutation($product: ProductUpdateInput!) { productUpdate(product: $product) {
        product { status publishedAt variants(first: 5) { nodes { title sku } } } userErrors { message } } }""",
                    {"product": {"id": product_id, "status": "ACTIVE"}})["data"]["productUpdate"]
    assert activated["product"]["status"] == "ACTIVE" and activated["product"]["publishedAt"]
    assert [v["title"] for v in activated["product"]["variants"]["nodes"]] == ["S", "M"]
    found = gql(server, '{ products(first: 5, query: "sku:LAMP-M status:active") { nodes { id } } }')
    assert found["data"]["products"]["nodes"] == [{"id": product_id}]


def test_variant_errors_change_nothing(server, app):
    product_id, product = next((gid, p) for gid, p in app.products.items() if len(p["variant_ids"]) > 1)
    first, second = product["variant_ids"][:2]
    result = gql(server, """mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
        productVariantsBulkUpdate(productId: $id, variants: $variants) {
          productVariants { id } userErrors { field code } } }""",
                 {"id": product_id, "variants": [{"id": first, "price": "1.00"}, {"id": second, "price": "-5"}]})
    assert result["data"]["productVariantsBulkUpdate"] == {
        "productVariants": None,
        "userErrors": [{"field": ["variants", "1", "price"], "code": "GREATER_THAN_OR_EQUAL_TO"}],
    }
    assert app.variants[first]["price"] != Decimal("1.00")


# -- throttling & faults ------------------------------------------------------------------------------------
def test_cost_is_reported_and_bucket_throttles_until_restored(catalogue, clock):
    app = ShopifySimulator(bucket_size=50, restore_rate=10)
    app.clock = clock
    app.seed(catalogue)
    query = "{ products(first: 20) { nodes { id } } }"  # 2 + 20 x 1 = 22 points
    with SimulatorServer(app) as server:
        first = gql(server, query)["extensions"]["cost"]
        assert first == {"requestedQueryCost": 22, "actualQueryCost": 22,
                         "throttleStatus": {"maximumAvailable": 50.0, "currentlyAvailable": 28, "restoreRate": 10.0}}
        gql(server, query)
        throttled = post(server, query)
        assert throttled.status_code == 200
        assert throttled.json() == {
            "errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
            "extensions": {"cost": {"requestedQueryCost": 22, "actualQueryCost": None, "throttleStatus": {
                "maximumAvailable": 50.0, "currentlyAvailable": 6, "restoreRate": 10.0}}},
        }
        clock.advance(2)
        assert gql(server, query)["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 4


def test_short_pages_are_refunded_and_huge_queries_refused(server):
    cost = gql(server, "{ orders(first: 100, query: \"name:1001\") { nodes { id } } }")["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (102, 3)
    assert cost["throttleStatus"]["currentlyAvailable"] == 1997
    refused = post(server, "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }").json()
    assert refused["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_drop_after_write_applies_the_mutation_but_loses_the_answer(server, app):
    app.faults.add("drop_after_write", path=GRAPHQL_PATH)
    with pytest.raises(requests.ConnectionError):
        post(server, SUBSCRIBE, {"topic": "PRODUCTS_UPDATE", "url": "https://example.com/hooks"})
    assert [s["topic"] for s in app.webhook_subscriptions.values()] == ["PRODUCTS_UPDATE"]


def test_error_after_write_applies_only_the_matching_mutation(server, app):
    app.faults.add("error_after_write", status=503, path=GRAPHQL_PATH, contains="webhookSubscriptionCreate")
    assert post(server, "{ shop { name } }").status_code == 200, "a document not containing the text is untouched"
    response = post(server, SUBSCRIBE, {"topic": "PRODUCTS_UPDATE", "url": "https://example.com/hooks"})
    assert response.status_code == 503
    assert [s["topic"] for s in app.webhook_subscriptions.values()] == ["PRODUCTS_UPDATE"]


def test_rate_limit_fault_answers_429(server, app):
    app.faults.add("rate_limit", retry_after=2)
    response = post(server, "{ shop { name } }")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2.0"
    assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


# -- webhooks ----------------------------------------------------------------------------------------------
def test_order_webhook_is_delivered_signed_and_rest_shaped(server, app, receiver, catalogue, clock):
    subscribed = gql(server, SUBSCRIBE, {"topic": "ORDERS_CREATE", "url": receiver.url})["data"]
    assert subscribed["webhookSubscriptionCreate"]["userErrors"] == []
    duplicate = gql(server, SUBSCRIBE, {"topic": "ORDERS_CREATE", "url": receiver.url})["data"]
    assert duplicate["webhookSubscriptionCreate"]["userErrors"] == [
        {"field": ["webhookSubscription", "callbackUrl"], "message": "Address for this topic has already been taken"}]
    seed_order = catalogue.orders[5]
    seed_order.number = "2001"
    order_id = app.add_order(seed_order)
    app.flush_webhooks()
    [delivery] = receiver.received
    headers, body = delivery["headers"], delivery["body"]
    expected_hmac = base64.b64encode(hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert headers["X-Shopify-Hmac-Sha256"] == expected_hmac == webhook_signature(API_SECRET, body)
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == SHOP_DOMAIN and headers["X-Shopify-Api-Version"] == API_VERSION
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Event-Id"] and headers["X-Shopify-Triggered-At"]
    payload = json.loads(body)
    assert payload["admin_graphql_api_id"] == order_id and payload["id"] == app.orders[order_id]["legacy_id"]
    assert payload["name"] == "#2001" and payload["email"] == seed_order.customer.email
    assert payload["presentment_currency"] == seed_order.currency
    assert payload["total_price_set"]["presentment_money"]["amount"] == str(seed_order.total)
    assert [line["sku"] for line in payload["line_items"]][:len(seed_order.lines)] == [l.sku for l in seed_order.lines]
    assert payload["created_at"] == (START.astimezone(timezone(timedelta(hours=1)))).isoformat()


def test_inventory_webhook_follows_stock_changes(server, app, receiver):
    gql(server, SUBSCRIBE, {"topic": "INVENTORY_LEVELS_UPDATE", "url": receiver.url})
    sku = next(variant["sku"] for variant in app.variants.values() if variant["sku"])
    app.set_stock(sku, 13)
    app.set_stock(sku, 13)  # no change, no webhook
    app.flush_webhooks()
    [delivery] = receiver.received
    payload = json.loads(delivery["body"])
    item = app.inventory_items[app.state.variant_by_sku(sku)["inventory_item_id"]]
    assert delivery["headers"]["X-Shopify-Topic"] == "inventory_levels/update"
    assert (payload["inventory_item_id"], payload["available"]) == (item["legacy_id"], 13)


def test_order_lifecycle_moves_stock_and_notifies(server, app, receiver, catalogue, clock):
    for topic in ("ORDERS_UPDATED", "ORDERS_FULFILLED", "ORDERS_CANCELLED"):
        gql(server, SUBSCRIBE, {"topic": topic, "url": receiver.url})
    seed_order = next(order for order in catalogue.orders if order.state == "paid")
    seed_order.number = "3001"
    sku, quantity = seed_order.lines[0].sku, seed_order.lines[0].quantity
    before = app.inventory_level(sku)
    app.add_order(seed_order)
    reserved = app.inventory_level(sku)
    assert (reserved["available"], reserved["committed"]) == (before["available"] - quantity,
                                                               before["committed"] + quantity)
    clock.advance(5)
    app.set_order_state("#3001", "shipped")
    shipped = app.inventory_level(sku)
    assert (shipped["committed"], shipped["on_hand"]) == (before["committed"], before["on_hand"] - quantity)
    app.flush_webhooks()
    assert [d["headers"]["X-Shopify-Topic"] for d in receiver.received] == ["orders/fulfilled", "orders/updated"]
    assert json.loads(receiver.received[-1]["body"])["fulfillment_status"] == "fulfilled"


def test_reset_leaves_an_empty_shop_with_one_location(app):
    app.reset()
    assert (app.orders, app.products, app.customers, app.inventory) == ({}, {}, {}, {})
    assert [location["name"] for location in app.locations.values()] == ["Main warehouse"]
    assert app.snapshot()["throttle"]["currentlyAvailable"] == 2000


def test_refunds_are_on_the_order_and_fire_refunds_create(server, app, catalogue):
    seed_order = next(order for order in catalogue.orders if order.refunds)
    query = """query($id: ID!) { order(id: $id) { displayFinancialStatus
        totalRefundedSet { presentmentMoney { amount } }
        refunds(first: 10) { id note totalRefundedSet { presentmentMoney { amount } }
          refundLineItems(first: 10) { nodes { quantity restockType lineItem { id sku } subtotalSet {
            presentmentMoney { amount } } totalTaxSet { presentmentMoney { amount } } } }
          refundShippingLines(first: 5) { nodes { shippingLine { id } subtotalAmountSet {
            presentmentMoney { amount } } } } } } }"""
    gid = app.state.order_by_reference(seed_order.number)["id"]
    order = gql(server, query, {"id": gid})["data"]["order"]
    assert order["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    refund, = order["refunds"]
    assert refund["note"] == seed_order.refunds[0].reason
    assert refund["totalRefundedSet"] == order["totalRefundedSet"]
    lines = refund["refundLineItems"]["nodes"] + refund["refundShippingLines"]["nodes"]
    parts = sum(Decimal((line.get("subtotalSet") or line.get("subtotalAmountSet"))["presentmentMoney"]["amount"])
                for line in lines)
    assert parts + seed_order.refunds[0].amount == Decimal(refund["totalRefundedSet"]["presentmentMoney"]["amount"])
    received = []
    with app.lock:
        app.state._emit, original = (lambda topic, subject: received.append(topic)), app.state._emit
    try:
        sku = next(o for o in catalogue.orders if o.state == "paid" and not o.refunds).lines[0].sku
        number = next(o for o in catalogue.orders if o.state == "paid" and not o.refunds).number
        app.refund_order(number, [(sku, 1)], note="Broken", restock=True)
    finally:
        app.state._emit = original
    assert received == ["REFUNDS_CREATE", "ORDERS_UPDATED"]
    order = gql(server, query, {"id": app.state.order_by_reference(number)["id"]})["data"]["order"]
    assert order["refunds"][0]["refundLineItems"]["nodes"][0]["restockType"] == "RETURN"


def test_refund_amount_apart_from_its_lines_is_an_order_adjustment(server, app, catalogue):
    """A restocking fee kept (refund below its lines) and a goodwill amount on top are order adjustments
    of the calculated minus the actual amount; the order's refund discrepancy adds them up."""
    seed_order = next(order for order in catalogue.orders if order.state == "paid" and not order.refunds)
    app.refund_order(seed_order.number, [(seed_order.lines[0].sku, 1)], amount=-5, note="Restocking fee")
    app.refund_order(seed_order.number, amount=3, note="Goodwill")
    query = """query($id: ID!) { order(id: $id) { refundDiscrepancySet { presentmentMoney { amount } }
        refunds { totalRefundedSet { presentmentMoney { amount } }
          refundLineItems(first: 5) { nodes { subtotalSet { presentmentMoney { amount } } } }
          orderAdjustments(first: 5) { nodes { reason amountSet { presentmentMoney { amount } }
            taxAmountSet { presentmentMoney { amount } } } } } } }"""
    order = gql(server, query, {"id": app.state.order_by_reference(seed_order.number)["id"]})["data"]["order"]
    fee, goodwill = order["refunds"]
    [line] = fee["refundLineItems"]["nodes"]
    amount = lambda money: Decimal(money["presentmentMoney"]["amount"])  # noqa: E731
    assert amount(fee["totalRefundedSet"]) == amount(line["subtotalSet"]) - 5
    assert [(item["reason"], amount(item["amountSet"]), amount(item["taxAmountSet"]))
            for refund in (fee, goodwill) for item in refund["orderAdjustments"]["nodes"]] == [
        ("RESTOCK", Decimal(5), Decimal(0)), ("REFUND_DISCREPANCY", Decimal(-3), Decimal(0))]
    assert (amount(goodwill["totalRefundedSet"]), amount(order["refundDiscrepancySet"])) == (Decimal(3), Decimal(2))


def test_refund_line_tax_adds_up_to_the_lines_tax(server, app, catalogue):
    """``RefundLineItem.totalTaxSet``: the tax inside the refunded units' gross, rounded once (2 of 3
    units at 99.01 incl. 19 %: 31.62, where the line's 47.42 in proportion is 31.61); the refund that
    leaves nothing of the line gives back the rest of its tax (15.80), never more than it charged."""
    seed = next(order for order in catalogue.orders if order.state == "paid" and order.tax_rate == 19)
    line = dataclasses.replace(seed.lines[0], quantity=3, unit_price=Decimal("99.01"), tax_rate=Decimal(19))
    gid = app.add_order(dataclasses.replace(seed, number="9301", lines=[line], fee_amount=Decimal(0),
                                            discount_amount=Decimal(0), refunds=[]))
    app.refund_order("9301", [(line.sku, 2)])
    app.refund_order("9301", [(line.sku, 1)])
    query = """query($id: ID!) { order(id: $id) { lineItems(first: 5) { nodes { taxLines {
        priceSet { presentmentMoney { amount } } } } }
        refunds { refundLineItems(first: 5) { nodes { quantity totalTaxSet { presentmentMoney { amount } } } } } } }"""
    order = gql(server, query, {"id": gid})["data"]["order"]
    [[tax_line]] = [item["taxLines"] for item in order["lineItems"]["nodes"]]
    assert tax_line["priceSet"]["presentmentMoney"]["amount"] == "47.42"
    assert [(item["quantity"], item["totalTaxSet"]["presentmentMoney"]["amount"]) for refund in order["refunds"]
            for item in refund["refundLineItems"]["nodes"]] == [(2, "31.62"), (1, "15.8")]


class ImageHost:
    name = "image-host"

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/bowl.png":
            return Response(b"\x89PNG-bowl", content_type="image/png")(environ, start_response)
        return Response("missing", status=404)(environ, start_response)


@pytest.fixture(scope="module")
def image_host():
    with SimulatorServer(ImageHost()) as running:
        yield running


MEDIA = ("featuredMedia { id status preview { image { url } } } "
         "media(first: 5) { nodes { id status mediaErrors { code } } }")
CREATE_WITH_MEDIA = """mutation($product: ProductCreateInput!, $media: [CreateMediaInput!]) {
    productCreate(product: $product, media: $media) {
        product { id """ + MEDIA + """ } userErrors { field message } } }"""
REORDER = """mutation($id: ID!, $moves: [MoveInput!]!) { productReorderMedia(id: $id, moves: $moves) {
    job { id } mediaUserErrors { code } } }"""


def test_product_media_are_downloaded_and_reordered(app, server, image_host):
    app.state.media_store.cdn_url = server.url
    created = gql(server, CREATE_WITH_MEDIA, {"product": {"title": "Bowl"}, "media": [
        {"originalSource": f"{image_host.url}/bowl.png", "mediaContentType": "IMAGE"},
        {"originalSource": f"{image_host.url}/gone.png", "mediaContentType": "IMAGE"}]})
    product = created["data"]["productCreate"]["product"]
    ready, failed = product["media"]["nodes"]
    assert (ready["status"], failed["status"]) == ("READY", "FAILED")
    assert failed["mediaErrors"] == [{"code": "IMAGE_DOWNLOAD_FAILURE"}]
    url = product["featuredMedia"]["preview"]["image"]["url"]
    assert requests.get(url).content == b"\x89PNG-bowl", "the CDN serves the downloaded file"
    moved = gql(server, REORDER, {"id": product["id"], "moves": [{"id": failed["id"], "newPosition": "0"}]})
    assert moved["data"]["productReorderMedia"]["mediaUserErrors"] == []
    again = gql(server, "query($id: ID!) { product(id: $id) { featuredMedia { id } } }", {"id": product["id"]})
    assert again["data"]["product"]["featuredMedia"]["id"] == failed["id"]
    wrong = gql(server, REORDER, {"id": product["id"],
                                  "moves": [{"id": "gid://shopify/MediaImage/1", "newPosition": "0"}]})
    assert wrong["data"]["productReorderMedia"]["mediaUserErrors"] == [{"code": "MEDIA_DOES_NOT_EXIST_ON_PRODUCT"}]


def test_collections_custom_and_smart_as_shopify_documents_them(app, catalogue):
    """Custom collections hold what was added to them, smart ones what their rules match (ruleSet
    set); collectionAddProducts refuses a smart collection and a product already in the collection."""
    first, second = [product for product in catalogue.products if not product.has_variants][:2]
    app.update_product(first.sku, product_type="Lamps")
    product_id = app.state.product_by_reference(first.sku)[0]["id"]
    other_id = app.state.product_by_reference(second.sku)[0]["id"]
    custom = app.add_collection("Sale", [first.sku])
    smart = app.add_collection("All lamps", rules=[("TYPE", "EQUALS", "Lamps")])
    data = app.graphql("""query($id: ID!) { product(id: $id) {
        collections(first: 5) { nodes { title ruleSet { appliedDisjunctively } } } } }""", {"id": product_id})["data"]
    assert data["product"]["collections"]["nodes"] == [
        {"title": "Sale", "ruleSet": None}, {"title": "All lamps", "ruleSet": {"appliedDisjunctively": False}}]
    listed = app.graphql('{ collections(first: 5, query: "collection_type:custom") { nodes { title } } }')["data"]
    assert listed["collections"]["nodes"] == [{"title": "Sale"}]
    add = """mutation($id: ID!, $ids: [ID!]!) { collectionAddProducts(id: $id, productIds: $ids) {
        collection { id } userErrors { field message } } }"""
    refused = app.graphql(add, {"id": smart, "ids": [other_id]})["data"]["collectionAddProducts"]
    assert refused["userErrors"][0]["message"] == "Can't manually add products to a smart collection."
    twice = app.graphql(add, {"id": custom, "ids": [other_id, product_id]})["data"]["collectionAddProducts"]
    assert twice["collection"] is None and twice["userErrors"]
    assert app.collections[custom]["product_ids"] == [product_id], "no product is added when one is refused"
    added = app.graphql(add, {"id": custom, "ids": [other_id]})["data"]["collectionAddProducts"]
    assert added == {"collection": {"id": custom}, "userErrors": []}
    assert app.collections[custom]["product_ids"] == [product_id, other_id]
