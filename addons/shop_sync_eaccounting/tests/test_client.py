"""EAccountingClient and VismaIdentity against the eAccounting simulator over HTTP: the OAuth2 code
exchange and refresh, paging by $page/$pagesize, OData filters, error bodies, 429 with the wait named
in the message, a new token after 401, and no credential in any message.  Every request sent is
valid against the swagger."""

import pytest

from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_eaccounting.services.client import (
    AuthorisationError,
    EAccountingClient,
    VismaIdentity,
    all_of,
    eq,
)
from simulators.common import SimulatorServer
from simulators.eaccounting import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, EAccountingSimulator, validate_request


@pytest.fixture(scope="module")
def server():
    with SimulatorServer(EAccountingSimulator(requests_per_minute=0)) as running:
        yield running


@pytest.fixture
def sim(server):
    server.app.reset()
    server.app.faults.clear()
    yield server.app
    problems = [(entry["method"], entry["path"], validate_request(entry["method"], entry["path"], entry["body"]))
                for entry in server.app.request_log]
    assert not [problem for problem in problems if problem[2]], "requests invalid against the swagger"


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def identity(server, sleeps):
    return VismaIdentity(CLIENT_ID, CLIENT_SECRET, base_url=server.url, sleep=sleeps.append)


@pytest.fixture
def tokens(sim, identity):
    return {"token": identity.exchange_code(sim.issue_authorization_code(), REDIRECT_URI), "forced": 0}


@pytest.fixture
def client(server, identity, tokens, sleeps):
    def access_token(force=False):
        if force:
            tokens["forced"] += 1
            tokens["token"] = identity.refresh(tokens["token"].refresh_token)
        return tokens["token"].access_token
    return EAccountingClient(access_token, base_url=server.url, sleep=sleeps.append)


def test_code_exchanged_once_and_refresh_token_rotated(sim, identity):
    code = sim.issue_authorization_code()
    token = identity.exchange_code(code, REDIRECT_URI)
    assert token.access_token and token.refresh_token and not token.expiring()
    with pytest.raises(AuthorisationError, match="invalid_grant"):
        identity.exchange_code(code, REDIRECT_URI)  # a code is used once
    renewed = identity.refresh(token.refresh_token)
    assert renewed.refresh_token != token.refresh_token
    with pytest.raises(AuthorisationError, match="invalid_grant") as raised:
        identity.refresh(token.refresh_token)  # "every new refresh token cancels the previous one"
    assert token.refresh_token not in str(raised.value) and token.refresh_token not in raised.value.body


def test_revoked_grant_and_wrong_secret_are_authorisation_errors(sim, server, identity):
    token = identity.exchange_code(sim.issue_authorization_code(), REDIRECT_URI)
    sim.revoke_grant(token.refresh_token)
    with pytest.raises(AuthorisationError, match="invalid_grant"):
        identity.refresh(token.refresh_token)
    wrong = VismaIdentity(CLIENT_ID, "not-the-secret", base_url=server.url)
    with pytest.raises(AuthorisationError, match="invalid_client") as raised:
        wrong.exchange_code(sim.issue_authorization_code(), REDIRECT_URI)
    assert "not-the-secret" not in str(raised.value)


def test_paging_walks_every_page(client, sim):
    for index in range(2345):
        number = f"P{index:05d}"
        sim._store_article(sim._article_record({
            "Number": number, "Name": number, "CodingId": next(iter(sim.codings)), "UnitId": next(iter(sim.units)),
            "IsActive": True, "NetPrice": 1.0}, f"00000000-0000-4000-8000-{index:012d}"))
    numbers = [article["Number"] for article in client.iterate("articles")]
    assert len([number for number in numbers if number.startswith("P")]) == 2345
    pages = [entry["path"] for entry in sim.request_log if entry["path"].startswith("/v2/articles")]
    assert len(pages) == 3 and all("%24pagesize=1000" in path for path in pages)


def test_filter_quotes_literals(client, sim):
    created = client.post("customers", {"Name": "O'Brien & Co", "IsPrivatePerson": False, "IsActive": True,
                                        "InvoiceCity": "Stockholm", "InvoicePostalCode": "11122",
                                        "TermsOfPaymentId": next(iter(sim.terms)), "EmailAddress": "o@example.se"})
    found = client.first("customers", filter=all_of(eq("Name", "O'Brien & Co"), eq("IsActive", True)))
    assert found["Id"] == created["Id"]
    assert client.first("customers", filter=eq("Name", "Nobody")) is None


def test_error_body_becomes_one_message(client, sim):
    with pytest.raises(RemoteError) as raised:
        client.post("articles", {"Number": "X-1", "Name": "X", "IsActive": True,
                                 "CodingId": "00000000-0000-4000-8000-000000000000", "UnitId": next(iter(sim.units))})
    error = raised.value
    assert error.status == 400 and not error.retryable and not error.uncertain
    assert "CodingId" in error.message and "[3000]" in error.message and "error id" in error.message


def test_429_waits_the_seconds_its_message_names(client, sim, sleeps):
    sim.faults.add("rate_limit", retry_after=3, path="/v2/units")
    assert client.get("units")["Data"]
    assert sleeps == [3.0]


def test_429_asking_longer_than_a_worker_waits_is_retryable(client, sim, sleeps):
    sim.faults.add("rate_limit", retry_after=55, path="/v2/units")
    with pytest.raises(RemoteError) as raised:
        client.get("units")
    assert raised.value.retryable and raised.value.retry_after == 55 and sleeps == []


def test_401_fetches_a_new_access_token_once(client, sim, tokens):
    sim.access_tokens.clear()  # e.g. revoked by Visma before its expiry
    assert client.get("companysettings")["CountryCode"] == "SE"
    assert tokens["forced"] == 1


def test_no_token_in_messages(client, sim, tokens):
    sim.revoke_grant()
    with pytest.raises(AuthorisationError) as raised:
        client.get("companysettings")
    text = f"{raised.value} {raised.value.body}"
    assert tokens["token"].access_token not in text and tokens["token"].refresh_token not in text
    assert CLIENT_SECRET not in text
