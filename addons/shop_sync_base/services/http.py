"""The one HTTP service every remote call goes through.

Timeouts, retries with exponential backoff on 5xx / 429 / connection errors (honouring
``Retry-After``), an optional minimum interval between calls (rate budget), and structured
errors (:class:`RemoteError`) whose text ends up in the sync log.  Credentials are never part
of an error or an excerpt: headers are not logged and known secret values are redacted.
"""

import base64
import email.utils
import json
import logging
import threading
import time

import requests
import requests.auth

_logger = logging.getLogger(__name__)

EXCERPT_SIZE = 2000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Methods safe to repeat after a lost connection; a POST may have been applied remotely, so the
# caller (who knows how to look it up) decides instead.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class RemoteError(Exception):
    """A remote call that failed for good (after retries, or not retryable).

    ``status`` is the HTTP status (None when no answer arrived); ``message`` the remote's own
    error text when it gave one; ``retryable`` tells whether trying later may succeed;
    ``uncertain`` is True when the request may have been applied remotely (connection lost
    after sending a non-idempotent request); ``attempts`` counts the tries made, retries included.
    """

    def __init__(self, message, status=None, body="", retryable=False, uncertain=False, retry_after=None,
                 attempts=1):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.retryable = retryable
        self.uncertain = uncertain
        self.retry_after = retry_after
        self.attempts = attempts

    def __str__(self):
        text = f"HTTP {self.status}: {self.message}" if self.status else self.message
        return f"{text} (gave up after {self.attempts} attempts)" if self.attempts > 1 else text


class HttpClient:
    """A ``requests`` session bound to one remote system.

    ``error_message(response)`` may be overridden (or passed) to extract the vendor's error text;
    ``secrets`` are redacted from excerpts.  ``sleep`` is injectable so tests need not wait.
    """

    def __init__(self, base_url, headers=None, auth=None, timeout=30, retries=4, backoff=0.5,
                 max_backoff=60, min_interval=0.0, secrets=(), error_message=None, sleep=time.sleep):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.session.auth = auth
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.min_interval = min_interval
        self.secrets = [secret for secret in secrets if secret]
        if isinstance(auth, requests.auth.HTTPBasicAuth) and auth.username and auth.password:
            # the Authorization header carries both in base64: a remote echoing it must not leak them
            pair = f"{auth.username}:{auth.password}".encode("latin1", errors="replace")
            self.secrets.append(base64.b64encode(pair).decode())
        self._error_message = error_message or default_error_message
        self.sleep = sleep
        self.stats = {"requests": 0, "retries": 0, "throttled": 0}
        self._last_call = 0.0
        self._lock = threading.Lock()

    def url(self, path):
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method, path, *, params=None, json_body=None, data=None, headers=None,
                prepare=None, retry_uncertain=None):
        """Send a request and return the ``requests.Response`` of a 2xx answer.

        ``prepare(prepared_request)`` may sign the final request (CCV).  A POST whose connection
        dropped is not repeated unless ``retry_uncertain`` is True; RemoteError.uncertain tells
        the caller to check the remote side before trying again.
        """
        method = method.upper()
        if retry_uncertain is None:
            retry_uncertain = method in IDEMPOTENT_METHODS
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":"))
            headers = {"Content-Type": "application/json", **(headers or {})}
        attempt = 0
        while True:
            attempt += 1
            self._respect_interval()
            prepared = self.session.prepare_request(
                requests.Request(method, self.url(path), params=params, data=data, headers=headers))
            if prepare:
                prepare(prepared)
            self.stats["requests"] += 1
            try:
                response = self.session.send(prepared, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = RemoteError(
                    f"No answer from {self.redact(prepared.url)}: {type(exc).__name__}",
                    retryable=True, uncertain=method not in IDEMPOTENT_METHODS, attempts=attempt)
                if retry_uncertain and attempt <= self.retries:
                    self._wait(attempt, None)
                    continue
                raise error from exc
            if response.ok:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if response.status_code == 429:
                self.stats["throttled"] += 1
            if response.status_code in RETRY_STATUSES and attempt <= self.retries:
                self._wait(attempt, retry_after)
                continue
            raise RemoteError(
                self.redact(self._error_message(response)), status=response.status_code,
                body=self.excerpt(response.text), retryable=response.status_code in RETRY_STATUSES,
                retry_after=retry_after, attempts=attempt)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def json(self, response):
        """The decoded JSON of a 2xx ``response``.  Anything else, typically an HTML page answered
        with 200 (the shop's home page when its REST routes are off, a proxy's or a security
        plug-in's page), is a RemoteError with an excerpt: the request failed, not a record in it."""
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:
            text = response.text or ""
            found = "HTML" if text.lstrip()[:1] == "<" else "something else"
            raise RemoteError(
                f"The remote answered {response.request.method} {self.redact(response.url)} with {found} "
                "instead of JSON.", status=response.status_code, body=self.excerpt(text)) from exc

    def redact(self, text):
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def excerpt(self, text):
        return self.redact(text or "")[:EXCERPT_SIZE]

    def _wait(self, attempt, retry_after):
        self.stats["retries"] += 1
        delay = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
        delay = min(delay, self.max_backoff)
        _logger.info("retrying %s in %.2fs (attempt %s)", self.base_url, delay, attempt + 1)
        self.sleep(delay)

    def _respect_interval(self):
        if not self.min_interval:
            return
        with self._lock:
            wait = self._last_call + self.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            self._last_call = time.monotonic()


def parse_retry_after(value):
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent/invalid."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def default_error_message(response):
    """The remote's own error text: common JSON keys, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:500] or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("message", "developermessage", "error_description", "error", "errors"):
            value = body.get(key)
            if value:
                return value if isinstance(value, str) else json.dumps(value)[:500]
    return json.dumps(body)[:500]
