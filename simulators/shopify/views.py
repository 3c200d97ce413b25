"""GraphQL views of the shop state: records rendered as response dicts, and the QueryRoot resolvers.

Nodes are dicts keyed by GraphQL field names; fields with arguments, and links to other records, are
callables ``(info, **args)`` so they are evaluated only when selected.  Abstract types are told apart
by ``__typename``.
"""

import re
from dataclasses import dataclass
from datetime import timezone
from decimal import Decimal

from graphql import GraphQLError

from . import search
from .fulfillments import FulfillmentViews, unfulfilled_quantity
from .paging import connection
from .pricing import (
    SHOP_CURRENCY,
    format_decimal,
    format_money,
    included_tax,
    line_tax,
    line_total,
    order_totals,
    shipping_tax,
    shop_amount,
    tax_lines_by_rate,
)
from .schema import documented_search_fields
from .state import DEFAULT_OPTION, QUANTITY_NAMES

TAX_TITLE = "VAT"
COUNT_LIMIT = 10000  # Shopify's default ``limit`` of the *Count queries


def iso(moment):
    """GraphQL DateTime text (UTC, seconds)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def legacy_id_of(gid):
    """The numeric id at the end of a gid (None if it is not one)."""
    match = re.fullmatch(r"gid://shopify/\w+/(\d+)(\?.*)?", gid or "")
    return int(match.group(1)) if match else None


def _nested(items, render):
    """Resolver of a connection over sub-records (dicts with ``legacy_id``), in id order."""
    return lambda info, **args: connection(
        [((item["legacy_id"], item["legacy_id"]), item) for item in items], args, render
    )


@dataclass(frozen=True)
class Listing:
    """A root connection: its records, node rendering, sort keys and search fields."""

    records: object  # callable() -> iterable of records
    render: object  # callable(record) -> node
    sort_values: dict  # sortKey enum name -> callable(record) -> comparable, JSON-serialisable value
    search_fields: dict  # search field name -> search.SearchField
    owner: tuple  # (type name, field name) documenting the ``query`` argument


class GraphViews:
    """Read side of the GraphQL API over a ``state.ShopState``."""

    def __init__(self, state):
        self.state = state
        self.listings = self._listings()
        self.fulfillment_views = FulfillmentViews(self, iso)

    # -- money & small shapes ------------------------------------------------------------------
    def money_bag(self, amount, order):
        return {
            "shopMoney": {"amount": format_decimal(shop_amount(amount, order)), "currencyCode": SHOP_CURRENCY},
            "presentmentMoney": {"amount": format_decimal(amount), "currencyCode": order["currency"]},
        }

    @staticmethod
    def shop_money(amount):
        return {"__typename": "MoneyV2", "amount": format_decimal(amount), "currencyCode": SHOP_CURRENCY}

    @staticmethod
    def count(number, limit=None):
        limit = COUNT_LIMIT if limit is None else limit
        return {"count": min(number, limit), "precision": "AT_LEAST" if number > limit else "EXACT"}

    def tax_line(self, rate, amount, order):
        return {
            "title": TAX_TITLE, "rate": float(rate / 100), "ratePercentage": float(rate),
            "priceSet": self.money_bag(amount, order), "channelLiable": False, "source": "Shopify",
        }

    @staticmethod
    def mailing_address(record):
        if record is None:
            return None
        lines = [record["address1"], f"{record['zip']} {record['city']}", record["country"]]
        return {
            "__typename": "MailingAddress", "id": record["id"], "firstName": record["first_name"],
            "lastName": record["last_name"], "name": record["name"], "company": record["company"],
            "address1": record["address1"], "address2": record["address2"], "city": record["city"],
            "zip": record["zip"], "province": record["province"], "provinceCode": record["province_code"],
            "country": record["country"], "countryCodeV2": record["country_code"], "phone": record["phone"],
            "formattedArea": f"{record['city']}, {record['country']}", "coordinatesValidated": False,
            "formatted": lambda info, withName=False, withCompany=True: [
                part for part in [
                    record["name"] if withName else None, record["company"] if withCompany else None, *lines,
                ] if part
            ],
        }

    # -- orders ----------------------------------------------------------------------------------
    def order(self, order):
        totals = order_totals(order)
        customer = self.state.customers.get(order["customer_id"])
        discount = self._discount_application(order)
        shipping_lines = order["shipping_lines"]

        def bag(amount):
            return self.money_bag(amount, order)

        return {
            "__typename": "Order", "id": order["id"], "legacyResourceId": str(order["legacy_id"]),
            "name": order["name"], "createdAt": iso(order["created_at"]), "updatedAt": iso(order["updated_at"]),
            "processedAt": iso(order["processed_at"]), "cancelledAt": iso(order["cancelled_at"]),
            "cancelReason": order["cancel_reason"], "closed": order["closed_at"] is not None,
            "closedAt": iso(order["closed_at"]), "confirmed": True, "test": False, "edited": False,
            "email": order["email"], "phone": order["phone"], "currencyCode": SHOP_CURRENCY,
            "presentmentCurrencyCode": order["currency"], "taxesIncluded": True, "taxExempt": False,
            "displayFinancialStatus": order["financial_status"],
            "displayFulfillmentStatus": order["fulfillment_status"],
            "fullyPaid": order["financial_status"] in ("PAID", "REFUNDED"),
            "unpaid": order["financial_status"] == "PENDING",
            "canMarkAsPaid": order["financial_status"] == "PENDING" and not order["cancelled_at"],
            "capturable": False, "refundable": order["financial_status"] == "PAID",
            "fulfillable": order["fulfillment_status"] == "UNFULFILLED" and not order["closed_at"],
            "requiresShipping": any(line["requires_shipping"] for line in order["line_items"]),
            "sourceName": "web", "returnStatus": "NO_RETURN",
            "customer": (lambda info: self.customer(customer)) if customer else None,
            "billingAddress": self.mailing_address(order["billing_address"]),
            "shippingAddress": self.mailing_address(order["shipping_address"]),
            "displayAddress": self.mailing_address(order["billing_address"]),
            "billingAddressMatchesShippingAddress": _same_place(order["billing_address"], order["shipping_address"]),
            "lineItems": _nested(order["line_items"], lambda line: self.line_item(line, order, discount)),
            "shippingLines": _nested(shipping_lines, lambda line: self.shipping_line(line, order)),
            "shippingLine": self.shipping_line(shipping_lines[0], order) if shipping_lines else None,
            "discountApplications": lambda info, **args: connection(
                [((0, 0), discount)] if discount else [], args, lambda application: application
            ),
            "discountCode": order["discount_code"],
            "discountCodes": [order["discount_code"]] if order["discount_code"] else [],
            "taxLines": [self.tax_line(rate, amount, order) for rate, amount in tax_lines_by_rate(order)],
            "subtotalLineItemsQuantity": sum(line["quantity"] for line in order["line_items"]),
            "currentSubtotalLineItemsQuantity": sum(line["quantity"] for line in order["line_items"]),
            "subtotalPriceSet": bag(totals["subtotal"]), "currentSubtotalPriceSet": bag(totals["subtotal"]),
            "totalDiscountsSet": bag(totals["discounts"]), "currentTotalDiscountsSet": bag(totals["discounts"]),
            "cartDiscountAmountSet": bag(totals["discounts"]),
            "currentCartDiscountAmountSet": bag(totals["discounts"]),
            "totalShippingPriceSet": bag(totals["shipping"]), "currentShippingPriceSet": bag(totals["shipping"]),
            "totalTaxSet": bag(totals["tax"]), "currentTotalTaxSet": bag(totals["tax"]),
            "totalPriceSet": bag(totals["total"]), "originalTotalPriceSet": bag(totals["total"]),
            "currentTotalPriceSet": bag(totals["current_total"]),
            "totalRefundedSet": bag(totals["refunded"]), "totalReceivedSet": bag(totals["received"]),
            "netPaymentSet": bag(totals["net_payment"]), "totalOutstandingSet": bag(totals["outstanding"]),
            "totalCapturableSet": bag(Decimal(0)), "totalTipReceivedSet": bag(Decimal(0)),
            "totalRefundedShippingSet": bag(sum((line["price"] for refund in order["refunds"]
                                                 for line in shipping_lines
                                                 if line["id"] in {s["shipping_line_id"] for s in refund["shipping"]}),
                                                Decimal(0))),
            "refundDiscrepancySet": bag(sum((item["amount"] for refund in order["refunds"]
                                             for item in refund.get("adjustments") or []), Decimal(0))),
            "refunds": lambda info, first=None: [self.refund(refund, order) for refund in order["refunds"]][:first],
            "paymentGatewayNames": [order["gateway"]], "tags": order["tags"], "note": order["note"],
            "customAttributes": [{"key": attribute["name"], "value": attribute["value"]}
                                 for attribute in order["note_attributes"]],
            **self.fulfillment_views.order_fields(order),
        }

    def refund(self, refund, order):
        """A refund: line amounts are VAT-inclusive like the order's (``taxesIncluded``), their tax beside
        (Admin schema 2025-01: ``RefundLineItem.totalTaxSet`` "The total tax charged on a refunded line
        item", ``RefundShippingLine.taxAmountSet`` "The tax amount of the refund shipping line").  The
        schema does not say how Shopify rounds it; here the tax of the first ``n`` units of a line
        refunded is the tax inside their gross, rounded once, and a refund line gives back what that
        adds to the line's refunds before it, so the refund that leaves nothing of a line gives back
        the rest of its tax and the refunds never give back more tax than the order charged (2 of 3
        units at 99.99 incl. 25 %: 40.00, then 19.99 of the line's 59.99; a split of the gross in the
        line's proportion makes 39.99)."""
        items = {line["id"]: line for line in order["line_items"]}
        shipping_lines = {line["id"]: line for line in order["shipping_lines"]}
        before = {}  # line id -> units refunded by the refunds (and refund lines) before this refund line
        for earlier in order["refunds"][:order["refunds"].index(refund)]:
            for item in earlier["lines"]:
                before[item["line_id"]] = before.get(item["line_id"], 0) + item["quantity"]

        def bag(amount):
            return self.money_bag(amount, order)

        def tax_of_units(line, units):
            """The tax of the first ``units`` refunded of ``line``: all of its tax once all are."""
            if units >= line["quantity"]:
                return line_tax(line)
            gross = ((line_total(line) - line["discount"]) * units / line["quantity"]).quantize(Decimal("0.01"))
            return included_tax(gross, line["tax_rate"]) if line["tax_rate"] and line["taxable"] else Decimal(0)

        def refund_line(item):
            line = items[item["line_id"]]
            gross = ((line_total(line) - line["discount"]) * item["quantity"] / line["quantity"]).quantize(
                Decimal("0.01"))
            earlier = before.get(item["line_id"], 0) + sum(
                other["quantity"] for other in refund["lines"][:refund["lines"].index(item)]
                if other["line_id"] == item["line_id"])
            tax = tax_of_units(line, earlier + item["quantity"]) - tax_of_units(line, earlier)
            return {"__typename": "RefundLineItem", "id": item["id"], "quantity": item["quantity"],
                    "restockType": item["restock_type"], "restocked": item["restock_type"] != "NO_RESTOCK",
                    "lineItem": self.line_item(line, order, self._discount_application(order)),
                    "priceSet": bag(line["unit_price"]), "subtotalSet": bag(gross), "totalTaxSet": bag(tax)}

        def order_adjustment(item):
            return {"__typename": "OrderAdjustment", "id": item["id"], "reason": item["reason"],
                    "amountSet": bag(item["amount"]), "taxAmountSet": bag(Decimal(0))}

        def refund_shipping_line(item):
            line = shipping_lines[item["shipping_line_id"]]
            return {"__typename": "RefundShippingLine", "id": item["id"],
                    "shippingLine": self.shipping_line(line, order), "subtotalAmountSet": bag(line["price"]),
                    "taxAmountSet": bag(shipping_tax(line))}

        return {
            "__typename": "Refund", "id": refund["id"], "legacyResourceId": str(refund["legacy_id"]),
            "createdAt": iso(refund["created_at"]), "updatedAt": iso(refund["created_at"]), "note": refund["note"],
            "totalRefundedSet": bag(refund["amount"]), "duties": [], "staffMember": None, "return": None,
            "refundLineItems": _nested(refund["lines"], refund_line),
            "refundShippingLines": _nested(refund["shipping"], refund_shipping_line),
            "orderAdjustments": _nested(refund.get("adjustments") or [], order_adjustment),
        }

    @staticmethod
    def _discount_application(order):
        if not order["discount_amount"]:
            return None
        return {
            "__typename": "DiscountCodeApplication", "code": order["discount_code"], "index": 0,
            "allocationMethod": "ACROSS", "targetSelection": "ALL", "targetType": "LINE_ITEM",
            "value": {"__typename": "MoneyV2", "amount": format_decimal(order["discount_amount"]),
                      "currencyCode": order["currency"]},
        }

    def line_item(self, line, order, discount):
        quantity = line["quantity"]
        original = line_total(line)
        after_discounts = original - line["discount"]
        variant = self.state.variants.get(line["variant_id"])
        tax_lines = [self.tax_line(line["tax_rate"], line_tax(line), order)] if line["tax_rate"] else []

        def bag(amount):
            return self.money_bag(amount, order)

        return {
            "__typename": "LineItem", "id": line["id"], "name": _line_name(line), "title": line["title"],
            "variantTitle": line["variant_title"], "sku": line["sku"], "vendor": line["vendor"],
            "quantity": quantity, "currentQuantity": quantity, "refundableQuantity": quantity,
            "unfulfilledQuantity": unfulfilled_quantity(self.state, order, line),
            "nonFulfillableQuantity": 0, "taxable": line["taxable"], "requiresShipping": line["requires_shipping"],
            "isGiftCard": False, "merchantEditable": False, "restockable": variant is not None,
            "originalUnitPriceSet": bag(line["unit_price"]), "discountedUnitPriceSet": bag(line["unit_price"]),
            "discountedUnitPriceAfterAllDiscountsSet": bag((after_discounts / quantity).quantize(Decimal("0.01"))),
            "originalTotalSet": bag(original),
            "discountedTotalSet": lambda info, withCodeDiscounts=False: bag(
                after_discounts if withCodeDiscounts else original
            ),
            "totalDiscountSet": bag(line["discount"]),
            "unfulfilledOriginalTotalSet": bag(Decimal(0) if order["fulfillment_status"] == "FULFILLED" else original),
            "unfulfilledDiscountedTotalSet": bag(
                Decimal(0) if order["fulfillment_status"] == "FULFILLED" else after_discounts
            ),
            "discountAllocations": [
                {"allocatedAmountSet": bag(line["discount"]), "discountApplication": discount}
            ] if discount and line["discount"] else [],
            "taxLines": lambda info, first=None: tax_lines[:first],
            "customAttributes": [], "duties": [],
            "variant": (lambda info: self.variant(variant)) if variant else None,
            "product": (lambda info: self.product(self.state.products[variant["product_id"]])) if variant else None,
        }

    def shipping_line(self, line, order):
        price = self.money_bag(line["price"], order)
        return {
            "__typename": "ShippingLine", "id": line["id"], "title": line["title"], "code": line["code"],
            "source": "shopify", "custom": False, "isRemoved": False, "carrierIdentifier": None,
            "originalPriceSet": price, "discountedPriceSet": price, "currentDiscountedPriceSet": price,
            "taxLines": [self.tax_line(line["tax_rate"], shipping_tax(line), order)] if line["tax_rate"] else [],
            "discountAllocations": [],
        }

    # -- customers -------------------------------------------------------------------------------
    def customer(self, customer):
        orders = [order for order in self.state.orders.values() if order["customer_id"] == customer["id"]]
        spent = sum((shop_amount(order_totals(order)["net_payment"], order) for order in orders), Decimal(0))
        address = self.mailing_address(customer["address"])
        return {
            "__typename": "Customer", "id": customer["id"], "legacyResourceId": str(customer["legacy_id"]),
            "email": customer["email"], "firstName": customer["first_name"], "lastName": customer["last_name"],
            "displayName": f"{customer['first_name']} {customer['last_name']}", "phone": customer["phone"],
            "note": customer["note"], "tags": customer["tags"], "createdAt": iso(customer["created_at"]),
            "updatedAt": iso(customer["updated_at"]), "state": "ENABLED", "taxExempt": False,
            "verifiedEmail": True, "validEmailAddress": True, "locale": "en", "canDelete": not orders,
            "defaultAddress": address, "addresses": lambda info, first=None: [address][:first],
            "addressesV2": lambda info, **args: connection([((1, 1), address)], args, lambda node: node),
            "numberOfOrders": str(len(orders)), "amountSpent": self.shop_money(spent),
            "lastOrder": (lambda info: self.order(orders[-1])) if orders else None,
            "orders": lambda info, **args: self.list_records(
                self.listings["orders"], info, args, lambda order: order["customer_id"] == customer["id"]
            ),
        }

    # -- catalogue -------------------------------------------------------------------------------
    def product(self, product):
        variants = self.state.product_variants(product)
        quantities = [self.state.available_quantity(variant["inventory_item_id"]) for variant in variants]
        prices = [variant["price"] for variant in variants] or [Decimal(0)]
        active = product["status"] == "ACTIVE"
        return {
            "__typename": "Product", "id": product["id"], "legacyResourceId": str(product["legacy_id"]),
            "title": product["title"], "handle": product["handle"], "descriptionHtml": product["description_html"],
            "description": lambda info, truncateAt=None: _plain_text(product["description_html"])[:truncateAt],
            "status": product["status"], "productType": product["product_type"], "vendor": product["vendor"],
            "tags": product["tags"], "createdAt": iso(product["created_at"]), "updatedAt": iso(product["updated_at"]),
            "publishedAt": iso(product["published_at"]),
            "onlineStoreUrl": f"https://{self.state.shop['domain']}/products/{product['handle']}" if active else None,
            "options": lambda info, first=None: [
                self.product_option(option, variants) for option in product["options"]
            ][:first],
            "variants": lambda info, **args: connection(
                [(_variant_sort_key(variant, args.get("sortKey")), variant) for variant in variants],
                args, self.variant,
            ),
            "collections": lambda info, **args: self.list_records(
                self.listings["collections"], info, args, lambda collection: self.state.collection_has(
                    collection, product)),
            "featuredMedia": next(map(self.state.media_store.view, self.state.media_store.of(product)), None),
            "media": lambda info, **args: connection(
                [((position, position), media) for position, media in enumerate(self.state.media_store.of(product))],
                args, self.state.media_store.view),
            "variantsCount": self.count(len(variants)), "totalInventory": sum(quantities),
            "tracksInventory": any(self.state.inventory_items[v["inventory_item_id"]]["tracked"] for v in variants),
            "hasOnlyDefaultVariant": [(o["name"], o["values"]) for o in product["options"]] == [
                (DEFAULT_OPTION[0], [DEFAULT_OPTION[1]])],
            "hasOutOfStockVariants": any(quantity <= 0 for quantity in quantities),
            "isGiftCard": False, "requiresSellingPlan": False, "templateSuffix": None,
            "seo": {"title": None, "description": None},
            "priceRangeV2": {"minVariantPrice": self.shop_money(min(prices)),
                             "maxVariantPrice": self.shop_money(max(prices))},
        }

    def collection(self, collection):
        members = [product for product in self.state.products.values()
                   if self.state.collection_has(collection, product)]
        rules = collection["rules"]
        return {
            "__typename": "Collection", "id": collection["id"], "legacyResourceId": str(collection["legacy_id"]),
            "title": collection["title"], "handle": collection["handle"], "updatedAt": iso(collection["updated_at"]),
            "ruleSet": None if rules is None else {
                "appliedDisjunctively": collection["applied_disjunctively"],
                "rules": [{"column": column, "relation": relation, "condition": condition}
                          for column, relation, condition in rules]},
            "hasProduct": lambda info, id: any(product["id"] == id for product in members),
            "productsCount": self.count(len(members)),
            "products": lambda info, **args: connection(
                [((product["legacy_id"], product["legacy_id"]), product) for product in members], args, self.product),
        }

    def product_option(self, option, variants):
        used = {variant["options"][option["name"]] for variant in variants}
        return {
            "__typename": "ProductOption", "id": option["id"], "name": option["name"],
            "position": option["position"], "values": option["values"],
            "optionValues": [self._option_value(option, value, value in used) for value in option["values"]],
        }

    @staticmethod
    def _option_value(option, value, has_variants=True):
        return {"__typename": "ProductOptionValue", "id": option["value_ids"][value], "name": value,
                "hasVariants": has_variants}

    def variant(self, variant):
        product = self.state.products[variant["product_id"]]
        item = self.state.inventory_items[variant["inventory_item_id"]]
        quantity = self.state.available_quantity(item["id"])
        options_by_name = {option["name"]: option for option in product["options"]}
        return {
            "__typename": "ProductVariant", "id": variant["id"], "legacyResourceId": str(variant["legacy_id"]),
            "title": variant["title"], "displayName": f"{product['title']} - {variant['title']}",
            "sku": variant["sku"], "barcode": variant["barcode"], "price": format_money(variant["price"]),
            "compareAtPrice": (
                None if variant["compare_at_price"] is None else format_money(variant["compare_at_price"])
            ),
            "position": variant["position"], "taxable": variant["taxable"], "taxCode": None,
            "inventoryPolicy": variant["inventory_policy"], "inventoryQuantity": quantity,
            "sellableOnlineQuantity": max(quantity, 0), "requiresComponents": False,
            "availableForSale": product["status"] == "ACTIVE" and (
                quantity > 0 or variant["inventory_policy"] == "CONTINUE" or not item["tracked"]),
            "selectedOptions": [
                {"name": name, "value": value, "optionValue": self._option_value(options_by_name[name], value)}
                for name, value in variant["options"].items()
            ],
            "createdAt": iso(variant["created_at"]), "updatedAt": iso(variant["updated_at"]),
            "product": lambda info: self.product(product),
            "inventoryItem": lambda info: self.inventory_item(item),
        }

    # -- inventory --------------------------------------------------------------------------------
    def inventory_item(self, item):
        variant = self.state.variants[item["variant_id"]]
        level_keys = [key for key in self.state.inventory if key[0] == item["id"]]
        duplicates = sum(
            1 for other in self.state.variants.values() if variant["sku"] and other["sku"] == variant["sku"]
        )
        return {
            "__typename": "InventoryItem", "id": item["id"], "legacyResourceId": str(item["legacy_id"]),
            "sku": variant["sku"], "tracked": item["tracked"], "requiresShipping": item["requires_shipping"],
            "trackedEditable": {"locked": False, "reason": None},
            "measurement": {
                "id": f"gid://shopify/InventoryItemMeasurement/{item['legacy_id']}",
                "weight": {"value": float(item["weight"]), "unit": item["weight_unit"]},
            },
            "unitCost": None, "duplicateSkuCount": max(duplicates - 1, 0),
            "locationsCount": self.count(len(level_keys)),
            "createdAt": iso(item["created_at"]), "updatedAt": iso(item["updated_at"]),
            "variant": lambda info: self.variant(variant),
            "inventoryLevels": lambda info, **args: connection(
                [((self.state.locations[location_id]["legacy_id"],) * 2, (item_id, location_id))
                 for item_id, location_id in level_keys],
                args, lambda key: self.inventory_level(*key),
            ),
            "inventoryLevel": lambda info, locationId: self._level_or_none(item["id"], locationId),
        }

    def _level_or_none(self, item_id, location_id):
        return self.inventory_level(item_id, location_id) if (item_id, location_id) in self.state.inventory else None

    def inventory_level(self, item_id, location_id):
        level = self.state.inventory[(item_id, location_id)]
        item = self.state.inventory_items[item_id]
        location = self.state.locations[location_id]
        base_id = f"{location['legacy_id']}?inventory_item_id={item['legacy_id']}"

        def quantities(info, names):
            unknown = [name for name in names if name not in QUANTITY_NAMES]
            if unknown:
                raise GraphQLError(
                    f"Invalid quantity names: {', '.join(unknown)}. Valid names are: {', '.join(QUANTITY_NAMES)}."
                )
            return [
                {"id": f"gid://shopify/InventoryQuantity/{base_id}&name={name}", "name": name,
                 "quantity": level[name], "updatedAt": iso(level["updated_at"])}
                for name in names
            ]

        return {
            "__typename": "InventoryLevel", "id": f"gid://shopify/InventoryLevel/{base_id}",
            "createdAt": iso(level["created_at"]), "updatedAt": iso(level["updated_at"]),
            "canDeactivate": True, "deactivationAlert": None, "quantities": quantities,
            "item": lambda info: self.inventory_item(item), "location": lambda info: self.location(location),
        }

    def location(self, location):
        address = location["address"]
        level_keys = [key for key in self.state.inventory if key[1] == location["id"]]
        return {
            "__typename": "Location", "id": location["id"], "legacyResourceId": str(location["legacy_id"]),
            "name": location["name"], "isActive": location["active"], "activatable": False,
            "deactivatable": True, "deletable": False, "deactivatedAt": None, "addressVerified": True,
            "fulfillsOnlineOrders": True, "hasActiveInventory": bool(level_keys), "shipsInventory": True,
            "isFulfillmentService": False, "hasUnfulfilledOrders": any(
                order["fulfillment_status"] == "UNFULFILLED" and not order["closed_at"]
                for order in self.state.orders.values()
            ),
            "createdAt": iso(location["created_at"]), "updatedAt": iso(location["updated_at"]),
            "address": {
                "address1": address["address1"], "address2": address["address2"], "city": address["city"],
                "zip": address["zip"], "province": address["province"], "provinceCode": address["province_code"],
                "country": address["country"], "countryCode": address["country_code"], "phone": address["phone"],
                "formatted": [address["address1"], f"{address['zip']} {address['city']}", address["country"]],
            },
            "inventoryLevels": lambda info, **args: connection(
                [((self.state.inventory_items[item_id]["legacy_id"],) * 2, (item_id, location_id))
                 for item_id, location_id in level_keys],
                args, lambda key: self.inventory_level(*key),
            ),
            "inventoryLevel": lambda info, inventoryItemId: self._level_or_none(inventoryItemId, location["id"]),
        }

    # -- shop & webhooks ---------------------------------------------------------------------------
    def shop(self):
        shop = self.state.shop
        currencies = sorted({SHOP_CURRENCY, *(order["currency"] for order in self.state.orders.values())})
        return {
            "__typename": "Shop", "id": shop["id"], "name": shop["name"], "email": shop["email"],
            "contactEmail": shop["email"], "shopOwnerName": "Demo Owner", "myshopifyDomain": shop["domain"],
            "url": f"https://{shop['domain']}", "currencyCode": shop["currency"],
            "enabledPresentmentCurrencies": currencies, "ianaTimezone": shop["timezone"],
            "timezoneAbbreviation": "CET", "timezoneOffset": "+0100", "timezoneOffsetMinutes": 60,
            "taxesIncluded": True, "taxShipping": True, "weightUnit": "KILOGRAMS", "unitSystem": "METRIC_SYSTEM",
            "orderNumberFormatPrefix": "#", "orderNumberFormatSuffix": "", "setupRequired": False,
            "checkoutApiSupported": True, "transactionalSmsDisabled": False,
            "createdAt": iso(shop["created_at"]), "updatedAt": iso(shop["created_at"]),
            "primaryDomain": {"id": "gid://shopify/Domain/1", "host": shop["domain"],
                              "url": f"https://{shop['domain']}", "sslEnabled": True},
            "billingAddress": {"id": "gid://shopify/ShopAddress/1", "address1": "Lagervej 1", "city": "Aarhus",
                               "zip": "8000", "country": "Denmark", "countryCodeV2": shop["country_code"],
                               "company": shop["name"], "coordinatesValidated": False},
            "plan": {"displayName": "Basic", "partnerDevelopment": False, "shopifyPlus": False},
        }

    def webhook_subscription(self, subscription):
        return {
            "__typename": "WebhookSubscription", "id": subscription["id"],
            "legacyResourceId": str(subscription["legacy_id"]), "topic": subscription["topic"],
            "format": subscription["format"], "includeFields": subscription["include_fields"],
            "metafieldNamespaces": [], "filter": subscription["filter"],
            "callbackUrl": subscription["callback_url"],
            "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": subscription["callback_url"]},
            "createdAt": iso(subscription["created_at"]), "updatedAt": iso(subscription["updated_at"]),
        }

    # -- lookups ---------------------------------------------------------------------------------------
    def node(self, gid):
        """Any supported record as a node, by gid (None if unknown)."""
        state = self.state
        for records, render in (
            (state.orders, self.order), (state.customers, self.customer), (state.products, self.product),
            (state.variants, self.variant), (state.inventory_items, self.inventory_item),
            (state.locations, self.location), (state.webhook_subscriptions, self.webhook_subscription),
            (state.collections, self.collection),
        ):
            if gid in records:
                return render(records[gid])
        match = re.fullmatch(r"gid://shopify/InventoryLevel/(\d+)\?inventory_item_id=(\d+)", gid or "")
        if match:
            location_id, item_id = (f"gid://shopify/{kind}/{number}"
                                    for kind, number in zip(("Location", "InventoryItem"), match.groups()))
            return self._level_or_none(item_id, location_id)
        if gid == state.shop["id"]:
            return self.shop()
        return self.fulfillment_views.node(gid)

    # -- root connections ----------------------------------------------------------------------------------
    def list_records(self, listing, info, args, restrict=None):
        """A page of a listing after the ``query`` filter (and ``restrict``), sorted by ``sortKey``."""
        records = self._search(listing, info, args.get("query"), restrict)
        sort_value = listing.sort_values.get(args.get("sortKey") or "ID", listing.sort_values["ID"])
        return connection([((sort_value(record), record["legacy_id"]), record) for record in records],
                          args, listing.render)

    def count_records(self, listing, info, args):
        return self.count(len(self._search(listing, info, args.get("query"))), args.get("limit"))

    def _search(self, listing, info, query, restrict=None):
        tree = search.parse(query)
        warnings = []
        for term in search.terms(tree):
            if term.field and term.field not in listing.search_fields:
                documented = term.field in documented_search_fields(*listing.owner)
                warnings.append({
                    "field": term.field, "code": "invalid_field",
                    "message": "Search field not supported by the simulator." if documented
                    else "Invalid search field for this query.",
                })
        if warnings:
            info.context["search"].append({"path": info.path.as_list(), "query": query, "warnings": warnings})
        now = self.state.now()
        return [
            record for record in listing.records()
            if (restrict is None or restrict(record)) and search.matches(tree, record, listing.search_fields, now)
        ]

    def _listings(self):
        state = self.state
        text, enum, time, number, identifier = (
            lambda read: search.SearchField("text", read), lambda read: search.SearchField("enum", read),
            lambda read: search.SearchField("time", read), lambda read: search.SearchField("number", read),
            lambda read: search.SearchField("id", read),
        )

        def timestamps(sort_values, search_fields):
            sort_values.update(CREATED_AT=lambda r: iso(r["created_at"]), UPDATED_AT=lambda r: iso(r["updated_at"]))
            search_fields.update(created_at=time(lambda r: r["created_at"]), updated_at=time(lambda r: r["updated_at"]),
                                 id=identifier(lambda r: r["legacy_id"]))
            return sort_values, search_fields

        def customer_name(order):
            customer = state.customers.get(order["customer_id"])
            return f"{customer['first_name']} {customer['last_name']}".lower() if customer else ""

        def variant_skus(product):
            return [variant["sku"] for variant in state.product_variants(product)]

        order_sorts, order_fields = timestamps(
            {"ID": lambda r: r["legacy_id"], "PROCESSED_AT": lambda r: iso(r["processed_at"]),
             "ORDER_NUMBER": lambda r: r["number"], "CUSTOMER_NAME": customer_name,
             "TOTAL_PRICE": lambda r: float(shop_amount(order_totals(r)["total"], r)),
             "FINANCIAL_STATUS": lambda r: r["financial_status"],
             "FULFILLMENT_STATUS": lambda r: r["fulfillment_status"]},
            {"name": text(lambda r: [r["name"], str(r["number"])]), "email": text(lambda r: r["email"]),
             "sku": text(lambda r: [line["sku"] for line in r["line_items"]]),
             "status": enum(_order_statuses), "financial_status": enum(lambda r: r["financial_status"]),
             "fulfillment_status": enum(_fulfillment_statuses), "processed_at": time(lambda r: r["processed_at"]),
             "tag": text(lambda r: r["tags"]), "customer_id": identifier(lambda r: legacy_id_of(r["customer_id"])),
             "gateway": text(lambda r: r["gateway"]), "discount_code": text(lambda r: r["discount_code"]),
             "default": text(lambda r: [r["name"], r["email"], customer_name(r)])},
        )
        product_sorts, product_fields = timestamps(
            {"ID": lambda r: r["legacy_id"], "TITLE": lambda r: r["title"].lower(),
             "PRODUCT_TYPE": lambda r: r["product_type"].lower(), "VENDOR": lambda r: r["vendor"].lower(),
             "PUBLISHED_AT": lambda r: iso(r["published_at"]),
             "INVENTORY_TOTAL": lambda r: sum(state.available_quantity(v["inventory_item_id"])
                                              for v in state.product_variants(r))},
            {"title": text(lambda r: r["title"]), "handle": text(lambda r: r["handle"]),
             "status": enum(lambda r: r["status"]), "product_type": text(lambda r: r["product_type"]),
             "vendor": text(lambda r: r["vendor"]), "tag": text(lambda r: r["tags"]), "sku": text(variant_skus),
             "barcode": text(lambda r: [v["barcode"] for v in state.product_variants(r)]),
             "published_at": time(lambda r: r["published_at"]),
             "variant_id": identifier(lambda r: [state.variants[v]["legacy_id"] for v in r["variant_ids"]]),
             "default": text(lambda r: [r["title"], r["handle"], *variant_skus(r)])},
        )
        variant_sorts, variant_fields = timestamps(
            {"ID": lambda r: r["legacy_id"], "SKU": lambda r: (r["sku"] or "").lower(),
             "TITLE": lambda r: r["title"].lower(), "POSITION": lambda r: r["position"],
             "NAME": lambda r: f"{state.products[r['product_id']]['title']} {r['title']}".lower(),
             "FULL_TITLE": lambda r: f"{state.products[r['product_id']]['title']} {r['title']}".lower(),
             "INVENTORY_QUANTITY": lambda r: state.available_quantity(r["inventory_item_id"])},
            {"sku": text(lambda r: r["sku"]), "barcode": text(lambda r: r["barcode"]),
             "title": text(lambda r: r["title"]),
             "product_id": identifier(lambda r: state.products[r["product_id"]]["legacy_id"]),
             "product_status": enum(lambda r: state.products[r["product_id"]]["status"]),
             "inventory_quantity": number(lambda r: state.available_quantity(r["inventory_item_id"])),
             "default": text(lambda r: [r["sku"], r["title"], state.products[r["product_id"]]["title"]])},
        )
        customer_sorts, customer_fields = timestamps(
            {"ID": lambda r: r["legacy_id"], "NAME": lambda r: f"{r['first_name']} {r['last_name']}".lower()},
            {"email": text(lambda r: r["email"]), "phone": text(lambda r: r["phone"]),
             "first_name": text(lambda r: r["first_name"]), "last_name": text(lambda r: r["last_name"]),
             "country": text(lambda r: [r["address"]["country"], r["address"]["country_code"]]),
             "tag": text(lambda r: r["tags"]),
             "default": text(lambda r: [r["email"], r["first_name"], r["last_name"], r["company"]])},
        )
        return {
            "orders": Listing(state.orders.values, self.order, order_sorts, order_fields, ("QueryRoot", "orders")),
            "products": Listing(state.products.values, self.product, product_sorts, product_fields,
                                ("QueryRoot", "products")),
            "productVariants": Listing(state.variants.values, self.variant, variant_sorts, variant_fields,
                                       ("QueryRoot", "productVariants")),
            "customers": Listing(state.customers.values, self.customer, customer_sorts, customer_fields,
                                 ("QueryRoot", "customers")),
            "inventoryItems": Listing(
                state.inventory_items.values, self.inventory_item,
                {"ID": lambda r: r["legacy_id"]},
                {"id": identifier(lambda r: r["legacy_id"]),
                 "sku": text(lambda r: state.variants[r["variant_id"]]["sku"]),
                 "created_at": time(lambda r: r["created_at"]), "updated_at": time(lambda r: r["updated_at"])},
                ("QueryRoot", "inventoryItems"),
            ),
            "locations": Listing(
                state.locations.values, self.location,
                {"ID": lambda r: r["legacy_id"], "NAME": lambda r: r["name"].lower()},
                {"id": identifier(lambda r: r["legacy_id"]), "name": text(lambda r: r["name"]),
                 "default": text(lambda r: r["name"])},
                ("QueryRoot", "locations"),
            ),
            # QueryRoot.collections(query:) documents collection_type (custom / smart), title, handle, id...
            "collections": Listing(
                state.collections.values, self.collection,
                {"ID": lambda r: r["legacy_id"], "TITLE": lambda r: r["title"].lower(),
                 "UPDATED_AT": lambda r: iso(r["updated_at"])},
                {"id": identifier(lambda r: r["legacy_id"]), "title": text(lambda r: r["title"]),
                 "handle": text(lambda r: r["handle"]),
                 "collection_type": enum(lambda r: "custom" if r["rules"] is None else "smart"),
                 "updated_at": time(lambda r: r["updated_at"]), "default": text(lambda r: r["title"])},
                ("QueryRoot", "collections"),
            ),
            "webhookSubscriptions": Listing(
                state.webhook_subscriptions.values, self.webhook_subscription,
                {"ID": lambda r: r["legacy_id"], "CREATED_AT": lambda r: iso(r["created_at"])},
                {"id": identifier(lambda r: r["legacy_id"])},
                ("QueryRoot", "webhookSubscriptions"),
            ),
        }

    def root(self):
        """QueryRoot resolvers."""
        listings = self.listings

        def listing_resolver(name, restrict=None):
            return lambda info, **args: self.list_records(listings[name], info, args, restrict)

        def counter(name):
            return lambda info, **args: self.count_records(listings[name], info, args)

        def by_id(records, render):
            return lambda info, id: render(records[id]) if id in records else None

        state = self.state
        return {
            "orders": listing_resolver("orders"), "ordersCount": counter("orders"),
            "order": by_id(state.orders, self.order),
            "refund": lambda info, id: next((self.refund(refund, order) for order in state.orders.values()
                                             for refund in order["refunds"] if refund["id"] == id), None),
            "customers": listing_resolver("customers"), "customersCount": counter("customers"),
            "customer": by_id(state.customers, self.customer),
            "products": listing_resolver("products"), "productsCount": counter("products"),
            "product": by_id(state.products, self.product),
            "productVariants": listing_resolver("productVariants"), "productVariantsCount": counter("productVariants"),
            "productVariant": by_id(state.variants, self.variant),
            "inventoryItems": listing_resolver("inventoryItems"),
            "inventoryItem": by_id(state.inventory_items, self.inventory_item),
            "inventoryLevel": lambda info, id: (
                self.node(id) if id.startswith("gid://shopify/InventoryLevel/") else None
            ),
            "locations": lambda info, includeInactive=False, includeLegacy=False, **args: self.list_records(
                listings["locations"], info, args, None if includeInactive else lambda location: location["active"]
            ),
            "locationsCount": counter("locations"),
            "location": lambda info, id=None: by_id(state.locations, self.location)(
                info, id or state.default_location_id
            ),
            "webhookSubscriptions": lambda info, topics=None, callbackUrl=None, format=None, **args: self.list_records(
                listings["webhookSubscriptions"], info, args,
                lambda subscription: (not topics or subscription["topic"] in topics)
                and callbackUrl in (None, subscription["callback_url"]) and format in (None, subscription["format"]),
            ),
            "webhookSubscription": by_id(state.webhook_subscriptions, self.webhook_subscription),
            "collections": listing_resolver("collections"),
            "collection": by_id(state.collections, self.collection),
            "fulfillmentOrder": lambda info, id: (
                self.fulfillment_views.node(id) if "/FulfillmentOrder/" in id else None),
            "fulfillment": lambda info, id: self.fulfillment_views.node(id) if "/Fulfillment/" in id else None,
            "shop": lambda info: self.shop(),
            "node": lambda info, id: self.node(id),
            "nodes": lambda info, ids: [self.node(gid) for gid in ids],
        }


def _order_statuses(order):
    if order["cancelled_at"]:
        return ["cancelled", "closed", "any"]
    if order["closed_at"]:
        return ["closed", "any"]
    return ["open", "not_closed", "any"]


def _fulfillment_statuses(order):
    if order["fulfillment_status"] == "FULFILLED":
        return ["shipped", "fulfilled"]
    return ["unshipped", "unfulfilled"]


def _variant_sort_key(variant, sort_key):
    value = {"ID": variant["legacy_id"], "SKU": (variant["sku"] or "").lower(), "TITLE": variant["title"].lower()}
    return value.get(sort_key, variant["position"]), variant["legacy_id"]


def _line_name(line):
    return f"{line['title']} - {line['variant_title']}" if line["variant_title"] else line["title"]


def _plain_text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html or "")).strip()


def _same_place(first, second):
    return {k: v for k, v in first.items() if k != "id"} == {k: v for k, v in second.items() if k != "id"}
