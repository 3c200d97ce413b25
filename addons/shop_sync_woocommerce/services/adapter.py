"""WooCommerce adapter: wc/v3 payloads <-> the hub's canonical records.

The adapter reads and writes through the client; ``constants`` holds states, topics, meta keys and
the field mapping, ``mapping`` the pure payload <-> record functions, ``export`` the product export
(flow 3) and ``stock`` the stock export.

Amounts.  Orders say whether their prices included tax (``prices_include_tax``); lines are handed
over the same way, so the hub picks matching Odoo taxes and its total equals WooCommerce's to the
cent: product lines at their price before coupons (``(subtotal + subtotal_tax) / quantity``, or
``subtotal / quantity`` without tax), shipping and fee lines at ``total (+ total_tax)``, and the
coupon reduction (``subtotal - total`` of the lines, which is what ``coupon_lines`` add up to) as
one discount line per tax rate, with the coupon's tax as WooCommerce computed it (``subtotal_tax -
total_tax``: the difference of rounded line taxes).  The rate of a line comes from ``tax_lines[].rate_percent`` of
the rate ids in the line's own ``taxes`` that carry an amount: WooCommerce lists a rate id with
empty amounts on a line it did not tax (e.g. a custom shipping method without tax).  WooCommerce
rounds tax per line (unless "round tax at subtotal level" is set, which the REST API does not show).

Catalogue prices.  ``regular_price`` is handed over as WooCommerce states it; whether it includes
VAT is the backend's copy of WooCommerce's "prices entered with tax" (``Product.price_includes_tax``,
``prices_include_tax()``; default: yes), and the base converts with the Odoo product's sales taxes.

Refunds.  An order lists its refunds as ``{id, reason, total}``; their lines come from
``/orders/<id>/refunds`` (embedded under ``shop_sync_refunds`` when the order is fetched, so the
inbox keeps them).  A refund's ``line_items``, ``shipping_lines`` and ``fee_lines`` (WooCommerce's
refunds controller lists all three) point at the order item in meta ``_refunded_item_id``; a line's
gross amount is ``-(total + total_tax)`` and its tax ``-total_tax``, as WooCommerce kept it (the
admin's refund form takes each item's tax as given).  What ``amount`` has beyond its lines was
refunded without lines (below them: kept by the shop, e.g. a restocking fee).  WooCommerce keeps no restock flag per
refund: a refund counts as restocked when an item it refunds has ``_restock_refunded_items``.
``cancelled`` is the state that cancels an imported order.  WooCommerce keeps no cancellation time (an
order has ``date_created``, ``date_modified``, ``date_paid`` and ``date_completed``): a cancelled
order's ``date_modified_gmt`` (the save that carried the status, unless it was edited again before
Odoo read it) is when the shop cancelled it.

Variants.  A simple product is one variant with the product's SKU and id; a variation's id is
``"<product id>/<variation id>"`` so stock can be written through the parent's variations batch
endpoint without looking the parent up first.
"""

import hashlib
import html
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.adapter import ShopAdapter, WebhookRejected
from odoo.addons.shop_sync_base.services.http import RemoteError, create_once
from odoo.addons.shop_sync_base.services.paging import resumable_walk
from odoo.addons.shop_sync_base.services.signatures import hmac_base64, same

from .client import WooClient
from .constants import (
    DELIVERY_REFERENCE,
    FIELD_MAPPING,
    IMPORTED_TYPES,
    ORDER_STATES,
    REFUNDS_KEY,
    TRACKING_META,
    VARIATIONS_KEY,
    WEBHOOK_TOPICS,
)
from .export import WooCommerceProductExportMixin
from .mapping import (
    _address,
    _amount,
    _amount_line,
    _backorders,
    _delivery_note,
    _dimensions,
    _gmt,
    _header,
    _image,
    _optional_amount,
    _rate,
    _refunds,
    _vat,
    _wire_date,
    is_ping,
    variant_id,
)
from .stock import WooCommerceStockMixin


class WooCommerceAdapter(WooCommerceStockMixin, WooCommerceProductExportMixin, ShopAdapter):
    """One WooCommerce shop behind its REST API (wc/v3)."""

    WEBHOOK_TOPICS = WEBHOOK_TOPICS
    TAX_ROUNDING = "round_per_line"
    FIELD_MAPPING = FIELD_MAPPING
    IMAGE_EXPORT = "url"

    def __init__(self, backend_config, client=None):
        super().__init__(backend_config)
        self._client = client
        self._category_ids = {}  # shop category name -> id (None: the shop has none), for this adapter's run
        self._tag_ids = {}  # shop tag name -> id

    @property
    def client(self):
        if self._client is None:
            self._client = WooClient(self.config.get("url"), self.config.get("consumer_key"),
                                     self.config.get("consumer_secret"), governor=self.config.get("governor"))
        return self._client

    # -- connection ---------------------------------------------------------------------------
    def test_connection(self):
        orders = self.client.count("orders")
        products = self.client.count("products")
        return f"WooCommerce {self.config.get('url')}: {orders} orders, {products} products"

    def order_states(self):
        return list(ORDER_STATES)

    def default_allowed_states(self):
        return ["processing", "completed"]

    def default_cancel_states(self):
        return ["cancelled"]

    def identify(self, object_name, payload):
        if object_name == self.ORDER:
            return str(payload["id"]), str(payload.get("number") or payload["id"])
        if payload.get("type") == "variation":
            return str(payload["parent_id"]), payload.get("sku") or payload.get("name") or ""
        return str(payload["id"]), payload.get("sku") or payload.get("name") or ""

    # -- orders -------------------------------------------------------------------------------
    def fetch_orders(self, updated_since, resume_from=None):
        """The orders modified after ``updated_since`` in the importable statuses, by ascending id,
        page after page (``page``/``per_page``: WooCommerce has no cursor and no id filter).
        ``resume_point`` (``paging.page_resume_point``) is the position after the last page whose
        orders were all yielded, with the highest id read; a walk the shop's rate limit interrupts
        continues there (``paging.resume_position``).  With the same filter, an order read stays
        in it (saving it again only moves ``date_modified`` later) unless it leaves the shop's
        statuses (trashed, deleted): then the unread ones move forward, and ``resume_position``
        steps back a page.  New orders come last (ids ascend); an order that joins the filter
        among those read (changed since) comes again with the next poll."""
        params = {"status": ",".join(code for code, _label in ORDER_STATES), "orderby": "id", "order": "asc"}
        for order in self._resumable("orders", params, updated_since, resume_from):
            yield self._with_refunds(order)

    def _resumable(self, path, params, updated_since, resume_from):
        """The records of collection ``path`` (``params``: sorted by ascending id) modified after
        ``updated_since``, from where the walk of ``resume_from`` stopped; ``resume_point`` follows
        each complete page (see ``fetch_orders`` for why no record is passed over)."""
        if updated_since:
            params = {**params, "modified_after": _wire_date(updated_since), "dates_are_gmt": "true"}
        return resumable_walk(self, resume_from, self.client.page_size,
                              lambda position: self._id_at(path, params, position),
                              lambda start, page_done: self.client.paginate(path, params, start=start,
                                                                            page_done=page_done))

    def _id_at(self, path, params, position):
        """The id of the record at ``position`` (0-based) of the collection ``params`` select, None
        past its end: a page of one record."""
        records = self.client.get(path, {**params, "per_page": 1, "page": position + 1, "_fields": "id"})
        return records[0]["id"] if records else None

    def fetch_order(self, external_id):
        return self._with_refunds(self.client.get(f"orders/{external_id}"))

    def _with_refunds(self, order):
        if order.get("refunds") and REFUNDS_KEY not in order:
            order = {**order, REFUNDS_KEY: list(self.client.paginate(f"orders/{order['id']}/refunds"))}
        return order

    def parse_order(self, payload):
        payload = self._with_refunds(payload)  # a webhook's order: read its refunds
        include_tax = bool(payload.get("prices_include_tax"))
        rates = {str(tax["rate_id"]): _amount(tax["rate_percent"]) for tax in payload.get("tax_lines") or []
                 if tax.get("rate_percent") not in (None, "")}
        lines, reductions, reduction_taxes = [], defaultdict(Decimal), defaultdict(Decimal)
        for item in payload.get("line_items") or []:
            quantity = _amount(item.get("quantity"))
            subtotal, subtotal_tax = _amount(item.get("subtotal")), _amount(item.get("subtotal_tax"))
            total, total_tax = _amount(item.get("total")), _amount(item.get("total_tax"))
            rate = _rate(item, rates, subtotal, subtotal_tax)
            amount = subtotal + subtotal_tax if include_tax else subtotal
            lines.append(records.OrderLine(
                kind="product", name=item.get("name") or "", quantity=quantity,
                unit_price=amount / quantity if quantity else amount, tax_rate=rate,
                sku=item.get("sku") or "", external_id=str(item.get("id") or "")))
            reductions[rate] += amount - (total + total_tax if include_tax else total)
            reduction_taxes[rate] += subtotal_tax - total_tax
        for shipping in payload.get("shipping_lines") or []:
            lines.append(_amount_line("shipping", shipping.get("method_title") or shipping.get("method_id") or "",
                                           shipping, rates, include_tax, code=shipping.get("method_id") or ""))
        for fee in payload.get("fee_lines") or []:
            lines.append(_amount_line("fee", fee.get("name") or "", fee, rates, include_tax, code="fee"))
        codes = ", ".join(coupon.get("code") or "" for coupon in payload.get("coupon_lines") or [])
        for rate, amount in sorted(reductions.items()):
            if amount:
                lines.append(records.OrderLine(kind="discount", name=f"Coupon {codes}" if codes else "Discount",
                                               quantity=Decimal(1), unit_price=amount, tax_rate=rate,
                                               tax_amount=reduction_taxes[rate]))
        billing, shipping = payload.get("billing") or {}, payload.get("shipping") or {}
        return records.Order(
            external_id=str(payload["id"]), number=str(payload.get("number") or payload["id"]),
            state=payload.get("status") or "", created_at=_gmt(payload, "date_created"),
            updated_at=_gmt(payload, "date_modified"), currency=payload.get("currency") or "",
            # no cancellation time in WooCommerce's order (see the module docstring): the last save's
            cancelled_at=_gmt(payload, "date_modified") if payload.get("status") == "cancelled" else None,
            total=_amount(payload.get("total")),
            tax_total=_amount(payload["total_tax"]) if payload.get("total_tax") is not None else None,
            customer=records.Customer(
                email=(billing.get("email") or "").strip(), first_name=billing.get("first_name") or "",
                last_name=billing.get("last_name") or "", company=(billing.get("company") or "").strip(),
                vat=_vat(payload), phone=billing.get("phone") or ""),
            billing=_address(billing), shipping=_address(shipping),
            lines=lines, prices_include_tax=include_tax, payment_method=payload.get("payment_method") or "",
            paid_at=_gmt(payload, "date_paid"),
            note=payload.get("customer_note") or "",
            refunds=_refunds(payload),
        )

    # -- products -----------------------------------------------------------------------------
    def fetch_products(self, updated_since=None, resume_from=None):
        """The products modified after ``updated_since`` (all without it), by ascending id, page after
        page; a walk the shop's rate limit interrupts continues as an order walk does
        (``_resumable``: a product read stays in the filter unless trashed or deleted)."""
        for product in self._resumable("products", {"orderby": "id", "order": "asc"}, updated_since, resume_from):
            if product.get("type") in IMPORTED_TYPES:
                yield self._with_variations(product)

    def fetch_product(self, external_id):
        return self._with_variations(self.client.get(f"products/{external_id}"))

    def _with_variations(self, product):
        if product.get("type") == "variable" and VARIATIONS_KEY not in product:
            product = {**product, VARIATIONS_KEY: list(self.client.paginate(f"products/{product['id']}/variations"))}
        return product

    def parse_product(self, payload):
        if payload.get("type") == "variation":  # a webhook about one variation: read its product
            payload = self.fetch_product(payload["parent_id"])
        if payload.get("type") == "variable":
            payload = self._with_variations(payload)
            variants = [records.Variant(
                sku=variation.get("sku") or "",
                options={attribute["name"]: attribute["option"] for attribute in variation.get("attributes") or []},
                price=_optional_amount(variation.get("regular_price")), barcode=variation.get("global_unique_id") or "",
                weight=_optional_amount(variation.get("weight")),
                external_id=variant_id(payload["id"], variation["id"]),
                dimensions=_dimensions(variation.get("dimensions")),
            ) for variation in payload[VARIATIONS_KEY] if variation.get("status") != "trash"]
        else:
            variants = [records.Variant(
                sku=payload.get("sku") or "", price=_optional_amount(payload.get("regular_price")),
                barcode=payload.get("global_unique_id") or "", weight=_optional_amount(payload.get("weight")),
                external_id=str(payload["id"]), dimensions=_dimensions(payload.get("dimensions")))]
        categories = payload.get("categories") or []
        return records.Product(
            external_id=str(payload["id"]), name=payload.get("name") or "", sku=payload.get("sku") or "",
            description=payload.get("description") or "", price=_optional_amount(payload.get("regular_price")),
            price_includes_tax=self.prices_include_tax(),
            barcode=payload.get("global_unique_id") or "", weight=_optional_amount(payload.get("weight")),
            category=categories[0].get("name", "") if categories else "",
            published=payload.get("status") == "publish", variants=variants,
            image=_image((payload.get("images") or [None])[0]), updated_at=_gmt(payload, "date_modified"),
            short_description=payload.get("short_description") or "",
            tags=[html.unescape(tag.get("name") or "") for tag in payload.get("tags") or []],
            backorders=_backorders(payload, payload.get(VARIATIONS_KEY)))

    # -- fulfilments --------------------------------------------------------------------------
    # WooCommerce core has no shipments: a delivery is a customer note (e-mailed to the buyer)
    # carrying the tracking and the delivery's reference, and the delivery that completes the order
    # also sets the status ``completed``.  A partial delivery is the note only, since core cannot
    # mark part of an order shipped.  Stores with the Shipment Tracking extension also get a
    # tracking item in the order meta ``_wc_shipment_tracking_items`` (the extension's own keys).
    def fulfilments(self, order_external_id):
        """The customer notes of the order written for a delivery (found by their reference)."""
        notes = self.client.get(f"orders/{order_external_id}/notes", params={"type": "customer"}) or []
        return [records.Fulfilment(order_external_id=order_external_id, external_id=f"note/{note['id']}",
                                   reference=match.group(1))
                for note in notes if (match := DELIVERY_REFERENCE.search(note.get("note") or ""))]

    def create_fulfilment(self, fulfilment):
        """Status and tracking meta first (a PUT, safe to repeat), then the note, which marks the
        delivery as reported: a failure in between is repaired by the next attempt."""
        path = f"orders/{fulfilment.order_external_id}"
        changes = {} if fulfilment.partial else {"status": "completed"}
        if self.config.get("shipment_tracking") and fulfilment.tracking_number:
            changes["meta_data"] = [{"key": TRACKING_META, "value": self._tracking_items(path, fulfilment)}]
        if changes:
            self.client.put(path, changes)
        note = self.client.post(f"{path}/notes", {"note": _delivery_note(fulfilment), "customer_note": True})
        return f"note/{note['id']}"

    def _tracking_items(self, path, fulfilment):
        """The order's tracking items with this delivery's added once (by tracking number)."""
        order = self.client.get(path) or {}
        items = next((meta.get("value") for meta in order.get("meta_data") or [] if meta.get("key") == TRACKING_META),
                     None) or []
        if any(item.get("tracking_number") == fulfilment.tracking_number for item in items):
            return items
        return [*items, {
            "tracking_provider": "", "custom_tracking_provider": fulfilment.carrier,
            "custom_tracking_link": fulfilment.tracking_url, "tracking_number": fulfilment.tracking_number,
            "date_shipped": str(int(datetime.now(UTC).timestamp())),
            "tracking_id": hashlib.md5(f"{fulfilment.reference}-{fulfilment.tracking_number}".encode()).hexdigest(),
        }]

    # -- webhooks -----------------------------------------------------------------------------
    def register_webhooks(self, callback_url):
        """Subscribe ``callback_url`` to order and product creations and updates, signed with the
        backend's webhook secret; existing subscriptions of that URL are updated, not duplicated (a
        create answered 5xx or lost is looked up before it is sent again)."""
        secret = self.config.get("webhook_secret")
        if not secret:
            raise RemoteError("A webhook secret is required to register WooCommerce webhooks.")
        existing = self._webhooks_of(callback_url)
        registered = []
        for topic in WEBHOOK_TOPICS:
            hook = next((hook for hook in existing if hook.get("topic") == topic), None)
            if hook:
                hook = self.client.put(f"webhooks/{hook['id']}", {"secret": secret, "status": "active"})
            else:
                hook = create_once(
                    lambda topic=topic: self.client.post("webhooks", {
                        "name": f"shop-sync {topic}", "topic": topic, "status": "active",
                        "delivery_url": callback_url, "secret": secret}),
                    lambda topic=topic: next((hook for hook in self._webhooks_of(callback_url)
                                              if hook.get("topic") == topic), None))
            registered.append((topic, str(hook["id"])))
        return registered

    def _webhooks_of(self, callback_url):
        return [hook for hook in self.client.paginate("webhooks") if hook.get("delivery_url") == callback_url]

    def list_webhooks(self):
        """Every webhook of the shop (status ``all``): a paused or disabled one counts as not active."""
        return [records.WebhookSubscription(topic=hook.get("topic") or "", address=hook.get("delivery_url") or "",
                                            active=hook.get("status") == "active", external_id=str(hook["id"]))
                for hook in self.client.paginate("webhooks", {"status": "all"})]

    def verify_webhook(self, headers, body):
        secret = self.config.get("webhook_secret")
        if not secret:
            raise WebhookRejected("no webhook secret is configured on the backend")
        received = _header(headers, "X-WC-Webhook-Signature")
        if not received:
            raise WebhookRejected("X-WC-Webhook-Signature header missing")
        if not same(hmac_base64(secret, body), received):
            raise WebhookRejected("X-WC-Webhook-Signature does not match the body")

    def webhook_ack(self, headers, params):
        """WooCommerce keeps a new webhook only if its unsigned delivery test is answered 200."""
        if is_ping(headers, params):
            return f"Delivery test of WooCommerce webhook {params['webhook_id']} acknowledged."
        return None

    def webhook_topic(self, headers):
        return _header(headers, "X-WC-Webhook-Topic")

    def webhook_event(self, headers, payload):
        resource, _dot, event = (self.webhook_topic(headers) or "").partition(".")
        if event not in ("created", "updated") or "id" not in payload:
            return None
        if resource == "order":
            return (self.ORDER, *self.identify(self.ORDER, payload))
        if resource == "product" and payload.get("type") in (*IMPORTED_TYPES, "variation"):
            return (self.PRODUCT, *self.identify(self.PRODUCT, payload))
        return None
