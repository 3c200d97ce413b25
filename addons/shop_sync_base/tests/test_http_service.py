"""The one HTTP service: retries with backoff on 5xx/429 honouring Retry-After, no blind repeat of
a POST whose answer was lost, structured errors without secrets."""

import base64

import pytest
from requests.auth import HTTPBasicAuth
from werkzeug.routing import Map, Rule

from odoo.addons.shop_sync_base.services.http import HttpClient, RemoteError, parse_retry_after
from simulators.common import SimulatorApp, SimulatorServer


class CounterApp(SimulatorApp):
    name = "counter"
    url_map = Map([Rule("/items", endpoint="items", methods=["GET", "POST"])])

    def reset(self):
        self.posts = 0

    def snapshot(self):
        return {"posts": self.posts}

    def error_response(self, status, message, **extra):
        return self.json_response({"message": message, "token": "SECRET-TOKEN"}, status)

    def on_items(self, request):
        if request.method == "POST":
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


def test_honours_retry_after_on_429(server):
    server.app.faults.add("rate_limit", retry_after=7)
    http, sleeps = client(server)
    http.get("/items")
    assert sleeps == [7.0]
    assert http.stats["throttled"] == 1


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


def test_basic_auth_credentials_are_redacted_also_in_base64():
    http = HttpClient("http://127.0.0.1:9", auth=HTTPBasicAuth("ck_KEY", "cs_SECRET"))
    header = "Basic " + base64.b64encode(b"ck_KEY:cs_SECRET").decode()
    assert http.redact(f"echo: {header}") == "echo: Basic ***"
