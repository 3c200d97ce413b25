"""The same order delivered by webhook and by a poll at the same time, processed by two Odoo
worker processes at once: one sale order, one e-conomic draft invoice.  The products are in stock,
so both imports reserve the same quants: the one that lost the race hits a serialization failure
and is retried by queue_job, then finds the order imported (skipped, not an error)."""

import threading

from .harness import Database, wait_for


def test_webhook_and_poll_in_two_workers_make_one_order_and_one_draft(shop):
    gid, name = shop.place_order()
    # hold the importer's per-order lock, so both deliveries reach it while the other runs
    holder = Database(shop.db.name)
    holder.all("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (shop.lock_key(gid),))
    try:
        answers = {}
        threads = [
            threading.Thread(target=lambda: answers.setdefault("webhook", shop.post_webhook(gid))),
            threading.Thread(target=lambda: answers.setdefault(
                "poll", shop.server.rpc("shop.sync.backend", "action_sync_now", [shop.ids["shop"]]))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert (answers["webhook"].status_code, answers["webhook"].text) == (200, "queued")
        wait_for(lambda: shop.db.value(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == 2,
            timeout=30, message="both imports waiting for the order's lock")
        workers = {pid for event in shop.events(gid) for state, pid, *_rest in shop.jobs("_process", event[0])
                   if state == "started"}
        assert len(workers) == 2, "the two imports run in two worker processes at once"
    finally:
        holder.close()  # releases the lock: both imports race for the order

    events = wait_for(lambda: (lambda rows: rows if len(rows) == 2 and all(r[2] != "pending" for r in rows)
                               else None)(shop.events(gid)), timeout=30, message="both events processed")
    assert {source for _id, source, _state, _message in events} == {"webhook", "poll"}
    jobs = [job for event in events for job in shop.jobs("_process", event[0])]
    assert [state for state, *_rest in jobs] == ["done", "done"], jobs
    assert len(shop.sale_orders(name)) == 1
    assert sorted(state for _id, _source, state, _message in events) == ["done", "skipped"], events

    wait_for(lambda: shop.sale_orders(name)[0][1] == "draft", timeout=30, message="the draft invoice")
    assert len(shop.drafts(name)) == 1
    assert len(shop.sale_orders(name)) == 1
