"""SimulatorServer: what a stopped server leaves behind in the test process."""

import threading

import requests

from simulators.common import SimulatorServer
from simulators.woocommerce import CONSUMER_KEY, CONSUMER_SECRET, WooCommerceSimulator


def test_stopping_a_server_ends_the_handler_threads_of_kept_alive_connections():
    """A client session keeps its connection open (HTTP/1.1 keep-alive), and the handler thread
    serving it waits for the next request; and each simulator started a webhook thread, needed or
    not.  Every stopped server of a test session left both behind: 151 threads at the end of
    `make test`, whose stacks took its address space over Odoo's 2.5 GiB limit."""
    before = set(threading.enumerate())
    server = SimulatorServer(WooCommerceSimulator(CONSUMER_KEY, CONSUMER_SECRET)).start()
    with requests.Session() as session:
        session.get(f"{server.url}/wp-json/wc/v3/products", auth=(CONSUMER_KEY, CONSUMER_SECRET), timeout=5)
        server.stop()
        left = set(threading.enumerate()) - before
        for thread in left:
            thread.join(timeout=3)
        assert [thread.name for thread in left if thread.is_alive()] == []
