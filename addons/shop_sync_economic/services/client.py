"""e-conomic REST API client on the hub's :class:`HttpClient`.

Token headers (redacted from every message and excerpt), JSON bodies, collections walked with
``skippages``/``pagesize`` by following ``pagination.nextPage``, ``filter``/``sort`` helpers with
the documented escaping, product self-link encoding and error bodies (``message``, ``errorCode``,
``developerHint`` and the annotated ``errors`` tree) turned into one readable message that names
every failing property.  429, and 5xx of GET/PUT/DELETE, are retried by HttpClient (honouring a
short ``Retry-After``; 429s are counted in ``stats["throttled"]``); a POST answered 5xx is uncertain
and the exporters look the record up before creating it again.
"""

from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from odoo.addons.shop_sync_base.services.http import HttpClient, error_document, ResourceClient

DEFAULT_URL = "https://restapi.e-conomic.com"
MAX_PAGE_SIZE = 1000
MAX_IN_LIST = 200

# documented filter escapes: "$" first, so the escapes themselves are not doubled
_FILTER_SPECIALS = "()*,[]"
# documented custom encoding of non-alphanumeric characters in resource URLs (self links)
_SELF_ID_ENCODING = {"<": "_0_", ">": "_1_", "*": "_2_", "%": "_3_", ":": "_4_", "&": "_5_", "/": "_6_",
                     "\\": "_7_", "_": "_8_", " ": "_9_", "?": "_10_", ".": "_11_", "#": "_12_", "+": "_13_"}


# -- filter and sort helpers ------------------------------------------------------------------
def escape_filter_value(value):
    """A literal as the ``filter`` syntax needs it: ``$ ( ) * , [ ]`` escaped with ``$``."""
    text = str(value).replace("$", "$$")
    for char in _FILTER_SPECIALS:
        text = text.replace(char, f"${char}")
    return text


def _literal(value):
    if value is None:
        return "$null:"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return escape_filter_value(value)


def predicate(name, operator, value):
    """One ``name$operator:value`` predicate (operator: eq ne gt gte lt lte like)."""
    return f"{name}${operator}:{_literal(value)}"


def eq(name, value):
    return predicate(name, "eq", value)


def gt(name, value):
    return predicate(name, "gt", value)


def is_in(name, numbers):
    """``name$in:[1,2]``; the API allows it on numeric properties only, 200 values at most."""
    numbers = list(numbers)
    if len(numbers) > MAX_IN_LIST:
        raise ValueError(f"$in: takes at most {MAX_IN_LIST} values")
    return f"{name}$in:[{','.join(str(int(number)) for number in numbers)}]"


def all_of(*predicates):
    return "$and:".join(f"({item})" if "$or:" in item else item for item in predicates if item)


def any_of(*predicates):
    return "$or:".join(item for item in predicates if item)


def sort_by(*names):
    """``sort`` value: names, ``-name`` descending, ``~name`` alphabetical."""
    return ",".join(names)


def encode_self_id(identifier):
    """Resource id as used in URLs (documented replacement, then URL encoding)."""
    return "".join(_SELF_ID_ENCODING.get(char) or quote(char, safe="") for char in str(identifier))


# -- errors -----------------------------------------------------------------------------------
def error_message(response):
    """Readable text of an e-conomic error body: message, error code, then every property error
    as ``path: message (code, value)``; the developer hint when no property is named."""
    body = error_document(response)
    if not isinstance(body, dict):
        return str(body)[:500]
    message = body.get("message") or body.get("errorMessage") or f"HTTP {response.status_code}"
    if body.get("errorCode"):
        message = f"{message} [{body['errorCode']}]"
    details = [_describe(path, error) for path, error in _property_errors(body.get("errors"), "")]
    if details:
        return f"{message} " + "; ".join(details)
    hint = body.get("developerHint")
    return f"{message} {hint}" if hint else message


def _property_errors(node, path):
    """(property path, error object) pairs of an annotated ``errors`` tree, list items as
    ``lines[0]`` using their ``arrayIndex``."""
    if isinstance(node, list):
        for position, item in enumerate(node):
            if isinstance(item, dict) and ("errorCode" in item or "message" in item or "errorMessage" in item):
                yield item.get("propertyName") or path, item
            elif isinstance(item, dict):
                index = item.get("arrayIndex", position)
                yield from _property_errors(item, f"{path}[{index}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "arrayIndex":
            continue
        if key == "errors" and isinstance(value, list):
            for error in value:
                if isinstance(error, dict):
                    yield path or error.get("propertyName") or "", error
            continue
        child = f"{path}.{key}" if path else key
        if isinstance(value, list):
            for position, item in enumerate(value):
                if isinstance(item, dict):
                    index = item.get("arrayIndex", position)
                    yield from _property_errors(item, f"{child}[{index}]")
        elif isinstance(value, dict):
            yield from _property_errors(value, child)


def _describe(path, error):
    text = error.get("message") or error.get("errorMessage") or "invalid"
    extras = [error["errorCode"]] if error.get("errorCode") else []
    value = error.get("value", error.get("inputValue"))
    if value is not None:
        extras.append(f"value {value!r}")
    suffix = f" ({', '.join(extras)})" if extras else ""
    return f"{path or '?'}: {text}{suffix}"


# -- client -----------------------------------------------------------------------------------
class EconomicClient(ResourceClient):
    """One e-conomic agreement.  ``http_options`` go to :class:`HttpClient` (timeout, retries,
    sleep...)."""

    def __init__(self, app_secret_token, agreement_grant_token, base_url=None, **http_options):
        if not app_secret_token or not agreement_grant_token:
            raise ValueError("Both the app secret token and the agreement grant token are required.")
        self.base_url = (base_url or DEFAULT_URL).rstrip("/")
        self.http = HttpClient(
            self.base_url,
            headers={"X-AppSecretToken": app_secret_token, "X-AgreementGrantToken": agreement_grant_token,
                     "Accept": "application/json"},
            secrets=(app_secret_token, agreement_grant_token), error_message=error_message, **http_options)

    @property
    def stats(self):
        """Requests, retries and 429 answers (``throttled``) so far."""
        return self.http.stats

    # -- plain calls --------------------------------------------------------------------------
    def get(self, path, params=None):
        return self.http.get(path, params=params).json()

    def post(self, path, body):
        return self.http.post(path, json_body=body).json()

    def put(self, path, body):
        return self.http.put(path, json_body=body).json()

    def delete(self, path):
        response = self.http.delete(path)
        return response.json() if response.content else {}

    # -- collections --------------------------------------------------------------------------
    def iterate(self, path, filter=None, sort=None, page_size=MAX_PAGE_SIZE):
        """Yield every item of a collection, page by page, following ``pagination.nextPage``."""
        page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
        params = {"skippages": 0, "pagesize": page_size}
        if filter:
            params["filter"] = filter
        if sort:
            params["sort"] = sort
        link = path
        while link:
            page = self.http.get(link, params=params).json()
            yield from page.get("collection", [])
            next_page = (page.get("pagination") or {}).get("nextPage")
            if not next_page or not page.get("collection"):
                return
            link, params = self._same_host(next_page), None

    def first(self, path, filter=None, sort=None):
        """The first item of a filtered collection, or None."""
        page = self.get(path, params={"skippages": 0, "pagesize": 1, **({"filter": filter} if filter else {}),
                                      **({"sort": sort} if sort else {})})
        collection = page.get("collection") or []
        return collection[0] if collection else None

    def _same_host(self, link):
        """Pagination links are absolute; the tokens are only ever sent to our base URL."""
        if link.startswith(self.base_url + "/"):
            return link
        parts = urlsplit(link)
        return f"{self.base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    # -- resources ----------------------------------------------------------------------------
    @staticmethod
    def product_path(product_number):
        return f"products/{encode_self_id(product_number)}"

    def test_connection(self):
        """``GET /self``: a short description of the agreement (company name and number)."""
        document = self.get("self")
        company = (document.get("company") or {}).get("name") or "?"
        return f"{company} (agreement {document.get('agreementNumber', '?')})"
