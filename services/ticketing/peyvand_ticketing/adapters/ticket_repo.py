"""Tickets in the ``tickets`` collection: whole-aggregate saves with compare-and-set and the outbox.

The activity log is not embedded (it is unbounded): entries the aggregate appended since it
was loaded go to ``ticket_activity`` right after the ticket's write succeeded, keyed
``<ticket_id>:<version>:<n>`` so a retried write cannot duplicate them. The entries of the
first write (opened, auto-assigned) travel inside the ticket's insert as ``activity_head``
(same ids; one write fewer per OpenTicket); ``reply_repo.list_activity`` reads both. The
document also carries the derived fields the sweep and the lists query: ``sla_next_check_at``
(for people) and its integer twin ``sla_check_ms`` (indexed, what the sweep queries: nx-27017
barely uses an index on a datetime), ``sla_state``, ``sla_bucket`` (``<queue>|<state>``, for
the dashboard ``$group``), and ``changed_ms``: the integer-millisecond time of the last write
(not indexed: the changes feed filters on the indexed scope field first), which orders the
offline-sync changes feed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from peyvand_runtime import outbox
from peyvand_runtime.domain import NotFound
from pymongo import UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database

from peyvand_ticketing.adapters.instants import stored_instant
from peyvand_ticketing.domain import sla as sla_rules
from peyvand_ticketing.domain.business_calendar import BusinessCalendar
from peyvand_ticketing.domain.sla_schedule import next_check_at, stored_sla_state
from peyvand_ticketing.domain.ticket import Ticket
from peyvand_ticketing.domain.ticket_values import ActivityEntry, Attachment

TICKETS = "tickets"
ACTIVITY = "ticket_activity"
PRODUCER = "ticketing"
NOT_FOUND_CODE = "TICKET_NOT_FOUND"
ACTIVITY_HEAD = "activity_head"
# What reads of whole tickets leave out (the pending envelopes and the embedded first activity).
TICKET_PROJECTION = {"outbox": 0, ACTIVITY_HEAD: 0}


def instant_ms(value: dt.datetime | None) -> int | None:
    """Integer milliseconds since the epoch: the indexed, comparable form of an instant."""
    return None if value is None else int(value.timestamp() * 1000)


def _utc(value: Any) -> dt.datetime | None:
    return stored_instant(value)


def _sla_to_doc(sla: sla_rules.TicketSla) -> dict[str, Any]:
    return {
        "first_response_minutes": sla.first_response_minutes, "resolution_minutes": sla.resolution_minutes,
        "started_at": sla.clock.started_at,
        "pauses": [{"started_at": p.started_at, "ended_at": p.ended_at, "reason": p.reason} for p in sla.clock.pauses],
        "warned_response": sla.warned_response, "breached_response": sla.breached_response,
        "warned_resolution": sla.warned_resolution, "breached_resolution": sla.breached_resolution,
        "escalation_level": sla.escalation_level, "progress_message_due_sent": sla.progress_message_due_sent,
    }


def _sla_from_doc(doc: dict[str, Any], top: dict[str, Any]) -> sla_rules.TicketSla:
    clock = sla_rules.SlaClock(
        stored_instant(doc["started_at"]),  # type: ignore[arg-type]
        tuple(sla_rules.Pause(stored_instant(p["started_at"]), _utc(p.get("ended_at")),  # type: ignore[arg-type]
                              p.get("reason", sla_rules.PAUSE_PENDING_CUSTOMER))
              for p in doc.get("pauses", [])),
    )
    return sla_rules.TicketSla(
        doc["first_response_minutes"], doc["resolution_minutes"], clock,
        first_response_due_at=_utc(top.get("first_response_due_at")), resolution_due_at=_utc(top.get("resolution_due_at")),
        warned_response=doc.get("warned_response", False), breached_response=doc.get("breached_response", False),
        warned_resolution=doc.get("warned_resolution", False), breached_resolution=doc.get("breached_resolution", False),
        escalation_level=doc.get("escalation_level", 0), progress_message_due_sent=doc.get("progress_message_due_sent", False),
    )


SLA_FIELDS = frozenset({"sla", "first_response_due_at", "resolution_due_at", "sla_next_check_at", "sla_check_ms", "sla_state",
                        "sla_bucket", "updated_at", "changed_ms"})
CHANGED_MS = "changed_ms"


def to_fields(ticket: Ticket, calendar: BusinessCalendar, policy: sla_rules.SlaPolicy) -> dict[str, Any]:
    assert ticket.sla is not None
    state = stored_sla_state(ticket)
    check_at = next_check_at(ticket, calendar, policy)
    return {
        "ticket_number": ticket.ticket_number, "type": ticket.type, "category": ticket.category, "channel": ticket.channel,
        "customer_id": ticket.customer_id, "subject": ticket.subject, "description": ticket.description,
        "impact": ticket.impact, "urgency": ticket.urgency, "priority": ticket.priority, "status": ticket.status,
        "policy_number": ticket.policy_number, "branch_code": ticket.branch_code, "agent_id": ticket.agent_id,
        "queue_id": ticket.queue_id, "assignee_id": ticket.assignee_id, "created_at": ticket.created_at,
        "updated_at": ticket.updated_at, "first_responded_at": ticket.first_responded_at, "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at, "reopen_count": ticket.reopen_count, "sla": _sla_to_doc(ticket.sla),
        "first_response_due_at": ticket.sla.first_response_due_at, "resolution_due_at": ticket.sla.resolution_due_at,
        "sla_next_check_at": check_at, "sla_check_ms": instant_ms(check_at), "sla_state": state,
        "sla_bucket": f"{ticket.queue_id or '-'}|{state}",
        "attachments": [{"name": a.name, "size_bytes": a.size_bytes, "content_type": a.content_type, "storage_key": a.storage_key}
                        for a in ticket.attachments],
        "satisfaction_score": ticket.satisfaction_score, "satisfaction_comment": ticket.satisfaction_comment,
        # Overwritten with the write time by the repository; a bulk-loaded ticket keeps this one.
        CHANGED_MS: instant_ms(ticket.updated_at or ticket.created_at) or 0,
    }


def from_doc(doc: dict[str, Any]) -> Ticket:
    ticket = Ticket(
        id=doc["_id"], version=doc["version"], ticket_number=doc["ticket_number"], type=doc["type"],
        category=doc["category"], channel=doc["channel"], customer_id=doc["customer_id"], subject=doc["subject"],
        description=doc.get("description", ""), impact=doc["impact"], urgency=doc["urgency"], priority=doc["priority"],
        status=doc["status"], policy_number=doc.get("policy_number"), branch_code=doc.get("branch_code"),
        agent_id=doc.get("agent_id"), queue_id=doc.get("queue_id"), assignee_id=doc.get("assignee_id"),
        created_at=_utc(doc.get("created_at")), updated_at=_utc(doc.get("updated_at")),
        first_responded_at=_utc(doc.get("first_responded_at")), resolved_at=_utc(doc.get("resolved_at")),
        closed_at=_utc(doc.get("closed_at")), reopen_count=doc.get("reopen_count", 0),
        sla=_sla_from_doc(doc["sla"], doc),
        attachments=[Attachment(a["name"], a["size_bytes"], a["content_type"], a["storage_key"]) for a in doc.get("attachments", [])],
        satisfaction_score=doc.get("satisfaction_score"), satisfaction_comment=doc.get("satisfaction_comment"),
    )
    return ticket


class TicketRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.collection: Collection = db[TICKETS]
        self.activity: Collection = db[ACTIVITY]

    def get(self, ticket_id: str) -> Ticket | None:
        doc = self.collection.find_one({"_id": ticket_id}, TICKET_PROJECTION)
        return None if doc is None else from_doc(doc)

    def require(self, ticket_id: str) -> Ticket:
        ticket = self.get(ticket_id)
        if ticket is None:
            raise NotFound("ticket not found", code=NOT_FOUND_CODE)
        return ticket

    def new_document(self, ticket: Ticket, now: dt.datetime, calendar: BusinessCalendar, policy: sla_rules.SlaPolicy) -> dict[str, Any]:
        """The document ``save`` inserts for a new ticket (state, first activity, outbox envelopes at
        version 1), not written: the OpenTicket group commit inserts many at once. Pulls the events;
        call it in the caller's context (correlation id); after the insert call ``inserted``."""
        if ticket.sla is not None:
            ticket.sla.refresh_due(calendar)
        fields = {**to_fields(ticket, calendar, policy), CHANGED_MS: instant_ms(now),
                  ACTIVITY_HEAD: [activity_doc(ticket.id, 1, i, entry) for i, entry in enumerate(ticket.activity)]}
        pending = outbox.envelopes(ticket.pull_events(), PRODUCER, now, 1)
        return {**fields, "_id": ticket.id, "version": 1, outbox.OUTBOX: pending, outbox.PENDING: 1 if pending else 0}

    @staticmethod
    def inserted(ticket: Ticket) -> None:
        """``new_document``'s ticket is stored: version 1, its first activity rode in the insert."""
        ticket.version, ticket.activity = 1, []

    def save(self, ticket: Ticket, now: dt.datetime, calendar: BusinessCalendar, policy: sla_rules.SlaPolicy,
             only: frozenset[str] | None = None, activity_sink: list[dict[str, Any]] | None = None) -> int:
        """Insert or compare-and-set; events into the outbox in the same write; then the activity.

        ``only``: write just these fields (the sweep changes SLA fields only; fewer fields, faster
        writes). ``activity_sink``: collect the activity documents for one bulk insert by the caller.
        """
        if ticket.sla is not None:
            ticket.sla.refresh_due(calendar)  # pauses and holiday edits move the due times
        fields = {**to_fields(ticket, calendar, policy), CHANGED_MS: instant_ms(now)}
        if only is not None and ticket.version:
            fields = {k: v for k, v in fields.items() if k in only}
        events = ticket.pull_events()
        head: list[dict[str, Any]] = []
        if ticket.version == 0:  # the first entries ride in the insert (ids as if written to ticket_activity)
            head = [activity_doc(ticket.id, 1, i, entry) for i, entry in enumerate(ticket.activity)]
            fields = {**fields, ACTIVITY_HEAD: head}
        try:
            if ticket.version == 0:
                version = outbox.insert_new(self.collection, ticket.id, fields, events, PRODUCER, now)
            else:
                version = outbox.update_versioned(self.collection, ticket.id, ticket.version, fields, events, PRODUCER, now)
        except NotFound:
            raise NotFound("ticket not found", code=NOT_FOUND_CODE) from None
        except Exception:
            ticket._events[:0] = events  # leave the aggregate as it was: the caller may retry
            raise
        ticket.version = version
        entries, ticket.activity = ticket.activity, []
        docs = [] if head else [activity_doc(ticket.id, version, i, entry) for i, entry in enumerate(entries)]
        if activity_sink is not None:
            activity_sink.extend(docs)
        else:
            self.write_activity(docs)
        return version

    def save_sla_batch(self, batch: list[Ticket], now: dt.datetime, calendar: BusinessCalendar,
                       policy: sla_rules.SlaPolicy, write_id: str,
                       stored: dict[str, dict[str, Any]] | None = None) -> tuple[list[tuple[Ticket, list[Any]]], list[Ticket]]:
        """The sweep's write: one ``bulk_write`` of compare-and-set updates (SLA fields + outbox) per page.

        Same guarantees as ``outbox.update_versioned`` per ticket (state and events in one
        document write, refused on a stale version) at a fraction of the round trips. Each
        update also stamps ``sla_write_id``, so when fewer than all matched we can tell which
        tickets were written by this sweep. ``stored``: the documents the tickets were loaded from;
        fields whose value did not change are left out of the ``$set`` (a smaller write, and an
        instant not rewritten stays a datetime on nx-27017). Returns (saved, conflicts).
        """
        ops: list[UpdateOne] = []
        pending: list[tuple[Ticket, list[Any], int]] = []
        for ticket in batch:
            if ticket.sla is not None:
                ticket.sla.refresh_due(calendar)
            fields = {k: v for k, v in to_fields(ticket, calendar, policy).items() if k in SLA_FIELDS}
            before = (stored or {}).get(ticket.id)
            if before is not None:
                fields = {k: v for k, v in fields.items() if k not in before or not _same(before[k], v)}
            events = ticket.pull_events()
            new_version = ticket.version + 1
            envelopes = outbox.envelopes(events, PRODUCER, now, new_version)
            update: dict[str, Any] = {"$set": {**fields, CHANGED_MS: instant_ms(now), "version": new_version, "sla_write_id": write_id}}
            if envelopes:
                update["$set"][outbox.PENDING] = 1
                update["$push"] = {outbox.OUTBOX: {"$each": envelopes}}
            ops.append(UpdateOne({"_id": ticket.id, "version": ticket.version}, update))
            pending.append((ticket, events, new_version))
        if not ops:
            return [], []
        result = self.collection.bulk_write(ops, ordered=False)
        if result.matched_count == len(ops):
            won = {t.id for t, _, _ in pending}
        else:
            ids = [t.id for t, _, _ in pending]
            stored = {d["_id"]: d for d in self.collection.find({"_id": {"$in": ids}}, {"version": 1, "sla_write_id": 1})}
            won = {t.id for t, _, v in pending if stored.get(t.id, {}).get("version") == v and stored[t.id].get("sla_write_id") == write_id}
        saved, conflicts, activity = [], [], []
        for ticket, events, new_version in pending:
            if ticket.id in won:
                ticket.version = new_version
                entries, ticket.activity = ticket.activity, []
                activity.extend(activity_doc(ticket.id, new_version, i, e) for i, e in enumerate(entries))
                saved.append((ticket, events))
            else:
                conflicts.append(ticket)
        self.write_activity(activity)
        return saved, conflicts

    def write_activity(self, docs: list[dict[str, Any]]) -> None:
        if not docs:
            return
        try:
            self.activity.insert_many(docs, ordered=False)
        except Exception:  # noqa: BLE001 - a duplicate means an earlier attempt already wrote it
            for doc in docs:
                self.activity.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    def find_page(self, query: dict[str, Any], after_id: str | None, limit: int) -> list[Ticket]:
        """Newest first by id (ULIDs sort by creation time); keyset paging on ``_id``."""
        if after_id:
            query = {**query, "_id": {"$lt": after_id}}
        cursor = self.collection.find(query, TICKET_PROJECTION).sort("_id", -1).limit(limit)
        return [from_doc(doc) for doc in cursor]

    def due_ids(self, now: dt.datetime) -> list[str]:
        """Ids of the tickets with an SLA check due at ``now`` (indexed integer key; ids only)."""
        return [doc["_id"] for doc in self.collection.find({"sla_check_ms": {"$lte": instant_ms(now)}}, {"_id": 1})]

    def load_many(self, ids: list[str]) -> list[tuple[Ticket, dict[str, Any]]]:
        """Tickets by id (``$in`` on ``_id`` uses the primary key), with the documents they came from."""
        return [(from_doc(doc), doc) for doc in self.collection.find({"_id": {"$in": ids}}, TICKET_PROJECTION)]

    def ids_for_customer(self, customer_id: str) -> Iterator[str]:
        for doc in self.collection.find({"customer_id": customer_id}, {"_id": 1}):
            yield doc["_id"]

    def open_ids_for_assignee(self, assignee_id: str) -> int:
        return sum(1 for _ in self.collection.find({"assignee_id": assignee_id, "status": {"$in": ["new", "open", "pending_customer"]}}, {"_id": 1}))


def _same(stored: Any, value: Any) -> bool:
    """Whether a stored value equals the one about to be written (instants compared as instants)."""
    if isinstance(value, dt.datetime):
        try:  # the store keeps milliseconds (pymongo truncates): compare at that precision
            return stored_instant(stored) in (value, value.replace(microsecond=value.microsecond // 1000 * 1000))
        except (TypeError, ValueError):
            return False
    if isinstance(value, dict) and isinstance(stored, dict):
        return stored.keys() == value.keys() and all(_same(stored[k], v) for k, v in value.items())
    if isinstance(value, list) and isinstance(stored, list):
        return len(stored) == len(value) and all(_same(a, b) for a, b in zip(stored, value, strict=True))
    return bool(stored == value) and type(stored) is type(value)


def activity_doc(ticket_id: str, version: int, index: int, entry: ActivityEntry) -> dict[str, Any]:
    return {"_id": f"{ticket_id}:{version:08d}:{index:03d}", "ticket_id": ticket_id, "at": entry.at,
            "actor_id": entry.actor_id, "action": entry.action, "detail": _jsonable(entry.detail)}


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in detail.items()}
