"""Wrong credentials in the real server: Test connection and a poll fail with a clear log and
nothing lost.  Runs last in this folder: then no credential (right or wrong) may appear in the
server's output of the whole session (kills, storms and failures included), in the sync logs, the
inbox or the queue jobs."""

from simulators.economic import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN
from simulators.shopify import ACCESS_TOKEN, API_SECRET

from .harness import wait_for

WRONG_TOKEN = "shpat_wrong0123456789abcdef"
WRONG_GRANT = "wrong-agreement-grant-0123456789"


def _write(shop, backend, values):
    shop.server.rpc("shop.sync.backend", "write", [backend], values)


def test_wrong_credentials_are_clear_failures_and_no_credential_is_ever_logged(shop):
    shop_id, accounting = shop.ids["shop"], shop.ids["accounting"]
    gid, name = shop.place_order()
    _write(shop, shop_id, {"shopify_access_token": WRONG_TOKEN})
    _write(shop, accounting, {"economic_agreement_grant_token": WRONG_GRANT})
    try:
        for backend in (shop_id, accounting):
            answer = shop.server.rpc("shop.sync.backend", "action_test_connection", [backend])
            assert answer["params"]["type"] == "danger", answer
        polls = len(shop.jobs("_poll_orders", model="shop.sync.backend"))
        shop.server.rpc("shop.sync.backend", "action_sync_now", [shop_id])
        wait_for(lambda: (lambda jobs: len(jobs) > polls and jobs[-1][0] == "done")(
            shop.jobs("_poll_orders", model="shop.sync.backend")), timeout=30, message="the poll")
        errors = shop.db.all("SELECT backend_id, flow, reason, message FROM shop_sync_log WHERE state = 'error' "
                             "AND flow IN ('connection', 'order_import') AND create_date > now() at time zone 'utc' "
                             "- interval '1 minute' ORDER BY id")
        states = shop.db.all("SELECT id, connection_state FROM shop_sync_backend WHERE id IN %s ORDER BY id",
                             ((shop_id, accounting),))
    finally:
        _write(shop, shop_id, {"shopify_access_token": ACCESS_TOKEN})
        _write(shop, accounting, {"economic_agreement_grant_token": AGREEMENT_GRANT_TOKEN})
    assert [state for _id, state in states] == ["failed", "failed"]
    by_flow = {(backend, flow): (reason, message) for backend, flow, reason, message in errors}
    assert by_flow[(shop_id, "connection")][0] == "Connection failed"
    assert "401" in by_flow[(shop_id, "connection")][1]
    assert by_flow[(accounting, "connection")][0] == "Connection failed"
    assert "401" in by_flow[(accounting, "connection")][1]
    assert by_flow[(shop_id, "order_import")][0] == "Polling failed"
    assert not shop.events(gid), "nothing was read with the wrong token"

    # nothing lost: with the right token again, the next run imports the order
    shop.server.rpc("shop.sync.backend", "action_sync_now", [shop_id])
    wait_for(lambda: shop.events(gid) and shop.events(gid)[0][2] == "done", timeout=30, message="the order")
    assert len(shop.sale_orders(name)) == 1
    assert shop.post_webhook(gid).status_code == 200  # its URL carries the webhook token

    credentials = [ACCESS_TOKEN, API_SECRET, APP_SECRET_TOKEN, AGREEMENT_GRANT_TOKEN, shop.ids["token"],
                   WRONG_TOKEN, WRONG_GRANT]
    places = {"server output": shop.server.log()}
    for table in ("shop_sync_log", "shop_sync_event", "queue_job"):
        places[table] = "\n".join(row for (row,) in shop.db.all(f"SELECT t::text FROM {table} t"))
    assert "Polling failed" in places["shop_sync_log"], "the logs searched hold the failures"
    assert f"POST /shop_sync/webhook/{shop_id}/*** " in places["server output"], "the request log masks the token"
    for place, text in places.items():
        for credential in credentials:
            assert credential not in text, f"a credential appears in the {place}"
