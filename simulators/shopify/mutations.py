"""Mutation resolvers: input checks answered as Shopify ``userErrors``, then changes through ``ShopState``.

A mutation with user errors changes nothing (``productVariantsBulkUpdate`` with
``allowPartialUpdates`` applies the valid variants).  User error messages are the descriptions of the
error code enums in the schema.
"""

import re
from decimal import Decimal, InvalidOperation

from graphql import GraphQLError

from .fulfillments import fulfillment_create
from .schema import admin_schema
from .state import DEFAULT_OPTION
from .views import iso

# https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps/manage-quantities-states
INVENTORY_REASONS = frozenset({
    "correction", "cycle_count_available", "damaged", "movement_created", "movement_updated", "movement_received",
    "movement_canceled", "other", "promotion", "quality_control", "received", "reservation_created",
    "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage",
})
SETTABLE_QUANTITIES = ("available", "on_hand")
MAX_QUANTITY = 1_000_000_000


class Mutations:
    """Mutation root resolvers over a ``state.ShopState`` and its ``views.GraphViews``."""

    def __init__(self, state, views):
        self.state = state
        self.views = views

    def root(self):
        return {
            "inventorySetQuantities": self.inventory_set_quantities,
            "webhookSubscriptionCreate": self.webhook_subscription_create,
            "webhookSubscriptionDelete": self.webhook_subscription_delete,
            "productCreate": self.product_create,
            "productUpdate": self.product_update,
            "collectionAddProducts": self.collection_add_products,
            "productReorderMedia": lambda info, id, moves: self.state.media_store.reorder(id, moves),
            "productVariantsBulkCreate": self.product_variants_bulk_create,
            "productVariantsBulkUpdate": self.product_variants_bulk_update,
            "fulfillmentCreate": lambda info, **args: fulfillment_create(
                self.state, self.views.fulfillment_views, info, **args),
        }

    def _error(self, code_enum, code, field):
        """A typed user error whose message is the schema's description of ``code``."""
        message = admin_schema().type_map[code_enum].values[code].description
        return {"code": code, "field": field, "message": message}

    # -- inventory -------------------------------------------------------------------------------
    def inventory_set_quantities(self, info, input):
        def error(code, field):
            return self._error("InventorySetQuantitiesUserErrorCode", code, field)

        state = self.state
        name = input["name"]
        errors = []
        if name not in SETTABLE_QUANTITIES:
            errors.append(error("INVALID_NAME", ["input", "name"]))
        if input["reason"] not in INVENTORY_REASONS:
            errors.append(error("INVALID_REASON", ["input", "reason"]))
        seen = set()
        for index, quantity in enumerate(input["quantities"]):
            field = ["input", "quantities", str(index)]
            key = (quantity["inventoryItemId"], quantity["locationId"])
            if key[0] not in state.inventory_items:
                errors.append(error("INVALID_INVENTORY_ITEM", field + ["inventoryItemId"]))
            elif key[1] not in state.locations:
                errors.append(error("INVALID_LOCATION", field + ["locationId"]))
            elif key in seen:
                errors.append(error("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", field))
            elif key not in state.inventory:
                errors.append(error("ITEM_NOT_STOCKED_AT_LOCATION", field + ["locationId"]))
            elif quantity["quantity"] < 0:
                errors.append(error("INVALID_QUANTITY_NEGATIVE", field + ["quantity"]))
            elif quantity["quantity"] > MAX_QUANTITY:
                errors.append(error("INVALID_QUANTITY_TOO_HIGH", field + ["quantity"]))
            elif name in SETTABLE_QUANTITIES and not input.get("ignoreCompareQuantity"):
                compare = quantity.get("compareQuantity")
                if compare is None:
                    errors.append(error("COMPARE_QUANTITY_REQUIRED", field + ["compareQuantity"]))
                elif compare != state.inventory[key][name]:
                    errors.append(error("COMPARE_QUANTITY_STALE", field + ["compareQuantity"]))
            seen.add(key)
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for quantity in input["quantities"]:
            key = (quantity["inventoryItemId"], quantity["locationId"])
            level = state.inventory[key]
            before = {changed: level[changed] for changed in SETTABLE_QUANTITIES}
            state.set_quantity(*key, name, quantity["quantity"])
            for changed in sorted(SETTABLE_QUANTITIES, key=lambda quantity_name: quantity_name != name):
                changes.append((key, changed, level[changed] - before[changed], level[changed]))
        group_id, _ = state.new_id("InventoryAdjustmentGroup")
        return {"inventoryAdjustmentGroup": self._adjustment_group(group_id, input, changes), "userErrors": []}

    def _adjustment_group(self, group_id, input, changes):
        views = self.views

        def change_nodes(info, inventoryItemIds=None, locationIds=None, quantityNames=None):
            return [
                {"name": changed, "delta": delta, "quantityAfterChange": after, "ledgerDocumentUri": None,
                 "item": lambda info, item_id=item_id: views.inventory_item(self.state.inventory_items[item_id]),
                 "location": lambda info, location_id=location_id: views.location(self.state.locations[location_id])}
                for (item_id, location_id), changed, delta, after in changes
                if (inventoryItemIds is None or item_id in inventoryItemIds)
                and (locationIds is None or location_id in locationIds)
                and (quantityNames is None or changed in quantityNames)
            ]

        return {
            "__typename": "InventoryAdjustmentGroup", "id": group_id, "createdAt": iso(self.state.now()),
            "reason": input["reason"], "referenceDocumentUri": input.get("referenceDocumentUri"), "app": None,
            "staffMember": None, "changes": change_nodes,
        }

    # -- webhook subscriptions ------------------------------------------------------------------------
    def webhook_subscription_create(self, info, topic, webhookSubscription):
        url = webhookSubscription.get("callbackUrl")
        field = ["webhookSubscription", "callbackUrl"]
        if not url:
            message = "Address can't be blank"
        elif not re.fullmatch(r"https?://[^/\s]+\S*", url):
            message = "Address is invalid"
        elif any(existing["topic"] == topic and existing["callback_url"] == url
                 for existing in self.state.webhook_subscriptions.values()):
            message = "Address for this topic has already been taken"
        else:
            subscription = self.state.add_webhook_subscription(
                topic, url, format=webhookSubscription.get("format") or "JSON",
                include_fields=webhookSubscription.get("includeFields") or (),
                filter=webhookSubscription.get("filter"),
            )
            return {"webhookSubscription": self.views.webhook_subscription(subscription), "userErrors": []}
        return {"webhookSubscription": None, "userErrors": [{"field": field, "message": message}]}

    def webhook_subscription_delete(self, info, id):
        if self.state.webhook_subscriptions.pop(id, None) is None:
            return {"deletedWebhookSubscriptionId": None,
                    "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]}
        return {"deletedWebhookSubscriptionId": id, "userErrors": []}

    # -- products --------------------------------------------------------------------------------------
    def product_create(self, info, product=None, media=None):
        product_input = product or {}
        errors = self._product_input_errors(product_input, None)
        options = [
            (option.get("name"), [value.get("name") for value in option.get("values") or []])
            for option in product_input.get("productOptions") or []
        ]
        for index, (name, values) in enumerate(options):
            if not name or not values or not all(values):
                errors.append(
                    {"field": ["productOptions", str(index)], "message": "Option name and values can't be blank"}
                )
        if not (product_input.get("title") or "").strip():
            errors.append({"field": ["title"], "message": "Title can't be blank"})
        errors += self.state.media_store.input_errors(media)
        if errors:
            return {"product": None, "userErrors": errors, "shop": self.views.shop()}
        record = self.state.add_product(
            product_input["title"].strip(), handle=product_input.get("handle"),
            description_html=product_input.get("descriptionHtml") or "",
            product_type=product_input.get("productType") or "", vendor=product_input.get("vendor"),
            status=product_input.get("status") or "ACTIVE", tags=product_input.get("tags") or (),
            options=options or None,
        )
        first_values = {name: values[0] for name, values in options} if options else dict([DEFAULT_OPTION])
        self.state.add_variant(record, options=first_values)
        self.state.media_store.add_inputs(record, media)
        self.state.emit("PRODUCTS_CREATE", record)
        return {"product": self.views.product(record), "userErrors": [], "shop": self.views.shop()}

    def product_update(self, info, product=None, media=None):
        product_input = product or {}
        record = self.state.products.get(product_input.get("id"))
        if record is None:
            return {"product": None, "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}
        errors = self._product_input_errors(product_input, record) + self.state.media_store.input_errors(media)
        if "title" in product_input and not (product_input["title"] or "").strip():
            errors.append({"field": ["title"], "message": "Title can't be blank"})
        if errors:
            return {"product": None, "userErrors": errors}
        self.state.media_store.add_inputs(record, media)
        inputs = {"title": "title", "handle": "handle", "descriptionHtml": "description_html",
                  "productType": "product_type", "vendor": "vendor", "status": "status", "tags": "tags"}
        changes = {key: product_input[name] for name, key in inputs.items() if product_input.get(name) is not None}
        self.state.update_product(record, changes)
        self.state.emit("PRODUCTS_UPDATE", record)
        return {"product": self.views.product(record), "userErrors": []}

    def _product_input_errors(self, product_input, record):
        handle = product_input.get("handle")
        taken = handle and any(
            other["handle"] == handle and other is not record for other in self.state.products.values()
        )
        return [{"field": ["handle"], "message": f"Handle '{handle}' already in use. Please provide a new handle."}] \
            if taken else []

    # -- variants ---------------------------------------------------------------------------------------
    def collection_add_products(self, info, id, productIds):
        """collectionAddProducts (https://shopify.dev/docs/api/admin-graphql/2025-01/mutations/collectionAddProducts):
        "The ID of the collection that's being updated. This can't be a smart collection."; "If any of
        the products is already present in the input collection, then an error is raised and no
        products are added."  Messages: the CollectionAddProductsV2UserErrorCode descriptions where
        they exist, the simulator's words otherwise."""
        collection = self.state.collections.get(id)
        if collection is None:
            return {"collection": None, "userErrors": [{"field": ["id"], "message": "Collection doesn't exist."}]}
        if collection["rules"] is not None:
            return {"collection": None, "userErrors": [
                {"field": ["id"], "message": "Can't manually add products to a smart collection."}]}
        for index, product_id in enumerate(productIds):
            if product_id not in self.state.products:
                return {"collection": None, "userErrors": [
                    {"field": ["productIds", str(index)], "message": "Product does not exist"}]}
            if product_id in collection["product_ids"]:
                return {"collection": None, "userErrors": [
                    {"field": ["productIds"], "message": "Product is already in the collection"}]}
        collection["product_ids"] += list(dict.fromkeys(productIds))
        self.state.touch(collection)
        return {"collection": self.views.collection(collection), "userErrors": []}

    def product_variants_bulk_create(self, info, productId, variants, media=None, strategy="DEFAULT"):
        def error(code, field):
            return self._error("ProductVariantsBulkCreateUserErrorCode", code, field)

        state = self.state
        product = state.products.get(productId)
        if product is None:
            return {"product": None, "productVariants": None,
                    "userErrors": [error("PRODUCT_DOES_NOT_EXIST", ["productId"])]}
        existing = state.product_variants(product)
        standalone = existing[0] if len(existing) == 1 and strategy == "REMOVE_STANDALONE_VARIANT" else None
        default_only = [option["name"] for option in product["options"]] == [DEFAULT_OPTION[0]]
        if standalone and default_only:  # the new variants bring the product's first real options
            option_names = list(dict.fromkeys(
                value.get("optionName") for data in variants for value in data.get("optionValues") or []
            )) or [DEFAULT_OPTION[0]]
        else:
            option_names = [option["name"] for option in product["options"]]
        taken = {tuple(variant["options"].values()) for variant in existing if variant is not standalone}
        errors, prepared = [], []
        for index, data in enumerate(variants):
            field = ["variants", str(index)]
            if data.get("id"):
                errors.append(error("NO_KEY_ON_CREATE", field + ["id"]))
                continue
            options, option_error = self._option_values(product, option_names, data.get("optionValues") or [])
            if option_error:
                errors.append(error(option_error, field + ["optionValues"]))
                continue
            if tuple(options.values()) in taken:
                errors.append(error("VARIANT_ALREADY_EXISTS", field))
                continue
            taken.add(tuple(options.values()))
            changes = self._variant_changes(data, field, errors, error)
            stock = {}
            for position, level in enumerate(data.get("inventoryQuantities") or []):
                if level["locationId"] not in state.locations:
                    errors.append(error("TRACKED_VARIANT_LOCATION_NOT_FOUND",
                                        field + ["inventoryQuantities", str(position), "locationId"]))
                stock[level["locationId"]] = level["availableQuantity"]
            prepared.append((options, changes, stock))
        if errors:
            return {"product": self.views.product(product), "productVariants": None, "userErrors": errors}
        if standalone:
            state.delete_variant(standalone)
            if default_only:
                state.replace_options(product, option_names)
        created = []
        for options, changes, stock in prepared:
            variant = state.add_variant(product, options=options, stock=stock or None)
            state.update_variant(variant, changes)
            created.append(variant)
        state.touch(product)
        state.emit("PRODUCTS_UPDATE", product)
        return {"product": self.views.product(product),
                "productVariants": [self.views.variant(variant) for variant in created], "userErrors": []}

    def product_variants_bulk_update(self, info, productId, variants, media=None, allowPartialUpdates=False):
        def error(code, field):
            return self._error("ProductVariantsBulkUpdateUserErrorCode", code, field)

        state = self.state
        product = state.products.get(productId)
        if product is None:
            return {"product": None, "productVariants": None,
                    "userErrors": [error("PRODUCT_DOES_NOT_EXIST", ["productId"])]}
        errors, prepared = [], []
        for index, data in enumerate(variants):
            field = ["variants", str(index)]
            variant = state.variants.get(data.get("id"))
            if not data.get("id"):
                errors.append(error("PRODUCT_VARIANT_ID_MISSING", field + ["id"]))
            elif variant is None or variant["product_id"] != product["id"]:
                errors.append(error("PRODUCT_VARIANT_DOES_NOT_EXIST", field + ["id"]))
            elif data.get("inventoryQuantities"):
                errors.append(error("NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE", field + ["inventoryQuantities"]))
            else:
                error_count = len(errors)
                changes = self._variant_changes(data, field, errors, error)
                if data.get("optionValues"):
                    options, option_error = self._option_values(
                        product, [name for name in variant["options"]], data["optionValues"], partial=True
                    )
                    if option_error:
                        errors.append(error(option_error, field + ["optionValues"]))
                    changes["options"] = options
                if len(errors) == error_count:
                    prepared.append((variant, changes))
        if errors and not allowPartialUpdates:
            return {"product": self.views.product(product), "productVariants": None, "userErrors": errors}
        for variant, changes in prepared:
            state.update_variant(variant, changes)
        if prepared:
            state.touch(product)
            state.emit("PRODUCTS_UPDATE", product)
        return {"product": self.views.product(product),
                "productVariants": [self.views.variant(variant) for variant, _ in prepared], "userErrors": errors}

    def _option_values(self, product, option_names, option_values, partial=False):
        """``({option name: value}, None)`` from VariantOptionValueInput dicts, or ``(None, error code)``."""
        options_by_id = {option["id"]: option for option in product["options"]}
        chosen = {}
        for value in option_values:
            option = options_by_id.get(value.get("optionId"))
            name = option["name"] if option else value.get("optionName")
            if name not in option_names:
                return None, "OPTION_DOES_NOT_EXIST" if partial else "OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS"
            if value.get("id"):
                option = option or next(option for option in product["options"] if option["name"] == name)
                by_id = {value_id: text for text, value_id in option["value_ids"].items()}
                if value["id"] not in by_id:
                    return None, "OPTION_VALUE_DOES_NOT_EXIST" if partial else "INVALID_INPUT"
                chosen[name] = by_id[value["id"]]
            elif value.get("name"):
                chosen[name] = value["name"]
            else:
                return None, "INVALID_INPUT"
        if not partial and set(chosen) != set(option_names):
            return None, "NEED_TO_ADD_OPTION_VALUES"
        return {name: chosen[name] for name in option_names if name in chosen}, None

    @staticmethod
    def _variant_changes(data, field, errors, error):
        """State changes from a ProductVariantsBulkInput; price problems are added to ``errors``."""
        changes = {}
        for input_name, key in (("price", "price"), ("compareAtPrice", "compare_at_price")):
            if input_name in data:
                amount = _money(data[input_name])
                if amount is not None and amount < 0:
                    errors.append(error("GREATER_THAN_OR_EQUAL_TO", field + [input_name]))
                changes[key] = Decimal(0) if amount is None and key == "price" else amount
        for input_name, key in (
            ("barcode", "barcode"), ("taxable", "taxable"), ("inventoryPolicy", "inventory_policy"),
        ):
            if input_name in data:
                changes[key] = data[input_name]
        item = data.get("inventoryItem") or {}
        for input_name, key in (("sku", "sku"), ("tracked", "tracked"), ("requiresShipping", "requires_shipping")):
            if input_name in item:
                changes[key] = item[input_name]
        weight = (item.get("measurement") or {}).get("weight")
        if weight:
            changes["weight"] = Decimal(str(weight["value"]))
            changes["weight_unit"] = weight["unit"]
        return changes


def _money(value):
    """A Money input (string or number) as Decimal; None stays None."""
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise GraphQLError(f"Invalid Money value: {value!r}") from exc
