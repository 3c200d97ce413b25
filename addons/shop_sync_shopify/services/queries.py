"""Every GraphQL document the connector sends to the Admin API (version 2025-01).

Public constants are complete documents (fragments included) so the tests can validate each of
them against the 2025-01 schema and keep its requested cost under Shopify's single-query limit of
1000 points; that limit, not convenience, sets the page sizes below.  Private ``_`` constants are
fragments.
"""

API_VERSION = "2025-01"

ORDER_PAGE_SIZE = 6  # an order with ten lines costs ~140 points
ORDER_LINES_PAGE_SIZE = 10
MORE_LINES_PAGE_SIZE = 80
REFUND_LINES_PAGE_SIZE = 30
MORE_REFUND_LINES_PAGE_SIZE = 100
PRODUCT_PAGE_SIZE = 10
PRODUCT_VARIANTS_PAGE_SIZE = 15
PRODUCT_COLLECTIONS_PAGE_SIZE = 5  # the custom collections read with a product (its category: adapter.py)
COLLECTIONS_PAGE_SIZE = 250
MORE_VARIANTS_PAGE_SIZE = 150
STOCK_BATCH_SIZE = 100  # quantities per inventorySetQuantities / inventory read

_MONEY = "presentmentMoney { amount currencyCode }"

_ADDRESS = """
fragment AddressFields on MailingAddress {
  name firstName lastName company address1 address2 zip city countryCodeV2 phone
}
"""

_LINE_ITEM = f"""
fragment LineItemFields on LineItem {{
  id name sku quantity taxable
  variant {{ id }}
  originalUnitPriceSet {{ {_MONEY} }}
  discountedUnitPriceSet {{ {_MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} }}
  taxLines {{ ratePercentage }}
}}
"""

_ORDER = f"""
fragment OrderFields on Order {{
  id name createdAt updatedAt processedAt cancelledAt displayFinancialStatus
  email phone note taxesIncluded taxExempt presentmentCurrencyCode paymentGatewayNames discountCodes
  customAttributes {{ key value }}
  customer {{ email firstName lastName phone defaultAddress {{ company }} }}
  billingAddress {{ ...AddressFields }}
  shippingAddress {{ ...AddressFields }}
  totalPriceSet {{ {_MONEY} }}
  totalDiscountsSet {{ {_MONEY} }}
  totalRefundedSet {{ {_MONEY} }}
  totalTaxSet {{ {_MONEY} }}
  lineItems(first: {ORDER_LINES_PAGE_SIZE}) {{
    nodes {{ ...LineItemFields }}
    pageInfo {{ hasNextPage endCursor }}
  }}
  shippingLines(first: 5) {{
    nodes {{
      id title code
      originalPriceSet {{ {_MONEY} }}
      discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} }}
      taxLines {{ ratePercentage }}
    }}
  }}
}}
{_ADDRESS}
{_LINE_ITEM}
"""

_VARIANT = """
fragment VariantFields on ProductVariant {
  id sku barcode price updatedAt inventoryPolicy
  selectedOptions { name value }
  inventoryItem { id measurement { weight { value unit } } }
}
"""

# ruleSet is null for a custom (manual) collection, set for a smart one
_COLLECTION = """
fragment CollectionFields on Collection { id title ruleSet { appliedDisjunctively } }
"""

_PRODUCT = f"""
fragment ProductFields on Product {{
  id title descriptionHtml productType vendor tags status updatedAt
  featuredMedia {{ id status preview {{ image {{ url }} }} }}
  collections(first: {PRODUCT_COLLECTIONS_PAGE_SIZE}, query: "collection_type:custom", sortKey: ID) {{
    nodes {{ ...CollectionFields }}
  }}
  variants(first: {PRODUCT_VARIANTS_PAGE_SIZE}) {{
    nodes {{ ...VariantFields }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
{_VARIANT}
{_COLLECTION}
"""

SHOP_QUERY = """
query ShopInfo {
  shop { name myshopifyDomain currencyCode taxesIncluded }
  location { id name }
}
"""

LOCATIONS_QUERY = """
query Locations {
  locations(first: 50) { nodes { id name isActive } }
}
"""

PRIMARY_LOCATION_QUERY = """
query PrimaryLocation {
  location { id name }
}
"""

ORDERS_QUERY = f"""
query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ ...OrderFields }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
{_ORDER}
"""

ORDER_QUERY = f"""
query Order($id: ID!) {{
  order(id: $id) {{ ...OrderFields }}
}}
{_ORDER}
"""

_REFUND_LINE_ITEM = f"""
fragment RefundLineItemFields on RefundLineItem {{
  quantity restockType
  lineItem {{ id sku name }}
  subtotalSet {{ {_MONEY} }}
  totalTaxSet {{ {_MONEY} }}
}}
"""

# read only for an order with a refunded amount (the order query stays cheap); ``Order.refunds`` is a
# list, not a connection: ``first`` would "truncate the array" (Admin schema 2025-01) with no page to
# follow, so every refund is read; the lines of a refund with more than a page are read on
# (``REFUND_LINE_ITEMS_QUERY``)
ORDER_REFUNDS_QUERY = f"""
query OrderRefunds($id: ID!) {{
  order(id: $id) {{
    refunds {{
      id createdAt note
      totalRefundedSet {{ {_MONEY} }}
      refundLineItems(first: {REFUND_LINES_PAGE_SIZE}) {{
        nodes {{ ...RefundLineItemFields }}
        pageInfo {{ hasNextPage endCursor }}
      }}
      refundShippingLines(first: 5) {{
        nodes {{
          shippingLine {{ id title }}
          subtotalAmountSet {{ {_MONEY} }}
          taxAmountSet {{ {_MONEY} }}
        }}
      }}
    }}
  }}
}}
{_REFUND_LINE_ITEM}
"""

REFUND_LINE_ITEMS_QUERY = f"""
query RefundLineItems($id: ID!, $first: Int!, $after: String) {{
  refund(id: $id) {{
    refundLineItems(first: $first, after: $after) {{
      nodes {{ ...RefundLineItemFields }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
{_REFUND_LINE_ITEM}
"""

ORDER_LINE_ITEMS_QUERY = f"""
query OrderLineItems($id: ID!, $first: Int!, $after: String) {{
  order(id: $id) {{
    lineItems(first: $first, after: $after) {{
      nodes {{ ...LineItemFields }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
{_LINE_ITEM}
"""

PRODUCTS_QUERY = f"""
query Products($first: Int!, $after: String, $query: String) {{
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ ...ProductFields }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
{_PRODUCT}
"""

PRODUCT_QUERY = f"""
query Product($id: ID!) {{
  product(id: $id) {{ ...ProductFields }}
}}
{_PRODUCT}
"""

PRODUCT_VARIANTS_QUERY = f"""
query ProductVariants($id: ID!, $first: Int!, $after: String) {{
  product(id: $id) {{
    variants(first: $first, after: $after) {{
      nodes {{ ...VariantFields }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
{_VARIANT}
"""

VARIANTS_BY_SKU_QUERY = """
query VariantsBySku($query: String!) {
  productVariants(first: 10, query: $query) {
    nodes { id sku product { id } inventoryItem { id } }
  }
}
"""

PRODUCTS_BY_TAG_QUERY = """
query ProductsByTag($query: String!) {
  products(first: 5, query: $query) {
    nodes { id tags variants(first: 1) { nodes { id } } }
  }
}
"""

INVENTORY_LEVELS_QUERY = """
query InventoryLevels($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } }
    }
  }
}
"""

INVENTORY_SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

PRODUCT_CREATE = """
mutation ProductCreate($product: ProductCreateInput!, $media: [CreateMediaInput!]) {
  productCreate(product: $product, media: $media) {
    product { id variants(first: 1) { nodes { id } } }
    userErrors { field message }
  }
}
"""

PRODUCT_UPDATE = """
mutation ProductUpdate($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id }
    userErrors { field message }
  }
}
"""

# a new main image: appended to the product's media (Shopify downloads originalSource itself), then moved first
# (the first media is the featured one); the answer's last media is the one just added
PRODUCT_ADD_MEDIA = """
mutation ProductAddMedia($product: ProductUpdateInput!, $media: [CreateMediaInput!]) {
  productUpdate(product: $product, media: $media) {
    product { id media(last: 1) { nodes { id status } } }
    userErrors { field message }
  }
}
"""

# the id of a product's last media: what an uncertain PRODUCT_ADD_MEDIA is looked up by
PRODUCT_LAST_MEDIA_QUERY = """
query ProductLastMedia($id: ID!) {
  product(id: $id) { media(last: 1) { nodes { id } } }
}
"""

PRODUCT_REORDER_MEDIA = """
mutation ProductReorderMedia($id: ID!, $moves: [MoveInput!]!) {
  productReorderMedia(id: $id, moves: $moves) {
    job { id }
    mediaUserErrors { field message code }
  }
}
"""

PRODUCT_VARIANTS_BULK_CREATE = """
mutation VariantsCreate($productId: ID!, $variants: [ProductVariantsBulkInput!]!,
                        $strategy: ProductVariantsBulkCreateStrategy) {
  productVariantsBulkCreate(productId: $productId, variants: $variants, strategy: $strategy) {
    productVariants { id sku inventoryItem { id } }
    userErrors { field message code }
  }
}
"""

PRODUCT_VARIANTS_BULK_UPDATE = """
mutation VariantsUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id sku inventoryItem { id } }
    userErrors { field message code }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS_QUERY = """
query WebhookSubscriptions($topics: [WebhookSubscriptionTopic!], $callbackUrl: URL, $first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after, topics: $topics, callbackUrl: $callbackUrl) {
    nodes { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
WEBHOOK_PAGE_SIZE = 50

# fulfilments: an order's fulfillment orders (what is left to ship) and fulfillments (what shipped)
FULFILLMENT_ORDERS_PAGE_SIZE = 5
FULFILLMENT_LINES_PAGE_SIZE = 50
FULFILLMENTS_LIMIT = 10

ORDER_FULFILLMENTS_QUERY = f"""
query OrderFulfillments($id: ID!) {{
  order(id: $id) {{
    id
    fulfillmentOrders(first: {FULFILLMENT_ORDERS_PAGE_SIZE}) {{
      nodes {{
        id status
        lineItems(first: {FULFILLMENT_LINES_PAGE_SIZE}) {{ nodes {{ id remainingQuantity lineItem {{ id sku }} }} }}
      }}
    }}
    fulfillments(first: {FULFILLMENTS_LIMIT}) {{
      id status
      trackingInfo(first: 1) {{ company number url }}
      fulfillmentLineItems(first: {FULFILLMENT_LINES_PAGE_SIZE}) {{ nodes {{ quantity lineItem {{ id sku }} }} }}
    }}
  }}
}}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""


# the custom collections, by title: a product's Odoo category is added to the one of its name
CUSTOM_COLLECTIONS_QUERY = """
query CustomCollections($first: Int!, $after: String) {
  collections(first: $first, after: $after, query: "collection_type:custom", sortKey: ID) {
    nodes { id title }
    pageInfo { hasNextPage endCursor }
  }
}
"""

COLLECTION_ADD_PRODUCTS = """
mutation CollectionAddProducts($id: ID!, $productIds: [ID!]!) {
  collectionAddProducts(id: $id, productIds: $productIds) {
    collection { id }
    userErrors { field message }
  }
}
"""

COLLECTION_HAS_PRODUCT_QUERY = """
query CollectionHasProduct($id: ID!, $productId: ID!) {
  collection(id: $id) { hasProduct(id: $productId) }
}
"""
