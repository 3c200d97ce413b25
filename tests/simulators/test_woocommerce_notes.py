"""WooCommerce simulator: order notes (customer and internal) and the notes status changes add."""

import time

import pytest
import requests

from simulators import seed
from simulators.common import SimulatorServer
from simulators.woocommerce import API_ROOT, CONSUMER_KEY, CONSUMER_SECRET, WooCommerceSimulator

AUTH = (CONSUMER_KEY, CONSUMER_SECRET)


@pytest.fixture(scope="module")
def server():
    with SimulatorServer(WooCommerceSimulator()) as running:
        yield running


@pytest.fixture
def shop(server):
    app = server.app
    app.clock = time.time
    app.reset()
    app.seed(seed.generate())
    return app


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
