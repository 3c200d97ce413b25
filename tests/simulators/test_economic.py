"""e-conomic REST API simulator, exercised over real HTTP like a connector would."""

import os
import re
from pathlib import Path

import pytest
import requests

from simulators.common import SimulatorServer
from simulators.economic import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN, EconomicSimulator
from simulators.seed import generate

SPECS = Path(os.environ.get("SHOP_SYNC_SPECS") or Path(__file__).resolve().parents[2].parent / "shared" / "specs")
ERROR_KEYS = {"message", "errorCode", "developerHint", "logId", "httpStatusCode", "logTime"}
START = 1_767_614_400.0  # 2026-01-05T12:00:00Z


class Clock:
    """Replaceable simulator clock (epoch seconds)."""

    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(scope="module")
def server():
    """One server for the module (stopping one takes half a second); tests reset its app."""
    with SimulatorServer(EconomicSimulator()) as running:
        yield running


@pytest.fixture
def app(server, clock):
    server.app.reset()
    server.app.faults.clear()
    server.app.clock = clock
    return server.app


@pytest.fixture
def url(app, server):
    return server.url


@pytest.fixture
def api():
    session = requests.Session()
    session.headers.update({"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": AGREEMENT_GRANT_TOKEN})
    return session


def customer_body(name="Hygge ApS", zone=1, **fields):
    return {"name": name, "currency": "DKK", "customerGroup": {"customerGroupNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": zone}, **fields}


def draft_body(customer=1, zone=1, reference="order-1001", lines=None, **fields):
    return {"date": "2026-01-05", "currency": "DKK", "customer": {"customerNumber": customer},
            "layout": {"layoutNumber": 19}, "paymentTerms": {"paymentTermsNumber": 1},
            "recipient": {"name": "Hygge ApS", "vatZone": {"vatZoneNumber": zone}},
            "references": {"other": reference},
            "lines": lines if lines is not None else [
                {"product": {"productNumber": "MUG"}, "description": "Mug", "quantity": 2},
                {"description": "Shipping", "quantity": 1, "unitNetPrice": 50, "discountPercentage": 10},
            ], **fields}


@pytest.fixture
def shop(app, url, api):
    """One domestic customer and one product with stock."""
    assert api.post(f"{url}/customers", json=customer_body(email="anna@example.com")).status_code == 201
    product = {"productNumber": "MUG", "name": "Mug", "salesPrice": 100, "costPrice": 40,
               "productGroup": {"productGroupNumber": 1}, "unit": {"unitNumber": 1}}
    assert api.post(f"{url}/products", json=product).status_code == 201
    app.set_inventory("MUG", 10)
    return url


def assert_error(response, status):
    assert response.status_code == status
    body = response.json()
    assert ERROR_KEYS <= set(body) and body["httpStatusCode"] == status
    return body


def property_errors(node):
    return node["errors"]


def documented(doc, endpoint, heading):
    text = (SPECS / "economic" / "docs" / doc).read_text()
    section = re.split(rf"</span> {re.escape(endpoint)}\s*\n", text, maxsplit=1)[1].split("\n### ", 1)[0]
    return {name.strip() for name in section.split(f"#### {heading}\n\n", 1)[1].split("\n", 1)[0].split(",")}


# -- auth, media type -----------------------------------------------------------------------
def test_missing_and_wrong_tokens_are_refused(url):
    assert_error(requests.get(f"{url}/customers"), 401)
    headers = {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": "revoked"}
    body = assert_error(requests.get(f"{url}/customers", headers=headers), 401)
    assert "AgreementGrantToken" in body["message"] and body["errorCode"] == "E00401"
    headers = {"X-AppSecretToken": "wrong", "X-AgreementGrantToken": AGREEMENT_GRANT_TOKEN}
    assert_error(requests.get(f"{url}/customers", headers=headers), 401)


def test_demo_tokens_are_read_only(url):
    demo = {"X-AppSecretToken": "demo", "X-AgreementGrantToken": "demo"}
    assert requests.get(f"{url}/vat-zones", headers=demo).status_code == 200
    assert_error(requests.post(f"{url}/customers", json=customer_body(), headers=demo), 403)


def test_writes_require_json_content_type(url, api):
    response = api.post(f"{url}/customers", data="name=x", headers={"Content-Type": "text/plain"})
    assert_error(response, 415)
    assert_error(api.post(f"{url}/customers", data="{not json", headers={"Content-Type": "application/json"}), 400)


# -- reference data -------------------------------------------------------------------------
def test_reference_data_is_seeded_with_links(url, api):
    zones = api.get(f"{url}/vat-zones").json()["collection"]
    assert [(zone["vatZoneNumber"], zone["name"]) for zone in zones] == [
        (1, "Domestic"), (2, "EU"), (3, "Abroad"), (4, "Domestic exempt")]
    assert zones[0]["enabledForCustomer"] and "enabledForSupplier" not in zones[3]  # false booleans omitted
    assert zones[0]["self"] == f"{url}/vat-zones/1"
    assert api.get(f"{url}/layouts/19").json()["name"] == "Standard"
    terms = {term["name"]: term["paymentTermsType"] for term in api.get(f"{url}/payment-terms").json()["collection"]}
    assert terms["Kontant"] == "paidInCash" and terms["Netto 8 dage"] == "net"
    assert api.get(f"{url}/units/1").json() == {"unitNumber": 1, "name": "stk.", "self": f"{url}/units/1"}
    assert api.get(f"{url}/accounts/1010").json()["vatAccount"]["self"] == f"{url}/vat-accounts/U25"
    assert api.get(f"{url}/customer-groups/1").json()["account"]["accountNumber"] == 5600
    assert api.get(f"{url}/currencies/EUR").json()["isoNumber"] == "978"
    sales = api.get(f"{url}/product-groups/1/sales-accounts").json()["collection"]
    assert {item["vatZone"]["vatZoneNumber"]: item["salesAccount"]["accountNumber"] for item in sales} == {
        1: 1010, 2: 1020, 3: 1030, 4: 1040}
    assert api.get(f"{url}/self").json()["settings"]["baseCurrency"] == "DKK"
    assert_error(api.get(f"{url}/layouts/99"), 404)


# -- customers ------------------------------------------------------------------------------
def test_customer_create_and_replace(app, url, api, clock):
    created = api.post(f"{url}/customers", json=customer_body(email="anna@example.com"))
    assert created.status_code == 201 and created.headers["Location"] == f"{url}/customers/1"
    assert created.json()["lastUpdated"] == "2026-01-05T12:00:00Z"
    assert api.post(f"{url}/customers", json=customer_body(customerNumber=500)).json()["customerNumber"] == 500
    assert api.post(f"{url}/customers", json=customer_body()).json()["customerNumber"] == 501
    clock.now += 60
    replaced = api.put(f"{url}/customers/1", json=customer_body(name="Hygge A/S", city="Aarhus"))
    assert replaced.status_code == 200
    assert app.customers[1]["name"] == "Hygge A/S" and "email" not in app.customers[1]  # PUT overwrites
    assert replaced.json()["lastUpdated"] == "2026-01-05T12:01:00Z"
    assert_error(api.put(f"{url}/customers/77", json=customer_body()), 404)


def test_customer_validation_mirrors_the_body(app, url, api):
    body = {"name": "X" * 256, "currency": "DKK", "customerGroup": {"customerGroupNumber": 9},
            "vatZone": {"self": f"{url}/vat-zones/1"}}
    errors = assert_error(api.post(f"{url}/customers", json=body), 400)
    assert errors["errorCode"] == "E04300" and errors["errorCount"] == 3
    assert property_errors(errors["errors"]["paymentTerms"])[0]["errorCode"] == "E04100"
    assert property_errors(errors["errors"]["name"])[0]["errorCode"] == "E04220"
    group_error = property_errors(errors["errors"]["customerGroup"])[0]
    assert group_error == {"propertyName": "customerGroup", "errorMessage": "customerGroup does not exist.",
                           "errorCode": "E06000", "inputValue": 9,
                           "developerHint": f"Find a list of resources at {url}/customer-groups."}
    nulls = assert_error(api.post(f"{url}/customers", json=customer_body(email=None)), 400)
    assert "email" in nulls["errors"] and not app.customers


# -- collections: paging, filtering, sorting ------------------------------------------------
def test_paging_walks_every_customer_once(url, api):
    for index in range(23):
        api.post(f"{url}/customers", json=customer_body(name=f"Customer {index}"))
    seen, link, pages = [], f"{url}/customers?pagesize=7", 0
    while link:
        page = api.get(link).json()
        seen += [customer["customerNumber"] for customer in page["collection"]]
        pagination = page["pagination"]
        assert pagination["maxPageSizeAllowed"] == 1000 and pagination["results"] == 23
        link = pagination.get("nextPage")
        pages += 1
    assert sorted(seen) == seen == list(range(1, 24)) and pages == 4
    assert pagination["lastPage"] == f"{url}/customers?skippages=3&pagesize=7"
    assert pagination["previousPage"] == f"{url}/customers?skippages=2&pagesize=7"
    assert page["self"] == f"{url}/customers?skippages=3&pagesize=7"
    assert_error(api.get(f"{url}/customers", params={"pagesize": 1001}), 400)


def test_filters(url, api, clock):
    names = ["Hygge ApS", "Blomst A/S", "Kontor GmbH", "Fiets BV", "Nord AB", "Atlas (US) Inc"]
    for index, name in enumerate(names):
        clock.now = START + index * 3600
        api.post(f"{url}/customers", json=customer_body(name=name, email=f"c{index}@example.com",
                                                        city="Aarhus" if index % 2 else "Berlin"))

    def numbers(expression, **params):
        response = api.get(f"{url}/customers", params={"filter": expression, **params})
        assert response.status_code == 200, response.json()
        return [customer["customerNumber"] for customer in response.json()["collection"]]

    assert numbers("name$like:hygge") == [1]  # no wildcard: contains, case-insensitive
    assert numbers("name$like:*ab") == [5]
    assert numbers("email$eq:C2@EXAMPLE.COM") == [3]
    assert numbers("name$eq:Atlas $(US$) Inc") == [6]  # escaped parentheses
    assert numbers("city$eq:Aarhus$and:name$like:b") == [2, 4]
    assert numbers("name$eq:Nord AB$or:name$eq:Fiets BV") == [4, 5]
    assert numbers("city$eq:Berlin$and:(customerNumber$eq:1$or:customerNumber$eq:5)") == [1, 5]
    assert numbers("customerNumber$eq:1$or:customerNumber$gt:4$and:city$eq:Aarhus") == [1, 6]  # $and binds first
    assert numbers("customerNumber$in:[2,3,99]") == [2, 3]
    assert numbers("customerNumber$nin:[2,3]$and:customerNumber$lte:4") == [1, 4]
    assert numbers("lastUpdated$gt:2026-01-05T14:00:00Z") == [4, 5, 6]
    assert numbers("vatNumber$eq:$null:") == [1, 2, 3, 4, 5, 6]
    assert numbers("city$eq:Aarhus", sort="-name") == [4, 2, 6]
    for bad in ("mobilePhone$eq:1", "name$in:[a]", "name$eq", "customerNumber$gt:abc"):
        body = assert_error(api.get(f"{url}/customers", params={"filter": bad}), 400)
        assert body["errorCode"] == "E00400"
    assert_error(api.get(f"{url}/customers", params={"sort": "barred"}), 400)


# -- draft invoices and booking -------------------------------------------------------------
def test_draft_missing_required_fields_is_rejected(app, shop, api):
    body = draft_body()
    del body["layout"]
    del body["recipient"]["vatZone"]
    body["lines"][0]["product"] = {"productNumber": "NOPE"}
    errors = assert_error(api.post(f"{shop}/invoices/drafts", json=body), 400)
    assert errors["message"] == "Validation failed. 3 errors found."
    assert property_errors(errors["errors"]["layout"])[0]["propertyName"] == "layout"
    assert property_errors(errors["errors"]["recipient"]["vatZone"])[0]["errorCode"] == "E04100"
    line = errors["errors"]["lines"][0]
    assert line["arrayIndex"] == 0 and property_errors(line["product"])[0]["errorCode"] == "E06000"
    assert not app.drafts


def test_domestic_draft_totals(shop, api):
    created = api.post(f"{shop}/invoices/drafts", json=draft_body())
    assert created.status_code == 201
    draft = api.get(created.headers["Location"]).json()
    # VAT only on the product line (group 1's domestic account 1010, U25); the line without product has none
    assert (draft["netAmount"], draft["vatAmount"], draft["grossAmount"]) == (245.0, 50.0, 295.0)
    assert draft["roundingAmount"] == 0.0 and draft["dueDate"] == "2026-01-13"
    product_line, text_line = draft["lines"]
    assert product_line["unitNetPrice"] == 100.0 and product_line["unit"]["name"] == "stk."  # product defaults
    assert text_line["totalNetAmount"] == 45.0 and "product" not in text_line
    assert draft["marginInBaseCurrency"] == 165.0
    assert draft["templates"]["bookingInstructions"].endswith("/invoices/drafts/1/templates/booking-instructions")


def test_eu_draft_has_no_vat_and_converts_to_base_currency(shop, api):
    draft = api.post(f"{shop}/invoices/drafts", json=draft_body(zone=2, currency="EUR")).json()
    assert (draft["netAmount"], draft["vatAmount"], draft["grossAmount"]) == (245.0, 0.0, 245.0)
    assert draft["exchangeRate"] == 746.1 and draft["netAmountInBaseCurrency"] == 1827.95


def product_in_group(api, url, number, group, price):
    body = {"productNumber": number, "name": number, "salesPrice": price, "productGroup": {"productGroupNumber": group}}
    assert api.post(f"{url}/products", json=body).status_code == 201


def test_vat_comes_from_the_groups_sales_account_for_the_zone_and_its_vat_code(app, shop, api):
    """Group 11 (OSS NL) books zone EU on account 1051 (VAT code NL21, 21 %); group 1 books zone EU on 1020
    (UEUV, reverse charge, 0 %) and zone Abroad on 1030 (no VAT code); the same group 11 at home is U25."""
    product_in_group(api, shop, "MUG-NL", 11, 100)
    cases = [("MUG-NL", 2, 42.0), ("MUG", 2, 0.0), ("MUG", 3, 0.0), ("MUG-NL", 1, 50.0), ("MUG", 4, 0.0)]
    for product, zone, vat in cases:
        lines = [{"product": {"productNumber": product}, "description": "Mug", "quantity": 2}]
        draft = api.post(f"{shop}/invoices/drafts",
                         json=draft_body(zone=zone, lines=lines, reference=f"{product}{zone}"))
        assert draft.status_code == 201, draft.text
        assert (draft.json()["vatAmount"], draft.json()["grossAmount"]) == (vat, 200.0 + vat), (product, zone)
    assert api.get(f"{shop}/accounts/1051").json()["vatAccount"]["vatCode"] == "NL21"
    assert api.get(f"{shop}/vat-accounts/NL21").json()["ratePercentage"] == 21.0
    sales = api.get(f"{shop}/product-groups/11/sales-accounts").json()["collection"]
    assert {item["vatZone"]["vatZoneNumber"]: item["salesAccount"]["vatAccount"]["vatCode"] for item in sales
            if "vatAccount" in item["salesAccount"]} == {1: "U25", 2: "NL21"}


def test_vat_is_rounded_per_line_and_summed(app, shop, api):
    """Three lines of 0.10 at 25 % VAT: 0.025 each, 0.03 per line (half away from zero), 0.09 in all
    (0.08 on the invoice total); a negative line rounds away from zero too; booking keeps the amounts."""
    product_in_group(api, shop, "PIN", 1, 0.1)
    lines = [{"product": {"productNumber": "PIN"}, "description": "Pin", "quantity": 1} for _ in range(3)]
    lines.append({"product": {"productNumber": "PIN"}, "description": "Refund", "quantity": 1, "unitNetPrice": -0.1})
    draft = api.post(f"{shop}/invoices/drafts", json=draft_body(lines=lines)).json()
    assert (draft["netAmount"], draft["vatAmount"], draft["grossAmount"]) == (0.2, 0.06, 0.26)
    booked = api.post(f"{shop}/invoices/booked", json={"draftInvoice": {"draftInvoiceNumber": 1}}).json()
    assert [line["vatAmount"] for line in booked["lines"]] == [0.03, 0.03, 0.03, -0.03]
    assert booked["vatAmount"] == 0.06


def test_reduced_oss_rate_and_every_oss_country_of_the_seed(app, shop, api):
    sales = {}
    for group in [item["productGroupNumber"] for item in api.get(f"{shop}/product-groups").json()["collection"]]:
        for item in api.get(f"{shop}/product-groups/{group}/sales-accounts").json()["collection"]:
            code = item["salesAccount"].get("vatAccount", {}).get("vatCode")
            if item["vatZone"]["vatZoneNumber"] == 2 and code:
                sales[group] = (code, api.get(f"{shop}/vat-accounts/{code}").json()["ratePercentage"])
    assert {code: rate for code, rate in sales.values()} == {
        "UEUV": 0.0, "UEUY": 0.0, "NL21": 21.0, "DE19": 19.0, "DE7": 7.0, "SE25": 25.0, "FR20": 20.0, "FR55": 5.5}
    product_in_group(api, shop, "BOOK-FR", 16, 20)
    lines = [{"product": {"productNumber": "BOOK-FR"}, "description": "Livre", "quantity": 1}]
    assert api.post(f"{shop}/invoices/drafts", json=draft_body(zone=2, lines=lines)).json()["vatAmount"] == 1.1


def test_vat_accounts_and_product_groups_are_paged(shop, api):
    first = api.get(f"{shop}/vat-accounts", params={"pagesize": 4}).json()
    assert len(first["collection"]) == 4 and first["pagination"]["results"] == 10
    codes = [account["vatCode"] for account in first["collection"]]
    page = first
    while "nextPage" in page["pagination"]:
        page = api.get(page["pagination"]["nextPage"]).json()
        codes += [account["vatCode"] for account in page["collection"]]
    assert len(set(codes)) == 10 and first["collection"][0]["vatType"]["vatTypeNumber"] in (1, 2)
    groups = api.get(f"{shop}/product-groups").json()["collection"]
    assert groups[0]["salesAccounts"] == f"{shop}/product-groups/1/sales-accounts"


def test_group_without_sales_account_for_the_zone_or_unknown_vat_code_is_refused(app, shop, api):
    app.sales_accounts[1].pop(3)
    lines = [{"product": {"productNumber": "MUG"}, "description": "Mug", "quantity": 1}]
    refused = assert_error(api.post(f"{shop}/invoices/drafts", json=draft_body(zone=3, lines=lines)), 400)
    error = property_errors(refused["errors"]["lines"][0]["product"])[0]
    assert error["errorCode"] == "E04200" and "no sales account for VAT zone 3" in error["errorMessage"]
    del app.vat_accounts["U25"]
    refused = assert_error(api.post(f"{shop}/invoices/drafts", json=draft_body(lines=lines)), 400)
    assert "VAT code U25, which does not exist" in property_errors(refused["errors"]["lines"][0]["product"])[0][
        "errorMessage"]
    assert not app.drafts


def test_booking_moves_draft_to_booked(app, shop, api):
    api.post(f"{shop}/invoices/drafts", json=draft_body())
    instructions = api.get(f"{shop}/invoices/drafts/1/templates/booking-instructions").json()
    booked = api.post(f"{shop}/invoices/booked", json={"draftInvoice": instructions["draftInvoice"]})
    assert booked.status_code == 201
    invoice = booked.json()
    assert invoice["bookedInvoiceNumber"] == 1 and invoice["grossAmount"] == 295.0
    assert [(line["vatRate"], line["vatAmount"]) for line in invoice["lines"]] == [(25.0, 50.0), (0.0, 0.0)]
    assert not app.drafts and api.get(f"{shop}/invoices/booked/1").json()["references"]["other"] == "order-1001"
    assert_error(api.get(f"{shop}/invoices/drafts/1"), 404)
    assert app.products["MUG"]["inventory"]["available"] == 8.0 and app.customers[1]["balance"] == 295.0
    again = assert_error(api.post(f"{shop}/invoices/booked", json={"draftInvoice": {"draftInvoiceNumber": 1}}), 400)
    assert property_errors(again["errors"]["draftInvoice"])[0]["errorCode"] == "E06000"
    api.post(f"{shop}/invoices/drafts", json=draft_body(reference="order-1002"))
    assert api.put(f"{shop}/invoices/booked/7", json={"draftInvoice": {"draftInvoiceNumber": 2}}).status_code == 201
    assert sorted(app.booked) == [1, 7]


def test_find_drafts_and_booked_invoices_by_order_reference(shop, api):
    for reference in ("order-1001", "order-1002", "order-1003"):
        api.post(f"{shop}/invoices/drafts", json=draft_body(reference=reference))
    found = api.get(f"{shop}/invoices/drafts", params={"filter": "references.other$eq:order-1002"}).json()
    assert [draft["draftInvoiceNumber"] for draft in found["collection"]] == [2]
    assert "lines" not in found["collection"][0]  # only the single resource carries lines
    api.post(f"{shop}/invoices/booked", json={"draftInvoice": {"draftInvoiceNumber": 2}})
    params = {"filter": "references.other$eq:order-1002"}
    assert api.get(f"{shop}/invoices/drafts", params=params).json()["collection"] == []
    assert [invoice["bookedInvoiceNumber"] for invoice in
            api.get(f"{shop}/invoices/booked", params=params).json()["collection"]] == [1]


def test_replace_and_delete_draft(app, shop, api):
    api.post(f"{shop}/invoices/drafts", json=draft_body())
    replaced = api.put(f"{shop}/invoices/drafts/1", json=draft_body(lines=[{"description": "Gift", "quantity": 1,
                                                                            "unitNetPrice": 80}]))
    assert replaced.status_code == 200 and replaced.json()["grossAmount"] == 80.0  # no product: no VAT
    deleted = api.delete(f"{shop}/invoices/drafts/1").json()
    assert deleted["deletedCount"] == 1 and not app.drafts


def test_drop_after_write_leaves_the_draft_created(app, shop, api):
    app.faults.add("drop_after_write", path="/invoices/drafts", method="POST")
    with pytest.raises(requests.ConnectionError):
        api.post(f"{shop}/invoices/drafts", json=draft_body(reference="order-2001"))
    found = api.get(f"{shop}/invoices/drafts", params={"filter": "references.other$eq:order-2001"}).json()
    assert found["pagination"]["results"] == 1 and len(app.drafts) == 1


def test_error_after_write_leaves_the_draft_created_and_answers_504(app, shop, api):
    app.faults.add("error_after_write", status=504, path="/invoices/drafts", method="POST")
    response = api.post(f"{shop}/invoices/drafts", json=draft_body(reference="order-2002"))
    assert response.status_code == 504 and set(response.json()) >= {"message", "httpStatusCode"}
    found = api.get(f"{shop}/invoices/drafts", params={"filter": "references.other$eq:order-2002"}).json()
    assert found["pagination"]["results"] == 1 and len(app.drafts) == 1
    assert not app.faults.faults, "used once"


# -- products and inventory -----------------------------------------------------------------
def test_products_inventory_and_self_link_encoding(app, shop, api, clock):
    clock.now += 3600
    body = {"productNumber": "Gift card_5%", "name": "Gift card", "productGroup": {"productGroupNumber": 2},
            "inventory": {"available": 99, "packageVolume": 1.5}}
    created = api.post(f"{shop}/products", json=body).json()
    assert created["self"] == f"{shop}/products/Gift_9_card_8_5_3_"
    assert created["inventory"]["available"] == 0.0 and created["inventory"]["packageVolume"] == 1.5  # read-only
    assert api.get(created["self"]).json()["productGroup"]["name"] == "Ydelser m/moms"
    assert api.put(created["self"], json={**body, "name": "Gift card 2"}).status_code == 200
    clock.now += 3600
    app.set_inventory("MUG", 4, in_stock=6)
    changed = api.get(f"{shop}/products", params={"filter": "lastUpdated$gt:2026-01-05T13:30:00Z"}).json()
    assert [product["productNumber"] for product in changed["collection"]] == ["MUG"]
    inventory = changed["collection"][0]["inventory"]
    assert (inventory["available"], inventory["inStock"], inventory["orderedByCustomers"]) == (4.0, 6.0, 2.0)
    duplicate = assert_error(api.post(f"{shop}/products", json=body), 400)
    assert property_errors(duplicate["errors"]["productNumber"])[0]["errorCode"] == "E04210"


def test_seed_creates_a_product_per_sku(app):
    catalogue = generate(products=6, variant_share=0.5)
    app.seed(catalogue)
    skus = {variant.sku for product in catalogue.products for variant in product.variants or [product]}
    assert set(app.products) == skus
    variant = next(variant for product in catalogue.products for variant in product.variants)
    assert app.products[variant.sku]["inventory"]["available"] == variant.stock


def test_snapshot_is_served_by_the_control_api(app, shop):
    state = requests.get(f"{shop}/_sim/state").json()
    assert [customer["customerNumber"] for customer in state["customers"]] == [1]
    assert state == app.snapshot()


# -- rate limiting --------------------------------------------------------------------------
def test_rate_limit_answers_429_with_retry_after(clock, api):
    app = EconomicSimulator(requests_per_second=2)
    app.clock = clock
    with SimulatorServer(app) as server:
        assert [api.get(f"{server.url}/units").status_code for _ in range(2)] == [200, 200]
        limited = api.get(f"{server.url}/units")
        assert_error(limited, 429)
        assert limited.headers["Retry-After"] == "1"
        clock.now += 1
        assert api.get(f"{server.url}/units").status_code == 200


def test_injected_rate_limit_uses_the_error_shape(app, url, api):
    app.faults.add("rate_limit", retry_after=3)
    limited = api.get(f"{url}/units")
    assert assert_error(limited, 429)["errorCode"] == "E00429" and limited.headers["Retry-After"] == "3"


# -- conformance with the vendor docs -------------------------------------------------------
@pytest.mark.skipif(not (SPECS / "economic").is_dir(), reason="vendor specs not available")
@pytest.mark.parametrize("doc, endpoint, path", [
    ("_customers.md", "/customers", "customers"), ("_products.md", "/products", "products"),
    ("_invoices.md", "/invoices/drafts", "invoices/drafts"), ("_invoices.md", "/invoices/booked", "invoices/booked"),
    ("_accounts.md", "/accounts", "accounts"), ("_customer-groups.md", "/customer-groups", "customer-groups"),
])
def test_filterable_and_sortable_fields_match_the_docs(doc, endpoint, path):
    from simulators.economic import COLLECTION_BY_PATH

    spec = COLLECTION_BY_PATH[path]
    assert set(spec.filterable) == documented(doc, endpoint, "Filterable properties")
    assert set(spec.sortable) == documented(doc, endpoint, "Sortable properties")
