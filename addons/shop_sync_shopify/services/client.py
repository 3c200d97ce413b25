"""Shopify Admin GraphQL client on the hub's :class:`HttpClient`.

One POST per document to ``/admin/api/<version>/graphql.json`` with ``X-Shopify-Access-Token``.
Shopify answers invalid documents and throttling with HTTP 200 and an ``errors`` list, so the
body decides: ``THROTTLED`` waits until the leaky bucket holds the requested cost again
(``(requested - currentlyAvailable) / restoreRate`` seconds) and retries; any other error becomes
a :class:`RemoteError`.  Every answer carries ``extensions.cost.throttleStatus``: the client
remembers it with the cost of each document and sleeps *before* sending a document the bucket
cannot pay for yet, so a steady sync is rarely throttled at all.  HTTP 429 (``Retry-After``) and
5xx retries are the HttpClient's; the backend's rate governor (shared by all workers) is asked
for each document's requested cost before it is sent.
"""

import json
import logging
import time

from odoo.addons.shop_sync_base.services.http import HttpClient, RemoteError

from .queries import API_VERSION

_logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 250
THROTTLE_RETRIES = 5
# points a document is counted for by the shared rate governor until Shopify reports its requested cost
DEFAULT_COST = 10
WAIT_MARGIN = 0.05  # seconds added to each computed wait: the bucket restores continuously, clocks differ


def shop_url(value):
    """The shop's base URL from a domain (``my-shop.myshopify.com``) or a URL."""
    value = (value or "").strip().rstrip("/")
    return value if value.startswith(("http://", "https://")) else f"https://{value}"


def error_text(errors):
    """One line from Shopify's ``errors`` (a string, a list of error objects or a dict)."""
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(str(error.get("message", error)) if isinstance(error, dict) else str(error)
                         for error in errors)
    return json.dumps(errors)[:500]


def http_error_message(response):
    """Text of a non-2xx answer: Shopify's ``{"errors": ...}`` body, else its start."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:500] or f"HTTP {response.status_code}"
    return error_text(body.get("errors", body)) if isinstance(body, dict) else json.dumps(body)[:500]


class ShopifyClient:
    """GraphQL documents in, ``data`` out; throttling handled, errors raised as RemoteError."""

    def __init__(self, url, access_token, *, api_version=API_VERSION, sleep=time.sleep, timeout=30,
                 monotonic=time.monotonic, governor=None):
        self.path = f"/admin/api/{api_version}/graphql.json"
        self.http = HttpClient(shop_url(url), headers={"X-Shopify-Access-Token": access_token,
                                                       "Accept": "application/json"},
                               timeout=timeout, secrets=[access_token], error_message=http_error_message,
                               sleep=sleep, governor=governor)
        self.monotonic = monotonic
        self.costs = {}  # document -> requested cost last reported
        self.throttle_status = None  # last throttleStatus, with the moment it was received
        self.waited = []  # seconds slept for the bucket (pacing and THROTTLED), for diagnostics

    # -- requests --------------------------------------------------------------------------------
    def execute(self, query, variables=None, repeatable=None):
        """Send a document; return its ``data``.  Raise RemoteError on any GraphQL error.

        Every document is a POST: a query (or a mutation the caller declares ``repeatable``, e.g.
        an update by id) is retried on 5xx and lost connections; any other mutation answered so is
        uncertain (RemoteError.uncertain) for the caller to look up."""
        if repeatable is None:
            repeatable = not is_mutation(query)
        for _attempt in range(THROTTLE_RETRIES + 1):
            self._pace(query)
            charged = self.costs.get(query, DEFAULT_COST)
            response = self.http.post(self.path, json_body={"query": query, "variables": variables or {}},
                                      retry_uncertain=repeatable, cost=charged)
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise RemoteError("Shopify answered with something else than a JSON object.",
                                  status=response.status_code, body=self.http.excerpt(response.text))
            cost = (body.get("extensions") or {}).get("cost") or {}
            self._remember(query, cost)
            self._settle(charged, cost)
            errors = body.get("errors")
            if not errors:
                return body.get("data") or {}
            if not self._is_throttled(errors):
                raise RemoteError(self.http.redact(error_text(errors)), status=response.status_code,
                                  body=self.http.excerpt(response.text))
            self._wait(self._throttle_delay(cost))
        raise RemoteError(_throttled_message(cost), status=200, retryable=True)

    def paginate(self, query, variables, path, page_size, after=None, page_done=None):
        """Yield the nodes of the connection at ``path`` (keys into ``data``), page after page,
        starting after the cursor ``after``; the document takes ``$first`` and ``$after``.
        ``page_done(cursor)`` is called once every node of a page was taken."""
        if not 0 < page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be 1..{MAX_PAGE_SIZE}")
        while True:
            data = self.execute(query, {**variables, "first": page_size, "after": after})
            connection = _dig(data, path)
            if connection is None:
                return
            yield from connection.get("nodes") or []
            page = connection.get("pageInfo") or {}
            if page_done and page.get("endCursor"):
                page_done(page["endCursor"])
            if not page.get("hasNextPage"):
                return
            after = page["endCursor"]

    # -- throttling ------------------------------------------------------------------------------
    @staticmethod
    def _is_throttled(errors):
        return isinstance(errors, list) and any(
            isinstance(error, dict) and (error.get("extensions") or {}).get("code") == "THROTTLED"
            for error in errors)

    def _settle(self, charged, cost):
        """Shopify checks the bucket for a document's requested cost but takes only its actual cost
        (shopify.dev "API rate limits", GraphQL Admin API: "the difference is refunded to the
        bucket"): the shared governor gets back what it was charged beyond the actual cost, so
        workers are not held back by points Shopify never took."""
        actual = cost.get("actualQueryCost")
        if actual is not None and charged > actual:
            self.http.refund(charged - actual)

    def _remember(self, query, cost):
        if cost.get("requestedQueryCost") is not None:
            self.costs[query] = cost["requestedQueryCost"]
        if cost.get("throttleStatus"):
            self.throttle_status = (cost["throttleStatus"], self.monotonic())

    def _available(self):
        """Points in the bucket now, extrapolated from the last throttleStatus; None if unknown."""
        if not self.throttle_status:
            return None
        status, received = self.throttle_status
        restored = max(0.0, self.monotonic() - received) * float(status["restoreRate"])
        return min(float(status["maximumAvailable"]), float(status["currentlyAvailable"]) + restored)

    def _pace(self, query):
        """Sleep before sending a document whose known cost the bucket cannot pay yet."""
        cost, available = self.costs.get(query), self._available()
        if cost is None or available is None or cost <= available:
            return
        status = self.throttle_status[0]
        if cost > float(status["maximumAvailable"]):
            raise RemoteError(f"Query cost {cost} exceeds the bucket size {status['maximumAvailable']}.")
        self._wait((cost - available) / float(status["restoreRate"]) + WAIT_MARGIN)

    def _throttle_delay(self, cost):
        status = cost.get("throttleStatus") or {}
        requested = cost.get("requestedQueryCost")
        if not status or requested is None:
            return 1.0
        if requested > float(status["maximumAvailable"]):
            raise RemoteError(_throttled_message(cost), status=200)
        return max(0.0, (requested - float(status["currentlyAvailable"])) / float(status["restoreRate"])) + WAIT_MARGIN

    def _wait(self, seconds):
        """Sleep ``seconds`` for the bucket; a wait longer than a worker sleeps (the HttpClient's
        ``max_backoff``) is a retryable RemoteError carrying it: the job is postponed instead."""
        if seconds <= 0:
            return
        if seconds > self.http.max_backoff:
            raise RemoteError(f"Shopify's query cost bucket refills in {seconds:.0f}s: asking again later.",
                              status=200, retryable=True, retry_after=seconds)
        self.waited.append(seconds)
        self.http.stats["throttled"] += 1
        _logger.info("Shopify bucket: waiting %.2fs", seconds)
        available = self._available()
        self.http.sleep(seconds)
        if available is not None:  # the wait restored points, whatever the sleep did to the clock
            status = self.throttle_status[0]
            restored = min(float(status["maximumAvailable"]), available + seconds * float(status["restoreRate"]))
            self.throttle_status = ({**status, "currentlyAvailable": restored}, self.monotonic())


def is_mutation(document):
    """True for a GraphQL mutation document (its first operation, comments skipped)."""
    lines = (line.strip() for line in document.splitlines())
    first = next((line for line in lines if line and not line.startswith("#")), "")
    return first.startswith("mutation")


def _dig(data, path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _throttled_message(cost):
    status = cost.get("throttleStatus") or {}
    return (f"Throttled by Shopify: query cost {cost.get('requestedQueryCost')}, "
            f"{status.get('currentlyAvailable')} of {status.get('maximumAvailable')} points available.")
