"""Serve the simulators with demo data: ``python -m simulators [--seed N] [--orders M] [--products P]``.

Ports (override with SIM_SHOPIFY_PORT, SIM_WOOCOMMERCE_PORT, SIM_CCV_PORT, SIM_ECONOMIC_PORT,
SIM_EACCOUNTING_PORT): Shopify 8181, WooCommerce 8182, CCV Shop 8183, e-conomic 8184, eAccounting
8185 (API under /v2, identity server under /connect), all on 127.0.0.1.  Each one's
control API (``/_sim/state``, ``/_sim/faults``, ``/_sim/journal``) is on the same port.
"""

import argparse
import os
import signal
import threading

from .ccv import CcvSimulator
from .common import SimulatorServer
from .eaccounting import EAccountingSimulator
from .economic import EconomicSimulator
from .seed import generate
from .shopify import ShopifySimulator
from .woocommerce import WooCommerceSimulator

DEFAULT_PORTS = {"shopify": 8181, "woocommerce": 8182, "ccv": 8183, "economic": 8184, "eaccounting": 8185}


def port(name):
    return int(os.environ.get(f"SIM_{name.upper()}_PORT", DEFAULT_PORTS[name]))


def build(catalogue):
    """The simulator apps, seeded with ``catalogue``; returns {name: app}."""
    apps = {
        "shopify": ShopifySimulator(),
        "woocommerce": WooCommerceSimulator(site_url=f"http://127.0.0.1:{port('woocommerce')}/"),
        "ccv": CcvSimulator(),
        "economic": EconomicSimulator(),
        "eaccounting": EAccountingSimulator(),
    }
    for app in apps.values():
        app.seed(catalogue)
    return apps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--orders", type=int, default=30)
    parser.add_argument("--products", type=int, default=20)
    args = parser.parse_args()
    catalogue = generate(products=args.products, orders=args.orders, seed=args.seed)
    servers = [SimulatorServer(app, port=port(name)).start() for name, app in build(catalogue).items()]
    for name, server in zip(DEFAULT_PORTS, servers):
        print(f"{name:12} {server.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    for server in servers:
        server.stop()


if __name__ == "__main__":
    main()
