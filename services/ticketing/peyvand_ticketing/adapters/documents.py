"""The ticketing collections and their indexes (mongoengine documents; reads and writes use raw pymongo).

Single-field indexes for every filtered field: the embedded server does not use a compound
index for its leading field. Fields not listed here are still stored (``strict: False``).
"""

from __future__ import annotations

import mongoengine as me
from pymongo.database import Database

ALIAS = "ticketing"
_META = {"db_alias": ALIAS, "strict": False, "auto_create_index": False}


class TicketDocument(me.Document):
    """Tickets (outbox-bearing aggregate)."""

    id = me.StringField(primary_key=True)
    ticket_number = me.StringField()
    customer_id = me.StringField()
    queue_id = me.StringField()
    assignee_id = me.StringField()
    agent_id = me.StringField()
    status = me.StringField()
    branch_code = me.StringField()
    sla_check_ms = me.IntField()
    sla_state = me.StringField()
    outbox_pending = me.IntField()
    # Only fields some query filters on (every index costs on every write: ADR 0001). The
    # instants ``first_response_due_at`` / ``resolution_due_at`` / ``sla_next_check_at`` are
    # stored for people but not indexed (nx-27017 barely uses an index on a datetime); the
    # sweep queries the integer twin ``sla_check_ms``. ``ticket_number`` stays for uniqueness.
    meta = {**_META, "collection": "tickets", "indexes": [
        {"fields": ["ticket_number"], "unique": True}, "customer_id", "queue_id", "assignee_id", "agent_id",
        "status", "branch_code", "sla_check_ms", "sla_state", "outbox_pending",
    ]}


class ReplyDocument(me.Document):
    """Public replies and internal notes, one document each (unbounded per ticket)."""

    id = me.StringField(primary_key=True)
    ticket_id = me.StringField()
    at = me.DateTimeField()
    meta = {**_META, "collection": "ticket_replies", "indexes": ["ticket_id"]}  # read by ticket, ordered by _id


class ActivityDocument(me.Document):
    """The ticket's history, one document per entry (unbounded: not embedded in the ticket)."""

    id = me.StringField(primary_key=True)
    ticket_id = me.StringField()
    at = me.DateTimeField()
    meta = {**_META, "collection": "ticket_activity", "indexes": ["ticket_id"]}  # read by ticket, ordered by _id


class TaskDocument(me.Document):
    """Agent tasks (outbox-bearing aggregate); one task per dedup key, ever."""

    id = me.StringField(primary_key=True)
    dedup_key = me.StringField()
    owner_id = me.StringField()
    customer_id = me.StringField()
    status = me.StringField()
    due = me.DateTimeField()
    branch_code = me.StringField()
    agent_id = me.StringField()
    outbox_pending = me.IntField()
    meta = {**_META, "collection": "tasks", "indexes": [
        {"fields": ["dedup_key"], "unique": True}, "owner_id", "customer_id", "status", "due", "branch_code",
        "agent_id", "outbox_pending",
    ]}


class QueueDocument(me.Document):
    """Work queues per branch and team, with members and the round-robin position."""

    id = me.StringField(primary_key=True)
    branch_code = me.StringField()
    meta = {**_META, "collection": "queues", "indexes": ["branch_code"]}


class HolidayDocument(me.Document):
    """The admin-correctable holiday table (``_id`` = ISO date)."""

    id = me.StringField(primary_key=True)
    meta = {**_META, "collection": "holidays"}


class CustomerRefDocument(me.Document):
    """What ticketing knows about customers (agent, branch, name), learned from customer events."""

    id = me.StringField(primary_key=True)
    merged_into = me.StringField()
    meta = {**_META, "collection": "customer_refs", "indexes": ["merged_into"]}


class IdempotencyDocument(me.Document):
    """OpenTicket idempotency keys (``_id`` = caller principal + key)."""

    id = me.StringField(primary_key=True)
    meta = {**_META, "collection": "ticket_idempotency"}


ALL_DOCUMENTS = (TicketDocument, ReplyDocument, ActivityDocument, TaskDocument, QueueDocument, HolidayDocument,
                 CustomerRefDocument, IdempotencyDocument)


def ensure_indexes() -> None:
    for document in ALL_DOCUMENTS:
        document.ensure_indexes()


def tickets(db: Database):  # type: ignore[no-untyped-def]
    return db["tickets"]
