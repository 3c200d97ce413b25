"""A worker killed (SIGKILL) between a write and its commit: the job is found dead, re-run by
queue_job's runner, and the retry creates nothing twice.

The kill point is controlled through PostgreSQL: the test holds an uncommitted binding row that the
worker's own binding insert (the last step before commit) has to wait for."""

import os
import signal

from .harness import Database, wait_for
from .shop import Blocker

WAITING_INSERT = ("SELECT a.pid FROM pg_stat_activity a WHERE a.datname = current_database() "
                  "AND a.wait_event_type = 'Lock' AND a.query LIKE 'INSERT INTO \"shop_sync_binding\"%%'")


def _kill(shop, job_uuid):
    """SIGKILL the Odoo worker running the job."""
    pid = shop.db.value("SELECT worker_pid FROM queue_job WHERE uuid = %s", (job_uuid,))
    assert pid and pid != shop.server.process.pid
    os.kill(pid, signal.SIGKILL)


def _requeue_when_gone(shop, backend_pid, job_uuid):
    """Once PostgreSQL has ended the killed worker's session (rolling its transaction back), make
    queue_job's runner look for dead jobs now rather than after its 10 s grace period."""
    wait_for(lambda: not shop.db.value("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend_pid,)),
             timeout=10, message="the killed worker's session to end")
    shop.db.all("UPDATE queue_job SET date_enqueued = date_enqueued - interval '1 minute' WHERE uuid = %s",
                (job_uuid,))


def test_order_import_killed_before_commit_is_imported_once_on_retry(shop):
    gid, name = shop.place_order()
    blocker = Blocker(shop.db.name)
    try:
        blocker.hold_binding(shop.ids["shop"], -1, gid)
        assert shop.post_webhook(gid).status_code == 200
        backend_pid = wait_for(lambda: shop.db.value(WAITING_INSERT), timeout=30,
                               message="the import to reach the binding insert (sale order created, not committed)")
        ((event_id, *_rest),) = shop.events(gid)
        ((state, _pid, job_uuid, *_rest),) = shop.jobs("_process", event_id)
        assert state == "started"
        _kill(shop, job_uuid)
    finally:
        blocker.release()
    _requeue_when_gone(shop, backend_pid, job_uuid)
    assert not shop.sale_orders(name), "nothing of the killed attempt was committed"

    wait_for(lambda: shop.events(gid)[0][2] != "pending", timeout=40, message="the retried import")
    ((_event_id, _source, state, message),) = shop.events(gid)
    assert state == "done", message
    assert [job[0] for job in shop.jobs("_process", event_id)] == ["done"]
    assert len(shop.sale_orders(name)) == 1
    assert [log[0] for log in shop.logs(shop.ids["shop"], "order_import", name)] == ["done"]
    wait_for(lambda: shop.sale_orders(name)[0][1] == "draft", timeout=30, message="the draft invoice")
    assert len(shop.drafts(name)) == 1


def test_invoice_export_killed_after_the_remote_post_leaves_one_draft(shop):
    gid, name = shop.place_order()
    reference = f"SHOPSYNC:{shop.ids['shop']}:{name}"
    accounting = shop.ids["accounting"]
    holder = Database(shop.db.name)  # holds the exporter's per-order lock until the blocker is set
    holder.all("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (f"{accounting}|sale.order|{reference}",))
    blocker = Blocker(shop.db.name)
    try:
        assert shop.post_webhook(gid).status_code == 200
        ((sale_id, _state),) = wait_for(lambda: shop.sale_orders(name), timeout=30, message="the sale order")
        blocker.hold_binding(accounting, sale_id, "draft:held-by-the-test")
        holder.close()
        backend_pid = wait_for(lambda: shop.db.value(WAITING_INSERT), timeout=30,
                               message="the export to reach the binding insert (draft posted, not committed)")
        assert len(shop.drafts(name)) == 1, "e-conomic has the draft"
        ((state, _pid, job_uuid, *_rest),) = shop.jobs("_economic_export_invoice", model="shop.sync.backend")[-1:]
        assert state == "started"
        _kill(shop, job_uuid)
    finally:
        holder.close()
        blocker.release()
    _requeue_when_gone(shop, backend_pid, job_uuid)

    wait_for(lambda: shop.sale_orders(name)[0][1] == "draft", timeout=40, message="the retried export")
    assert len(shop.drafts(name)) == 1, "the retry found the draft instead of posting a second one"
    logs = shop.logs(accounting, "invoice_export", name)
    assert logs[-1][0] == "done" and "earlier attempt" in logs[-1][2], logs
    assert shop.db.value("SELECT state FROM queue_job WHERE uuid = %s", (job_uuid,)) == "done"
