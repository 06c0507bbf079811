"""The status counters' repair (``recount_policy_stats``, ``jobs_main recount-stats``): it adds the
difference to rows nobody wrote during its scan, leaves the others alone and says so, and never
counts a policy twice when a page shifts under it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from typing import Any

import pytest
from peyvand_policy.adapters.status_counts import count_status_change
from peyvand_policy.entrypoints.jobs_main import EXIT_BUSY_ROWS, RECOUNT_LEASE, run_recount
from peyvand_policy.service_layer import gauges, policies
from peyvand_policy.service_layer.gauges import recount_policy_stats, refresh_policy_gauge
from peyvand_policy.settings import PolicyJobSettings
from peyvand_runtime import identity
from peyvand_runtime.identity import service_caller
from peyvand_runtime.ids import new_id
from peyvand_runtime.lease import Lease

START = dt.date(2026, 3, 1)
HEALTH = {"plan_tier": "basic", "age": "30", "insured_count": "1"}
MOTOR = ("active", "motor_tpl")
HEALTH_ACTIVE = ("active", "health_supp")
BEHIND = "pol_" + "0" * 26  # sorts before every real policy id


def book(env: Any, motor: int, health: int = 0) -> list[Any]:
    issued = [env.issue(new_id("cus"), START) for _ in range(motor)]
    issued += [env.issue(new_id("cus"), START, product="health_supp", inputs=dict(HEALTH)) for _ in range(health)]
    env.services.issues.flush_counts()
    return issued


def rows(env: Any) -> dict[tuple[str, str], int]:
    return {k: v for k, v in refresh_policy_gauge(env.database).items() if v}


def bump(env: Any, key: tuple[str, str], by: int) -> None:
    env.database["policy_stats"].update_one({"_id": f"{key[0]}|{key[1]}"}, {"$inc": {"count": by}})


def test_drift_is_repaired_with_the_difference(policy_env, caplog) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    book(env, motor=5, health=1)
    truth = {MOTOR: 5, HEALTH_ACTIVE: 1}
    assert rows(env) == truth
    bump(env, MOTOR, -3)  # lost counter writes (a crash between the policy write and its counter)
    env.database["policy_stats"].insert_one({"_id": "bogus|motor_tpl", "status": "bogus", "product": "motor_tpl", "count": 7})
    env.database["policy_stats"].delete_one({"_id": "active|health_supp"})

    caplog.set_level(logging.INFO, logger=gauges.__name__)
    gauges_progress = gauges.PROGRESS_EVERY
    try:
        gauges.PROGRESS_EVERY = 2
        summary = recount_policy_stats(env.database, page_size=2, settle_seconds=0.05)
    finally:
        gauges.PROGRESS_EVERY = gauges_progress
    assert (summary.scanned, summary.seen_again, summary.busy) == (6, 0, [])
    assert summary.counted == truth
    assert summary.repaired == {MOTOR: 3, ("bogus", "motor_tpl"): -7, HEALTH_ACTIVE: 1}
    assert rows(env) == truth
    assert env.database["policy_stats"].find_one({"_id": "bogus|motor_tpl"})["count"] == 0  # kept at 0: the gauge shows 0
    assert summary.as_dict()["repaired"] == {"active|health_supp": 1, "active|motor_tpl": 3, "bogus|motor_tpl": -7}
    progress = [r.scanned for r in caplog.records if r.getMessage() == "policy counters repair scanning"]
    assert progress == [2, 4, 6]
    logged = " ".join(str(vars(r)) for r in caplog.records)
    assert "pol_" not in logged and "cus_" not in logged  # counts only, no ids or personal data

    again = recount_policy_stats(env.database, settle_seconds=0)
    assert (again.repaired, again.busy, again.scanned) == ({}, [], 6)


def test_a_row_written_during_the_scan_is_left_alone_and_reported_busy(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    issued = book(env, motor=4, health=2)
    bump(env, MOTOR, -3)
    bump(env, HEALTH_ACTIVE, 2)
    pages: list[int] = []

    def cancel_during_the_scan(scanned: int) -> None:  # a policy the scan has counted as active is cancelled
        pages.append(scanned)
        if len(pages) == 1:
            with identity.bound(service_caller("policy-tests")):
                policies.cancel_policy(env.services, issued[0].id, 1, "customer request", None)

    summary = recount_policy_stats(env.database, page_size=2, settle_seconds=0, on_page=cancel_during_the_scan)
    assert pages == [2, 4, 6]
    assert summary.busy == [MOTOR, ("cancelled", "motor_tpl")]
    assert summary.repaired == {HEALTH_ACTIVE: -2}
    # the busy row keeps its damage (and the cancel's -1); the quiet one is right
    assert refresh_policy_gauge(env.database) == {MOTOR: 4 - 3 - 1, ("cancelled", "motor_tpl"): 1, HEALTH_ACTIVE: 2}

    quiet = recount_policy_stats(env.database, page_size=2, settle_seconds=0)  # the operator's re-run
    assert (quiet.repaired, quiet.busy) == ({MOTOR: 3}, [])
    assert rows(env) == {MOTOR: 3, ("cancelled", "motor_tpl"): 1, HEALTH_ACTIVE: 2}


def test_changes_that_cancel_out_during_the_scan_still_make_the_row_busy(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    issued = book(env, motor=4)
    bump(env, MOTOR, -2)

    def one_in_one_out(scanned: int) -> None:
        if scanned == 2:  # a new policy (+1 active) and a cancel of one already counted (-1 active): same count
            env.issue(new_id("cus"), START)
            env.services.issues.flush_counts()
            with identity.bound(service_caller("policy-tests")):
                policies.cancel_policy(env.services, issued[0].id, 1, "customer request", None)

    summary = recount_policy_stats(env.database, page_size=2, settle_seconds=0, on_page=one_in_one_out)
    assert summary.busy == [MOTOR, ("cancelled", "motor_tpl")] and summary.repaired == {}  # seen by its ``writes``
    assert rows(env) == {MOTOR: 4 - 2, ("cancelled", "motor_tpl"): 1}


def test_a_policy_inserted_behind_the_scan_shifts_a_page_but_nothing_is_counted_twice(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    book(env, motor=5)
    bump(env, MOTOR, -3)
    first_ids = [d["_id"] for d in env.database["policies"].find({}, {"_id": 1}).sort("_id", 1).limit(2)]

    def insert_behind(scanned: int) -> None:
        if scanned == 2:  # a renewal's id derives from its quote: it can sort before policies already counted
            doc = env.database["policies"].find_one({"_id": first_ids[0]})
            doc.update(_id=BEHIND, product_code="health_supp", policy_number="1021-1404-999999")
            env.database["policies"].insert_one(doc)
            count_status_change(env.database["policy_stats"], "health_supp", None, "active")  # its counter, as a write does

    summary = recount_policy_stats(env.database, page_size=2, settle_seconds=0, on_page=insert_behind)
    # page 2 (skip 2) starts with the last document of page 1 again: dropped, not counted twice
    assert (summary.scanned, summary.seen_again) == (5, 1)
    assert summary.counted == {MOTOR: 5}
    assert summary.repaired == {MOTOR: 3}  # not 4
    assert summary.busy == [HEALTH_ACTIVE]  # written during the scan: its own counter write is right
    assert rows(env) == {MOTOR: 5, HEALTH_ACTIVE: 1}
    again = recount_policy_stats(env.database, settle_seconds=0)
    assert (again.scanned, again.repaired, again.busy) == (6, {}, [])


def test_a_lost_lease_stops_the_repair_before_it_writes(policy_env) -> None:  # type: ignore[no-untyped-def]
    from peyvand_policy.service_layer.renewal_job import LeaseLost

    env = policy_env
    book(env, motor=2)
    bump(env, MOTOR, -1)
    answers = iter([True, True, False])  # scan pages, then lost at the settle check
    with pytest.raises(LeaseLost):
        recount_policy_stats(env.database, page_size=2, settle_seconds=0, keep_lease=lambda: next(answers))
    assert rows(env) == {MOTOR: 1}


def run_cli(env: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "peyvand_policy.entrypoints.jobs_main", "recount-stats", *args],
                          env=env.isolated.env(), capture_output=True, text=True, timeout=120)


def test_the_command_repairs_prints_json_and_tells_by_its_exit_code(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    issued = book(env, motor=3)
    bump(env, MOTOR, -2)

    done = run_cli(env, "--settle", "0.1", "--page-size", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["ran"] is True and out["scanned"] == 3 and out["busy"] == []
    assert out["repaired"] == {"active|motor_tpl": 2} and out["counters"] == {"active|motor_tpl": 3}
    assert rows(env) == {MOTOR: 3}
    assert "policy counters repair done" in done.stdout  # the JSON log lines come first

    # busy rows: exit 4, the summary lists them (in process, with a write during the scan)
    def cancel_during_the_scan(scanned: int) -> None:
        if scanned == 2:
            with identity.bound(service_caller("policy-tests")):
                policies.cancel_policy(env.services, issued[0].id, 1, "customer request", None)

    bump(env, MOTOR, 5)
    out, code = run_recount(env.database, PolicyJobSettings(), settle_seconds=0, page_size=2, on_page=cancel_during_the_scan)
    assert code == EXIT_BUSY_ROWS == 4
    assert out["busy"] == ["active|motor_tpl", "cancelled|motor_tpl"] and out["repaired"] == {}
    assert out["counters"] == {"active|motor_tpl": 3 + 5 - 1, "cancelled|motor_tpl": 1}

    # another operator's run holds the lease: not run, exit 3
    other = Lease(env.database, RECOUNT_LEASE, "policy-jobs@elsewhere:1", 60)
    assert other.acquire()
    held = run_cli(env, "--lease-wait", "0")
    assert held.returncode == 3, held.stderr[-3000:]
    assert json.loads(held.stdout.strip().splitlines()[-1]) == {"job": "recount-stats", "ran": False, "reason": "LEASE_HELD"}
    other.release()

    # the quiet re-run repairs what was busy
    done = run_cli(env, "--settle", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["repaired"] == {"active|motor_tpl": -5}
    assert rows(env) == {MOTOR: 2, ("cancelled", "motor_tpl"): 1}

    # bad arguments: a clear message, no traceback
    bad = run_cli(env, "--as-of", "2026-01-01")
    assert bad.returncode == 2 and "--as-of is for renewal and lapse" in bad.stderr and "Traceback" not in bad.stderr
