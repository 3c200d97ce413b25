"""Simulator of the Visma eAccounting API v2 and its identity server (OAuth2).

Shapes, paths and request rules come from the swagger (``shared/specs/eaccounting/swagger_v2.json``,
checked by :func:`validate_request`, see :mod:`simulators.eaccounting_swagger`); behaviour from
Visma's developer documentation (developer.vismaonline.com) as cited below.  One WSGI app serves
both hosts: the identity server's ``/connect/authorize``, ``/connect/token`` and
``/connect/revocation`` and the API under ``/v2/``.

Documented behaviour reproduced:

* OAuth2 authorization code flow, the only flow eAccounting supports (community.visma.com,
  "Authentication and endpoint request"): the code is exchanged at ``/connect/token`` with the
  client's id and secret (HTTP Basic, or ``client_id``/``client_secret`` form fields), the
  ``redirect_uri`` of the authorisation and ``grant_type=authorization_code``.  A refresh token is
  only issued with the ``offline_access`` scope (docs "Authentication": "Must be used to be able to
  receive a refresh token").  Access tokens live one hour, and "every new refresh token cancels the
  previous one" (community.visma.com, "Refresh Token"; developer.vismaonline.com, "Change to our new
  Identity Server": the refresh tokens "will always be updated", "the same Refresh Token cannot be
  used more than once"): a refresh token used twice answers ``invalid_grant``.  The docs name no
  reuse grace window and no refresh token lifetime: the strict choice, rotation without grace (a
  refresh applied whose answer is lost leaves the client a dead refresh token), and no expiry.
  Errors are RFC 6749 bodies (``invalid_client``, ``invalid_grant``, ``unsupported_grant_type``,
  ``invalid_request``) with status 400, as the IdentityServer behind
  ``identity.vismaonline.com/connect/*`` answers them.  ``/connect/revocation`` (RFC 7009) revokes
  a refresh token and the grant it belongs to; :meth:`EAccountingSimulator.revoke_grant` does the
  same for "the user disconnected the app".
* API calls carry ``Authorization: Bearer <access token>``; a missing, unknown, expired or revoked
  token answers 401 with the documented body ``{"ErrorCode": 4005, "DeveloperErrorMessage":
  "AuthorizationException - Authorization has been denied for this request.", "ErrorId": ...}``
  (docs "Error Handling").  A token without a scope the operation requires (the swagger's "Requires any
  of the following scopes") answers 403 with the same code.
* Error bodies: ``ErrorCode``, ``DeveloperErrorMessage``, ``ErrorId`` (docs "Error Handling") with
  the documented codes (docs "Error Codes"): 2000 DataModelValidationError (400), 3000
  ResourceNotFound (404 for the resource in the URL, 400 for a reference in the body), 4000 Conflict
  (409), 4001 CanNotBeDeleted (400), 4002 CanNotBeCreatedOrUpdated (400).  Injected server errors
  carry their HTTP status as ``ErrorCode`` (the docs only say a 500 has "this generic response body").
* Rate limit (docs "Rate Limits"): 600 requests per minute, "registered per client and
  endpoint/URL"; over it, 429 with ``{"ErrorCode": 4010, "DeveloperErrorMessage": "API calls quota
  exceeded! maximum admitted 600 per Minute. Try again in 55 seconds.", ...}``.  The docs show no
  ``Retry-After`` header and the simulator sends none: a client reads the seconds from the message.
* Paging: list operations answer the swagger's ``PaginatedResponse`` (``Meta``: ``CurrentPage``,
  ``PageSize``, ``TotalNumberOfPages``, ``TotalNumberOfResults``, ``ServerTimeUtc``; ``Data``) and
  take the OData options (the swagger's ``ODataQueryOptions[...]`` models) ``$page`` (from 1) and
  ``$pagesize``; ``$filter`` (``eq ne gt ge lt le``, ``and or not``, parentheses,
  ``contains/startswith/endswith``, on the model's properties; Visma's changelog "New filter" shows
  e.g. ``$filter=HasAutoInvoiceError eq true`` and ``contains(...)``; its lambda form
  ``Rows/any(...)`` is not simulated) and ``$orderby`` (``Property [asc|desc]``, comma separated).
  Simulator choices where the docs are silent: default page size 50, at most 1000 (a larger
  ``$pagesize`` is served as 1000 and ``Meta`` says so), text comparisons ignore case (SQL Server's
  default collation).  ``/v2/vatcodes`` answers a plain array (swagger).
* Writes answer 200 with the stored document (swagger); every model property is present in
  answers (``null`` when unset, as JSON.NET serialises).

Business rules (each names its source):

* Percentages are fractions: the swagger bounds ``DiscountPercentage`` by ``maximum: 1``; so are
  the article account codings' ``VatRatePercent`` and the VAT codes' ``VatRate`` (0.25 for 25 %).
* The VAT of a row comes from its article's account coding (``ArticleApi.CodingId``; a draft row
  names no VAT code: ``VatRateId`` is read-only, "Source: Get from /v2/articleaccountcodings") and
  the kind of sale, which the coding's accounts enumerate (``ArticleAccountCodingAPI``):
  ``DomesticSalesSubjectToVat`` (buyer's ``InvoiceCountryCode`` = the company's: the coding's rate),
  ``ForeignSalesVatExemptWithinEu`` (a business in another EU country: reverse charge, 0 %; the
  customer needs a ``VatNumber``), ``ForeignSalesSubjectToMoss`` (a private person in another EU
  country under One-Stop-Shop: that country's rate of the coding's rate class, see
  :data:`OSS_RATES`; with ``oss=False`` the coding's Swedish rate, ``ForeignSalesSubjectToVatWithinEu``),
  ``ForeignSalesVatExemptOutsideEu`` (outside the EU: export, 0 %),
  ``ForeignSalesSubjectToThirdPartySales`` (``EuThirdParty``: triangulation, 0 %) and
  ``DomesticSalesSubjectToReversedConstructionVat`` (``ReversedConstructionServicesVatFree`` rows of
  a ``ReverseChargeOnConstructionServices`` customer, 0 %).
* ``IncludesVat`` (swagger: "set upon creation depending whether 'Show prices excl. VAT for private
  individuals' in company settings is marked"): true for a private person's draft unless the
  company setting ``ShowPricesExclVatPC`` is set; then ``UnitPrice`` includes VAT.  Seeded unset.
* Amounts (simulator choice, the docs are silent): a row's amount is quantity x unit price x (1 -
  discount), rounded to the cent half away from zero; its VAT is that amount x rate (or, with VAT
  included, amount x rate / (1 + rate)), rounded to the cent; ``TotalAmount`` includes VAT,
  ``TotalVatAmount`` is the sum of the rows' VAT, ``TotalRoundings`` is 0; base-currency totals use
  :data:`CURRENCY_RATES`.  Totals are computed, never taken from the request.
* Currencies (swagger): a draft is in its customer's currency (``InvoiceCurrencyCode`` "Read-only";
  ``CustomerApi.CurrencyCode`` "Default value: Currency of the user company"), its ``TotalAmount`` in
  that currency beside ``TotalAmountBaseCurrency``; a customer invoice has ``TotalAmount`` /
  ``TotalVatAmount`` beside ``TotalAmountInvoiceCurrency`` / ``TotalVatAmountInvoiceCurrency``, so
  the former are in the company's currency (SEK) and the latter in the invoice's.
* Reverse charge to a business in another EU country needs the customer's ``VatNumber`` (the swagger
  has no rule; the EU VAT Directive 2006/112/EC art. 138 exempts the supply only to a buyer
  identified for VAT, and art. 226(4) puts the buyer's VAT number on the invoice): without one the
  draft is refused (4002), not booked at 0 %.
* Credit invoices: ``IsCreditInvoice`` drafts have negative totals (swagger,
  ``CustomerInvoiceDraftValidationApi``: "Should be negative when credit invoice"), so their rows
  carry negative quantities; a credit draft with a positive total, or an invoice draft with a
  negative one, is refused (4002).
* ``POST /v2/customerinvoicedrafts/{id}/convert`` checks the optional totals it is given
  (``CustomerInvoiceDraftValidationApi``), creates the customer invoice with the next
  ``NextCustomerInvoiceNumber`` and deletes the draft.
* Converting a draft takes its articles' quantities out of ``StockBalance`` (a credit invoice's
  negative rows put them back); drafts and orders leave stock alone (simulator rule).
* Date-times are answered as JSON.NET writes them: ``2026-01-05T00:00:00`` for a date sent as
  ``2026-01-05``.
* ``PUT`` replaces the whole document: an article sent without ``StockBalance`` gets the swagger's
  "Default: 0" (a client updating an article sends the balance it has just read).
* Articles: ``Number`` unique (4000); ``NetPrice``/``GrossPrice`` complete each other with the
  coding's rate.  Customers: ``CustomerNumber`` unique (4000), taken from ``NextCustomerNumber`` when
  omitted.  References (``TermsOfPaymentId``, ``CodingId``, ``UnitId``, ``CustomerId``,
  ``ArticleId``...) must exist (3000); an inactive customer or article cannot be invoiced (4002).

Faults: the common ones (:class:`simulators.common.FaultPlan`), e.g. ``error_after_write`` on
``POST /v2/customerinvoicedrafts`` stores the draft and answers 503; on ``POST /connect/token`` the
refresh (or code exchange) is applied, the old refresh token (or the code) used up, the new tokens
lost.  Every API request is kept in :attr:`EAccountingSimulator.request_log` (method, path with
query, decoded body, status).
"""

import base64
import json
import math
import re
import secrets
import uuid
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from simulators.common import ApiError, SimulatorApp, api_handler
from simulators.eaccounting_swagger import (definition, match_operation, parse_datetime,
                                            required_scopes, validate_request)

__all__ = ["EAccountingSimulator", "validate_request", "CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI"]

CLIENT_ID = "shopsync-sim"
CLIENT_SECRET = "sim-eaccounting-client-secret"
REDIRECT_URI = "http://localhost:8069/shop_sync/eaccounting/oauth"
DEFAULT_SCOPES = ("ea:api", "offline_access", "ea:sales", "ea:accounting")
ACCESS_TOKEN_LIFETIME = 3600  # seconds (community.visma.com "Refresh Token": 1 hour)
AUTHORIZATION_CODE_LIFETIME = 300  # seconds (IdentityServer's default; the docs are silent)
REQUESTS_PER_MINUTE = 600  # docs "Rate Limits"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
BASE_CURRENCY = "SEK"
COMPANY_COUNTRY = "SE"
CENT = Decimal("0.01")

VALIDATION_ERROR = 2000
RESOURCE_NOT_FOUND = 3000
CONFLICT = 4000
CANNOT_BE_DELETED = 4001
CANNOT_BE_CREATED_OR_UPDATED = 4002
AUTHORIZATION_DENIED = 4005
QUOTA_EXCEEDED = 4010
DENIED_MESSAGE = "AuthorizationException - Authorization has been denied for this request."

# One-Stop-Shop rates in percent per EU country for the coding rate classes (standard = Swedish
# 25 %, reduced = 12 %, reduced2 = 6 %): the same rates Odoo's ``l10n_eu_oss`` maps Swedish rates to,
# so the VAT of an EU private buyer's invoice agrees with Odoo's fiscal position.  Simulator data:
# eAccounting keeps its own table.
OSS_RATES = {country: dict(zip(("standard", "reduced", "reduced2"), (Decimal(str(rate)) / 100 for rate in rates)))
             for country, rates in {
    "AT": (20, 10, 10), "BE": (21, 6, 6), "BG": (20, 20, 20), "CY": (19, 5, 5), "CZ": (21, 12, 12),
    "DE": (19, 7, 7), "DK": (25, 25, 25), "EE": (24, 9, 9), "ES": (21, 10, 10), "FI": (25.5, 10, 10),
    "FR": (20, 5.5, 5.5), "GR": (24, 13, 13), "HR": (25, 13, 5), "HU": (27, 5, 5), "IE": (23, 13.5, 13.5),
    "IT": (22, 10, 4), "LT": (21, 5, 5), "LU": (17, 8, 8), "LV": (21, 12, 12), "MT": (18, 5, 5),
    "NL": (21, 9, 9), "PL": (23, 8, 8), "PT": (23, 6, 6), "RO": (21, 11, 11), "SI": (22, 9.5, 9.5),
    "SK": (23, 19, 19)}.items()}
EU_COUNTRIES = frozenset({*OSS_RATES, COMPANY_COUNTRY})
CURRENCY_RATES = {"SEK": Decimal("1"), "EUR": Decimal("11.20"), "DKK": Decimal("1.50"), "NOK": Decimal("0.98"),
                  "USD": Decimal("10.40")}  # SEK per unit, simulator data

SALE_ACCOUNTS = {  # kind of sale -> ArticleAccountCodingAPI property naming its account
    "domestic": "DomesticSalesSubjectToVatAccountNumber",
    "domestic_exempt": "DomesticSalesVatExemptAccountNumber",
    "construction": "DomesticSalesSubjectToReversedConstructionVatAccountNumber",
    "eu_business": "ForeignSalesVatExemptWithinEuAccountNumber",
    "eu_private": "ForeignSalesSubjectToVatWithinEuAccountNumber",
    "oss": "ForeignSalesSubjectToMossAccountNumber",
    "export": "ForeignSalesVatExemptOutsideEuAccountNumber",
    "third_party": "ForeignSalesSubjectToThirdPartySalesAccountNumber",
}


def _id(name):
    """Stable ids for seeded records, so the demo and the tests can name them."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"eaccounting-sim:{name}"))


# account codings of a Swedish eAccounting company (BAS chart accounts): name, type, rate class,
# rate, domestic account, EU reverse-charge account, export account
CODING_TABLE = (
    ("Varor 25%", "Goods", "standard", "0.25", 3001, 3108, 3105),
    ("Varor 12%", "Goods", "reduced", "0.12", 3002, 3108, 3105),
    ("Varor 6%", "Goods", "reduced2", "0.06", 3003, 3108, 3105),
    ("Tjänster 25%", "Service", "standard", "0.25", 3041, 3308, 3305),
    ("Momsfri försäljning", "Goods", "exempt", "0", 3004, 3108, 3105),
)
CODING_IDS = {name: _id(f"coding:{name}") for name, *_rest in CODING_TABLE}
VAT_CODE_TABLE = (  # code, description, rate, related accounts (BAS)
    ("10", "Utgående moms 25%", "0.25", (2611, 3001)), ("11", "Utgående moms 12%", "0.12", (2621, 3002)),
    ("12", "Utgående moms 6%", "0.06", (2631, 3003)),
    ("35", "Försäljning av varor till annat EU-land", "0", (3108,)),
    ("39", "Försäljning av tjänster till näringsidkare i annat EU-land", "0", (3308,)),
    ("36", "Försäljning av varor utanför EU (export)", "0", (3105,)),
    ("41", "Försäljning när köparen är skattskyldig i Sverige (omvänd byggmoms)", "0", (3231,)),
    ("OSS", "Försäljning till privatpersoner i annat EU-land (OSS)", "0", (3110, 2614)),
)
TERMS_TABLE = (  # name, english, days, type id, type text
    ("30 dagar netto", "30 days net", 30, 0, "Normal"), ("10 dagar netto", "10 days net", 10, 0, "Normal"),
    ("Kontant", "Cash", 0, 1, "Cash"), ("Kortbetalning", "Card payment", 0, 2, "Card"),
)
TERMS_IDS = {name: _id(f"terms:{name}") for name, *_rest in TERMS_TABLE}
UNIT_TABLE = (("Styck", "st", "st"), ("Timme", "h", "tim"), ("Kilogram", "kg", "kg"))
UNIT_IDS = {name: _id(f"unit:{name}") for name, *_rest in UNIT_TABLE}
DELIVERY_METHOD_TABLE = (("PostNord", "PN"), ("DHL", "DHL"), ("Budbee", "BB"), ("Hämtas i butik", "PICKUP"))
SEED_ARTICLES = (  # number, name, coding, gross price (SEK incl. 25 % where taxed)
    ("FRAKT", "Frakt", "Varor 25%", Decimal("49.00")), ("AVGIFT", "Avgift", "Varor 25%", Decimal("0")),
    ("RABATT", "Rabatt", "Varor 25%", Decimal("0")), ("KAFFE-500", "Kaffe 500 g", "Varor 12%", Decimal("89.00")),
    ("BOK-01", "Kokbok", "Varor 6%", Decimal("299.00")), ("MUGG-01", "Mugg", "Varor 25%", Decimal("125.00")),
)
SEED_CUSTOMERS = (  # number, name, e-mail, private, country, VAT number, city, postal code
    ("1", "Fika AB", "inkop@fika.example", False, "SE", "SE556677889901", "Stockholm", "11122"),
    ("2", "Anna Svensson", "anna.svensson@example.se", True, "SE", None, "Göteborg", "41103"),
    ("3", "Kaffeehaus GmbH", "einkauf@kaffeehaus.example", False, "DE", "DE123456788", "Berlin", "10115"),
    ("4", "Jonas Weber", "jonas.weber@example.de", True, "DE", None, "Hamburg", "20095"),
    ("5", "Fjord AS", "post@fjord.example", False, "NO", None, "Bergen", "5003"),
)


class OAuthError(Exception):
    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


# -- routing -------------------------------------------------------------------------------------
# collection name -> (simulator attribute, swagger model); the resources served from state
COLLECTIONS = {
    "customers": ("customers", "CustomerApi"),
    "articles": ("articles", "ArticleApi"),
    "articleaccountcodings": ("codings", "ArticleAccountCodingAPI"),
    "termsofpayments": ("terms", "TermsOfPaymentApi"),
    "units": ("units", "UnitApi"),
    "deliverymethods": ("delivery_methods", "DeliveryMethodApi"),
    "customerinvoicedrafts": ("drafts", "CustomerInvoiceDraftApi"),
    "customerinvoices": ("invoices", "CustomerInvoiceApi"),
    "orders": ("orders", "OrderApi"),
    "quotedrafts": ("quotes", "QuoteApi"),
    "fiscalyears": ("fiscal_years", "FiscalYearApi"),
    "countries": ("countries", "CountryApi"),
    "currencies": ("currencies", "CurrencyApi"),
}

# collection -> the method validating and storing a POSTed (existing: None) or PUT document
WRITERS = {"customers": "_save_customer", "articles": "_save_article", "customerinvoicedrafts": "_save_draft",
           "orders": "_save_order", "quotedrafts": "_save_quote"}
DELETABLE = ("customers", "customerinvoicedrafts", "orders", "quotedrafts")


def _url_map():
    rules = [
        Rule("/connect/authorize", endpoint="authorize", methods=["GET"]),
        Rule("/connect/token", endpoint="token", methods=["POST"]),
        Rule("/connect/revocation", endpoint="revocation", methods=["POST"]),
        Rule("/v2/companysettings", endpoint="company_settings", methods=["GET"]),
        Rule("/v2/vatcodes", endpoint="vat_codes", methods=["GET"]),
        Rule("/v2/vatcodes/<identifier>", endpoint="vat_code", methods=["GET"]),
        Rule("/v2/customerinvoicedrafts/<identifier>/convert", endpoint="convert_draft", methods=["POST"]),
    ]
    for collection in WRITERS:
        rules.append(Rule(f"/v2/{collection}", endpoint="create", methods=["POST"],
                          defaults={"collection": collection}))
        rules.append(Rule(f"/v2/{collection}/<identifier>", endpoint="replace", methods=["PUT"],
                          defaults={"collection": collection}))
    for collection in DELETABLE:
        rules.append(Rule(f"/v2/{collection}/<identifier>", endpoint="delete", methods=["DELETE"],
                          defaults={"collection": collection}))
    for collection in COLLECTIONS:
        rules.append(Rule(f"/v2/{collection}", endpoint="list", methods=["GET"], defaults={"collection": collection}))
        rules.append(Rule(f"/v2/{collection}/<identifier>", endpoint="get", methods=["GET"],
                          defaults={"collection": collection}))
    return Map(rules, strict_slashes=False, redirect_defaults=False)


class EAccountingSimulator(SimulatorApp):
    """Stateful eAccounting API v2 and identity server.

    State (records in wire shape, keyed by ``Id``): ``customers``, ``articles``, ``codings``,
    ``terms``, ``units``, ``delivery_methods``, ``drafts``, ``invoices``, ``orders``,
    ``fiscal_years``, ``vat_codes``, ``company`` (company settings).  Python API for tests and the
    demo: :meth:`seed`, :meth:`issue_authorization_code`, :meth:`issue_tokens`, :meth:`revoke_grant`,
    :meth:`set_stock`, :meth:`snapshot`, :meth:`reset`; ``clock`` (epoch seconds, e.g.
    :class:`simulators.common.ManualClock`) drives token expiry and the rate limit.
    """

    name = "eaccounting"
    url_map = _url_map()

    def __init__(self, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                 requests_per_minute=REQUESTS_PER_MINUTE, oss=True, show_prices_excl_vat_for_private=False):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.requests_per_minute = requests_per_minute
        self.oss = oss
        self.show_prices_excl_vat_for_private = show_prices_excl_vat_for_private
        super().__init__()

    # -- state ---------------------------------------------------------------------------------
    def reset(self):
        """Drop customers, articles, documents and tokens; reseed the Swedish company's reference data."""
        self.request_log = []
        self._request_times = defaultdict(deque)
        self.codes = {}  # authorization code -> {grant, redirect_uri, expires}
        self.grants = {}  # grant id -> {client_id, scopes, revoked}
        self.refresh_tokens = {}  # refresh token -> {grant, active}
        self.access_tokens = {}  # access token -> {grant, expires}
        self.company = {
            "Name": "Shop Sync Sverige AB", "Email": "ekonomi@shopsync.example", "Phone": "08-123 456 78",
            "MobilePhone": None, "Address1": "Storgatan 1", "Address2": None, "CountryCode": COMPANY_COUNTRY,
            "PostalCode": "11122", "City": "Stockholm", "Website": "https://shopsync.example",
            "CurrencyCode": BASE_CURRENCY, "TermsOfPaymentId": TERMS_IDS["30 dagar netto"],
            "CorporateIdentityNumber": "556677-8899", "VatCode": "SE556677889901", "BankGiro": "123-4567",
            "PlusGiro": None, "BankAccount": None, "Iban": "SE4550000000058398257466", "AccountingLockedTo": None,
            "Gln": None, "ProductVariant": 1, "TypeOfBusiness": 1, "VatPeriod": 3, "ActivatedModules": [],
            "CompanyText": None, "NextCustomerNumber": 1, "NextSupplierNumber": 1,
            "NextCustomerInvoiceNumber": 1001, "NextQuoteNumber": 1,
            "ShowPricesExclVatPC": self.show_prices_excl_vat_for_private,
        }
        self.codings = {}
        for name, kind, rate_class, rate, domestic, eu_business, export in CODING_TABLE:
            coding_id = CODING_IDS[name]
            self.codings[coding_id] = {
                "Id": coding_id, "Name": name, "NameEnglish": name.replace("Varor", "Goods").replace(
                    "Tjänster", "Services").replace("Momsfri försäljning", "VAT exempt sales"),
                "Type": kind, "VatRate": f"{Decimal(rate) * 100:g}%", "IsActive": True, "VatRatePercent": float(rate),
                "DomesticSalesSubjectToReversedConstructionVatAccountNumber": 3231,
                "DomesticSalesSubjectToVatAccountNumber": domestic if rate_class != "exempt" else None,
                "DomesticSalesVatExemptAccountNumber": 3004,
                "ForeignSalesSubjectToMossAccountNumber": 3110 if rate_class != "exempt" else None,
                "ForeignSalesSubjectToThirdPartySalesAccountNumber": 3107,
                "ForeignSalesSubjectToVatWithinEuAccountNumber": 3106 if rate_class != "exempt" else None,
                "ForeignSalesVatExemptOutsideEuAccountNumber": export,
                "ForeignSalesVatExemptWithinEuAccountNumber": eu_business,
                "DomesticSalesVatCodeExemptAccountNumber": 3004, "ChangedUtc": "2026-01-01T00:00:00Z",
                "_rate_class": rate_class,
            }
        self.vat_codes = {}
        for code, description, rate, accounts in VAT_CODE_TABLE:
            related = dict(zip(("AccountNumber1", "AccountNumber2", "AccountNumber3"), accounts))
            self.vat_codes[_id(f"vatcode:{code}")] = {
                "Id": _id(f"vatcode:{code}"), "Code": code, "Description": description, "VatRate": float(rate),
                "RelatedAccounts": {"AccountNumber1": None, "AccountNumber2": None, "AccountNumber3": None, **related}}
        self.terms = {TERMS_IDS[name]: {"Id": TERMS_IDS[name], "Name": name, "NameEnglish": english,
                                        "NumberOfDays": days, "TermsOfPaymentTypeId": type_id,
                                        "TermsOfPaymentTypeText": type_text, "AvailableForSales": True,
                                        "AvailableForPurchase": True}
                      for name, english, days, type_id, type_text in TERMS_TABLE}
        self.units = {UNIT_IDS[name]: {"Id": UNIT_IDS[name], "Name": name, "Code": code, "Abbreviation": abbreviation}
                      for name, code, abbreviation in UNIT_TABLE}
        self.delivery_methods = {_id(f"delivery:{code}"): {"Id": _id(f"delivery:{code}"), "Name": name, "Code": code}
                                 for name, code in DELIVERY_METHOD_TABLE}
        self.fiscal_years = {_id(f"fiscalyear:{year}"): {
            "Id": _id(f"fiscalyear:{year}"), "StartDate": f"{year}-01-01T00:00:00", "EndDate": f"{year}-12-31T00:00:00",
            "IsLockedForAccounting": False, "BookkeepingMethod": 0} for year in (2025, 2026)}
        self.countries = {code: {"Name": code, "Code": code, "IsEuMember": code in EU_COUNTRIES}
                          for code in sorted(EU_COUNTRIES | {"NO", "US", "GB", "CH"})}
        self.currencies = {code: {"Code": code} for code in CURRENCY_RATES}
        self.customers = {}
        self.articles = {}
        self.drafts = {}
        self.invoices = {}
        self.orders = {}
        self.quotes = {}
        for number, name, coding, gross in SEED_ARTICLES:
            self._store_article(self._article_record({
                "Number": number, "Name": name, "CodingId": CODING_IDS[coding], "UnitId": UNIT_IDS["Styck"],
                "IsActive": True, "GrossPrice": float(gross)}, _id(f"article:{number}")))
        for number, name, email, private, country, vat_number, city, postal_code in SEED_CUSTOMERS:
            record = self._customer_record({
                "CustomerNumber": number, "Name": name, "EmailAddress": email, "IsPrivatePerson": private,
                "IsActive": True, "InvoiceCountryCode": country, "VatNumber": vat_number, "InvoiceCity": city,
                "InvoicePostalCode": postal_code, "InvoiceAddress1": "Testgatan 1",
                "CurrencyCode": "EUR" if country == "DE" else ("NOK" if country == "NO" else BASE_CURRENCY),
                "TermsOfPaymentId": TERMS_IDS["30 dagar netto" if not private else "Kortbetalning"]},
                _id(f"customer:{number}"))
            self.customers[record["Id"]] = record
        self.company["NextCustomerNumber"] = len(SEED_CUSTOMERS) + 1

    def snapshot(self):
        return {name: [self._render(COLLECTIONS[name][1], record) for record in getattr(self, attr).values()]
                for name, (attr, _model) in COLLECTIONS.items()
                if name in ("customers", "articles", "customerinvoicedrafts", "customerinvoices", "orders",
                            "quotedrafts")}

    def seed(self, catalogue):
        """An article per sellable SKU of a :func:`simulators.seed.generate` catalogue (variants as
        simple articles, gross price = the catalogue's price incl. 25 % VAT, stock as ``StockBalance``)."""
        with self.lock:
            for seed_product in catalogue.products:
                for item in seed_product.variants or [seed_product]:
                    options = ", ".join(getattr(item, "options", {}).values())
                    name = f"{seed_product.title} ({options})" if options else seed_product.title
                    self._store_article(self._article_record({
                        "Number": item.sku, "Name": name[:50], "CodingId": CODING_IDS["Varor 25%"],
                        "UnitId": UNIT_IDS["Styck"], "IsActive": True, "GrossPrice": float(item.price),
                        "StockBalance": float(getattr(item, "stock", 0))}, _id(f"article:{item.sku}")))

    def set_stock(self, article_number, balance):
        """Set an article's stock balance as a user of eAccounting would (stock master)."""
        with self.lock:
            article = self.article_by_number(article_number)
            article.update(StockBalance=float(balance), StockBalanceAvailable=float(balance),
                           StockBalanceManuallyChangedUtc=self._timestamp(), ChangedUtc=self._timestamp())

    def article_by_number(self, number):
        return next(article for article in self.articles.values() if article["Number"] == number)

    def customer_by_number(self, number):
        return next(customer for customer in self.customers.values() if customer["CustomerNumber"] == number)

    # -- OAuth2 (identity server) -------------------------------------------------------------
    def issue_authorization_code(self, scopes=DEFAULT_SCOPES, redirect_uri=None):
        """What the authorize endpoint hands the redirect URI once the user has logged in and consented."""
        with self.lock:
            code = secrets.token_urlsafe(24)
            grant = uuid.uuid4().hex
            self.grants[grant] = {"client_id": self.client_id, "scopes": tuple(scopes), "revoked": False}
            self.codes[code] = {"grant": grant, "redirect_uri": redirect_uri or self.redirect_uri,
                                "expires": self.clock() + AUTHORIZATION_CODE_LIFETIME}
            return code

    def issue_tokens(self, scopes=DEFAULT_SCOPES):
        """A token response as after a code exchange, without the HTTP round trip (test set-up)."""
        with self.lock:
            code = self.issue_authorization_code(scopes)
            return self._token_response(self.codes.pop(code)["grant"])

    def revoke_grant(self, refresh_token=None):
        """The user disconnects the app (or ``refresh_token``'s grant is revoked): its refresh and
        access tokens stop working."""
        with self.lock:
            grants = [self.refresh_tokens[refresh_token]["grant"]] if refresh_token else list(self.grants)
            for grant in grants:
                self.grants[grant]["revoked"] = True

    def on_authorize(self, request):
        """The user logs in and consents at once: redirect to ``redirect_uri`` with a code (demo)."""
        args = request.args
        if args.get("client_id") != self.client_id or args.get("redirect_uri") != self.redirect_uri \
                or args.get("response_type") != "code":
            return Response("invalid_request: unknown client_id, redirect_uri or response_type", status=400)
        code = self.issue_authorization_code(tuple(args.get("scope", "").split()) or DEFAULT_SCOPES)
        query = urlencode({"code": code, **({"state": args["state"]} if "state" in args else {})})
        return Response(status=302, headers={"Location": f"{self.redirect_uri}?{query}"})

    def on_token(self, request):
        try:
            form = request.form
            self._authenticate_client(request)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                return self.json_response(self._exchange_code(form))
            if grant_type == "refresh_token":
                return self.json_response(self._refresh(form))
            if not grant_type:
                raise OAuthError("invalid_request", "grant_type is missing")
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type} is not supported")
        except OAuthError as error:
            return self.json_response({"error": error.error, "error_description": error.description}, error.status)

    def on_revocation(self, request):
        try:
            self._authenticate_client(request)
        except OAuthError as error:
            return self.json_response({"error": error.error}, error.status)
        token = request.form.get("token")
        if token in self.refresh_tokens:
            self.revoke_grant(token)
        elif token in self.access_tokens:
            self.grants[self.access_tokens[token]["grant"]]["revoked"] = True
        return Response(status=200)  # RFC 7009: also for an unknown token

    def _authenticate_client(self, request):
        client_id, client_secret = request.form.get("client_id"), request.form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                client_id, _sep, client_secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                raise OAuthError("invalid_client", "malformed Basic credentials") from None
        if client_id != self.client_id or not client_secret or not secrets.compare_digest(client_secret,
                                                                                          self.client_secret):
            raise OAuthError("invalid_client", "unknown client or wrong client secret")

    def _exchange_code(self, form):
        code = self.codes.pop(form.get("code", ""), None)  # one use, even a failed one
        if code is None or code["expires"] <= self.clock() or self.grants[code["grant"]]["revoked"]:
            raise OAuthError("invalid_grant", "the authorization code is unknown, used or expired")
        if form.get("redirect_uri") != code["redirect_uri"]:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        return self._token_response(code["grant"])

    def _refresh(self, form):
        token = self.refresh_tokens.get(form.get("refresh_token", ""))
        if token is None or not token["active"] or self.grants[token["grant"]]["revoked"]:
            raise OAuthError("invalid_grant", "the refresh token is unknown, replaced or revoked")
        token["active"] = False  # "every new refresh token cancels the previous one"
        return self._token_response(token["grant"])

    def _token_response(self, grant):
        scopes = self.grants[grant]["scopes"]
        access = secrets.token_urlsafe(32)
        self.access_tokens[access] = {"grant": grant, "expires": self.clock() + ACCESS_TOKEN_LIFETIME}
        response = {"access_token": access, "expires_in": ACCESS_TOKEN_LIFETIME, "token_type": "Bearer",
                    "scope": " ".join(scopes)}
        if "offline_access" in scopes:
            refresh = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = {"grant": grant, "active": True}
            response["refresh_token"] = refresh
        return response

    # -- vendor hooks --------------------------------------------------------------------------
    def before_request(self, request):
        """API calls: bearer token, scope, rate limit, then the swagger's request rules."""
        if not request.path.startswith("/v2/"):
            return None
        token = self.access_tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer ").strip())
        if token is None or token["expires"] <= self.clock() or self.grants[token["grant"]]["revoked"]:
            return self.error_response(401, DENIED_MESSAGE, code=AUTHORIZATION_DENIED)
        found = match_operation(request.method, request.path)
        if found is None:
            return None  # routing answers 404/405
        operation = found[1]
        accepted = required_scopes(operation)
        if accepted and not accepted & set(self.grants[token["grant"]]["scopes"]):
            return self.error_response(403, DENIED_MESSAGE, code=AUTHORIZATION_DENIED)
        wait = self._throttle((self.grants[token["grant"]]["client_id"], request.path.lower()))
        if wait:
            return self._quota_exceeded(wait)
        body = None
        if request.get_data(cache=True):
            try:
                body = json.loads(request.get_data(as_text=True))
            except ValueError:
                return self.error_response(400, "The request body is not valid JSON.", code=VALIDATION_ERROR)
        problems = validate_request(request.method, request.full_path.rstrip("?"), body)
        if problems:
            return self.error_response(400, "; ".join(problems), code=VALIDATION_ERROR)
        request.environ["eaccounting.body"] = body
        request.environ["eaccounting.operation"] = operation
        return None

    def after_request(self, request, response):
        if request.path.startswith("/v2/"):
            body = request.environ.get("eaccounting.body")
            if body is None and request.get_data(cache=True):
                body = request.get_data(as_text=True)
            self.request_log.append({"method": request.method, "path": request.full_path.rstrip("?"),
                                     "body": body, "status": response.status_code})
        return response

    def error_response(self, status, message, code=None, **extra):
        body = {"ErrorCode": code if code is not None else status, "DeveloperErrorMessage": message,
                "ErrorId": str(uuid.uuid4())}
        return self.json_response(body, status)

    def rate_limited_response(self, fault):
        return self._quota_exceeded(fault.retry_after)

    def _quota_exceeded(self, seconds):
        seconds = max(1, math.ceil(seconds))
        return self.error_response(
            429, f"API calls quota exceeded! maximum admitted {self.requests_per_minute} per Minute. "
                 f"Try again in {seconds} seconds.", code=QUOTA_EXCEEDED)

    def _throttle(self, key):
        """Seconds until ``key`` (client, URL) may call again, else 0 (the call is counted)."""
        if not self.requests_per_minute:
            return 0
        now = self.clock()
        times = self._request_times[key]
        while times and times[0] <= now - 60:
            times.popleft()
        if len(times) >= self.requests_per_minute:
            return times[0] + 60 - now
        times.append(now)
        return 0

    # -- generic reads -------------------------------------------------------------------------
    @api_handler
    def on_list(self, request, collection):
        attr, model = COLLECTIONS[collection]
        records = list(getattr(self, attr).values())
        if collection == "customerinvoices" and request.args.get("modifiedSinceUtc"):
            since = _aware(parse_datetime(request.args["modifiedSinceUtc"]))
            records = [record for record in records if _aware(parse_datetime(record["ModifiedUtc"])) >= since]
        return self._page(request, model, records)

    @api_handler
    def on_get(self, request, collection, identifier):
        attr, model = COLLECTIONS[collection]
        return self.json_response(self._render(model, self._require(getattr(self, attr), identifier, collection)))

    def on_company_settings(self, request):
        return self.json_response(self._render("CompanySettingsApi", self.company))

    def on_vat_codes(self, request):
        return self.json_response([self._render("VatCode", record) for record in self.vat_codes.values()])

    @api_handler
    def on_vat_code(self, request, identifier):
        record = self._require(self.vat_codes, identifier, "vatcodes")
        return self.json_response([self._render("VatCode", record)])  # the swagger: an array

    def _page(self, request, model, records):
        args = {key.lower(): value for key, value in request.args.items()}
        page = int(args.get("$page", 1))
        size = min(int(args.get("$pagesize", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
        rendered = [self._render(model, record) for record in records]
        try:
            if args.get("$filter"):
                matches = parse_filter(args["$filter"], definition(model)["properties"])
                rendered = [record for record in rendered if matches(record)]
            if args.get("$orderby"):
                rendered = order_by(rendered, args["$orderby"], definition(model)["properties"])
        except FilterError as error:
            raise ApiError(400, str(error), code=VALIDATION_ERROR) from None
        total = len(rendered)
        meta = {"CurrentPage": page, "PageSize": size, "TotalNumberOfPages": math.ceil(total / size),
                "TotalNumberOfResults": total, "ServerTimeUtc": self._timestamp()}
        return self.json_response({"Meta": meta, "Data": rendered[(page - 1) * size:page * size]})

    # -- writes --------------------------------------------------------------------------------
    @api_handler
    def on_create(self, request, collection):
        return self.json_response(getattr(self, WRITERS[collection])(self._body(request), None))

    @api_handler
    def on_replace(self, request, collection, identifier):
        existing = self._require(getattr(self, COLLECTIONS[collection][0]), identifier, collection)
        return self.json_response(getattr(self, WRITERS[collection])(self._body(request), existing))

    @api_handler
    def on_delete(self, request, collection, identifier):
        records = getattr(self, COLLECTIONS[collection][0])
        record = self._require(records, identifier, collection)
        if collection == "customers" and any(
                document["CustomerId"] == record["Id"]
                for document in [*self.drafts.values(), *self.invoices.values(), *self.orders.values(),
                                 *self.quotes.values()]):
            raise ApiError(400, "The customer has documents and cannot be deleted.", code=CANNOT_BE_DELETED)
        del records[record["Id"]]
        return self.json_response({})

    # -- customers -----------------------------------------------------------------------------
    def _save_customer(self, body, existing):
        number = body.get("CustomerNumber")
        if number and any(customer["CustomerNumber"] == number and customer is not existing
                          for customer in self.customers.values()):
            raise ApiError(409, f"Customer number {number} is already used by another customer.", code=CONFLICT)
        record = self._customer_record(body, existing["Id"] if existing else str(uuid.uuid4()),
                                       existing["CustomerNumber"] if existing else None)
        self.customers[record["Id"]] = record
        return self._render("CustomerApi", record)

    def _customer_record(self, body, record_id, current_number=None):
        terms = self._reference(self.terms, body.get("TermsOfPaymentId"), "TermsOfPaymentId")
        for name in ("DeliveryMethodId",):
            if body.get(name):
                self._reference(self.delivery_methods, body[name], name)
        vat_number = body.get("VatNumber")
        if vat_number and not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{8,12}", vat_number):
            raise ApiError(400, "VatNumber: expected a 2 character country code followed by 8-12 numbers.",
                           code=VALIDATION_ERROR)
        if body.get("ReverseChargeOnConstructionServices") and not vat_number:
            raise ApiError(400, "VatNumber is required when ReverseChargeOnConstructionServices is true.",
                           code=VALIDATION_ERROR)
        currency = body.get("CurrencyCode") or BASE_CURRENCY
        if currency not in self.currencies:
            raise ApiError(400, f"Currency {currency} does not exist.", code=RESOURCE_NOT_FOUND)
        number = body.get("CustomerNumber") or current_number
        if not number:
            number = str(self.company["NextCustomerNumber"])
            self.company["NextCustomerNumber"] += 1
        record = {name: value for name, value in body.items() if value is not None}
        record.update(Id=record_id, CustomerNumber=number, CurrencyCode=currency, TermsOfPayment=dict(terms),
                      PayToAccountId=_id("account:1510"), ChangedUtc=self._timestamp())
        return record

    # -- articles ------------------------------------------------------------------------------
    def _save_article(self, body, existing):
        number = body["Number"]
        if any(article["Number"].lower() == number.lower() and article is not existing
               for article in self.articles.values()):
            raise ApiError(409, f"Article number {number} is already used by another article.", code=CONFLICT)
        record = self._article_record(body, existing["Id"] if existing else str(uuid.uuid4()))
        self._store_article(record)
        return self._render("ArticleApi", record)

    def _article_record(self, body, record_id):
        """A PUT replaces the article: an omitted ``StockBalance`` is the swagger's "Default: 0"."""
        coding = self._reference(self.codings, body["CodingId"], "CodingId")
        unit = self._reference(self.units, body["UnitId"], "UnitId")
        rate = 1 + Decimal(str(coding["VatRatePercent"]))
        net, gross = body.get("NetPrice"), body.get("GrossPrice")
        if net is None and gross is not None:
            net = float((Decimal(str(gross)) / rate).quantize(CENT, ROUND_HALF_UP))
        elif gross is None and net is not None:
            gross = float((Decimal(str(net)) * rate).quantize(CENT, ROUND_HALF_UP))
        stock = body.get("StockBalance") or 0.0
        record = {name: value for name, value in body.items() if value is not None}
        record.update(Id=record_id, NetPrice=net or 0.0, GrossPrice=gross or 0.0, CodingName=coding["Name"],
                      UnitName=unit["Name"], UnitAbbreviation=unit["Abbreviation"], StockBalance=float(stock),
                      StockBalanceReserved=0.0, StockBalanceAvailable=float(stock), ChangedUtc=self._timestamp(),
                      SendToWebshop=body.get("SendToWebshop", True), ArticleLabels=body.get("ArticleLabels") or [])
        return record

    def _store_article(self, record):
        self.articles[record["Id"]] = record

    # -- customer invoice drafts ---------------------------------------------------------------
    def _save_draft(self, body, existing):
        record = self._document(body, "draft")
        record.update(Id=existing["Id"] if existing else str(uuid.uuid4()),
                      CreatedUtc=existing["CreatedUtc"] if existing else self._timestamp())
        self.drafts[record["Id"]] = record
        return self._render("CustomerInvoiceDraftApi", record)

    @api_handler
    def on_convert_draft(self, request, identifier):
        draft = self._require(self.drafts, identifier, "customerinvoicedrafts")
        self._check_expected_totals(draft, self._body(request) or {})
        invoice = self._invoice_from_draft(draft)
        del self.drafts[draft["Id"]]
        self._book_stock(invoice)
        return self.json_response(self._render("CustomerInvoiceApi", invoice))

    def _check_expected_totals(self, draft, expected):
        """``CustomerInvoiceDraftValidationApi``: the caller's totals must be the draft's."""
        checks = [("TotalAmountInvoiceCurrency", draft["TotalAmount"]),
                  ("TotalVatAmountInvoiceCurrency", draft["TotalVatAmount"]),
                  ("TotalRoundingsInvoiceCurrency", draft["TotalRoundings"])]
        rows = {row["line"]: row for row in draft["_rows"]}
        for index, row in enumerate(expected.get("Rows") or []):
            computed = rows.get(row.get("LineNumber"))
            if computed is None:
                raise ApiError(400, f"Rows[{index}]: the draft has no line {row.get('LineNumber')}.",
                               code=VALIDATION_ERROR)
            checks += [(f"Rows[{index}].TotalAmountNoVatInvoiceCurrency", computed["amount_no_vat"]),
                       (f"Rows[{index}].TotalAmountIncVatInvoiceCurrency", computed["amount_inc_vat"])]
        for name, actual in checks:
            wanted = _lookup_expected(expected, name)
            if wanted is not None and Decimal(str(wanted)).quantize(CENT) != Decimal(str(actual)).quantize(CENT):
                raise ApiError(400, f"{name} is {wanted} but the invoice's is {actual}.", code=VALIDATION_ERROR)

    def _invoice_from_draft(self, draft):
        number = self.company["NextCustomerInvoiceNumber"]
        self.company["NextCustomerInvoiceNumber"] += 1
        customer = self.customers[draft["CustomerId"]]
        rate = CURRENCY_RATES[draft["InvoiceCurrencyCode"]]
        rows = [{"Id": str(uuid.uuid4()), "ArticleNumber": row.get("ArticleNumber"), "ArticleId": row.get("ArticleId"),
                 "AmountNoVat": computed["amount_no_vat"], "PercentVat": computed["rate"],
                 "LineNumber": row["LineNumber"], "IsTextRow": row["IsTextRow"], "Text": row["Text"],
                 "UnitPrice": row.get("UnitPrice"), "UnitAbbreviation": row.get("UnitAbbreviation"),
                 "DiscountPercentage": row.get("DiscountPercentage", 0.0), "Quantity": row.get("Quantity"),
                 "IsWorkCost": bool(row.get("IsWorkCost")), "IsVatFree": computed["rate"] == 0 and not row["IsTextRow"],
                 "UnitId": computed.get("unit_id"), "ProjectId": row.get("ProjectId")}
                for row, computed in zip(draft["Rows"], draft["_rows"])]
        invoice = {name: draft.get(name) for name in definition("CustomerInvoiceApi")["properties"] if name in draft}
        invoice.update(
            Id=str(uuid.uuid4()), InvoiceNumber=number, CurrencyCode=draft["InvoiceCurrencyCode"],
            CurrencyRate=float(rate), CustomerEmail=customer.get("EmailAddress"),
            TermsOfPaymentId=customer["TermsOfPaymentId"], Rows=rows,
            TotalAmount=_money(Decimal(str(draft["TotalAmount"])) * rate),
            TotalVatAmount=_money(Decimal(str(draft["TotalVatAmount"])) * rate), TotalRoundings=draft["TotalRoundings"],
            TotalAmountInvoiceCurrency=draft["TotalAmount"], TotalVatAmountInvoiceCurrency=draft["TotalVatAmount"],
            RemainingAmount=_money(Decimal(str(draft["TotalAmount"])) * rate),
            RemainingAmountInvoiceCurrency=draft["TotalAmount"], PaymentReferenceNumber=f"{number}{_luhn(number)}",
            InvoiceDate=draft.get("InvoiceDate") or self._now().strftime("%Y-%m-%dT00:00:00"),
            DueDate=self._due_date(draft, customer), CreatedUtc=self._timestamp(), ModifiedUtc=self._timestamp(),
            VoucherNumber=f"A{number}", VoucherId=str(uuid.uuid4()), SendType=0, _rows=draft["_rows"])
        self.invoices[invoice["Id"]] = invoice
        return invoice

    def _book_stock(self, invoice):
        """An invoice takes its articles out of stock (a credit invoice's negative rows put them back):
        eAccounting's stock balance follows the invoices (simulator rule; the swagger only says
        ``StockBalance`` "sets the stock balance")."""
        for row in invoice["Rows"]:
            article = self.articles.get(row.get("ArticleId") or "")
            if article is not None and row.get("Quantity"):
                balance = Decimal(str(article["StockBalance"])) - Decimal(str(row["Quantity"]))
                article.update(StockBalance=float(balance), StockBalanceAvailable=float(
                    balance - Decimal(str(article["StockBalanceReserved"]))), ChangedUtc=self._timestamp())

    def _due_date(self, draft, customer):
        issued = _aware(parse_datetime(draft.get("InvoiceDate") or self._timestamp()))
        days = self.terms[customer["TermsOfPaymentId"]]["NumberOfDays"]
        return (issued + timedelta(days=days)).strftime("%Y-%m-%dT00:00:00")

    # -- orders --------------------------------------------------------------------------------
    def _save_order(self, body, existing):
        """An order's ``Amount``/``VatAmount``/``RoundingsAmount`` are required by the swagger; the
        stored ones are computed like a draft's (``Amount`` = total incl. VAT)."""
        record = self._document(body, "order")
        record.update(Id=existing["Id"] if existing else str(uuid.uuid4()),
                      Number=existing["Number"] if existing else len(self.orders) + 1,
                      CreatedUtc=existing["CreatedUtc"] if existing else self._timestamp(),
                      ModifiedUtc=self._timestamp(), Amount=record.pop("TotalAmount"),
                      VatAmount=record.pop("TotalVatAmount"), RoundingsAmount=record.pop("TotalRoundings"))
        self.orders[record["Id"]] = record
        return self._render("OrderApi", record)

    # -- quote drafts --------------------------------------------------------------------------
    def _save_quote(self, body, existing):
        """A quote draft (``/v2/quotedrafts``, outside the 2018 swagger: see
        :data:`simulators.eaccounting_swagger.QUOTE_SUPPLEMENT`).  Rules from that swagger's
        ``QuoteApi``: ``CustomerId`` is required; the invoice and delivery address, currency,
        ``CustomerIsPrivatePerson`` and ``IncludesVat`` are read-only, "Default: The value on the
        selected customer", so the VAT follows the customer's country and kind; a quote created as a
        draft has ``Status`` 0 ("0 = Draft"); ``TotalAmount``/``VatAmount``/``RoundingsAmount`` are
        read-only (computed like a draft's); ``QuoteRowApi.LineNumber`` and ``IsTextRow`` are read-only.
        Simulator choices where that swagger is silent: a row without ``ArticleId`` is a text row
        (as ``OrderRowApi`` says: "Can be null if the row is a text row"), rows are numbered from 1 in
        the order sent, and ``Number`` comes from the company's ``NextQuoteNumber``."""
        customer = self._reference(self.customers, body["CustomerId"], "CustomerId")
        rows = [{**row, "LineNumber": index, "IsTextRow": not row.get("ArticleId")}
                for index, row in enumerate(body.get("Rows") or [], start=1)]
        effective = {**body, "Rows": rows, "CustomerIsPrivatePerson": bool(customer.get("IsPrivatePerson")),
                     "InvoiceCountryCode": customer.get("InvoiceCountryCode") or COMPANY_COUNTRY}
        record = self._document(effective, "quote")
        number = existing["Number"] if existing else self.company["NextQuoteNumber"]
        if not existing:
            self.company["NextQuoteNumber"] += 1
        record.update(Id=existing["Id"] if existing else str(uuid.uuid4()), Number=number, Status=0,
                      CreatedUtc=existing["CreatedUtc"] if existing else self._timestamp(),
                      CurrencyCode=customer["CurrencyCode"],
                      CurrencyRate=float(CURRENCY_RATES[customer["CurrencyCode"]]),
                      InvoiceCustomerName=customer.get("Name"),
                      IsDomestic=record["InvoiceCountryCode"] == COMPANY_COUNTRY,
                      VatAmount=record.pop("TotalVatAmount"), RoundingsAmount=record.pop("TotalRoundings"),
                      **{name: customer.get(name) for name in ("InvoiceAddress1", "InvoiceAddress2",
                                                               "InvoicePostalCode", "InvoiceCity")})
        self.quotes[record["Id"]] = record
        return self._render("QuoteApi", record)

    # -- documents: VAT and totals ---------------------------------------------------------------
    def _document(self, body, kind):
        """A draft's or order's stored record: references checked, rows completed, VAT and totals computed."""
        customer = self._reference(self.customers, body["CustomerId"], "CustomerId")
        if not customer.get("IsActive", True):
            raise ApiError(400, f"Customer {customer['CustomerNumber']} is inactive.",
                           code=CANNOT_BE_CREATED_OR_UPDATED)
        private = body["CustomerIsPrivatePerson"]
        country = body["InvoiceCountryCode"].upper()
        sale = self._sale_kind(country, private, body.get("EuThirdParty", False), customer)
        includes_vat = private and not self.company["ShowPricesExclVatPC"]
        currency = body.get("CurrencyCode") if kind == "order" else customer["CurrencyCode"]
        if currency not in CURRENCY_RATES:
            raise ApiError(400, f"CurrencyCode: {currency} does not exist.", code=RESOURCE_NOT_FOUND)
        model = definition({"order": "OrderApi", "quote": "QuoteApi"}.get(kind,
                                                                         "CustomerInvoiceDraftApi"))["properties"]
        record = {name: _datetime_text(value) if model.get(name, {}).get("format") == "date-time" else value
                  for name, value in body.items() if value is not None}
        rows, computed = [], []
        line_numbers = set()
        for index, row in enumerate(body.get("Rows") or []):
            if row["LineNumber"] in line_numbers:
                raise ApiError(400, f"Rows[{index}].LineNumber {row['LineNumber']} is used twice.",
                               code=VALIDATION_ERROR)
            line_numbers.add(row["LineNumber"])
            stored, amounts = self._row(index, row, sale, customer, country, includes_vat)
            rows.append(stored)
            computed.append(amounts)
        total_inc = sum((Decimal(str(amounts["amount_inc_vat"])) for amounts in computed), Decimal(0))
        total_vat = sum((Decimal(str(amounts["vat"])) for amounts in computed), Decimal(0))
        if kind == "draft":
            credit = bool(body.get("IsCreditInvoice"))
            if credit and total_inc > 0:
                raise ApiError(400, "A credit invoice must have a negative total: give its rows negative "
                               "quantities.", code=CANNOT_BE_CREATED_OR_UPDATED)
            if not credit and total_inc < 0:
                raise ApiError(400, "An invoice cannot have a negative total: use IsCreditInvoice for a credit "
                               "invoice.", code=CANNOT_BE_CREATED_OR_UPDATED)
        rate = CURRENCY_RATES[currency]
        record.update(Rows=rows, _rows=computed, _sale=sale, IncludesVat=includes_vat,
                      CustomerNumber=customer["CustomerNumber"], TotalAmount=_money(total_inc),
                      TotalVatAmount=_money(total_vat), TotalRoundings=0.0,
                      ReverseChargeOnConstructionServices=bool(customer.get("ReverseChargeOnConstructionServices")))
        if kind == "draft":
            record.update(InvoiceCurrencyCode=currency, TotalAmountBaseCurrency=_money(total_inc * rate),
                          TotalVatAmountBaseCurrency=_money(total_vat * rate), SalesDocumentAttachments=[])
        return record

    def _sale_kind(self, country, private, eu_third_party, customer):
        """Which of the coding's accounts (and so which VAT) a sale to ``country`` uses; see the module."""
        if country == COMPANY_COUNTRY:
            return "domestic"
        if country not in EU_COUNTRIES:
            return "export"
        if eu_third_party:
            return "third_party"
        if private:
            return "oss" if self.oss else "eu_private"
        if not customer.get("VatNumber"):
            raise ApiError(400, "A sale without VAT to a business in another EU "
                           "country needs the customer's VatNumber.", code=CANNOT_BE_CREATED_OR_UPDATED)
        return "eu_business"

    def _row(self, index, row, sale, customer, country, includes_vat):
        """The stored row (article data filled in) and its amounts (see the module for the rounding)."""
        stored = {name: value for name, value in row.items() if value is not None}
        if row["IsTextRow"]:
            return stored, {"line": row["LineNumber"], "amount_no_vat": 0.0, "amount_inc_vat": 0.0, "vat": 0.0,
                            "rate": 0.0, "account": None}
        if not row.get("ArticleId"):
            raise ApiError(400, f"Rows[{index}].ArticleId: required if IsTextRow is false.", code=VALIDATION_ERROR)
        article = self._reference(self.articles, row["ArticleId"], f"Rows[{index}].ArticleId")
        if not article.get("IsActive", True):
            raise ApiError(400, f"Article {article['Number']} is inactive.", code=CANNOT_BE_CREATED_OR_UPDATED)
        coding = self.codings[article["CodingId"]]
        kind = sale
        reverse_flag = row.get("ReversedConstructionServicesVatFree", row.get("EligibleForReverseChargeOnVat"))
        if sale == "domestic" and reverse_flag and customer.get("ReverseChargeOnConstructionServices"):
            kind = "construction"
        elif sale == "domestic" and coding["_rate_class"] == "exempt":
            kind = "domestic_exempt"
        rate = self._vat_rate(kind, coding, country)
        unit_price = Decimal(str(row["UnitPrice"])) if row.get("UnitPrice") is not None else \
            Decimal(str(article["GrossPrice"] if includes_vat else article["NetPrice"]))
        quantity = Decimal(str(row.get("Quantity") or 0))
        discount = Decimal(str(row.get("DiscountPercentage") or 0))
        amount = (quantity * unit_price * (1 - discount)).quantize(CENT, ROUND_HALF_UP)
        if includes_vat:
            vat = (amount * rate / (1 + rate)).quantize(CENT, ROUND_HALF_UP)
            amount_no_vat, amount_inc_vat = amount - vat, amount
        else:
            vat = (amount * rate).quantize(CENT, ROUND_HALF_UP)
            amount_no_vat, amount_inc_vat = amount, amount + vat
        stored.update(ArticleNumber=article["Number"], UnitPrice=float(unit_price),
                      UnitAbbreviation=article["UnitAbbreviation"], UnitName=article["UnitName"],
                      VatRateId=coding["Id"])
        return stored, {"line": row["LineNumber"], "amount_no_vat": float(amount_no_vat),
                        "amount_inc_vat": float(amount_inc_vat), "vat": float(vat), "rate": float(rate),
                        "account": coding[SALE_ACCOUNTS[kind]], "unit_id": article["UnitId"]}

    def _vat_rate(self, kind, coding, country):
        if kind in ("domestic", "eu_private"):
            return Decimal(str(coding["VatRatePercent"]))
        if kind == "oss" and coding["_rate_class"] != "exempt":
            return OSS_RATES[country][coding["_rate_class"]]
        return Decimal(0)

    def vat_breakdown(self, document_id):
        """Per row of a draft, order or invoice: line number, amounts, VAT rate and the sales account
        the coding gives (what a voucher would book), for tests."""
        with self.lock:
            record = (self.drafts.get(document_id) or self.orders.get(document_id) or self.quotes.get(document_id)
                      or self.invoices[document_id])
            return [dict(row) for row in record["_rows"]]

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _body(request):
        """The JSON body ``before_request`` decoded and checked against the swagger."""
        return request.environ.get("eaccounting.body")

    def _require(self, records, identifier, collection):
        """The record of ``identifier`` (an ``Id``, or a ``Code`` for countries and currencies), else 404."""
        record = records.get(identifier.lower()) or records.get(identifier.upper())
        if record is None:
            raise ApiError(404, f"No {collection} resource has the id {identifier}.", code=RESOURCE_NOT_FOUND)
        return record

    def _reference(self, records, identifier, name):
        record = records.get((identifier or "").lower())
        if record is None:
            raise ApiError(400, f"{name}: {identifier} does not exist.", code=RESOURCE_NOT_FOUND)
        return record

    def _render(self, model, record):
        """Wire document: every property of the swagger model (``null`` when unset), private keys dropped."""
        properties = definition(model)["properties"]
        document = {}
        for name, schema in properties.items():
            value = record.get(name)
            if value is None and schema.get("type") == "boolean":
                value = False
            elif value is None and schema.get("type") == "array":
                value = []
            if name == "Rows" and isinstance(value, list) and "$ref" in schema.get("items", {}):
                row_model = schema["items"]["$ref"].rsplit("/", 1)[-1]
                value = [self._render(row_model, row) for row in value]
            document[name] = value
        return document

    def _now(self):
        return datetime.fromtimestamp(self.clock(), UTC)

    def _timestamp(self):
        return self._now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- OData $filter / $orderby ------------------------------------------------------------------
class FilterError(ValueError):
    """A ``$filter`` or ``$orderby`` the API refuses."""


_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<paren>[(),])|"
                    r"(?P<datetime>\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?)|"
                    r"(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})|"
                    r"(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][\w/]*))")
_COMPARISONS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
                "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b}
_FUNCTIONS = {"contains": lambda a, b: b in a, "startswith": lambda a, b: a.startswith(b),
              "endswith": lambda a, b: a.endswith(b)}


def parse_filter(text, properties):
    """A predicate on rendered records for an OData ``$filter`` over ``properties`` (swagger model)."""
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            if text[position:].strip() == "":
                break
            raise FilterError(f"Invalid $filter near {text[position:]!r}.")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    parser = _FilterParser(tokens, properties)
    predicate = parser.disjunction()
    if parser.position != len(tokens):
        raise FilterError(f"Invalid $filter near {tokens[parser.position][1]!r}.")
    return predicate


class _FilterParser:
    def __init__(self, tokens, properties):
        self.tokens, self.properties, self.position = tokens, properties, 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def take(self, kind=None, value=None):
        token = self.peek()
        if token[0] is None or (kind and token[0] != kind) or (value and token[1].lower() != value):
            expected = value or kind or "more"
            raise FilterError(f"Invalid $filter: expected {expected}, found {token[1]!r}.")
        self.position += 1
        return token

    def at_word(self, *words):
        kind, value = self.peek()
        return kind == "word" and value.lower() in words

    def disjunction(self):
        return self._joined("or", self.conjunction, any)

    def conjunction(self):
        return self._joined("and", self.unary, all)

    def _joined(self, word, operand, combine):
        """``operand (word operand)*``: ``and`` binds tighter than ``or``."""
        terms = [operand()]
        while self.at_word(word):
            self.take()
            terms.append(operand())
        return terms[0] if len(terms) == 1 else (lambda record: combine(term(record) for term in terms))

    def unary(self):
        if self.at_word("not"):
            self.take()
            inner = self.unary()
            return lambda record: not inner(record)
        if self.peek() == ("paren", "("):
            self.take()
            inner = self.disjunction()
            self.take("paren", ")")
            return inner
        if self.at_word(*_FUNCTIONS):
            function = _FUNCTIONS[self.take()[1].lower()]
            self.take("paren", "(")
            name = self.property()
            self.take("paren", ",")
            literal = self.literal(name)
            self.take("paren", ")")
            return lambda record: isinstance(record.get(name), str) and literal is not None \
                and function(record[name].casefold(), literal)
        name = self.property()
        operator = self.take("word")[1].lower()
        if operator not in _COMPARISONS:
            raise FilterError(f"Invalid $filter: unknown operator {operator!r}.")
        literal = self.literal(name)
        compare = _COMPARISONS[operator]

        def predicate(record):
            value = _comparable(record.get(name), self.properties[name])
            if value is None or literal is None:
                return compare(value, literal) if operator in ("eq", "ne") else False
            try:
                return compare(value, literal)
            except TypeError:
                return False

        return predicate

    def property(self):
        name = self.take("word")[1]
        if name not in self.properties:
            raise FilterError(f"Invalid $filter: the model has no property {name!r}.")
        return name

    def literal(self, name):
        kind, value = self.take()
        if kind == "string":
            value = value[1:-1].replace("''", "'")
        elif kind == "word" and value.lower() == "null":
            return None
        elif kind == "word" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        elif kind not in ("number", "datetime", "guid"):
            raise FilterError(f"Invalid $filter: {value!r} is not a value.")
        return _comparable(value if kind != "number" else Decimal(value), self.properties[name])


def _comparable(value, schema):
    """Values of a property in one comparable form: text folded, numbers Decimal, date-times aware."""
    if value is None:
        return None
    if schema.get("format") == "date-time":
        return _aware(parse_datetime(value)) if isinstance(value, str) else None
    if schema.get("type") in ("number", "integer") and not isinstance(value, bool):
        return Decimal(str(value))
    if isinstance(value, str):
        return value.casefold()
    return value


def order_by(records, text, properties):
    keys = []
    for item in text.split(","):
        parts = item.split()
        if not parts or parts[0] not in properties or len(parts) > 2 or (len(parts) == 2 and parts[1].lower()
                                                                         not in ("asc", "desc")):
            raise FilterError(f"Invalid $orderby {item.strip()!r}.")
        keys.append((parts[0], len(parts) == 2 and parts[1].lower() == "desc"))
    ordered = list(records)
    for name, descending in reversed(keys):
        ordered.sort(key=lambda record, name=name: (record.get(name) is not None,
                                                    _comparable(record.get(name), properties[name]) or 0),
                     reverse=descending)
    return ordered


# -- small helpers -------------------------------------------------------------------------------
def _money(value):
    return float(Decimal(value).quantize(CENT, ROUND_HALF_UP))


def _datetime_text(value):
    """A date-time as eAccounting answers it: ``2026-01-05T00:00:00`` for a date, seconds precision."""
    moment = parse_datetime(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") if moment else value


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _lookup_expected(expected, name):
    match = re.fullmatch(r"Rows\[(\d+)\]\.(\w+)", name)
    if match:
        return (expected.get("Rows") or [])[int(match.group(1))].get(match.group(2))
    return expected.get(name)


def _luhn(number):
    """Check digit of a Swedish OCR payment reference (Luhn, mod 10)."""
    total = 0
    for index, digit in enumerate(reversed(str(number))):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10
