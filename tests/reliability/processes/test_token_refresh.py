"""Two eAccounting workers whose access token expires at the same moment, in two processes with
connections of their own.  Visma uses a refresh token once ("the same Refresh Token cannot be used
more than once", see simulators/eaccounting.py): exactly one worker may send it.  The other takes the
new token or waits for it (a retryable error, the job postponed), and the backend stays authorised."""

import os
import threading

import psycopg2
import pytest

from simulators.common import SimulatorServer
from simulators.eaccounting import EAccountingSimulator

from .harness import CONNECTION, odoo_shell, shell_result, wait_for

WORKER = os.path.join(os.path.dirname(__file__), "eaccounting_token.py")
TOKEN_PATH = "/connect/token"


@pytest.fixture(scope="module")
def visma():
    server = SimulatorServer(EAccountingSimulator(requests_per_minute=0)).start()
    yield server
    server.stop()


def token_requests(sim):
    return [entry for entry in sim.journal if entry[:2] == ("POST", TOKEN_PATH)]


def run_worker(db, backend):
    return shell_result(odoo_shell(db, WORKER, env={"RELIABILITY_BACKEND": str(backend)}))


def test_two_workers_refreshing_at_once_send_the_refresh_token_once(database, visma):
    sim = visma.app
    backend = shell_result(odoo_shell(database.name, WORKER, env={
        "RELIABILITY_SETUP": sim.issue_authorization_code(), "RELIABILITY_EACCOUNTING_URL": visma.url}))["backend"]
    exchanged = len(token_requests(sim))
    # the refresh that wins is answered after 3 s: the other worker meets it under way
    sim.faults.add("latency", seconds=3, path=TOKEN_PATH, method="POST")
    results, holder = {}, psycopg2.connect(dbname=database.name, **CONNECTION)
    try:
        with holder.cursor() as cr:  # the token row held: both workers reach the refresh's lock, then race
            cr.execute("SELECT id FROM shop_sync_eaccounting_token WHERE backend_id = %s FOR UPDATE", [backend])
        workers = [threading.Thread(target=lambda n=n: results.__setitem__(n, run_worker(database.name, backend)))
                   for n in (1, 2)]
        for thread in workers:
            thread.start()
        wait_for(lambda: database.value(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
            == 2, timeout=60, message="both workers waiting for the token row")
    finally:
        holder.rollback()
        holder.close()
    for thread in workers:
        thread.join(60)
    assert len(results) == 2, results
    assert len(token_requests(sim)) == exchanged + 1, "the refresh token was sent once"
    [winner] = [result for result in results.values() if "token" in result]
    [other] = [result for result in results.values() if result is not winner]
    assert (other["error"], other["retryable"]) == ("RemoteError", True), other
    assert "Another worker is refreshing" in other["message"]
    assert [result["auth_state"] for result in results.values()] == ["authorised", "authorised"]
    # the waiting worker's job, retried: the new token, without another refresh
    assert run_worker(database.name, backend) == {"token": winner["token"], "auth_state": "authorised"}
    assert len(token_requests(sim)) == exchanged + 1
