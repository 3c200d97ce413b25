"""Requests checked against the Visma eAccounting API v2 swagger (``eaccounting/swagger_v2.json`` in
the shared specs folder).

:func:`validate_request` is the one check, used by the simulator (an invalid request is refused with
eAccounting's error body) and by the tests of the eAccounting addon on every request its client
sends.  It knows what the swagger states: the operations (path templates, methods, ``uuid`` path
parameters, declared query parameters), the body schema of each operation and, per property, its
type, ``format`` (``uuid``, ``date-time``, ``int32``), ``maxLength``, ``minimum``/``maximum``, ``enum``,
the decimals its ``pattern`` allows (``[-]?\\d+(.\\d{1,2})?``) and the model's ``required`` list.

Two choices beyond the swagger, both stricter than the API:

* unknown properties are refused: eAccounting (ASP.NET, JSON.NET) ignores them, so a misspelt
  property is silently lost in production; here it fails the test that sent it;
* the OData query options (``$page``, ``$pagesize``, ``$filter``, ``$orderby``) are accepted on the
  list operations only (those answering a ``PaginatedResponse[...]``), the swagger's
  ``ODataQueryOptions[...]`` models; any other query parameter must be declared by the operation.

``null`` is accepted for an optional property (JSON.NET reads it as "not set") and refused for a
required one.

Quotes are not in the 2018 snapshot: :data:`QUOTE_SUPPLEMENT` adds ``/v2/quotedrafts`` as Visma's
later swagger of the same API describes it (see its docstring), and requests to it may not send the
properties that swagger marks ``readOnly``.
"""

import functools
import json
import re
import uuid
from datetime import date, datetime
from urllib.parse import parse_qsl, urlsplit

from simulators.shopify.schema import specs_dir

SWAGGER_FILE = ("eaccounting", "swagger_v2.json")
ODATA_OPTIONS = ("$page", "$pagesize", "$filter", "$orderby", "$top", "$skip", "$select", "$expand", "$count")
_DECIMALS = re.compile(r"\\d\{1,(\d+)\}\)\?$")
_INT32 = (-2**31, 2**31 - 1)


@functools.cache
def swagger():
    """The parsed swagger document (read once)."""
    path = specs_dir().joinpath(*SWAGGER_FILE)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the eAccounting simulator validates requests against it. "
                                "Set SHOP_SYNC_SPECS to the vendor specs folder.")
    document = json.loads(path.read_text(encoding="utf-8"))
    document["paths"].update(QUOTE_SUPPLEMENT["paths"])
    document["definitions"].update(QUOTE_SUPPLEMENT["definitions"])
    return document


def _quote_operation(summary, scopes, body=False, path_id=False, response=None):
    parameters = [{"name": "id", "in": "path", "required": True, "type": "string", "format": "uuid"}] if path_id else []
    if body:
        parameters.append({"name": "quoteApi", "in": "body", "required": True,
                           "schema": {"$ref": "#/definitions/QuoteApi"}})
    return {"summary": summary, "parameters": parameters,
            "description": f"<p>Requires any of the following scopes: <br><b>{scopes}</b></p>",
            "responses": {"200": {"description": "OK", "schema": response or {"type": "object"}}}}


def _string(read_only=True, **extra):
    return {"type": "string", **({"readOnly": True} if read_only else {}), **extra}


_READ_ONLY_STRINGS = (
    "CurrencyCode", "CompanyReference", "CustomerReference", "InvoiceCustomerName", "InvoiceAddress1",
    "InvoiceAddress2", "InvoicePostalCode", "InvoiceCity", "InvoiceCountryCode", "DeliveryCustomerName",
    "DeliveryAddress1", "DeliveryAddress2", "DeliveryPostalCode", "DeliveryCity", "DeliveryCountryCode",
    "DeliveryMethodName", "DeliveryMethodCode", "DeliveryTermCode", "DeliveryTermName")
_READ_ONLY_NUMBERS = ("CurrencyRate", "TotalAmount", "VatAmount", "RoundingsAmount")
_UUIDS = {"type": "array", "readOnly": True, "items": {"type": "string", "format": "uuid"}}
_TWO_DECIMALS = "[-]?\\d+(.\\d{1,2})?"
_FOUR_DECIMALS = "[-]?\\d+(.\\d{1,4})?"
_SALES, _SALES_READ = "ea:sales", "ea:sales, ea:sales_readonly"

# Visma's swagger of API v2 as published in 2021 (``eaccounting.json`` of github.com/simenandre/eaccounting,
# commit 2309801, 2021-10-13; the same models in the swagger-codegen client github.com/sjrahendriks/
# visma-swagger-client, docs/Model/QuoteApi.md and QuoteRowApi.md), the operations of quote drafts the
# hub uses: POST and GET /v2/quotedrafts ("Create quote draft.", "Get all quote drafts."), GET, PUT and
# DELETE /v2/quotedrafts/{id} ("Delete an quote."), scopes as stated there.  Models QuoteApi and
# QuoteRowApi with the properties, formats, patterns, enums, ``required`` and ``readOnly`` flags of that
# swagger (ROT/RUT, green technology and cost centres left out: an unknown property is refused).
# Visma's changelog (developer.vismaonline.com/changelog/new-endpoint-regarding-quotes, 2024-07-05)
# confirms /v2/quotes is current.
QUOTE_SUPPLEMENT = {
    "paths": {
        "/v2/quotedrafts": {
            "get": _quote_operation("Get all quote drafts.", _SALES_READ,
                                    response={"$ref": "#/definitions/PaginatedResponse[QuoteApi]"}),
            "post": _quote_operation("Create quote draft.", _SALES, body=True,
                                     response={"$ref": "#/definitions/QuoteApi"}),
        },
        "/v2/quotedrafts/{id}": {
            "get": _quote_operation("Get a quote draft", _SALES_READ, path_id=True,
                                    response={"$ref": "#/definitions/QuoteApi"}),
            "put": _quote_operation("Replace content in an quote.", _SALES, body=True, path_id=True),
            "delete": _quote_operation("Delete an quote.", _SALES, path_id=True),
        },
    },
    "definitions": {
        "QuoteApi": {
            "type": "object", "required": ["CustomerId"], "x-refuse-read-only": True,
            "properties": {
                "Id": _string(format="uuid"), "Number": {"type": "integer", "format": "int32", "readOnly": True},
                "CustomerId": _string(False, format="uuid"),
                "DueDate": _string(False, format="date-time"), "QuoteDate": _string(False, format="date-time"),
                "CreatedUtc": _string(format="date-time"), "ApprovedDate": _string(format="date-time"),
                "Status": {"type": "integer", "format": "int32", "enum": [0, 1, 2, 3], "readOnly": True,
                           "description": "0 = Draft, 1 = Ongoing, 2 = Approved, 3 = Invoiced"},
                "EuThirdParty": {"type": "boolean"},
                **{name: _string() for name in _READ_ONLY_STRINGS},
                **{name: {"type": "number", "format": "double", "readOnly": True} for name in _READ_ONLY_NUMBERS},
                "CustomerIsPrivatePerson": {"type": "boolean", "readOnly": True},
                "IncludesVat": {"type": "boolean", "readOnly": True},
                "IsDomestic": {"type": "boolean", "readOnly": True},
                "RotReducedInvoicingType": {"type": "integer", "format": "int32", "enum": [0, 1, 2]},
                "TermsOfPayment": {"$ref": "#/definitions/TermsOfPaymentApi"},
                "SalesDocumentAttachments": _UUIDS, "MessageThreads": _UUIDS, "Notes": _UUIDS,
                "Rows": {"type": "array", "items": {"$ref": "#/definitions/QuoteRowApi"}},
                "IsNotDelivered": {"type": "boolean", "readOnly": True},
            },
        },
        "QuoteRowApi": {
            "type": "object", "x-refuse-read-only": True,
            "properties": {
                "ArticleId": _string(False, format="uuid"),
                "Text": _string(False, maxLength=2000, minLength=0),
                "UnitPrice": {"type": "number", "format": "double", "pattern": _TWO_DECIMALS},
                "DiscountPercentage": {"type": "number", "format": "double", "minimum": 0, "maximum": 1,
                                       "pattern": _FOUR_DECIMALS},
                "Quantity": {"type": "number", "format": "double", "pattern": _FOUR_DECIMALS},
                "IsWorkCost": {"type": "boolean", "readOnly": True},
                "IsVatFree": {"type": "boolean", "readOnly": True},
                "LineNumber": {"type": "integer", "format": "int32", "readOnly": True},
                "ProjectId": _string(False, format="uuid"),
                "IsTextRow": {"type": "boolean", "readOnly": True},
                "ArticleNumber": _string(),
            },
        },
        "PaginatedResponse[QuoteApi]": {
            "type": "object",
            "properties": {"Meta": {"$ref": "#/definitions/PaginationMetadata"},
                           "Data": {"type": "array", "items": {"$ref": "#/definitions/QuoteApi"}}},
        },
    },
}


@functools.cache
def _templates():
    """[(regex, template, {method: operation})] of every swagger path, literal segments first."""
    entries = []
    for template, operations in swagger()["paths"].items():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        literal_segments = sum(1 for part in template.split("/") if part and not part.startswith("{"))
        entries.append((-literal_segments, template, re.compile(f"^{pattern}/?$", re.IGNORECASE), operations))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return [(regex, template, operations) for _rank, template, regex, operations in entries]


def match_operation(method, path):
    """``(template, operation, path_params)`` of the swagger operation serving ``method path``, or
    ``None``.  ``path`` may be a full URL and may carry a query string."""
    path = urlsplit(path).path
    for regex, template, operations in _templates():
        match = regex.match(path)
        if match and method.lower() in operations:
            return template, operations[method.lower()], match.groupdict()
    return None


def definition(name):
    return swagger()["definitions"][name]


def is_list_operation(operation):
    """A list operation answers ``PaginatedResponse[...]`` (its ``Meta``/``Data`` envelope)."""
    schema = operation.get("responses", {}).get("200", {}).get("schema", {})
    return schema.get("$ref", "").startswith("#/definitions/PaginatedResponse[")


def required_scopes(operation):
    """The scopes an operation accepts, from its description ("Requires any of the following scopes")."""
    match = re.search(r"scopes: <br><b>([^<]+)</b>", operation.get("description", ""))
    return {scope.strip() for scope in match.group(1).split(",")} if match else set()


def validate_request(method, path, body=None, query=None):
    """Problems of one request against the swagger, as a list of messages (empty: valid).

    ``path`` is the request path or URL (a query string in it is checked too); ``query`` an optional
    mapping of further query parameters; ``body`` the decoded JSON body (``None``: no body)."""
    found = match_operation(method, path)
    if found is None:
        return [f"{method.upper()} {urlsplit(path).path} is not an operation of the eAccounting API v2 swagger"]
    _template, operation, path_params = found
    errors = []
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        value = path_params.get(parameter["name"])
        if parameter["in"] == "path" and parameter.get("format") == "uuid" and not _is_uuid(value):
            errors.append(f"path parameter {parameter['name']}: {value!r} is not a uuid")
    params = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
    params.update(query or {})
    declared = {parameter["name"]: parameter for parameter in parameters if parameter["in"] == "query"}
    for name, value in params.items():
        if name in declared:
            errors += _check_query_value(name, value, declared[name])
        elif name.lower() in ODATA_OPTIONS and is_list_operation(operation):
            if name.lower() in ("$page", "$pagesize") and not (value.isdigit() and int(value) >= 1):
                errors.append(f"query parameter {name}: {value!r} is not a positive integer")
        else:
            errors.append(f"query parameter {name} is not declared by {method.upper()} {_template}")
    body_parameter = next((parameter for parameter in parameters if parameter["in"] == "body"), None)
    if body_parameter is None:
        if body not in (None, {}, b"", ""):
            errors.append(f"{method.upper()} {_template} takes no body")
        return errors
    if body is None:
        if body_parameter.get("required"):
            errors.append(f"{method.upper()} {_template} needs a body ({_ref_name(body_parameter['schema'])})")
        return errors
    return errors + validate_value(body, body_parameter["schema"], "")


def validate_value(value, schema, where):
    """Problems of ``value`` against a swagger ``schema`` (``where``: its dotted location)."""
    if "$ref" in schema:
        return _validate_object(value, definition(_ref_name(schema)), where)
    kind = schema.get("type")
    label = where or "body"
    if kind == "object":
        if "properties" in schema:
            return _validate_object(value, schema, where)
        return [] if isinstance(value, dict) else [f"{label}: expected an object"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{label}: expected an array"]
        return [error for index, item in enumerate(value)
                for error in validate_value(item, schema.get("items", {}), f"{where}[{index}]")]
    if kind == "string":
        return _validate_string(value, schema, label)
    if kind in ("integer", "number"):
        return _validate_number(value, schema, label, kind)
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{label}: expected true or false, got {value!r}"]
    return []


def _validate_object(value, model, where):
    if not isinstance(value, dict):
        return [f"{where or 'body'}: expected an object"]
    errors = []
    properties = model.get("properties", {})
    prefix = f"{where}." if where else ""
    for name in model.get("required", []):
        if value.get(name) is None:
            errors.append(f"{prefix}{name}: required")
    for name, item in value.items():
        if name not in properties:
            errors.append(f"{prefix}{name}: unknown property")
        elif model.get("x-refuse-read-only") and properties[name].get("readOnly"):
            errors.append(f"{prefix}{name}: read-only (set by eAccounting)")
        elif item is not None:
            errors += validate_value(item, properties[name], f"{prefix}{name}")
    return errors


def _validate_string(value, schema, label):
    if not isinstance(value, str):
        return [f"{label}: expected a string, got {value!r}"]
    errors = []
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(f"{label}: longer than {schema['maxLength']} characters")
    if schema.get("format") == "uuid" and not _is_uuid(value):
        errors.append(f"{label}: {value!r} is not a uuid")
    if schema.get("format") == "date-time" and parse_datetime(value) is None:
        errors.append(f"{label}: {value!r} is not a date-time")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{label}: {value!r} is not one of {schema['enum']}")
    return errors


def _validate_number(value, schema, label, kind):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind == "integer" and isinstance(value, float)
                                                                          and not value.is_integer()):
        return [f"{label}: expected {'an integer' if kind == 'integer' else 'a number'}, got {value!r}"]
    errors = []
    if schema.get("format") == "int32" and not _INT32[0] <= value <= _INT32[1]:
        errors.append(f"{label}: {value} does not fit an int32")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{label}: {value} is below the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{label}: {value} is above the maximum {schema['maximum']}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{label}: {value!r} is not one of {schema['enum']}")
    decimals = _DECIMALS.search(schema.get("pattern", ""))
    if decimals and _decimal_places(value) > int(decimals.group(1)):
        errors.append(f"{label}: {value} has more than {decimals.group(1)} decimals")
    return errors


def _check_query_value(name, value, parameter):
    if parameter.get("type") == "boolean" and value.lower() not in ("true", "false"):
        return [f"query parameter {name}: {value!r} is not true or false"]
    if parameter.get("type") == "string" and parameter.get("format") == "date-time" and parse_datetime(value) is None:
        return [f"query parameter {name}: {value!r} is not a date-time"]
    return []


def _decimal_places(value):
    text = repr(float(value)) if isinstance(value, float) else str(value)
    if "e" in text or "E" in text:
        return len(f"{value:.15f}".rstrip("0").split(".")[1])
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _ref_name(schema):
    return schema.get("$ref", "").rsplit("/", 1)[-1]


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def parse_datetime(value):
    """A swagger ``date-time`` as JSON.NET reads it: an ISO date or date-time (``Z`` or offset or
    none); ``None`` when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time())
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
