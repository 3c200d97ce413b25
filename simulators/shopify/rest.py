"""Webhook payloads: records in the shape of the REST Admin API resources (numeric ids, amounts as
strings in the shop currency plus ``*_set`` bags, lowercase statuses, shop-local timestamps)."""

from zoneinfo import ZoneInfo

from .pricing import (
    SHOP_CURRENCY,
    format_money,
    line_tax,
    line_total,
    order_totals,
    shipping_tax,
    shop_amount,
    tax_lines_by_rate,
)
from .views import legacy_id_of


# displayFulfillmentStatus -> the REST order's fulfillment_status (null while unfulfilled)
REST_FULFILLMENT_STATUS = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}


class RestPayloads:
    """REST-shaped dicts of the records of a ``state.ShopState``."""

    def __init__(self, state):
        self.state = state
        self.zone = ZoneInfo(state.shop["timezone"])

    def timestamp(self, moment):
        return moment.astimezone(self.zone).isoformat(timespec="seconds") if moment else None

    # -- orders ------------------------------------------------------------------------------------
    def order(self, order):
        totals = order_totals(order)

        def amount(value):
            return format_money(shop_amount(value, order))

        def money_set(value):
            return {
                "shop_money": {"amount": format_money(shop_amount(value, order)), "currency_code": SHOP_CURRENCY},
                "presentment_money": {"amount": format_money(value), "currency_code": order["currency"]},
            }

        def tax_lines(rate, tax):
            return [{"title": "VAT", "rate": float(rate / 100), "price": amount(tax), "price_set": money_set(tax),
                     "channel_liable": False}] if rate else []

        customer = self.state.customers.get(order["customer_id"])
        financial = order["financial_status"].lower()
        return {
            "id": order["legacy_id"], "admin_graphql_api_id": order["id"], "name": order["name"],
            "order_number": order["number"], "number": order["number"] - 1000, "email": order["email"],
            "contact_email": order["email"], "phone": order["phone"], "confirmed": True, "test": False,
            "created_at": self.timestamp(order["created_at"]), "updated_at": self.timestamp(order["updated_at"]),
            "processed_at": self.timestamp(order["processed_at"]),
            "cancelled_at": self.timestamp(order["cancelled_at"]),
            "cancel_reason": order["cancel_reason"].lower() if order["cancel_reason"] else None,
            "closed_at": self.timestamp(order["closed_at"]), "currency": SHOP_CURRENCY,
            "presentment_currency": order["currency"], "taxes_included": True, "tax_exempt": False,
            "financial_status": financial,
            "fulfillment_status": REST_FULFILLMENT_STATUS.get(order["fulfillment_status"]),
            "total_price": amount(totals["total"]), "total_price_set": money_set(totals["total"]),
            "current_total_price": amount(totals["current_total"]),
            "current_total_price_set": money_set(totals["current_total"]),
            "subtotal_price": amount(totals["subtotal"]), "subtotal_price_set": money_set(totals["subtotal"]),
            "total_line_items_price": amount(totals["line_items"]),
            "total_line_items_price_set": money_set(totals["line_items"]),
            "total_discounts": amount(totals["discounts"]), "total_discounts_set": money_set(totals["discounts"]),
            "total_tax": amount(totals["tax"]), "total_tax_set": money_set(totals["tax"]),
            "total_shipping_price_set": money_set(totals["shipping"]),
            "total_outstanding": amount(totals["outstanding"]),
            "tax_lines": [line for rate, tax in tax_lines_by_rate(order) for line in tax_lines(rate, tax)],
            "discount_codes": [{"code": order["discount_code"], "amount": amount(order["discount_amount"]),
                                "type": "fixed_amount"}] if order["discount_code"] else [],
            "gateway": order["gateway"], "payment_gateway_names": [order["gateway"]],
            "tags": ", ".join(order["tags"]), "note": order["note"],
            "note_attributes": [dict(attribute) for attribute in order["note_attributes"]],
            "billing_address": self.address(order["billing_address"]),
            "shipping_address": self.address(order["shipping_address"]),
            "customer": self.customer(customer) if customer else None,
            "line_items": [
                {
                    "id": line["legacy_id"], "admin_graphql_api_id": line["id"],
                    "variant_id": legacy_id_of(line["variant_id"]), "product_id": legacy_id_of(line["product_id"]),
                    "title": line["title"], "variant_title": line["variant_title"],
                    "name": f"{line['title']} - {line['variant_title']}" if line["variant_title"] else line["title"],
                    "sku": line["sku"], "vendor": line["vendor"], "quantity": line["quantity"],
                    "current_quantity": line["quantity"], "price": amount(line["unit_price"]),
                    "price_set": money_set(line["unit_price"]), "total_discount": amount(line["discount"]),
                    "total_discount_set": money_set(line["discount"]),
                    "discount_allocations": [
                        {"amount": amount(line["discount"]), "amount_set": money_set(line["discount"]),
                         "discount_application_index": 0}
                    ] if line["discount"] else [],
                    "taxable": line["taxable"], "requires_shipping": line["requires_shipping"],
                    "gift_card": False, "product_exists": line["product_id"] in self.state.products,
                    "fulfillment_status": "fulfilled" if order["fulfillment_status"] == "FULFILLED" else None,
                    "tax_lines": tax_lines(line["tax_rate"], line_tax(line)),
                    "pre_tax_price": amount(line_total(line) - line["discount"] - line_tax(line)),
                }
                for line in order["line_items"]
            ],
            "shipping_lines": [
                {
                    "id": line["legacy_id"], "title": line["title"], "code": line["code"], "source": "shopify",
                    "price": amount(line["price"]), "price_set": money_set(line["price"]),
                    "discounted_price": amount(line["price"]), "discounted_price_set": money_set(line["price"]),
                    "tax_lines": tax_lines(line["tax_rate"], shipping_tax(line)),
                }
                for line in order["shipping_lines"]
            ],
        }

    @staticmethod
    def address(record):
        return {key: record[key] for key in (
            "first_name", "last_name", "name", "company", "address1", "address2", "city", "zip", "province",
            "province_code", "country", "country_code", "phone",
        )}

    def customer(self, customer):
        return {
            "id": customer["legacy_id"], "admin_graphql_api_id": customer["id"], "email": customer["email"],
            "first_name": customer["first_name"], "last_name": customer["last_name"], "phone": customer["phone"],
            "state": "enabled", "verified_email": True, "tax_exempt": False, "currency": SHOP_CURRENCY,
            "tags": ", ".join(customer["tags"]), "note": customer["note"],
            "created_at": self.timestamp(customer["created_at"]), "updated_at": self.timestamp(customer["updated_at"]),
            "default_address": self.address(customer["address"]) | {
                "id": legacy_id_of(customer["address"]["id"]), "customer_id": customer["legacy_id"], "default": True,
            },
        }

    # -- catalogue ------------------------------------------------------------------------------------
    def product(self, product):
        variants = self.state.product_variants(product)
        return {
            "id": product["legacy_id"], "admin_graphql_api_id": product["id"], "title": product["title"],
            "body_html": product["description_html"], "vendor": product["vendor"],
            "product_type": product["product_type"], "handle": product["handle"],
            "status": product["status"].lower(), "tags": ", ".join(product["tags"]),
            "created_at": self.timestamp(product["created_at"]), "updated_at": self.timestamp(product["updated_at"]),
            "published_at": self.timestamp(product["published_at"]),
            "options": [
                {"id": legacy_id_of(option["id"]), "product_id": product["legacy_id"], "name": option["name"],
                 "position": option["position"], "values": list(option["values"])}
                for option in product["options"]
            ],
            "variants": [self.variant(variant) for variant in variants],
        }

    def variant(self, variant):
        item = self.state.inventory_items[variant["inventory_item_id"]]
        option_values = list(variant["options"].values()) + [None, None, None]
        return {
            "id": variant["legacy_id"], "admin_graphql_api_id": variant["id"],
            "product_id": legacy_id_of(variant["product_id"]), "title": variant["title"],
            "price": format_money(variant["price"]),
            "compare_at_price": (
                None if variant["compare_at_price"] is None else format_money(variant["compare_at_price"])
            ),
            "sku": variant["sku"], "barcode": variant["barcode"], "position": variant["position"],
            "inventory_policy": variant["inventory_policy"].lower(), "taxable": variant["taxable"],
            "option1": option_values[0], "option2": option_values[1], "option3": option_values[2],
            "inventory_item_id": item["legacy_id"],
            "inventory_quantity": self.state.available_quantity(item["id"]),
            "created_at": self.timestamp(variant["created_at"]), "updated_at": self.timestamp(variant["updated_at"]),
        }

    def inventory_level(self, item_id, location_id):
        level = self.state.inventory[(item_id, location_id)]
        item_legacy_id = self.state.inventory_items[item_id]["legacy_id"]
        location_legacy_id = self.state.locations[location_id]["legacy_id"]
        gid = f"gid://shopify/InventoryLevel/{location_legacy_id}?inventory_item_id={item_legacy_id}"
        return {
            "inventory_item_id": item_legacy_id, "location_id": location_legacy_id, "available": level["available"],
            "updated_at": self.timestamp(level["updated_at"]), "admin_graphql_api_id": gid,
        }

    def refund(self, order, refund):
        """A refunds/create body: the refund with its order's id (the hub reads the order again)."""
        return {
            "id": refund["legacy_id"], "admin_graphql_api_id": refund["id"], "order_id": order["legacy_id"],
            "created_at": self.timestamp(refund["created_at"]), "processed_at": self.timestamp(refund["created_at"]),
            "note": refund["note"], "restock": any(item["restock_type"] != "NO_RESTOCK" for item in refund["lines"]),
            "refund_line_items": [{
                "id": item["legacy_id"], "quantity": item["quantity"], "restock_type": item["restock_type"].lower(),
                "line_item_id": next(line["legacy_id"] for line in order["line_items"]
                                     if line["id"] == item["line_id"]),
            } for item in refund["lines"]],
            "refund_shipping_lines": [{"id": item["legacy_id"]} for item in refund["shipping"]],
            "transactions": [], "order_adjustments": [{
                "id": item["legacy_id"], "order_id": order["legacy_id"], "refund_id": refund["legacy_id"],
                "amount": format_money(shop_amount(item["amount"], order)), "tax_amount": "0.00",
                "kind": "refund_discrepancy", "reason": item["reason"].replace("_", " ").capitalize(),
            } for item in refund.get("adjustments") or []],
        }

    def payload(self, topic, subject):
        """The webhook body of ``topic`` (enum name) about ``subject`` (a record or inventory level key)."""
        if topic.startswith("REFUNDS_"):
            return self.refund(*subject)
        if topic.startswith("ORDERS_"):
            return self.order(subject)
        if topic.startswith("PRODUCTS_"):
            return self.product(subject)
        if topic.startswith("CUSTOMERS_"):
            return self.customer(subject)
        return self.inventory_level(*subject)


# the REST topic of each webhook topic the simulator emits
WEBHOOK_TOPICS = {
    "ORDERS_CREATE": "orders/create", "ORDERS_UPDATED": "orders/updated", "ORDERS_PAID": "orders/paid",
    "ORDERS_FULFILLED": "orders/fulfilled", "ORDERS_PARTIALLY_FULFILLED": "orders/partially_fulfilled",
    "ORDERS_CANCELLED": "orders/cancelled", "REFUNDS_CREATE": "refunds/create",
    "PRODUCTS_CREATE": "products/create", "PRODUCTS_UPDATE": "products/update",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update", "CUSTOMERS_CREATE": "customers/create",
}
