"""Real processes for the reliability tests: a copy of the test database, Odoo servers with
prefork workers and queue_job's runner, ``odoo shell`` runs, and waiting with time-outs.

Nothing here uses a fixed port: every server gets free ports.  Processes are started in their own
process group and stopped (SIGTERM, then SIGKILL) by the fixtures that started them.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import xmlrpc.client
from pathlib import Path

import psycopg2
import requests

ROOT = Path(__file__).resolve().parents[3]
ODOO = Path(os.environ.get("VENV", ROOT / ".venv")) / "bin" / "odoo"
CONNECTION = {
    "host": os.environ.get("DB_HOST") or os.environ.get("PGHOST") or "127.0.0.1",
    "port": int(os.environ.get("DB_PORT") or os.environ.get("PGPORT") or 54329),
    "user": os.environ.get("DB_USER") or os.environ.get("PGUSER") or "odoo",
    "password": os.environ.get("DB_PASSWORD") or os.environ.get("PGPASSWORD") or None,
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=30, interval=0.1, message="condition"):
    """Call ``predicate`` until it returns something truthy (returned); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def odoo_db_args():
    args = ["--db_host", CONNECTION["host"], "--db_port", str(CONNECTION["port"]), "--db_user", CONNECTION["user"]]
    if CONNECTION["password"]:
        args += ["--db_password", CONNECTION["password"]]
    return args


class Database:
    """An autocommit psycopg2 connection to one database (the tests' view of PostgreSQL)."""

    def __init__(self, name):
        self.name = name
        self.conn = psycopg2.connect(dbname=name, **CONNECTION)
        self.conn.autocommit = True

    def all(self, sql, args=()):
        with self.conn.cursor() as cr:
            cr.execute(sql, args)
            return cr.fetchall() if cr.description else []

    def one(self, sql, args=()):
        rows = self.all(sql, args)
        return rows[0] if rows else None

    def value(self, sql, args=()):
        row = self.one(sql, args)
        return row[0] if row else None

    def close(self):
        self.conn.close()


def copy_database(template, name):
    """CREATE DATABASE ``name`` from ``template`` (dropping an old ``name``).  In-process Odoo
    connections to the template (pytest-odoo's registry) are closed first: a template must be idle."""
    with contextlib.suppress(ImportError):
        import odoo.sql_db  # noqa: PLC0415 - only when pytest-odoo loaded Odoo in this process
        odoo.sql_db.close_db(template)
    admin = Database("postgres")
    try:
        admin.all(f'DROP DATABASE IF EXISTS "{name}"')
        deadline = time.monotonic() + 20
        while True:
            try:
                admin.all(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
                return
            except psycopg2.errors.ObjectInUse:  # another session on the template: wait for it to go
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        admin.close()


def drop_database(name):
    admin = Database("postgres")
    try:
        admin.all(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def odoo_shell(db, script, env=None, timeout=120):
    """Run ``script`` (a path) through ``odoo shell`` on ``db``; return its stdout."""
    with open(script) as stdin:
        result = subprocess.run(
            [str(ODOO), "shell", "-c", "odoo.conf", *odoo_db_args(), "-d", db, "--no-http", "--log-level=warn"],
            stdin=stdin, capture_output=True, text=True, cwd=ROOT, timeout=timeout,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    if result.returncode:
        raise RuntimeError(f"odoo shell failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def shell_result(output, tag="RELIABILITY"):
    for line in output.splitlines():
        if line.startswith(tag + " "):
            return json.loads(line[len(tag) + 1:])
    raise AssertionError(f"no {tag} line in the shell output:\n{output}")


class OdooServer:
    """``odoo server`` with ``workers`` prefork workers and queue_job's runner (channels root:2) on
    free ports, on one database; its whole output is kept in ``log_path``."""

    def __init__(self, db, log_path, workers=2):
        self.db = db
        self.log_path = Path(log_path)
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self._uid = None

    def launch(self):
        """Start the server without waiting for it (see ``wait_ready``)."""
        command = [
            str(ODOO), "server", "-c", "odoo.conf", *odoo_db_args(), "-d", self.db, "--db-filter", f"^{self.db}$",
            "--workers", str(self.workers), "--max-cron-threads", "0", "--http-interface", "127.0.0.1",
            "--http-port", str(self.port), "--gevent-port", str(free_port()), "--log-level", "info",
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "ODOO_QUEUE_JOB_CHANNELS": "root:2"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            start_new_session=True)
        return self

    def wait_ready(self, timeout=60):
        """Wait until the HTTP workers answer and queue_job's runner is connected."""
        wait_for(self._healthy, timeout, interval=0.2, message=f"Odoo on port {self.port} (log {self.log_path})")
        wait_for(lambda: "database connections ready" in self.log(), timeout, interval=0.2,
                 message="queue_job's runner")
        return self

    def _healthy(self):
        if self.process.poll() is not None:
            raise AssertionError(f"Odoo exited with {self.process.returncode}:\n{self.log()[-3000:]}")
        try:
            return requests.get(f"{self.url}/web/health", timeout=2).ok
        except requests.RequestException:
            return False

    def stop(self):
        """SIGTERM to the process group (graceful), SIGKILL after 15 s."""
        if not self.process or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def rpc(self, model, method, *args, **kwargs):
        """``execute_kw`` as admin through XML-RPC."""
        if not self._uid:
            common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
            self._uid = common.authenticate(self.db, "admin", "admin", {})
            assert self._uid, "admin / admin cannot log in"
        models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return models.execute_kw(self.db, self._uid, "admin", model, method, list(args), kwargs)

