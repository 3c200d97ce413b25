"""Shopify Admin GraphQL API simulator (2025-01); see ``app`` for the HTTP side, ``state`` for records."""

from .app import ACCESS_TOKEN, API_SECRET, API_VERSION, SHOP_DOMAIN, ShopifySimulator, webhook_signature

__all__ = ["ACCESS_TOKEN", "API_SECRET", "API_VERSION", "SHOP_DOMAIN", "ShopifySimulator", "webhook_signature"]
