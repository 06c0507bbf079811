"""Renewal and lapse jobs run by hand (``jobs_main renewal|lapse --as-of``): every notice once,
whatever the schedule — re-runs, skipped days, concurrent runs — and lapses that respect renewals."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from collections import Counter

from peyvand_policy.domain.renewal import DEFAULT_WINDOWS, due_window
from peyvand_policy.service_layer import renewal_job, renewing
from peyvand_policy.service_layer.context import policy_id_for_quote
from peyvand_policy.service_layer.gauges import recount_policy_stats, refresh_policy_gauge
from peyvand_runtime import identity
from peyvand_runtime.identity import service_caller
from peyvand_runtime.ids import new_id

DAY = dt.timedelta(days=1)
START = dt.date(2026, 1, 1)


def run_cli(env, job: str, as_of: dt.date) -> dict:  # type: ignore[no-untyped-def]
    done = subprocess.run([sys.executable, "-m", "peyvand_policy.entrypoints.jobs_main", job, "--as-of", as_of.isoformat()],
                          env=env.isolated.env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def notices(env) -> Counter:  # type: ignore[no-untyped-def]
    return Counter((e["payload"]["policy_id"], e["payload"]["days_before_expiry"]) for e in env.envelopes("policy.renewal_due"))


def issue_book(env, count: int = 12) -> list:  # type: ignore[no-untyped-def]
    """Policies starting every 3 days, so their expiries fall in different windows on any date."""
    return [env.issue(new_id("cus"), START + 3 * k * DAY) for k in range(count)]


def test_renewal_notices_once_per_policy_term_and_window(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    book = issue_book(env)
    first_end = book[0].term_end
    expected: dict[str, set[int]] = {p.id: set() for p in book}

    def expect(as_of: dt.date) -> None:
        for p in book:
            window = due_window(p.term_end, as_of, DEFAULT_WINDOWS, expected[p.id])
            if window is not None:
                expected[p.id].add(window)

    def total() -> int:
        return sum(len(ws) for ws in expected.values())

    def check() -> None:
        seen = notices(env)
        assert all(n == 1 for n in seen.values()), f"duplicates: {[k for k, n in seen.items() if n > 1]}"
        assert set(seen) == {(pid, w) for pid, ws in expected.items() for w in ws}

    day_one = first_end - 45 * DAY
    first = run_cli(env, "renewal", day_one)
    again = run_cli(env, "renewal", day_one)  # the same day again: nothing new
    expect(day_one)
    check()
    assert first["emitted"] == 1 and again["emitted"] == 0  # only book[0] is 45 days out
    payload = env.envelopes("policy.renewal_due")[0]["payload"]
    assert payload["days_before_expiry"] == 45 and payload["renewal_total_premium"] > 0
    quote = env.services.quotes.get(payload["renewal_quote_id"])
    assert quote.renewal_of == book[0].id and quote.term_start == first_end + DAY
    assert quote.inputs["no_claims_years"] == book[0].inputs["no_claims_years"] + 1

    for as_of in (day_one + 15 * DAY, first_end - 5 * DAY):  # the next window, then after skipping 25 days
        run_cli(env, "renewal", as_of)
        expect(as_of)
        check()
    # After the skip, book[0] got only the latest missed window (7), not 15 as well.
    assert sorted(w for (pid, w) in notices(env) if pid == book[0].id) == [7, 30, 45]

    # Three replicas at once, without the lease: the version compare-and-set alone decides.
    busy_day = first_end - 1 * DAY
    barrier = threading.Barrier(3)
    results = []

    def replica() -> None:
        barrier.wait()
        with identity.bound(service_caller("policy-jobs")):
            results.append(renewal_job.run_renewal(env.services, busy_day, page_size=2))

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    before = total()
    expect(busy_day)
    check()
    assert sum(r.emitted for r in results) == total() - before > 0

    # And three job processes at once on the next day (they queue on the lease).
    next_day = busy_day + DAY
    procs = [subprocess.Popen([sys.executable, "-m", "peyvand_policy.entrypoints.jobs_main", "renewal", "--as-of", next_day.isoformat()],
                              env=env.isolated.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outputs]
    before = total()
    expect(next_day)
    check()
    assert sum(json.loads(out.strip().splitlines()[-1])["emitted"] for out, _ in outputs) == total() - before > 0


def test_lapse_job_lapses_expired_terms_and_finishes_half_done_renewals(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    book = issue_book(env, 5)
    ends = [p.term_end for p in book]
    run_cli(env, "renewal", ends[1] - 10 * DAY)  # prepares renewal quotes for the first terms
    svc = env.services
    with identity.bound(service_caller("policy-tests")):
        # book[1] renewed properly before it expired.
        env.clock.set_day(ends[1] - 5 * DAY)
        renewed_old, renewed_new = renewing.renew_policy(svc, book[1].id, svc.policies.get(book[1].id).renewal_quote_id)
        # book[2]: a renewal that crashed after step 1 (new term stored, old still active).
        old = svc.policies.get(book[2].id)
        quote = svc.quotes.get(old.renewal_quote_id)
        crashed_new = old.renew(quote, f"{old.branch_code}-1405-099999", env.clock().date(), "usr_x", new_policy_id=policy_id_for_quote(quote.id))
        svc.policies.add(crashed_new, env.clock())
    assert svc.policies.get(book[2].id).status == "active"

    as_of = ends[2] + DAY
    summary = run_cli(env, "lapse", as_of)
    again = run_cli(env, "lapse", as_of)
    statuses = {p.id: svc.policies.get(p.id).status for p in book}
    assert statuses == {book[0].id: "lapsed", book[1].id: "renewed", book[2].id: "renewed", book[3].id: "active", book[4].id: "active"}
    assert svc.policies.get(book[2].id).renewed_by == crashed_new.id
    assert summary["lapsed"] == 1 and summary["renewals_finished"] == 1 and again["lapsed"] == 0
    lapsed = env.envelopes("policy.lapsed")
    assert [e["payload"]["policy_id"] for e in lapsed] == [book[0].id]
    assert lapsed[0]["payload"]["expired_at"] == f"{ends[0].isoformat()}T20:30:00Z"
    renewed = Counter(e["payload"]["old_policy_id"] for e in env.envelopes("policy.renewed"))
    assert renewed == {book[1].id: 1, book[2].id: 1} and renewed_new.renewal_of == renewed_old.id
    # The policies-by-status gauge, kept by counters on every write, agrees with a recount.
    svc.issues.flush_counts()  # new business is tallied in memory and written about once a second
    counted = refresh_policy_gauge(env.database)
    assert counted == {("active", "motor_tpl"): 4, ("renewed", "motor_tpl"): 2, ("lapsed", "motor_tpl"): 1}
    repair = recount_policy_stats(env.database, settle_seconds=0)
    assert (repair.repaired, repair.busy) == ({}, [])  # nothing to repair
    assert {k: v for k, v in repair.counted.items() if v} == counted


class _RecordingCollection:
    """The policies collection, recording the projection of every ``find`` (None: whole documents)."""

    def __init__(self, collection) -> None:  # type: ignore[no-untyped-def]
        self._collection = collection
        self.projections: list[object] = []

    def find(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.projections.append(args[1] if len(args) > 1 else kwargs.get("projection"))
        return self._collection.find(*args, **kwargs)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._collection, name)


def test_renewal_pages_read_whole_while_notices_are_due_and_stale_reads_are_decided_again(policy_env) -> None:  # type: ignore[no-untyped-def]
    """A page is read whole while the page before had notices due (its due policies are used as
    read), projected otherwise; every notice goes out once either way, and a policy changed after
    the scan read it whole is re-read and decided again (its compare-and-set missed)."""
    env = policy_env
    early = [env.issue(new_id("cus"), START) for _ in range(5)]
    late = [env.issue(new_id("cus"), START + 9 * DAY) for _ in range(5)]
    day = early[0].term_end - 31 * DAY  # early: 31 days left (window 45); late: 40 (window 45)
    recording = _RecordingCollection(env.services.policies.collection)
    env.services.policies.collection = recording
    with identity.bound(service_caller("policy-jobs")):
        first = renewal_job.run_renewal(env.services, day, page_size=2)
    assert first.emitted == 10 and first.conflicts == 0
    scans = [p for p in recording.projections if p is None or "term_end" in p]
    assert scans and all(p is None for p in scans)  # every page had notices due: all read whole
    assert {"outbox": 0} not in recording.projections  # so no due policy was loaded a second time

    # The next day only the early ones reach a window (30); the late ones were told at 45 already.
    recording.projections.clear()
    bumped: list[str] = []
    convert = env.services.policies.from_stored

    def stale_after_the_scan(doc):  # type: ignore[no-untyped-def]
        if not bumped:  # an endorsement lands between the scan's read and the notice's write
            env.database["policies"].update_one({"_id": doc["_id"]}, {"$inc": {"version": 1}})
            bumped.append(doc["_id"])
        return convert(doc)

    env.services.policies.from_stored = stale_after_the_scan
    with identity.bound(service_caller("policy-jobs")):
        second = renewal_job.run_renewal(env.services, day + DAY, page_size=2)
    assert second.emitted == 5 and second.conflicts == 1 and bumped and bumped[0] in {p.id for p in early}
    scans = [p for p in recording.projections if p is None or "term_end" in p]
    assert None in scans and any(p is not None for p in scans)  # whole while due, projected after
    seen = notices(env)
    assert all(n == 1 for n in seen.values())
    assert set(seen) == {(p.id, 45) for p in early + late} | {(p.id, 30) for p in early}
