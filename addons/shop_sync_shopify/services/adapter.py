"""Shopify adapter: Admin GraphQL payloads <-> the hub's canonical records.

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
  discount allocations, so Odoo's total equals ``totalPriceSet`` to the cent.
* Refunds: ``Order.refunds`` is read (``ORDER_REFUNDS_QUERY``) only for an order with a
  ``totalRefundedSet``, so the order query keeps its cost.  A refund line's gross is its
  ``subtotalSet`` (plus ``totalTaxSet`` when prices exclude tax), a shipping refund's its
  ``subtotalAmountSet`` (plus ``taxAmountSet``); what lines leave of ``totalRefundedSet`` was refunded
  without lines.  Restocked: a line's ``restockType`` is RETURN, CANCEL or LEGACY_RESTOCK.  A
  ``refunds/create`` webhook names the order (``order_id``), which is read again.  ``CANCELLED``
  cancels an imported order.
* A variant is bound by its *inventory item* gid: the stock export writes inventory item levels,
  and the location is the backend's (``location_id``, default the shop's primary location).
"""

import re
import time
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

from odoo.addons.shop_sync_base.services import records
from odoo.addons.shop_sync_base.services.adapter import ShopAdapter, WebhookRejected
from odoo.addons.shop_sync_base.services.http import RemoteError, create_once
from odoo.addons.shop_sync_base.services.signatures import hmac_base64, same

from . import queries
from .client import ShopifyClient

CENT = Decimal("0.01")
# stamped on each product the hub creates: after an uncertain productCreate (no SKU yet, the
# variants come next) it is how the product is found again
CREATED_TAG = "shop-sync:{sku}"
ORDER_STATES = [
    ("PENDING", "Payment pending"),
    ("AUTHORIZED", "Payment authorized"),
    ("PARTIALLY_PAID", "Partially paid"),
    ("PAID", "Paid"),
    ("PARTIALLY_REFUNDED", "Partially refunded"),
    ("REFUNDED", "Refunded"),
    ("VOIDED", "Voided"),
    ("EXPIRED", "Expired"),
    ("CANCELLED", "Cancelled"),
]
DEFAULT_ALLOWED_STATES = ["PAID", "PARTIALLY_REFUNDED"]
PAID_STATES = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})
WEBHOOK_TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "REFUNDS_CREATE", "PRODUCTS_CREATE", "PRODUCTS_UPDATE")
ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/paid", "orders/cancelled",
                          "orders/fulfilled", "orders/partially_fulfilled", "orders/edited"})
REFUND_TOPIC = "refunds/create"  # the payload is a refund: its order is read again
RESTOCKING = frozenset({"RETURN", "CANCEL", "LEGACY_RESTOCK"})
PRODUCT_TOPICS = frozenset({"products/create", "products/update"})
DEFAULT_OPTION = ("Title", "Default Title")
KILOGRAMS_PER = {"KILOGRAMS": Decimal(1), "GRAMS": Decimal("0.001"), "POUNDS": Decimal("0.45359237"),
                 "OUNCES": Decimal("0.028349523125")}
VAT_ATTRIBUTES = ("vat_number", "vat", "vat_id")
STALE = "COMPARE_QUANTITY_STALE"

FIELD_MAPPING = (
    ("Order.name", "Sale order: Customer reference, Shop order number", "#1001"),
    ("Order.displayFinancialStatus / cancelledAt", "Shop order state",
     "CANCELLED when cancelled, else the financial status; checked against the allowed states"),
    ("Order.presentmentCurrencyCode", "Currency / pricelist", "the buyer's currency (multi-currency orders)"),
    ("Order.createdAt", "Order date", ""),
    ("Order.email, customer.firstName/lastName/phone", "Customer (matched by e-mail)", ""),
    ("billingAddress.company / customer.defaultAddress.company", "Company of the customer",
     "empty: a private person"),
    ("Order.customAttributes vat_number", "Company VAT number", ""),
    ("billingAddress / shippingAddress (countryCodeV2)", "Invoice / delivery address", ""),
    ("Order.paymentGatewayNames[0]", "Shop payment method", "payment method mapping"),
    ("lineItems.sku, quantity", "Order line product (by Internal reference), quantity", ""),
    ("lineItems.discountedUnitPriceSet.presentmentMoney", "Order line unit price",
     "VAT included when Order.taxesIncluded"),
    ("lineItems.taxLines.ratePercentage", "Order line taxes",
     "the buyer's fiscal position, checked against this rate; or the tax mapping"),
    ("Order.processedAt (paid orders)", "Accounting date", "when the backend dates by payment"),
    ("lineItems without variant and SKU", "Fee line", "e.g. gift wrapping, custom items"),
    ("shippingLines.code / title, originalPriceSet", "Shipping line", "shipping method mapping"),
    ("totalDiscountsSet minus line-level discounts", "Discount lines", "one per VAT rate"),
    ("totalPriceSet.presentmentMoney", "Checked against the order total", "to the cent"),
    ("Product.title", "Product name", ""),
    ("Product.descriptionHtml", "Sales description", ""),
    ("Product.productType", "Product category", ""),
    ("Product.status = ACTIVE", "Can be sold", "DRAFT / ARCHIVED: not for sale"),
    ("ProductVariant.sku", "Internal reference", "products are matched by SKU"),
    ("ProductVariant.selectedOptions", "Attribute values", "none for the 'Default Title' variant"),
    ("ProductVariant.price", "Sales price", ""),
    ("ProductVariant.barcode", "Barcode", ""),
    ("inventoryItem.measurement.weight", "Weight (kg)", "0 is treated as not set"),
    ("inventoryItem.id + backend location", "Variant binding / stock level",
     "inventorySetQuantities 'available' with compareQuantity"),
)


# fulfillment orders that can still ship, and fulfillments that stand (FulfillmentOrderStatus /
# FulfillmentStatus in the 2025-01 schema)
FULFILLABLE_STATUSES = ("OPEN", "IN_PROGRESS")
LIVE_FULFILLMENT_STATUSES = ("PENDING", "OPEN", "SUCCESS")


def _topic_name(topic):
    """``ORDERS_CREATE`` -> ``orders/create``, as the X-Shopify-Topic header names it."""
    return topic.lower().replace("_", "/", 1)


class ShopifyAdapter(ShopAdapter):
    """The hub's view of one Shopify shop.  ``config``: url, access_token, webhook_secret (the app's
    API secret), location_id.  ``notify(flow, ref, external_id, reason, message)`` receives notes
    worth a log line that are not failures (e.g. stock changed in Shopify and set again)."""

    FIELD_MAPPING = FIELD_MAPPING
    WEBHOOK_TOPICS = tuple(_topic_name(topic) for topic in WEBHOOK_TOPICS)
    TAX_ROUNDING = "round_per_line"  # each line's tax lines are rounded on their own
    #: how the client waits for the throttle bucket and Retry-After; tests replace it (a staticmethod)
    sleep = staticmethod(time.sleep)

    def __init__(self, backend_config, notify=None):
        super().__init__(backend_config)
        self.client = ShopifyClient(backend_config["url"], backend_config["access_token"], sleep=self.sleep)
        self.notify = notify or (lambda *args, **kwargs: None)
        self._location = backend_config.get("location_id") or None

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
    def fetch_orders(self, updated_since):
        variables = {"query": f"updated_at:>'{_iso(updated_since)}'" if updated_since else None}
        for node in self.client.paginate(queries.ORDERS_QUERY, variables, ("orders",), queries.ORDER_PAGE_SIZE):
            yield self._with_refunds(self._with_all_lines(node))

    def fetch_order(self, external_id):
        node = self.client.execute(queries.ORDER_QUERY, {"id": external_id}).get("order")
        return node and self._with_refunds(self._with_all_lines(node))

    def _with_refunds(self, node):
        """The order node with its refunds, read only when the order has a refunded amount."""
        if "refunds" not in node and _money(node.get("totalRefundedSet") or {"presentmentMoney": {"amount": 0}}):
            node["refunds"] = self.client.execute(queries.ORDER_REFUNDS_QUERY, {"id": node["id"]})["order"]["refunds"]
        return node

    def _with_all_lines(self, node):
        """The order node with every line item (the list query reads the first page only)."""
        connection = node["lineItems"]
        if connection["pageInfo"]["hasNextPage"]:
            connection["nodes"] = connection["nodes"] + list(self.client.paginate(
                queries.ORDER_LINE_ITEMS_QUERY, {"id": node["id"]}, ("order", "lineItems"),
                queries.MORE_LINES_PAGE_SIZE, after=connection["pageInfo"]["endCursor"]))
            connection["pageInfo"] = {"hasNextPage": False, "endCursor": None}
        return node

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
            updated_at=_datetime(node["updatedAt"]), currency=currency,
            total=_money(node["totalPriceSet"]),
            customer=records.Customer(
                email=node.get("email") or customer.get("email") or "",
                first_name=customer.get("firstName") or _first_name(node.get("billingAddress")),
                last_name=customer.get("lastName") or _last_name(node.get("billingAddress")),
                company=company, phone=customer.get("phone") or node.get("phone") or billing.phone,
                vat=next((attributes[key] for key in VAT_ATTRIBUTES if attributes.get(key)), ""),
                external_id=customer.get("id") or ""),
            billing=billing, shipping=shipping, lines=self._order_lines(node),
            prices_include_tax=bool(node["taxesIncluded"]),
            payment_method=(node.get("paymentGatewayNames") or [""])[0] or "",
            paid=node["displayFinancialStatus"] in PAID_STATES, note=node.get("note") or "",
            # Shopify processes an order when its payment is taken; unpaid orders have no payment date
            paid_at=_datetime(node["processedAt"]) if node["displayFinancialStatus"] in PAID_STATES
            and node.get("processedAt") else None,
            refunds=self._refunds(self._with_refunds(node)),
        )

    @staticmethod
    def _refunds(node):
        """Refunds as records: a line's gross is its subtotal (plus its tax when prices exclude tax); what
        the lines and shipping lines leave of ``totalRefundedSet`` was refunded without lines."""
        taxed = not node["taxesIncluded"]
        result = []
        for refund in node.get("refunds") or []:
            lines = [records.RefundLine(
                kind="product", quantity=Decimal(item["quantity"]), name=(item.get("lineItem") or {}).get("name") or "",
                amount=_money(item["subtotalSet"]) + (_money(item["totalTaxSet"]) if taxed else 0),
                line_external_id=(item.get("lineItem") or {}).get("id") or "",
                sku=(item.get("lineItem") or {}).get("sku") or "") for item in refund["refundLineItems"]["nodes"]]
            lines += [records.RefundLine(
                kind="shipping", name=(item.get("shippingLine") or {}).get("title") or "",
                amount=_money(item["subtotalAmountSet"]) + (_money(item["taxAmountSet"]) if taxed else 0),
                line_external_id=(item.get("shippingLine") or {}).get("id") or "")
                for item in refund["refundShippingLines"]["nodes"]]
            result.append(records.Refund(
                external_id=refund["id"], order_external_id=node["id"], created_at=_datetime(refund["createdAt"]),
                amount=_money(refund["totalRefundedSet"]), lines=lines, reason=refund.get("note") or "",
                restock=any(item["restockType"] in RESTOCKING for item in refund["refundLineItems"]["nodes"])))
        return result

    def _order_lines(self, node):
        lines = []
        line_level = Decimal(0)  # discounts already inside discountedUnitPriceSet
        allocated = {}  # VAT rate -> order-level discount allocated to lines of that rate
        allocated_tax = {}  # VAT rate -> the tax that discount took off those lines (taxed per line)
        included = bool(node["taxesIncluded"])
        for item in node["lineItems"]["nodes"]:
            quantity = Decimal(item["quantity"])
            unit_price = _money(item["discountedUnitPriceSet"])
            in_price = (_money(item["originalUnitPriceSet"]) - unit_price) * quantity
            rate = _rate(item["taxLines"])
            line_level += in_price
            share = max(_allocated(item) - in_price, Decimal(0))
            allocated[rate] = allocated.get(rate, Decimal(0)) + share
            allocated_tax[rate] = allocated_tax.get(rate, Decimal(0)) + _reduced_tax(
                unit_price * quantity, share, rate, included)
            lines.append(records.OrderLine(
                kind="product" if item.get("variant") or item.get("sku") else "fee", name=item["name"],
                quantity=quantity, unit_price=unit_price, tax_rate=rate, sku=item.get("sku") or "",
                external_id=item["id"]))
        for item in node["shippingLines"]["nodes"]:
            rate = _rate(item["taxLines"])
            allocated[rate] = allocated.get(rate, Decimal(0)) + _allocated(item)
            allocated_tax[rate] = allocated_tax.get(rate, Decimal(0)) + _reduced_tax(
                _money(item["originalPriceSet"]), _allocated(item), rate, included)
            lines.append(records.OrderLine(
                kind="shipping", name=item["title"] or item["code"] or "Shipping", quantity=Decimal(1),
                unit_price=_money(item["originalPriceSet"]), tax_rate=rate, code=item["code"] or item["title"] or "",
                external_id=item["id"]))
        discount = _money(node["totalDiscountsSet"]) - line_level
        if discount > 0:
            label = " ".join(["Discount", *(node.get("discountCodes") or [])])
            lines += _discount_lines(discount, allocated, lines, label, allocated_tax)
        return lines

    # -- products -----------------------------------------------------------------------------
    def fetch_products(self, updated_since=None):
        variables = {"query": f"updated_at:>'{_iso(updated_since)}'" if updated_since else None}
        for node in self.client.paginate(queries.PRODUCTS_QUERY, variables, ("products",),
                                         queries.PRODUCT_PAGE_SIZE):
            yield self._with_all_variants(node)

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
            barcode=first.barcode if simple else "", weight=first.weight if simple else None,
            category=node.get("productType") or "", published=node["status"] == "ACTIVE",
            variants=variants, updated_at=_datetime(node["updatedAt"]),
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

    def export_product(self, product, external_id=None, publish=False):
        """Create (as DRAFT, or ACTIVE when publishing) or update a product; never deletes.

        A product whose SKUs Shopify already knows is updated, not created again (check before
        create: a lost answer or a failed variant step must not make a duplicate).  The status of
        an existing product is left to the merchant.  Returns ``{sku: inventory item gid, "": product gid}``.
        """
        variants = product.variants or [records.Variant(
            sku=product.sku, price=product.price, barcode=product.barcode, weight=product.weight)]
        external_id = external_id or self._product_with_skus([variant.sku for variant in variants])
        if external_id:
            return self._update_product(product, variants, external_id)
        return self._create_product(product, variants, publish and product.published)

    def _product_with_skus(self, skus):
        query = " OR ".join(f"sku:{_search_value(sku)}" for sku in skus if sku)
        if not query:
            return None
        nodes = self.client.execute(queries.VARIANTS_BY_SKU_QUERY, {"query": query})["productVariants"]["nodes"]
        return next((node["product"]["id"] for node in nodes if node["sku"] in skus), None)

    def _create_product(self, product, variants, publish):
        """productCreate, then the variants; an uncertain answer to either step is looked up (the
        product by its creation tag, the variants by SKU) and repeated only when it was not applied."""
        options = _options(variants)
        tag = CREATED_TAG.format(sku=next((variant.sku for variant in variants if variant.sku), ""))
        product_input = {"title": product.name, "status": "ACTIVE" if publish else "DRAFT", "tags": [tag],
                         **_product_fields(product)}
        if options:
            product_input["productOptions"] = [
                {"name": name, "values": [{"name": value} for value in values]} for name, values in options.items()]
        created = create_once(
            lambda: self._mutate(queries.PRODUCT_CREATE, "productCreate", {"product": product_input})["product"],
            lambda: self._product_tagged(tag))
        product_id = created["id"]
        if options:
            inputs = [self._variant_input(variant, create=True) for variant in variants]
            items = self._create_variants(product_id, variants, inputs, "REMOVE_STANDALONE_VARIANT")
        else:  # Shopify made the default variant: give it the SKU, price... (an update by id: repeatable)
            standalone = created["variants"]["nodes"][0]["id"]
            items = _inventory_items(self._mutate(queries.PRODUCT_VARIANTS_BULK_UPDATE, "productVariantsBulkUpdate", {
                "productId": product_id, "variants": [{"id": standalone, **self._variant_input(variants[0])}]},
                repeatable=True)["productVariants"])
        return {**items, "": product_id}

    def _product_tagged(self, tag):
        """The product carrying the creation tag ``tag`` (id and first variant), or None."""
        nodes = self.client.execute(queries.PRODUCTS_BY_TAG_QUERY,
                                    {"query": f"tag:{_search_value(tag)}"})["products"]["nodes"]
        return next((node for node in nodes if tag in node["tags"]), None)

    def _create_variants(self, product_id, variants, inputs, strategy):
        """productVariantsBulkCreate; after an uncertain answer the product's variants are read and
        the mutation repeated only if its SKUs are not there.  Returns ``{sku: inventory item gid}``."""
        variables = {"productId": product_id, "variants": inputs, "strategy": strategy}
        skus = {variant.sku for variant in variants if variant.sku}

        def find():
            found = _inventory_items((self.fetch_product(product_id) or {"variants": {"nodes": []}})["variants"]["nodes"])
            return found if skus <= set(found) else None

        return create_once(lambda: _inventory_items(self._mutate(
            queries.PRODUCT_VARIANTS_BULK_CREATE, "productVariantsBulkCreate", variables)["productVariants"]), find)

    def _update_product(self, product, variants, product_id):
        product_input = _product_fields(product)
        if product.name:
            product_input["title"] = product.name
        if product_input:
            self._mutate(queries.PRODUCT_UPDATE, "productUpdate", {"product": {"id": product_id, **product_input}},
                         repeatable=True)
        node = self.fetch_product(product_id)
        if not node:
            raise RemoteError(f"Product {product_id} no longer exists in Shopify.")
        existing = {item["sku"]: item for item in node["variants"]["nodes"] if item["sku"]}
        ids = {sku: item["inventoryItem"]["id"] for sku, item in existing.items()}
        updates = [{"id": existing[variant.sku]["id"], **self._variant_input(variant)}
                   for variant in variants if variant.sku in existing]
        new = [self._variant_input(variant, create=True) for variant in variants if variant.sku not in existing]
        if updates:
            self._mutate(queries.PRODUCT_VARIANTS_BULK_UPDATE, "productVariantsBulkUpdate",
                         {"productId": product_id, "variants": updates}, repeatable=True)
        if new:
            ids.update(self._create_variants(product_id, [v for v in variants if v.sku not in existing], new,
                                             "DEFAULT"))
        return {**{variant.sku: ids[variant.sku] for variant in variants if variant.sku in ids}, "": product_id}

    def _variant_input(self, variant, create=False):
        data = {}
        if variant.price is not None:
            data["price"] = str(Decimal(variant.price).quantize(CENT))
        if variant.barcode:
            data["barcode"] = variant.barcode
        item = {"sku": variant.sku}
        if variant.weight is not None:
            item["measurement"] = {"weight": {"value": float(variant.weight), "unit": "KILOGRAMS"}}
        if create:
            item["tracked"] = True
            data["inventoryQuantities"] = [{"locationId": self.location_id(), "availableQuantity": 0}]
            if variant.options:
                data["optionValues"] = [{"optionName": name, "name": str(value)}
                                        for name, value in variant.options.items()]
        data["inventoryItem"] = item
        return data

    def _mutate(self, document, name, variables, repeatable=False):
        """Run a mutation (``repeatable``: safe to send again after a 5xx); userErrors become a RemoteError."""
        result = self.client.execute(document, variables, repeatable=repeatable)[name]
        errors = result.get("userErrors") or []
        if errors:
            raise RemoteError("; ".join(_user_error(error) for error in errors), status=200)
        return result

    # -- stock --------------------------------------------------------------------------------
    def push_stock(self, levels):
        """Set ``available`` at the backend's location with compare-and-set.

        ``compareQuantity`` is the last value pushed (``StockLevel.previous``); without one the
        level is set unconditionally.  When Shopify says the compare value is stale (sold or edited
        in Shopify since the last push), the level is read again, set with the fresh value as
        compare, and the difference reported through ``notify``; a second stale answer (changed
        again meanwhile) is a failure the next run retries.
        """
        location = self.location_id()
        results, pushes = [], []
        for level in levels:
            key = level.external_id or level.sku
            item_id = level.external_id if _gid_type(level.external_id) == "InventoryItem" else \
                self._inventory_item_by_sku(level.sku)
            if not item_id:
                results.append(records.PushResult(key=key, ok=False,
                                                  message=f"No Shopify variant has the SKU {level.sku!r}."))
                continue
            quantity = int(Decimal(level.quantity).to_integral_value(ROUND_DOWN))
            compare = None if level.previous is None else int(Decimal(level.previous).to_integral_value(ROUND_DOWN))
            pushes.append(_Push(level, key, item_id, quantity, compare))
        for checked in (False, True):
            batch = [push for push in pushes if (push.compare is not None) == checked]
            for start in range(0, len(batch), queries.STOCK_BATCH_SIZE):
                results += self._set_quantities(batch[start:start + queries.STOCK_BATCH_SIZE], location, checked)
        return results

    def _inventory_item_by_sku(self, sku):
        if not sku:
            return None
        nodes = self.client.execute(queries.VARIANTS_BY_SKU_QUERY,
                                    {"query": f"sku:{_search_value(sku)}"})["productVariants"]["nodes"]
        return next((node["inventoryItem"]["id"] for node in nodes if node["sku"] == sku), None)

    def _set_quantities(self, pushes, location, checked):
        results, pending = [], list(pushes)
        while pending:
            errors = self._send_quantities(pending, location, checked)
            if not errors:
                results += [push.result() for push in pending]
                for push in pending:
                    if push.shop_quantity is not None:
                        self.notify("stock_export", push.level.sku, push.item_id, "Stock changed in Shopify", (
                            f"Shopify had {push.shop_quantity} available where {push.level.previous} was last pushed "
                            f"(sold or edited in Shopify since); set to {push.quantity}."))
                return results
            failed, stale = {}, []
            for error in errors:
                index = _quantity_index(error)
                if index is None or index >= len(pending):  # not about one level: all fail
                    return results + [push.result(_user_error(error)) for push in pending]
                push = pending[index]
                if error.get("code") == STALE and push.shop_quantity is None:
                    stale.append(push)
                elif error.get("code") == STALE:
                    failed[push] = (f"Stock changed in Shopify again while it was being set to {push.quantity} "
                                    "(compareQuantity stale twice); the next export retries.")
                else:
                    failed[push] = _user_error(error)
            results += [push.result(message) for push, message in failed.items()]
            done = []
            if stale:
                current = self._available(location, [push.item_id for push in stale])
                for push in stale:
                    if push in failed:
                        continue
                    if current.get(push.item_id) is None:
                        failed[push] = "The item is not stocked at the backend's Shopify location."
                        results.append(push.result(failed[push]))
                    elif current[push.item_id] == push.quantity:  # e.g. an earlier attempt got through
                        done.append(push)
                        results.append(push.result())
                    else:
                        push.shop_quantity = push.compare = current[push.item_id]
            pending = [push for push in pending if push not in failed and push not in done]
        return results

    def _send_quantities(self, pushes, location, checked):
        quantities = [{"inventoryItemId": push.item_id, "locationId": location, "quantity": push.quantity,
                       **({"compareQuantity": push.compare} if checked else {})} for push in pushes]
        result = self.client.execute(queries.INVENTORY_SET_QUANTITIES, {"input": {
            "name": "available", "reason": "correction", "ignoreCompareQuantity": not checked,
            "quantities": quantities}})["inventorySetQuantities"]
        return result.get("userErrors") or []

    def _available(self, location, item_ids):
        """``{inventory item gid: available quantity at location}`` (None: not stocked there)."""
        nodes = self.client.execute(queries.INVENTORY_LEVELS_QUERY,
                                    {"ids": item_ids, "locationId": location})["nodes"]
        current = {}
        for node in nodes:
            if node and node.get("id"):
                level = node.get("inventoryLevel") or {}
                current[node["id"]] = next((quantity["quantity"] for quantity in level.get("quantities") or []
                                            if quantity["name"] == "available"), None)
        return current

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
        """Subscribe the order and product topics to ``callback_url``; existing ones are kept."""
        existing = {node["topic"]: node["id"] for node in self._subscriptions(callback_url)}
        registered = []
        for topic in WEBHOOK_TOPICS:
            if topic not in existing:
                result = self._mutate(queries.WEBHOOK_SUBSCRIPTION_CREATE, "webhookSubscriptionCreate", {
                    "topic": topic, "webhookSubscription": {"callbackUrl": callback_url, "format": "JSON"}})
                existing[topic] = result["webhookSubscription"]["id"]
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


class _Push:
    """One stock level on its way to Shopify."""

    def __init__(self, level, key, item_id, quantity, compare):
        self.level, self.key, self.item_id, self.quantity, self.compare = level, key, item_id, quantity, compare
        self.shop_quantity = None  # what Shopify had when a stale compare made us read it

    def result(self, error=None):
        return records.PushResult(key=self.key, ok=error is None, external_id=self.item_id, message=error or "")


# -- helpers ------------------------------------------------------------------------------------
def _fulfillment_order_items(fulfilment, open_orders):
    """``lineItemsByFulfillmentOrder`` shipping exactly the fulfilment's quantities from the open
    fulfillment orders' remaining ones; RemoteError when Shopify has less left to ship."""
    groups = {}
    for line in fulfilment.lines:
        needed = line.quantity
        if needed != needed.to_integral_value():
            raise RemoteError(f"Shopify ships whole units: {line.sku or line.external_id} has {needed}.")
        for node in open_orders:
            for item in node["lineItems"]["nodes"]:
                same = (item["lineItem"]["id"] == line.external_id if line.external_id
                        else (item["lineItem"]["sku"] or "") == line.sku)
                take = min(needed, Decimal(item["remainingQuantity"])) if same else 0
                if take > 0:
                    groups.setdefault(node["id"], []).append({"id": item["id"], "quantity": int(take)})
                    needed -= take
        if needed > 0:
            raise RemoteError(f"Shopify has {line.quantity - needed} of {line.sku or line.external_id} left to fulfil, "
                              f"the delivery ships {line.quantity}.")
    return [{"fulfillmentOrderId": node_id, "fulfillmentOrderLineItems": items} for node_id, items in groups.items()]


def _is_graphql(payload):
    return str(payload.get("id", "")).startswith("gid://")


def _gid(payload, type_name):
    """The gid of a GraphQL node or of a REST payload (``admin_graphql_api_id`` or numeric id)."""
    if _is_graphql(payload):
        return payload["id"]
    if payload.get("admin_graphql_api_id"):
        return payload["admin_graphql_api_id"]
    return f"gid://shopify/{type_name}/{payload['id']}" if payload.get("id") else None


def _gid_type(value):
    match = re.match(r"gid://shopify/(\w+)/", value or "")
    return match.group(1) if match else None


def _product_ref(payload):
    """The SKU of a simple product, else its title (GraphQL node or REST payload)."""
    variants = payload.get("variants") or []
    if isinstance(variants, dict):
        variants = variants.get("nodes") or []
    if len(variants) == 1 and variants[0].get("sku"):
        return variants[0]["sku"]
    return payload.get("title")


def _header(headers, name):
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _datetime(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(bag):
    return Decimal(str(bag["presentmentMoney"]["amount"]))


def _allocated(item):
    return sum((_money(allocation["allocatedAmountSet"]) for allocation in item.get("discountAllocations") or []),
               Decimal(0))


def _rate(tax_lines):
    """The VAT rate in percent of a line; no tax line means no VAT was charged (0)."""
    return sum((Decimal(str(line["ratePercentage"])) for line in tax_lines or []), Decimal(0)).normalize()


def _reduced_tax(amount, reduction, rate, included):
    """The tax ``reduction`` takes off a line of ``amount``: Shopify taxes each line after its discounts, rounded
    per line, so the discount's tax is the difference of two rounded line taxes (not the tax of the discount)."""
    def tax(value):
        return (value * rate / (100 + rate) if included else value * rate / 100).quantize(CENT)
    return tax(amount) - tax(amount - reduction)


def _discount_lines(amount, allocated, lines, label="Discount", allocated_tax=None):
    """Discount lines for ``amount``, one per VAT rate in proportion to the allocations; a line that takes
    exactly its rate's allocation carries the tax that allocation took off (``allocated_tax``)."""
    weights = {rate: value for rate, value in allocated.items() if value > 0}
    if not weights:  # no allocation to go by: the rate of the largest line
        largest = max((line for line in lines if line.kind != "shipping"), default=None,
                      key=lambda line: line.quantity * line.unit_price)
        weights = {largest.tax_rate if largest else Decimal(0): Decimal(1)}
    total = sum(weights.values())
    shares, rest = {}, amount
    for index, (rate, weight) in enumerate(sorted(weights.items())):
        share = rest if index == len(weights) - 1 else (amount * weight / total).quantize(CENT)
        shares[rate], rest = share, rest - share
    return [records.OrderLine(kind="discount", name=label if len(shares) == 1 else f"{label} ({rate}% VAT)",
                              quantity=Decimal(1), unit_price=share, tax_rate=rate,
                              tax_amount=(allocated_tax or {}).get(rate) if share == allocated.get(rate) else None)
            for rate, share in shares.items() if share]


def _address(node, email=None):
    node = node or {}
    return records.Address(
        name=node.get("name") or "", company=node.get("company") or "", street=node.get("address1") or "",
        street2=node.get("address2") or "", zip=node.get("zip") or "", city=node.get("city") or "",
        state=node.get("province") or "", country_code=node.get("countryCodeV2") or "",
        phone=node.get("phone") or "", email=email or "")


def _first_name(address):
    return (address or {}).get("firstName") or ""


def _last_name(address):
    return (address or {}).get("lastName") or ""


def _variant(node):
    weight = ((node.get("inventoryItem") or {}).get("measurement") or {}).get("weight") or {}
    kilograms = None
    if weight.get("value"):
        kilograms = (Decimal(str(weight["value"])) * KILOGRAMS_PER.get(weight.get("unit"), Decimal(1))).normalize()
    options = {option["name"]: option["value"] for option in node.get("selectedOptions") or []
               if (option["name"], option["value"]) != DEFAULT_OPTION}
    return records.Variant(
        sku=node.get("sku") or "", options=options, price=Decimal(str(node["price"])) if node.get("price") else None,
        barcode=node.get("barcode") or "", weight=kilograms,
        external_id=(node.get("inventoryItem") or {}).get("id") or "")


def _options(variants):
    """``{option name: [values]}`` of the variants, in order (empty for a simple product)."""
    options = {}
    for variant in variants:
        for name, value in variant.options.items():
            values = options.setdefault(name, [])
            if str(value) not in values:
                values.append(str(value))
    return options


def _product_fields(product):
    """Product input fields carried by the record (empty ones are not allowed by the export rules)."""
    fields = {}
    if product.description:
        fields["descriptionHtml"] = records.description_html(product.description)
    if product.category:
        fields["productType"] = product.category
    return fields


def _inventory_items(variants):
    return {variant["sku"]: variant["inventoryItem"]["id"] for variant in variants or [] if variant.get("sku")}


def _search_value(value):
    """A value for Shopify's search syntax, quoted when it contains spaces or quotes."""
    return value if re.fullmatch(r"[\w.\-/]+", value) else '"' + value.replace('"', '\\"') + '"'


def _quantity_index(error):
    field = error.get("field") or []
    if len(field) >= 3 and field[:2] == ["input", "quantities"] and str(field[2]).isdigit():
        return int(field[2])
    return None


def _user_error(error):
    field = ".".join(str(part) for part in error.get("field") or [])
    code = f" [{error['code']}]" if error.get("code") else ""
    return f"{field}: {error['message']}{code}" if field else f"{error['message']}{code}"
