"""When the SLA sweep next needs to look at a ticket, and the SLA state stored for lists and dashboards.

The sweep queries ``sla_next_check_at <= now`` on an index, so it touches only tickets
with something due. ``next_check_at`` is the earliest instant at which ``sla.evaluate``
would find something new: a warning, a breach, the level-2 escalation. While the clock is
paused (waiting on the customer, resolved) nothing can become due: ``None``.
"""

from __future__ import annotations

import datetime as dt

from .business_calendar import BusinessCalendar
from .sla import BREACHED, OK, WARNING, SlaPolicy, TicketSla
from .ticket import Ticket
from .ticket_values import ACTIVE_STATUSES


def _instant(sla: TicketSla, minutes: int, calendar: BusinessCalendar) -> dt.datetime | None:
    return sla.clock.due_at(minutes, calendar)


def next_check_at(ticket: Ticket, calendar: BusinessCalendar, policy: SlaPolicy) -> dt.datetime | None:
    """The earliest instant the sweep must evaluate ``ticket`` again (None: nothing pending)."""
    sla = ticket.sla
    if sla is None or ticket.status not in ACTIVE_STATUSES or sla.clock.is_paused:
        return None
    candidates: list[dt.datetime | None] = []
    # ``_level`` calls a target breached once strictly more whole minutes than the target ran,
    # i.e. at target + 1 minute; warned at warning_minutes(target).
    if ticket.first_responded_at is None and not sla.breached_response:
        minutes = sla.first_response_minutes + 1 if sla.warned_response else policy.warning_minutes(sla.first_response_minutes)
        candidates.append(_instant(sla, minutes, calendar))
    if not sla.breached_resolution:
        minutes = sla.resolution_minutes + 1 if sla.warned_resolution else policy.warning_minutes(sla.resolution_minutes)
        candidates.append(_instant(sla, minutes, calendar))
    elif not sla.progress_message_due_sent:
        candidates.append(_instant(sla, sla.resolution_minutes + 1, calendar))
    if sla.escalation_level < 2:
        # Level 2 comes ``branch_manager_after_minutes`` after an unmet breach.
        if sla.breached_response and ticket.first_responded_at is None:
            candidates.append(_instant(sla, sla.first_response_minutes + policy.branch_manager_after_minutes, calendar))
        if sla.breached_resolution:
            candidates.append(_instant(sla, sla.resolution_minutes + policy.branch_manager_after_minutes, calendar))
    found = [c for c in candidates if c is not None]
    return min(found) if found else None


def stored_sla_state(ticket: Ticket) -> str:
    """ok / warning / breached as of the last evaluation (the flags the sweep sets)."""
    sla = ticket.sla
    if sla is None:
        return OK
    responded = ticket.first_responded_at is not None
    if sla.breached_resolution or (sla.breached_response and not responded):
        return BREACHED
    if sla.warned_resolution or (sla.warned_response and not responded):
        return WARNING
    return OK


def worst(*levels: str) -> str:
    order = {OK: 0, WARNING: 1, BREACHED: 2}
    return max(levels, key=lambda level: order.get(level, 0)) if levels else OK
