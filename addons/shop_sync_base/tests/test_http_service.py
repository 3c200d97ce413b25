"""The one HTTP service: retries with backoff on 5xx/429 honouring Retry-After, no blind repeat of
a POST whose answer was lost or was a 5xx, long waits handed to the job layer, structured errors
without secrets, credentials kept to the configured host."""

import base64
import email.utils
from datetime import UTC, datetime, timedelta

import pytest
import requests
from requests.auth import HTTPBasicAuth
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from odoo.addons.shop_sync_base.services import http
from odoo.addons.shop_sync_base.services.http import (
    MAX_RETRY_AFTER, WORKER_MAX_SLEEP, HttpClient, RemoteError, create_once, parse_retry_after, same_origin)
from odoo.addons.shop_sync_base.services.jobs import retryable_job_error
from simulators.common import SimulatorApp, SimulatorServer


class CounterApp(SimulatorApp):
    name = "counter"
    url_map = Map([Rule("/items", endpoint="items", methods=["GET", "POST", "PUT", "PATCH"]),
                   Rule("/moved", endpoint="moved", methods=["GET", "POST"])])
    redirect_to = None  # Location answered by /moved

    def reset(self):
        self.posts = 0
        self.seen_headers = []

    def before_request(self, request):
        self.seen_headers.append(dict(request.headers))
        return None

    def on_moved(self, request):
        return Response("", status=302, headers={"Location": self.redirect_to})

    def snapshot(self):
        return {"posts": self.posts}

    def error_response(self, status, message, **extra):
        return self.json_response({"message": message, "token": "SECRET-TOKEN"}, status)

    def on_items(self, request):
        if request.method in ("POST", "PATCH"):
            self.posts += 1
        return self.json_response({"posts": self.posts})


@pytest.fixture()
def server():
    with SimulatorServer(CounterApp()) as running:
        yield running


def client(server, **options):
    sleeps = []
    http = HttpClient(server.url, secrets=["SECRET-TOKEN"], sleep=sleeps.append, **options)
    return http, sleeps


def test_retries_5xx_with_exponential_backoff(server):
    server.app.faults.add("error", status=503, count=2)
    http, sleeps = client(server, backoff=0.5)
    assert http.get("/items").json() == {"posts": 0}
    assert sleeps == [0.5, 1.0]
    assert http.stats["retries"] == 2


def test_honours_a_short_retry_after_on_429(server):
    server.app.faults.add("rate_limit", retry_after=2)
    http, sleeps = client(server)
    http.get("/items")
    assert sleeps == [2.0]
    assert http.stats["throttled"] == 1


def test_a_retry_after_longer_than_a_worker_sleeps_is_reported_not_slept(server):
    """A worker sleeps a few seconds at most (WORKER_MAX_SLEEP): a 7 s Retry-After leaves it as a
    retryable RemoteError carrying the wait, which postpones the job by it."""
    server.app.faults.add("rate_limit", retry_after=7)
    http, sleeps = client(server)
    with pytest.raises(RemoteError) as caught:
        http.get("/items")
    assert sleeps == []
    assert (caught.value.status, caught.value.retryable, caught.value.retry_after) == (429, True, 7.0)
    assert retryable_job_error(caught.value).seconds == 7
    assert 0 < WORKER_MAX_SLEEP <= 3


def test_a_request_sleeps_a_bounded_total_between_its_retries(server):
    """Short waits add up to at most ``max_total_sleep`` (twice the longest single sleep by
    default): the retry that would sleep past it is left to the job layer instead."""
    server.app.faults.add("rate_limit", retry_after=WORKER_MAX_SLEEP, count=None)
    http, sleeps = client(server, retries=10)
    with pytest.raises(RemoteError) as caught:
        http.get("/items")
    assert sleeps == [WORKER_MAX_SLEEP, WORKER_MAX_SLEEP]
    assert (caught.value.retryable, caught.value.retry_after, caught.value.attempts) == (True, WORKER_MAX_SLEEP, 3)
    server.app.faults.clear()
    server.app.faults.add("error", status=503, count=None)
    http, sleeps = client(server, retries=10)
    with pytest.raises(RemoteError):
        http.get("/items")
    assert sum(sleeps) <= http.max_total_sleep == 2 * WORKER_MAX_SLEEP and max(sleeps) <= WORKER_MAX_SLEEP


def test_gives_up_with_a_structured_error_and_no_secret(server):
    server.app.faults.add("error", status=502, count=None)
    http, sleeps = client(server, retries=2)
    with pytest.raises(RemoteError) as caught:
        http.get("/items")
    error = caught.value
    assert (error.status, error.retryable, len(sleeps)) == (502, True, 2)
    assert "Injected server error" in str(error)
    assert str(error).endswith("(gave up after 3 attempts)"), "the log says the retries ran out"
    assert "SECRET-TOKEN" not in error.body and "***" in error.body


def test_4xx_is_not_retried(server):
    http, sleeps = client(server)
    with pytest.raises(RemoteError) as caught:
        http.get("/missing")
    assert (caught.value.status, caught.value.retryable, sleeps) == (404, False, [])
    assert "gave up" not in str(caught.value)


def test_lost_answer_to_a_post_is_not_repeated_blindly(server):
    server.app.faults.add("drop_after_write", method="POST")
    http, _sleeps = client(server)
    with pytest.raises(RemoteError) as caught:
        http.post("/items", json_body={})
    assert caught.value.uncertain
    assert server.app.posts == 1, "applied once remotely, not repeated"


def test_lost_answer_to_a_get_is_retried(server):
    server.app.faults.add("drop_after_write", method="GET")
    http, sleeps = client(server)
    assert http.get("/items").json() == {"posts": 0}
    assert len(sleeps) == 1


def test_retry_after_parsing():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_answered_5xx_after_applying_is_uncertain_and_not_repeated(server, method, status):
    server.app.faults.add("error_after_write", status=status, method=method)
    http, sleeps = client(server)
    with pytest.raises(RemoteError) as caught:
        http.request(method, "/items", json_body={})
    assert (caught.value.status, caught.value.uncertain, caught.value.retryable) == (status, True, True)
    assert server.app.posts == 1, "applied once remotely, never sent twice"
    assert sleeps == []


@pytest.mark.parametrize("fault", [{"kind": "error_after_write", "status": 502}, {"kind": "drop_after_write"}])
def test_create_once_finds_what_an_uncertain_post_applied(server, fault):
    server.app.faults.add(**fault, method="POST")
    http, _sleeps = client(server)
    found = create_once(lambda: http.post("/items", json_body={}).json(),
                        lambda: http.get("/items").json() if server.app.posts else None)
    assert found == {"posts": 1} and server.app.posts == 1


def test_create_once_sends_again_what_was_not_applied(server):
    server.app.faults.add("error", status=503, method="POST")  # refused before applying
    http, _sleeps = client(server)
    lookups = []
    created = create_once(lambda: http.post("/items", json_body={}).json(), lambda: lookups.append(1))
    assert (created, lookups) == ({"posts": 1}, [1])


def test_create_once_without_a_look_up_never_sends_twice(server):
    server.app.faults.add("error_after_write", status=504, method="POST", count=None)
    http, _sleeps = client(server)
    with pytest.raises(RemoteError) as caught:
        create_once(lambda: http.post("/items", json_body={}), None)
    assert caught.value.uncertain and server.app.posts == 1


def test_create_once_gives_up_after_its_attempts(server):
    server.app.faults.add("error", status=503, method="POST", count=None)
    http, _sleeps = client(server)
    with pytest.raises(RemoteError):
        create_once(lambda: http.post("/items", json_body={}), lambda: None, attempts=3)
    assert [entry[0] for entry in server.app.journal] == ["POST"] * 3


def test_put_answered_5xx_is_retried_as_it_is_idempotent(server):
    server.app.faults.add("error", status=503, method="PUT")
    http, sleeps = client(server)
    assert http.put("/items", json_body={}).ok
    assert len(sleeps) == 1


def test_post_refused_with_429_is_retried(server):
    server.app.faults.add("rate_limit", retry_after=2, method="POST")
    http, sleeps = client(server)
    assert http.post("/items", json_body={}).json() == {"posts": 1}
    assert sleeps == [2.0]


def test_post_the_caller_declares_repeatable_is_retried_on_5xx(server):
    server.app.faults.add("error", status=502, method="POST")
    http, sleeps = client(server)
    assert http.post("/items", json_body={}, retry_uncertain=True).json() == {"posts": 1}
    assert len(sleeps) == 1


def _http_date(moment):
    return email.utils.format_datetime(moment, usegmt=True)


FAR_DATE = _http_date(datetime(2343, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(("header", "expected"), [
    ("1e10", MAX_RETRY_AFTER), ("inf", MAX_RETRY_AFTER), ("-5", 0.0), ("nan", None), (FAR_DATE, MAX_RETRY_AFTER),
    ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER), ("Mon, 99 Foo 99999 99:99:99 GMT", None),
])
def test_retry_after_is_capped_and_never_overflows(header, expected):
    assert parse_retry_after(header) == expected


@pytest.mark.parametrize("header", ["1e10", "inf", "nan", "-1", FAR_DATE, "3600"])
def test_long_retry_after_leaves_the_worker_as_a_capped_job_retry(server, header):
    """No sleep longer than the client's short limit: the job is postponed instead (at most an hour)."""
    server.app.faults.add("rate_limit", retry_after=header, count=None)
    http, sleeps = client(server, retries=2, max_backoff=10)
    with pytest.raises(RemoteError) as caught:
        http.get("/items")
    assert all(0 <= seconds <= 10 for seconds in sleeps)
    job_error = retryable_job_error(caught.value)
    assert caught.value.retryable
    assert job_error.seconds is None or 1 <= job_error.seconds <= MAX_RETRY_AFTER
    if job_error.seconds:  # what queue_job does with it must not overflow either
        assert datetime.now() + timedelta(seconds=job_error.seconds) < datetime.now() + timedelta(hours=2)
    if header in ("1e10", "inf", FAR_DATE, "3600"):
        assert (sleeps, job_error.seconds) == ([], MAX_RETRY_AFTER), "left at once, postponed by the cap"


def test_job_retry_without_retry_after_uses_queue_jobs_pattern():
    assert retryable_job_error(RemoteError("down", status=503, retryable=True)).seconds is None
    assert retryable_job_error(RemoteError("slow", status=429, retry_after=12.2)).seconds == 13


@pytest.fixture()
def other_host():
    with SimulatorServer(CounterApp(), host="127.0.0.2") as running:
        yield running


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_redirect_to_another_host_is_not_followed_and_carries_no_credentials(server, other_host, method):
    server.app.redirect_to = f"{other_host.url}/items?token=SECRET-TOKEN"
    http = HttpClient(server.url, headers={"X-Shopify-Access-Token": "SECRET-TOKEN"},
                      auth=HTTPBasicAuth("ck_KEY", "cs_SECRET"), secrets=["SECRET-TOKEN"], sleep=lambda _s: None)
    with pytest.raises(RemoteError) as caught:
        http.request(method, "/moved")
    assert other_host.app.seen_headers == [], "nothing at all reached the other host"
    assert "127.0.0.2" in str(caught.value) and "not followed" in str(caught.value)
    assert "SECRET" not in str(caught.value)


def test_redirect_on_the_same_host_is_reported_not_followed(server):
    server.app.redirect_to = "/items"
    http, _sleeps = client(server)
    with pytest.raises(RemoteError) as caught:
        http.get("/moved")
    assert caught.value.status == 302 and "Correct the API URL" in str(caught.value)
    assert len(server.app.seen_headers) == 1, "/items was not requested"


def test_same_origin():
    assert same_origin("https://shop.example/wp-json/wc/v3/products?page=2", "https://shop.example/wp-json/wc/v3")
    assert same_origin("https://shop.example:443/x", "https://SHOP.example")
    assert same_origin("/wp-json/wc/v3/products?page=2", "https://shop.example")
    assert not same_origin("https://evil.example/wp-json/wc/v3/products", "https://shop.example")
    assert not same_origin("http://shop.example/x", "https://shop.example")
    assert not same_origin("https://shop.example:8443/x", "https://shop.example")


@pytest.mark.parametrize("value", ["tok\r\nX-Evil: 1", "tok\nen", "tok\x00en"])
def test_header_with_a_line_break_is_refused_before_sending_without_its_value(server, value):
    http = HttpClient(server.url, headers={"X-AgreementGrantToken": value}, secrets=[value])
    with pytest.raises(RemoteError) as caught:
        http.get("/items")
    assert "X-AgreementGrantToken" in str(caught.value) and "tok" not in str(caught.value)
    assert server.app.seen_headers == [], "nothing was sent"


def test_other_request_failures_are_remote_errors_without_secrets():
    http = HttpClient("ftp://SECRET-TOKEN@shop.example", secrets=["SECRET-TOKEN"])
    with pytest.raises(RemoteError) as caught:
        http.get("/items")
    assert "InvalidSchema" in str(caught.value) and "SECRET-TOKEN" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__, "no chained text either"


def test_header_added_by_a_signing_hook_is_checked_too(server):
    http, _sleeps = client(server)
    with pytest.raises(RemoteError) as caught:
        http.get("/items", prepare=lambda prepared: prepared.headers.update({"x-public": "PUBLIC\r\nKEY"}))
    assert "x-public" in str(caught.value) and "PUBLIC" not in str(caught.value)
    assert server.app.seen_headers == []


def test_basic_auth_credentials_are_redacted_also_in_base64():
    http = HttpClient("http://127.0.0.1:9", auth=HTTPBasicAuth("ck_KEY", "cs_SECRET"))
    header = "Basic " + base64.b64encode(b"ck_KEY:cs_SECRET").decode()
    assert http.redact(f"echo: {header}") == "echo: Basic ***"


def test_a_download_from_another_host_carries_no_credentials(monkeypatch):
    """An image address comes from a shop's payload: the shop's keys stay with the shop's host."""
    sent = []

    def send(adapter, request, **kwargs):
        sent.append(request)
        raise requests.ConnectionError("not sent further in this test")
    monkeypatch.setattr(http, "resolve", lambda host, port: ["93.184.216.34"])
    monkeypatch.setattr(http._PublicAddressAdapter, "send", send)
    client = HttpClient("https://shop.example/wp-json/wc/v3", auth=HTTPBasicAuth("ck_key", "cs_secret"),
                        headers={"X-Shopify-Access-Token": "shpat_secret"})
    for _image in range(2):
        with pytest.raises(RemoteError, match="no answer"):
            client.download("https://cdn.example/red.png", max_bytes=1000)
    assert [request.url for request in sent] == ["https://cdn.example/red.png"] * 2
    assert not any({"Authorization", "X-Shopify-Access-Token"} & set(request.headers) for request in sent)
    assert client._public_session() is client._public_session(), "one session: its connections are reused"
