"""A restarted jobs process shows when the renewal job last succeeded (no false 'never ran' alert)."""

from __future__ import annotations

import time

from peyvand_policy.entrypoints.jobs_main import restore_last_success
from peyvand_policy.service_layer import metrics, renewal_job
from peyvand_runtime import lease, store
from peyvand_runtime.settings import ProcessSettings


def test_last_success_is_restored_from_the_recorded_runs(isolated) -> None:  # type: ignore[no-untyped-def]
    db = store.connect("policy", ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix))
    metrics.RENEWAL_LAST_SUCCESS.set(0)
    restore_last_success(db)
    assert metrics.RENEWAL_LAST_SUCCESS._value.get() == 0  # nothing recorded: still "never"

    before = time.time()
    lease.mark_tick_done(db, renewal_job.JOB, "2026-11-22", {"emitted": 1})
    restore_last_success(db)
    assert before - 1 <= metrics.RENEWAL_LAST_SUCCESS._value.get() <= time.time() + 1
