"""WooCommerce wc/v3 simulator, exercised over real HTTP like a client would."""

import json
import os
import re
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from werkzeug.wrappers import Request, Response

from simulators import seed
from simulators.common import SimulatorServer
from simulators.woocommerce import (
    API_ROOT, CONSUMER_KEY, CONSUMER_SECRET, STATE_TO_STATUS, WooCommerceSimulator, webhook_signature,
)

AUTH = (CONSUMER_KEY, CONSUMER_SECRET)
CATALOGUE = seed.generate()
SPECS = Path(os.environ.get("SHOP_SYNC_SPECS", Path(__file__).resolve().parents[3] / "shared" / "specs"))
MONEY = re.compile(r"^-?\d+\.\d{2}$")


class Receiver:
    """Trivial WSGI app recording every request (method, headers, raw body)."""

    name = "receiver"

    def __init__(self):
        self.requests = []
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.changed:
            self.requests.append((request.method, dict(request.headers), request.get_data()))
            self.changed.notify_all()
        return Response("ok")(environ, start_response)

    def wait_for_topic(self, topic, timeout=5):
        """Whether a delivery of ``topic`` arrived within ``timeout`` s (deliveries are sent from a queue,
        after the request that fired them; a new webhook's ping comes first)."""
        with self.changed:
            return self.changed.wait_for(lambda: any(
                headers.get("X-Wc-Webhook-Topic") == topic for _m, headers, _b in self.requests), timeout)


@pytest.fixture(scope="module")
def server():
    app = WooCommerceSimulator()
    with SimulatorServer(app) as running:
        app.site_url = f"{running.url}/"
        yield running


@pytest.fixture
def shop(server):
    """The simulator, reset and seeded with ``CATALOGUE``."""
    app = server.app
    app.clock = time.time
    app.reset()
    app.faults.clear()
    app.requests_per_minute = None
    app.seed(CATALOGUE)
    return app


@pytest.fixture
def api(server):
    return f"{server.url}{API_ROOT}"


@pytest.fixture
def receiver():
    app = Receiver()
    with SimulatorServer(app) as running:
        app.url = f"{running.url}/hooks"
        yield app


def get_all(url, **params):
    """Every record of a collection, following ``Link: rel=next``."""
    records, response = [], requests.get(url, params={"per_page": 100, **params}, auth=AUTH)
    while True:
        assert response.status_code == 200, response.text
        records += response.json()
        if "next" not in response.links:
            return records
        response = requests.get(response.links["next"]["url"], auth=AUTH)


def docs_example(doc, heading):
    """The first JSON example after ``heading`` in an official WooCommerce REST doc."""
    path = SPECS / "woocommerce" / "docs" / doc
    if not path.exists():
        pytest.skip(f"vendor docs not found at {path}")
    text = path.read_text()
    section = text[text.index(f"## {heading} ##"):]
    return json.loads(re.search(r"```json\n(.*?)\n```", section, re.S).group(1))


def assert_keys_cover(example, actual, where):
    """Every key of the docs example exists in ``actual`` (recursing into objects and first list items)."""
    missing = set(example) - set(actual)
    assert not missing, f"{where}: missing {sorted(missing)}"
    for key, value in example.items():
        if isinstance(value, dict) and isinstance(actual[key], dict):
            assert_keys_cover(value, actual[key], f"{where}.{key}")
        elif isinstance(value, list) and value and isinstance(value[0], dict) and actual[key]:
            assert_keys_cover(value[0], actual[key][0], f"{where}.{key}[0]")


def test_bad_or_missing_keys_answer_401_with_wordpress_error(shop, api):
    url = f"{api}/orders"
    missing = requests.get(url)
    assert missing.status_code == 401
    assert missing.json() == {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
                              "data": {"status": 401}}
    wrong_secret = requests.get(url, auth=(CONSUMER_KEY, "cs_wrong"))
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["code"] == "woocommerce_rest_authentication_error"
    assert wrong_secret.json()["message"] == "Consumer secret is invalid."
    assert requests.get(url, auth=("ck_unknown", "cs_unknown")).json()["code"] == "woocommerce_rest_cannot_view"
    assert requests.post(url, json={}).json()["code"] == "woocommerce_rest_cannot_create"
    assert requests.get(url, auth=AUTH).status_code == 200
    by_query = requests.get(url, params={"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET})
    assert by_query.status_code == 200


def test_paging_walks_every_order_exactly_once(shop, api):
    url = f"{api}/orders"
    response = requests.get(url, params={"per_page": 7, "status": "any"}, auth=AUTH)
    seen, page = [], 1
    while True:
        assert response.headers["X-WP-Total"] == "30"
        assert response.headers["X-WP-TotalPages"] == "5"
        batch = response.json()
        assert len(batch) == (7 if page < 5 else 2)
        seen += [order["id"] for order in batch]
        links = response.links
        assert ("prev" in links) == (page > 1)
        if page > 1:
            assert f"page={page - 1}" in links["prev"]["url"]
        if page == 5:
            assert "next" not in links
            break
        assert links["next"]["url"].startswith("http://")
        assert "per_page=7" in links["next"]["url"] and "status=any" in links["next"]["url"]
        response = requests.get(links["next"]["url"], auth=AUTH)
        page += 1
    assert sorted(seen) == sorted(shop.orders) and len(seen) == len(set(seen))
    created = [shop.orders[order_id]["date_created_gmt"] for order_id in seen]
    assert created == sorted(created, reverse=True)  # default: newest first


def test_per_page_above_100_is_rejected(shop, api):
    response = requests.get(f"{api}/orders", params={"per_page": 101}, auth=AUTH)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "rest_invalid_param"
    assert body["data"]["status"] == 400
    assert body["data"]["params"]["per_page"] == "per_page must be between 1 (inclusive) and 100 (inclusive)"


def test_modified_after_filters_on_gmt_or_site_time(shop, api):
    stamps = sorted(order["date_modified_gmt"] for order in shop.orders.values())
    threshold = stamps[len(stamps) // 2]
    expected = {order_id for order_id, order in shop.orders.items() if order["date_modified_gmt"] > threshold}
    gmt = get_all(f"{api}/orders", modified_after=threshold, dates_are_gmt="true")
    assert {order["id"] for order in gmt} == expected
    with_offset = get_all(f"{api}/orders", modified_after=f"{threshold}Z")
    assert {order["id"] for order in with_offset} == expected
    local = datetime.fromisoformat(threshold).replace(tzinfo=timezone.utc).astimezone(shop.timezone)
    site_time = get_all(f"{api}/orders", modified_after=local.strftime("%Y-%m-%dT%H:%M:%S"))
    assert {order["id"] for order in site_time} == expected


def test_status_filter_takes_a_comma_list(shop, api):
    orders = get_all(f"{api}/orders", status="processing,completed")
    wanted = {"processing", "completed"}
    assert {order["status"] for order in orders} == wanted
    assert len(orders) == sum(STATE_TO_STATUS[order.state] in wanted for order in CATALOGUE.orders)
    bad = requests.get(f"{api}/orders", params={"status": "shipped"}, auth=AUTH)
    assert bad.status_code == 400 and bad.json()["data"]["params"]["status"].startswith("status[0] is not one of")


def test_sku_filter_on_products_and_variations(shop, api):
    simple = next(product for product in CATALOGUE.products if not product.has_variants)
    variable = next(product for product in CATALOGUE.products if product.has_variants)
    found = get_all(f"{api}/products", sku=simple.sku)
    assert [product["sku"] for product in found] == [simple.sku]
    assert found[0]["type"] == "simple" and found[0]["regular_price"] == f"{simple.price:.2f}"
    parent = get_all(f"{api}/products", sku=variable.sku)[0]
    assert parent["type"] == "variable" and len(parent["variations"]) == len(variable.variants)
    variant = variable.variants[-1]
    variations = get_all(f"{api}/products/{parent['id']}/variations", sku=variant.sku)
    assert [(v["sku"], v["stock_quantity"], v["manage_stock"]) for v in variations] == [
        (variant.sku, variant.stock, True)]
    as_product = get_all(f"{api}/products", sku=variant.sku)  # WooCommerce also finds variations
    assert [(p["type"], p["parent_id"]) for p in as_product] == [("variation", parent["id"])]


def test_order_totals_add_up_for_every_seeded_order(shop, api):
    orders = {order["number"]: order for order in get_all(f"{api}/orders")}
    assert len(orders) == len(CATALOGUE.orders)
    for seed_order in CATALOGUE.orders:
        order = orders[seed_order.number]
        money = lambda lines, field: sum((Decimal(line[field]) for line in lines), Decimal(0))  # noqa: E731
        items, shipping, fees = order["line_items"], order["shipping_lines"], order["fee_lines"]
        assert order["status"] == STATE_TO_STATUS[seed_order.state]
        assert order["prices_include_tax"] is True
        assert Decimal(order["total"]) == seed_order.total
        assert Decimal(order["total"]) == (money(items, "total") + money(items, "total_tax") + money(fees, "total")
                                           + money(fees, "total_tax") + Decimal(order["shipping_total"])
                                           + Decimal(order["shipping_tax"]))
        assert Decimal(order["shipping_total"]) == money(shipping, "total")
        assert Decimal(order["shipping_tax"]) == money(shipping, "total_tax")
        assert Decimal(order["cart_tax"]) == money(items, "total_tax") + money(fees, "total_tax")
        assert Decimal(order["total_tax"]) == Decimal(order["cart_tax"]) + Decimal(order["shipping_tax"])
        assert Decimal(order["total_tax"]) == money(order["tax_lines"], "tax_total") + money(
            order["tax_lines"], "shipping_tax_total")
        assert Decimal(order["discount_total"]) == money(items, "subtotal") - money(items, "total")
        discount = Decimal(order["discount_total"]) + Decimal(order["discount_tax"])
        assert discount == seed_order.discount_amount
        assert bool(order["coupon_lines"]) == bool(seed_order.discount_amount)
        assert bool(fees) == bool(seed_order.fee_amount)
        for line in items:
            gross = Decimal(line["subtotal"]) + Decimal(line["subtotal_tax"])
            seed_line = next(seed_line for seed_line in seed_order.lines if seed_line.sku == line["sku"])
            assert gross == seed_line.unit_price * seed_line.quantity
        for field in ("total", "total_tax", "discount_total", "shipping_total", "cart_tax"):
            assert MONEY.match(order[field]), (field, order[field])


def test_batch_updates_100_variations_and_rejects_101(shop, api):
    parent = requests.post(f"{api}/products", auth=AUTH, json={
        "name": "Sock", "type": "variable", "sku": "SOCK",
        "attributes": [{"name": "Size", "variation": True, "options": [str(n) for n in range(101)]}],
    }).json()
    url = f"{api}/products/{parent['id']}/variations/batch"
    created = requests.post(url, auth=AUTH, json={"create": [
        {"sku": f"SOCK-{n}", "regular_price": "10.00", "attributes": [{"name": "Size", "option": str(n)}]}
        for n in range(100)]}).json()["create"]
    assert len(created) == 100 and all("error" not in variation for variation in created)
    update = [{"id": variation["id"], "manage_stock": True, "stock_quantity": n} for n, variation in enumerate(created)]
    response = requests.post(url, auth=AUTH, json={"update": update})
    assert response.status_code == 200
    assert [(v["stock_quantity"], v["stock_status"]) for v in response.json()["update"]][:2] == [
        (0, "outofstock"), (1, "instock")]
    assert shop.variations[created[42]["id"]]["stock_quantity"] == 42
    too_many = requests.post(url, auth=AUTH, json={"update": update, "delete": [created[0]["id"]]})
    assert too_many.status_code == 413
    assert too_many.json() == {"code": "woocommerce_rest_request_entity_too_large",
                               "message": "Unable to accept more than 100 items for this request.",
                               "data": {"status": 413}}


def test_duplicate_sku_is_rejected_as_woocommerce_does(shop, api):
    taken = next(product for product in shop.products.values() if product["sku"])
    response = requests.post(f"{api}/products", auth=AUTH, json={"name": "Copy", "sku": taken["sku"]})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["message"]) == ("product_invalid_sku", "Invalid or duplicated SKU.")
    assert body["data"] == {"status": 400, "resource_id": taken["id"], "unique_sku": f"{taken['sku']}-1"}
    assert sum(product["name"] == "Copy" for product in shop.products.values()) == 0
    batch = requests.post(f"{api}/products/batch", auth=AUTH,
                          json={"create": [{"name": "New", "sku": "NEW-1"}, {"name": "Dup", "sku": taken["sku"]}]})
    first, second = batch.json()["create"]
    assert first["sku"] == "NEW-1"
    assert second["id"] == 0 and second["error"]["code"] == "product_invalid_sku"


def test_webhook_delivers_signed_order_created(shop, receiver, api):
    hook = requests.post(f"{api}/webhooks", auth=AUTH, json={
        "name": "Orders", "topic": "order.created", "delivery_url": receiver.url, "secret": "s3cret"})
    assert hook.status_code == 201 and hook.json()["status"] == "active" and "secret" not in hook.json()
    shop.flush_webhooks()
    [(method, headers, body)] = receiver.requests  # WooCommerce pings a new webhook's URL
    assert (method, body) == ("POST", f"webhook_id={hook.json()['id']}".encode())
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    order_id = shop.add_order(CATALOGUE.orders[1])
    shop.flush_webhooks()
    method, headers, body = receiver.requests[-1]
    assert method == "POST" and len(receiver.requests) == 2
    assert headers["X-Wc-Webhook-Signature"] == webhook_signature("s3cret", body)
    assert headers["X-Wc-Webhook-Topic"] == "order.created"
    assert (headers["X-Wc-Webhook-Resource"], headers["X-Wc-Webhook-Event"]) == ("order", "created")
    assert headers["X-Wc-Webhook-Id"] == str(hook.json()["id"])
    assert headers["X-Wc-Webhook-Source"] == shop.site_url and headers["X-Wc-Webhook-Delivery-Id"]
    assert b"\\/wp-json\\/wc\\/v3\\/orders" in body  # PHP-style escaped slashes, signed as sent
    payload = json.loads(body)
    assert payload["id"] == order_id and payload["number"] == CATALOGUE.orders[1].number
    assert payload == {**requests.get(f"{api}/orders/{order_id}", auth=AUTH).json(), "_links": payload["_links"]}


def test_webhooks_fire_per_active_topic_including_stock_changes(shop, receiver, api):
    requests.post(f"{api}/webhooks", auth=AUTH, json={
        "topic": "order.created", "delivery_url": receiver.url, "status": "paused"})
    requests.post(f"{api}/webhooks", auth=AUTH, json={"topic": "product.updated", "delivery_url": receiver.url})
    shop.add_order(next(order for order in CATALOGUE.orders if order.state == "pending"))  # no stock taken
    shop.flush_webhooks()
    assert [headers.get("X-Wc-Webhook-Topic") for _method, headers, _body in receiver.requests] == [None, None]
    paid = next(order for order in CATALOGUE.orders if order.state == "paid")
    shop.add_order(paid)  # checkout takes stock: the products (and variable parents) are saved
    shop.flush_webhooks()
    updated = {json.loads(body)["sku"] for _method, _headers, body in receiver.requests[2:]}
    by_sku = {record["sku"]: record for record in [*shop.products.values(), *shop.variations.values()]}
    stocked = {line.sku for line in paid.lines if by_sku[line.sku]["manage_stock"]}
    assert stocked and stocked <= updated
    shop.set_stock(CATALOGUE.products[0].sku, 5)
    shop.flush_webhooks()
    assert receiver.requests[-1][1]["X-Wc-Webhook-Topic"] == "product.updated"
    assert json.loads(receiver.requests[-1][2])["stock_quantity"] == 5


def test_drop_after_write_creates_the_product_but_loses_the_answer(shop, api):
    shop.faults.add("drop_after_write", path=f"{API_ROOT}/products", method="POST")
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{api}/products", auth=AUTH, json={"name": "Ghost", "sku": "GHOST-1", "regular_price": "9.95"})
    found = get_all(f"{api}/products", sku="GHOST-1")
    assert [(product["name"], product["price"]) for product in found] == [("Ghost", "9.95")]


def test_error_after_write_creates_the_product_and_answers_500(shop, api):
    shop.faults.add("error_after_write", status=500, path=f"{API_ROOT}/products", method="POST")
    response = requests.post(f"{api}/products", auth=AUTH, json={"name": "Half", "sku": "HALF-1", "regular_price": "5"})
    assert response.status_code == 500 and response.json()["data"] == {"status": 500}
    assert [product["name"] for product in get_all(f"{api}/products", sku="HALF-1")] == ["Half"]


def test_faults_after_write_over_the_control_api(shop, api, server):
    root = server.url
    added = requests.post(f"{root}/_sim/faults", json={"kind": "error_after_write", "status": 502,
                                                       "path": f"{API_ROOT}/products", "method": "POST"})
    assert added.json() == {"faults": 1}
    response = requests.post(f"{api}/products", auth=AUTH, json={"name": "Remote", "sku": "REMOTE-1"})
    assert response.status_code == 502
    assert [product["sku"] for product in get_all(f"{api}/products", sku="REMOTE-1")] == ["REMOTE-1"]


def test_injected_503_answers_the_error_body(shop, api):
    shop.faults.add("error", status=503, path=f"{API_ROOT}/orders")
    response = requests.get(f"{api}/orders", auth=AUTH)
    assert response.status_code == 503
    assert response.json()["data"] == {"status": 503} and response.json()["code"] == "internal_server_error"
    assert requests.get(f"{api}/orders", auth=AUTH).status_code == 200


def test_rate_limit_fault_and_configured_limit_answer_429(shop, api):
    shop.faults.add("rate_limit", retry_after=2.5)
    limited = requests.get(f"{api}/orders", auth=AUTH)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert limited.json()["code"] == "rate_limit_exceeded"
    shop.requests_per_minute = 2
    statuses = [requests.get(f"{api}/customers", auth=AUTH).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_responses_have_the_documented_shapes(shop, api):
    order = requests.get(f"{api}/orders/{next(iter(shop.orders))}", auth=AUTH).json()
    assert_keys_cover(docs_example("_orders.md", "Retrieve an order"), order, "order")
    product_id = next(product_id for product_id, product in shop.products.items() if product["type"] == "variable")
    product = requests.get(f"{api}/products/{product_id}", auth=AUTH).json()
    assert_keys_cover(docs_example("_products.md", "Retrieve a product"), product, "product")
    variation = requests.get(f"{api}/products/{product_id}/variations/{product['variations'][0]}", auth=AUTH).json()
    example = docs_example("_product-variations.md", "Retrieve a product variation")
    assert_keys_cover({**example, "image": {}}, variation, "variation")  # seeded variations have no image
    customer = requests.get(f"{api}/customers/{next(iter(shop.customers))}", auth=AUTH).json()
    assert_keys_cover(docs_example("_customers.md", "Retrieve a customer"), customer, "customer")
    hook = requests.post(f"{api}/webhooks", auth=AUTH,
                         json={"topic": "order.updated", "delivery_url": "http://127.0.0.1:9/none"}).json()
    assert_keys_cover(docs_example("_webhooks.md", "Retrieve a webhook"), hook, "webhook")
    assert hook["hooks"] and hook["resource"] == "order" and hook["event"] == "updated"


def test_order_create_update_and_status_side_effects(shop, api):
    variation = next(v for v in shop.variations.values() if v["stock_quantity"] >= 2)
    stock, customer_id = variation["stock_quantity"], next(iter(shop.customers))
    response = requests.post(f"{api}/orders", auth=AUTH, json={
        "customer_id": customer_id, "set_paid": True, "payment_method": "bacs",
        "billing": {"first_name": "Ida", "country": "DK", "email": "ida@example.com"},
        "shipping": {"country": "DK"},
        "line_items": [{"sku": variation["sku"], "quantity": 2}],
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "GLS", "total": "40.00"}],
    })
    assert response.status_code == 201, response.text
    order = response.json()
    assert response.headers["Location"].endswith(f"/orders/{order['id']}")
    assert order["status"] == "processing" and order["date_paid_gmt"] and order["created_via"] == "rest-api"
    line = order["line_items"][0]
    gross = Decimal(variation["price"]) * 2
    assert (line["product_id"], line["variation_id"]) == (variation["parent_id"], variation["id"])
    assert Decimal(line["total"]) + Decimal(line["total_tax"]) == gross
    assert order["shipping_total"] == "40.00" and order["shipping_tax"] == "10.00"
    assert Decimal(order["total"]) == gross + Decimal("50.00")
    assert shop.variations[variation["id"]]["stock_quantity"] == stock - 2
    cancelled = requests.put(f"{api}/orders/{order['id']}", auth=AUTH, json={"status": "cancelled"}).json()
    assert cancelled["status"] == "cancelled" and cancelled["date_modified_gmt"] >= order["date_modified_gmt"]
    assert shop.variations[variation["id"]]["stock_quantity"] == stock
    missing = requests.get(f"{api}/orders/999999", auth=AUTH)
    assert (missing.status_code, missing.json()["code"]) == (404, "woocommerce_rest_shop_order_invalid_id")
    bad_update = requests.put(f"{api}/orders/999999", auth=AUTH, json={"status": "completed"})
    assert bad_update.status_code == 400
    unknown = requests.post(f"{api}/orders", auth=AUTH, json={"line_items": [{"quantity": 1}]})
    assert unknown.json()["code"] == "woocommerce_rest_required_product_reference"


def test_set_order_status_maps_neutral_states_and_bumps_modified(shop):
    seed_order = next(order for order in CATALOGUE.orders if order.state == "paid")
    order_id = next(key for key, order in shop.orders.items() if order["number"] == seed_order.number)
    before = shop.orders[order_id]["date_modified_gmt"]
    shop.set_order_status(seed_order.number, "shipped")
    order = shop.orders[order_id]
    assert order["status"] == "completed" and order["date_completed"] and order["date_modified_gmt"] > before
    shop.set_order_status(order_id, "refunded")
    assert order["refunds"][0]["total"] == f"-{order['total']}"
    with pytest.raises(ValueError):
        shop.set_order_status(order_id, "lost")


def test_wordpress_validation_and_routing_errors(shop, api):
    no_route = requests.get(f"{api}/nothing", auth=AUTH)
    assert (no_route.status_code, no_route.json()["code"]) == (404, "rest_no_route")
    wrong_method = requests.delete(f"{api}/orders", auth=AUTH)
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (404, "rest_no_route")
    typed = requests.post(f"{api}/products", auth=AUTH, json={"name": "X", "regular_price": 10})
    assert typed.status_code == 400
    assert typed.json()["data"]["params"] == {"regular_price": "regular_price is not of type string."}
    product = requests.get(f"{api}/products/999999", auth=AUTH).json()
    assert product["code"] == "woocommerce_rest_product_invalid_id"
    customer = requests.get(f"{api}/customers/999999", auth=AUTH).json()
    assert (customer["code"], customer["message"]) == ("woocommerce_rest_invalid_id", "Invalid resource ID.")


def test_customers_filter_by_email_and_reject_duplicates(shop, api):
    email = CATALOGUE.customers[3].email
    found = get_all(f"{api}/customers", email=email.upper())
    assert [customer["email"] for customer in found] == [email]
    assert found[0]["billing"]["company"] == (CATALOGUE.customers[3].company or "")
    duplicate = requests.post(f"{api}/customers", auth=AUTH, json={"email": email})
    assert (duplicate.status_code, duplicate.json()["code"]) == (400, "registration-error-email-exists")
    created = requests.post(f"{api}/customers", auth=AUTH, json={"email": "new@example.com", "first_name": "Ny"})
    assert created.status_code == 201 and created.json()["username"] == "new"
    missing = requests.post(f"{api}/customers", auth=AUTH, json={"first_name": "No mail"})
    assert missing.json()["code"] == "rest_missing_callback_param"


def test_variation_change_saves_its_parent_for_polling_and_webhooks(shop, receiver, api):
    shop.clock = lambda: datetime(2026, 2, 1, 9, 0, tzinfo=timezone.utc).timestamp()
    requests.post(f"{api}/webhooks", auth=AUTH, json={"topic": "product.updated", "delivery_url": receiver.url})
    variation = next(iter(shop.variations.values()))
    response = requests.put(f"{api}/products/{variation['parent_id']}/variations/{variation['id']}", auth=AUTH,
                            json={"regular_price": "1.00", "stock_quantity": 3})
    assert (response.json()["price"], response.json()["stock_quantity"]) == ("1.00", 3)
    changed = get_all(f"{api}/products", modified_after="2026-01-31T00:00:00", _fields="id,date_modified_gmt")
    assert changed == [{"id": variation["parent_id"], "date_modified_gmt": "2026-02-01T09:00:00"}]
    assert shop.products[variation["parent_id"]]["price"] == "1.00"  # the cheapest variation
    shop.flush_webhooks()
    payloads = [json.loads(body) for _method, _headers, body in receiver.requests[1:]]
    assert [(payload["id"], payload["type"]) for payload in payloads] == [
        (variation["id"], "variation"), (variation["parent_id"], "variable")]


# -- order notes -----------------------------------------------------------------------------
def processing_order(shop):
    return next(order for order in shop.orders.values() if order["status"] == "processing")


def test_customer_note_is_listed_and_mailed(shop, server):
    order = processing_order(shop)
    url = f"{server.url}{API_ROOT}/orders/{order['id']}/notes"
    created = requests.post(url, json={"note": "Shipped with GLS, tracking 123.", "customer_note": True}, auth=AUTH)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["note"], body["customer_note"], body["author"]) == ("Shipped with GLS, tracking 123.", True, "system")
    assert created.headers["Location"] == body["_links"]["self"][0]["href"]
    requests.post(url, json={"note": "Packed by Lars."}, auth=AUTH)
    assert [note["note"] for note in requests.get(url, params={"type": "customer"}, auth=AUTH).json()] == [
        "Shipped with GLS, tracking 123."]
    assert [note["note"] for note in requests.get(url, auth=AUTH).json()] == [
        "Packed by Lars.", "Shipped with GLS, tracking 123."]
    assert shop.customer_emails == [{"to": order["billing"]["email"], "order": order["id"],
                                     "note": "Shipped with GLS, tracking 123."}]
    assert requests.get(f"{url}/{body['id']}", auth=AUTH).json()["id"] == body["id"]


def test_note_errors_as_woocommerce_answers_them(shop, server):
    order = processing_order(shop)
    missing = requests.post(f"{server.url}{API_ROOT}/orders/{order['id']}/notes", json={}, auth=AUTH)
    assert (missing.status_code, missing.json()["code"]) == (400, "rest_missing_callback_param")
    unknown = requests.post(f"{server.url}{API_ROOT}/orders/999999/notes", json={"note": "x"}, auth=AUTH)
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Invalid order ID.")
    wrong_type = requests.get(f"{server.url}{API_ROOT}/orders/{order['id']}/notes", params={"type": "x"}, auth=AUTH)
    assert wrong_type.status_code == 400
    anonymous = requests.get(f"{server.url}{API_ROOT}/orders/{order['id']}/notes")
    assert anonymous.status_code == 401
    note = requests.post(f"{server.url}{API_ROOT}/orders/{order['id']}/notes", json={"note": "x"}, auth=AUTH).json()
    kept = requests.delete(f"{server.url}{API_ROOT}/orders/{order['id']}/notes/{note['id']}", auth=AUTH)
    assert kept.status_code == 501
    gone = requests.delete(f"{server.url}{API_ROOT}/orders/{order['id']}/notes/{note['id']}",
                           params={"force": "true"}, auth=AUTH)
    assert gone.status_code == 200 and not shop.order_notes[order["id"]]


def test_status_change_adds_a_system_note(shop, server):
    order = processing_order(shop)
    response = requests.put(f"{server.url}{API_ROOT}/orders/{order['id']}", json={"status": "completed"}, auth=AUTH)
    assert response.json()["status"] == "completed"
    [note] = requests.get(f"{server.url}{API_ROOT}/orders/{order['id']}/notes", auth=AUTH).json()
    assert (note["note"], note["customer_note"]) == ("Order status changed from Processing to Completed.", False)


def test_seeded_partial_refunds_are_listed_on_the_order_and_as_refund_resources(shop, api):
    refunded = [order for order in CATALOGUE.orders if order.refunds]
    assert refunded, "the seed has partially refunded orders"
    for seed_order in refunded:
        order = next(o for o in get_all(f"{api}/orders", search=seed_order.number) if o["number"] == seed_order.number)
        refunds = requests.get(f"{api}/orders/{order['id']}/refunds", auth=AUTH, timeout=5).json()
        assert [refund["id"] for refund in refunds] == [summary["id"] for summary in order["refunds"]]
        for refund, summary in zip(refunds, order["refunds"]):
            assert Decimal(summary["total"]) == -Decimal(refund["amount"]) < 0
            for line in refund["line_items"]:
                assert line["quantity"] < 0 and Decimal(line["total"]) < 0
                refunded_item = int(next(m["value"] for m in line["meta_data"] if m["key"] == "_refunded_item_id"))
                assert refunded_item in [item["id"] for item in order["line_items"]]
        assert order["status"] != "refunded", "a partial refund keeps the status"


def test_refund_endpoint_restocks_refuses_too_much_and_fires_order_updated(shop, receiver, api):
    order = next(o for o in get_all(f"{api}/orders", status="processing"))
    hook = requests.post(f"{api}/webhooks", auth=AUTH, timeout=5, json={
        "topic": "order.updated", "delivery_url": receiver.url, "secret": "s"}).json()
    assert hook["status"] == "active"
    item = order["line_items"][0]
    product = requests.get(f"{api}/products/{item['variation_id'] or item['product_id']}", auth=AUTH, timeout=5).json()
    gross = Decimal(item["total"]) + Decimal(item["total_tax"])
    unit = (gross / item["quantity"]).quantize(Decimal("0.01"))
    answer = requests.post(f"{api}/orders/{order['id']}/refunds", auth=AUTH, timeout=5, json={
        "amount": str(unit), "reason": "Broken", "line_items": [{"id": item["id"], "quantity": 1,
                                                                 "refund_total": str(unit)}]})
    assert answer.status_code == 201, answer.text
    refund = answer.json()
    assert (refund["amount"], refund["reason"], refund["line_items"][0]["quantity"]) == (str(unit), "Broken", -1)
    after = requests.get(f"{api}/products/{product['id']}", auth=AUTH, timeout=5).json()
    if product["manage_stock"]:
        assert after["stock_quantity"] == product["stock_quantity"] + 1, "api_restock defaults to true"
    updated = requests.get(f"{api}/orders/{order['id']}", auth=AUTH, timeout=5).json()
    assert updated["refunds"][0] == {"id": refund["id"], "reason": "Broken", "total": f"-{unit}"}
    assert receiver.wait_for_topic("order.updated")
    too_much = requests.post(f"{api}/orders/{order['id']}/refunds", auth=AUTH, timeout=5,
                             json={"amount": order["total"]})
    assert too_much.status_code == 500
    assert too_much.json()["code"] == "woocommerce_rest_cannot_create_order_refund"
    zero = requests.post(f"{api}/orders/{order['id']}/refunds", auth=AUTH, timeout=5, json={"amount": "0"})
    assert zero.status_code == 400
    rest = Decimal(order["total"]) - unit
    assert requests.post(f"{api}/orders/{order['id']}/refunds", auth=AUTH, timeout=5,
                         json={"amount": str(rest)}).status_code == 201
    assert requests.get(f"{api}/orders/{order['id']}", auth=AUTH, timeout=5).json()["status"] == "refunded"


def test_refund_of_shipping_and_a_deduction_lists_the_shipping_item_and_keeps_the_amount(shop, api):
    """WooCommerce's refunds controller lists the refunded shipping (and fee) items beside the product
    items, each pointing at its order item, with the refund's tax lines; the amount is as given."""
    order = next(o for o in get_all(f"{api}/orders", status="processing")
                 if o["shipping_lines"] and Decimal(o["shipping_lines"][0]["total"]) and not o["refunds"])
    shipping = order["shipping_lines"][0]
    rate_id = shipping["taxes"][0]["id"] if shipping["taxes"] else 0
    answer = requests.post(f"{api}/orders/{order['id']}/refunds", auth=AUTH, timeout=5, json={
        "amount": "1.00", "reason": "Late", "api_restock": False, "line_items": [
            {"id": shipping["id"], "refund_total": shipping["total"],
             "refund_tax": [{"id": rate_id, "refund_total": shipping["total_tax"]}]}]})
    assert answer.status_code == 201, answer.text
    refund = answer.json()
    assert refund["amount"] == "1.00", "the amount is kept as given, not the items' sum"
    assert (refund["line_items"], refund["fee_lines"]) == ([], [])
    [line] = refund["shipping_lines"]
    assert (line["method_id"], line["total"], line["total_tax"]) == (
        shipping["method_id"], f"-{shipping['total']}", f"-{shipping['total_tax']}" if Decimal(shipping["total_tax"])
        else "0.00")
    assert "quantity" not in line
    assert [m["value"] for m in line["meta_data"] if m["key"] == "_refunded_item_id"] == [str(shipping["id"])]
    if Decimal(shipping["total_tax"]):
        [tax] = refund["tax_lines"]
        assert (tax["tax_total"], tax["shipping_tax_total"]) == ("0.00", f"-{shipping['total_tax']}")
    listed = requests.get(f"{api}/orders/{order['id']}/refunds/{refund['id']}", auth=AUTH, timeout=5).json()
    assert listed["shipping_lines"] == refund["shipping_lines"]


class ImageHost:
    """A web server holding one PNG and an HTML page, as a merchant's image host."""

    name = "image-host"
    PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/pictures/mug.png":
            return Response(self.PNG, content_type="image/png")(environ, start_response)
        return Response("missing", status=404)(environ, start_response)


@pytest.fixture(scope="module")
def image_host():
    with SimulatorServer(ImageHost()) as running:
        yield running


def test_product_image_src_is_sideloaded_into_public_uploads(shop, api, image_host):
    product = requests.post(f"{api}/products", json={
        "name": "Pictured", "images": [{"src": f"{image_host.url}/pictures/mug.png?size=big"}]}, auth=AUTH).json()
    image = product["images"][0]
    assert set(docs_example("_products.md", "Create a product")["images"][0]) <= set(image) | {"position"}
    assert image["src"].startswith(shop.site_url.rstrip("/") + "/wp-content/uploads/") and image["name"] == "mug"
    served = requests.get(image["src"])  # public: no keys
    assert served.status_code == 200 and served.content == ImageHost.PNG
    kept = requests.put(f"{api}/products/{product['id']}", json={"images": [{"id": image["id"]}]}, auth=AUTH).json()
    assert kept["images"][0]["src"] == image["src"], "an image named by id is the library's, not downloaded again"


@pytest.mark.parametrize("path, message", [
    ("/pictures/gone.png", "Error getting remote image"),
    ("/pictures/no-extension", "Sorry, you are not allowed to upload this file type."),
])
def test_product_image_that_cannot_be_sideloaded_refuses_the_write(shop, api, image_host, path, message):
    response = requests.post(f"{api}/products", json={"name": "Broken picture", "images": [
        {"src": f"{image_host.url}{path}"}]}, auth=AUTH)
    assert response.status_code == 400
    assert response.json()["code"] == "woocommerce_product_image_upload_error"
    assert message in response.json()["message"]
    assert not [p for p in shop.products.values() if p["name"] == "Broken picture"], "nothing is created"


def test_product_categories_are_listed_and_searched(shop, api):
    shop.add_category("Lamps & Lights")
    found = requests.get(f"{api}/products/categories", params={"search": "lamps"}, auth=AUTH)
    assert found.status_code == 200 and found.headers["X-WP-Total"] == "1"
    assert [(c["name"], c["slug"]) for c in found.json()] == [("Lamps &amp; Lights", "lamps-lights")]
    everything = get_all(f"{api}/products/categories")
    assert {c["name"] for c in everything} >= {p.category for p in CATALOGUE.products}
    assert requests.get(f"{api}/products/categories").status_code == 401


def test_product_tags_are_created_listed_and_set_by_id(shop, api):
    created = requests.post(f"{api}/products/tags", json={"name": "Summer"}, auth=AUTH)
    assert created.status_code == 201
    tag = created.json()
    again = requests.post(f"{api}/products/tags", json={"name": "Summer"}, auth=AUTH)
    assert again.status_code == 400 and again.json()["code"] == "term_exists"
    found = requests.get(f"{api}/products/tags", params={"search": "summ"}, auth=AUTH).json()
    assert [t["id"] for t in found] == [tag["id"]]
    product = requests.post(f"{api}/products", json={"name": "Tagged", "tags": [{"id": tag["id"]}]}, auth=AUTH).json()
    assert [(t["id"], t["name"]) for t in product["tags"]] == [(tag["id"], "Summer")]
