"""Shopify adapter: Admin GraphQL payloads <-> the hub's canonical records.

The adapter reads and writes through the client; ``constants`` holds states, topics and the field
mapping, ``mapping`` the pure payload <-> record functions, ``export`` the product export (flow 3)
and ``stock`` the stock export.

Choices worth knowing:

* Webhook bodies are REST-shaped and lag behind the GraphQL model, so ``parse_order`` and
  ``parse_product`` do not read them: they refetch the record by its gid through GraphQL.  One
  mapping serves polling and webhooks, and a replayed event always imports the current state.
* Order state code: ``CANCELLED`` when the order is cancelled, else ``displayFinancialStatus``
  (PAID, PENDING, REFUNDED, ...).  Allowed by default: PAID and PARTIALLY_REFUNDED (the sale
  happened; refunds are credit notes in accounting).  Fulfilment does not change the code.
* Amounts are the buyer's: ``presentmentMoney`` in ``presentmentCurrencyCode``, VAT included when
  ``taxesIncluded``.  Product lines use ``discountedUnitPriceSet`` (line-level discounts included);
  the rest of ``totalDiscountsSet`` becomes discount lines, one per VAT rate, split by the
  discount allocations, so Odoo's total equals ``totalPriceSet`` to the cent.  ``totalTaxSet`` is the
  order's VAT (``Order.tax_total``), which the base holds Odoo's tax to; a line that is not
  ``taxable``, or any line of a ``taxExempt`` order, is 0 % even when it lists a rate.
* Refunds: ``Order.refunds`` is read (``ORDER_REFUNDS_QUERY``) only for an order with a
  ``totalRefundedSet``, so the order query keeps its cost.  A refund line's gross is its
  ``subtotalSet`` (plus ``totalTaxSet`` when prices exclude tax), a shipping refund's its
  ``subtotalAmountSet`` (plus ``taxAmountSet``), and those taxes are the lines' tax (Shopify rounds
  them its own way: the base books them, not a split of the gross); what lines leave of
  ``totalRefundedSet`` was refunded without lines, and what they exceed it by the shop kept
  (Shopify's order adjustments: a refund discrepancy, a restocking fee).  Every refund is read
  (``Order.refunds`` is a list ``first`` truncates), and every line of one
  (``REFUND_LINE_ITEMS_QUERY`` after the first page).  Restocked: a line's ``restockType`` is
  RETURN, CANCEL or LEGACY_RESTOCK.  A ``refunds/create`` webhook names the order (``order_id``),
  which is read again.  ``CANCELLED`` cancels an imported order.
* Categories: Odoo's product category is a *custom collection* (the grouping a merchant fills by
  hand and shows in the store's navigation, as WooCommerce and CCV categories are).  Import: the
  custom collection titled like the product type (the one an export added the product to), else
  the product's first custom collection (oldest first), else the product type, as before
  collections were read.  Export: the product type is set to the category name as before (smart
  collections with a "product type" rule keep working) and the product is added to the custom
  collection of that title with ``collectionAddProducts``; no collection is created: a missing
  one is logged on the product (``known_categories``).  Smart collections are never read as a
  category and never added to (Shopify refuses it).
* A variant is bound by its *inventory item* gid: the stock export writes inventory item levels,
  and the location is the backend's (``location_id``, default the shop's primary location).
"""

import time
from decimal import Decimal

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.adapter import ShopAdapter, WebhookRejected
from odoo.addons.shop_sync_base.services.http import RemoteError, create_once
from odoo.addons.shop_sync_base.services.signatures import hmac_base64, same

from . import queries
from .bulk import BulkRead
from .client import ShopifyClient
from .constants import (
    DEFAULT_ALLOWED_STATES,
    FIELD_MAPPING,
    FULFILLABLE_STATUSES,
    LIVE_FULFILLMENT_STATUSES,
    ORDER_STATES,
    ORDER_TOPICS,
    PAID_STATES,
    PRODUCT_TOPICS,
    REFUND_TOPIC,
    VAT_ATTRIBUTES,
    WEBHOOK_TOPICS,
)
from .export import ShopifyProductExportMixin
from .mapping import (
    _address,
    _category,
    _datetime,
    _featured_image,
    _first_name,
    _fulfillment_order_items,
    _gid,
    _header,
    _is_graphql,
    _iso,
    _last_name,
    _money,
    _order_lines,
    _ours,
    _product_ref,
    _refunds,
    _topic_name,
    _user_error,
    _variant,
)
from .stock import ShopifyStockMixin


class ShopifyAdapter(ShopifyStockMixin, ShopifyProductExportMixin, ShopAdapter):
    """The hub's view of one Shopify shop.  ``config``: url, access_token, webhook_secret (the app's
    API secret), location_id.  ``notify(flow, ref, external_id, reason, message)`` receives notes
    worth a log line that are not failures (e.g. stock changed in Shopify and set again)."""

    FIELD_MAPPING = FIELD_MAPPING
    IMAGE_EXPORT = "url"
    WEBHOOK_TOPICS = tuple(_topic_name(topic) for topic in WEBHOOK_TOPICS)
    TAX_ROUNDING = "round_per_line"  # each line's tax lines are rounded on their own
    #: how the client waits for the throttle bucket and Retry-After; tests replace it (a staticmethod)
    sleep = staticmethod(time.sleep)

    def __init__(self, backend_config, notify=None):
        super().__init__(backend_config)
        self.client = ShopifyClient(backend_config["url"], backend_config["access_token"], sleep=self.sleep,
                                    governor=backend_config.get("governor"))
        self.notify = notify or (lambda *args, **kwargs: None)
        self._location = backend_config.get("location_id") or None
        self._custom_collections = None  # {title casefolded: gid}, read on first use (export.py)

    # -- connection ---------------------------------------------------------------------------
    def test_connection(self):
        data = self.client.execute(queries.SHOP_QUERY)
        shop, location = data["shop"], data.get("location") or {}
        taxes = "prices incl. VAT" if shop["taxesIncluded"] else "prices excl. VAT"
        return (f"{shop['name']} ({shop['myshopifyDomain']}, {shop['currencyCode']}, {taxes}); "
                f"primary location {location.get('name') or '?'}")

    def primary_location(self):
        """``(gid, name)`` of the shop's primary location."""
        location = self.client.execute(queries.PRIMARY_LOCATION_QUERY).get("location")
        if not location:
            raise RemoteError("The shop has no active location to keep stock in.")
        return location["id"], location["name"]

    def location_id(self):
        if not self._location:
            self._location = self.primary_location()[0]
        return self._location

    def order_states(self):
        return list(ORDER_STATES)

    def default_allowed_states(self):
        return list(DEFAULT_ALLOWED_STATES)

    def default_cancel_states(self):
        return ["CANCELLED"]

    def identify(self, object_name, payload):
        if object_name == self.ORDER:
            return _gid(payload, "Order"), payload.get("name")
        return _gid(payload, "Product"), _product_ref(payload)

    # -- orders -------------------------------------------------------------------------------
    def fetch_orders(self, updated_since, resume_from=None):
        """The orders changed since ``updated_since``, page after page (``_resumable``)."""
        for node in self._resumable(queries.ORDERS_QUERY, updated_since, ("orders",), queries.ORDER_PAGE_SIZE,
                                    resume_from):
            yield self._with_refunds(self._with_all_lines(node))

    def _resumable(self, query, updated_since, path, page_size, resume_from):
        """The nodes of ``query`` changed since ``updated_since``, after the cursor ``resume_from``;
        ``resume_point`` is the cursor after the last page whose nodes were all taken (a walk the cost
        bucket interrupts continues there; ``PageInfo.endCursor`` is "the cursor corresponding to the
        last node", so the same query resumes after that node; one Shopify refuses starts a new walk)."""
        self.resume_point = resume_from
        variables = {"query": f"updated_at:>'{_iso(updated_since)}'" if updated_since else None}
        return self.client.paginate(query, variables, path, page_size, after=resume_from,
                                    page_done=lambda cursor: setattr(self, "resume_point", cursor))

    def fetch_order(self, external_id):
        node = self.client.execute(queries.ORDER_QUERY, {"id": external_id}).get("order")
        return node and self._with_refunds(self._with_all_lines(node))

    def _with_refunds(self, node):
        """The order node with its refunds, read only when the order has a refunded amount."""
        if "refunds" not in node and _money(node.get("totalRefundedSet") or {"presentmentMoney": {"amount": 0}}):
            node["refunds"] = self.client.execute(queries.ORDER_REFUNDS_QUERY, {"id": node["id"]})["order"]["refunds"]
            for refund in node["refunds"]:  # every line: one left out would be credited as an amount
                self._read_rest(refund["refundLineItems"], queries.REFUND_LINE_ITEMS_QUERY, {"id": refund["id"]},
                                ("refund", "refundLineItems"), queries.MORE_REFUND_LINES_PAGE_SIZE)
        return node

    def _with_all_lines(self, node):
        """The order node with every line item (the list query reads the first page only)."""
        self._read_rest(node["lineItems"], queries.ORDER_LINE_ITEMS_QUERY, {"id": node["id"]}, ("order", "lineItems"),
                        queries.MORE_LINES_PAGE_SIZE)
        return node

    def _read_rest(self, connection, query, variables, path, page_size):
        """Add the pages after the first to a ``connection`` read by a query of its parent."""
        if connection["pageInfo"]["hasNextPage"]:
            connection["nodes"] = connection["nodes"] + list(self.client.paginate(
                query, variables, path, page_size, after=connection["pageInfo"]["endCursor"]))
            connection["pageInfo"] = {"hasNextPage": False, "endCursor": None}

    def parse_order(self, payload):
        if "refund_line_items" in payload and payload.get("order_id"):  # a refunds/create webhook: its order
            payload = {"id": payload["order_id"]}
        node = payload if _is_graphql(payload) else self._refetch(payload, "Order", self.fetch_order)
        state = "CANCELLED" if node.get("cancelledAt") else node["displayFinancialStatus"]
        currency = node["presentmentCurrencyCode"]
        customer = node.get("customer") or {}
        billing = _address(node.get("billingAddress"), node.get("email"))
        shipping = _address(node.get("shippingAddress"), node.get("email")) if node.get("shippingAddress") else billing
        company = billing.company or ((customer.get("defaultAddress") or {}).get("company") or "")
        attributes = {(item["key"] or "").lower(): item["value"] for item in node.get("customAttributes") or []}
        return records.Order(
            external_id=node["id"], number=node["name"], state=state, created_at=_datetime(node["createdAt"]),
            updated_at=_datetime(node["updatedAt"]), cancelled_at=_datetime(node.get("cancelledAt")),
            currency=currency,
            total=_money(node["totalPriceSet"]),
            tax_total=_money(node["totalTaxSet"]) if node.get("totalTaxSet") else None,
            customer=records.Customer(
                email=node.get("email") or customer.get("email") or "",
                first_name=customer.get("firstName") or _first_name(node.get("billingAddress")),
                last_name=customer.get("lastName") or _last_name(node.get("billingAddress")),
                company=company, phone=customer.get("phone") or node.get("phone") or billing.phone,
                vat=next((attributes[key] for key in VAT_ATTRIBUTES if attributes.get(key)), "")),
            billing=billing, shipping=shipping, lines=_order_lines(node),
            prices_include_tax=bool(node["taxesIncluded"]),
            payment_method=(node.get("paymentGatewayNames") or [""])[0] or "",
            note=node.get("note") or "",
            # Shopify processes an order when its payment is taken; unpaid orders have no payment date
            paid_at=_datetime(node["processedAt"]) if node["displayFinancialStatus"] in PAID_STATES
            and node.get("processedAt") else None,
            refunds=_refunds(self._with_refunds(node)),
        )

    # -- products -----------------------------------------------------------------------------
    def fetch_products(self, updated_since=None, resume_from=None):
        """The products changed since ``updated_since`` (all without it), page after page (``_resumable``)."""
        for node in self._resumable(queries.PRODUCTS_QUERY, updated_since, ("products",), queries.PRODUCT_PAGE_SIZE,
                                    resume_from):
            yield self._with_all_variants(node)

    def fetch_all_products(self):
        """A full import reads Shopify's bulk export (see services/bulk.py) unless the backend pages."""
        if not self.config.get("bulk_import"):
            yield from self.fetch_products(None)
            return
        read = BulkRead(self.client)
        yield from read.products()
        self.fetched_as_of = read.snapshot

    def fetch_product(self, external_id):
        node = self.client.execute(queries.PRODUCT_QUERY, {"id": external_id}).get("product")
        return node and self._with_all_variants(node)

    def _with_all_variants(self, node):
        connection = node["variants"]
        if connection["pageInfo"]["hasNextPage"]:
            connection["nodes"] = connection["nodes"] + list(self.client.paginate(
                queries.PRODUCT_VARIANTS_QUERY, {"id": node["id"]}, ("product", "variants"),
                queries.MORE_VARIANTS_PAGE_SIZE, after=connection["pageInfo"]["endCursor"]))
            connection["pageInfo"] = {"hasNextPage": False, "endCursor": None}
        return node

    def parse_product(self, payload):
        node = payload if _is_graphql(payload) else self._refetch(payload, "Product", self.fetch_product)
        variants = [_variant(item) for item in node["variants"]["nodes"]]
        simple = len(variants) == 1 and not variants[0].options
        first = variants[0] if variants else records.Variant(sku="")
        return records.Product(
            external_id=node["id"], name=node["title"], sku=first.sku if simple else "",
            description=node.get("descriptionHtml") or "", price=first.price,
            price_includes_tax=self.prices_include_tax(),
            barcode=first.barcode if simple else "", weight=first.weight if simple else None,
            category=_category(node), published=node["status"] == "ACTIVE",
            image=_featured_image(node), variants=variants, updated_at=_datetime(node["updatedAt"]),
            vendor=node.get("vendor") or "", tags=[tag for tag in node.get("tags") or [] if not _ours(tag)],
            backorders=any(item.get("inventoryPolicy") == "CONTINUE" for item in node["variants"]["nodes"]),
        )

    def _refetch(self, payload, type_name, fetch):
        """The GraphQL node of a webhook payload's record (see the module docstring)."""
        gid = _gid(payload, type_name)
        if not gid:
            raise ValueError(f"The webhook payload names no {type_name}.")
        node = fetch(gid)
        if not node:
            raise ValueError(f"{type_name} {gid} no longer exists in Shopify.")
        return node
    def _mutate(self, document, name, variables, repeatable=False):
        """Run a mutation (``repeatable``: safe to send again after a 5xx); userErrors become a RemoteError."""
        result = self.client.execute(document, variables, repeatable=repeatable)[name]
        errors = result.get("userErrors") or []
        if errors:
            raise RemoteError("; ".join(_user_error(error) for error in errors), status=200)
        return result

    # -- fulfilments --------------------------------------------------------------------------
    def fulfilments(self, order_external_id):
        """The order's fulfillments that stand (not cancelled or failed), with tracking and lines."""
        order = self._order_fulfillments(order_external_id)
        result = []
        for node in order["fulfillments"]:
            if node["status"] not in LIVE_FULFILLMENT_STATUSES:
                continue
            tracking = (node.get("trackingInfo") or [{}])[0]
            result.append(records.Fulfilment(
                order_external_id=order_external_id, external_id=node["id"], carrier=tracking.get("company") or "",
                tracking_number=tracking.get("number") or "", tracking_url=tracking.get("url") or "",
                lines=[records.FulfilmentLine(quantity=Decimal(line["quantity"]), sku=line["lineItem"]["sku"] or "",
                                              external_id=line["lineItem"]["id"])
                       for line in node["fulfillmentLineItems"]["nodes"]]))
        return result

    def create_fulfilment(self, fulfilment):
        """``fulfillmentCreate`` on the order's open fulfillment orders, the customer notified.  The
        delivery that completes the order ships everything they still hold; a partial one ships its
        quantities (``fulfillmentOrderLineItems``), matched by line item id, else by SKU."""
        order = self._order_fulfillments(fulfilment.order_external_id)
        open_orders = [node for node in order["fulfillmentOrders"]["nodes"] if node["status"] in FULFILLABLE_STATUSES]
        if not open_orders:
            raise RemoteError(f"Order {fulfilment.order_external_id} has nothing left to fulfil in Shopify "
                              "(its fulfillment orders are closed).")
        if fulfilment.partial:
            groups = _fulfillment_order_items(fulfilment, open_orders)
        else:
            groups = [{"fulfillmentOrderId": node["id"]} for node in open_orders]
        payload = {"lineItemsByFulfillmentOrder": groups, "notifyCustomer": True}
        tracking = {"company": fulfilment.carrier, "number": fulfilment.tracking_number,
                    "url": fulfilment.tracking_number and fulfilment.tracking_url}  # a url needs its number
        if any(tracking.values()):
            payload["trackingInfo"] = {key: value for key, value in tracking.items() if value}
        result = self._mutate(queries.FULFILLMENT_CREATE, "fulfillmentCreate", {"fulfillment": payload})
        return result["fulfillment"]["id"]

    def _order_fulfillments(self, order_id):
        order = self.client.execute(queries.ORDER_FULFILLMENTS_QUERY, {"id": order_id}).get("order")
        if not order:
            raise RemoteError(f"Order {order_id} does not exist in Shopify.")
        return order

    # -- webhooks -----------------------------------------------------------------------------
    def register_webhooks(self, callback_url):
        """Subscribe the order and product topics to ``callback_url``; existing ones are kept.  A
        create answered 5xx or lost is looked up (topic and address) before it is sent again."""
        existing = {node["topic"]: node["id"] for node in self._subscriptions(callback_url)}
        registered = []
        for topic in WEBHOOK_TOPICS:
            if topic not in existing:
                existing[topic] = create_once(
                    lambda topic=topic: self._mutate(queries.WEBHOOK_SUBSCRIPTION_CREATE, "webhookSubscriptionCreate", {
                        "topic": topic, "webhookSubscription": {"callbackUrl": callback_url, "format": "JSON"},
                    })["webhookSubscription"]["id"],
                    lambda topic=topic: next((node["id"] for node in self._subscriptions(callback_url)
                                              if node["topic"] == topic), None))
            registered.append((_topic_name(topic), existing[topic]))
        return registered

    def list_webhooks(self):
        """The subscriptions of the needed topics, whatever their address (a Shopify subscription
        has no paused state: every one listed is active)."""
        return [records.WebhookSubscription(
            topic=_topic_name(node["topic"]), address=(node.get("endpoint") or {}).get("callbackUrl") or "",
            external_id=node["id"]) for node in self._subscriptions()]

    def _subscriptions(self, callback_url=None):
        """Subscription nodes of the needed topics (to ``callback_url`` only, when given)."""
        return self.client.paginate(queries.WEBHOOK_SUBSCRIPTIONS_QUERY,
                                    {"topics": list(WEBHOOK_TOPICS), "callbackUrl": callback_url},
                                    ("webhookSubscriptions",), queries.WEBHOOK_PAGE_SIZE)

    def verify_webhook(self, headers, body):
        secret = self.config.get("webhook_secret")
        if not secret:
            raise WebhookRejected("No Shopify API secret is set on the backend (Webhook secret).")
        if not same(hmac_base64(secret, body), _header(headers, "X-Shopify-Hmac-Sha256")):
            raise WebhookRejected("X-Shopify-Hmac-Sha256 does not match the body.")

    def webhook_topic(self, headers):
        return _header(headers, "X-Shopify-Topic")

    def webhook_event(self, headers, payload):
        topic = self.webhook_topic(headers)
        if topic == REFUND_TOPIC and payload.get("order_id"):
            return self.ORDER, f"gid://shopify/Order/{payload['order_id']}", None
        if topic in ORDER_TOPICS:
            return self.ORDER, _gid(payload, "Order"), payload.get("name")
        if topic in PRODUCT_TOPICS:
            return self.PRODUCT, _gid(payload, "Product"), _product_ref(payload)
        return None  # e.g. inventory_levels/update: Odoo is the stock master
