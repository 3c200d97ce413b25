"""Every GraphQL document of the connector is valid for the Admin API 2025-01 and affordable:
its requested cost stays under Shopify's single-query limit with the page sizes the adapter uses."""

import pytest
from graphql import get_operation_ast, parse, validate
from graphql.execution.values import get_variable_values

from odoo.addons.shop_sync_shopify.services import queries
from simulators.shopify.cost import QueryCostAnalysis
from simulators.shopify.schema import admin_schema

MAX_QUERY_COST = 1000
DOCUMENTS = {name: value for name, value in vars(queries).items()
             if name.isupper() and not name.startswith("_") and isinstance(value, str) and name != "API_VERSION"}
# the largest pages each paged document is sent with
PAGE_SIZES = {
    "ORDERS_QUERY": queries.ORDER_PAGE_SIZE, "ORDER_LINE_ITEMS_QUERY": queries.MORE_LINES_PAGE_SIZE,
    "PRODUCTS_QUERY": queries.PRODUCT_PAGE_SIZE, "PRODUCT_VARIANTS_QUERY": queries.MORE_VARIANTS_PAGE_SIZE,
    "REFUND_LINE_ITEMS_QUERY": queries.MORE_REFUND_LINES_PAGE_SIZE,
    "WEBHOOK_SUBSCRIPTIONS_QUERY": queries.WEBHOOK_PAGE_SIZE, "CUSTOM_COLLECTIONS_QUERY": queries.COLLECTIONS_PAGE_SIZE,
}
INPUTS = {
    "id": "gid://shopify/Order/1", "query": "updated_at:>'2026-01-01T00:00:00Z'",
    "productId": "gid://shopify/Product/1", "productIds": ["gid://shopify/Product/1"],
    "ids": ["gid://shopify/InventoryItem/1"] * queries.STOCK_BATCH_SIZE, "locationId": "gid://shopify/Location/1",
    "variants": [], "input": {"name": "available", "reason": "correction", "quantities": []},
    "product": {"title": "x"}, "topic": "ORDERS_CREATE", "webhookSubscription": {"callbackUrl": "https://x.test"},
    "topics": ["ORDERS_CREATE"], "callbackUrl": "https://x.test", "strategy": "DEFAULT",
    "fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}]},
    "media": [{"originalSource": "https://x.test/a.png", "mediaContentType": "IMAGE"}],
    "moves": [{"id": "gid://shopify/MediaImage/1", "newPosition": "0"}],
}


def test_the_module_holds_every_document():
    assert len(DOCUMENTS) == 29, sorted(DOCUMENTS)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_and_within_the_cost_limit(name):
    schema = admin_schema()
    document = parse(DOCUMENTS[name])
    assert validate(schema, document) == []
    operation = get_operation_ast(document)
    assert operation is not None and operation.name, "one named operation per document"
    definitions = operation.variable_definitions or ()
    used = {definition.variable.name.value for definition in definitions}
    values = {key: value for key, value in {**INPUTS, "first": PAGE_SIZES.get(name)}.items() if key in used}
    coerced = get_variable_values(schema, definitions, values)
    assert not isinstance(coerced, list), coerced
    analysis = QueryCostAnalysis(schema, document, operation, coerced)
    assert analysis.requested() <= MAX_QUERY_COST
    assert analysis.errors == []
