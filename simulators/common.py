"""Machinery shared by the vendor simulators.

A simulator is a stateful WSGI application (:class:`SimulatorApp`) that speaks one vendor's wire
protocol.  This module gives every simulator the same plumbing:

* routing with werkzeug rules whose endpoint names map to ``on_<endpoint>`` methods;
* fault injection (:class:`FaultPlan`): faults that refuse a request (latency, 5xx, 429, an HTML
  page answered with 200) and faults that apply it and then fail (``error_after_write``: a 5xx
  answer, ``drop_after_write``: a dropped connection), so clients can be tested against "the remote
  write succeeded but we never heard back";
* outbound webhooks delivered by a background thread (``flush_webhooks`` waits for them);
* a request journal and an HTTP control API under ``/_sim/`` (state, faults, reset) used by the
  demo and by out-of-process tests; in-process tests use the Python objects directly;
* :class:`SimulatorServer`, which serves an app on a free localhost port in a thread.

Vendor specifics (auth, error bodies, paging, rate limits) live in the subclasses.
"""

import functools
import json
import logging
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

_logger = logging.getLogger(__name__)

FAULT_KINDS = ("latency", "error", "rate_limit", "drop_after_write", "error_after_write", "html_page")
# faults that let the request be applied, then fail its answer
AFTER_WRITE_KINDS = ("drop_after_write", "error_after_write")
# what a shop's address answers with 200 when its REST routes are not reached (WordPress without
# pretty permalinks serves its home page for /wp-json/..., a proxy or security plug-in its own page)
HTML_PAGE = "<!DOCTYPE html>\n<html><head><title>My Shop</title></head><body><h1>Welcome</h1></body></html>\n"


@dataclass
class Fault:
    """One injected fault; applies to the next ``count`` matching requests (``None``: forever)."""

    kind: str
    count: int | None = 1
    path: str | None = None  # prefix of the request path to match, None = any
    method: str | None = None  # HTTP method to match, None = any
    contains: str | None = None  # text the request body must contain (a GraphQL mutation's name), None = any
    status: int = 503  # for kinds "error" and "error_after_write"
    retry_after: float = 1  # seconds, for kind "rate_limit"
    seconds: float = 0.0  # for kind "latency"

    def matches(self, request):
        return (self.path is None or request.path.startswith(self.path)) and (
            self.method is None or request.method == self.method.upper()
        ) and (self.contains is None or self.contains in request.get_data(cache=True, as_text=True))


@dataclass
class FaultPlan:
    """Thread-safe list of pending faults, consumed as requests match them."""

    faults: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind, **options):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}, expected one of {FAULT_KINDS}")
        fault = Fault(kind=kind, **options)
        with self.lock:
            self.faults.append(fault)
        return fault

    def take(self, request, kinds):
        """Return (and consume one use of) the first pending fault of ``kinds`` matching ``request``."""
        with self.lock:
            for fault in self.faults:
                if fault.kind in kinds and fault.matches(request):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def clear(self):
        with self.lock:
            self.faults.clear()


class ApiError(Exception):
    """An error answer in the vendor's shape: raised by a handler wrapped in :func:`api_handler`,
    answered by the app's ``error_response(status, message, **extra)``."""

    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def api_handler(method):
    """Answer an :class:`ApiError` raised by a request handler with the vendor's error body."""

    @functools.wraps(method)
    def handler(self, request, **args):
        try:
            return method(self, request, **args)
        except ApiError as error:
            return self.error_response(error.status, error.message, **error.extra)

    return handler


class WebhookDispatcher:
    """Delivers webhook POSTs from a daemon thread, recording each outcome.  The thread starts with
    the first delivery: most simulators of a test session never send one, and a thread each would
    stay for the whole session."""

    def __init__(self, timeout=10):
        self.timeout = timeout
        self.deliveries = []  # dicts: url, topic, status or error, headers, body
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sim-webhooks", daemon=True)
        self._starting = threading.Lock()

    def send(self, url, topic, body, headers):
        with self._starting:
            if not self._thread.is_alive():
                self._thread.start()
        self._queue.put((url, topic, body, headers))

    def flush(self, timeout=30):
        """Block until every queued delivery has been attempted."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                raise TimeoutError("webhook deliveries still pending")
            time.sleep(0.01)

    def _run(self):
        while True:
            url, topic, body, headers = self._queue.get()
            record = {"url": url, "topic": topic, "headers": headers, "body": body}
            try:
                response = requests.post(url, data=body, headers=headers, timeout=self.timeout)
                record["status"] = response.status_code
            except requests.RequestException as exc:
                record["error"] = str(exc)
            self.deliveries.append(record)
            self._queue.task_done()


class SimulatorApp:
    """Base WSGI app of a vendor simulator.

    Subclasses define ``url_map`` (a werkzeug ``Map`` whose rule endpoints name ``on_<endpoint>``
    handler methods taking ``(request, **url_args)`` and returning a ``Response``), ``error_response``
    in the vendor's error shape, ``reset`` and ``snapshot``.  Handlers run under ``self.lock``, so the
    in-memory state is consistent even with a threaded server.
    """

    name = "simulator"
    url_map = Map([])

    def __init__(self):
        self.lock = threading.RLock()
        self.faults = FaultPlan()
        self.webhooks = WebhookDispatcher()
        self.journal = []  # (method, path with query, status) of every request served
        self.clock = time.time  # replaceable in tests (epoch seconds)
        self.reset()

    # -- to implement per vendor ------------------------------------------------------------
    def reset(self):
        """Drop all state (records, ids, counters)."""
        raise NotImplementedError

    def snapshot(self):
        """JSON-serialisable summary of the state, served at ``GET /_sim/state``."""
        raise NotImplementedError

    def error_response(self, status, message, **extra):
        """A response in the vendor's documented error shape."""
        raise NotImplementedError

    def rate_limited_response(self, fault):
        """The vendor's 429 answer; default: error shape plus ``Retry-After``."""
        response = self.error_response(429, "Too many requests")
        response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def before_request(self, request):
        """Hook for auth and rate limits; return a Response to short-circuit, else None."""
        return None

    def after_request(self, request, response):
        """Hook for response signing or headers; returns the response."""
        return response

    # -- helpers for subclasses -------------------------------------------------------------
    @staticmethod
    def json_response(data, status=200, headers=None):
        return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")

    def deliver_webhook(self, url, topic, body, headers):
        """Queue a webhook POST of ``body`` (already serialised bytes/str) to ``url``."""
        self.webhooks.send(url, topic, body, headers)

    def flush_webhooks(self, timeout=30):
        self.webhooks.flush(timeout)

    # -- WSGI -------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_sim/"):
            return self._control(request)(environ, start_response)
        response = self._dispatch(request)
        applied = 200 <= response.status_code < 300
        fault = self.faults.take(request, AFTER_WRITE_KINDS) if applied else None
        if fault and fault.kind == "error_after_write":
            response = self.error_response(fault.status, "Injected server error after applying the request")
        self.journal.append((request.method, request.full_path.rstrip("?"), response.status_code))
        if fault and fault.kind == "drop_after_write":
            _drop_connection(environ)
            return []
        return response(environ, start_response)

    def _dispatch(self, request):
        fault = self.faults.take(request, ("latency", "error", "rate_limit", "html_page"))
        if fault and fault.kind == "html_page":
            return Response(HTML_PAGE, status=200, content_type="text/html; charset=UTF-8")
        if fault and fault.kind == "latency":
            time.sleep(fault.seconds)
        elif fault and fault.kind == "error":
            return self.error_response(fault.status, "Injected server error")
        elif fault and fault.kind == "rate_limit":
            return self.rate_limited_response(fault)
        try:
            with self.lock:
                response = self.before_request(request)
                if response is None:
                    try:
                        endpoint, args = self.url_map.bind_to_environ(request.environ).match()
                    except NotFound:
                        return self.after_request(request, self.error_response(
                            404, f"No route for {request.method} {request.path}"))
                    response = getattr(self, f"on_{endpoint}")(request, **args)
        except MethodNotAllowed:
            response = self.error_response(405, f"Method {request.method} not allowed on {request.path}")
        except HTTPException as exc:  # raised by a handler: keep its own message
            response = self.error_response(exc.code, exc.description)
        return self.after_request(request, response)

    def _control(self, request):
        """``/_sim/state`` (GET), ``/_sim/reset`` (POST), ``/_sim/faults`` (POST adds, DELETE clears),
        ``/_sim/journal`` (GET), ``/_sim/webhooks`` (GET deliveries)."""
        action = request.path[len("/_sim/"):].strip("/")
        with self.lock:
            if action == "state" and request.method == "GET":
                return self.json_response(self.snapshot())
            if action == "reset" and request.method == "POST":
                self.reset()
                return self.json_response({"reset": True})
            if action == "faults" and request.method == "POST":
                options = request.get_json(force=True)
                self.faults.add(options.pop("kind"), **options)
                return self.json_response({"faults": len(self.faults.faults)})
            if action == "faults" and request.method == "DELETE":
                self.faults.clear()
                return self.json_response({"faults": 0})
            if action == "journal" and request.method == "GET":
                return self.json_response([list(entry) for entry in self.journal])
            if action == "webhooks" and request.method == "GET":
                return self.json_response(self.webhooks.deliveries)
        return Response("unknown simulator control action", status=404)


def _drop_connection(environ):
    """Close the client socket without answering (werkzeug's dev server exposes it)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


class ManualClock:
    """A replacement for ``SimulatorApp.clock`` (epoch seconds) that moves only when told, or when
    a client under test "sleeps" through ``sleep`` (recorded in ``slept``).  Starts at ``moment``
    (an aware datetime), default now."""

    def __init__(self, moment=None):
        self.now = (moment or datetime.now(UTC)).timestamp()
        self.slept = []

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.advance(seconds)


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log; a dropped connection (fault injection) is not an error worth printing.

    Each open connection is known to its server, so that ``SimulatorServer.stop`` can close it: a
    client's kept-alive connection would otherwise hold its handler thread after the server stopped."""

    def setup(self):
        super().setup()
        with self.server.shop_sync_lock:
            self.server.shop_sync_connections.add(self.connection)

    def finish(self):
        with self.server.shop_sync_lock:
            self.server.shop_sync_connections.discard(self.connection)
        super().finish()

    def log(self, type, message, *args):
        _logger.debug("%s %s", self.address_string(), message % args)


class SimulatorServer:
    """Serve a simulator app on ``host:port`` (port 0 = a free one) in a daemon thread.

    Usable as a context manager; ``url`` is the base URL once started.
    """

    def __init__(self, app, host="127.0.0.1", port=0):
        self.app = app
        self._server = make_server(host, port, app, threaded=True, request_handler=_QuietRequestHandler)
        self._server.shop_sync_lock = threading.Lock()
        self._server.shop_sync_connections = set()
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"sim-{app.name}", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and close the connections clients keep alive (their handler threads end)."""
        self._server.shutdown()
        self._server.server_close()
        with self._server.shop_sync_lock:
            connections = list(self._server.shop_sync_connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # closed by the client meanwhile
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
