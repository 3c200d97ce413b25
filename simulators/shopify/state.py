"""In-memory state of one simulated Shopify shop, and the shop-side operations that change it.

Every record is a plain dict in a dict keyed by its GraphQL gid (``gid://shopify/Order/6000000000123``);
insertion order is id order.  Numeric ids come from one shop-wide sequence starting above 2**32, as
real Shopify ids do.  Timestamps are aware UTC datetimes, money is ``Decimal``.

``locations``      id, legacy_id, name, address (``address()`` keys), active, created_at, updated_at
``customers``      id, legacy_id, email, first_name, last_name, phone, company, vat_number,
                   address (``address()`` keys + id), tags, note, created_at, updated_at
``products``       id, legacy_id, title, handle, description_html, product_type, vendor,
                   status (ACTIVE/DRAFT/ARCHIVED), tags, options [{id, name, position, values,
                   value_ids {value: gid}}], variant_ids, created_at, updated_at, published_at
``variants``       id, legacy_id, product_id, title, sku, barcode, price, compare_at_price, position,
                   options {option name: value}, taxable, inventory_policy (DENY/CONTINUE),
                   inventory_item_id, created_at, updated_at
``inventory_items`` id, legacy_id, variant_id, tracked, requires_shipping, weight, weight_unit,
                   created_at, updated_at
``inventory``      (inventory item gid, location gid) -> {quantity name: int, ..., created_at, updated_at};
                   on_hand = available + committed + reserved + damaged + safety_stock + quality_control
``orders``         id, legacy_id, number, name (#1001), state (neutral), financial_status,
                   fulfillment_status, created_at, updated_at, processed_at, cancelled_at,
                   cancel_reason, closed_at, email, phone, customer_id, currency (presentment),
                   exchange_rate (shop currency per unit), billing_address, shipping_address,
                   line_items [{id, legacy_id, title, variant_title, sku, quantity, unit_price,
                   tax_rate, discount, taxable, requires_shipping, vendor, variant_id, product_id}],
                   shipping_lines [{id, legacy_id, title, code, price, tax_rate}], discount_code,
                   discount_amount, gateway, tags, note, note_attributes [{name, value}],
                   inventory_effect (None/committed/fulfilled), refunds [{id, legacy_id, created_at,
                   note, lines [{id, legacy_id, line_id, quantity, restock_type}], shipping [{id,
                   legacy_id, shipping_line_id}], adjustments [{id, legacy_id, amount, reason}],
                   amount (gross refunded, lines + shipping - the adjustments)}]
``webhook_subscriptions`` id, legacy_id, topic (enum name), callback_url, format, include_fields,
                   filter, created_at, updated_at
``collections``    id, legacy_id, title, handle, rules (None: a custom collection, its products in
                   product_ids in the order added; else a smart one: [(column, relation, condition)]
                   with applied_disjunctively), created_at, updated_at

Order amounts are VAT-inclusive, in the presentment currency; ``pricing`` derives taxes and totals.
"""

import re
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from .fulfillments import follow_order_state, open_fulfillment_orders
from .pricing import EXCHANGE_RATES, SHOP_CURRENCY, allocate, line_total, order_totals

ID_START = 6_000_000_000_001
DEFAULT_LOCATION = "Main warehouse"
DEFAULT_OPTION = ("Title", "Default Title")
FEE_TITLE = "Gift wrapping"
QUANTITY_NAMES = (
    "available", "on_hand", "committed", "reserved", "incoming", "damaged", "safety_stock", "quality_control",
)
COUNTRY_NAMES = {
    "DK": "Denmark", "DE": "Germany", "NL": "Netherlands", "SE": "Sweden", "US": "United States", "NO": "Norway",
}
GATEWAYS = {"card": "shopify_payments", "mobilepay": "MobilePay", "invoice": "Invoice", "bank_transfer": "Bank Deposit"}
# neutral order state -> (displayFinancialStatus, displayFulfillmentStatus or None to keep, closed, cancelled)
ORDER_STATUS = {
    "pending": ("PENDING", "UNFULFILLED", False, False),
    "paid": ("PAID", "UNFULFILLED", False, False),
    "shipped": ("PAID", "FULFILLED", False, False),
    "completed": ("PAID", "FULFILLED", True, False),
    "cancelled": ("VOIDED", "UNFULFILLED", True, True),
    "refunded": ("REFUNDED", None, True, False),
}
# what an order in each state does to stock: reserve it (committed) or take it out (fulfilled)
INVENTORY_EFFECT = {
    "pending": "committed", "paid": "committed", "shipped": "fulfilled", "completed": "fulfilled",
    "cancelled": None, "refunded": None,
}
PRODUCT_FIELDS = ("title", "handle", "description_html", "product_type", "vendor", "status", "tags")
VARIANT_FIELDS = ("sku", "barcode", "price", "compare_at_price", "taxable", "inventory_policy")
ITEM_FIELDS = ("tracked", "requires_shipping", "weight", "weight_unit")
SEED_HISTORY = timedelta(days=30)  # seeded products and customers exist this long before the first order


class ShopState:
    """Records of one shop.  ``now()`` gives the current aware datetime; ``emit(topic, subject)`` is
    called for every webhook-worthy change (subject: the record, or ``(item id, location id)`` for
    inventory levels) unless muted."""

    def __init__(self, now, emit, shop_domain):
        self.now = now
        self._emit = emit
        self.muted = False
        self._next_id = ID_START
        created = now()
        self.shop = {
            "id": "gid://shopify/Shop/1", "name": "Demo Shop", "email": f"owner@{shop_domain}",
            "domain": shop_domain, "currency": SHOP_CURRENCY, "timezone": "Europe/Copenhagen",
            "country_code": "DK", "created_at": created,
        }
        self.locations = {}
        self.customers = {}
        self.products = {}
        self.variants = {}
        self.inventory_items = {}
        self.inventory = {}
        self.orders = {}
        self.fulfillment_orders = {}  # see fulfillments.py
        self.fulfillments = {}
        self.webhook_subscriptions = {}
        self.collections = {}
        self.add_location(DEFAULT_LOCATION, address("Lagervej 1", "Aarhus", "8000", "DK"))

    # -- infrastructure -----------------------------------------------------------------------
    def new_id(self, type_name):
        legacy_id = self._next_id
        self._next_id += 1
        return f"gid://shopify/{type_name}/{legacy_id}", legacy_id

    def emit(self, topic, subject):
        if not self.muted:
            self._emit(topic, subject)

    @contextmanager
    def muting(self):
        """Apply changes without webhooks (seeding)."""
        self.muted = True
        try:
            yield
        finally:
            self.muted = False

    def touch(self, record):
        """Mark a record changed now; updated_at always moves forward (by at least a second)."""
        record["updated_at"] = max(self.now(), record["updated_at"] + timedelta(seconds=1))

    @property
    def default_location_id(self):
        return next(iter(self.locations))

    # -- locations & customers --------------------------------------------------------------
    def add_location(self, name, location_address):
        gid, legacy_id = self.new_id("Location")
        now = self.now()
        location = {
            "id": gid, "legacy_id": legacy_id, "name": name, "address": location_address, "active": True,
            "created_at": now, "updated_at": now,
        }
        self.locations[gid] = location
        return location

    def location_by_reference(self, reference):
        """A location by gid or name (None: the default location)."""
        if reference is None:
            return self.locations[self.default_location_id]
        for location in self.locations.values():
            if reference in (location["id"], location["name"]):
                return location
        raise KeyError(f"no location {reference!r}")

    def customer_by_email(self, email):
        return next((customer for customer in self.customers.values() if customer["email"] == email), None)

    def add_customer(self, seed_customer, created_at):
        gid, legacy_id = self.new_id("Customer")
        seed_address = seed_customer.address
        customer_address = address(
            seed_address.street, seed_address.city, seed_address.zip, seed_address.country,
            first_name=seed_customer.first_name, last_name=seed_customer.last_name,
            company=seed_customer.company, phone=seed_customer.phone,
        )
        customer_address["id"] = self._address_id("CustomerAddress")
        customer = {
            "id": gid, "legacy_id": legacy_id, "email": seed_customer.email,
            "first_name": seed_customer.first_name, "last_name": seed_customer.last_name,
            "phone": seed_customer.phone, "company": seed_customer.company, "vat_number": seed_customer.vat_number,
            "address": customer_address, "tags": ["B2B"] if seed_customer.company else [], "note": None,
            "created_at": created_at, "updated_at": created_at,
        }
        self.customers[gid] = customer
        self.emit("CUSTOMERS_CREATE", customer)
        return customer

    # -- catalogue --------------------------------------------------------------------------
    def unique_handle(self, title):
        base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"
        taken = {product["handle"] for product in self.products.values()}
        handle, counter = base, 1
        while handle in taken:
            handle, counter = f"{base}-{counter}", counter + 1
        return handle

    def add_product(self, title, *, handle=None, description_html="", product_type="", vendor=None,
                    status="ACTIVE", tags=(), options=None, created_at=None):
        """A product without variants; ``options``: ``[(name, [values])]`` (default: Title/Default Title)."""
        gid, legacy_id = self.new_id("Product")
        created_at = created_at or self.now()
        product = {
            "id": gid, "legacy_id": legacy_id, "title": title, "handle": handle or self.unique_handle(title),
            "description_html": description_html, "product_type": product_type,
            "vendor": vendor or self.shop["name"], "status": status, "tags": list(tags), "options": [],
            "variant_ids": [], "created_at": created_at, "updated_at": created_at,
            "published_at": created_at if status == "ACTIVE" else None,
        }
        for name, values in options or [(DEFAULT_OPTION[0], [DEFAULT_OPTION[1]])]:
            self.add_option(product, name, values)
        self.products[gid] = product
        return product

    def add_option(self, product, name, values):
        option_gid, _ = self.new_id("ProductOption")
        option = {
            "id": option_gid, "name": name, "position": len(product["options"]) + 1, "values": [], "value_ids": {},
        }
        product["options"].append(option)
        for value in values:
            self.add_option_value(option, value)

    def add_option_value(self, option, value):
        if value not in option["values"]:
            option["values"].append(value)
            option["value_ids"][value] = self.new_id("ProductOptionValue")[0]

    def add_variant(self, product, *, options, sku=None, price=Decimal("0"), barcode=None, compare_at_price=None,
                    weight=Decimal("0"), weight_unit="KILOGRAMS", tracked=True, requires_shipping=True,
                    taxable=True, inventory_policy="DENY", stock=None, created_at=None):
        """Add a variant (``options``: {option name: value}) with its inventory item, stocked per
        ``stock`` ({location gid: available}; default: the default location with 0)."""
        created_at = created_at or self.now()
        gid, legacy_id = self.new_id("ProductVariant")
        item_gid, item_legacy_id = self.new_id("InventoryItem")
        for option in product["options"]:
            self.add_option_value(option, options[option["name"]])
        ordered_options = {option["name"]: options[option["name"]] for option in product["options"]}
        variant = {
            "id": gid, "legacy_id": legacy_id, "product_id": product["id"],
            "title": " / ".join(ordered_options.values()), "sku": sku, "barcode": barcode, "price": price,
            "compare_at_price": compare_at_price, "position": len(product["variant_ids"]) + 1,
            "options": ordered_options, "taxable": taxable, "inventory_policy": inventory_policy,
            "inventory_item_id": item_gid, "created_at": created_at, "updated_at": created_at,
        }
        self.inventory_items[item_gid] = {
            "id": item_gid, "legacy_id": item_legacy_id, "variant_id": gid, "tracked": tracked,
            "requires_shipping": requires_shipping, "weight": weight, "weight_unit": weight_unit,
            "created_at": created_at, "updated_at": created_at,
        }
        for location_id, available in (stock or {self.default_location_id: 0}).items():
            level = self.stock_item(item_gid, location_id)
            level["available"] = level["on_hand"] = available
        self.variants[gid] = variant
        product["variant_ids"].append(gid)
        return variant

    def delete_variant(self, variant):
        product = self.products[variant["product_id"]]
        product["variant_ids"].remove(variant["id"])
        for position, variant_id in enumerate(product["variant_ids"], start=1):
            self.variants[variant_id]["position"] = position
        item_id = variant["inventory_item_id"]
        for key in [key for key in self.inventory if key[0] == item_id]:
            del self.inventory[key]
        del self.inventory_items[item_id]
        del self.variants[variant["id"]]

    def add_seed_product(self, seed_product, created_at=None):
        """A product from a ``seed.SeedProduct``; a simple one gets one default variant with its SKU."""
        names = list(seed_product.variants[0].options) if seed_product.variants else []
        options = [(name, list(dict.fromkeys(v.options[name] for v in seed_product.variants))) for name in names]
        product = self.add_product(
            seed_product.title, description_html=seed_product.description, product_type=seed_product.category,
            status="ACTIVE" if seed_product.published else "DRAFT", options=options or None, created_at=created_at,
        )
        if seed_product.variants:
            for seed_variant in seed_product.variants:
                self.add_variant(
                    product, options=seed_variant.options, sku=seed_variant.sku, price=seed_variant.price,
                    barcode=seed_variant.barcode, weight=seed_variant.weight_kg,
                    stock={self.default_location_id: seed_variant.stock}, created_at=created_at,
                )
        else:
            self.add_variant(
                product, options=dict([DEFAULT_OPTION]), sku=seed_product.sku, price=seed_product.price,
                created_at=created_at,
            )
        return product

    def update_product(self, product, changes):
        """Apply product-level ``changes`` (keys of PRODUCT_FIELDS) and mark the product changed."""
        for key, value in changes.items():
            if key not in PRODUCT_FIELDS:
                raise KeyError(f"unknown product field {key!r}, expected one of {PRODUCT_FIELDS}")
            product[key] = list(value) if key == "tags" else value
        if product["status"] == "ACTIVE" and product["published_at"] is None:
            product["published_at"] = self.now()
        self.touch(product)

    def update_variant(self, variant, changes):
        """Apply variant ``changes`` (keys of VARIANT_FIELDS, ITEM_FIELDS, or ``options``: {name: value})."""
        item = self.inventory_items[variant["inventory_item_id"]]
        for key, value in changes.items():
            if key == "options":
                self._set_variant_options(variant, value)
            elif key in ITEM_FIELDS:
                item[key] = value
                self.touch(item)
            elif key in VARIANT_FIELDS:
                variant[key] = value
            else:
                raise KeyError(f"unknown variant field {key!r}, expected one of {VARIANT_FIELDS + ITEM_FIELDS}")
        self.touch(variant)

    def _set_variant_options(self, variant, chosen):
        for option in self.products[variant["product_id"]]["options"]:
            if option["name"] in chosen:
                self.add_option_value(option, chosen[option["name"]])
        variant["options"] = {name: chosen.get(name, value) for name, value in variant["options"].items()}
        variant["title"] = " / ".join(variant["options"].values())

    def replace_options(self, product, names):
        """Give a product without variants new options (values are added as variants use them)."""
        product["options"] = []
        for name in names:
            self.add_option(product, name, [])

    # -- collections (https://shopify.dev/docs/api/admin-graphql/2025-01/objects/Collection) --------------
    # "Custom (manual) collections: you specify the products to include"; "smart (automated)
    # collections: you define rules, and products matching those rules are automatically included"
    # (collectionCreate).  A smart collection's ruleSet is set, a custom one's is null (Collection.ruleSet).
    def add_collection(self, title, *, rules=None, applied_disjunctively=False, product_ids=()):
        """A collection: custom (``rules`` None) holding ``product_ids``, or smart with ``rules``
        ``[(column, relation, condition)]`` (columns TYPE, VENDOR, TAG, TITLE; relation EQUALS)."""
        gid, legacy_id = self.new_id("Collection")
        now = self.now()
        base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "collection"
        collection = {
            "id": gid, "legacy_id": legacy_id, "title": title, "handle": base,
            "rules": None if rules is None else list(rules), "applied_disjunctively": applied_disjunctively,
            "product_ids": list(product_ids), "created_at": now, "updated_at": now,
        }
        self.collections[gid] = collection
        return collection

    def collection_has(self, collection, product):
        if collection["rules"] is None:
            return product["id"] in collection["product_ids"]
        values = {"TYPE": [product["product_type"]], "VENDOR": [product["vendor"]], "TAG": product["tags"],
                  "TITLE": [product["title"]]}
        matches = [relation == "EQUALS" and any(value.lower() == condition.lower() for value in values[column])
                   for column, relation, condition in collection["rules"]]
        return any(matches) if collection["applied_disjunctively"] else all(matches)

    def product_variants(self, product):
        return [self.variants[variant_id] for variant_id in product["variant_ids"]]

    def variant_by_sku(self, sku):
        return next((variant for variant in self.variants.values() if variant["sku"] == sku), None)

    def product_by_reference(self, reference):
        """``(product, variant or None)`` by product gid, variant SKU, or seed parent SKU (variant SKU prefix)."""
        if reference in self.products:
            return self.products[reference], None
        variant = self.variant_by_sku(reference)
        if variant:
            return self.products[variant["product_id"]], variant
        for variant in self.variants.values():
            if (variant["sku"] or "").startswith(f"{reference}-"):
                return self.products[variant["product_id"]], None
        raise KeyError(f"no product {reference!r}")

    # -- inventory ---------------------------------------------------------------------------
    def stock_item(self, item_id, location_id):
        """The inventory level of an item at a location, created empty if the item is not stocked there."""
        key = (item_id, location_id)
        if key not in self.inventory:
            now = self.now()
            self.inventory[key] = dict.fromkeys(QUANTITY_NAMES, 0) | {"created_at": now, "updated_at": now}
        return self.inventory[key]

    def set_quantity(self, item_id, location_id, name, quantity):
        """Set ``available`` or ``on_hand``; the other moves by the same delta.  Returns the deltas."""
        level = self.inventory[(item_id, location_id)]
        delta = quantity - level[name]
        return self.adjust(item_id, location_id, {"available": delta, "on_hand": delta})

    def adjust(self, item_id, location_id, deltas):
        """Add ``deltas`` ({quantity name: change}) to a level; returns the non-zero ones."""
        deltas = {name: delta for name, delta in deltas.items() if delta}
        if not deltas:
            return deltas
        level = self.stock_item(item_id, location_id)
        for name, delta in deltas.items():
            level[name] += delta
        level["updated_at"] = self.now()
        if deltas.get("available"):
            self.emit("INVENTORY_LEVELS_UPDATE", (item_id, location_id))
        return deltas

    def available_quantity(self, item_id):
        return sum(level["available"] for (level_item, _), level in self.inventory.items() if level_item == item_id)

    # -- orders ------------------------------------------------------------------------------
    def order_by_reference(self, reference):
        """An order by gid, name ("#1001") or number ("1001" / 1001)."""
        if reference in self.orders:
            return self.orders[reference]
        number = int(str(reference).lstrip("#"))
        for order in self.orders.values():
            if order["number"] == number:
                return order
        raise KeyError(f"no order {reference!r}")

    def add_seed_order(self, seed_order, *, live):
        """Create an order from a ``seed.SeedOrder``; ``live`` orders happen now (clock time, stock
        moves, webhooks), others are history (seed timestamps, stock already reflects them)."""
        number = int(seed_order.number)
        if any(order["number"] == number for order in self.orders.values()):
            raise ValueError(f"order number {number} already exists")
        if seed_order.currency not in EXCHANGE_RATES:
            raise ValueError(f"no exchange rate for {seed_order.currency}")
        created_at = self.now() if live else seed_order.created_at
        customer = self.customer_by_email(seed_order.customer.email) or self.add_customer(
            seed_order.customer, created_at
        )
        gid, legacy_id = self.new_id("Order")
        order = {
            "id": gid, "legacy_id": legacy_id, "number": number, "name": f"#{number}", "state": None,
            "financial_status": None, "fulfillment_status": "UNFULFILLED",
            "created_at": created_at, "processed_at": created_at,
            "updated_at": created_at if live else seed_order.updated_at,
            "cancelled_at": None, "cancel_reason": None, "closed_at": None,
            "email": customer["email"], "phone": customer["phone"], "customer_id": customer["id"],
            "currency": seed_order.currency, "exchange_rate": EXCHANGE_RATES[seed_order.currency],
            "billing_address": self._order_address(customer), "shipping_address": self._order_address(customer),
            "line_items": self._order_lines(seed_order), "shipping_lines": [self._shipping_line(seed_order)],
            "discount_code": f"SAVE{int(seed_order.discount_amount)}" if seed_order.discount_amount else None,
            "discount_amount": seed_order.discount_amount, "gateway": GATEWAYS[seed_order.payment_method],
            "tags": list(customer["tags"]), "note": None,
            "note_attributes": (
                [{"name": "vat_number", "value": customer["vat_number"]}] if customer["vat_number"] else []
            ),
            "inventory_effect": None, "refunds": [],
        }
        self._apply_state(order, seed_order.state, live=live)
        self.orders[gid] = order
        open_fulfillment_orders(self, order)
        customer["updated_at"] = max(customer["updated_at"], order["updated_at"])
        self.emit("ORDERS_CREATE", order)
        if order["financial_status"] == "PAID":
            self.emit("ORDERS_PAID", order)
        by_sku = {line["sku"]: line for line in order["line_items"]}
        for seed_refund in seed_order.refunds:  # given after the order was placed
            self.refund(order, [(by_sku[sku]["id"], quantity) for sku, quantity in seed_refund.lines],
                        shipping=seed_refund.shipping, extra=seed_refund.amount, note=seed_refund.reason,
                        restock=seed_refund.restock, live=live)
        return order

    def set_order_state(self, order, state):
        """Move an order to a neutral state; fires orders/paid, /fulfilled, /cancelled and /updated."""
        before = (order["financial_status"], order["fulfillment_status"], order["cancelled_at"])
        self._apply_state(order, state, live=True)
        self.touch(order)
        follow_order_state(self, order)
        if order["financial_status"] == "PAID" and before[0] != "PAID":
            self.emit("ORDERS_PAID", order)
        if order["fulfillment_status"] == "FULFILLED" and before[1] != "FULFILLED":
            self.emit("ORDERS_FULFILLED", order)
        if order["cancelled_at"] and not before[2]:
            self.emit("ORDERS_CANCELLED", order)
        self.emit("ORDERS_UPDATED", order)

    def refund(self, order, lines, *, shipping=False, extra=Decimal(0), note=None, restock=False, live=True):
        """Refund ``lines`` ``[(line item gid, quantity)]`` at their discounted gross unit price, the
        shipping when ``shipping``, plus ``extra`` without lines (a refund transaction), as the admin's
        refund page does; the financial status becomes PARTIALLY_REFUNDED or REFUNDED.  Fires
        refunds/create and orders/updated.

        ``extra`` is what the refund's transactions differ from what its lines and shipping come to;
        Shopify records it as an order adjustment ("accounts for the difference between a calculated
        and actual refund amount", Admin schema 2025-01 ``OrderAdjustment``) of the calculated minus the
        actual amount (``Order.refundDiscrepancySet``: "a positive value indicates a difference in the
        merchant's favor"): a negative ``extra``, e.g. a restocking fee, is an adjustment of reason
        RESTOCK, a positive one of reason REFUND_DISCREPANCY; no tax (``taxAmountSet`` 0)."""
        items = {line["id"]: line for line in order["line_items"]}
        amount = extra
        refund_lines = []
        for line_id, quantity in lines:
            line = items[line_id]
            amount += (line_total(line) - line["discount"]) * quantity / line["quantity"]
            gid, legacy_id = self.new_id("RefundLineItem")
            refund_lines.append({"id": gid, "legacy_id": legacy_id, "line_id": line_id, "quantity": quantity,
                                 "restock_type": "RETURN" if restock else "NO_RESTOCK"})
        shipping_lines = []
        for line in order["shipping_lines"] if shipping else ():
            amount += line["price"]
            gid, legacy_id = self.new_id("RefundShippingLine")
            shipping_lines.append({"id": gid, "legacy_id": legacy_id, "shipping_line_id": line["id"]})
        adjustments = []
        if extra:
            gid, legacy_id = self.new_id("OrderAdjustment")
            adjustments.append({"id": gid, "legacy_id": legacy_id, "amount": -extra,
                                "reason": "RESTOCK" if extra < 0 else "REFUND_DISCREPANCY"})
        gid, legacy_id = self.new_id("Refund")
        refund = {"id": gid, "legacy_id": legacy_id, "created_at": self.now() if live else order["updated_at"],
                  "note": note or None, "lines": refund_lines, "shipping": shipping_lines,
                  "adjustments": adjustments, "amount": amount.quantize(Decimal("0.01"))}
        order["refunds"].append(refund)
        totals = order_totals(order)
        order["financial_status"] = "REFUNDED" if totals["refunded"] >= totals["total"] else "PARTIALLY_REFUNDED"
        if live:
            self.touch(order)
        self.emit("REFUNDS_CREATE", (order, refund))
        self.emit("ORDERS_UPDATED", order)
        return refund

    def _apply_state(self, order, state, *, live):
        if state not in ORDER_STATUS:
            raise ValueError(f"unknown order state {state!r}, expected one of {tuple(ORDER_STATUS)}")
        financial, fulfillment, closed, cancelled = ORDER_STATUS[state]
        now = self.now() if live else order["updated_at"]
        order["state"] = state
        order["financial_status"] = financial
        order["fulfillment_status"] = fulfillment or order["fulfillment_status"]
        order["closed_at"] = (order["closed_at"] or now) if closed else None
        order["cancelled_at"] = (order["cancelled_at"] or now) if cancelled else None
        order["cancel_reason"] = "CUSTOMER" if cancelled else None
        self._move_stock(order, INVENTORY_EFFECT[state], live=live)

    def _move_stock(self, order, effect, *, live):
        """Reserve, release or take out the ordered stock at the default location.  History (not
        ``live``) leaves ``available`` alone: seeded stock already is what is left to sell."""
        current = order["inventory_effect"]
        if current == "fulfilled" or effect == current:
            return
        for line in order["line_items"]:
            variant = self.variants.get(line["variant_id"])
            if variant is None or not self.inventory_items[variant["inventory_item_id"]]["tracked"]:
                continue
            quantity = line["quantity"]
            if current is None and effect == "committed":
                deltas = {"committed": quantity, "available": -quantity} if live else {
                    "committed": quantity, "on_hand": quantity}
            elif current is None:  # straight to fulfilled
                deltas = {"available": -quantity, "on_hand": -quantity} if live else {}
            elif effect == "fulfilled":
                deltas = {"committed": -quantity, "on_hand": -quantity}
            else:  # committed stock released (cancelled, refunded)
                deltas = {"committed": -quantity, "available": quantity}
            self.adjust(variant["inventory_item_id"], self.default_location_id, deltas)
        order["inventory_effect"] = effect

    def _order_address(self, customer):
        order_address = dict(customer["address"])
        order_address["id"] = self._address_id("Address")
        return order_address

    def _address_id(self, model_name):
        return f"gid://shopify/MailingAddress/{self.new_id('MailingAddress')[1]}?model_name={model_name}"

    def _order_lines(self, seed_order):
        lines = []
        for seed_line in seed_order.lines:
            variant = self.variant_by_sku(seed_line.sku)
            product = self.products[variant["product_id"]] if variant else None
            variant_title = variant["title"] if variant and variant["title"] != DEFAULT_OPTION[1] else None
            lines.append(self._line(
                title=product["title"] if product else seed_line.name, variant_title=variant_title,
                sku=seed_line.sku, quantity=seed_line.quantity, unit_price=seed_line.unit_price,
                tax_rate=seed_line.tax_rate, variant_id=variant and variant["id"], product_id=product and product["id"],
                vendor=product and product["vendor"],
            ))
        for line, share in zip(lines, allocate(seed_order.discount_amount, [line_total(line) for line in lines])):
            line["discount"] = share
        if seed_order.fee_amount:
            lines.append(self._line(
                title=FEE_TITLE, variant_title=None, sku=None, quantity=1, unit_price=seed_order.fee_amount,
                tax_rate=seed_order.tax_rate, variant_id=None, product_id=None, vendor=None, requires_shipping=False,
            ))
        return lines

    def _line(self, *, requires_shipping=True, **fields):
        gid, legacy_id = self.new_id("LineItem")
        return {"id": gid, "legacy_id": legacy_id, "discount": Decimal(0), "taxable": True,
                "requires_shipping": requires_shipping, **fields}

    def _shipping_line(self, seed_order):
        gid, legacy_id = self.new_id("ShippingLine")
        return {
            "id": gid, "legacy_id": legacy_id, "title": seed_order.shipping_method, "code": seed_order.shipping_method,
            "price": seed_order.shipping_amount, "tax_rate": seed_order.tax_rate,
        }

    # -- webhook subscriptions -----------------------------------------------------------------
    def add_webhook_subscription(self, topic, callback_url, *, format="JSON", include_fields=(), filter=None):
        gid, legacy_id = self.new_id("WebhookSubscription")
        now = self.now()
        subscription = {
            "id": gid, "legacy_id": legacy_id, "topic": topic, "callback_url": callback_url, "format": format,
            "include_fields": list(include_fields), "filter": filter, "created_at": now, "updated_at": now,
        }
        self.webhook_subscriptions[gid] = subscription
        return subscription


def address(street, city, zip_code, country_code, *, first_name=None, last_name=None, company=None, phone=None):
    """An address record (the keys of Shopify's REST addresses)."""
    name = " ".join(part for part in (first_name, last_name) if part) or None
    return {
        "first_name": first_name, "last_name": last_name, "name": name, "company": company,
        "address1": street, "address2": None, "city": city, "zip": zip_code, "province": None,
        "province_code": None, "country": COUNTRY_NAMES.get(country_code, country_code),
        "country_code": country_code, "phone": phone,
    }
