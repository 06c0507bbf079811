"""A worker process with one ``@on_event_batch`` handler, for the spine's batch-consumer tests.

    python tests/integration/spine/batch_probe_worker.py   (environment as for any worker)

Records every batch it is handed (``batches``) and counts each event it applies (``applied``,
``$inc`` per event id: a count above 1 would be an event applied twice). A payload with
``"fail": true`` is reported back as failed (that event alone is retried); ``"boom": true``
makes the whole call raise. ``customer.updated`` goes to a handler without an inbox
(``handed_no_inbox`` counts how many times each event reached it).
"""

import eventlet

eventlet.monkey_patch()

from typing import Any  # noqa: E402

from peyvand_runtime.consumer import on_event_batch  # noqa: E402
from peyvand_runtime.envelope import Envelope  # noqa: E402
from peyvand_runtime.settings import WorkerSettings  # noqa: E402
from peyvand_runtime.worker import run_worker  # noqa: E402

_STATE: dict[str, Any] = {}


class BatchProbe:
    name = "probe"

    @on_event_batch("customer", "customer.created", max_batch=50, max_wait_seconds=0.05)
    def handle_created(self, envelopes: list[Envelope]) -> dict[str, Exception]:
        db = _STATE["db"]
        db["batches"].insert_one({"size": len(envelopes), "ids": [e.event_id for e in envelopes]})
        if any(e.payload.get("boom") for e in envelopes):
            raise RuntimeError("the whole batch fails")
        failures: dict[str, Exception] = {e.event_id: ValueError("told to fail") for e in envelopes if e.payload.get("fail")}
        for envelope in envelopes:
            if envelope.event_id not in failures:
                db["applied"].update_one({"_id": envelope.event_id}, {"$inc": {"n": 1}}, upsert=True)
        return failures

    # No inbox: each delivery of an event reaches the method (the count shows how many times).
    @on_event_batch("customer", "customer.updated", max_batch=50, max_wait_seconds=0.05, inbox=False)
    def handle_updated(self, envelopes: list[Envelope]) -> None:
        db = _STATE["db"]
        db["batches_no_inbox"].insert_one({"size": len(envelopes), "ids": [e.event_id for e in envelopes]})
        for envelope in envelopes:
            db["handed_no_inbox"].update_one({"_id": envelope.event_id}, {"$inc": {"n": 1}}, upsert=True)


if __name__ == "__main__":
    run_worker("probe", BatchProbe, WorkerSettings(), install=lambda db: _STATE.update(db=db))
