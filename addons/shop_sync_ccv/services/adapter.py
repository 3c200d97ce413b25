"""CCV Shop adapter: CCV REST v1 payloads <-> the hub's canonical records.

The adapter reads and writes through the client; ``constants`` holds statuses, events and the field
mapping, ``mapping`` the pure payload <-> record functions, ``export`` the product export (flow 3)
and ``stock`` the stock export.

Orders
    CCV has no "updated since" filter.  ``fetch_orders(updated_since)`` pages ``GET /orders`` by
    creation date instead: ``min_create_date = updated_since - lookback_days`` (default 30 days),
    because a status changes (paid, sent, cancelled) after the order was created.  Every poll so
    re-reads the orders of the look-back window; the hub's inbox stores a payload only when it
    differs from the one already stored (a status change does), and the order importer recognises
    orders already imported and logs their state change.  Orders whose status changes later than
    the look-back window reach Odoo through the ``orders.updated`` webhook (or a longer window).
    A first poll (no watermark) reads every order.  Statuses are not filtered here: which ones
    are imported is the backend's allowed-states decision, and the others are logged as skipped.

    A polled order has no rows: ``parse_order`` fetches ``/orders/{id}/orderrows``; a webhook
    body is only a notification (``{id, href, ...}``), so the full order is fetched first.

    Refunds are CCV's credit invoices (``GET /invoices``, ``type`` credit; the resource is in CCV's
    API docs, not in its PHP SDK): a poll reads the invoices created in its window in one list, a
    fetched order its own (``ordernumber`` filter), and embeds them (without their rows, which
    ``parse_order`` reads) in the order's payload (``shop_sync_credit_invoices``), so a new credit invoice changes the
    payload the inbox compares and reaches the refund import; crediting an order changes nothing
    else on it.  A credit invoice's rows point at their order rows; its tax is its ``total_tax``
    (CCV gives rows a rate, not a tax amount).  A credit invoice made after the look-back window of
    its order is not seen by polling (as a late status change) until the order is read again.

    CCV orders carry no modification date (only ``create_date``), so ``Order.updated_at`` stays
    None and the hub cannot tell an older version from a newer one; a webhook notification reads
    the order as it is when processed, so late deliveries bring the current state.  Products carry
    ``modifydate``: ``Product.updated_at``.

Prices
    CCV prices include VAT (``order_row_taxes_included``).  Orders keep gross amounts
    (``Order.prices_include_tax``).  Product prices are handed over as CCV states them, with VAT
    (``Product.price_includes_tax``; exported prices arrive so): the base converts them with the Odoo
    product's sales taxes, not with the CCV product's ``vatrate``.
    An order row carries its VAT rate (``tax``), not tax amounts, so a row's rate is what CCV charged;
    the order's ``total_tax`` is rounded once (``Order.tax_total``: Odoo's rounding difference goes to a line);
    CCV does not document how it rounds VAT (``TAX_ROUNDING`` stays unknown) nor when an order was
    paid (``Order.paid_at`` stays empty: the order date dates it).

Categories and photos
    CCV's ``maincategory`` is text "for exports and searches" that "does not influence the category
    structure" (product Patch model of CCV's schema); the webshop's categories are the
    ``categories`` resource and a product is in them through ``producttocategories``.  So, as with
    Shopify's product type and collections, Odoo's category is a webshop category: import takes the
    product's category named like its ``maincategory`` (the one an export put it in), else its first
    category, else its ``maincategory``; export writes ``maincategory`` as before and adds the
    product to the webshop category of that name (``POST /producttocategories``) unless it is in it
    already; a category is never created: a missing one is logged on the product.  The main image
    is the photo marked ``is_mainphoto`` (else the first) of the product's ``productphotos``,
    downloaded from its ``deeplink`` when its id or address changed (the base compares
    ``Image.ref``); an exported image is uploaded there as base64 ``source`` with its ``file_type``
    and ``is_mainphoto`` (the shop's other photos stay).

Request cost of imports
    CCV allows 150 GETs a minute.  Products are read with ``expand`` (CCV's products parameter, see
    ``PRODUCT_EXPAND``): each product of a ``GET /products`` page, and the product a webhook names,
    arrives with its attribute combinations, photos and category links, so no product costs a GET
    of its own (an embedded collection's further pages are followed; a payload stored without them
    is completed by reading them).  The category tree is read once per adapter, i.e. once per
    batch of imported events, and only when a product of the batch is in a category.  A full import
    of N products so costs ceil(N / 100) product pages plus at most one category read (of
    ceil(categories / 100) pages) per batch of 200 products (``PRODUCT_BATCH``); photo files are downloaded only when
    they changed.  CCV offers no bulk listing of all category links or all photos (only per product
    or per category), so ``expand`` is the cheapest way.

Request cost of exports
    A new product costs its look-up by product number (a product the shop has already is updated,
    read with the collections the export needs), its POST, and a POST each to put it in its
    category and to upload its photo: a product just created has no category links, photos or
    combinations to read.  An update costs its PATCH, plus one read of the product with only the
    collections it needs (``expand``) when its category changed (the base sends the category only
    then), its image changed (the photos it had, to recognise an upload whose answer was lost) or
    it has variants (their combinations), plus the POSTs that need.  An unchanged product costs
    nothing.  After an uncertain POST the record is looked up (one GET) before anything is sent again.

Variant ids
    A CCV variant is an attribute combination; a product without combinations is its own only
    variant.  Variant external ids are therefore resource paths, ``attributecombinations/<id>``
    or ``products/<id>``, so the stock push knows which resource to PATCH.
"""

import json
from datetime import UTC, timedelta
from urllib.parse import urlsplit

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.adapter import ShopAdapter, WebhookRejected
from odoo.addons.shop_sync_base.services.http import create_once
from odoo.addons.shop_sync_base.services.paging import resumable_walk
from odoo.addons.shop_sync_base.services.signatures import hmac_hex, same

from .client import CcvClient
from .constants import (
    CANCEL_STATUSES,
    COMBINATION_PATH,
    COMPLETED,
    CREDIT_INVOICES_KEY,
    CREDIT_TYPE,
    DEFAULT_ALLOWED_STATUSES,
    DEFAULT_VAT_RATE,
    DELIVERED,
    FIELD_MAPPING,
    LOOKBACK_DAYS,
    ORDER_STATUSES,
    PRODUCT_EXPAND,
    PRODUCT_PATH,
    SENT,
    SHIPPED_STATUSES,
    WEBHOOK_EVENTS,
)
from .export import CcvProductExportMixin
from .mapping import _address, _cost_lines, _credit_invoice_refunds, _customer, _decimal, _row_line, _timestamp
from .stock import CcvStockMixin


class CcvAdapter(CcvStockMixin, CcvProductExportMixin, ShopAdapter):
    """Adapter of one CCV shop.  ``backend_config``: url, public_key, secret_key, webhook_secret
    (JSON ``{webhook id: {"event", "key"}}`` as stored by ``register_webhooks``, or one plain key),
    optional order_lookback_days, vat_rate (of products created by export), page_size."""

    FIELD_MAPPING = FIELD_MAPPING
    WEBHOOK_TOPICS = WEBHOOK_EVENTS

    def __init__(self, backend_config, **client_options):
        super().__init__(backend_config)
        self.client = CcvClient(backend_config.get("url"), backend_config.get("public_key"),
                                backend_config.get("secret_key"), governor=backend_config.get("governor"),
                                **client_options)
        self.lookback = timedelta(days=int(backend_config.get("order_lookback_days") or LOOKBACK_DAYS))
        self.vat_rate = _decimal(backend_config.get("vat_rate") or DEFAULT_VAT_RATE)
        self.webhook_keys = {}  # webhook id -> {"event", "key"}, filled by register_webhooks
        self._category_names = None  # {category id: name}, read on first use
        self._brands = None  # {brand id: name}, read on first use (export)
        self.verified_event = None  # event of the webhook whose key verified the last delivery

    def prices_include_tax(self):
        """CCV keeps catalogue prices with VAT, whatever the backend says."""
        return True

    # -- connection ---------------------------------------------------------------------------
    def test_connection(self):
        page = self.client.get("/orders", params={"start": 0, "size": 1})
        latest = ", ".join(str(order.get("ordernumber_full") or order.get("ordernumber")) for order in page["items"])
        return f"CCV Shop {self.config.get('url')}: signed answers verified" + (
            f", first order {latest}" if latest else ", no orders yet")

    def order_states(self):
        return [(str(code), label) for code, label in ORDER_STATUSES]

    def default_allowed_states(self):
        return [str(code) for code in DEFAULT_ALLOWED_STATUSES]

    def default_cancel_states(self):
        return [str(code) for code in CANCEL_STATUSES]

    def identify(self, object_name, payload):
        if object_name == self.ORDER:
            number = payload.get("ordernumber_full") or payload.get("ordernumber") or payload.get("order_number")
            return str(payload["id"]), number and str(number)
        return str(payload["id"]), payload.get("productnumber") or payload.get("name")

    # -- orders -------------------------------------------------------------------------------
    def fetch_orders(self, updated_since, resume_from=None):
        """Orders created since ``updated_since`` minus the look-back (all without it), by ascending
        id, page after page (``start``/``size``: CCV has no cursor and no id filter), each with its
        credit invoices (those created in the same window: made after their order).
        ``resume_point`` (``paging.page_resume_point``) is the position after the last page whose
        orders were all yielded, with the highest id read; a walk CCV's per-minute limit interrupts
        continues there (``paging.resume_position``).  With the same ``min_create_date``, an order
        read stays in the collection (its creation date does not change) unless the shop deletes
        it: then the unread ones move forward, and ``resume_position`` steps back a page.  New
        orders come last (ids ascend with creation).  The credit invoices come without their rows
        (``parse_order`` reads them): a poll reads the window's credit invoices in one list whatever
        their number, not a request per invoice at every poll, which CCV's per-minute limit would stop
        before the first page of orders once a shop has many."""
        params = {"orderby": "id"}
        if updated_since:
            since = updated_since.astimezone(UTC) - self.lookback
            params["min_create_date"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        orders = resumable_walk(self, resume_from, self.client.page_size,
                                lambda position: self._order_id_at(params, position),
                                lambda start, page_done: self.client.collection("/orders", params, start=start,
                                                                                page_done=page_done))
        credits = self._credit_invoices({key: value for key, value in params.items() if key != "orderby"})
        for order in orders:
            yield {**order, CREDIT_INVOICES_KEY: credits.get(order.get("ordernumber"), [])}

    def _order_id_at(self, params, position):
        """The id of the order at ``position`` (0-based) of the collection ``params`` select, None
        past its end: a page of one order."""
        orders = self.client.get("/orders", params={**params, "start": position, "size": 1}).get("items")
        return orders[0]["id"] if orders else None

    def fetch_order(self, external_id):
        order = self.client.get(f"/orders/{int(external_id)}")
        credits = self._credit_invoices({"ordernumber": order["ordernumber"]}) if order.get("ordernumber") else {}
        return {**order, CREDIT_INVOICES_KEY: credits.get(order.get("ordernumber"), [])}

    def _credit_invoices(self, params):
        """``{ordernumber: [credit invoice]}`` of the invoices ``params`` select (their rows not read)."""
        credits = {}
        for invoice in self.client.collection("/invoices", params):
            if invoice.get("type") == CREDIT_TYPE:
                credits.setdefault(invoice.get("ordernumber"), []).append(invoice)
        return credits

    def _with_rows(self, invoice):
        """A credit invoice with its rows under ``invoicerows.items`` (the list gives a link there; a
        payload stored before carries them already)."""
        if "items" in (invoice.get("invoicerows") or {}):
            return invoice
        return {**invoice, "invoicerows": {"items": list(self.client.collection(
            f"/invoices/{int(invoice['id'])}/invoicerows"))}}

    def parse_order(self, payload):
        if not isinstance(payload.get("customer"), dict):  # a webhook notification
            payload = self.fetch_order(payload["id"])
        credits = payload.get(CREDIT_INVOICES_KEY)
        if credits is None:  # a payload stored before credit invoices were read with it
            number = payload.get("ordernumber")
            credits = self._credit_invoices({"ordernumber": number}).get(number, []) if number else []
        rows = (payload.get("orderrows") or {}).get("items")
        if rows is None:
            rows = list(self.client.collection(f"/orders/{int(payload['id'])}/orderrows"))
        customer = payload["customer"]
        email = (customer.get("email") or "").strip()
        billing = _address(customer.get("billingaddress"), email)
        delivery = _address(customer.get("deliveryaddress"), email)
        if not (delivery.street or delivery.zip or delivery.city):
            delivery = billing
        rows_gross = payload.get("order_row_taxes_included", True)
        return records.Order(
            external_id=str(payload["id"]),
            number=str(payload.get("ordernumber_full") or payload.get("ordernumber") or payload["id"]),
            state=str(payload["status"]),  # no date of the status change in CCV's order: cancelled_at unknown
            created_at=_timestamp(payload["create_date"]),
            currency=payload.get("currency") or "",
            total=_decimal(payload.get("total_price")),
            tax_total=_decimal(payload["total_tax"]) if payload.get("total_tax") is not None else None,
            customer=_customer(customer, billing),
            billing=billing, shipping=delivery,
            lines=[_row_line(row) for row in rows] + _cost_lines(payload, rows_gross),
            prices_include_tax=bool(rows_gross),
            payment_method=payload.get("paymethod") or "",
            refunds=_credit_invoice_refunds([self._with_rows(invoice) for invoice in credits]),
        )

    # -- products -----------------------------------------------------------------------------
    def fetch_products(self, updated_since=None):
        """Every product (newest change first when ``updated_since`` is given, stopping at the
        first one not modified since), each with its combinations, photos and category links
        embedded (``expand``: no GET per product)."""
        params = {"orderby": "modifydate_desc"} if updated_since else {"orderby": "id"}
        for product in self.client.collection("/products", {**params, "expand": PRODUCT_EXPAND}):
            if updated_since and (_timestamp(product.get("modifydate")) or updated_since) < updated_since:
                return
            yield product

    def _product_collection(self, product_id, name):
        """Every item of the product's collection ``name`` (e.g. ``productphotos``), read."""
        return list(self.client.collection(f"/products/{int(product_id)}/{name}"))

    def _embedded(self, payload, name):
        """Every item of the product's collection ``name``: embedded by ``expand`` (its further
        pages followed), else read (a payload stored without it)."""
        embedded = payload.get(name) or {}
        if embedded.get("items") is None:
            return self._product_collection(payload["id"], name)
        return list(self.client.items_from(embedded))

    def parse_product(self, payload):
        if "price" not in payload:  # a webhook notification
            payload = self.client.get(f"/products/{int(payload['id'])}", params={"expand": PRODUCT_EXPAND})
        price = _decimal(payload.get("price"))
        weight = _decimal(payload["weight"]) if payload.get("weight") else None
        combinations = self._embedded(payload, "attributecombinations")
        if combinations:
            variants = [records.Variant(
                sku=combination.get("sku_number") or "",
                options={part["attribute"]["name"]: part["attribute_value"]["name"]
                         for part in combination.get("combination") or ()},
                price=price + _decimal(combination.get("netto_extra_price")),
                barcode=combination.get("ean_number") or "", weight=weight,
                external_id=f"{COMBINATION_PATH}/{combination['id']}",
            ) for combination in combinations]
        else:
            variants = [records.Variant(
                sku=payload.get("productnumber") or "", price=price, barcode=payload.get("eannumber") or "",
                weight=weight, external_id=f"{PRODUCT_PATH}/{payload['id']}")]
        return records.Product(
            external_id=str(payload["id"]), name=payload.get("name") or "", sku=payload.get("productnumber") or "",
            description=payload.get("description") or "", short_description=payload.get("shortdescription") or "",
            vendor=(payload.get("brand") or {}).get("name") or "", price=price,
            price_includes_tax=self.prices_include_tax(),
            barcode=payload.get("eannumber") or "", weight=weight, category=self._category(payload),
            published=bool(payload.get("is_active", payload.get("active", True))), variants=variants,
            image=self._main_photo(self._embedded(payload, "productphotos")),
            updated_at=_timestamp(payload.get("modifydate")))

    def _category(self, payload):
        """The product's webshop category named like its ``maincategory``, else its first one, else
        its ``maincategory`` (see the module docstring).  The category tree is read only for a
        product in a category."""
        main = payload.get("maincategory") or ""
        links = self._embedded(payload, "producttocategories")
        names = self.category_names() if links else {}
        linked = [names[link["category_id"]] for link in links if link.get("category_id") in names]
        return next((name for name in linked if name.casefold() == main.casefold()), linked[0] if linked else main)

    def category_names(self):
        """``{id: name}`` of the webshop's categories, read once per adapter."""
        if self._category_names is None:
            self._category_names = {category["id"]: category.get("name") or ""
                                    for category in self.client.collection("/categories")}
        return self._category_names

    @staticmethod
    def _main_photo(photos):
        """The main photo of ``photos`` (``is_mainphoto``, else the first) as ``records.Image``, or None."""
        photos = [photo for photo in photos if photo.get("deeplink")]
        photo = next((photo for photo in photos if photo.get("is_mainphoto")), photos[0] if photos else None)
        return photo and records.Image(url=photo["deeplink"], external_id=str(photo["id"]))

    # -- fulfilments --------------------------------------------------------------------------
    # CCV records shipping per order: status 5 "Sent" with one track and trace code and carrier,
    # the customer mailed (``mail``), a tracking URL in the mail's ``note`` (CCV has no field for
    # it).  No partial shipments: the hub reports the delivery that completes the order.
    PARTIAL_FULFILMENT = False

    def fulfilments(self, order_external_id):
        """The order's shipment when CCV has it as sent, delivered or completed, or has a code."""
        order = self.fetch_order(order_external_id)
        if order.get("status") not in SHIPPED_STATUSES and not order.get("track_and_trace_code"):
            return []
        return [records.Fulfilment(order_external_id=order_external_id, external_id=str(order["id"]),
                                   tracking_number=order.get("track_and_trace_code") or "",
                                   carrier=order.get("track_and_trace_carrier") or "")]

    def create_fulfilment(self, fulfilment):
        """PATCH the order to "Sent" with track and trace (an order already delivered or completed
        keeps its status), mailing the customer."""
        order = self.fetch_order(fulfilment.order_external_id)
        changes = {"status": order["status"] if order.get("status") in (DELIVERED, COMPLETED) else SENT, "mail": True}
        if fulfilment.tracking_number:
            changes["track_and_trace_code"] = fulfilment.tracking_number
        if fulfilment.carrier:
            changes["track_and_trace_carrier"] = fulfilment.carrier
        if fulfilment.tracking_url:
            changes["note"] = f"Track & trace: {fulfilment.tracking_url}"
        # not the client's repeatable patch(): this one mails the customer, so an uncertain answer is
        # looked up by the hub instead of being sent again
        self.client.request("PATCH", f"/orders/{int(fulfilment.order_external_id)}", json_body=changes,
                            repeatable=False)
        return str(order["id"])

    # -- webhooks -----------------------------------------------------------------------------
    def register_webhooks(self, callback_url):
        """Subscribe ``callback_url`` to order and product events, reusing (and re-activating)
        subscriptions that exist already.  CCV gives each subscription its own signing ``key``:
        they are kept in ``webhook_keys`` and returned as JSON by ``webhook_secret()``."""
        existing = self._webhooks_by_event_and_address()
        topics = []
        for event in WEBHOOK_EVENTS:
            hook = existing.get((event, callback_url))
            if hook is None:  # a create answered 5xx or lost is looked up: its key must be stored
                hook = create_once(
                    lambda event=event: self.client.post("/webhooks", {
                        "event": event, "address": callback_url, "is_active": True}),
                    lambda event=event: self._webhooks_by_event_and_address().get((event, callback_url)))
            elif not hook.get("is_active"):
                self.client.patch(f"/webhooks/{int(hook['id'])}", {"is_active": True})
            self.webhook_keys[str(hook["id"])] = {"event": event, "key": hook["key"]}
            topics.append((event, str(hook["id"])))
        return topics

    def _webhooks_by_event_and_address(self):
        return {(hook["event"], hook["address"]): hook for hook in self.client.collection("/webhooks")}

    def list_webhooks(self):
        return [records.WebhookSubscription(topic=hook.get("event") or "", address=hook.get("address") or "",
                                            active=bool(hook.get("is_active")), external_id=str(hook["id"]))
                for hook in self.client.collection("/webhooks")]

    def webhook_secret(self):
        """The signing keys of the registered webhooks, to store on the backend."""
        return json.dumps(self.webhook_keys, sort_keys=True)

    def _stored_keys(self):
        """``[(event, key)]`` from the backend's ``webhook_secret`` (JSON map or one plain key)."""
        secret = self.config.get("webhook_secret") or ""
        try:
            stored = json.loads(secret)
        except ValueError:
            return [(None, secret)] if secret else []
        if not isinstance(stored, dict):
            return []
        return [(hook.get("event"), hook.get("key")) for hook in stored.values() if isinstance(hook, dict)]

    def verify_webhook(self, headers, body):
        """``x-hash`` must be hex(HMAC-SHA512(key, raw body)) with the key of one of the
        registered webhooks (constant-time comparison against each)."""
        received = {name.lower(): value for name, value in headers.items()}.get("x-hash", "").strip().lower()
        matches = [event for event, key in self._stored_keys() if key and same(hmac_hex(key, body), received)]
        if not matches:
            raise WebhookRejected("x-hash does not match the key of any registered CCV webhook")
        self.verified_event = matches[0]

    def webhook_topic(self, headers):
        """CCV names no event in a delivery: the event of the webhook whose key verified it."""
        return self.verified_event

    def webhook_event(self, headers, payload):
        """Orders and products by the resource of the notification's ``href``."""
        if "id" not in payload:
            return None
        resource = urlsplit(payload.get("href") or "").path.rstrip("/").split("/")[-2:-1]
        event = self.verified_event or ""
        if resource == ["orders"] or event.startswith("orders."):
            number = payload.get("ordernumber_full") or payload.get("order_number")
            return self.ORDER, str(payload["id"]), number and str(number)
        if resource == ["products"] or event.startswith("products."):
            return self.PRODUCT, str(payload["id"]), payload.get("productnumber")
        return None
