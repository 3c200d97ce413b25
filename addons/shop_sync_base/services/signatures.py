"""Signature helpers shared by the adapters (webhooks and signed requests)."""

import base64
import hashlib
import hmac


def hmac_base64(secret, body, digest=hashlib.sha256):
    """base64(HMAC(secret, body)) as Shopify and WooCommerce sign webhooks."""
    return base64.b64encode(hmac.new(_bytes(secret), _bytes(body), digest).digest()).decode()


def hmac_hex(secret, message, digest=hashlib.sha512):
    """hex(HMAC(secret, message)) as CCV signs requests, responses and webhooks."""
    return hmac.new(_bytes(secret), _bytes(message), digest).hexdigest()


def same(expected, received):
    """Constant-time comparison of two signatures (str or bytes); False when one is missing."""
    if not expected or not received:
        return False
    return hmac.compare_digest(_bytes(expected), _bytes(received))


def _bytes(value):
    return value if isinstance(value, bytes) else str(value).encode()
