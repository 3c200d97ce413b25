"""WooCommerce REST API (``/wp-json/wc/v3``) client on the hub's :class:`HttpClient`.

Authentication is HTTP Basic with the consumer key and secret (WooCommerce's documented way over
HTTPS).  Collections are paged with ``page``/``per_page``; the client follows ``Link: rel="next"``
(only on the configured shop's scheme, host and port: the key and secret go with it) and stops at
``X-WP-TotalPages``.  WordPress errors ``{code, message, data: {status}}`` become
:class:`RemoteError` messages ending in the WooCommerce code.  Batch endpoints take at most 100
objects per request, so :meth:`WooClient.batch` sends chunks.  Retries on 429/5xx are
HttpClient's.
"""

import time
from urllib.parse import urlsplit

from requests.auth import HTTPBasicAuth

from odoo.addons.shop_sync_base.services.http import HttpClient, RemoteError, default_error_message, same_origin

API_PREFIX = "/wp-json/wc/v3"
PAGE_SIZE = 100  # WordPress' maximum per_page
BATCH_LIMIT = 100  # objects per batch request


def api_root(url):
    """The wc/v3 root for a shop address (``https://shop.example`` or an URL already under wp-json)."""
    url = (url or "").rstrip("/")
    if "/wp-json" in url:
        return url.split("/wp-json", 1)[0] + API_PREFIX
    return url + API_PREFIX


def error_message(response):
    """WordPress' error body as ``"message [code]"``; anything else as the hub reads it."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message") and body.get("code"):
        return f"{body['message']} [{body['code']}]"
    return default_error_message(response)


class WooClient:
    """Calls to one WooCommerce shop, answering decoded JSON."""

    def __init__(self, url, consumer_key, consumer_secret, page_size=PAGE_SIZE, sleep=time.sleep,
                 **http_options):
        if not (url and consumer_key and consumer_secret):
            raise RemoteError("The WooCommerce shop URL, consumer key and consumer secret are required.")
        self.page_size = page_size
        self.http = HttpClient(api_root(url), auth=HTTPBasicAuth(consumer_key, consumer_secret),
                               headers={"Accept": "application/json"}, secrets=(consumer_key, consumer_secret),
                               error_message=error_message, sleep=sleep, **http_options)

    def request(self, method, path, params=None, json_body=None, repeatable=None):
        """``repeatable``: the caller knows a POST is safe to send again after a 5xx (a batch update)."""
        response = self.http.request(method, path, params=params, json_body=json_body, retry_uncertain=repeatable)
        return self.http.json(response) if response.content.strip() else None

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def post(self, path, json_body, repeatable=None):
        return self.request("POST", path, json_body=json_body, repeatable=repeatable)

    def put(self, path, json_body):
        return self.request("PUT", path, json_body=json_body)

    def count(self, path, params=None):
        """``X-WP-Total`` of a collection (one request for one record)."""
        response = self.http.get(path, params={**(params or {}), "per_page": 1, "_fields": "id"})
        return int(response.headers.get("X-WP-Total") or 0)

    def paginate(self, path, params=None, start=0, page_done=None):
        """Yield every record of a collection, page after page, from the page holding position
        ``start`` (0-based).  ``page_done(read, records)`` is called once every record of a page
        was taken, ``read`` being the position after that page."""
        params = {**(params or {}), "per_page": self.page_size}
        page = start // self.page_size + 1
        response = self.http.get(path, params={**params, "page": page})
        while True:
            records = self.http.json(response)
            if not isinstance(records, list):
                raise RemoteError(f"The shop answered the page of {path} with a JSON {type(records).__name__} instead "
                                  "of a list of records.", status=response.status_code,
                                  body=self.http.excerpt(response.text))
            yield from records
            if page_done and records:
                page_done((page - 1) * self.page_size + len(records), records)
            next_url = response.links.get("next", {}).get("url")
            if not records or page >= int(response.headers.get("X-WP-TotalPages") or 0):
                return
            page += 1
            if next_url and not same_origin(next_url, self.http.base_url):
                raise RemoteError(_foreign_link_message(next_url, self.http.base_url))
            response = self.http.get(next_url) if next_url else self.http.get(path, params={**params, "page": page})

    def batch(self, path, section, items):
        """POST ``items`` to ``<path>/batch`` under ``section`` (create/update) in chunks of 100;
        return the answered items in order (failed ones carry an ``error`` object).  Updates are
        safe to repeat after a 5xx; creates are uncertain then, for the caller to look up."""
        answered = []
        for start in range(0, len(items), BATCH_LIMIT):
            body = self.post(f"{path}/batch", {section: items[start:start + BATCH_LIMIT]},
                             repeatable=section == "update") or {}
            answered.extend(body.get(section) or [])
        return answered


def _foreign_link_message(link, base_url):
    """Names the hosts only: the link's query may carry anything."""
    target, ours = urlsplit(link), urlsplit(base_url)
    return (f"The shop's next-page link points to {target.scheme}://{target.netloc}, not to the configured "
            f"{ours.scheme}://{ours.netloc}: not followed, since the consumer key would go with it. Check the "
            "WordPress address in the shop's settings and the backend's URL.")
