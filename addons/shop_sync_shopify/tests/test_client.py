"""The GraphQL client against the simulator: errors, throttling (THROTTLED, pacing, 429) and paging."""

import pytest

from odoo.addons.shop_sync_base.services.http import RemoteError
from odoo.addons.shop_sync_shopify.services.client import DEFAULT_COST, WAIT_MARGIN, ShopifyClient, shop_url
from odoo.addons.shop_sync_shopify.tests.common import START, simulator
from simulators.common import ManualClock, SimulatorServer
from simulators.shopify import ACCESS_TOKEN

PRODUCT_IDS = "query ProductIds { products(first: 20) { nodes { id } } }"  # costs 22 points
MANY_PRODUCT_IDS = "query ManyProductIds { products(first: 250) { nodes { id } } }"  # asks for more than the shop has


@pytest.fixture()
def clock():
    return ManualClock(START)


def serve(request, sim):
    server = SimulatorServer(sim).start()
    request.addfinalizer(server.stop)
    return server


def client(server, clock, token=ACCESS_TOKEN):
    return ShopifyClient(server.url, token, sleep=clock.sleep)


def test_shop_url_accepts_a_domain_or_a_url():
    assert shop_url("demo.myshopify.com/") == "https://demo.myshopify.com"
    assert shop_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000"


def test_wrong_token_and_invalid_documents_are_remote_errors(request, clock):
    server = serve(request, simulator(clock))
    with pytest.raises(RemoteError) as denied:
        client(server, clock, token="shpat_wrong").execute(PRODUCT_IDS)
    assert denied.value.status == 401 and "Invalid API key or access token" in str(denied.value)
    with pytest.raises(RemoteError) as invalid:
        client(server, clock).execute("query Bad { shop { bogus } }")
    assert invalid.value.status == 200
    assert invalid.value.message == "Field 'bogus' doesn't exist on type 'Shop'"


def test_throttled_answer_is_waited_for_and_retried(request, clock):
    sim = simulator(clock, bucket_size=50, restore_rate=10)
    server = serve(request, sim)
    shopify = client(server, clock)
    sim.bucket.spend(44)  # someone else used the bucket: 6 points left
    data = shopify.execute(PRODUCT_IDS)
    assert len(data["products"]["nodes"]) == 20
    assert shopify.waited == [pytest.approx(1.6 + WAIT_MARGIN)], "(22 requested - 6 available) / 10 per second"
    assert clock.slept == shopify.waited
    assert [entry[2] for entry in sim.journal] == [200, 200], "THROTTLED comes as HTTP 200, then success"


def test_a_bucket_refilling_slowly_postpones_the_job_instead_of_sleeping(request, clock):
    """(22 requested - 6 available) / 2 per second = 8 s: longer than a worker sleeps, so the wait
    leaves as a retryable RemoteError carrying it (the job is postponed by it)."""
    sim = simulator(clock, bucket_size=50, restore_rate=2)
    server = serve(request, sim)
    shopify = client(server, clock)
    sim.bucket.spend(44)
    with pytest.raises(RemoteError) as caught:
        shopify.execute(PRODUCT_IDS)
    assert (caught.value.retryable, caught.value.retry_after) == (True, pytest.approx(8 + WAIT_MARGIN))
    assert clock.slept == []


def test_known_cost_is_paced_before_sending(request, clock):
    sim = simulator(clock, bucket_size=50, restore_rate=10)
    server = serve(request, sim)
    shopify = client(server, clock)
    shopify.execute(PRODUCT_IDS)
    shopify.execute(PRODUCT_IDS)  # 6 points left after this one
    shopify.execute(PRODUCT_IDS)
    assert shopify.waited == [pytest.approx(1.6 + WAIT_MARGIN, abs=0.01)]  # less the real time elapsed
    assert len(sim.journal) == 3, "no THROTTLED round trip: the client waited before asking"


def test_query_larger_than_the_bucket_fails_instead_of_waiting_forever(request, clock):
    server = serve(request, simulator(clock, bucket_size=20, restore_rate=10))
    with pytest.raises(RemoteError, match="Throttled by Shopify: query cost 22"):
        client(server, clock).execute(PRODUCT_IDS)


def test_429_is_retried_after_retry_after(request, clock):
    sim = simulator(clock)
    server = serve(request, sim)
    sim.faults.add("rate_limit", retry_after=2)
    shopify = client(server, clock)
    assert shopify.execute(PRODUCT_IDS)["products"]["nodes"]
    assert clock.slept == [2.0]
    assert [entry[2] for entry in sim.journal] == [429, 200]


def test_paginate_follows_cursors(request, clock):
    sim = simulator(clock)
    server = serve(request, sim)
    shopify = client(server, clock)
    document = """query Ids($first: Int!, $after: String) {
      orders(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }"""
    ids = [node["id"] for node in shopify.paginate(document, {}, ("orders",), 7)]
    assert ids == list(sim.orders) and len(sim.journal) == 5
    with pytest.raises(ValueError):
        list(shopify.paginate(document, {}, ("orders",), 251))


def test_shared_rate_governor_gets_back_what_shopify_did_not_take(request, clock):
    """Shopify checks its bucket for a document's requested cost but takes only the actual cost: the
    difference is given back to the shared governor (without a sleep), so that the net charge is
    what Shopify took and workers are not held back by points it never took."""
    server = serve(request, simulator(clock))
    charged = []
    shopify = ShopifyClient(server.url, ACCESS_TOKEN, sleep=clock.sleep,
                            governor=lambda cost: charged.append(cost) or 0.0)
    shopify.execute(MANY_PRODUCT_IDS)  # learns the requested cost
    before = shopify.throttle_status[0]["currentlyAvailable"]
    shopify.execute(MANY_PRODUCT_IDS)
    taken = before - shopify.throttle_status[0]["currentlyAvailable"]
    requested = shopify.costs[MANY_PRODUCT_IDS]
    assert 0 < taken < requested, "the shop has fewer products than the document asks for"
    assert charged[-2:] == [requested, -(requested - taken)]
    assert clock.slept == []


def test_shared_rate_governor_is_asked_for_each_documents_cost(request, clock):
    """The backend's governor (shared by all workers) is charged the document's requested cost as
    Shopify last reported it (a first guess before that) and its wait is slept before sending."""
    server = serve(request, simulator(clock))
    charged = []

    def governor(cost):
        charged.append(cost)
        return 0.5

    shopify = ShopifyClient(server.url, ACCESS_TOKEN, sleep=clock.sleep, governor=governor)
    shopify.execute(PRODUCT_IDS)
    shopify.execute(PRODUCT_IDS)
    assert charged == [DEFAULT_COST, 22], "the shop has 20 products or more: nothing to give back"
    assert clock.slept == [0.5, 0.5]
