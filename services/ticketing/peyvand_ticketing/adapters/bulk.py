"""Bulk insert of already-built tickets (scale benchmarks and imports): ``insert_many`` in batches.

Events are NOT written (a benchmark's 200,000 tickets must not flood the broker); the
derived SLA fields (``sla_next_check_at``, ``sla_state``, ``sla_bucket``) are, so the sweep
and the dashboards see the tickets exactly as if they had been opened one by one.
"""

from __future__ import annotations

from collections.abc import Iterable

from pymongo.database import Database

from peyvand_ticketing.adapters.ticket_repo import TICKETS, to_fields
from peyvand_ticketing.domain.business_calendar import BusinessCalendar
from peyvand_ticketing.domain.sla import DEFAULT_SLA_POLICY, SlaPolicy
from peyvand_ticketing.domain.ticket import Ticket

BATCH = 5000


def insert_tickets_bulk(db: Database, tickets: Iterable[Ticket], calendar: BusinessCalendar | None = None,
                        policy: SlaPolicy = DEFAULT_SLA_POLICY) -> int:
    calendar = calendar or BusinessCalendar()
    collection = db[TICKETS]
    batch: list[dict[str, object]] = []
    inserted = 0
    for ticket in tickets:
        ticket.pull_events()
        doc = to_fields(ticket, calendar, policy)
        doc.update({"_id": ticket.id, "version": max(ticket.version, 1), "outbox": [], "outbox_pending": 0})
        batch.append(doc)
        if len(batch) >= BATCH:
            collection.insert_many(batch, ordered=False)
            inserted += len(batch)
            batch = []
    if batch:
        collection.insert_many(batch, ordered=False)
        inserted += len(batch)
    return inserted
