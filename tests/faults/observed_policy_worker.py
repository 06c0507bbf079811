"""The real policy worker, plus a journal of its effects (run as a process by the fault tests).

Every call of ``customer_refs.apply_snapshot`` that changed the projection is written to
``fault_effects`` as ``{key: "<customer_id>:v<version>"}``: two entries with one key are one
event applied twice. ``fault_injection`` documents (``{_id: customer_id}``) make the handler
fail for that customer — a stand-in for a bug that the operator then fixes (deletes the entry).
Nothing else changes: same handlers, inbox, retries and dead letters as
``peyvand_policy.entrypoints.worker_main``.
"""

from __future__ import annotations

import uuid
import warnings
from typing import Any

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # first, as worker_main does, before pymongo is imported

from peyvand_policy.adapters import customer_refs  # noqa: E402
from peyvand_policy.entrypoints import worker_main  # noqa: E402

EFFECTS = "fault_effects"
INJECTED = "fault_injection"
_original = customer_refs.apply_snapshot


def observed_apply_snapshot(database: Any, snapshot: dict[str, Any]) -> bool:
    customer_id = str(snapshot.get("customer_id"))
    if database[INJECTED].find_one({"_id": customer_id}) is not None:
        raise RuntimeError("injected fault: this customer's snapshot cannot be applied yet")
    changed = _original(database, snapshot)
    if changed:
        version = int(snapshot.get("aggregate_version") or 0)
        database[EFFECTS].insert_one({"_id": uuid.uuid4().hex, "key": f"{customer_id}:v{version}"})
    return changed


customer_refs.apply_snapshot = observed_apply_snapshot

if __name__ == "__main__":
    worker_main.main()
