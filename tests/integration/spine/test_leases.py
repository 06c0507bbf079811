"""Leases and once-per-tick jobs against the real store: one holder at a time, takeover on expiry."""

from __future__ import annotations

import datetime as dt
import threading

from peyvand_runtime import lease, store
from peyvand_runtime.settings import ProcessSettings


def _db(isolated):  # type: ignore[no-untyped-def]
    return store.connect("leasetest", ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix))


def test_one_holder_at_a_time_and_takeover_after_expiry(isolated) -> None:  # type: ignore[no-untyped-def]
    db = _db(isolated)
    now = [dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)]
    a = lease.Lease(db, "job:renewal", "replica-a", 30, clock=lambda: now[0])
    b = lease.Lease(db, "job:renewal", "replica-b", 30, clock=lambda: now[0])
    assert a.acquire()
    assert not b.acquire()
    assert a.acquire(), "the holder renews"
    now[0] += dt.timedelta(seconds=31)
    assert b.acquire(), "an expired lease is taken over"
    assert not a.acquire()
    b.release()
    assert a.acquire()


def test_concurrent_replicas_get_exactly_one_holder(isolated) -> None:  # type: ignore[no-untyped-def]
    db = _db(isolated)
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def replica(name: str) -> None:
        candidate = lease.Lease(db, "job:sla-sweep", name, 30)
        barrier.wait()
        if candidate.acquire():
            winners.append(name)

    threads = [threading.Thread(target=replica, args=(f"r{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1, winners


def test_ticks_are_remembered(isolated) -> None:  # type: ignore[no-untyped-def]
    db = _db(isolated)
    assert not lease.tick_done(db, "renewal", "2026-11-22")
    lease.mark_tick_done(db, "renewal", "2026-11-22", {"emitted": 3})
    assert lease.tick_done(db, "renewal", "2026-11-22")
    assert not lease.tick_done(db, "renewal", "2026-11-23")
    assert lease.last_success(db, "renewal") is not None


def test_inbox_forgets_ids_older_than_its_retention(isolated) -> None:  # type: ignore[no-untyped-def]
    from peyvand_runtime.inbox import KEEP_FOR, Inbox

    db = _db(isolated)
    inbox = Inbox(db, "evt-x--y.handle")
    inbox.ensure_indexes()
    inbox.record_many(["evt_01KAAAAAAAAAAAAAAAAAAAAAA1", "evt_01KAAAAAAAAAAAAAAAAAAAAAA2"])
    inbox.record_many(["evt_01KAAAAAAAAAAAAAAAAAAAAAA1"])  # a redelivery's record is harmless
    assert inbox.seen("evt_01KAAAAAAAAAAAAAAAAAAAAAA1")
    later = dt.datetime.now(dt.UTC) + KEEP_FOR + dt.timedelta(minutes=1)
    assert inbox.prune(later) == 2
    assert not inbox.seen("evt_01KAAAAAAAAAAAAAAAAAAAAAA1")
