"""CCV Shop REST API v1 client: HMAC-SHA512 signed requests and responses, collection paging.

Every request carries ``x-public``, ``x-date`` and
``x-hash = hex(HMAC-SHA512(secret, "{public}|{METHOD}|{uri}|{body}|{x-date}"))`` where ``uri`` is
the path plus query string exactly as sent.  CCV signs its answers with the same recipe over the
response body and the response's ``x-date``; an answer whose signature does not match is refused
(:class:`RemoteError`), as CCV's own SDK does.  Retries (5xx, 429 with codes 429.10/429.11 and
``Retry-After``) are the hub's :class:`HttpClient`'s; each attempt is signed anew.
"""

import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from odoo.addons.shop_sync_base.services.http import HttpClient, RemoteError
from odoo.addons.shop_sync_base.services.signatures import hmac_hex, same

API_PREFIX = "/api/rest/v1"
PAGE_SIZE = 100  # CCV's maximum page size


def signature(public, secret, method, uri, body, x_date):
    """CCV's ``x-hash`` of a request or a response."""
    return hmac_hex(secret, "|".join((public, method.upper(), uri, body, x_date)))


def error_message(response):
    """CCV's error body ``{status, code, developermessage}`` as ``"code: message"``."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("developermessage"):
        code = body.get("code")
        return f"{code}: {body['developermessage']}" if code else body["developermessage"]
    return (response.text or response.reason or "").strip()[:500] or f"HTTP {response.status_code}"


class CcvClient:
    """Signed calls to one CCV shop (``base_url`` is the shop's address, e.g. https://x.ccvshop.nl)."""

    def __init__(self, base_url, public_key, secret_key, page_size=PAGE_SIZE, sleep=time.sleep, **http_options):
        if not (base_url and public_key and secret_key):
            raise RemoteError("The CCV shop URL, public key and secret key are required.")
        self.public_key = public_key
        self.secret_key = secret_key
        self.page_size = page_size
        self.http = HttpClient(base_url.rstrip("/") + API_PREFIX, secrets=(public_key, secret_key),
                               error_message=error_message, sleep=sleep, **http_options)
        self._origin = urlsplit(self.http.base_url)

    # -- signing --------------------------------------------------------------------------------
    def _sign(self, prepared):
        """``prepare`` hook of HttpClient: sign the final request (called again on each retry)."""
        x_date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = prepared.body or ""
        if isinstance(body, bytes):
            body = body.decode()
        prepared.headers["x-public"] = self.public_key
        prepared.headers["x-date"] = x_date
        prepared.headers["x-hash"] = signature(self.public_key, self.secret_key, prepared.method,
                                               prepared.path_url, body, x_date)

    def _verify(self, response):
        request = response.request
        expected = signature(self.public_key, self.secret_key, request.method, request.path_url,
                             response.content.decode("utf-8", errors="replace"), response.headers.get("x-date", ""))
        if not same(expected, response.headers.get("x-hash")):
            raise RemoteError(
                f"The answer to {request.method} {request.path_url} is not signed by the shop (x-hash mismatch): "
                "refused", status=response.status_code, body=self.http.excerpt(response.text))
        return response

    # -- calls ----------------------------------------------------------------------------------
    def request(self, method, path, params=None, json_body=None, repeatable=None):
        """Signed call; return the decoded JSON answer (None for an empty one) once verified.
        ``repeatable``: safe to send again after a 5xx or a lost answer (HttpClient decides by method)."""
        response = self._verify(self.http.request(method, path, params=params, json_body=json_body,
                                                  prepare=self._sign, retry_uncertain=repeatable))
        return self.http.json(response) if response.content else None

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def post(self, path, body):
        return self.request("POST", path, json_body=body)

    def patch(self, path, body):
        """The hub's PATCHes set absolute values (fields, stock levels): repeating one is harmless."""
        return self.request("PATCH", path, json_body=body, repeatable=True)

    def collection(self, path, params=None, start=0, page_done=None):
        """Yield every item of a collection from position ``start`` (0-based), page by page
        (``start``/``size``), following ``next`` until it is null.  ``next`` links are only followed
        on the shop's own host.  ``page_done(read, items)`` is called once every item of a page was
        taken, ``read`` being the position after that page."""
        page = self.get(path, params={**(params or {}), "start": start, "size": self.page_size})
        yield from self.items_from(page, page_done, read=start)

    def items_from(self, page, page_done=None, read=0):
        """Yield the items of the collection page ``page`` (e.g. one embedded by ``expand``) and of
        the pages its ``next`` links lead to; ``read``: the position of the page's first item."""
        while True:
            items = page.get("items") or []
            yield from items
            read += len(items)
            if page_done and items:
                page_done(read, items)
            next_link = page.get("next")
            if not next_link:
                return
            page = self.get(self._relative(next_link))

    def _relative(self, link):
        """Path (below the API prefix) and query of a ``next`` link, refusing another host."""
        parts = urlsplit(link)
        if (parts.netloc and parts.netloc != self._origin.netloc) or not parts.path.startswith(self._origin.path):
            raise RemoteError(f"Refusing to follow a paging link to another place: {link}")
        path = parts.path[len(self._origin.path):]
        return f"{path}?{parts.query}" if parts.query else path
