"""Full product imports through a bulk query operation (GraphQL Admin API 2025-01).

Shopify's documented way to read a whole catalogue (https://shopify.dev/docs/api/usage/bulk-operations/queries):
``bulkOperationRunQuery`` starts the query in the background, ``currentBulkOperation`` tells its
status, and once ``COMPLETED`` its ``url`` holds a JSONL file: one product per line, each variant
and collection on a line of its own after its product, pointing back with ``__parentId``.  No
paging, no cost per page: one mutation, a few polls and one download instead of hundreds of
throttled pages.

The operation runs for minutes on a large shop: a worker does not wait for it.  ``Postponed``
(a retryable RemoteError with ``retry_after``) tells the job layer to run the import again later;
that run finds the operation through ``currentBulkOperation`` (Shopify keeps one bulk query per
app and shop) and reads its file.  A completed operation of this query is read when it finished
within ``FRESH_FOR``; an older one is replaced by a new operation.  The file is read line by line:
memory holds one product at a time.  It is downloaded without the access token (a signed storage
URL of another host).
"""

import json
from datetime import UTC, datetime, timedelta

import requests

from odoo.addons.shop_sync_base.services.http import Postponed, RemoteError

from .queries import _COLLECTION, _VARIANT

FRESH_FOR = timedelta(minutes=10)
MIN_POLL, MAX_POLL = 10, 600  # seconds between two looks at a running operation
DOWNLOAD_TIMEOUT = 60

BULK_PRODUCTS_QUERY = f"""
query BulkProducts {{
  products {{
    edges {{
      node {{
        id title descriptionHtml productType status updatedAt
        collections {{ edges {{ node {{ ...CollectionFields }} }} }}
        variants {{ edges {{ node {{ ...VariantFields }} }} }}
      }}
    }}
  }}
}}
{_COLLECTION}
{_VARIANT}"""

BULK_OPERATION_RUN_QUERY = """
mutation BulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status createdAt }
    userErrors { code field message }
  }
}
"""

CURRENT_BULK_OPERATION_QUERY = """
query CurrentBulkOperation {
  currentBulkOperation(type: QUERY) { id status query createdAt completedAt url objectCount errorCode }
}
"""


class BulkRead:
    """One look at the shop's bulk query: start it, wait for it (``Postponed``), or read its file
    (``products()``; ``snapshot`` is then the operation's createdAt)."""

    def __init__(self, client, now=None):
        self.client = client
        self.now = now or (lambda: datetime.now(UTC))
        self.snapshot = None  # when the data read was taken (the operation's createdAt)

    def products(self):
        operation = self.client.execute(CURRENT_BULK_OPERATION_QUERY).get("currentBulkOperation")
        if operation and operation["status"] in ("CREATED", "RUNNING"):
            raise Postponed(f"Shopify's bulk operation {operation['id']} is {operation['status'].lower()} "
                              f"({operation.get('objectCount') or 0} objects so far).", self._poll_after(operation))
        if not self._readable(operation):
            operation = self._start()
            raise Postponed(f"Shopify's bulk operation {operation['id']} started: the products are read when "
                              "it completes.", MIN_POLL)
        self.snapshot = _datetime(operation["createdAt"])
        if not operation.get("url"):  # an empty shop: no file
            return
        yield from _products(_lines(operation["url"]))

    def _readable(self, operation):
        if not operation or operation["status"] != "COMPLETED" or operation.get("query", "").strip() != \
                BULK_PRODUCTS_QUERY.strip():
            return False
        completed = _datetime(operation.get("completedAt"))
        return bool(completed and self.now() - completed <= FRESH_FOR)

    def _start(self):
        payload = self.client.execute(BULK_OPERATION_RUN_QUERY, {"query": BULK_PRODUCTS_QUERY})["bulkOperationRunQuery"]
        errors = payload.get("userErrors") or []
        if errors:
            if any(error.get("code") == "OPERATION_IN_PROGRESS" for error in errors):
                raise Postponed(errors[0]["message"], MIN_POLL)
            raise RemoteError("Shopify refused the bulk query: " + "; ".join(error["message"] for error in errors))
        return payload["bulkOperation"]

    def _poll_after(self, operation):
        """Seconds until the next look: as long as it has run so far (10 s to 10 min)."""
        created = _datetime(operation.get("createdAt"))
        elapsed = (self.now() - created).total_seconds() if created else MIN_POLL
        return int(min(MAX_POLL, max(MIN_POLL, elapsed)))


def _lines(url):
    """The JSONL objects at ``url``, streamed (no credentials: a signed URL of another host)."""
    try:
        with requests.get(url, stream=True, timeout=DOWNLOAD_TIMEOUT, allow_redirects=False) as response:
            if not response.ok:
                raise RemoteError(f"The bulk operation's file could not be read (HTTP {response.status_code}).",
                                  status=response.status_code, retryable=response.status_code >= 500)
            for line in response.iter_lines():
                if line.strip():
                    yield json.loads(line)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise RemoteError(f"The bulk operation's file could not be read: {type(exc).__name__}",
                          retryable=True) from exc


def _products(lines):
    """Products with their variants (``variants.nodes``) and collections (``collections.nodes``)
    from JSONL lines, each after its product; one product held at a time."""
    product = None
    for line in lines:
        parent = line.pop("__parentId", None)
        if parent is None:
            if product:
                yield product
            product = {**line, "variants": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
                       "collections": {"nodes": []}}
        elif product and parent == product["id"]:
            kind = "collections" if line.get("id", "").startswith("gid://shopify/Collection/") else "variants"
            product[kind]["nodes"].append(line)
        else:
            raise ValueError(f"bulk file: a line of {parent} is not after its product")
    if product:
        yield product


def _datetime(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
