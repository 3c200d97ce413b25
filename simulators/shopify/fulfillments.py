"""Fulfillment orders and fulfillments of the simulated shop, and the ``fulfillmentCreate`` mutation.

As Shopify documents it (``FulfillmentOrder`` and ``fulfillmentCreate`` in the 2025-01 schema): an
order gets its fulfillment orders when it is created (the simulator routes every line to the
default location: one fulfillment order per order; they cannot be created through the API).  A
fulfillment ships quantities of fulfillment order line items (all remaining ones when
``fulfillmentOrderLineItems`` is left out) with optional tracking (company, number, url); each
fulfillment order line item keeps ``remainingQuantity``, and a fulfillment order whose items are
all shipped is ``CLOSED`` (``IN_PROGRESS`` while partly shipped).  The order's
``displayFulfillmentStatus`` follows: ``PARTIALLY_FULFILLED`` then ``FULFILLED``.  Only ``OPEN`` and
``IN_PROGRESS`` fulfillment orders can be fulfilled.  A cancelled order's fulfillment orders are
closed; an order moved to shipped/completed by the shop side is fulfilled without tracking.

State (on ``ShopState``):

``fulfillment_orders`` id, legacy_id, order_id, location_id, status, created_at, updated_at,
                   line_items [{id, legacy_id, line_item_id, total, remaining}]
``fulfillments``   id, legacy_id, order_id, name (#1001-F1), status (SUCCESS), created_at, updated_at,
                   notify_customer, tracking [{company, number, url}], location_id,
                   fulfillment_order_ids, line_items [{id, legacy_id, line_item_id, quantity}]

User error messages: Shopify's wording where it is known from its answers ("Fulfillment order
<id> has an unfulfillable status= closed."), else a plain description of the documented rule.
"""

from .paging import connection

FULFILLABLE = ("OPEN", "IN_PROGRESS")


# -- state changes ------------------------------------------------------------------------------------
def open_fulfillment_orders(state, order):
    """Route a new order: one fulfillment order at the default location with every line item."""
    gid, legacy_id = state.new_id("FulfillmentOrder")
    items = []
    for line in order["line_items"]:
        item_gid, item_legacy_id = state.new_id("FulfillmentOrderLineItem")
        items.append({"id": item_gid, "legacy_id": item_legacy_id, "line_item_id": line["id"],
                      "total": line["quantity"], "remaining": line["quantity"]})
    state.fulfillment_orders[gid] = {
        "id": gid, "legacy_id": legacy_id, "order_id": order["id"], "location_id": state.default_location_id,
        "status": "OPEN", "created_at": order["created_at"], "updated_at": order["created_at"], "line_items": items,
    }
    follow_order_state(state, order)


def follow_order_state(state, order):
    """Keep fulfillment orders in line with a shop-side state change: a cancelled order's are
    closed, an order marked shipped is fulfilled (without tracking) for what remains."""
    if order["cancelled_at"]:
        for fulfillment_order in order_fulfillment_orders(state, order):
            if fulfillment_order["status"] in FULFILLABLE:
                fulfillment_order.update(status="CLOSED", updated_at=order["updated_at"])
    elif order["fulfillment_status"] == "FULFILLED":
        pending = [(fulfillment_order, item, item["remaining"])
                   for fulfillment_order in order_fulfillment_orders(state, order)
                   if fulfillment_order["status"] in FULFILLABLE
                   for item in fulfillment_order["line_items"] if item["remaining"]]
        if pending:
            ship(state, order, pending, tracking=[], notify_customer=False, moment=order["updated_at"])


def order_fulfillment_orders(state, order):
    return [record for record in state.fulfillment_orders.values() if record["order_id"] == order["id"]]


def order_fulfillments(state, order):
    return [record for record in state.fulfillments.values() if record["order_id"] == order["id"]]


def ship(state, order, shipped, *, tracking, notify_customer, moment):
    """Record a fulfillment of ``shipped`` = [(fulfillment order, its line item, quantity)]."""
    gid, legacy_id = state.new_id("Fulfillment")
    lines = []
    for _fulfillment_order, item, quantity in shipped:
        item["remaining"] -= quantity
        line_gid, line_legacy_id = state.new_id("FulfillmentLineItem")
        lines.append({"id": line_gid, "legacy_id": line_legacy_id, "line_item_id": item["line_item_id"],
                      "quantity": quantity})
    orders = {fulfillment_order["id"]: fulfillment_order for fulfillment_order, _item, _quantity in shipped}
    for fulfillment_order in orders.values():
        done = not any(item["remaining"] for item in fulfillment_order["line_items"])
        fulfillment_order.update(status="CLOSED" if done else "IN_PROGRESS", updated_at=moment)
    fulfillment = {
        "id": gid, "legacy_id": legacy_id, "order_id": order["id"],
        "name": f"{order['name']}-F{len(order_fulfillments(state, order)) + 1}", "status": "SUCCESS",
        "created_at": moment, "updated_at": moment, "notify_customer": notify_customer, "tracking": tracking,
        "location_id": next(iter(orders.values()))["location_id"], "fulfillment_order_ids": list(orders),
        "line_items": lines,
    }
    state.fulfillments[gid] = fulfillment
    return fulfillment


def unfulfilled_quantity(state, order, line):
    return sum(item["remaining"] for fulfillment_order in order_fulfillment_orders(state, order)
               if fulfillment_order["status"] in FULFILLABLE
               for item in fulfillment_order["line_items"] if item["line_item_id"] == line["id"])


# -- GraphQL views ------------------------------------------------------------------------------------
class FulfillmentViews:
    """Nodes of fulfillment orders and fulfillments, over ``views.GraphViews`` for linked records;
    ``iso`` renders a DateTime as the views do."""

    def __init__(self, views, iso):
        self.views = views
        self.state = views.state
        self.iso = iso

    def _line_item(self, line_item_id, order):
        line = next(line for line in order["line_items"] if line["id"] == line_item_id)
        return self.views.line_item(line, order, self.views._discount_application(order))

    def fulfillment_order(self, record):
        order = self.state.orders[record["order_id"]]
        location = self.state.locations[record["location_id"]]
        address = location["address"]
        actions = ["CREATE_FULFILLMENT", "MOVE", "HOLD"] if record["status"] in FULFILLABLE else []
        return {
            "__typename": "FulfillmentOrder", "id": record["id"], "status": record["status"],
            "requestStatus": "UNSUBMITTED", "createdAt": self.iso(record["created_at"]),
            "updatedAt": self.iso(record["updated_at"]), "fulfillAt": self.iso(record["created_at"]), "fulfillBy": None,
            "orderId": order["id"], "orderName": order["name"], "orderProcessedAt": self.iso(order["processed_at"]),
            "order": lambda info: self.views.order(order), "fulfillmentHolds": [],
            "assignedLocation": {
                "name": location["name"], "address1": address["address1"], "address2": address["address2"],
                "city": address["city"], "zip": address["zip"], "province": address["province"],
                "countryCode": address["country_code"], "phone": address["phone"],
                "location": lambda info: self.views.location(location),
            },
            "supportedActions": [{"action": action, "externalUrl": None} for action in actions],
            "lineItems": lambda info, **args: connection(
                [((item["legacy_id"],) * 2, item) for item in record["line_items"]], args,
                lambda item: self.fulfillment_order_line_item(item, order)),
            "fulfillments": lambda info, **args: connection(
                [((fulfillment["legacy_id"],) * 2, fulfillment) for fulfillment in order_fulfillments(self.state, order)
                 if record["id"] in fulfillment["fulfillment_order_ids"]], args, self.fulfillment),
        }

    def fulfillment_order_line_item(self, item, order):
        line = next(line for line in order["line_items"] if line["id"] == item["line_item_id"])
        variant = self.state.variants.get(line["variant_id"])
        return {
            "__typename": "FulfillmentOrderLineItem", "id": item["id"], "totalQuantity": item["total"],
            "remainingQuantity": item["remaining"], "sku": line["sku"], "productTitle": line["title"],
            "variantTitle": line["variant_title"], "vendor": line["vendor"],
            "requiresShipping": line["requires_shipping"], "warnings": [], "financialSummaries": [],
            "inventoryItemId": variant["inventory_item_id"] if variant else None,
            "lineItem": lambda info: self._line_item(item["line_item_id"], order),
            "variant": (lambda info: self.views.variant(variant)) if variant else None,
        }

    def fulfillment(self, record):
        order = self.state.orders[record["order_id"]]
        tracking = [{"company": entry["company"], "number": entry["number"], "url": entry["url"]}
                    for entry in record["tracking"]]
        return {
            "__typename": "Fulfillment", "id": record["id"], "legacyResourceId": str(record["legacy_id"]),
            "name": record["name"], "status": record["status"], "displayStatus": "FULFILLED",
            "createdAt": self.iso(record["created_at"]), "updatedAt": self.iso(record["updated_at"]),
            "deliveredAt": None, "inTransitAt": None, "estimatedDeliveryAt": None, "requiresShipping": True,
            "totalQuantity": sum(line["quantity"] for line in record["line_items"]),
            "trackingInfo": lambda info, first=None: tracking[:first],
            "order": lambda info: self.views.order(order),
            "location": lambda info: self.views.location(self.state.locations[record["location_id"]]),
            "fulfillmentLineItems": lambda info, **args: connection(
                [((line["legacy_id"],) * 2, line) for line in record["line_items"]], args,
                lambda line: {"__typename": "FulfillmentLineItem", "id": line["id"], "quantity": line["quantity"],
                              "lineItem": lambda info: self._line_item(line["line_item_id"], order)}),
            "fulfillmentOrders": lambda info, **args: connection(
                [((self.state.fulfillment_orders[gid]["legacy_id"],) * 2, self.state.fulfillment_orders[gid])
                 for gid in record["fulfillment_order_ids"]], args, self.fulfillment_order),
        }

    def order_fields(self, order):
        """Fields added to an ``Order`` node."""
        return {
            "fulfillmentOrders": lambda info, displayable=False, query=None, **args: connection(
                [((record["legacy_id"],) * 2, record) for record in order_fulfillment_orders(self.state, order)
                 if not displayable or record["status"] not in ("CLOSED", "CANCELLED")], args,
                self.fulfillment_order),
            "fulfillments": lambda info, first=None: [
                self.fulfillment(record) for record in order_fulfillments(self.state, order)][:first],
        }

    def node(self, gid):
        if gid in self.state.fulfillment_orders:
            return self.fulfillment_order(self.state.fulfillment_orders[gid])
        if gid in self.state.fulfillments:
            return self.fulfillment(self.state.fulfillments[gid])
        return None


# -- mutation -------------------------------------------------------------------------------------------
def fulfillment_create(state, views, info, fulfillment, message=None):
    """``fulfillmentCreate(fulfillment:, message:)``: checks first (user errors change nothing),
    then ship and notify; all fulfillment orders must belong to one order."""
    groups = fulfillment["lineItemsByFulfillmentOrder"]
    errors, shipped, orders = [], [], set()
    for index, group in enumerate(groups):
        field = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
        record = state.fulfillment_orders.get(group["fulfillmentOrderId"])
        if record is None:
            errors.append({"field": field + ["fulfillmentOrderId"], "message": "Fulfillment order does not exist."})
            continue
        orders.add(record["order_id"])
        if record["status"] not in FULFILLABLE:
            errors.append({"field": field + ["fulfillmentOrderId"], "message": (
                f"Fulfillment order {record['legacy_id']} has an unfulfillable status= {record['status'].lower()}.")})
            continue
        requested = group.get("fulfillmentOrderLineItems")
        if not requested:
            shipped += [(record, item, item["remaining"]) for item in record["line_items"] if item["remaining"]]
            continue
        items = {item["id"]: item for item in record["line_items"]}
        for position, line in enumerate(requested):
            item = items.get(line["id"])
            line_field = field + ["fulfillmentOrderLineItems", str(position)]
            if item is None:
                errors.append({"field": line_field + ["id"], "message": "Invalid fulfillment order line item id."})
            elif not 0 < line["quantity"] <= item["remaining"]:
                errors.append({"field": line_field + ["quantity"],
                               "message": "Invalid fulfillment order line item quantity requested."})
            else:
                shipped.append((record, item, line["quantity"]))
    if len(orders) > 1:
        errors.append({"field": ["fulfillment", "lineItemsByFulfillmentOrder"],
                       "message": "All fulfillment orders must belong to the same order."})
    if not groups or (not errors and not shipped):
        errors.append({"field": ["fulfillment", "lineItemsByFulfillmentOrder"],
                       "message": "Nothing to fulfill: the fulfillment orders have no remaining quantity."})
    if errors:
        return {"fulfillment": None, "userErrors": errors}
    tracking_input = fulfillment.get("trackingInfo") or {}
    numbers = tracking_input.get("numbers") or ([tracking_input["number"]] if tracking_input.get("number") else [])
    urls = tracking_input.get("urls") or ([tracking_input["url"]] if tracking_input.get("url") else [])
    tracking = [{"company": tracking_input.get("company"), "number": number,
                 "url": urls[position] if position < len(urls) else None} for position, number in enumerate(numbers)]
    if not tracking and tracking_input.get("company"):
        tracking = [{"company": tracking_input["company"], "number": None, "url": None}]
    order = state.orders[orders.pop()]
    record = ship(state, order, shipped, tracking=tracking, moment=state.now(),
                  notify_customer=bool(fulfillment.get("notifyCustomer")))
    _order_fulfilled(state, order)
    return {"fulfillment": views.fulfillment(record), "userErrors": []}


def _order_fulfilled(state, order):
    """The order after a fulfillment: its status, stock taken out once complete, webhooks."""
    order["fulfillment_status"] = order_fulfillment_status(state, order)
    state.touch(order)
    if order["fulfillment_status"] == "FULFILLED":
        state._move_stock(order, "fulfilled", live=True)
        state.emit("ORDERS_FULFILLED", order)
    else:
        state.emit("ORDERS_PARTIALLY_FULFILLED", order)
    state.emit("ORDERS_UPDATED", order)


def order_fulfillment_status(state, order):
    """UNFULFILLED, PARTIALLY_FULFILLED or FULFILLED from what the fulfillment orders still hold."""
    records = [record for record in order_fulfillment_orders(state, order) if record["status"] != "CANCELLED"]
    total = sum(item["total"] for record in records for item in record["line_items"])
    remaining = sum(item["remaining"] for record in records for item in record["line_items"]
                    if record["status"] in FULFILLABLE)
    if remaining == total:
        return "UNFULFILLED"
    return "PARTIALLY_FULFILLED" if remaining else "FULFILLED"
