"""Plain-Python Shopify services: GraphQL documents, client and adapter (no ORM)."""
