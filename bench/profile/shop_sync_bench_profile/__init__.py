"""Bench only (scripts/bench.sh loads it as a server-wide module when BENCH_PROFILE_DIR is set; it is never
installed): each queue job request of the bench server writes a JSON line to BENCH_PROFILE_DIR/jobs.jsonl: wall
time, the worker's CPU, its PostgreSQL backend's CPU (read from /proc: the bench's database runs on the same
machine), the worker thread's resource usage (user and system CPU, page faults, context switches: an
involuntary switch is a moment the job was ready to run but another process had the core), the garbage
collector's time per generation and every SQL query with its duration, from the job's
acquisition (queue_job's ``_acquire_job``) to the end of its run (``_runjob``); with BENCH_PROFILE_CALLS=1 also
its cProfile statistics (``<uuid>.prof``, which slow the job down about 1.5 times)."""

import cProfile
import json
import os
import resource
import threading
import time

from odoo import sql_db
from odoo.tools import gc as odoo_gc

from odoo.addons.queue_job.controllers.main import RunJobController

DIRECTORY = os.environ.get("BENCH_PROFILE_DIR")
CALLS = os.environ.get("BENCH_PROFILE_CALLS") == "1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_current = threading.local()


def _cpu_of(pid):
    """User + system CPU seconds of process ``pid`` (None when it is not readable here)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _usage():
    """This thread's (the job's) user and system CPU seconds, minor page faults, voluntary and involuntary context
    switches."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime, usage.ru_stime, usage.ru_minflt, usage.ru_nvcsw, usage.ru_nivcsw


_execute = sql_db.Cursor.execute


def _recorded_execute(self, query, params=None, log_exceptions=True):
    queries = getattr(_current, "queries", None)
    if queries is None:
        return _execute(self, query, params, log_exceptions)
    start = time.perf_counter()
    try:
        return _execute(self, query, params, log_exceptions)
    finally:
        text = query.code if hasattr(query, "code") else str(query)
        queries.append((round(1000 * (time.perf_counter() - start), 2), " ".join(text.split())[:400]))


def _start(env, job_uuid):
    env.cr.execute("SELECT pg_backend_pid()")
    backend = env.cr.fetchone()[0]
    profile = cProfile.Profile() if CALLS else None
    _current.state = {"uuid": job_uuid, "backend": backend, "backend_cpu": _cpu_of(backend),
                      "wall": time.perf_counter(), "cpu": time.process_time(), "profile": profile,
                      "gc": list(odoo_gc._gc_timings), "usage": _usage()}
    _current.queries = []
    if profile:
        profile.enable()


def _stop(job):
    state = getattr(_current, "state", None)
    if not state:
        return
    if state["profile"]:
        state["profile"].disable()
    queries, _current.queries, _current.state = _current.queries, None, None
    backend_cpu = _cpu_of(state["backend"])
    if state["profile"]:
        state["profile"].dump_stats(os.path.join(DIRECTORY, f"{state['uuid']}.prof"))
    line = {
        "uuid": state["uuid"], "method": job.method_name if job else None, "pid": os.getpid(),
        "at": time.time(), "wall_ms": round(1000 * (time.perf_counter() - state["wall"]), 1),
        "cpu_ms": round(1000 * (time.process_time() - state["cpu"]), 1),
        "pg_cpu_ms": None if backend_cpu is None or state["backend_cpu"] is None
        else round(1000 * (backend_cpu - state["backend_cpu"]), 1),
        "records": len(job.recordset) if job else 0, "queries": queries,
        # Odoo times each collection of the garbage collector (odoo.tools.gc): ms per generation in this job
        "gc_ms": [round((after - before) / 1e6, 1) for before, after in zip(state["gc"], odoo_gc._gc_timings)],
    }
    user, system, faults, waits, preempted = (after - before for before, after in zip(state["usage"], _usage()))
    line.update(user_ms=round(1000 * user, 1), sys_ms=round(1000 * system, 1), minor_faults=faults,
                voluntary_switches=waits, involuntary_switches=preempted)
    with open(os.path.join(DIRECTORY, "jobs.jsonl"), "a") as out:
        out.write(json.dumps(line) + "\n")


if DIRECTORY:
    os.makedirs(DIRECTORY, exist_ok=True)
    sql_db.Cursor.execute = _recorded_execute
    _acquire_job = RunJobController._acquire_job.__func__
    _runjob = RunJobController._runjob.__func__

    def _profiled_acquire_job(cls, env, job_uuid):
        _start(env, job_uuid)
        job = _acquire_job(cls, env, job_uuid)
        if not job:
            _stop(None)
        return job

    def _profiled_runjob(cls, env, job):
        try:
            return _runjob(cls, env, job)
        finally:
            _stop(job)

    RunJobController._acquire_job = classmethod(_profiled_acquire_job)
    RunJobController._runjob = classmethod(_profiled_runjob)
