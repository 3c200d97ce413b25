"""Visma eAccounting API v2 simulator (and its identity server), exercised over real HTTP."""

import base64
import re
from datetime import UTC, datetime

import pytest
import requests

from simulators.common import ManualClock, SimulatorServer
from simulators.eaccounting import (ACCESS_TOKEN_LIFETIME, CLIENT_ID, CLIENT_SECRET, CODING_IDS, REDIRECT_URI,
                                    TERMS_IDS, UNIT_IDS, EAccountingSimulator, validate_request)
from simulators.seed import generate

ERROR_KEYS = {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}
META_KEYS = {"CurrentPage", "PageSize", "TotalNumberOfPages", "TotalNumberOfResults", "ServerTimeUtc"}


@pytest.fixture(scope="module")
def server():
    with SimulatorServer(EAccountingSimulator()) as running:
        yield running


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def app(server, clock):
    server.app.clock = clock
    server.app.reset()
    server.app.faults.clear()
    server.app.requests_per_minute = 600
    return server.app


@pytest.fixture
def url(app, server):
    return server.url


@pytest.fixture
def api(app):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {app.issue_tokens()['access_token']}"
    return session


def basic(client_id=CLIENT_ID, secret=CLIENT_SECRET):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def exchange(url, code, secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI):
    return requests.post(f"{url}/connect/token", headers=basic(secret=secret),
                         data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})


def refresh(url, token):
    return requests.post(f"{url}/connect/token", headers=basic(),
                         data={"grant_type": "refresh_token", "refresh_token": token})


def draft_body(app, customer="2", country="SE", private=True, rows=None, **fields):
    customer_record = app.customer_by_number(customer)
    rows = rows if rows is not None else [("MUGG-01", 2, 125.0), ("FRAKT", 1, 49.0)]
    return {"CustomerId": customer_record["Id"], "RotReducedInvoicingType": 0,
            "InvoiceCustomerName": customer_record["Name"], "InvoicePostalCode": "41103", "InvoiceCity": "Göteborg",
            "InvoiceCountryCode": country, "EuThirdParty": False, "CustomerIsPrivatePerson": private,
            "YourReference": "ORDER-1001", "InvoiceDate": "2026-01-05",
            "Rows": [{"LineNumber": index, "IsTextRow": False, "ArticleId": app.article_by_number(number)["Id"],
                      "Text": number, "Quantity": quantity, "UnitPrice": price,
                      "ReversedConstructionServicesVatFree": False}
                     for index, (number, quantity, price) in enumerate(rows, start=1)], **fields}


# -- OAuth2 ---------------------------------------------------------------------------------------
def test_code_exchange_gives_an_hour_long_access_token_and_a_refresh_token(app, url, clock):
    response = exchange(url, app.issue_authorization_code())
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == ACCESS_TOKEN_LIFETIME == 3600
    assert tokens["refresh_token"] and "ea:api" in tokens["scope"].split()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{url}/v2/companysettings", headers=bearer).status_code == 200
    clock.advance(ACCESS_TOKEN_LIFETIME)
    expired = requests.get(f"{url}/v2/companysettings", headers=bearer)
    assert expired.status_code == 401
    assert expired.json()["ErrorCode"] == 4005 and set(expired.json()) == ERROR_KEYS


def test_a_code_is_used_once_and_must_name_its_redirect_uri(app, url):
    code = app.issue_authorization_code()
    assert exchange(url, code, redirect_uri="https://elsewhere.example/cb").json()["error"] == "invalid_grant"
    assert exchange(url, code).json()["error"] == "invalid_grant"  # spent by the failed attempt
    code = app.issue_authorization_code()
    assert exchange(url, code).status_code == 200
    assert exchange(url, code).status_code == 400


def test_wrong_client_secret_is_invalid_client(app, url):
    response = exchange(url, app.issue_authorization_code(), secret="wrong")
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"
    form_auth = requests.post(f"{url}/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": "x", "client_id": CLIENT_ID, "client_secret": "wrong"})
    assert form_auth.json()["error"] == "invalid_client"


def test_refresh_rotates_the_refresh_token(app, url):
    first = app.issue_tokens()
    second = refresh(url, first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    replayed = refresh(url, first["refresh_token"])  # "every new refresh token cancels the previous one"
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
    assert refresh(url, second.json()["refresh_token"]).status_code == 200


@pytest.mark.parametrize("kind", ["error_after_write", "drop_after_write"])
def test_refresh_applied_then_answer_lost_leaves_a_dead_refresh_token(app, url, kind):
    """Rotation without grace: the lost answer carried the only live refresh token."""
    first = app.issue_tokens()
    app.faults.add(kind, path="/connect/token", method="POST")
    if kind == "error_after_write":
        assert refresh(url, first["refresh_token"]).status_code == 503
    else:
        with pytest.raises(requests.ConnectionError):
            refresh(url, first["refresh_token"])
    assert not app.faults.faults, "the refresh was applied"
    replayed = refresh(url, first["refresh_token"])
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"


def test_no_refresh_token_without_offline_access(app):
    assert "refresh_token" not in app.issue_tokens(scopes=("ea:api", "ea:sales"))


def test_revoked_grant_stops_refresh_and_api_calls(app, url):
    tokens = app.issue_tokens()
    revoke = requests.post(f"{url}/connect/revocation", headers=basic(),
                           data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"})
    assert revoke.status_code == 200
    assert refresh(url, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    denied = requests.get(f"{url}/v2/customers", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert denied.status_code == 401 and denied.json()["ErrorCode"] == 4005


def test_user_disconnecting_the_app_revokes_every_grant(app, url):
    tokens = app.issue_tokens()
    app.revoke_grant()
    assert refresh(url, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_authorize_redirects_with_a_code_and_the_state(app, url):
    response = requests.get(f"{url}/connect/authorize", allow_redirects=False, params={
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": "ea:api offline_access ea:sales", "state": "xyz"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI) and "state=xyz" in location
    code = re.search(r"code=([^&]+)", location).group(1)
    assert exchange(url, code).status_code == 200


def test_missing_scope_is_forbidden(app, url):
    tokens = app.issue_tokens(scopes=("ea:api", "ea:accounting"))
    response = requests.get(f"{url}/v2/customers", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 403 and response.json()["ErrorCode"] == 4005


# -- paging and filters ---------------------------------------------------------------------------
def test_paging_meta_and_pages(app, url, api):
    app.seed(generate(products=10, orders=0))
    total = len(app.articles)
    first = api.get(f"{url}/v2/articles", params={"$pagesize": 4}).json()
    assert set(first["Meta"]) == META_KEYS
    assert first["Meta"]["CurrentPage"] == 1 and first["Meta"]["PageSize"] == 4
    assert first["Meta"]["TotalNumberOfResults"] == total
    assert first["Meta"]["TotalNumberOfPages"] == -(-total // 4)
    numbers = []
    for page in range(1, first["Meta"]["TotalNumberOfPages"] + 1):
        numbers += [article["Number"] for article in
                    api.get(f"{url}/v2/articles", params={"$page": page, "$pagesize": 4}).json()["Data"]]
    assert sorted(numbers) == sorted(article["Number"] for article in app.articles.values())
    default = api.get(f"{url}/v2/articles").json()["Meta"]
    assert default["PageSize"] == 50
    assert api.get(f"{url}/v2/articles", params={"$pagesize": 5000}).json()["Meta"]["PageSize"] == 1000


def test_filters_as_the_addon_uses_them(app, url, api):
    found = api.get(f"{url}/v2/customers", params={"$filter": "EmailAddress eq 'ANNA.svensson@example.se'"}).json()
    assert [customer["CustomerNumber"] for customer in found["Data"]] == ["2"]
    article = api.get(f"{url}/v2/articles", params={"$filter": "Number eq 'MUGG-01'"}).json()["Data"]
    assert [item["Name"] for item in article] == ["Mugg"]
    combined = api.get(f"{url}/v2/customers", params={
        "$filter": "IsPrivatePerson eq true and (InvoiceCountryCode eq 'DE' or startswith(Name, 'anna'))",
        "$orderby": "CustomerNumber desc"}).json()["Data"]
    assert [customer["CustomerNumber"] for customer in combined] == ["4", "2"]
    api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app, YourReference="O'Brien-7"))
    drafts = api.get(f"{url}/v2/customerinvoicedrafts", params={"$filter": "YourReference eq 'O''Brien-7'"}).json()
    assert drafts["Meta"]["TotalNumberOfResults"] == 1


def test_filter_on_unknown_property_is_refused(app, url, api):
    response = api.get(f"{url}/v2/customers", params={"$filter": "Email eq 'x'"})
    assert response.status_code == 400 and response.json()["ErrorCode"] == 2000


def test_vatcodes_is_a_plain_array(app, url, api):
    codes = api.get(f"{url}/v2/vatcodes").json()
    assert isinstance(codes, list) and {code["VatRate"] for code in codes} >= {0.25, 0.12, 0.06, 0.0}


# -- validation -----------------------------------------------------------------------------------
def test_validate_request_reports_the_swagger_rules():
    assert validate_request("GET", "/v2/customers?$page=2&$pagesize=50") == []
    problems = validate_request("POST", "/v2/articles", {"Number": "X" * 41, "Name": "Mug", "IsActive": "yes",
                                                         "NetPrice": 1.234, "Colour": "red"})
    assert "CodingId: required" in problems and "UnitId: required" in problems
    assert "Number: longer than 40 characters" in problems
    assert "IsActive: expected true or false, got 'yes'" in problems
    assert "NetPrice: 1.234 has more than 2 decimals" in problems
    assert "Colour: unknown property" in problems
    assert validate_request("GET", "/v2/customers/not-a-uuid") == [
        "path parameter customerId: 'not-a-uuid' is not a uuid"]
    assert validate_request("GET", "/v2/quotes")[0].endswith("is not an operation of the eAccounting API v2 swagger")
    assert validate_request("GET", "/v2/vatcodes?$page=1") == [
        "query parameter $page is not declared by GET /v2/vatcodes"]


def test_invalid_request_is_refused_with_the_vendor_error_body(app, url, api):
    body = draft_body(app)
    body["Rows"][0]["DiscountPercentage"] = 10  # a fraction: at most 1
    body["RotReducedInvoicingType"] = 5
    response = api.post(f"{url}/v2/customerinvoicedrafts", json=body)
    assert response.status_code == 400
    error = response.json()
    assert set(error) == ERROR_KEYS and error["ErrorCode"] == 2000
    assert "Rows[0].DiscountPercentage: 10 is above the maximum 1" in error["DeveloperErrorMessage"]
    assert "RotReducedInvoicingType" in error["DeveloperErrorMessage"]
    assert not app.drafts


def test_references_must_exist(app, url, api):
    body = draft_body(app)
    body["Rows"][0]["ArticleId"] = "00000000-0000-0000-0000-000000000001"
    response = api.post(f"{url}/v2/customerinvoicedrafts", json=body)
    assert response.status_code == 400 and response.json()["ErrorCode"] == 3000
    missing = api.get(f"{url}/v2/customers/00000000-0000-0000-0000-000000000001")
    assert missing.status_code == 404 and missing.json()["ErrorCode"] == 3000


# -- customers and articles -------------------------------------------------------------------------
def test_customer_create_numbers_and_conflicts(app, url, api):
    body = {"Name": "Nya Kunden AB", "InvoiceCity": "Malmö", "InvoicePostalCode": "21120", "InvoiceCountryCode": "SE",
            "TermsOfPaymentId": TERMS_IDS["30 dagar netto"], "IsPrivatePerson": False, "IsActive": True,
            "EmailAddress": "ny@kund.example"}
    created = api.post(f"{url}/v2/customers", json=body)
    assert created.status_code == 200
    customer = created.json()
    assert customer["CustomerNumber"] == "6" and customer["TermsOfPayment"]["NumberOfDays"] == 30
    assert customer["CurrencyCode"] == "SEK"
    duplicate = api.post(f"{url}/v2/customers", json={**body, "CustomerNumber": "6"})
    assert duplicate.status_code == 409 and duplicate.json()["ErrorCode"] == 4000
    replaced = api.put(f"{url}/v2/customers/{customer['Id']}", json={**body, "Name": "Nya Kunden AB (Malmö)"})
    assert replaced.json()["Name"] == "Nya Kunden AB (Malmö)" and replaced.json()["CustomerNumber"] == "6"


def test_article_number_is_unique_and_prices_complete_each_other(app, url, api):
    body = {"Number": "TE-01", "Name": "Te", "IsActive": True, "CodingId": CODING_IDS["Varor 12%"],
            "UnitId": UNIT_IDS["Styck"], "NetPrice": 100.0}
    article = api.post(f"{url}/v2/articles", json=body).json()
    assert article["GrossPrice"] == 112.0 and article["CodingName"] == "Varor 12%"
    assert article["UnitAbbreviation"] == "st"
    duplicate = api.post(f"{url}/v2/articles", json={**body, "Number": "te-01"})
    assert duplicate.status_code == 409 and duplicate.json()["ErrorCode"] == 4000


def test_article_put_replaces_the_stock_balance_too(app, url, api):
    app.set_stock("KAFFE-500", 12)
    article = api.get(f"{url}/v2/articles", params={"$filter": "Number eq 'KAFFE-500'"}).json()["Data"][0]
    body = {name: article[name] for name in ("Number", "Name", "IsActive", "CodingId", "UnitId", "NetPrice")}
    kept = api.put(f"{url}/v2/articles/{article['Id']}", json={**body, "StockBalance": article["StockBalance"]})
    assert kept.json()["StockBalance"] == 12.0
    assert api.put(f"{url}/v2/articles/{article['Id']}", json=body).json()["StockBalance"] == 0.0


# -- VAT and totals --------------------------------------------------------------------------------
def test_domestic_private_draft_prices_include_vat(app, url, api):
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app)).json()
    assert draft["IncludesVat"] is True
    assert draft["TotalAmount"] == 299.0 and draft["TotalVatAmount"] == 59.8
    assert draft["InvoiceCurrencyCode"] == "SEK" and draft["TotalAmountBaseCurrency"] == 299.0
    assert [row["account"] for row in app.vat_breakdown(draft["Id"])] == [3001, 3001]


def test_company_customer_prices_exclude_vat_and_rates_follow_the_coding(app, url, api):
    body = draft_body(app, customer="1", private=False,
                      rows=[("MUGG-01", 1, 100.0), ("KAFFE-500", 1, 100.0), ("BOK-01", 1, 100.0)])
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=body).json()
    assert draft["IncludesVat"] is False
    assert draft["TotalVatAmount"] == 43.0 and draft["TotalAmount"] == 343.0  # 25 + 12 + 6
    assert [row["rate"] for row in app.vat_breakdown(draft["Id"])] == [0.25, 0.12, 0.06]


def test_eu_business_is_reverse_charged_and_needs_a_vat_number(app, url, api):
    body = draft_body(app, customer="3", country="DE", private=False, rows=[("MUGG-01", 2, 10.0)])
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=body).json()
    assert draft["TotalVatAmount"] == 0.0 and draft["TotalAmount"] == 20.0 and draft["InvoiceCurrencyCode"] == "EUR"
    assert draft["TotalAmountBaseCurrency"] == 224.0
    assert app.vat_breakdown(draft["Id"])[0]["account"] == 3108
    app.customer_by_number("3")["VatNumber"] = None
    refused = api.post(f"{url}/v2/customerinvoicedrafts", json=body)
    assert refused.status_code == 400 and refused.json()["ErrorCode"] == 4002


def test_eu_private_person_pays_the_buyer_countrys_rate_under_oss(app, url, api):
    body = draft_body(app, customer="4", country="DE", rows=[("MUGG-01", 2, 11.9), ("KAFFE-500", 1, 10.7)])
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=body).json()
    assert draft["TotalAmount"] == 34.5 and draft["TotalVatAmount"] == 4.5  # 19 % and 7 % included
    assert [(row["rate"], row["account"]) for row in app.vat_breakdown(draft["Id"])] == [(0.19, 3110), (0.07, 3110)]
    finnish = api.post(f"{url}/v2/customerinvoicedrafts",
                       json=draft_body(app, customer="4", country="FI", rows=[("MUGG-01", 1, 100.0)])).json()
    assert finnish["TotalVatAmount"] == 20.32  # 25.5 % included: 100 x 0.255 / 1.255


def test_export_has_no_vat(app, url, api):
    body = draft_body(app, customer="5", country="NO", private=False, rows=[("MUGG-01", 3, 100.0)])
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=body).json()
    assert draft["TotalVatAmount"] == 0.0 and draft["TotalAmount"] == 300.0
    assert app.vat_breakdown(draft["Id"])[0]["account"] == 3105


def test_row_amounts_round_half_away_from_zero(app, url, api):
    body = draft_body(app, customer="1", private=False, rows=[("MUGG-01", 3, 0.35)])
    body["Rows"][0]["DiscountPercentage"] = 0.5  # 3 x 0.35 x 0.5 = 0.525 -> 0.53; VAT 0.1325 -> 0.13
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=body).json()
    assert draft["TotalAmount"] == 0.66 and draft["TotalVatAmount"] == 0.13


def test_totals_are_computed_not_taken_from_the_request(app, url, api):
    response = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app, TotalAmount=1.0, TotalVatAmount=0.0))
    assert response.json()["TotalAmount"] == 299.0


def test_credit_invoice_needs_negative_rows(app, url, api):
    credit = api.post(f"{url}/v2/customerinvoicedrafts",
                      json=draft_body(app, IsCreditInvoice=True, rows=[("MUGG-01", -1, 125.0)])).json()
    assert credit["TotalAmount"] == -125.0 and credit["TotalVatAmount"] == -25.0
    positive = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app, IsCreditInvoice=True))
    assert positive.status_code == 400 and positive.json()["ErrorCode"] == 4002
    negative = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app, rows=[("MUGG-01", -1, 125.0)]))
    assert negative.status_code == 400 and negative.json()["ErrorCode"] == 4002


# -- drafts: read, replace, delete, convert ----------------------------------------------------------
def test_draft_get_put_delete(app, url, api):
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app)).json()
    fetched = api.get(f"{url}/v2/customerinvoicedrafts/{draft['Id']}").json()
    assert fetched["Rows"][0]["ArticleNumber"] == "MUGG-01" and fetched["CustomerNumber"] == "2"
    replaced = api.put(f"{url}/v2/customerinvoicedrafts/{draft['Id']}", json=draft_body(app, rows=[("FRAKT", 1, 49.0)]))
    assert replaced.json()["TotalAmount"] == 49.0 and replaced.json()["Id"] == draft["Id"]
    assert api.delete(f"{url}/v2/customerinvoicedrafts/{draft['Id']}").status_code == 200
    assert api.get(f"{url}/v2/customerinvoicedrafts/{draft['Id']}").status_code == 404


def test_convert_checks_the_given_totals_and_makes_an_invoice(app, url, api):
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app)).json()
    wrong = api.post(f"{url}/v2/customerinvoicedrafts/{draft['Id']}/convert", json={"TotalAmountInvoiceCurrency": 300})
    assert wrong.status_code == 400 and wrong.json()["ErrorCode"] == 2000
    invoice = api.post(f"{url}/v2/customerinvoicedrafts/{draft['Id']}/convert", json={
        "TotalAmountInvoiceCurrency": 299.0, "TotalVatAmountInvoiceCurrency": 59.8,
        "Rows": [{"LineNumber": 1, "TotalAmountNoVatInvoiceCurrency": 200.0,
                  "TotalAmountIncVatInvoiceCurrency": 250.0}]}).json()
    assert invoice["InvoiceNumber"] == 1001 and invoice["TotalAmount"] == 299.0
    assert invoice["YourReference"] == "ORDER-1001"
    assert invoice["Rows"][0]["AmountNoVat"] == 200.0 and invoice["Rows"][0]["PercentVat"] == 0.25
    assert invoice["InvoiceDate"] == "2026-01-05T00:00:00" and invoice["DueDate"] == "2026-01-05T00:00:00"
    assert not app.drafts
    listed = api.get(f"{url}/v2/customerinvoices", params={"$filter": "InvoiceNumber eq 1001"}).json()
    assert listed["Data"][0]["Id"] == invoice["Id"]


def test_an_invoice_keeps_the_company_currency_beside_the_invoice_currency(app, url, api):
    body = draft_body(app, customer="3", country="DE", private=False, rows=[("MUGG-01", 2, 10.0)],
                      OurReference="SHOPSYNC:1:1001")
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=body).json()
    invoice = api.post(f"{url}/v2/customerinvoicedrafts/{draft['Id']}/convert", json={}).json()
    assert (invoice["CurrencyCode"], invoice["TotalAmountInvoiceCurrency"], invoice["TotalAmount"]) == ("EUR", 20.0,
                                                                                                          224.0)
    assert invoice["OurReference"] == draft["OurReference"]


def test_invoices_modified_since(app, url, api, clock):
    first = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app)).json()
    api.post(f"{url}/v2/customerinvoicedrafts/{first['Id']}/convert", json={})
    clock.advance(600)
    since = datetime.fromtimestamp(clock.now - 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    second = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app, YourReference="ORDER-1002")).json()
    api.post(f"{url}/v2/customerinvoicedrafts/{second['Id']}/convert", json={})
    recent = api.get(f"{url}/v2/customerinvoices", params={"modifiedSinceUtc": since}).json()["Data"]
    assert [invoice["YourReference"] for invoice in recent] == ["ORDER-1002"]
    invoices = api.get(f"{url}/v2/customerinvoices").json()["Data"]
    assert [invoice["InvoiceNumber"] for invoice in invoices] == [1001, 1002]


# -- orders, stock, reference data -------------------------------------------------------------------
def test_sales_order_amounts_are_computed(app, url, api):
    draft = draft_body(app, customer="1", private=False, rows=[("MUGG-01", 2, 100.0)])
    rows = [{key: value for key, value in row.items() if key != "ReversedConstructionServicesVatFree"}
            | {"IsWorkCost": False, "EligibleForReverseChargeOnVat": False} for row in draft["Rows"]]
    body = {key: draft[key] for key in ("CustomerId", "InvoiceCustomerName", "InvoicePostalCode", "InvoiceCity",
                                        "InvoiceCountryCode", "EuThirdParty", "CustomerIsPrivatePerson",
                                        "RotReducedInvoicingType")}
    body.update(Amount=0, VatAmount=0, RoundingsAmount=0, CurrencyCode="SEK", OrderDate="2026-01-05", Status=1,
                ReverseChargeOnConstructionServices=False, OurReference="SHOPSYNC:1:1001", Rows=rows)
    assert validate_request("POST", "/v2/orders", body) == []
    order = api.post(f"{url}/v2/orders", json=body).json()
    assert order["Amount"] == 250.0 and order["VatAmount"] == 50.0 and order["Number"] == 1
    found = api.get(f"{url}/v2/orders", params={"$filter": "OurReference eq 'SHOPSYNC:1:1001'"}).json()["Data"]
    assert [item["Id"] for item in found] == [order["Id"]]
    assert api.delete(f"{url}/v2/orders/{order['Id']}").status_code == 200 and not app.orders


def test_stock_changes_are_found_by_changed_utc(app, url, api, clock):
    clock.advance(600)
    since = datetime.fromtimestamp(clock.now - 1, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    app.set_stock("KAFFE-500", 17)
    changed = api.get(f"{url}/v2/articles", params={"$filter": f"ChangedUtc gt {since}"}).json()["Data"]
    assert [(article["Number"], article["StockBalanceAvailable"]) for article in changed] == [("KAFFE-500", 17.0)]


def test_invoices_move_the_stock(app, url, api):
    app.set_stock("MUGG-01", 10)
    draft = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app)).json()
    assert app.article_by_number("MUGG-01")["StockBalance"] == 10.0  # a draft does not
    api.post(f"{url}/v2/customerinvoicedrafts/{draft['Id']}/convert", json={})
    assert app.article_by_number("MUGG-01")["StockBalanceAvailable"] == 8.0
    credit = api.post(f"{url}/v2/customerinvoicedrafts",
                      json=draft_body(app, IsCreditInvoice=True, rows=[("MUGG-01", -1, 125.0)])).json()
    api.post(f"{url}/v2/customerinvoicedrafts/{credit['Id']}/convert", json={})
    assert app.article_by_number("MUGG-01")["StockBalance"] == 9.0


def test_reference_data_of_the_swedish_company(app, url, api):
    settings = api.get(f"{url}/v2/companysettings").json()
    assert settings["CountryCode"] == "SE" and settings["CurrencyCode"] == "SEK"
    assert settings["ShowPricesExclVatPC"] is False
    codings = api.get(f"{url}/v2/articleaccountcodings").json()["Data"]
    assert {coding["VatRatePercent"] for coding in codings} == {0.25, 0.12, 0.06, 0.0}
    terms = api.get(f"{url}/v2/termsofpayments").json()["Data"]
    assert api.get(f"{url}/v2/termsofpayments/{terms[0]['Id']}").json() == terms[0]
    assert api.get(f"{url}/v2/deliverymethods").json()["Meta"]["TotalNumberOfResults"] == 4
    assert {unit["Abbreviation"] for unit in api.get(f"{url}/v2/units").json()["Data"]} >= {"st", "kg"}
    years = api.get(f"{url}/v2/fiscalyears").json()["Data"]
    assert any(year["StartDate"].startswith("2026-01-01") for year in years)


def test_malformed_json_is_refused(app, url, api):
    response = api.post(f"{url}/v2/customers", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["ErrorCode"] == 2000


# -- rate limit and faults ---------------------------------------------------------------------------
def test_rate_limit_per_client_and_url(app, url, api, clock):
    app.requests_per_minute = 3
    for _ in range(3):
        assert api.get(f"{url}/v2/customers").status_code == 200
    limited = api.get(f"{url}/v2/customers")
    assert limited.status_code == 429
    assert limited.json()["ErrorCode"] == 4010 and set(limited.json()) == ERROR_KEYS
    message = limited.json()["DeveloperErrorMessage"]
    assert re.search(r"maximum admitted 3 per Minute\. Try again in 60 seconds\.", message)
    assert "Retry-After" not in limited.headers  # the documented answer has none: the wait is in the message
    assert api.get(f"{url}/v2/articles").status_code == 200  # another endpoint has its own quota
    clock.advance(60)
    assert api.get(f"{url}/v2/customers").status_code == 200


def test_error_after_write_stores_the_draft(app, url, api):
    app.faults.add("error_after_write", path="/v2/customerinvoicedrafts", method="POST")
    response = api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app))
    assert response.status_code == 503 and set(response.json()) == ERROR_KEYS
    found = api.get(f"{url}/v2/customerinvoicedrafts", params={"$filter": "YourReference eq 'ORDER-1001'"}).json()
    assert found["Meta"]["TotalNumberOfResults"] == 1


def test_drop_after_write_stores_the_draft(app, url, api):
    app.faults.add("drop_after_write", path="/v2/customerinvoicedrafts", method="POST")
    with pytest.raises(requests.ConnectionError):
        api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app))
    assert len(app.drafts) == 1


def test_refusing_faults_apply_nothing(app, url, api):
    app.faults.add("error", path="/v2/customerinvoicedrafts", method="POST", status=500)
    app.faults.add("rate_limit", path="/v2/customers", retry_after=7)
    assert api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app)).status_code == 500
    assert not app.drafts
    limited = api.get(f"{url}/v2/customers")
    assert limited.status_code == 429 and "Try again in 7 seconds." in limited.json()["DeveloperErrorMessage"]


def test_request_log_keeps_every_api_call(app, url, api):
    api.post(f"{url}/v2/customerinvoicedrafts", json=draft_body(app))
    api.get(f"{url}/v2/customers", params={"$page": 1})
    assert [(entry["method"], entry["path"], entry["status"]) for entry in app.request_log] == [
        ("POST", "/v2/customerinvoicedrafts", 200), ("GET", "/v2/customers?%24page=1", 200)]
    assert app.request_log[0]["body"]["YourReference"] == "ORDER-1001"


def test_seed_adds_an_article_per_sku(app):
    catalogue = generate(products=5, orders=0)
    app.seed(catalogue)
    skus = [item.sku for product in catalogue.products for item in product.variants or [product]]
    article = app.article_by_number(skus[0])
    assert article["CodingId"] == CODING_IDS["Varor 25%"] and article["GrossPrice"] > article["NetPrice"]


# -- quote drafts (outside the 2018 swagger: simulators.eaccounting_swagger.QUOTE_SUPPLEMENT) ---------
def quote_body(app, customer="2", rows=None, **fields):
    rows = rows if rows is not None else [("MUGG-01", 2, 125.0), ("FRAKT", 1, 49.0)]
    return {"CustomerId": app.customer_by_number(customer)["Id"], "QuoteDate": "2026-01-05",
            "RotReducedInvoicingType": 0, "EuThirdParty": False,
            "Rows": [{"Text": "SHOPSYNC:1:1001"}] + [
                {"ArticleId": app.article_by_number(number)["Id"], "Text": number, "Quantity": quantity,
                 "UnitPrice": price} for number, quantity, price in rows], **fields}


def test_quote_draft_create_get_list_delete(app, url, api):
    created = api.post(f"{url}/v2/quotedrafts", json=quote_body(app))
    assert created.status_code == 200, created.text
    quote = created.json()
    # the customer (Anna Svensson, a Swedish private person) decides country, kind and currency
    assert (quote["Status"], quote["CurrencyCode"], quote["CustomerIsPrivatePerson"], quote["IncludesVat"],
            quote["InvoiceCountryCode"]) == (0, "SEK", True, True, "SE")
    assert (quote["TotalAmount"], quote["VatAmount"], quote["RoundingsAmount"]) == (299.0, 59.8, 0.0)
    assert [(row["LineNumber"], row["IsTextRow"], row["Text"]) for row in quote["Rows"]][0] == (
        1, True, "SHOPSYNC:1:1001")
    assert api.get(f"{url}/v2/quotedrafts/{quote['Id']}").json()["Number"] == quote["Number"]
    listed = api.get(f"{url}/v2/quotedrafts", params={"$filter": "QuoteDate eq 2026-01-05T00:00:00Z"}).json()
    assert [item["Id"] for item in listed["Data"]] == [quote["Id"]]
    assert not api.get(f"{url}/v2/quotedrafts", params={"$filter": "QuoteDate eq 2026-01-06T00:00:00Z"}).json()["Data"]
    assert api.delete(f"{url}/v2/quotedrafts/{quote['Id']}").status_code == 200
    assert api.get(f"{url}/v2/quotedrafts/{quote['Id']}").status_code == 404


def test_quote_draft_refuses_what_its_swagger_marks_read_only_or_requires(app, url, api):
    body = quote_body(app, InvoiceCountryCode="DE", OurReference="X")
    body["Rows"][1]["LineNumber"] = 1
    answer = api.post(f"{url}/v2/quotedrafts", json=body)
    assert answer.status_code == 400 and answer.json()["ErrorCode"] == 2000
    message = answer.json()["DeveloperErrorMessage"]
    assert "InvoiceCountryCode: read-only" in message and "OurReference: unknown property" in message
    assert "Rows[1].LineNumber: read-only" in message
    missing = api.post(f"{url}/v2/quotedrafts", json={"QuoteDate": "2026-01-05"})
    assert "CustomerId: required" in missing.json()["DeveloperErrorMessage"]
    assert not app.quotes


def test_quote_draft_of_a_foreign_private_person_is_booked_under_oss(app, url, api):
    quote = api.post(f"{url}/v2/quotedrafts", json=quote_body(app, customer="4", rows=[("MUGG-01", 1, 100.0)])).json()
    assert (quote["CurrencyCode"], quote["InvoiceCountryCode"], quote["VatAmount"]) == ("EUR", "DE", 15.97)


def test_error_after_write_stores_the_quote_draft(app, url, api):
    app.faults.add("error_after_write", path="/v2/quotedrafts", method="POST")
    assert api.post(f"{url}/v2/quotedrafts", json=quote_body(app)).status_code == 503
    assert len(app.quotes) == 1
