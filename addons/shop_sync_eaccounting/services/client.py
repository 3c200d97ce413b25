"""Visma eAccounting API v2 client on the hub's :class:`HttpClient`, with Visma's OAuth2.

Authentication (Visma identity server, ``connect/token``): the authorisation code a Manager
obtained is exchanged once for an access token (valid about an hour) and a refresh token; the
access token is refreshed shortly before it expires, and a refresh answers a new refresh token
that replaces the old one.  The client secret and the tokens are sent as headers or form fields
only, and redacted from every message and excerpt.  An ``invalid_grant`` answer (the refresh
token was revoked or has expired) is :class:`AuthorisationError`: somebody has to authorise again.

The API: JSON resources under ``/v2``; collections answer ``{"Meta": {...}, "Data": [...]}`` and
are walked with ``$page`` (from 1) and ``$pagesize`` until ``Meta.TotalNumberOfPages``; OData
``$filter`` selects.  Error bodies (``ErrorCode``, ``DeveloperErrorMessage``, ``ErrorId``, the
OData ``error`` object) become one readable message.  429 (600 requests a minute per client and
URL) is retried by HttpClient after the wait its message names (a long wait leaves the worker as a
retryable error, the job is postponed); a POST answered 5xx is
uncertain and the exporters look the document up by our reference before creating it again.
"""

import re
from datetime import UTC, datetime, timedelta

import requests
import requests.auth

from odoo.addons.shop_sync_base.services.http import HttpClient, error_document, RemoteError, ResourceClient

API_URL = "https://eaccountingapi.vismaonline.com"
IDENTITY_URL = "https://identity.vismaonline.com"
SCOPES = "ea:api offline_access ea:sales ea:accounting"
MAX_PAGE_SIZE = 1000
# an access token this close to its expiry is refreshed before use
EXPIRY_MARGIN = timedelta(minutes=5)


_TRY_AGAIN = re.compile(r"Try again in (\d+) seconds", re.IGNORECASE)


def retry_after_from_body(response, *args, **kwargs):
    """eAccounting answers 429 without ``Retry-After`` and says the wait in its message ("API calls
    quota exceeded! maximum admitted 600 per Minute. Try again in 55 seconds."): a response hook
    turning it into the header, so HttpClient honours it like any other remote's."""
    if response.status_code == 429 and "Retry-After" not in response.headers:
        match = _TRY_AGAIN.search(response.text or "")
        if match:
            response.headers["Retry-After"] = match.group(1)
    return response


class AuthorisationError(RemoteError):
    """The identity server refused the client or the grant (or the backend waits to be authorised
    again): nothing is sent until a Manager authorises the backend."""


def quote_literal(value):
    """An OData string literal: single quotes, embedded quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def eq(name, value):
    """``name eq value`` of an OData ``$filter`` (strings quoted, booleans lower case)."""
    if isinstance(value, bool):
        return f"{name} eq {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"{name} eq {value}"
    return f"{name} eq {quote_literal(value)}"


def all_of(*predicates):
    return " and ".join(predicate for predicate in predicates if predicate)


def error_message(response):
    """Readable text of an eAccounting (or identity server) error body."""
    body = error_document(response)
    if not isinstance(body, dict):
        return str(body)[:500]
    if isinstance(body.get("error"), dict):  # OData's {"error": {"code", "message"}}
        body = {"DeveloperErrorMessage": body["error"].get("message"), "ErrorCode": body["error"].get("code")}
    if isinstance(body.get("error"), str):  # OAuth2 (RFC 6749 5.2)
        text = body["error"]
        return f"{text}: {body['error_description']}" if body.get("error_description") else text
    message = (body.get("DeveloperErrorMessage") or body.get("Message") or body.get("ErrorMessage")
               or body.get("message") or f"HTTP {response.status_code}")
    if body.get("ErrorCode"):
        message = f"{message} [{body['ErrorCode']}]"
    details = body.get("ValidationErrors") or body.get("Errors") or []
    if isinstance(details, list) and details:
        message += " " + "; ".join(_describe(detail) for detail in details)
    if body.get("ErrorId"):
        message += f" (error id {body['ErrorId']})"
    return message


def _describe(detail):
    if not isinstance(detail, dict):
        return str(detail)
    field = detail.get("PropertyName") or detail.get("Field") or detail.get("MemberName") or ""
    text = detail.get("ErrorMessage") or detail.get("Message") or detail.get("DeveloperErrorMessage") or "invalid"
    return f"{field}: {text}" if field else text


def authorise_url(identity_url, client_id, redirect_uri, state):
    """Where a Manager's browser signs in and grants access (Visma returns to ``redirect_uri``
    with ``code``)."""
    request = requests.Request("GET", f"{(identity_url or IDENTITY_URL).rstrip('/')}/connect/authorize", params={
        "client_id": client_id, "redirect_uri": redirect_uri, "scope": SCOPES, "state": state,
        "response_type": "code", "prompt": "select_account"}).prepare()
    return request.url


class Token:
    """An access token, its expiry (UTC, naive) and the refresh token that came with it."""

    def __init__(self, access_token, refresh_token, expires_at):
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.expires_at = expires_at

    def expiring(self, now=None):
        now = now or datetime.now(UTC).replace(tzinfo=None)
        return not self.access_token or not self.expires_at or self.expires_at - EXPIRY_MARGIN <= now


class VismaIdentity:
    """The token endpoint of Visma's identity server for one client (id + secret, HTTP Basic)."""

    def __init__(self, client_id, client_secret, base_url=None, now=None, **http_options):
        if not client_id or not client_secret:
            raise ValueError("Both the client id and the client secret are required.")
        self.base_url = (base_url or IDENTITY_URL).rstrip("/")
        self.now = now or (lambda: datetime.now(UTC).replace(tzinfo=None))
        self.http = HttpClient(self.base_url, auth=requests.auth.HTTPBasicAuth(client_id, client_secret),
                               headers={"Accept": "application/json"}, secrets=(client_secret,),
                               error_message=error_message, **http_options)

    def exchange_code(self, code, redirect_uri):
        """The tokens of an authorisation code (usable once)."""
        return self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
                           secret=code)

    def refresh(self, refresh_token):
        """New tokens for ``refresh_token``; the answer's refresh token replaces it."""
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token}, secret=refresh_token)

    def _token(self, form, secret):
        self.http.secrets.append(secret)
        try:
            # a POST answered 5xx is not repeated: the grant may have been used (codes are single-use)
            response = self.http.post("connect/token", data=form,
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        except RemoteError as exc:
            if exc.status in (400, 401) and ("invalid_grant" in exc.message or "invalid_client" in exc.message
                                             or exc.status == 401):
                raise AuthorisationError(exc.message, status=exc.status, body=exc.body) from None
            raise
        document = self.http.json(response)
        access, refresh = document.get("access_token"), document.get("refresh_token")
        if not access:
            raise RemoteError("The identity server answered without an access token.", status=response.status_code)
        self.http.secrets.extend(token for token in (access, refresh) if token)
        expires_in = int(document.get("expires_in") or 3600)
        return Token(access, refresh or form.get("refresh_token"), self.now() + timedelta(seconds=expires_in))


class EAccountingClient(ResourceClient):
    """One eAccounting company.  ``access_token()`` returns a valid access token (refreshing it as
    needed) and ``access_token(force=True)`` a new one: called again once when the API answers 401
    (a token revoked before its expiry).  ``http_options`` go to :class:`HttpClient`."""

    def __init__(self, access_token, base_url=None, **http_options):
        self.base_url = (base_url or API_URL).rstrip("/")
        self._access_token = access_token
        self.http = HttpClient(self.base_url, headers={"Accept": "application/json"}, error_message=error_message,
                               **http_options)
        self.http.session.hooks["response"].append(retry_after_from_body)
        self._authorise(access_token())

    @property
    def stats(self):
        """Requests, retries and 429 answers (``throttled``) so far."""
        return self.http.stats

    def _authorise(self, token):
        self.http.secrets.append(token)
        self.http.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kwargs):
        """The JSON answer of ``method path`` (``{}`` when empty); one new access token on 401."""
        try:
            response = self.http.request(method, self._path(path), **kwargs)
        except RemoteError as exc:
            if exc.status != 401:
                raise
            self._authorise(self._access_token(force=True))
            response = self.http.request(method, self._path(path), **kwargs)
        return self.http.json(response) if response.content else {}

    @staticmethod
    def _path(path):
        return path if path.startswith(("http", "/v2/", "v2/")) else f"v2/{path.lstrip('/')}"

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def post(self, path, body):
        return self.request("POST", path, json_body=body)

    def put(self, path, body):
        return self.request("PUT", path, json_body=body)

    def delete(self, path):
        return self.request("DELETE", path)

    # -- collections --------------------------------------------------------------------------
    def iterate(self, path, filter=None, orderby=None, page_size=MAX_PAGE_SIZE, params=None):
        """Every item of a paginated collection (``{"Meta", "Data"}``), page by page: ``$page``
        from 1 to ``Meta.TotalNumberOfPages``.  (``vatcodes`` answers a plain array: ``get`` it.)"""
        page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
        page = 1
        while True:
            query = {**(params or {}), "$page": page, "$pagesize": page_size}
            if filter:
                query["$filter"] = filter
            if orderby:
                query["$orderby"] = orderby
            document = self.get(path, params=query)
            items = document.get("Data") or []
            yield from items
            pages = (document.get("Meta") or {}).get("TotalNumberOfPages") or 0
            if not items or page >= pages:
                return
            page += 1

    def first(self, path, filter=None):
        """The first item of a filtered collection, or None."""
        for item in self.iterate(path, filter=filter, page_size=1):
            return item
        return None

    def test_connection(self):
        """``GET /v2/companysettings``: the company's name and currency."""
        document = self.get("companysettings")
        name, country, currency = (document.get(key) or "?" for key in ("Name", "CountryCode", "CurrencyCode"))
        return f"{name} ({country}, {currency})"

