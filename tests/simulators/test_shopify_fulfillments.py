"""Shopify simulator: fulfillment orders, fulfillmentCreate and what they do to the order."""

from datetime import datetime, timezone

import pytest

from simulators.common import ManualClock
from simulators.seed import generate
from simulators.shopify import ShopifySimulator

START = datetime(2026, 1, 6, 12, 0, tzinfo=timezone.utc)

FULFILLMENT_ORDERS = """query($id: ID!) {
  order(id: $id) {
    displayFulfillmentStatus
    lineItems(first: 20) { nodes { id unfulfilledQuantity } }
    fulfillmentOrders(first: 5) {
      nodes { id status lineItems(first: 20) { nodes { id totalQuantity remainingQuantity lineItem { id sku } } } }
    }
    fulfillments(first: 5) {
      id status trackingInfo { company number url }
      fulfillmentLineItems(first: 20) { nodes { quantity lineItem { id } } }
    }
  }
}"""

CREATE = """mutation($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status totalQuantity trackingInfo { company number url } }
    userErrors { field message }
  }
}"""


@pytest.fixture
def sim():
    simulator = ShopifySimulator()
    simulator.clock = ManualClock(START)
    simulator.reset()
    simulator.seed(generate())
    return simulator


def query(sim, document, variables):
    body = sim.graphql(document, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def open_order(sim, min_quantity=1):
    return next(order for order in sim.orders.values() if order["state"] == "paid"
                and any(line["quantity"] >= min_quantity for line in order["line_items"]))


def test_a_paid_order_has_one_open_fulfillment_order_with_every_line(sim):
    order = open_order(sim)
    data = query(sim, FULFILLMENT_ORDERS, {"id": order["id"]})["order"]
    [fulfillment_order] = data["fulfillmentOrders"]["nodes"]
    assert fulfillment_order["status"] == "OPEN"
    assert [(item["lineItem"]["id"], item["remainingQuantity"]) for item in fulfillment_order["lineItems"]["nodes"]] \
        == [(line["id"], line["quantity"]) for line in order["line_items"]]
    assert (data["displayFulfillmentStatus"], data["fulfillments"]) == ("UNFULFILLED", [])


def test_a_seeded_shipped_order_is_fulfilled_and_closed(sim):
    order = next(order for order in sim.orders.values() if order["state"] in ("shipped", "completed"))
    data = query(sim, FULFILLMENT_ORDERS, {"id": order["id"]})["order"]
    assert [node["status"] for node in data["fulfillmentOrders"]["nodes"]] == ["CLOSED"]
    assert len(data["fulfillments"]) == 1 and data["fulfillments"][0]["trackingInfo"] == []


def test_partial_then_complete_fulfillment(sim):
    order = open_order(sim, min_quantity=2)
    line = next(line for line in order["line_items"] if line["quantity"] >= 2)
    node = query(sim, FULFILLMENT_ORDERS, {"id": order["id"]})["order"]["fulfillmentOrders"]["nodes"][0]
    item = next(item for item in node["lineItems"]["nodes"] if item["lineItem"]["id"] == line["id"])
    created = query(sim, CREATE, {"fulfillment": {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": node["id"],
                                         "fulfillmentOrderLineItems": [{"id": item["id"], "quantity": 1}]}],
        "trackingInfo": {"company": "PostNord DK", "number": "00370712345", "url": "https://track.example/1"},
        "notifyCustomer": True}})["fulfillmentCreate"]
    assert created["userErrors"] == []
    assert created["fulfillment"]["totalQuantity"] == 1
    data = query(sim, FULFILLMENT_ORDERS, {"id": order["id"]})["order"]
    assert data["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert data["fulfillmentOrders"]["nodes"][0]["status"] == "IN_PROGRESS"
    unfulfilled = {node["id"]: node["unfulfilledQuantity"] for node in data["lineItems"]["nodes"]}
    assert unfulfilled[line["id"]] == line["quantity"] - 1
    assert data["fulfillments"][0]["trackingInfo"] == [
        {"company": "PostNord DK", "number": "00370712345", "url": "https://track.example/1"}]

    rest = query(sim, CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": node["id"]}],
                                               "trackingInfo": {"number": "00370799999"}}})["fulfillmentCreate"]
    assert rest["userErrors"] == []
    assert rest["fulfillment"]["totalQuantity"] == sum(line["quantity"] for line in order["line_items"]) - 1
    data = query(sim, FULFILLMENT_ORDERS, {"id": order["id"]})["order"]
    assert data["displayFulfillmentStatus"] == "FULFILLED"
    assert data["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    assert len(data["fulfillments"]) == 2


def test_user_errors_change_nothing(sim):
    order = open_order(sim)
    node = query(sim, FULFILLMENT_ORDERS, {"id": order["id"]})["order"]["fulfillmentOrders"]["nodes"][0]
    item = node["lineItems"]["nodes"][0]
    too_many = query(sim, CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": [{
        "fulfillmentOrderId": node["id"],
        "fulfillmentOrderLineItems": [{"id": item["id"], "quantity": item["remainingQuantity"] + 1}]}]}})
    assert too_many["fulfillmentCreate"]["userErrors"] == [{
        "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0", "fulfillmentOrderLineItems", "0", "quantity"],
        "message": "Invalid fulfillment order line item quantity requested."}]
    unknown = query(sim, CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}]}})
    assert unknown["fulfillmentCreate"]["userErrors"][0]["message"] == "Fulfillment order does not exist."
    assert not sim.state.fulfillments or all(f["order_id"] != order["id"] for f in sim.state.fulfillments.values())
    query(sim, CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": node["id"]}]}})
    closed = query(sim, CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": node["id"]}]}})
    legacy_id = node["id"].rsplit("/", 1)[1]
    assert closed["fulfillmentCreate"]["userErrors"][0]["message"] == \
        f"Fulfillment order {legacy_id} has an unfulfillable status= closed."


def test_shop_side_shipping_and_cancelling_follow_the_fulfillment_orders(sim):
    shipped, cancelled = [order for order in sim.orders.values() if order["state"] == "paid"][:2]
    sim.set_order_state(shipped["id"], "shipped")
    sim.set_order_state(cancelled["id"], "cancelled")
    assert [node["status"] for node in query(sim, FULFILLMENT_ORDERS, {"id": shipped["id"]})["order"][
        "fulfillmentOrders"]["nodes"]] == ["CLOSED"]
    data = query(sim, FULFILLMENT_ORDERS, {"id": cancelled["id"]})["order"]
    assert [node["status"] for node in data["fulfillmentOrders"]["nodes"]] == ["CLOSED"]
    assert data["fulfillments"] == []
