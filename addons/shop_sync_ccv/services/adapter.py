"""CCV Shop adapter: CCV REST v1 payloads <-> the hub's canonical records.

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

    CCV orders carry no modification date (only ``create_date``), so ``Order.updated_at`` stays
    None and the hub cannot tell an older version from a newer one; a webhook notification reads
    the order as it is when processed, so late deliveries bring the current state.  Products carry
    ``modifydate``: ``Product.updated_at``.

Prices
    CCV prices include VAT (``order_row_taxes_included``).  Orders keep gross amounts
    (``Order.prices_include_tax``).  Product prices are converted to prices excluding VAT with the
    product's ``vatrate`` (``Product.price_includes_tax`` False), because Odoo's ``list_price``
    excludes tax with the default tax settings; exported prices are converted back.
    An order row carries its VAT rate (``tax``), not tax amounts, so a row's rate is what CCV charged;
    the order's ``total_tax`` is rounded once (``Order.tax_total``: Odoo's rounding difference goes to a line);
    CCV does not document how it rounds VAT (``TAX_ROUNDING`` stays unknown) nor when an order was
    paid (``Order.paid_at`` stays empty: the order date dates it).

Variant ids
    A CCV variant is an attribute combination; a product without combinations is its own only
    variant.  Variant external ids are therefore resource paths, ``attributecombinations/<id>``
    or ``products/<id>``, so the stock push knows which resource to PATCH.
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.adapter import ShopAdapter, WebhookRejected
from odoo.addons.shop_sync_base.services.http import RemoteError, create_once
from odoo.addons.shop_sync_base.services.signatures import hmac_hex, same

from .client import CcvClient

CENT = Decimal("0.01")
LOOKBACK_DAYS = 30
DEFAULT_VAT_RATE = Decimal("21")
#: CCV order statuses (``status`` 1..14)
ORDER_STATUSES = [
    (1, "New"), (2, "In process"), (3, "Wait for manufacturer"), (4, "Wait for payment"), (5, "Sent"),
    (6, "Delivered"), (7, "Completed"), (8, "Cancelled"), (9, "Wait for supplier"), (10, "Is being packaged"),
    (11, "Ready to be collected"), (12, "Is being assembled"), (13, "Backorder"), (14, "Reserved"),
]
#: allowed on a new backend: "In process" (CCV's paid state) and every later, not cancelled step
#: of fulfilment.  Not allowed: 1 New and 4 Wait for payment (unpaid), 8 Cancelled, 14 Reserved.
SENT, DELIVERED, COMPLETED = 5, 6, 7
SHIPPED_STATUSES = (SENT, DELIVERED, COMPLETED)
DEFAULT_ALLOWED_STATUSES = (2, 3, 5, 6, 7, 9, 10, 11, 12, 13)
#: CCV's API has no refund resource (the SDK's endpoints list none): a refunded order is set to 8 Cancelled,
#: which cancels an imported order in Odoo and reverses its invoice (deleted draft or credit note)
CANCEL_STATUSES = (8,)
WEBHOOK_EVENTS = ("orders.created", "orders.updated", "products.created", "products.updated")
PRODUCT_PATH, COMBINATION_PATH = "products", "attributecombinations"

FIELD_MAPPING = (
    ("order.ordernumber_full / ordernumber", "sale.order Shop order number, Customer reference", ""),
    ("order.status", "sale.order Shop order state", "1..14; checked against the allowed states"),
    ("order.create_date", "sale.order Order date", ""),
    ("order.currency", "sale.order Pricelist currency", "must be active in Odoo"),
    ("order.total_price", "sale.order Total", "checked to the cent"),
    ("order.paymethod", "sale.order Shop payment method", "payment method mapping"),
    ("customer.email", "res.partner E-mail", "partner matched by e-mail"),
    ("billingaddress.first_name + last_name", "res.partner Name", ""),
    ("customer.customertype b2b / billingaddress.company", "res.partner Company (parent)", "b2c: private person"),
    ("customer.btw", "res.partner VAT", "companies"),
    ("billingaddress.address_line_1 / street + housenumber", "res.partner Street", ""),
    ("billingaddress.zipcode, city, country_code", "res.partner Zip, City, Country", ""),
    ("billingaddress.telephone / mobile", "res.partner Phone", ""),
    ("deliveryaddress.*", "Delivery address (child contact)", "empty: same as billing"),
    ("orderrow.sub_sku_number / product_number", "sale.order.line Product (by Internal reference)", ""),
    ("orderrow.count", "sale.order.line Quantity", ""),
    ("orderrow.price - discount", "sale.order.line Unit price", "incl. VAT, per unit"),
    ("orderrow.tax", "sale.order.line Taxes", "rate; tax mapping per country"),
    ("order.total_shipping @ shipping_tax_percentage", "Shipping line", "code: deliver_method"),
    ("order.paymethod_costs, extra_costs", "Fee lines", ""),
    ("order.total_discounts", "Discount line", "at shipping_tax_percentage"),
    ("product.productnumber", "product.template Internal reference", "simple products"),
    ("product.name", "product.template Name", ""),
    ("product.description", "product.template Sales description", ""),
    ("product.price / (1 + vatrate)", "product.template Sales price", "excl. VAT"),
    ("product.eannumber", "product.product Barcode", "simple products"),
    ("product.weight", "product.product Weight", "kg"),
    ("product.maincategory", "product.template Category", ""),
    ("product.active", "product.template Can be sold", ""),
    ("attributecombination.sku_number", "product.product Internal reference", "variants"),
    ("attributecombination.combination[attribute, attribute_value]", "product.product Attributes", ""),
    ("attributecombination.ean_number", "product.product Barcode", "variants"),
    ("attributecombination.stock / product.stock", "Free quantity of the warehouse", "Odoo -> CCV"),
)


def _decimal(value):
    return Decimal(str(value or 0))


def _timestamp(text):
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(value):
    """A JSON number from a Decimal: an int when it is whole."""
    return int(value) if value == value.to_integral_value() else float(value)


class CcvAdapter(ShopAdapter):
    """Adapter of one CCV shop.  ``backend_config``: url, public_key, secret_key, webhook_secret
    (JSON ``{webhook id: {"event", "key"}}`` as stored by ``register_webhooks``, or one plain key),
    optional order_lookback_days, vat_rate (of products created by export), page_size."""

    FIELD_MAPPING = FIELD_MAPPING
    WEBHOOK_TOPICS = WEBHOOK_EVENTS

    def __init__(self, backend_config, **client_options):
        super().__init__(backend_config)
        self.client = CcvClient(backend_config.get("url"), backend_config.get("public_key"),
                                backend_config.get("secret_key"), **client_options)
        self.lookback = timedelta(days=int(backend_config.get("order_lookback_days") or LOOKBACK_DAYS))
        self.vat_rate = _decimal(backend_config.get("vat_rate") or DEFAULT_VAT_RATE)
        self.webhook_keys = {}  # webhook id -> {"event", "key"}, filled by register_webhooks
        self.verified_event = None  # event of the webhook whose key verified the last delivery

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
    def fetch_orders(self, updated_since):
        """Orders created since ``updated_since`` minus the look-back (all without it), by id."""
        params = {"orderby": "id"}
        if updated_since:
            since = updated_since.astimezone(UTC) - self.lookback
            params["min_create_date"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.client.collection("/orders", params)

    def fetch_order(self, external_id):
        return self.client.get(f"/orders/{int(external_id)}")

    def parse_order(self, payload):
        if not isinstance(payload.get("customer"), dict):  # a webhook notification
            payload = self.fetch_order(payload["id"])
        rows = (payload.get("orderrows") or {}).get("items")
        if rows is None:
            rows = list(self.client.collection(f"/orders/{int(payload['id'])}/orderrows"))
        customer = payload["customer"]
        email = (customer.get("email") or "").strip()
        billing = self._address(customer.get("billingaddress"), email)
        delivery = self._address(customer.get("deliveryaddress"), email)
        if not (delivery.street or delivery.zip or delivery.city):
            delivery = billing
        rows_gross = payload.get("order_row_taxes_included", True)
        return records.Order(
            external_id=str(payload["id"]),
            number=str(payload.get("ordernumber_full") or payload.get("ordernumber") or payload["id"]),
            state=str(payload["status"]),
            created_at=_timestamp(payload["create_date"]),
            currency=payload.get("currency") or "",
            total=_decimal(payload.get("total_price")),
            tax_total=_decimal(payload["total_tax"]) if payload.get("total_tax") is not None else None,
            customer=self._customer(customer, billing),
            billing=billing, shipping=delivery,
            lines=[self._row_line(row) for row in rows] + self._cost_lines(payload, rows_gross),
            prices_include_tax=bool(rows_gross),
            payment_method=payload.get("paymethod") or "",
            paid=bool(payload.get("paid")),
        )

    @staticmethod
    def _address(data, email):
        data = data or {}
        number = f"{data.get('housenumber') or ''}{data.get('housenumber_suffix') or ''}"
        street = data.get("address_line_1") or " ".join(part for part in (data.get("street"), number) if part)
        name = data.get("full_name") or " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part)
        return records.Address(
            name=name or "", company=data.get("company") or "", street=street or "",
            street2=data.get("address_line_2") or "", zip=data.get("zipcode") or "", city=data.get("city") or "",
            state=data.get("province") or "", country_code=(data.get("country_code") or "").upper(),
            phone=data.get("telephone") or data.get("mobile") or "", email=email)

    @staticmethod
    def _customer(customer, billing):
        """A company when CCV says b2b or the billing address names a company; else a person."""
        data = customer.get("billingaddress") or {}
        company = billing.company
        if customer.get("customertype") == "b2b" and not company:
            company = billing.name or customer.get("email") or ""
        return records.Customer(
            email=(customer.get("email") or "").strip(), first_name=data.get("first_name") or "",
            last_name=data.get("last_name") or "", company=company, vat=customer.get("btw") or "",
            phone=billing.phone, external_id=str(customer.get("id") or ""))

    @staticmethod
    def _row_line(row):
        options = ", ".join(f"{part.get('option_name')}: {part.get('value_name')}"
                            for part in row.get("attributes") or ())
        name = row.get("product_name") or row.get("sub_sku_number") or row.get("product_number") or ""
        return records.OrderLine(
            kind="product", name=f"{name} ({options})" if options else name,
            quantity=_decimal(row.get("count")),
            unit_price=_decimal(row.get("price")) - _decimal(row.get("discount")),
            tax_rate=None if row.get("tax") is None else _decimal(row["tax"]),
            sku=row.get("sub_sku_number") or row.get("product_number") or "",
            external_id=str(row.get("id") or ""))

    @staticmethod
    def _cost_lines(order, rows_gross):
        """Shipping, payment costs, extra costs and discounts: amounts at
        ``shipping_tax_percentage``, converted to the rows' tax basis when CCV reports them on
        another one (``shipping_taxes_included``)."""
        rate = _decimal(order.get("shipping_tax_percentage"))
        costs_gross = order.get("shipping_taxes_included", True)

        def amount(value):
            value = _decimal(value)
            if costs_gross and not rows_gross:
                value = value * 100 / (100 + rate)
            elif rows_gross and not costs_gross:
                value = value * (100 + rate) / 100
            return value

        candidates = (
            ("shipping", order.get("total_shipping"), order.get("deliver_method") or "shipping", "Shipping"),
            ("fee", order.get("paymethod_costs"), order.get("paymethod") or "paymethod_costs",
             f"Payment costs ({order['paymethod_label']})" if order.get("paymethod_label") else "Payment costs"),
            ("fee", order.get("extra_costs"), "extra_costs", order.get("extra_costs_description") or "Extra costs"),
            ("discount", order.get("total_discounts"), "total_discounts", "Discount"),
        )
        return [records.OrderLine(kind=kind, name=name, quantity=Decimal(1), unit_price=amount(value),
                                  tax_rate=rate, code=code)
                for kind, value, code, name in candidates if _decimal(value)]

    # -- products -----------------------------------------------------------------------------
    def fetch_products(self, updated_since=None):
        """Every product (newest change first when ``updated_since`` is given, stopping at the
        first one not modified since), each with its attribute combinations embedded."""
        params = {"orderby": "modifydate_desc"} if updated_since else {"orderby": "id"}
        for product in self.client.collection("/products", params):
            if updated_since and (_timestamp(product.get("modifydate")) or updated_since) < updated_since:
                return
            yield self._with_combinations(product)

    def _with_combinations(self, product):
        combinations = list(self.client.collection(f"/products/{int(product['id'])}/attributecombinations"))
        return {**product, "attributecombinations": {**(product.get("attributecombinations") or {}),
                                                     "items": combinations}}

    def parse_product(self, payload):
        if "price" not in payload:  # a webhook notification
            payload = self.client.get(f"/products/{int(payload['id'])}")
        if (payload.get("attributecombinations") or {}).get("items") is None:
            payload = self._with_combinations(payload)
        rate = _decimal(payload.get("vatrate"))
        price = self._net(_decimal(payload.get("price")), rate)
        weight = _decimal(payload["weight"]) if payload.get("weight") else None
        combinations = payload["attributecombinations"]["items"]
        if combinations:
            variants = [records.Variant(
                sku=combination.get("sku_number") or "",
                options={part["attribute"]["name"]: part["attribute_value"]["name"]
                         for part in combination.get("combination") or ()},
                price=price + _decimal(combination.get("netto_extra_price")),
                barcode=combination.get("ean_number") or "", weight=weight,
                external_id=f"{COMBINATION_PATH}/{combination['id']}",
                stock=_decimal(combination.get("stock")),
            ) for combination in combinations]
        else:
            variants = [records.Variant(
                sku=payload.get("productnumber") or "", price=price, barcode=payload.get("eannumber") or "",
                weight=weight, external_id=f"{PRODUCT_PATH}/{payload['id']}", stock=_decimal(payload.get("stock")))]
        return records.Product(
            external_id=str(payload["id"]), name=payload.get("name") or "", sku=payload.get("productnumber") or "",
            description=payload.get("description") or "", price=price, price_includes_tax=False,
            barcode=payload.get("eannumber") or "", weight=weight, category=payload.get("maincategory") or "",
            published=bool(payload.get("is_active", payload.get("active", True))), variants=variants,
            updated_at=_timestamp(payload.get("modifydate")))

    @staticmethod
    def _net(gross, rate):
        return (gross * 100 / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)

    @staticmethod
    def _gross(net, rate):
        return (net * (100 + rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)

    def export_product(self, product, external_id=None, publish=False):
        """Create (POST, ``active`` only when publishing) or update (PATCH) a CCV product; a
        product with the same ``productnumber`` found in the shop is updated instead of created
        twice.  Attribute combinations cannot be created through the API: the variants are
        matched by ``sku_number`` with the combinations the shop already has.  Never deletes."""
        if not external_id and product.sku:
            external_id = self._product_numbered(product.sku)
        if external_id:
            current = self.client.get(f"/products/{int(external_id)}")
            values = self._product_values(product, _decimal(current.get("vatrate")), creating=False)
            if values:
                self.client.patch(f"/products/{int(external_id)}", values)
        else:
            values = self._product_values(product, self.vat_rate, creating=True)
            values["active"] = bool(publish and product.published)
            external_id = self._create_product(values, product.sku)
        ids = {"": str(external_id)}
        skus = {variant.sku for variant in product.variants if variant.sku}
        if product.has_variants:
            for combination in self.client.collection(f"/products/{int(external_id)}/attributecombinations"):
                if combination.get("sku_number") in skus:
                    ids[combination["sku_number"]] = f"{COMBINATION_PATH}/{combination['id']}"
        else:
            ids.update({sku: f"{PRODUCT_PATH}/{external_id}" for sku in skus})
        return ids

    def _product_numbered(self, sku):
        """Id of the shop's product with ``productnumber`` ``sku``, or None."""
        existing = self.client.get("/products", params={"productnumber": sku})["items"]
        return str(existing[0]["id"]) if existing else None

    def _create_product(self, values, sku):
        """POST the product; after an uncertain answer it is looked up by product number and sent
        again only when absent (a product without a number cannot be looked up: the error stays)."""
        return str(create_once(lambda: self.client.post("/products", values)["id"],
                               (lambda: self._product_numbered(sku)) if sku else None))

    def _product_values(self, product, rate, creating):
        """CCV product fields of a canonical product (only those it carries)."""
        simple = product.variants[0] if len(product.variants) == 1 and not product.has_variants else None
        values = {"vatrate": float(rate)} if creating else {}
        if product.sku:
            values["productnumber"] = product.sku
        if product.name:
            values["name"] = product.name
        if product.description:
            values["description"] = records.description_html(product.description)
        if product.price is not None:
            values["price"] = float(self._gross(product.price, rate))
        elif creating:
            values["price"] = 0.0
        if product.category:
            values["maincategory"] = product.category
        barcode = product.barcode or (simple.barcode if simple else "")
        if barcode:
            values["eannumber"] = barcode
        weight = product.weight if product.weight is not None else (simple.weight if simple else None)
        if weight is not None:
            values["weight"] = float(weight)
        return values

    # -- stock --------------------------------------------------------------------------------
    def push_stock(self, levels):
        """PATCH the ``stock`` of each attribute combination, or of the product (with
        ``stockenabled``) for a product without variants; one result per level."""
        results = []
        for level in levels:
            resource, _sep, remote_id = (level.external_id or "").partition("/")
            if resource not in (PRODUCT_PATH, COMBINATION_PATH) or not remote_id.isdigit():
                results.append(records.PushResult(key=level.external_id or level.sku, ok=False,
                                                  message=f"Not a CCV variant id: {level.external_id!r}"))
                continue
            body = {"stock": _number(level.quantity)}
            if resource == PRODUCT_PATH:
                body["stockenabled"] = True
            try:
                self.client.patch(f"/{resource}/{remote_id}", body)
            except RemoteError as exc:
                results.append(records.PushResult(key=level.external_id, ok=False, message=str(exc)))
                continue
            results.append(records.PushResult(key=level.external_id, ok=True, external_id=level.external_id))
        return results

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
        existing = {(hook["event"], hook["address"]): hook for hook in self.client.collection("/webhooks")}
        topics = []
        for event in WEBHOOK_EVENTS:
            hook = existing.get((event, callback_url))
            if hook is None:
                hook = self.client.post("/webhooks", {"event": event, "address": callback_url, "is_active": True})
            elif not hook.get("is_active"):
                self.client.patch(f"/webhooks/{int(hook['id'])}", {"is_active": True})
            self.webhook_keys[str(hook["id"])] = {"event": event, "key": hook["key"]}
            topics.append((event, str(hook["id"])))
        return topics

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
