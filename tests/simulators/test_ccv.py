"""CCV Shop simulator over real HTTP, with a tiny signing client written from CCV's published recipe."""

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from simulators.ccv import API_PREFIX, PUBLIC_KEY, SECRET_KEY, CcvSimulator, sign_request, sign_response
from simulators.common import ManualClock, SimulatorServer
from simulators.seed import generate

START = datetime(2026, 1, 6, 9, 30, tzinfo=timezone.utc)



def hmac_hex(secret, *parts):
    return hmac.new(secret.encode(), "|".join(parts).encode(), hashlib.sha512).hexdigest()


class CcvClient:
    """Signs ``public|METHOD|uri|body|x-date`` with HMAC-SHA512, as CCV's SDK does."""

    def __init__(self, base_url, clock, public=PUBLIC_KEY, secret=SECRET_KEY):
        self.base_url, self.clock, self.public, self.secret = base_url, clock, public, secret

    def request(self, method, uri, payload=None, x_date=None, signed_uri=None, x_hash=None):
        body = json.dumps(payload) if payload is not None else ""
        x_date = x_date or datetime.fromtimestamp(self.clock(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "x-public": self.public, "x-date": x_date,
            "x-hash": x_hash or hmac_hex(self.secret, self.public, method, signed_uri or uri, body, x_date),
        }
        if body:
            headers["Content-Type"] = "application/json"
        return requests.request(method, self.base_url + uri, data=body.encode() or None, headers=headers, timeout=10)

    def get(self, uri, **options):
        return self.request("GET", uri, **options)

    def response_verifies(self, response, method, uri):
        expected = hmac_hex(self.secret, self.public, method, uri, response.text, response.headers["x-date"])
        return hmac.compare_digest(expected, response.headers.get("x-hash", ""))

    def walk(self, uri):
        """All items of a collection, following ``next`` links (path and query as given)."""
        items = []
        while uri:
            response = self.get(uri)
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page["items"])
            next_url = urlsplit(page["next"]) if page["next"] else None
            uri = f"{next_url.path}?{next_url.query}" if next_url else None
        return items


@pytest.fixture
def catalogue():
    return generate()


@pytest.fixture
def clock():
    return ManualClock(START)


def _serve(app):
    server = SimulatorServer(app).start()
    yield app, server.url
    server.stop()


@pytest.fixture(scope="module")
def default_server():
    yield from _serve(CcvSimulator())


@pytest.fixture(scope="module")
def limited_server():
    yield from _serve(CcvSimulator(get_limit=3, write_limit=2, total_limit=5))


def _fresh(served, clock, catalogue):
    """The served app emptied, re-seeded and put on ``clock``; a client for it."""
    app, url = served
    app.reset()
    app.faults.clear()
    app.clock = clock
    app.seed(catalogue)
    return app, CcvClient(url, clock)


@pytest.fixture
def shop(default_server, clock, catalogue):
    return _fresh(default_server, clock, catalogue)


@pytest.fixture
def limited_shop(limited_server, clock, catalogue):
    return _fresh(limited_server, clock, catalogue)


@pytest.fixture(scope="module")
def webhook_server():
    """A local webhook endpoint recording (headers, raw body) of each POST."""
    received = []

    @Request.application
    def application(request):
        received.append((dict(request.headers), request.get_data(as_text=True)))
        return Response("ok")

    server = make_server("127.0.0.1", 0, application, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


@pytest.fixture
def receiver(webhook_server):
    webhook_server[1].clear()
    return webhook_server


ORDERS = f"{API_PREFIX}/orders"
PRODUCTS = f"{API_PREFIX}/products"


# -- authentication and signing -------------------------------------------------------------------
def test_signed_get_succeeds_and_response_hash_verifies(shop):
    _, client = shop
    uri = f"{ORDERS}?start=0&size=5"
    response = client.get(uri)
    assert response.status_code == 200
    assert len(response.json()["items"]) == 5
    assert client.response_verifies(response, "GET", uri)
    assert response.headers["x-hash"] == sign_response(
        PUBLIC_KEY, SECRET_KEY, "GET", uri, response.text, response.headers["x-date"])


def test_module_recipe_matches_the_published_one():
    args = (PUBLIC_KEY, SECRET_KEY, "get", "/api/rest/v1/orders?start=0", "", "2026-01-06T09:30:00Z")
    assert sign_request(*args) == hmac_hex(SECRET_KEY, PUBLIC_KEY, "GET", args[3], "", args[5])


def test_wrong_hash_is_refused(shop):
    _, client = shop
    response = client.get(ORDERS, x_hash="00" * 64)
    assert response.status_code == 401
    assert response.json()["code"] == "401.13"


def test_unknown_public_key_and_missing_headers_are_refused(shop):
    _, client = shop
    stranger = CcvClient(client.base_url, client.clock, public="someone-else")
    assert stranger.get(ORDERS).json()["code"] == "401.11"
    response = requests.get(client.base_url + ORDERS, timeout=10)
    assert (response.status_code, response.json()["code"]) == (401, "401.10")


def test_clock_skew_of_six_minutes_refused_four_accepted(shop):
    _, client = shop
    now = datetime.fromtimestamp(client.clock(), timezone.utc)
    stale = (now - timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = (now - timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    refused = client.get(ORDERS, x_date=stale)
    assert (refused.status_code, refused.json()["code"]) == (401, "401.12")
    assert client.get(ORDERS, x_date=recent).status_code == 200


def test_sdk_date_form_with_offset_is_accepted(shop):
    _, client = shop
    x_date = datetime.fromtimestamp(client.clock(), timezone.utc).isoformat(timespec="seconds")
    assert x_date.endswith("+00:00")
    assert client.get(ORDERS, x_date=x_date).status_code == 200


def test_query_string_is_signed_exactly_as_sent(shop):
    _, client = shop
    response = client.get(f"{ORDERS}?start=0&size=5", signed_uri=f"{ORDERS}?size=5&start=0")
    assert response.status_code == 401
    assert client.get(f"{ORDERS}?size=5&start=0").status_code == 200


def test_signed_post_body(shop):
    app, client = shop
    response = client.request("POST", PRODUCTS, {"name": "Gift card", "price": 100, "productnumber": "GIFT-1"})
    assert response.status_code == 201
    assert client.response_verifies(response, "POST", PRODUCTS)
    product = response.json()
    assert app.products[product["id"]]["productnumber"] == "GIFT-1"
    assert product["is_active"] is True


# -- orders ---------------------------------------------------------------------------------------
def test_paging_walks_all_orders_exactly_once(shop, catalogue):
    app, client = shop
    first = client.get(f"{ORDERS}?size=7").json()
    assert (first["start"], first["size"], first["previous"]) == (0, 7, None)
    orders = client.walk(f"{ORDERS}?size=7")
    ids = [order["id"] for order in orders]
    assert len(ids) == len(set(ids)) == len(catalogue.orders) == len(app.orders)
    last = client.get(f"{ORDERS}?start=28&size=7").json()
    assert last["next"] is None and len(last["items"]) == 2


def test_status_and_min_create_date_filters(shop, catalogue):
    _, client = shop
    cancelled = client.walk(f"{ORDERS}?status=8")
    expected = {o.number for o in catalogue.orders if o.state in ("cancelled", "refunded")}
    assert {order["ordernumber_full"] for order in cancelled} == expected
    assert {order["paid"] for order in cancelled} == {True, False}

    since = datetime(2026, 1, 2, tzinfo=timezone.utc)
    recent = client.walk(f"{ORDERS}?min_create_date=2026-01-02T00:00:00Z&orderby=create_date_desc")
    assert {order["ordernumber"] for order in recent} == {
        int(o.number) for o in catalogue.orders if o.created_at >= since}
    assert [order["create_date"] for order in recent] == sorted((o["create_date"] for o in recent), reverse=True)

    unpaid_new = client.walk(f"{ORDERS}?status=1&is_paid=false")
    assert len(unpaid_new) == sum(o.state == "pending" for o in catalogue.orders)


def test_unknown_filter_and_bad_status_are_rejected(shop):
    _, client = shop
    response = client.get(f"{ORDERS}?updated_since=2026-01-01")
    assert (response.status_code, response.json()["code"]) == (400, "400.10")
    assert client.get(f"{ORDERS}?status=15").status_code == 400


def test_orderrows_add_up_to_order_totals(shop, catalogue):
    app, client = shop
    seed_totals = {int(o.number): o.total for o in catalogue.orders}
    for order in client.walk(f"{ORDERS}?size=100"):
        rows = client.get(f"{ORDERS}/{order['id']}/orderrows?size=100").json()["items"]
        rows_total = sum(Decimal(str(row["total_price"])) for row in rows)
        assert rows_total == Decimal(str(order["total_orderrow_price"]))
        total = (rows_total + Decimal(str(order["total_shipping"])) + Decimal(str(order["paymethod_costs"]))
                 + Decimal(str(order["extra_costs"])) - Decimal(str(order["total_discounts"])))
        assert total == Decimal(str(order["total_price"])) == seed_totals[order["ordernumber"]]


def test_credit_invoice_of_rows_and_shipping_is_listed_with_its_rows(shop, catalogue):
    """``credit_order`` makes a credit invoice (type credit, status 3 reimbursed) of order rows at their
    price and the shipping; ``GET /invoices`` filters by ordernumber and status, its rows link their
    order rows, and its ``total_tax`` is the tax inside rows and shipping rounded once."""
    app, client = shop
    seed = next(order for order in catalogue.orders if order.shipping_amount and order.lines[0].quantity > 1)
    order = next(o for o in app.orders.values() if str(o["ordernumber"]) == seed.number)
    invoice_id = app.credit_order(seed.number, [(seed.lines[0].sku, 1)], shipping=True)
    [invoice] = client.walk(f"{API_PREFIX}/invoices?ordernumber={seed.number}&status=reimbursed")
    assert (invoice["id"], invoice["type"], invoice["status"], invoice["ordernumber"]) == (
        invoice_id, "credit", 3, order["ordernumber"])
    assert invoice["order"].endswith(f"{API_PREFIX}/orders/{order['id']}")
    assert client.walk(f"{API_PREFIX}/invoices?ordernumber={seed.number}&status=paid") == []
    [row] = client.walk(f"{API_PREFIX}/invoices/{invoice_id}/invoicerows")
    ordered = next(r for r in app.orderrows.values() if r["order_id"] == order["id"]
                   and (r["sub_sku_number"] or r["product_number"]) == seed.lines[0].sku)
    assert (row["count"], row["total_price"], row["tax"]) == (1, ordered["selling_price"], ordered["tax"])
    assert row["orderrow"]["href"].endswith(f"{API_PREFIX}/orderrows/{ordered['id']}")
    gross = Decimal(str(ordered["selling_price"])) + seed.shipping_amount
    rate = Decimal(str(ordered["tax"]))
    assert Decimal(str(invoice["total_price"])) == gross
    assert Decimal(str(invoice["total_tax"])) == (gross * rate / (100 + rate)).quantize(Decimal("0.01"))
    assert client.get(f"{API_PREFIX}/invoices?status=refunded").status_code == 400


def test_patch_order_status_and_paid(shop):
    app, client = shop
    order_id = next(o["id"] for o in app.orders.values() if o["status"] == 1)
    response = client.request("PATCH", f"{ORDERS}/{order_id}", {"status": 5, "paid": True})
    assert response.status_code == 204
    assert client.response_verifies(response, "PATCH", f"{ORDERS}/{order_id}")
    order = client.get(f"{ORDERS}/{order_id}").json()
    assert (order["status"], order["paid"]) == (5, True)
    assert client.request("PATCH", f"{ORDERS}/{order_id}", {"is_paid": True}).status_code == 400


def test_post_order_from_product_and_variant(shop):
    app, client = shop
    combination = next(iter(app.combinations.values()))
    simple = next(p for p in app.products.values() if not p["stockenabled"])
    payload = {
        "customer": {"email": "new@example.com", "billingaddress": {"first_name": "Nina", "country_code": "DK"}},
        "orderrows": [{"product_id": combination["product_id"], "attribute_combination_id": combination["id"],
                       "count": 2},
                      {"product_id": simple["id"], "count": 1, "price": 10.5}],
        "total_shipping": 39,
    }
    response = client.request("POST", ORDERS, payload)
    assert response.status_code == 201, response.text
    order = response.json()
    rows = client.get(f"{ORDERS}/{order['id']}/orderrows").json()["items"]
    assert rows[0]["sub_sku_number"] == combination["sku_number"]
    assert rows[1]["price"] == 10.5
    assert order["total_price"] == rows[0]["total_price"] + 10.5 + 39
    assert order["ordernumber"] == max(o["ordernumber"] for o in app.orders.values())


# -- products and variants ------------------------------------------------------------------------
def test_patch_order_sent_with_track_and_trace_mails_the_customer(shop, receiver):
    app, client = shop
    url, received = receiver
    client.request("POST", f"{API_PREFIX}/webhooks", {"event": "orders.updated", "address": url})
    order = next(order for order in app.orders.values() if order["status"] == 2)
    response = client.request("PATCH", f"{ORDERS}/{order['id']}", {
        "status": 5, "track_and_trace_code": "3SABC123", "track_and_trace_carrier": "PostNL", "mail": True,
        "note": "Track & trace: https://postnl.example/3SABC123"})
    assert response.status_code == 204
    body = client.get(f"{ORDERS}/{order['id']}").json()
    assert (body["status"], body["track_and_trace_code"], body["track_and_trace_carrier"],
            body["track_and_trace_deeplink"]) == (5, "3SABC123", "PostNL", "")
    assert "note" not in body and "mail" not in body
    assert app.customer_emails == [{"to": order["customer"]["email"], "order": order["id"], "status": "Sent",
                                    "track_and_trace_code": "3SABC123",
                                    "note": "Track & trace: https://postnl.example/3SABC123"}]
    app.flush_webhooks()
    notification = json.loads(received[-1][1])
    assert (notification["track_and_trace_code"], notification["track_and_trace_carrier"]) == ("3SABC123", "PostNL")
    assert client.request("PATCH", f"{ORDERS}/{order['id']}", {"mail": "yes"}).status_code == 400


def test_patch_attributecombination_stock(shop):
    app, client = shop
    product_id = next(p["id"] for p in app.products.values() if p["stockenabled"])
    combinations = client.get(f"{PRODUCTS}/{product_id}/attributecombinations").json()["items"]
    uri = f"{API_PREFIX}/attributecombinations/{combinations[0]['id']}"
    assert client.request("PATCH", uri, {"stock": 42}).status_code == 204
    assert client.get(uri).json()["stock"] == 42
    assert app.combinations[combinations[0]["id"]]["stock"] == 42


def test_product_filter_by_productnumber(shop, catalogue):
    _, client = shop
    sku = catalogue.products[3].sku
    items = client.get(f"{PRODUCTS}?productnumber={sku}").json()["items"]
    assert [item["productnumber"] for item in items] == [sku]


def test_drop_after_write_creates_product_but_client_sees_connection_error(shop):
    app, client = shop
    app.faults.add("drop_after_write", path=PRODUCTS, method="POST")
    with pytest.raises(requests.ConnectionError):
        client.request("POST", PRODUCTS, {"name": "Lost reply", "price": 5, "productnumber": "LOST-1"})
    assert [p["name"] for p in app.products.values() if p["productnumber"] == "LOST-1"] == ["Lost reply"]


def test_error_after_write_creates_product_and_answers_503(shop):
    app, client = shop
    app.faults.add("error_after_write", status=503, path=PRODUCTS, method="POST")
    response = client.request("POST", PRODUCTS, {"name": "Half reply", "price": 5, "productnumber": "HALF-1"})
    assert response.status_code == 503 and response.json()["status"] == 503
    assert [p["name"] for p in app.products.values() if p["productnumber"] == "HALF-1"] == ["Half reply"]


def test_error_body_shape_on_404(shop):
    _, client = shop
    response = client.get(f"{ORDERS}/999999")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"status", "code", "developermessage"}
    assert (body["status"], body["code"]) == (404, "404.20")
    assert client.response_verifies(response, "GET", f"{ORDERS}/999999")
    assert client.request("DELETE", ORDERS).json()["code"] == "405.10"


# -- rate limits ----------------------------------------------------------------------------------
def test_resource_rate_limit_and_recovery(limited_shop):
    app, client = limited_shop
    for _ in range(3):
        assert client.get(PRODUCTS).status_code == 200
    refused = client.get(PRODUCTS)
    assert (refused.status_code, refused.json()["code"]) == (429, "429.10")
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get(ORDERS).status_code == 200  # another resource has its own budget
    app.clock.advance(60)
    assert client.get(PRODUCTS).status_code == 200


def test_total_rate_limit(limited_shop):
    _, client = limited_shop
    for uri in (PRODUCTS, PRODUCTS, ORDERS, ORDERS, f"{API_PREFIX}/webhooks"):
        assert client.get(uri).status_code == 200
    refused = client.get(f"{API_PREFIX}/webhooks")
    assert (refused.status_code, refused.json()["code"]) == (429, "429.11")


# -- webhooks and shop-side API -------------------------------------------------------------------
def test_webhook_delivered_after_add_order(shop, catalogue, receiver):
    app, client = shop
    address, received = receiver
    created = client.request("POST", f"{API_PREFIX}/webhooks",
                             {"event": "orders.created", "address": address, "is_active": True})
    assert created.status_code == 201
    key = created.json()["key"]
    order_id = app.add_order(dataclasses.replace(catalogue.orders[0], number="2001"))
    app.flush_webhooks()
    assert len(received) == 1
    headers, body = received[0]
    assert json.loads(body)["id"] == order_id
    assert json.loads(body)["order_number"] == 2001
    assert headers["X-Hash"] == hmac.new(key.encode(), body.encode(), hashlib.sha512).hexdigest()


def test_shop_side_changes_fire_matching_webhooks_only(shop, catalogue, receiver):
    app, client = shop
    address, received = receiver
    for event in ("orders.updated", "products.updated"):
        client.request("POST", f"{API_PREFIX}/webhooks", {"event": event, "address": address})
    app.set_order_status(int(next(o.number for o in catalogue.orders if o.state == "pending")), "shipped")
    variant = next(p.variants[0] for p in catalogue.products if p.variants)
    app.set_stock(variant.sku, 7)
    app.seed(generate(products=1, orders=0, seed=7))  # seeding never notifies
    app.flush_webhooks()
    bodies = [json.loads(body) for _, body in received]
    assert [body.get("status") for body in bodies] == [5, None]
    assert bodies[1]["productnumber"] == next(p.sku for p in catalogue.products if p.variants)
    assert next(c for c in app.combinations.values() if c["sku_number"] == variant.sku)["stock"] == 7


def test_categories_and_product_to_categories(shop, catalogue):
    """The webshop's categories and a product's place in them (producttocategories), as CCV's SDK
    describes them; a product is put in a category once."""
    app, client = shop
    product_id = next(iter(app.products))
    lamps = app.add_category("Lamps")
    assert [(c["id"], c["name"]) for c in client.walk(f"{API_PREFIX}/categories")] == [(lamps, "Lamps")]
    link = f"{API_PREFIX}/producttocategories"
    created = client.request("POST", link, {"category_id": lamps, "product_id": product_id})
    assert created.status_code == 201, created.text
    links = client.walk(f"{API_PREFIX}/products/{product_id}/producttocategories")
    assert [(link["product_id"], link["category_id"]) for link in links] == [(product_id, lamps)]
    assert client.walk(f"{API_PREFIX}/categories/{lamps}/producttocategories") == links
    again = client.request("POST", link, {"category_id": lamps, "product_id": product_id})
    assert again.status_code == 400 and again.json()["code"] == "400.10"
    unknown = client.request("POST", link, {"category_id": 1, "product_id": product_id})
    assert unknown.status_code == 404


def test_brands_and_a_products_brand_id(shop):
    """Brands are a resource of their own; a product gets one by ``brand_id`` and shows it as
    ``brand`` (CCV's SDK models); an unknown id is refused."""
    app, client = shop
    product_id = next(iter(app.products))
    assert client.get(f"{API_PREFIX}/products/{product_id}").json()["brand"] is None
    created = client.request("POST", f"{API_PREFIX}/brands", {"name": "Nordlys"})
    assert created.status_code == 201, created.text
    brand_id = created.json()["id"]
    assert [(b["id"], b["name"]) for b in client.walk(f"{API_PREFIX}/brands")] == [(brand_id, "Nordlys")]
    patched = client.request("PATCH", f"{API_PREFIX}/products/{product_id}", {"brand_id": brand_id})
    assert patched.status_code == 204, patched.text
    brand = client.get(f"{API_PREFIX}/products/{product_id}").json()["brand"]
    assert (brand["id"], brand["name"]) == (brand_id, "Nordlys")
    unknown = client.request("PATCH", f"{API_PREFIX}/products/{product_id}", {"brand_id": brand_id + 1})
    assert unknown.status_code == 400 and unknown.json()["code"] == "400.10"


def test_product_photos_upload_base64_and_serve_the_file(shop):
    """POST productphotos takes the base64 source without metadata and its extension; a new main
    photo makes the others non-main; the deeplink serves the file."""
    app, client = shop
    product_id = next(iter(app.products))
    first = client.request("POST", f"{API_PREFIX}/products/{product_id}/productphotos",
                           {"file_type": "png", "source": base64.b64encode(b"first").decode(), "is_mainphoto": True})
    assert first.status_code == 201, first.text
    second = client.request("POST", f"{API_PREFIX}/products/{product_id}/productphotos",
                            {"file_type": "jpg", "alttext": "Side", "source": base64.b64encode(b"second").decode(),
                             "is_mainphoto": True}).json()
    photos = client.walk(f"{API_PREFIX}/products/{product_id}/productphotos")
    assert [(p["id"], p["is_mainphoto"]) for p in photos] == [(first.json()["id"], False), (second["id"], True)]
    served = requests.get(second["deeplink"], timeout=10)
    assert (served.status_code, served.content, served.headers["Content-Type"]) == (200, b"second", "image/jpeg")
    refused = client.request("POST", f"{API_PREFIX}/products/{product_id}/productphotos",
                             {"file_type": "png", "source": "data:image/png;base64,AAAA"})
    assert refused.status_code == 400


def test_expand_embeds_a_products_collections_in_the_list_and_the_product(shop, catalogue):
    """``expand`` (CCV's products parameter) embeds the named collections as their first page, whose
    ``next`` leads to the rest; without it a product only links them; an unknown name is refused."""
    app, client = shop
    product = next(seed for seed in catalogue.products if seed.variants)
    product_id = next(p["id"] for p in app.products.values() if p["productnumber"] == product.sku)
    lamps = app.add_category("Lamps", [product_id])
    for colour in range(26):
        app.add_photo(product_id, bytes([colour]), is_mainphoto=colour == 0)
    expand = "expand=attributecombinations,productphotos,producttocategories"
    listed = next(p for p in client.walk(f"{API_PREFIX}/products?{expand}&size=100") if p["id"] == product_id)
    one = client.get(f"{API_PREFIX}/products/{product_id}?{expand}")
    assert one.status_code == 200, one.text
    for embedded in (listed, one.json()):
        combinations = embedded["attributecombinations"]
        assert [c["sku_number"] for c in combinations["items"]] == [variant.sku for variant in product.variants]
        assert combinations["next"] is None
        assert [link["category_id"] for link in embedded["producttocategories"]["items"]] == [lamps]
        photos = embedded["productphotos"]
        assert len(photos["items"]) == 25 and photos["items"][0]["is_mainphoto"]
        rest = urlsplit(photos["next"])
        assert [p["id"] for p in client.walk(f"{rest.path}?{rest.query}")] == [max(app.photos)]
    plain = client.get(f"{API_PREFIX}/products/{product_id}").json()
    assert plain["productphotos"] == {"href": f"{plain['href']}/productphotos"}
    refused = client.get(f"{API_PREFIX}/products?expand=productphotos,stock")
    assert (refused.status_code, refused.json()["code"]) == (400, "400.10")


def test_vatrate_is_a_percentage(shop):
    """Products Post: "VAT rate of product in percentage, 0-100"."""
    _, client = shop
    refused = client.request("POST", f"{API_PREFIX}/products", {"name": "Lamp", "price": 10.0, "vatrate": 125.0})
    assert refused.status_code == 400 and "vatrate" in refused.json()["developermessage"]
    created = client.request("POST", f"{API_PREFIX}/products", {"name": "Lamp", "price": 10.0, "vatrate": 9.0})
    assert created.status_code == 201 and created.json()["vatrate"] == 9.0
