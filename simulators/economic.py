"""Simulator of the e-conomic REST API (restapi.e-conomic.com).

Implements the documented wire protocol (vendor docs: ``shared/specs/economic/docs``) for what the
shop-sync connectors use: customers, products (with the inventory block), draft invoices and their
booking, booked invoices and the reference data they point at (accounts, layouts, payment terms,
customer and product groups, units, VAT zones/accounts/types, currencies), ``/self`` and ``/``.

Documented behaviour reproduced: token headers, JSON-only writes (415), collections with
``skippages``/``pagesize`` paging (max 1000), ``filter`` (``$eq: $ne: $gt: $gte: $lt: $lte: $like:
$in: $nin:`` joined by ``$and:``/``$or:``, parentheses, ``$``-escapes, ``$null:``) restricted to the
documented filterable properties, ``sort`` (``-`` descending, ``~`` alphabetical) restricted to the
sortable ones, annotated validation errors nested like the request body, ``self`` links with the
custom product-number encoding, false booleans omitted from responses, null rejected on writes.

Simulator choices where the docs are silent (clients must not depend on more than the shape):

* Tokens: :data:`APP_SECRET_TOKEN` / :data:`AGREEMENT_GRANT_TOKEN` (constructor overrides). Missing
  or unknown tokens: 401. The documented demo tokens (``demo``/``demo``) may only GET: other
  methods get 403.
* Error codes: ``E00<status>`` for non-validation errors (e.g. ``E00401``, ``E00404``, ``E00429``);
  validation: ``E04300`` with property codes ``E04100`` required, ``E04200`` invalid value,
  ``E04210`` number already used, ``E04220`` too long, and the documented ``E04500`` (no
  identifier on a reference), ``E04730`` (quantity missing), ``E04740`` (more than two decimals),
  ``E06000`` (referenced resource does not exist).
* VAT (the business rule; sources in :meth:`EconomicSimulator._line_vat_rate`): a line's rate comes
  from its product's product group, that group's sales account for the invoice's VAT zone
  (``recipient.vatZone``) and that account's VAT code (``vatAccount``), whose VAT account carries
  ``ratePercentage``.  A draft line cannot name an account or VAT code itself (the draft line schema
  has none), so the product decides.  Rounding (docs silent on where): per line, half away from zero
  to the cent, as booked invoice lines document a ``vatAmount`` and the ``vatRate`` "used to calculate
  the vat amount on this line"; the invoice's ``vatAmount`` is the sum of its lines' amounts, so a
  draft and the invoice booked from it agree; ``roundingAmount`` is 0.  A line without a product has
  no sales account and no VAT.  A product whose group has no sales account for the zone, or whose
  account names a VAT code that does not exist, is refused (``E04200`` on the line's product).
* Booking a draft decreases ``inventory.inStock``/``available`` of its products (and bumps their
  ``lastUpdated``) and raises the customer's ``balance`` by the gross amount in base currency.
* Optional rate limit (``requests_per_second`` / ``requests_per_hour``, measured with ``clock``):
  429 in the error shape with a ``Retry-After`` header (whole seconds).
"""

import json
import math
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import quote, unquote

from werkzeug.routing import Map, Rule

from simulators.common import ApiError, SimulatorApp
from simulators.common import api_handler as _api_handler

APP_SECRET_TOKEN = "sim-economic-app-secret-token"
AGREEMENT_GRANT_TOKEN = "sim-economic-agreement-grant-token"
DEMO_TOKEN = "demo"  # documented demo agreement: read-only

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000
MAX_IN_LIST = 200
BASE_CURRENCY = "DKK"
DOMESTIC_VAT_ZONE = 1
DOMESTIC_VAT_CODE = "U25"
CENT = Decimal("0.01")

VALIDATION_FAILED = "E04300"
PROPERTY_REQUIRED = "E04100"
INVALID_VALUE = "E04200"
NUMBER_IN_USE = "E04210"
TOO_LONG = "E04220"
NO_IDENTIFIER = "E04500"
QUANTITY_REQUIRED = "E04730"
DECIMAL_SCALE = "E04740"
DOES_NOT_EXIST = "E06000"
VALIDATION_HINT = "Inspect validation errors and correct your request."

# identifier property -> collection path: nested objects carrying one get a ``self`` link
LINKED_COLLECTIONS = {
    "bookedInvoiceNumber": "invoices/booked",
    "draftInvoiceNumber": "invoices/drafts",
    "customerNumber": "customers",
    "customerGroupNumber": "customer-groups",
    "productNumber": "products",
    "productGroupNumber": "product-groups",
    "accountNumber": "accounts",
    "vatCode": "vat-accounts",
    "vatTypeNumber": "vat-types",
    "vatZoneNumber": "vat-zones",
    "layoutNumber": "layouts",
    "paymentTermsNumber": "payment-terms",
    "unitNumber": "units",
    "employeeNumber": "employees",
    "projectNumber": "projects",
}

# documented custom encoding of non-alphanumeric characters in resource URLs
_SELF_ID_ENCODING = {"<": "_0_", ">": "_1_", "*": "_2_", "%": "_3_", ":": "_4_", "&": "_5_", "/": "_6_",
                     "\\": "_7_", "_": "_8_", " ": "_9_", "?": "_10_", ".": "_11_", "#": "_12_", "+": "_13_"}
_SELF_ID_DECODING = {code: char for char, code in _SELF_ID_ENCODING.items()}

STRING, INTEGER, NUMBER, BOOLEAN, DATE, DATETIME = "string", "integer", "number", "boolean", "date", "datetime"


@dataclass(frozen=True)
class Collection:
    """A documented collection: where its records live, their identifier, filterable/sortable fields."""

    path: str
    state: str | None  # simulator attribute holding {identifier: record}
    key: str
    noun: str
    filterable: dict = field(default_factory=dict)  # property -> value type
    sortable: frozenset = frozenset()
    converter: str = "int"  # werkzeug converter of the identifier in URLs
    omit_in_list: tuple = ()  # properties only shown on the single resource
    create: str | None = None  # metaData.create description of writable collections


def _fields(names, kind):
    return dict.fromkeys(names.split(), kind)


_INVOICE_FIELDS = {
    **_fields("currency delivery.address delivery.city delivery.country delivery.deliveryTerms delivery.zip "
              "notes.heading notes.textLine1 notes.textLine2 recipient.address recipient.city recipient.country "
              "recipient.ean recipient.name recipient.publicEntryNumber recipient.zip references.other", STRING),
    **_fields("customer.customerNumber deliveryLocation.deliveryLocationNumber paymentTerms.paymentTermsNumber "
              "references.customerContact.customer.customerNumber references.salesPerson.employeeNumber "
              "references.vendorReference.employeeNumber", INTEGER),
    **_fields("date delivery.deliveryDate", DATE),
}
DRAFT_FIELDS = {**_INVOICE_FIELDS, **_fields("draftInvoiceNumber soap.currentInvoiceHandle.id", INTEGER),
                "exchangeRate": NUMBER}
BOOKED_FIELDS = {**_INVOICE_FIELDS, **_fields("bookedInvoiceNumber recipient.vatZone.vatZoneNumber", INTEGER)}
CUSTOMER_FIELDS = {
    **_fields("address city corporateIdentificationNumber country currency ean email name publicEntryNumber "
              "telephoneAndFaxNumber vatNumber website zip", STRING),
    **_fields("balance creditLimit", NUMBER), "barred": BOOLEAN, "customerNumber": INTEGER, "lastUpdated": DATETIME,
}
PRODUCT_FIELDS = {
    **_fields("barCode description name productNumber", STRING),
    **_fields("costPrice inventory.grossWeight inventory.netWeight inventory.packageVolume "
              "inventory.recommendedCostPrice recommendedPrice salesPrice", NUMBER),
    **_fields("departmentalDistribution.departmentalDistributionNumber productGroup.productGroupNumber "
              "unit.unitNumber", INTEGER),
    "barred": BOOLEAN, "lastUpdated": DATETIME,
}
PRODUCT_SORTABLE = frozenset(
    "barCode barred costPrice description inventory.grossWeight inventory.netWeight inventory.packageVolume "
    "lastUpdated name productNumber recommendedPrice salesPrice".split())
ACCOUNT_FIELDS = {**_fields("accountType debitCredit name", STRING), "accountNumber": INTEGER, "balance": NUMBER,
                  **_fields("barred blockDirectEntries", BOOLEAN)}
CUSTOMER_GROUP_FIELDS = {**_fields("account.accountType account.debitCredit account.name name", STRING),
                         **_fields("account.accountNumber customerGroupNumber", INTEGER),
                         "account.balance": NUMBER, "account.blockDirectEntries": BOOLEAN}
SALES_ACCOUNT_FIELDS = {f"salesAccount.{name}": kind for name, kind in ACCOUNT_FIELDS.items()}

ACCOUNTS = Collection("accounts", "accounts", "accountNumber", "account", ACCOUNT_FIELDS,
                      frozenset(ACCOUNT_FIELDS) - {"barred"})
CURRENCIES = Collection("currencies", "currencies", "code", "currency", converter="string")
CUSTOMER_GROUPS = Collection("customer-groups", "customer_groups", "customerGroupNumber", "customer group",
                             CUSTOMER_GROUP_FIELDS, frozenset(CUSTOMER_GROUP_FIELDS))
CUSTOMERS = Collection("customers", "customers", "customerNumber", "customer", CUSTOMER_FIELDS,
                       frozenset(CUSTOMER_FIELDS) - {"barred"}, create="Create a new customer.")
BOOKED = Collection("invoices/booked", "booked", "bookedInvoiceNumber", "booked invoice", BOOKED_FIELDS,
                    frozenset(BOOKED_FIELDS), omit_in_list=("lines",), create="Book a draft invoice.")
DRAFTS = Collection("invoices/drafts", "drafts", "draftInvoiceNumber", "draft invoice", DRAFT_FIELDS,
                    frozenset(DRAFT_FIELDS), omit_in_list=("lines",), create="Create a new draft invoice.")
LAYOUTS = Collection("layouts", "layouts", "layoutNumber", "layout")
PAYMENT_TERMS = Collection("payment-terms", "payment_terms", "paymentTermsNumber", "payment terms")
PRODUCT_GROUPS = Collection("product-groups", "product_groups", "productGroupNumber", "product group")
PRODUCTS = Collection("products", "products", "productNumber", "product", PRODUCT_FIELDS, PRODUCT_SORTABLE,
                      converter="string", create="Create a new product.")
UNITS = Collection("units", "units", "unitNumber", "unit")
VAT_ACCOUNTS = Collection("vat-accounts", "vat_accounts", "vatCode", "VAT account", converter="string")
VAT_TYPES = Collection("vat-types", "vat_types", "vatTypeNumber", "VAT type")
VAT_ZONES = Collection("vat-zones", "vat_zones", "vatZoneNumber", "VAT zone")
SALES_ACCOUNTS = Collection("sales-accounts", None, "salesAccount.accountNumber", "sales account",
                            SALES_ACCOUNT_FIELDS, frozenset(SALES_ACCOUNT_FIELDS) - {"salesAccount.barred"})

COLLECTIONS = (ACCOUNTS, CURRENCIES, CUSTOMER_GROUPS, CUSTOMERS, BOOKED, DRAFTS, LAYOUTS, PAYMENT_TERMS,
               PRODUCT_GROUPS, PRODUCTS, UNITS, VAT_ACCOUNTS, VAT_TYPES, VAT_ZONES)
COLLECTION_BY_PATH = {spec.path: spec for spec in COLLECTIONS}

CUSTOMER_TEXTS = {"address": 510, "city": 50, "corporateIdentificationNumber": 40, "country": 50, "ean": 40,
                  "email": 255, "mobilePhone": 50, "name": 255, "pNumber": 10, "publicEntryNumber": 50,
                  "telephoneAndFaxNumber": 255, "vatNumber": 50, "website": 255, "zip": 30}
CUSTOMER_REFERENCES = {"customerGroup": CUSTOMER_GROUPS, "paymentTerms": PAYMENT_TERMS, "vatZone": VAT_ZONES,
                       "layout": LAYOUTS}
PRODUCT_TEXTS = {"barCode": 50, "description": 500, "name": 300, "productNumber": 25}
PRODUCT_PRICES = ("costPrice", "recommendedPrice", "salesPrice")
PRODUCT_WRITABLE_INVENTORY = ("packageVolume", "recommendedCostPrice")
DRAFT_REQUIRED = ("currency", "customer", "date", "layout", "paymentTerms", "recipient", "recipient.name",
                  "recipient.vatZone")
DRAFT_TEXTS = {"recipient.name": 250, "recipient.address": 250, "recipient.city": 250, "recipient.zip": 50,
               "recipient.country": 50, "recipient.ean": 13, "recipient.publicEntryNumber": 40,
               "references.other": 250, "notes.heading": 250, "notes.textLine1": 1000, "notes.textLine2": 1000,
               "delivery.address": 255, "delivery.city": 50, "delivery.zip": 30, "delivery.country": 50,
               "delivery.deliveryTerms": 100}
DRAFT_OBJECTS = ("delivery", "deliveryLocation", "notes", "project", "references")  # stored as sent
BOOKED_PROPERTIES = ("date", "currency", "netAmount", "netAmountInBaseCurrency", "grossAmount",
                     "grossAmountInBaseCurrency", "vatAmount", "roundingAmount", "dueDate", "paymentTerms",
                     "customer", "recipient", "delivery", "deliveryLocation", "notes", "references", "layout",
                     "project")
BOOKED_LINE_PROPERTIES = ("lineNumber", "sortKey", "description", "quantity", "unitNetPrice",
                          "discountPercentage", "unitCostPrice", "totalNetAmount", "product", "unit",
                          "departmentalDistribution")

CURRENCY_TABLE = (  # code, ISO number, name, exchange rate (DKK per 100 units)
    ("DKK", "208", "Danske kroner", "100"), ("EUR", "978", "Euro", "746.10"),
    ("SEK", "752", "Svenske kroner", "68.50"), ("NOK", "578", "Norske kroner", "64.20"),
    ("USD", "840", "Amerikanske dollar", "690.50"), ("GBP", "826", "Britiske pund", "865.30"),
)
# The seed is a Danish agreement of a webshop: e-conomic's VAT zones 1 Domestic, 2 EU, 3 Abroad and
# 4 Domestic exempt (_vat-zones.md), VAT codes of at most 5 characters (_vat-accounts.md: vatCode,
# max length 5) with e-conomic DK's usual names for domestic output VAT (U25) and EU sales of goods /
# services without VAT (UEUV / UEUY: reverse charge, the buyer accounts for the VAT), and one VAT code,
# sales account and product group per One-Stop-Shop country and rate (the merchant creates those in
# e-conomic; their names here are the simulator's).
VAT_ACCOUNT_TABLE = (  # VAT code, name, rate, VAT account (ledger), VAT type
    ("U25", "Salgsmoms 25%", "25", 7200, 1), ("I25", "Købsmoms 25%", "25", 7210, 2),
    ("UEUV", "Salg af varer til EU (uden moms)", "0", 7200, 1),
    ("UEUY", "Salg af ydelser til EU (uden moms)", "0", 7200, 1),
    ("NL21", "OSS Nederlandene 21%", "21", 7220, 1), ("DE19", "OSS Tyskland 19%", "19", 7220, 1),
    ("DE7", "OSS Tyskland 7%", "7", 7220, 1), ("SE25", "OSS Sverige 25%", "25", 7220, 1),
    ("FR20", "OSS Frankrig 20%", "20", 7220, 1), ("FR55", "OSS Frankrig 5,5%", "5.5", 7220, 1),
)
ACCOUNT_TABLE = (  # number, name, type, debit/credit, VAT code (None: sales without VAT, e.g. export)
    (1010, "Salg", "profitAndLoss", "credit", "U25"),
    (1020, "Salg af varer EU", "profitAndLoss", "credit", "UEUV"),
    (1021, "Salg af ydelser EU", "profitAndLoss", "credit", "UEUY"),
    (1030, "Salg udland", "profitAndLoss", "credit", None),
    (1040, "Salg momsfrit", "profitAndLoss", "credit", None),
    (1051, "Salg OSS Nederlandene 21%", "profitAndLoss", "credit", "NL21"),
    (1052, "Salg OSS Tyskland 19%", "profitAndLoss", "credit", "DE19"),
    (1053, "Salg OSS Tyskland 7%", "profitAndLoss", "credit", "DE7"),
    (1054, "Salg OSS Sverige 25%", "profitAndLoss", "credit", "SE25"),
    (1055, "Salg OSS Frankrig 20%", "profitAndLoss", "credit", "FR20"),
    (1056, "Salg OSS Frankrig 5,5%", "profitAndLoss", "credit", "FR55"),
    (1310, "Vareforbrug", "profitAndLoss", "debit", "I25"),
    (5600, "Debitorer", "status", "debit", None), (5810, "Bank", "status", "debit", None),
    (7200, "Salgsmoms", "status", "credit", None), (7210, "Købsmoms", "status", "debit", None),
    (7220, "Salgsmoms OSS", "status", "credit", None),
)
# product group -> name, inventory enabled, sales account per VAT zone (_product-groups.md:
# GET /product-groups/:productGroupNumber/sales-accounts, one salesAccount per vatZone)
PRODUCT_GROUP_TABLE = {
    1: ("Varer m/moms", True, {1: 1010, 2: 1020, 3: 1030, 4: 1040}),
    2: ("Ydelser m/moms", False, {1: 1010, 2: 1021, 3: 1030, 4: 1040}),
    3: ("Afrunding (uden moms)", False, {1: 1040, 2: 1040, 3: 1040, 4: 1040}),
    **{number: (f"OSS {name}", True, {1: 1010, 2: account, 3: 1030, 4: 1040})
       for number, name, account in ((11, "Nederlandene 21%", 1051), (12, "Tyskland 19%", 1052),
                                     (13, "Tyskland 7%", 1053), (14, "Sverige 25%", 1054),
                                     (15, "Frankrig 20%", 1055), (16, "Frankrig 5,5%", 1056))},
}
# (country, rate) -> the OSS product group above (booked in VAT zone 2, EU), for the demo's mappings
OSS_PRODUCT_GROUPS = {("NL", Decimal("21")): 11, ("DE", Decimal("19")): 12, ("DE", Decimal("7")): 13,
                      ("SE", Decimal("25")): 14, ("FR", Decimal("20")): 15, ("FR", Decimal("5.5")): 16}
EU_VAT_ZONE = 2


class FilterError(ValueError):
    """A ``filter``/``sort`` value the API refuses."""


class ValidationErrors:
    """Property errors collected in the annotated shape: nested like the request body, list items
    as ``{"arrayIndex": i, ...}`` entries, each property holding ``{"errors": [...]}``."""

    def __init__(self, base):
        self.base = base
        self.tree = {}
        self.count = 0

    def add(self, path, code, message, hint, value=None):
        node, parts = self.tree, list(path)
        while parts:
            part = parts.pop(0)
            if parts and isinstance(parts[0], int):
                index = parts.pop(0)
                items = node.setdefault(part, [])
                entry = next((item for item in items if item["arrayIndex"] == index), None)
                if entry is None:
                    entry = {"arrayIndex": index}
                    items.append(entry)
                node = entry
            else:
                node = node.setdefault(part, {})
        error = {"propertyName": path[-1], "errorMessage": message, "errorCode": code}
        if value is not None:
            error["inputValue"] = value
        error["developerHint"] = hint
        node.setdefault("errors", []).append(error)
        self.count += 1

    def required(self, path):
        self.add(path, PROPERTY_REQUIRED, f"Property {path[-1]} is required.",
                 "Include the property in your request.")

    def invalid(self, path, message, value=None):
        self.add(path, INVALID_VALUE, message, "Please check the format of your data.", value)

    def missing_resource(self, path, spec, value):
        self.add(path, DOES_NOT_EXIST, f"{path[-1]} does not exist.",
                 f"Find a list of resources at {self.base}/{spec.path}.", value)

    def raise_if_any(self):
        if self.count:
            plural = "s" if self.count > 1 else ""
            raise ApiError(400, f"Validation failed. {self.count} error{plural} found.", errorCode=VALIDATION_FAILED,
                           developerHint=VALIDATION_HINT, errors=self.tree, errorCount=self.count)


# -- routing --------------------------------------------------------------------------------
def _url_map():
    rules = [Rule("/", endpoint="root", methods=["GET"]), Rule("/self", endpoint="self", methods=["GET"]),
             Rule("/invoices", endpoint="invoices", methods=["GET"])]
    for spec in COLLECTIONS:
        rules.append(Rule(f"/{spec.path}", endpoint="list", methods=["GET"], defaults={"path": spec.path}))
        rules.append(Rule(f"/{spec.path}/<{spec.converter}:identifier>", endpoint="get", methods=["GET"],
                          defaults={"path": spec.path}))
    rules += [
        Rule("/customers", endpoint="create_customer", methods=["POST"]),
        Rule("/customers/<int:number>", endpoint="replace_customer", methods=["PUT"]),
        Rule("/products", endpoint="create_product", methods=["POST"]),
        Rule("/products/<product_number>", endpoint="replace_product", methods=["PUT"]),
        Rule("/product-groups/<int:number>/sales-accounts", endpoint="sales_accounts", methods=["GET"]),
        Rule("/invoices/drafts", endpoint="create_draft", methods=["POST"]),
        Rule("/invoices/drafts/<int:number>", endpoint="replace_draft", methods=["PUT"]),
        Rule("/invoices/drafts/<int:number>", endpoint="delete_draft", methods=["DELETE"]),
        Rule("/invoices/drafts/<int:number>/templates", endpoint="draft_templates", methods=["GET"]),
        Rule("/invoices/drafts/<int:number>/templates/booking-instructions", endpoint="booking_instructions",
             methods=["GET"]),
        Rule("/invoices/booked", endpoint="book", methods=["POST"]),
        Rule("/invoices/booked/<int:number>", endpoint="book", methods=["PUT"]),
    ]
    return Map(rules, strict_slashes=False, redirect_defaults=False)


class EconomicSimulator(SimulatorApp):
    """Stateful e-conomic REST API.

    Inspection/shop-side API: ``customers`` {customerNumber: record}, ``products`` {productNumber:
    record}, ``drafts`` {draftInvoiceNumber: record}, ``booked`` {bookedInvoiceNumber: record}
    (records in wire shape without ``self`` links), reference data dicts (``accounts``, ``layouts``,
    ``payment_terms``, ``customer_groups``, ``product_groups``, ``sales_accounts``, ``units``,
    ``vat_zones``, ``vat_accounts``, ``vat_types``, ``currencies``), :meth:`seed`,
    :meth:`set_inventory`, :meth:`snapshot`, :meth:`reset`.
    """

    name = "economic"
    url_map = _url_map()

    def __init__(self, app_secret_token=APP_SECRET_TOKEN, agreement_grant_token=AGREEMENT_GRANT_TOKEN,
                 requests_per_second=None, requests_per_hour=None):
        self.app_secret_token = app_secret_token
        self.agreement_grant_token = agreement_grant_token
        self.requests_per_second = requests_per_second
        self.requests_per_hour = requests_per_hour
        super().__init__()

    # -- state ------------------------------------------------------------------------------
    def reset(self):
        """Drop customers, products and invoices; reseed the Danish reference data."""
        self.currencies = {code: {"code": code, "isoNumber": iso, "name": name}
                           for code, iso, name, _rate in CURRENCY_TABLE}
        self.exchange_rates = {code: Decimal(rate) for code, _iso, _name, rate in CURRENCY_TABLE}
        self.vat_types = {1: {"vatTypeNumber": 1, "name": "Salgsmoms"}, 2: {"vatTypeNumber": 2, "name": "Købsmoms"}}
        self.vat_accounts = {
            code: {"vatCode": code, "name": name, "ratePercentage": float(rate), "account": {"accountNumber": account},
                   "contraAccount": {"accountNumber": account}, "vatType": dict(self.vat_types[vat_type])}
            for code, name, rate, account, vat_type in VAT_ACCOUNT_TABLE}
        self.accounts = {}
        for number, name, kind, debit_credit, vat_code in ACCOUNT_TABLE:
            account = {"accountNumber": number, "accountType": kind, "balance": 0.0,
                       "blockDirectEntries": number == 5600, "debitCredit": debit_credit, "name": name}
            if vat_code:
                account["vatAccount"] = {"vatCode": vat_code}
            self.accounts[number] = account
        self.vat_zones = {number: {"vatZoneNumber": number, "name": name, "enabledForCustomer": True,
                                   "enabledForSupplier": supplier}
                          for number, name, supplier in ((1, "Domestic", True), (2, "EU", True),
                                                         (3, "Abroad", True), (4, "Domestic exempt", False))}
        self.layouts = {19: {"layoutNumber": 19, "name": "Standard"},
                        20: {"layoutNumber": 20, "name": "Standard (engelsk)"}}
        self.payment_terms = {
            number: {"paymentTermsNumber": number, "daysOfCredit": days, "name": name, "paymentTermsType": kind}
            for number, name, kind, days in ((1, "Netto 8 dage", "net", 8), (2, "Kontant", "paidInCash", 0),
                                             (3, "Løbende måned 14 dage", "invoiceMonth", 14),
                                             (4, "Netto 30 dage", "net", 30), (5, "Forudbetaling", "prepaid", 0),
                                             (6, "Forfaldsdato", "dueDate", 0))
        }
        debtors = dict(self.accounts[5600])
        self.customer_groups = {
            number: {"customerGroupNumber": number, "name": name, "account": dict(debtors),
                     "layout": dict(self.layouts[19])}
            for number, name in ((1, "Domestic customers"), (2, "EU customers"), (3, "Customers abroad"))
        }
        self.product_groups = {number: {"productGroupNumber": number, "name": name, "inventoryEnabled": inventory}
                               for number, (name, inventory, _accounts) in PRODUCT_GROUP_TABLE.items()}
        self.sales_accounts = {number: dict(accounts) for number, (_n, _i, accounts) in PRODUCT_GROUP_TABLE.items()}
        self.units = {1: {"unitNumber": 1, "name": "stk."}, 2: {"unitNumber": 2, "name": "Tim."},
                      3: {"unitNumber": 3, "name": "kg"}}
        self.customers = {}
        self.products = {}
        self.drafts = {}
        self.booked = {}
        self.next_draft_number = 1
        self._request_times = deque()

    def snapshot(self):
        return {"customers": list(self.customers.values()), "products": list(self.products.values()),
                "drafts": list(self.drafts.values()), "booked": list(self.booked.values())}

    def seed(self, catalogue):
        """Create a product per sellable SKU of a :func:`simulators.seed.generate` catalogue; variants
        become simple products.  Prices are stored excluding Danish VAT, variant stock as inventory."""
        with self.lock:
            for seed_product in catalogue.products:
                description = re.sub(r"<[^>]+>", "", seed_product.description)[:500]
                for item in seed_product.variants or [seed_product]:
                    options = ", ".join(getattr(item, "options", {}).values())
                    name = f"{seed_product.title} ({options})" if options else seed_product.title
                    domestic_rate = _decimal(self.vat_accounts[DOMESTIC_VAT_CODE]["ratePercentage"])
                    price = (item.price * 100 / (100 + domestic_rate)).quantize(CENT)
                    product = {"productNumber": item.sku, "name": name, "description": description,
                               "costPrice": 0.0, "recommendedPrice": 0.0, "salesPrice": float(price),
                               "productGroup": {"productGroupNumber": 1}, "unit": {"unitNumber": 1},
                               "inventory": _empty_inventory(), "lastUpdated": self._timestamp()}
                    if getattr(item, "barcode", None):
                        product["barCode"] = item.barcode
                    self.products[item.sku] = product
                    self.set_inventory(item.sku, getattr(item, "stock", 0))

    def set_inventory(self, product_number, available, in_stock=None):
        """Set a product's stock as the inventory module would (the stock master is e-conomic).

        Without ``in_stock`` the units ordered by customers are kept and ``inStock`` follows."""
        with self.lock:
            product = self.products[product_number]
            inventory = product["inventory"]
            if in_stock is None:
                in_stock = available + inventory["orderedByCustomers"]
            inventory.update(available=float(available), inStock=float(in_stock),
                             orderedByCustomers=float(in_stock - available),
                             inventoryLastUpdated=self._timestamp())
            product["lastUpdated"] = self._timestamp()

    # -- vendor hooks -----------------------------------------------------------------------
    def before_request(self, request):
        """Token check, demo read-only rule, rate limit and the JSON content type on writes."""
        app_token = request.headers.get("X-AppSecretToken")
        grant_token = request.headers.get("X-AgreementGrantToken")
        if not app_token or not grant_token:
            return self.error_response(
                401, "Missing X-AppSecretToken or X-AgreementGrantToken header.",
                developerHint="Send both the X-AppSecretToken and the X-AgreementGrantToken header.")
        demo = app_token == DEMO_TOKEN and grant_token == DEMO_TOKEN
        if not demo and app_token != self.app_secret_token:
            return self.error_response(401, "The X-AppSecretToken is not valid.",
                                       developerHint="Use the secret token of your app.")
        if not demo and grant_token != self.agreement_grant_token:
            return self.error_response(
                401, "The X-AgreementGrantToken is not valid or the grant has been revoked.",
                developerHint="Ask the agreement to grant your app access again.")
        if demo and request.method != "GET":
            return self.error_response(403, "The demo agreement only allows GET requests.",
                                       developerHint="Use the tokens of a real agreement to write data.")
        retry_after = self._throttle()
        if retry_after:
            return self._too_many_requests(retry_after)
        if request.method in ("POST", "PUT") and request.mimetype != "application/json":
            return self.error_response(415, "Content-Type must be application/json.",
                                       developerHint="Send the request body as JSON with Content-Type: "
                                                     "application/json.")
        return None

    def error_response(self, status, message, **extra):
        body = {"message": message, "errorCode": f"E00{status}",
                "developerHint": "See https://restdocs.e-conomic.com for the endpoint's rules.",
                "logId": uuid.uuid4().hex, "httpStatusCode": status, "logTime": self._log_time()}
        body.update(extra)
        return self.json_response(body, status)

    def rate_limited_response(self, fault):
        return self._too_many_requests(fault.retry_after)

    # -- read endpoints ---------------------------------------------------------------------
    def on_root(self, request):
        base = _base_url(request)
        resources = [{"name": spec.path, "self": f"{base}/{spec.path}"} for spec in COLLECTIONS]
        resources.append({"name": "self", "self": f"{base}/self"})
        return self.json_response({"resources": resources, "self": f"{base}/"})

    def on_self(self, request):
        return self.json_response(_self_document(_base_url(request)))

    def on_invoices(self, request):
        base = _base_url(request)
        return self.json_response({"booked": f"{base}/invoices/booked", "drafts": f"{base}/invoices/drafts",
                                   "self": f"{base}/invoices"})

    @_api_handler
    def on_list(self, request, path):
        spec = COLLECTION_BY_PATH[path]
        base = _base_url(request)
        return self._collection_response(request, spec, list(getattr(self, spec.state).values()),
                                         lambda record: self._render(spec, record, base, listed=True))

    @_api_handler
    def on_get(self, request, path, identifier):
        spec = COLLECTION_BY_PATH[path]
        if isinstance(identifier, str):
            identifier = decode_self_id(identifier)
        return self.json_response(self._render(spec, self._existing(spec, identifier, request), _base_url(request)))

    @_api_handler
    def on_sales_accounts(self, request, number):
        base = _base_url(request)
        self._existing(PRODUCT_GROUPS, number, request)
        items = [{"salesAccount": self.accounts[account], "vatZone": self.vat_zones[zone]}
                 for zone, account in sorted(self.sales_accounts.get(number, {}).items())]
        link = f"{base}/product-groups/{number}/sales-accounts"
        return self._collection_response(request, SALES_ACCOUNTS, items,
                                         lambda item: {**_linked(item, base), "self": link})

    @_api_handler
    def on_draft_templates(self, request, number):
        self._existing(DRAFTS, number, request)
        return self.json_response(_draft_templates(_base_url(request), number))

    @_api_handler
    def on_booking_instructions(self, request, number):
        self._existing(DRAFTS, number, request)
        link = f"{_base_url(request)}/invoices/drafts/{number}"
        return self.json_response({"draftInvoice": {"draftInvoiceNumber": number, "self": link},
                                   "self": f"{link}/templates/booking-instructions"})

    # -- customers --------------------------------------------------------------------------
    @_api_handler
    def on_create_customer(self, request):
        base = _base_url(request)
        body = _json_body(request)
        errors = ValidationErrors(base)
        number = body.get("customerNumber")
        if number is None:
            number = max(self.customers, default=0) + 1
        elif not _is_int(number) or not 1 <= number <= 999_999_999:
            errors.invalid(("customerNumber",), "customerNumber must be an integer from 1 to 999999999.", number)
        elif number in self.customers:
            errors.add(("customerNumber",), NUMBER_IN_USE, f"Customer number {number} is already in use.",
                       "Omit customerNumber to get the next free number.", number)
        record = self._customer_record(body, errors, number, balance=0.0)
        self.customers[number] = record
        return self._created(CUSTOMERS, record, base)

    @_api_handler
    def on_replace_customer(self, request, number):
        existing = self._existing(CUSTOMERS, number, request)
        body = _json_body(request)
        record = self._customer_record(body, ValidationErrors(_base_url(request)), number,
                                       balance=existing["balance"])
        self.customers[number] = record
        return self.json_response(self._render(CUSTOMERS, record, _base_url(request)))

    def _customer_record(self, body, errors, number, balance):
        """Validate a customer document (POST and PUT rules are the same) and build the record."""
        _reject_nulls(errors, body)
        errors.raise_if_any()
        _require(errors, body, ("currency", "customerGroup", "name", "paymentTerms", "vatZone"))
        _check_texts(errors, body, CUSTOMER_TEXTS)
        _check_numbers(errors, body, ("creditLimit",))
        _check_booleans(errors, body, ("barred",))
        self._check_currency(errors, body)
        references = {name: self._resolve(errors, (name,), body[name], spec)
                      for name, spec in CUSTOMER_REFERENCES.items() if name in body}
        errors.raise_if_any()
        record = {"customerNumber": number, "name": body["name"], "currency": body["currency"]}
        record.update({name: body[name] for name in CUSTOMER_TEXTS if name in body})
        record.update({name: {spec.key: references[name]} for name, spec in CUSTOMER_REFERENCES.items()
                       if name in references})
        record.update({name: body[name] for name in ("barred", "creditLimit") if name in body})
        record.update(balance=balance, lastUpdated=self._timestamp())
        return record

    # -- products ---------------------------------------------------------------------------
    @_api_handler
    def on_create_product(self, request):
        base = _base_url(request)
        body = _json_body(request)
        errors = ValidationErrors(base)
        number = body.get("productNumber")
        if number in self.products:
            errors.add(("productNumber",), NUMBER_IN_USE, f"Product number {number} is already in use.",
                       "Use PUT /products/{productNumber} to change an existing product.", number)
        record = self._product_record(body, errors, _empty_inventory())
        self.products[record["productNumber"]] = record
        return self._created(PRODUCTS, record, base)

    @_api_handler
    def on_replace_product(self, request, product_number):
        number = decode_self_id(product_number)
        existing = self._existing(PRODUCTS, number, request)
        body = _json_body(request)
        errors = ValidationErrors(_base_url(request))
        if body.get("productNumber", number) != number:
            errors.invalid(("productNumber",), "productNumber must match the product in the URL.",
                           body["productNumber"])
        record = self._product_record(body, errors, dict(existing["inventory"]))
        self.products[number] = record
        return self.json_response(self._render(PRODUCTS, record, _base_url(request)))

    def _product_record(self, body, errors, inventory):
        """Validate a product document; only the writable inventory properties are taken."""
        _reject_nulls(errors, body)
        errors.raise_if_any()
        _require(errors, body, ("name", "productGroup", "productNumber"))
        _check_texts(errors, body, PRODUCT_TEXTS)
        _check_numbers(errors, body, PRODUCT_PRICES)
        _check_booleans(errors, body, ("barred",))
        group = self._resolve(errors, ("productGroup",), body["productGroup"], PRODUCT_GROUPS) \
            if "productGroup" in body else None
        unit = self._resolve(errors, ("unit",), body["unit"], UNITS) if "unit" in body else None
        sent_inventory = body.get("inventory", {})
        if not isinstance(sent_inventory, dict):
            errors.invalid(("inventory",), "inventory must be an object.", sent_inventory)
        else:
            _check_numbers(errors, sent_inventory, PRODUCT_WRITABLE_INVENTORY, ("inventory",))
        errors.raise_if_any()
        record = {"productNumber": body["productNumber"], "name": body["name"]}
        record.update({name: body[name] for name in ("description", "barCode", "barred") if name in body})
        record.update({name: float(body.get(name, 0)) for name in PRODUCT_PRICES})
        record["productGroup"] = {"productGroupNumber": group}
        if unit is not None:
            record["unit"] = {"unitNumber": unit}
        inventory.update({name: float(sent_inventory[name]) for name in PRODUCT_WRITABLE_INVENTORY
                          if name in sent_inventory})
        record.update(inventory=inventory, lastUpdated=self._timestamp())
        return record

    # -- draft invoices ---------------------------------------------------------------------
    @_api_handler
    def on_create_draft(self, request):
        base = _base_url(request)
        body = _json_body(request)
        record = self._draft_record(body, ValidationErrors(base), self.next_draft_number)
        self.drafts[self.next_draft_number] = record
        self.next_draft_number += 1
        return self._created(DRAFTS, record, base)

    @_api_handler
    def on_replace_draft(self, request, number):
        self._existing(DRAFTS, number, request)
        record = self._draft_record(_json_body(request), ValidationErrors(_base_url(request)), number)
        self.drafts[number] = record
        return self.json_response(self._render(DRAFTS, record, _base_url(request)))

    @_api_handler
    def on_delete_draft(self, request, number):
        self._existing(DRAFTS, number, request)
        del self.drafts[number]
        link = f"{_base_url(request)}/invoices/drafts/{number}"
        return self.json_response({"message": "Deleted invoice.", "deletedCount": 1,
                                   "deletedItems": [{"draftInvoiceNumber": number, "self": link}]})

    def _draft_record(self, body, errors, number):
        """Validate a draft invoice (POST and PUT: the full document) and compute its totals."""
        _reject_nulls(errors, body)
        errors.raise_if_any()
        _require(errors, body, DRAFT_REQUIRED)
        for name in ("recipient", *DRAFT_OBJECTS):
            if name in body and not isinstance(body[name], dict):
                errors.invalid((name,), f"{name} must be an object.", body[name])
        _check_texts(errors, body, DRAFT_TEXTS)
        _check_numbers(errors, body, ("exchangeRate",))
        for name in ("date", "dueDate", "delivery.deliveryDate"):
            _check_date(errors, body, name)
        self._check_currency(errors, body)
        customer = self._resolve(errors, ("customer",), body["customer"], CUSTOMERS) if "customer" in body else None
        layout = self._resolve(errors, ("layout",), body["layout"], LAYOUTS) if "layout" in body else None
        terms = self._resolve(errors, ("paymentTerms",), body["paymentTerms"], PAYMENT_TERMS) \
            if "paymentTerms" in body else None
        recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
        zone = self._resolve(errors, ("recipient", "vatZone"), recipient["vatZone"], VAT_ZONES) \
            if "vatZone" in recipient else None
        if terms is not None and self.payment_terms[terms]["paymentTermsType"] == "dueDate" and "dueDate" not in body:
            errors.add(("dueDate",), PROPERTY_REQUIRED, "Property dueDate is required when the payment terms "
                       "are of type dueDate.", "Include dueDate or use other payment terms.")
        lines = body.get("lines", [])
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            errors.invalid(("lines",), "lines must be an array of objects.", lines)
            lines = []
        line_references = [self._check_line(errors, index, line) for index, line in enumerate(lines)]
        errors.raise_if_any()
        rates = [self._line_vat_rate(errors, index, product, zone)
                 for index, (product, _unit) in enumerate(line_references)]
        errors.raise_if_any()

        issue_date = date.fromisoformat(body["date"])
        currency = body["currency"]
        exchange_rate = _decimal(body.get("exchangeRate", self.exchange_rates.get(currency, Decimal(100))))
        computed = [self._compute_line(line_number, line, references, exchange_rate)
                    for line_number, (line, references) in enumerate(zip(lines, line_references), start=1)]
        net = sum((_decimal(line["totalNetAmount"]) for line in computed), Decimal(0))
        cost = sum((_decimal(line["quantity"]) * _decimal(line["unitCostPrice"]) for line in computed), Decimal(0))
        vat = sum((_line_vat(line["totalNetAmount"], rate) for line, rate in zip(computed, rates)), Decimal(0))
        net_base, cost_base = net * exchange_rate / 100, cost * exchange_rate / 100
        payment_terms = dict(self.payment_terms[terms])
        record = {
            "draftInvoiceNumber": number, "date": body["date"], "currency": currency,
            "exchangeRate": float(exchange_rate), "netAmount": _money(net),
            "netAmountInBaseCurrency": _money(net_base),
            "grossAmount": _money(net + vat), "grossAmountInBaseCurrency": _money((net + vat) * exchange_rate / 100),
            "vatAmount": _money(vat), "roundingAmount": 0.0, "costPriceInBaseCurrency": _money(cost_base),
            "marginInBaseCurrency": _money(net_base - cost_base),
            "marginPercentage": _percent(net_base - cost_base, net_base),
            "dueDate": body.get("dueDate") or _due_date(issue_date, payment_terms).isoformat(),
            "paymentTerms": payment_terms, "customer": {"customerNumber": customer},
            "recipient": {**{key: value for key, value in recipient.items() if key != "vatZone"},
                          "vatZone": dict(self.vat_zones[zone])},
            "layout": {"layoutNumber": layout},
        }
        record.update({name: body[name] for name in DRAFT_OBJECTS if name in body})
        record["lines"] = computed
        return record

    def _check_line(self, errors, index, line):
        """Validate one draft line; returns its resolved ``(productNumber, unitNumber)``."""
        path = ("lines", index)
        _check_texts(errors, line, {"description": 2500}, path)
        _check_numbers(errors, line, ("quantity", "unitNetPrice", "unitCostPrice", "discountPercentage"), path)
        if "sortKey" in line and not _is_int(line["sortKey"]):
            errors.invalid((*path, "sortKey"), "sortKey must be an integer.", line["sortKey"])
        price = line.get("unitNetPrice")
        if _is_number(price) and _decimal(price).as_tuple().exponent < -2:
            errors.add((*path, "unitNetPrice"), DECIMAL_SCALE,
                       "unitNetPrice scale cannot be greater then two decimal places.",
                       "Please check the format of your data.", price)
        product = self._resolve(errors, (*path, "product"), line["product"], PRODUCTS) if "product" in line else None
        unit = self._resolve(errors, (*path, "unit"), line["unit"], UNITS) if "unit" in line else None
        if not line.get("description"):
            errors.required((*path, "description"))
        if "quantity" not in line and ("product" in line or "unitNetPrice" in line):
            errors.add((*path, "quantity"), QUANTITY_REQUIRED,
                       "Property quantity must have a value when product or unitNetPrice is set.",
                       "Please check your request data.")
        return product, unit

    def _line_vat_rate(self, errors, index, product_number, zone):
        """VAT rate (percent) of a draft line's product for the invoice's VAT zone.

        _invoices.md (POST /invoices/drafts): a line names a product, never an account or VAT code.
        _products.md: a product belongs to one ``productGroup``.  _product-groups.md (GET
        /product-groups/:productGroupNumber/sales-accounts): a group has one ``salesAccount`` per
        ``vatZone``.  _accounts.md: an account has an optional ``vatAccount.vatCode``.
        _vat-accounts.md: the VAT account of that code has the ``ratePercentage``.  A line without
        product, or a sales account without VAT code, has no VAT (rate 0)."""
        if product_number is None:
            return Decimal(0)
        group = self.products[product_number]["productGroup"]["productGroupNumber"]
        path = ("lines", index, "product")
        account_number = self.sales_accounts.get(group, {}).get(zone)
        if account_number not in self.accounts:
            errors.invalid(path, f"Product group {group} has no sales account for VAT zone {zone}.", product_number)
            return None
        vat_code = self.accounts[account_number].get("vatAccount", {}).get("vatCode")
        if vat_code is None:
            return Decimal(0)
        if vat_code not in self.vat_accounts:
            errors.invalid(path, f"Sales account {account_number} has VAT code {vat_code}, which does not exist.",
                           product_number)
            return None
        return _decimal(self.vat_accounts[vat_code]["ratePercentage"])

    def _compute_line(self, line_number, line, references, exchange_rate):
        product_number, unit_number = references
        product = self.products.get(product_number, {})
        quantity = _decimal(line.get("quantity", 0))
        unit_price = _decimal(line.get("unitNetPrice", product.get("salesPrice", 0)))
        unit_cost = _decimal(line.get("unitCostPrice", product.get("costPrice", 0)))
        discount = _decimal(line.get("discountPercentage", 0))
        total_net = (quantity * unit_price * (100 - discount) / 100).quantize(CENT, ROUND_HALF_UP)
        margin = (total_net - quantity * unit_cost) * exchange_rate / 100
        computed = {"lineNumber": line_number, "sortKey": line.get("sortKey", line_number),
                    "description": line["description"], "quantity": float(quantity),
                    "unitNetPrice": float(unit_price), "discountPercentage": float(discount),
                    "unitCostPrice": float(unit_cost), "totalNetAmount": float(total_net),
                    "marginInBaseCurrency": _money(margin),
                    "marginPercentage": _percent(margin, total_net * exchange_rate / 100)}
        if product_number is not None:
            computed["product"] = {"productNumber": product_number}
        unit_number = unit_number if unit_number is not None else product.get("unit", {}).get("unitNumber")
        if unit_number is not None:
            computed["unit"] = dict(self.units[unit_number])
        computed.update({name: line[name] for name in ("accrual", "departmentalDistribution") if name in line})
        return computed

    # -- booking ----------------------------------------------------------------------------
    @_api_handler
    def on_book(self, request, number=None):
        """``POST /invoices/booked`` or ``PUT /invoices/booked/{bookWithNumber}``: book a draft."""
        base = _base_url(request)
        body = _json_body(request)
        errors = ValidationErrors(base)
        _reject_nulls(errors, body)
        errors.raise_if_any()
        if "draftInvoice" not in body:
            errors.required(("draftInvoice",))
        draft_number = self._resolve(errors, ("draftInvoice",), body["draftInvoice"], DRAFTS) \
            if "draftInvoice" in body else None
        book_with = body.get("bookWithNumber", number)
        if number is not None and book_with != number:
            errors.invalid(("bookWithNumber",), "bookWithNumber must match the number in the URL.", book_with)
        elif book_with is not None and (not _is_int(book_with) or book_with < 1):
            errors.invalid(("bookWithNumber",), "bookWithNumber must be a positive integer.", book_with)
        elif book_with in self.booked:
            errors.add(("bookWithNumber",), NUMBER_IN_USE, f"Invoice number {book_with} is already used.",
                       "Omit bookWithNumber to use the next invoice number.", book_with)
        errors.raise_if_any()
        draft = self.drafts[draft_number]
        if not draft["lines"]:
            errors.invalid(("draftInvoice",), "A draft invoice without lines cannot be booked.", draft_number)
        barred = [line["product"]["productNumber"] for line in draft["lines"]
                  if self.products.get(line.get("product", {}).get("productNumber"), {}).get("barred")]
        if barred:
            errors.invalid(("draftInvoice",), f"Barred products cannot be invoiced: {', '.join(barred)}.",
                           draft_number)
        errors.raise_if_any()
        booked_number = book_with or max(self.booked, default=0) + 1
        record = self._book(draft, booked_number)
        del self.drafts[draft_number]
        return self._created(BOOKED, record, base)

    def _book(self, draft, booked_number):
        """Turn a draft into a booked invoice; apply its effects on stock and the customer balance."""
        zone = draft["recipient"]["vatZone"]["vatZoneNumber"]
        record = {"bookedInvoiceNumber": booked_number}
        record.update({name: draft[name] for name in BOOKED_PROPERTIES if name in draft})
        record["lines"] = []
        for index, line in enumerate(draft["lines"]):
            errors = ValidationErrors("")
            rate = self._line_vat_rate(errors, index, line.get("product", {}).get("productNumber"), zone) or Decimal(0)
            record["lines"].append({**{name: line[name] for name in BOOKED_LINE_PROPERTIES if name in line},
                                    "vatRate": float(rate),
                                    "vatAmount": _money(_line_vat(line["totalNetAmount"], rate))})
        record.update(remainder=draft["grossAmount"], remainderInBaseCurrency=draft["grossAmountInBaseCurrency"])
        self.booked[booked_number] = record
        customer = self.customers.get(draft["customer"]["customerNumber"])
        if customer:
            customer["balance"] = _money(_decimal(customer["balance"]) + _decimal(draft["grossAmountInBaseCurrency"]))
        for line in draft["lines"]:
            product = self.products.get(line.get("product", {}).get("productNumber"))
            if product:
                inventory = product["inventory"]
                inventory["inStock"] -= line["quantity"]
                inventory["available"] -= line["quantity"]
                inventory["inventoryLastUpdated"] = product["lastUpdated"] = self._timestamp()
        return record

    # -- helpers ----------------------------------------------------------------------------
    def _existing(self, spec, identifier, request):
        record = getattr(self, spec.state).get(identifier)
        if record is None:
            raise ApiError(404, f"{spec.noun.capitalize()} not found.",
                           developerHint=f"No {spec.noun} has {spec.key} '{identifier}'. Find a list of "
                                         f"resources at {_base_url(request)}/{spec.path}.")
        return record

    def _resolve(self, errors, path, value, spec):
        """Identifier of an existing resource referenced by number or ``self`` link, else None (the
        problem is recorded in ``errors``)."""
        hint = f"Find a list of resources at {errors.base}/{spec.path}."
        if not isinstance(value, dict):
            errors.invalid(path, f"{path[-1]} must be an object.", value)
            return None
        identifier = value.get(spec.key)
        if identifier is None and isinstance(value.get("self"), str):
            identifier = _identifier_from_link(value["self"], spec)
        if identifier is None:
            errors.add(path, NO_IDENTIFIER, f"No identifiers present on {path[-1]}. Please include either a self "
                       f"link or a {spec.key}.", hint)
            return None
        if not (_is_int(identifier) if spec.converter == "int" else isinstance(identifier, str)):
            errors.invalid(path, f"{spec.key} has an invalid type.", identifier)
            return None
        if identifier not in getattr(self, spec.state):
            errors.missing_resource(path, spec, identifier)
            return None
        return identifier

    def _check_currency(self, errors, body):
        currency = body.get("currency")
        if currency is not None and currency not in self.currencies:
            errors.missing_resource(("currency",), CURRENCIES, currency)

    def _created(self, spec, record, base):
        document = self._render(spec, record, base)
        return self.json_response(document, status=201, headers={"Location": document["self"]})

    def _render(self, spec, record, base, listed=False):
        """Wire document of a stored record: ``self`` links, expanded names, false booleans dropped."""
        document = {key: value for key, value in record.items() if not (listed and key in spec.omit_in_list)}
        identifier = record[spec.key]
        if spec is PRODUCTS:
            group_number = record["productGroup"]["productGroupNumber"]
            group = self.product_groups.get(group_number, {})
            document["productGroup"] = {"productGroupNumber": group_number, "name": group.get("name"),
                                        "salesAccounts": f"{base}/product-groups/{group_number}/sales-accounts"}
            if "unit" in record:
                document["unit"] = dict(self.units[record["unit"]["unitNumber"]])
        elif spec is PRODUCT_GROUPS:
            document["salesAccounts"] = f"{base}/product-groups/{identifier}/sales-accounts"
        elif spec is DRAFTS:
            document["templates"] = _draft_templates(base, identifier)
        return {**_linked(document, base), "self": f"{base}/{spec.path}/{encode_self_id(identifier)}"}

    def _collection_response(self, request, spec, records, render):
        """Filter, sort and page ``records`` into the documented collection envelope."""
        base = _base_url(request)
        args = {key.lower(): value for key, value in request.args.items()}
        skip_pages = _query_int(args, "skippages", 0)
        page_size = _query_int(args, "pagesize", DEFAULT_PAGE_SIZE)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ApiError(400, f"The page size must be between 1 and {MAX_PAGE_SIZE}.",
                           developerHint=f"Use pagesize={MAX_PAGE_SIZE} or less and follow the nextPage links.")
        try:
            matches = parse_filter(args["filter"], spec.filterable) if args.get("filter") else None
            ordered = sort_records([record for record in records if matches is None or matches(record)],
                                   args.get("sort"), spec)
        except FilterError as error:
            raise ApiError(400, str(error), developerHint="Filterable properties: "
                           f"{', '.join(sorted(spec.filterable)) or 'none'}; sortable properties: "
                           f"{', '.join(sorted(spec.sortable)) or 'none'}.",
                           allowedFilteringFields=sorted(spec.filterable)) from None
        last_page = max(0, math.ceil(len(ordered) / page_size) - 1)
        extra = [(name, args[name]) for name in ("filter", "sort") if args.get(name)]

        def page_link(page):
            query = [("skippages", page), ("pagesize", page_size), *extra]
            return f"{base}{request.path}?" + "&".join(f"{name}={quote(str(value), safe='$:*,()')}"
                                                        for name, value in query)

        pagination = {"maxPageSizeAllowed": MAX_PAGE_SIZE, "skipPages": skip_pages, "pageSize": page_size,
                      "results": len(ordered), "resultsWithoutFilter": len(records), "firstPage": page_link(0)}
        if skip_pages > 0:
            pagination["previousPage"] = page_link(min(skip_pages - 1, last_page))
        if skip_pages < last_page:
            pagination["nextPage"] = page_link(skip_pages + 1)
        pagination["lastPage"] = page_link(last_page)
        meta_data = {"create": {"description": spec.create, "href": f"{base}/{spec.path}", "httpMethod": "post"}} \
            if spec.create else {}
        page = ordered[skip_pages * page_size:(skip_pages + 1) * page_size]
        return self.json_response({"collection": [render(record) for record in page], "metaData": meta_data,
                                   "pagination": pagination, "self": base + request.full_path.rstrip("?")})

    def _throttle(self):
        """Seconds to wait if a configured rate limit is exhausted (request not counted), else 0."""
        limits = [(window, limit) for window, limit in ((1, self.requests_per_second),
                                                        (3600, self.requests_per_hour)) if limit]
        if not limits:
            return 0
        now = self.clock()
        longest = max(window for window, _limit in limits)
        while self._request_times and self._request_times[0] <= now - longest:
            self._request_times.popleft()
        for window, limit in limits:
            recent = [moment for moment in self._request_times if moment > now - window]
            if len(recent) >= limit:
                return max(1, math.ceil(recent[-limit] + window - now))
        self._request_times.append(now)
        return 0

    def _too_many_requests(self, retry_after):
        seconds = max(1, math.ceil(retry_after))
        response = self.error_response(429, "Too many requests. The rate limit of your app has been exceeded.",
                                       developerHint=f"Wait {seconds} seconds (see Retry-After) and try again.")
        response.headers["Retry-After"] = str(seconds)
        return response

    def _now(self):
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    def _timestamp(self):
        return self._now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def _log_time(self):
        return self._now().strftime("%Y-%m-%dT%H:%M:%S")


def _base_url(request):
    return request.host_url.rstrip("/")


def _json_body(request):
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON.", developerHint="Send a JSON object.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.", developerHint="Send a JSON object.")
    return body


def _query_int(args, name, default):
    value = args.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise ApiError(400, f"Query parameter {name} must be a non-negative integer.",
                       developerHint="Use skippages and pagesize as in the pagination links.")
    return int(value)


def encode_self_id(identifier):
    """Resource id as used in ``self`` links (documented custom replacement, then URL encoding)."""
    return "".join(_SELF_ID_ENCODING.get(char) or quote(char, safe="") for char in str(identifier))


def decode_self_id(text):
    return re.sub(r"_(1[0-3]|[0-9])_", lambda match: _SELF_ID_DECODING[match.group(0)], text)


def _identifier_from_link(link, spec):
    segment = decode_self_id(unquote(link.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]))
    return int(segment) if spec.converter == "int" and segment.isdigit() else segment


def _linked(value, base):
    """Deep copy of a stored value with ``self`` links on referenced resources and false booleans
    omitted (the docs: booleans are only represented when true)."""
    if isinstance(value, list):
        return [_linked(item, base) for item in value]
    if not isinstance(value, dict):
        return value
    document = {key: _linked(item, base) for key, item in value.items() if item is not False}
    link_key = next((key for key in LINKED_COLLECTIONS if key in document), None)
    if link_key and "self" not in document:
        document["self"] = f"{base}/{LINKED_COLLECTIONS[link_key]}/{encode_self_id(document[link_key])}"
    return document


def _draft_templates(base, number):
    link = f"{base}/invoices/drafts/{number}/templates"
    return {"bookingInstructions": f"{link}/booking-instructions", "self": link}


def _empty_inventory():
    return {"available": 0.0, "inStock": 0.0, "orderedByCustomers": 0.0, "orderedFromSuppliers": 0.0,
            "grossWeight": 0.0, "netWeight": 0.0, "packageVolume": 0.0, "recommendedCostPrice": 0.0}


def _self_document(base):
    agreement_number = 1_234_567
    return {
        "agreementNumber": agreement_number,
        "agreementType": {"agreementTypeNumber": 1, "name": "denmark"},
        "application": {"appNumber": 1, "name": "shop-sync", "appPublicToken": "sim-economic-public-token",
                        "created": "2026-01-01", "requiredRoles": [{"roleNumber": 1, "name": "SuperUser",
                                                                    "self": f"{base}/app-roles/1"}],
                        "self": f"{base}/apps/1"},
        "canSendElectronicInvoice": True,
        "company": {"name": "Shop Sync ApS", "addressLine1": "Åboulevarden 1", "zip": "8000", "city": "Aarhus C",
                    "country": "Danmark", "companyIdentificationNumber": "12345678",
                    "email": "bogholderi@shopsync.example", "phoneNumber": "+45 12345678",
                    "website": "https://shopsync.example"},
        "companyAffiliation": "E-conomic",
        "modules": [{"moduleNumber": 1, "name": "Lager", "self": f"{base}/modules/1"}],
        "settings": {"baseCurrency": BASE_CURRENCY, "internationalLedger": "true"},
        "signupDate": "2026-01-01",
        "user": {"agreementNumber": agreement_number, "loginId": "admin", "name": "Administrator",
                 "email": "admin@shopsync.example",
                 "language": {"languageNumber": 1, "name": "Danish", "culture": "da-DK",
                              "self": f"{base}/languages/1"}},
        "userName": "Administrator",
        "self": f"{base}/self",
    }


# -- validation helpers ---------------------------------------------------------------------
def _lookup(document, dotted):
    for part in dotted.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _reject_nulls(errors, value, path=()):
    """The docs: null is not accepted, a property is cleared by omitting it."""
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_nulls(errors, item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if item is None:
                errors.invalid(path, f"{path[-1]} cannot contain null.")
            elif isinstance(item, dict):
                for key, nested in item.items():
                    _reject_nulls(errors, nested, (*path, index, key))
    elif value is None:
        errors.add(path, INVALID_VALUE, f"{path[-1]} cannot be null.", "Omit the property instead of sending null.")


def _require(errors, body, names):
    """Record missing required properties; ``a.b`` is only checked when object ``a`` is present."""
    for name in names:
        parts = name.split(".")
        parent = _lookup(body, ".".join(parts[:-1])) if len(parts) > 1 else body
        if isinstance(parent, dict) and parent.get(parts[-1]) in (None, ""):
            errors.required(tuple(parts))


def _check_texts(errors, body, limits, prefix=()):
    for name, limit in limits.items():
        value = _lookup(body, name)
        path = (*prefix, *name.split("."))
        if value is None:
            continue
        if not isinstance(value, str):
            errors.invalid(path, f"{path[-1]} must be a string.", value)
        elif len(value) > limit:
            errors.add(path, TOO_LONG, f"{path[-1]} cannot be longer than {limit} characters.",
                       "Please shorten the text.", value)


def _check_numbers(errors, body, names, prefix=()):
    for name in names:
        if name in body and not _is_number(body[name]):
            errors.invalid((*prefix, name), f"{name} must be a number.", body[name])


def _check_booleans(errors, body, names):
    for name in names:
        if name in body and not isinstance(body[name], bool):
            errors.invalid((name,), f"{name} must be true or false.", body[name])


def _check_date(errors, body, name):
    value = _lookup(body, name)
    if value is None:
        return
    try:
        valid = isinstance(value, str) and len(value) == 10 and date.fromisoformat(value)
    except ValueError:
        valid = False
    if not valid:
        errors.invalid(tuple(name.split(".")), f"{name.rsplit('.', 1)[-1]} must be a date (YYYY-MM-DD).", value)


# -- money ----------------------------------------------------------------------------------
def _decimal(value):
    return Decimal(str(value))


def _line_vat(net, rate):
    """VAT of one line: net x rate, to the cent, half away from zero (simulator choice, see the module)."""
    return (_decimal(net) * rate / 100).quantize(CENT, ROUND_HALF_UP)


def _money(value):
    return float(Decimal(value).quantize(CENT, ROUND_HALF_UP))


def _percent(part, whole):
    return _money(part * 100 / whole) if whole else 0.0


def _due_date(issue_date, terms):
    days = timedelta(days=terms.get("daysOfCredit", 0))
    if terms["paymentTermsType"] == "invoiceMonth":
        next_month = (issue_date.replace(day=28) + timedelta(days=4)).replace(day=1)
        return next_month - timedelta(days=1) + days
    if terms["paymentTermsType"] in ("paidInCash", "prepaid"):
        return issue_date
    return issue_date + days


# -- filtering and sorting ------------------------------------------------------------------
_PREDICATE = re.compile(r"([A-Za-z][\w.]*)\$(eq|ne|gte|gt|lte|lt|like|nin|in):")
_ESCAPABLE = "$()*,[]"
_WILDCARD = object()


def parse_filter(text, fields):
    """Compile a documented ``filter`` expression into a predicate on stored records.

    ``$and:`` binds tighter than ``$or:``; parentheses group.  ``fields`` maps each filterable
    property to its value type; anything else raises :class:`FilterError`."""
    return _FilterParser(text, fields).parse()


class _FilterParser:
    def __init__(self, text, fields):
        self.text = text
        self.fields = fields
        self.position = 0

    def parse(self):
        predicate = self._disjunction()
        if self.position != len(self.text):
            raise FilterError(f"Could not parse query string filter near {self.text[self.position:]!r}.")
        return predicate

    def _take(self, token):
        if self.text.startswith(token, self.position):
            self.position += len(token)
            return True
        return False

    def _disjunction(self):
        terms = [self._conjunction()]
        while self._take("$or:"):
            terms.append(self._conjunction())
        return terms[0] if len(terms) == 1 else (lambda record: any(term(record) for term in terms))

    def _conjunction(self):
        terms = [self._term()]
        while self._take("$and:"):
            terms.append(self._term())
        return terms[0] if len(terms) == 1 else (lambda record: all(term(record) for term in terms))

    def _term(self):
        if self._take("("):
            predicate = self._disjunction()
            if not self._take(")"):
                raise FilterError("Could not parse query string filter: missing ')'.")
            return predicate
        match = _PREDICATE.match(self.text, self.position)
        if not match:
            raise FilterError(f"Could not parse query string filter near {self.text[self.position:]!r}.")
        name, operator = match.groups()
        if name not in self.fields:
            raise FilterError(f"Filtering is not allowed on property '{name}'.")
        self.position = match.end()
        if operator in ("in", "nin"):
            return _list_predicate(name, self.fields[name], operator, self._list())
        return _predicate(name, self.fields[name], operator, self._value(")"))

    def _value(self, terminators):
        """Pieces of an escaped value (characters and ``_WILDCARD``), or None for ``$null:``."""
        if self._take("$null:"):
            return None
        pieces = []
        while self.position < len(self.text) and self.text[self.position] not in terminators \
                and not self.text.startswith(("$and:", "$or:"), self.position):
            char = self.text[self.position]
            if char == "$":
                escaped = self.text[self.position + 1:self.position + 2]
                if not escaped or escaped not in _ESCAPABLE:
                    raise FilterError(f"Invalid escape sequence in filter near {self.text[self.position:]!r}.")
                pieces.append(escaped)
                self.position += 2
            else:
                pieces.append(_WILDCARD if char == "*" else char)
                self.position += 1
        return pieces

    def _list(self):
        if not self._take("["):
            raise FilterError("The $in: and $nin: operators take a list like [1,2,3].")
        items = [self._value(",])")]
        while self._take(","):
            items.append(self._value(",])"))
        if not self._take("]"):
            raise FilterError("Could not parse query string filter: missing ']'.")
        if len(items) > MAX_IN_LIST:
            raise FilterError(f"The $in: and $nin: lists hold at most {MAX_IN_LIST} values.")
        return items


def _predicate(name, kind, operator, pieces):
    if operator == "like":
        if kind != STRING or pieces is None:
            raise FilterError(f"The $like: operator needs a text value on a string property, not '{name}'.")
        pattern = "".join(".*" if piece is _WILDCARD else re.escape(piece) for piece in pieces)
        if _WILDCARD not in pieces:
            pattern = f".*{pattern}.*"
        regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
        return lambda record: isinstance(_lookup(record, name), str) and bool(regex.fullmatch(_lookup(record, name)))
    expected = None if pieces is None else _typed(kind, _text(pieces), name)
    if operator in ("eq", "ne"):
        def equal(record):
            return _typed_value(kind, _lookup(record, name)) == expected

        return equal if operator == "eq" else (lambda record: not equal(record))
    if expected is None:
        raise FilterError(f"$null: cannot be compared with ${operator}:.")
    compare = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
               "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}[operator]

    def ordered(record):
        actual = _typed_value(kind, _lookup(record, name))
        return actual is not None and compare(actual, expected)

    return ordered


def _list_predicate(name, kind, operator, items):
    if kind not in (INTEGER, NUMBER):
        raise FilterError(f"The $in: and $nin: operators are only allowed on numeric properties, not '{name}'.")
    values = {None if item is None else _typed(kind, _text(item), name) for item in items}
    if operator == "in":
        return lambda record: _typed_value(kind, _lookup(record, name)) in values
    return lambda record: _typed_value(kind, _lookup(record, name)) not in values


def _text(pieces):
    return "".join("*" if piece is _WILDCARD else piece for piece in pieces)


def _typed(kind, text, name):
    """A filter literal converted to the property's type (raises :class:`FilterError`)."""
    try:
        if kind in (INTEGER, NUMBER):
            return Decimal(text)
        if kind == BOOLEAN:
            return {"true": True, "false": False}[text.lower()]
        if kind == DATE:
            return date.fromisoformat(text)
        if kind == DATETIME:
            return _datetime(text)
    except (InvalidOperation, KeyError, ValueError):
        raise FilterError(f"'{text}' is not a valid {kind} value for property '{name}'.") from None
    return text.casefold()


def _typed_value(kind, value):
    """A stored value in the comparable form of :func:`_typed` (an omitted boolean is false)."""
    if kind == BOOLEAN:
        return bool(value)
    if value is None:
        return None
    if kind in (INTEGER, NUMBER):
        return _decimal(value)
    if kind == DATE:
        return date.fromisoformat(value)
    if kind == DATETIME:
        return _datetime(value)
    return value.casefold() if isinstance(value, str) else value


def _datetime(text):
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def sort_records(records, sort, spec):
    """Records ordered by a documented ``sort`` value (default: the collection's identifier)."""
    keys = [(spec.key, False, False)]
    if sort:
        keys = []
        for item in sort.split(","):
            name = item.lstrip("-~")
            if name not in spec.sortable:
                raise FilterError(f"Sorting is not allowed on property '{name}'.")
            keys.append((name, "-" in item[:len(item) - len(name)], "~" in item[:len(item) - len(name)]))
    ordered = list(records)
    for name, descending, alphabetical in reversed(keys):
        kind = STRING if alphabetical else spec.filterable.get(name, STRING)

        def sort_key(record, name=name, kind=kind, alphabetical=alphabetical):
            value = _lookup(record, name)
            if alphabetical and value is not None:
                value = str(value)
            value = _typed_value(kind, value)
            return (value is not None, value if value is not None else 0)

        ordered.sort(key=sort_key, reverse=descending)
    return ordered
