"""The offline-sync changes feed: tickets and tasks in the caller's scope written after a position.

Every ticket and task write stamps ``changed_ms`` (integer milliseconds: nx-27017 compares
stored datetimes unreliably, ADR 0001). The feed answers in (``changed_ms``, ``_id``) order
from an opaque position and holds back the last ``SETTLE_MS`` of writes: a write stamped at
t can commit after a reader already read past t, and a position must never move past a
write that is not visible yet. Every status is reported (a closed ticket, a completed task)
so the client can drop what is no longer in work.

Queries go one per scope value (an agent's own records; one per branch for staff): nx-27017
reads the whole collection for ``$in`` on a field other than ``_id`` and drops the scope
index when an ``_id`` range is added, so the same-millisecond continuation is filtered here.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from peyvand_runtime.domain import ValidationError, Violations
from peyvand_runtime.identity import Caller, can_see_record, scope_filter
from peyvand_runtime.ids import is_id
from pymongo import ASCENDING
from pymongo.collection import Collection

from peyvand_ticketing.domain.ticket_values import STATUSES

CHANGED_MS = "changed_ms"
SETTLE_MS = 2000
FIELD = "changed_since"


def decode_position(token: str) -> tuple[int, str]:
    """(changed_ms, last _id) after which to continue; (-1, "") from the beginning."""
    if not token:
        return -1, ""
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(state["t"]), str(state["id"])
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise ValidationError.single(FIELD, "is not a token this service issued") from None


def encode_position(changed_ms: int, last_id: str) -> str:
    raw = json.dumps({"t": changed_ms, "id": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def ticket_scopes(caller: Caller) -> list[dict[str, Any]] | None:
    """One query per scope value; an agent also sees tickets assigned to them (``visible``)."""
    scope = scope_filter(caller)
    if scope is None:
        return None
    if caller.role == "agent":
        return [{"agent_id": caller.agent_id}, {"assignee_id": caller.principal}]
    return _split(scope)


def task_scopes(caller: Caller) -> list[dict[str, Any]] | None:
    """An agent's tasks are the ones they own (as ``ListTasks``); others by their scope."""
    scope = scope_filter(caller)
    if scope is None:
        return None
    if caller.role == "agent":
        return [{"owner_id": caller.agent_id}]
    return _split(scope)


def _split(scope: dict[str, Any]) -> list[dict[str, Any]]:
    branches = scope.get("branch_code")
    if isinstance(branches, dict) and "$in" in branches:
        return [{**scope, "branch_code": b} for b in branches["$in"]]
    return [scope]


def feed(collection: Collection[Any], scopes: list[dict[str, Any]] | None, filters: dict[str, Any], token: str, size: int,
         now_ms: int, projection: dict[str, Any]) -> tuple[list[dict[str, Any]], str, bool]:
    """Documents written after ``token`` (oldest first), the position after them, and whether more wait."""
    since, last_id = decode_position(token)
    if scopes is None:
        return [], encode_position(since, last_id), False
    horizon = now_ms - SETTLE_MS
    # A filter naming another owner than the scope allows matches nothing in that scope.
    scopes = [s for s in scopes if all(k not in filters or filters[k] == v for k, v in s.items())]
    found: dict[str, dict[str, Any]] = {}
    if since >= 0:  # the rest of the millisecond the previous answer stopped in
        for scope in scopes:
            for doc in collection.find({**filters, **scope, CHANGED_MS: since}, projection):
                if doc["_id"] > last_id:
                    found[doc["_id"]] = doc
    if len(found) <= size:
        for scope in scopes:
            query = {**filters, **scope, CHANGED_MS: {"$gt": since, "$lte": horizon}}
            cursor = collection.find(query, projection).sort([(CHANGED_MS, ASCENDING), ("_id", ASCENDING)]).limit(size + 1)
            for doc in cursor:
                found.setdefault(doc["_id"], doc)
    docs = sorted((d for d in found.values() if int(d.get(CHANGED_MS) or 0) <= horizon),
                  key=lambda d: (int(d[CHANGED_MS]), d["_id"]))
    has_more = len(docs) > size
    docs = docs[:size]
    if not docs:
        return [], encode_position(since, last_id), False
    return docs, encode_position(int(docs[-1][CHANGED_MS]), docs[-1]["_id"]), has_more


def ticket_changes(ctx: Any, caller: Caller, filters: dict[str, str], token: str, size: int) -> tuple[list[Any], str, bool]:
    """ListTickets with ``changes_feed``: Ticket aggregates written after ``token`` in scope."""
    from peyvand_ticketing.adapters.ticket_repo import TICKET_PROJECTION, from_doc

    docs, position, more = feed(ctx.tickets.collection, ticket_scopes(caller), {k: v for k, v in filters.items() if v}, token,
                                size, _ms(ctx.now()), TICKET_PROJECTION)
    return [from_doc(d) for d in docs], position, more


def task_changes(ctx: Any, caller: Caller, filters: dict[str, str], token: str, size: int) -> tuple[list[dict[str, Any]], str, bool]:
    """ListTasks with ``changes_feed``: task documents written after ``token`` in scope."""
    return feed(ctx.tasks.collection, task_scopes(caller), {k: v for k, v in filters.items() if v}, token, size,
                _ms(ctx.now()), {"outbox": 0})


def _ms(now: Any) -> int:
    return int(now.timestamp() * 1000)


TICKET_STATUSES = STATUSES
TASK_STATUSES = ("open", "done", "cancelled")


def check_ticket_filters(filters: dict[str, str]) -> None:
    problems = Violations()
    if filters.get("status") and filters["status"] not in TICKET_STATUSES:
        problems.add("status", "must be one of " + ", ".join(TICKET_STATUSES))
    if filters.get("sla_state") and filters["sla_state"] not in ("ok", "warning", "breached"):
        problems.add("sla_state", "must be one of ok, warning, breached")
    problems.raise_if_any()


def check_task_filters(owner_id: str, customer_id: str, status: str) -> dict[str, str]:
    if status and status not in TASK_STATUSES:
        raise ValidationError.single("status", "must be one of " + ", ".join(TASK_STATUSES))
    return {"owner_id": owner_id, "customer_id": customer_id, "status": status}


# --- reconciliation: which of these ids are still in the caller's scope ------------------------

MAX_IDS = 500
IDS_FIELD = "ids"


def check_ids(ids: list[str], prefix: str, other_filters: dict[str, Any]) -> list[str]:
    """``ids`` alone (no other filter, no feed), at most ``MAX_IDS`` well-formed ids; deduplicated."""
    problems = Violations()
    if len(ids) > MAX_IDS:
        problems.add(IDS_FIELD, f"at most {MAX_IDS} ids per call")
    bad = next((i for i, value in enumerate(ids) if not is_id(value, prefix)), None)
    if bad is not None:
        problems.add(f"{IDS_FIELD}[{bad}]", f"must be a {prefix}_ id")
    for name, value in other_filters.items():
        if value:
            problems.add(name, "cannot be combined with ids")
    problems.raise_if_any()
    return list(dict.fromkeys(ids))


def tickets_by_ids(ctx: Any, caller: Caller, ids: list[str]) -> list[Any]:
    """Those of ``ids`` the caller may see (``visible``: scope or assignee), any status; ``$in`` on ``_id``."""
    from peyvand_ticketing.service_layer.context import visible

    if not ids:
        return []
    return [ticket for ticket, _ in ctx.tickets.load_many(ids) if visible(caller, ticket)]


def tasks_by_ids(ctx: Any, caller: Caller, ids: list[str]) -> list[dict[str, Any]]:
    """Those of ``ids`` the caller may see (an agent: tasks they own, as ``ListTasks``), any status."""
    if not ids or scope_filter(caller) is None:
        return []
    docs = ctx.tasks.collection.find({"_id": {"$in": ids}}, {"outbox": 0})
    if caller.role == "agent":
        return [d for d in docs if d.get("owner_id") == caller.agent_id]
    return [d for d in docs if can_see_record(caller, d.get("agent_id") or None, d.get("branch_code") or None)]
