"""The one HTTP service every remote call goes through.

Timeouts, retries with short exponential backoff on 429, on 5xx of requests that are safe to
repeat and on lost connections (honouring ``Retry-After`` up to ``max_backoff``, a few seconds, and
sleeping at most ``max_total_sleep`` per request: a longer wait leaves the worker as a retryable
:class:`RemoteError` carrying ``retry_after``, which the job layer turns into a postponed job), an optional rate
governor asked before every attempt (the backend's token bucket shared by all workers), and
structured errors whose text ends up in the
sync log.  Credentials are never part of an error or an excerpt: headers are not logged, known
secret values are redacted, a header value with a line break is refused before sending, and
redirects are not followed (the credentials go to the configured host only).
"""

import base64
import email.utils
import ipaddress
import json
import logging
import math
import re
import socket
import time
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.auth
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_logger = logging.getLogger(__name__)

EXCERPT_SIZE = 2000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Methods safe to repeat (RFC 9110 9.2.2).  A POST or PATCH answered 5xx or left unanswered may
# have been applied remotely: it is "uncertain" and the caller (who knows how to look the record
# up) decides instead.  429 is a refusal, so it is retried for every method.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# The longest wait a remote may ask for (Retry-After); a job is postponed by at most this much.
MAX_RETRY_AFTER = 3600
# The longest a worker sleeps at once (a backoff, a Retry-After, a rate-limit pause): a queue job
# worker is shared by every backend, so a longer wait postpones the job instead of blocking it.
WORKER_MAX_SLEEP = 3.0
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class RemoteError(Exception):
    """A remote call that failed for good (after retries, or not retryable).

    ``status`` is the HTTP status (None when no answer arrived); ``message`` the remote's own
    error text when it gave one; ``retryable`` tells whether trying later may succeed;
    ``uncertain`` is True when the request may have been applied remotely (a request not safe to
    repeat answered 5xx or left unanswered); ``retry_after`` the seconds the remote asked to wait
    (capped at MAX_RETRY_AFTER); ``attempts`` counts the tries made, retries included.
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


class Postponed(RemoteError):
    """Not a failure: the remote is preparing what was asked (e.g. a bulk export); ask again in
    ``retry_after`` seconds.  The job layer postpones the job instead of logging an error."""

    def __init__(self, message, retry_after):
        super().__init__(message, retryable=True, retry_after=retry_after)


class HttpClient:
    """A ``requests`` session bound to one remote system.

    ``error_message(response)`` may be overridden (or passed) to extract the vendor's error text;
    ``secrets`` are redacted from excerpts.  ``sleep`` is injectable so tests need not wait;
    ``max_backoff`` is the longest sleep in a worker and ``max_total_sleep`` (default twice that)
    what one request may sleep in all between its retries: a remote asking for a longer wait gets a
    retryable RemoteError instead (the job layer postpones the job, see ``jobs.retryable_job_error``).
    ``governor(cost)``, when given, returns the seconds to sleep before each attempt so that all
    workers of the backend together keep its rate limit (it raises, nothing sent, when the wait is
    too long for a worker); ``request(cost=...)`` says what an attempt costs (default 1 request).
    """

    def __init__(self, base_url, headers=None, auth=None, timeout=30, retries=4, backoff=0.5,
                 max_backoff=WORKER_MAX_SLEEP, max_total_sleep=None, governor=None, secrets=(), error_message=None,
                 sleep=time.sleep):
        self.base_url = base_url.rstrip("/")
        self.origin = _origin(self.base_url)
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.session.auth = auth
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_total_sleep = 2 * max_backoff if max_total_sleep is None else max_total_sleep
        self.governor = governor
        self.secrets = [secret for secret in secrets if secret]
        if isinstance(auth, requests.auth.HTTPBasicAuth) and auth.username and auth.password:
            # the Authorization header carries both in base64: a remote echoing it must not leak them
            pair = f"{auth.username}:{auth.password}".encode("latin1", errors="replace")
            self.secrets.append(base64.b64encode(pair).decode())
        self._error_message = error_message or default_error_message
        self.sleep = sleep
        self.stats = {"requests": 0, "retries": 0, "throttled": 0, "governed": 0.0}
        self._public = None  # see _public_session

    def url(self, path):
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method, path, *, params=None, json_body=None, data=None, headers=None,
                prepare=None, retry_uncertain=None, cost=1):
        """Send a request and return the ``requests.Response`` of a 2xx answer.

        ``prepare(prepared_request)`` may sign the final request (CCV).  A POST or PATCH answered
        5xx or whose connection dropped is not repeated unless ``retry_uncertain`` is True (the
        caller knows it is safe, e.g. a GraphQL query); RemoteError.uncertain tells the caller to
        look the record up before creating it again.
        """
        method = method.upper()
        if retry_uncertain is None:
            retry_uncertain = method in IDEMPOTENT_METHODS
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":"))
            headers = {"Content-Type": "application/json", **(headers or {})}
        self._refuse_unsafe_headers({**self.session.headers, **(headers or {})})
        attempt, slept = 0, 0.0
        while True:
            attempt += 1
            self._govern(cost)
            try:
                prepared = self.session.prepare_request(
                    requests.Request(method, self.url(path), params=params, data=data, headers=headers))
            except (requests.RequestException, ValueError) as exc:  # its text may quote the URL or a header
                raise RemoteError(self.redact(f"The request to {self.base_url} could not be built: "
                                              f"{type(exc).__name__}: {exc}")) from None
            if prepare:
                prepare(prepared)
                self._refuse_unsafe_headers(prepared.headers)
            self.stats["requests"] += 1
            try:
                # never follow a redirect: it would carry the credentials to wherever it points
                response = self.session.send(prepared, timeout=self.timeout, allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = RemoteError(
                    f"No answer from {self.redact(prepared.url)}: {type(exc).__name__}",
                    retryable=True, uncertain=not retry_uncertain, attempts=attempt)
                delay = self._delay(attempt, None)
                if retry_uncertain and attempt <= self.retries and slept + delay <= self.max_total_sleep:
                    slept += self._wait(attempt, delay)
                    continue
                raise error from exc
            except requests.RequestException as exc:
                raise RemoteError(self.redact(f"Request to {prepared.url} failed: {type(exc).__name__}: {exc}"),
                                  attempts=attempt) from None
            if response.is_redirect:
                raise self._redirect_error(response, attempt)
            if response.ok:
                return response
            status = response.status_code
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status == 429:
                self.stats["throttled"] += 1
            repeatable = status in RETRY_STATUSES and (status == 429 or retry_uncertain)
            delay = self._delay(attempt, retry_after)
            too_long = delay > self.max_backoff or slept + delay > self.max_total_sleep
            if repeatable and not too_long and attempt <= self.retries:
                slept += self._wait(attempt, delay)
                continue
            message = self.redact(self._error_message(response))
            if repeatable and retry_after is not None and too_long:
                message = f"{message} (the remote asks to wait {retry_after:.0f}s)"
            raise RemoteError(
                message, status=status, body=self.excerpt(response.text), retryable=status in RETRY_STATUSES,
                uncertain=status >= 500 and not retry_uncertain, retry_after=retry_after, attempts=attempt)

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

    def download(self, path, max_bytes, trusted_host=""):
        """GET a file (a product image) and return ``(body, content type)``.  The body is read in
        chunks and refused beyond ``max_bytes`` (so an oversized file is never held whole); not
        retried: the caller logs the failure (its messages do not repeat the address, the caller
        names it) and the next run asks again.

        The address comes from a shop's payload, so it must not make Odoo fetch from its own network
        (server-side request forgery: a cloud's metadata service, a database, an admin page): only
        http(s) to public addresses is fetched, checked on the resolved addresses before connecting
        and on the connected one (a name resolving differently the second time is refused too).
        ``trusted_host``, the shop's own configured host, is fetched wherever it resolves."""
        url = self.url(path)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RemoteError("refused: only http and https addresses are downloaded")
        trusted = parts.hostname.lower() == (trusted_host or "").lower()
        if not trusted:
            refuse_private_host(parts.hostname, parts.port or {"http": 80, "https": 443}[parts.scheme])
        self._refuse_unsafe_headers(self.session.headers)
        self._govern(1)
        self.stats["requests"] += 1
        session = self.session if trusted else self._public_session()
        try:
            with session.get(url, timeout=self.timeout, stream=True, allow_redirects=False) as response:
                if response.is_redirect:
                    raise self._redirect_error(response, 1)
                if not response.ok:
                    raise RemoteError(self.redact(f"answered {response.status_code} {response.reason}"),
                                      status=response.status_code, retryable=response.status_code in RETRY_STATUSES)
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise RemoteError(f"{int(declared)} bytes, more than the {max_bytes} allowed")
                body, size = [], 0
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise RemoteError(f"more than the {max_bytes} bytes allowed")
                    body.append(chunk)
                return b"".join(body), response.headers.get("Content-Type", "")
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RemoteError(f"no answer ({type(exc).__name__})", retryable=True) from None
        except requests.RequestException as exc:
            raise RemoteError(self.redact(f"the request failed: {type(exc).__name__}: {exc}")) from None

    def _public_session(self):
        """The session of downloads from other hosts than the shop's own: without this client's
        credentials (the address comes from a payload, and the credentials go to the configured host
        only) and with direct connections refused when they reach a non-public address (see
        ``download``).  One per client, so a batch's downloads reuse its connections."""
        if self._public is None:
            self._public = requests.Session()
            self._public.mount("http://", _PublicAddressAdapter())
            self._public.mount("https://", _PublicAddressAdapter())
        return self._public

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

    def _redirect_error(self, response, attempt):
        """A redirect is reported, not followed: the credentials are only sent to our own origin."""
        target = urlsplit(requests.compat.urljoin(response.url, response.headers.get("Location", "")))
        where = f"{target.scheme}://{target.hostname or '?'}" + (f":{target.port}" if target.port else "")
        same = _origin(where) == self.origin
        return RemoteError(
            f"The remote answered with a redirect to {self.redact(where)}"
            + ("" if same else f", another host than {self.origin[1]}")
            + ": not followed, so the credentials stay with the configured address. Correct the API URL.",
            status=response.status_code, attempts=attempt)

    def _refuse_unsafe_headers(self, headers):
        """A header value with a line break or another control character (a pasted token with a
        newline) would split the request or end up, value included, in an exception text: refuse
        it before sending, naming the header only."""
        for name, value in headers.items():
            text = value.decode("latin1") if isinstance(value, bytes) else str(value)
            if _CONTROL_CHARACTERS.search(text):
                raise RemoteError(f"The {name} header contains a line break or another control character "
                                  "(check the credentials for a stray newline): request not sent.")

    def _delay(self, attempt, retry_after):
        """Seconds to wait before the next attempt: the remote's Retry-After, else the exponential
        backoff (capped at ``max_backoff``: a longer Retry-After is not slept but reported)."""
        if retry_after is not None:
            return retry_after
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)

    def _wait(self, attempt, delay):
        """Sleep ``delay`` seconds before attempt ``attempt + 1``; return them."""
        self.stats["retries"] += 1
        _logger.info("retrying %s in %.2fs (attempt %s)", self.base_url, delay, attempt + 1)
        self.sleep(delay)
        return delay

    def refund(self, cost):
        """Give the rate governor back ``cost`` it charged but the remote did not take (e.g. a
        Shopify document's requested cost beyond its actual cost); never sleeps."""
        if self.governor and cost > 0:
            self.governor(-cost)

    def _govern(self, cost):
        """Sleep what the rate governor asks before an attempt (``stats["governed"]`` adds it up)."""
        if not self.governor:
            return
        wait = self.governor(cost)
        if wait > 0:
            self.stats["governed"] += wait
            self.sleep(wait)


def create_once(create, find, attempts=2):
    """Create a remote record exactly once, for remotes without an idempotency key.

    ``create()`` sends the create and returns its answer; when that answer is uncertain (a 5xx or
    a lost connection after sending: RemoteError.uncertain), ``find()`` looks the record up and
    its truthy result is returned instead; only when it is absent is the create sent again, at
    most ``attempts`` times in all.  Any other error, or the last uncertain one, is raised; so is
    an uncertain one when ``find`` is None (the record cannot be looked up: never sent blindly).
    """
    attempt = 1
    while True:
        try:
            return create()
        except RemoteError as exc:
            if not exc.uncertain or find is None:
                raise
            found = find()
            if found:
                _logger.info("an uncertain create was applied after all: found it (attempt %s)", attempt)
                return found
            if attempt >= attempts:
                raise
            attempt += 1
            _logger.info("an uncertain create was not applied: sending it again")


class ResourceClient:
    """Mixin of an API client whose ``get(path)`` returns one resource (the accounting clients)."""

    def get_or_none(self, path):
        """The resource, or None when the API answers 404."""
        try:
            return self.get(path)
        except RemoteError as exc:
            if exc.status == 404:
                return None
            raise


def parse_retry_after(value, now=time.time):
    """Seconds from a Retry-After header (delta-seconds or HTTP date), between 0 and
    MAX_RETRY_AFTER; None when absent or invalid (NaN included).  A remote asking for years (or
    ``inf``) must neither postpone a job for ever nor overflow a date computation."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
            seconds = moment.timestamp() - now()
        except (TypeError, ValueError, OverflowError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), float(MAX_RETRY_AFTER))


def address_refusal(address):
    """Why an IP ``address`` (text) is not fetched from a shop's payload: "loopback", "private",
    "link-local", "multicast", "reserved" or "non-public"; "" for a public address.  An IPv4
    address written as IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) names no other host
    ip = getattr(ip, "ipv4_mapped", None) or ip
    for kind in ("loopback", "link_local", "multicast", "reserved", "unspecified", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return "" if ip.is_global else "non-public"


def resolve(host, port):
    """The IP addresses ``host`` resolves to (an IP literal is itself)."""
    if _is_ip_literal(host):
        return [host]
    try:
        return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)))
    except (OSError, UnicodeError) as exc:
        raise RemoteError(f"the host {host} is not found ({type(exc).__name__})", retryable=True) from None


def _is_ip_literal(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def refuse_private_host(host, port):
    """Raise a RemoteError when ``host`` resolves to any address that is not public."""
    for address in resolve(host, port):
        reason = address_refusal(address)
        if reason:
            what = f"{host} is a {reason} address" if host == address else f"{host} is {address}, a {reason} address"
            raise RemoteError(f"refused: {what} (only public addresses, or the shop's own host, are downloaded)")


class _PublicAddressError(RemoteError):
    """A connection reached a non-public address (the name resolved otherwise when it was checked);
    not a ``requests`` error, so it leaves ``requests`` as it is."""


class _PublicOnlyConnection:
    """Checks the address a connection actually reached, before anything is sent."""

    def _new_conn(self):
        sock = super()._new_conn()
        address = sock.getpeername()[0]
        reason = address_refusal(address)
        if reason:
            sock.close()
            raise _PublicAddressError(f"refused: {self.host} connected to {address}, a {reason} address")
        return sock


class _PublicHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = type("PublicHTTPConnection", (_PublicOnlyConnection, HTTPConnection), {})


class _PublicHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = type("PublicHTTPSConnection", (_PublicOnlyConnection, HTTPSConnection), {})


class _PublicAddressAdapter(requests.adapters.HTTPAdapter):
    """Direct connections go through ``_PublicOnlyConnection`` (through a proxy, the proxy connects)."""

    def init_poolmanager(self, *args, **kwargs):
        result = super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPConnectionPool, "https": _PublicHTTPSConnectionPool}
        return result


def _origin(url):
    """(scheme, host, port) of an URL, the port defaulted by scheme: what "same place" means."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


def same_origin(url, base_url):
    """True when ``url`` is on the scheme, host and port of ``base_url`` (relative URLs are)."""
    return not urlsplit(url).netloc or _origin(url) == _origin(base_url)


def error_document(response):
    """An error answer's JSON document, else its text (at most 500 characters)."""
    try:
        return response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:500] or f"HTTP {response.status_code}"


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
