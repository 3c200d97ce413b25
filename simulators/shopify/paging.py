"""Relay cursor connections as Shopify serves them.

A cursor is base64 of ``{"last_id": <legacy id>, "last_value": <sort value>}`` (Shopify's own cursor
content), so paging stays stable while records change.  The page size limits (one of first/last, at
most 250) are enforced before execution, by the cost analysis.
"""

import base64
import binascii
import json

from graphql import GraphQLError


def encode_cursor(sort_key):
    value, legacy_id = sort_key
    return base64.b64encode(json.dumps({"last_id": legacy_id, "last_value": value}).encode()).decode()


def decode_cursor(cursor):
    try:
        content = json.loads(base64.b64decode(cursor, validate=True))
        return content["last_value"], content["last_id"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(f"Invalid cursor: {cursor}", extensions={"code": "BAD_REQUEST"}) from exc


def connection(entries, args, render):
    """One page of ``entries``: ``(sort_key, item)`` pairs with sort_key = ``(sort value, legacy id)``.

    ``args`` are the field arguments (first, after, last, before, reverse); ``render(item)`` gives
    the node.  Sort values must be JSON-serialisable and comparable within one connection.
    """
    ordered = sorted(entries, key=lambda entry: _comparable(entry[0]), reverse=bool(args.get("reverse")))
    keys = [_comparable(key) for key, _ in ordered]
    descending = bool(args.get("reverse"))

    def precedes(left, right):
        return left > right if descending else left < right

    start, end = 0, len(ordered)
    if args.get("after"):
        after = _comparable(decode_cursor(args["after"]))
        start = next((index for index, key in enumerate(keys) if precedes(after, key)), len(keys))
    if args.get("before"):
        before = _comparable(decode_cursor(args["before"]))
        end = next((index for index, key in enumerate(keys) if not precedes(key, before)), len(keys))
    end = max(start, end)
    if args.get("first") is not None:
        end = min(end, start + args["first"])
    if args.get("last") is not None:
        start = max(start, end - args["last"])
    page = ordered[start:end]
    edges = [{"cursor": encode_cursor(key), "node": render(item)} for key, item in page]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": end < len(ordered),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _comparable(sort_key):
    """Sort keys compare as tuples; None sorts before any value."""
    value, legacy_id = sort_key
    return (value is not None, value if value is not None else 0, legacy_id)
