"""When the sweep must next look at a ticket: exactly when evaluate() would find something new."""

from __future__ import annotations

import datetime as dt

from peyvand_ticketing.domain.sla import DEFAULT_SLA_POLICY
from peyvand_ticketing.domain.sla_schedule import next_check_at, stored_sla_state

from .conftest import SATURDAY, tehran


def test_next_check_is_the_warning_then_the_breach_then_level_two(make_ticket, calendar) -> None:  # type: ignore[no-untyped-def]
    ticket = make_ticket()  # incident P1 opened Saturday 09:00: response 30 min, resolution 240 min
    first = next_check_at(ticket, calendar, DEFAULT_SLA_POLICY)
    assert first == tehran(SATURDAY, 9, 24)  # 80 % of 30 minutes
    assert ticket.evaluate_sla(first - dt.timedelta(seconds=1), calendar) == []
    assert [e.type for e in ticket.evaluate_sla(first, calendar)] == ["ticket.sla_warning"]
    breach = next_check_at(ticket, calendar, DEFAULT_SLA_POLICY)
    assert breach == tehran(SATURDAY, 9, 31)
    assert ticket.evaluate_sla(breach - dt.timedelta(seconds=1), calendar) == []
    assert [e.type for e in ticket.evaluate_sla(breach, calendar)] == ["ticket.sla_breached", "ticket.escalated"]
    assert stored_sla_state(ticket) == "breached"
    # Next: the resolution warning (80 % of 240 = 192 min → 12:12) comes before level 2 (30 + 240 min).
    assert next_check_at(ticket, calendar, DEFAULT_SLA_POLICY) == tehran(SATURDAY, 12, 12)


def test_nothing_to_check_while_paused_or_resolved(make_ticket, calendar) -> None:  # type: ignore[no-untyped-def]
    ticket = make_ticket()
    ticket.start_work("usr_a", tehran(SATURDAY, 9, 5))
    ticket.wait_for_customer("usr_a", tehran(SATURDAY, 9, 10))
    assert next_check_at(ticket, calendar, DEFAULT_SLA_POLICY) is None
    ticket.change_status("open", actor_id="usr_a", now=tehran(SATURDAY, 10, 10))
    # One hour paused: the response warning moves from 09:24 to 10:24.
    assert next_check_at(ticket, calendar, DEFAULT_SLA_POLICY) == tehran(SATURDAY, 10, 24)
    ticket.resolve("usr_a", tehran(SATURDAY, 10, 20))
    assert next_check_at(ticket, calendar, DEFAULT_SLA_POLICY) is None
    assert stored_sla_state(ticket) == "ok"
