"""The renewal job's write pipeline: a page written on the writer thread while the next is prepared."""

from __future__ import annotations

import datetime as dt

from peyvand_policy.domain.renewal import DEFAULT_WINDOWS
from peyvand_policy.service_layer import renewal_job
from peyvand_runtime import identity
from peyvand_runtime.identity import service_caller
from peyvand_runtime.ids import new_id


def test_a_policy_in_two_pipelined_pages_is_notified_once(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    start = dt.date(2026, 3, 1)
    book = [env.issue(new_id("cus"), start) for _ in range(3)]
    as_of = book[0].term_end - dt.timedelta(days=30)
    summary = renewal_job.RenewalSummary(as_of.isoformat())
    with identity.bound(service_caller("policy-jobs")):
        writes = renewal_job._Writes(env.services, as_of, DEFAULT_WINDOWS, summary)  # noqa: SLF001
        try:
            writes.notify([book[0].id, book[1].id])
            writes.notify([book[1].id, book[2].id])  # book[1] again, prepared before the first page is written
        finally:
            writes.close()
    assert summary.emitted == 3 and summary.already_sent + summary.conflicts >= 1
    due = env.envelopes("policy.renewal_due")
    assert sorted(e["payload"]["policy_id"] for e in due) == sorted(p.id for p in book)
    assert {"load", "build", "write"} <= set(summary.phases)
