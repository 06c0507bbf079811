"""SLA targets, pausable clocks, once-only warnings/breaches and the escalation ladder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from peyvand_runtime.tehran_time import TEHRAN, UTC
from peyvand_ticketing.domain import sla
from peyvand_ticketing.domain.business_calendar import BusinessCalendar
from peyvand_ticketing.domain.priority import PRIORITIES
from peyvand_ticketing.domain.ticket import Ticket
from peyvand_ticketing.domain.ticket_values import TICKET_TYPES

SATURDAY = dt.date(2025, 5, 3)
SUNDAY = SATURDAY + dt.timedelta(days=1)
MakeTicket = Callable[..., Ticket]


def tehran(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TEHRAN)


def types_of(events: list) -> list[str]:
    return [e.type for e in events]


# -- policy --------------------------------------------------------------------------------------


def test_every_type_and_priority_has_sensible_targets() -> None:
    policy = sla.DEFAULT_SLA_POLICY
    for ticket_type in TICKET_TYPES:
        previous = sla.SlaTargets(0, 0)
        for priority in PRIORITIES:
            targets = policy.targets_for(ticket_type, priority)
            assert 0 < targets.first_response_minutes < targets.resolution_minutes
            assert targets.resolution_minutes >= previous.resolution_minutes  # lower priority never stricter
            previous = targets
    assert policy.targets_for("incident", "P1") == sla.SlaTargets(30, 240)
    assert policy.targets_for("complaint", "P3").resolution_minutes == 10 * 480


def test_warning_threshold_rounds_down() -> None:
    assert sla.SlaPolicy().warning_minutes(30) == 24
    assert sla.SlaPolicy(warning_percent=75).warning_minutes(30) == 22


# -- clock and due times -----------------------------------------------------------------------


def test_due_at_without_pauses_is_plain_business_arithmetic(calendar: BusinessCalendar) -> None:
    start = tehran(SATURDAY, 15, 0)
    assert sla.due_at(120, start, (), calendar) == tehran(SUNDAY, 9, 0)


def test_a_closed_pause_pushes_the_due_time_by_its_business_minutes(calendar: BusinessCalendar) -> None:
    start = tehran(SATURDAY, 9, 0)
    pause = sla.Pause(tehran(SATURDAY, 9, 10), tehran(SATURDAY, 10, 10))
    assert sla.due_at(30, start, (pause,), calendar) == tehran(SATURDAY, 10, 30)


def test_a_pause_outside_business_hours_changes_nothing(calendar: BusinessCalendar) -> None:
    start = tehran(SATURDAY, 15, 0)
    night = sla.Pause(tehran(SATURDAY, 18, 0), tehran(SUNDAY, 7, 0))
    assert sla.due_at(120, start, (night,), calendar) == tehran(SUNDAY, 9, 0)


def test_due_is_unknown_while_paused_and_elapsed_time_stands_still(calendar: BusinessCalendar) -> None:
    clock = sla.SlaClock(tehran(SATURDAY, 9, 0)).paused(tehran(SATURDAY, 9, 20))
    assert clock.is_paused and clock.due_at(30, calendar) is None
    assert clock.elapsed(tehran(SATURDAY, 15, 0), calendar) == 20
    # Already past the target before the pause: the due time is known.
    assert clock.due_at(15, calendar) == tehran(SATURDAY, 9, 15)
    resumed = clock.resumed(tehran(SUNDAY, 8, 0))
    assert resumed.due_at(30, calendar) == tehran(SUNDAY, 8, 10)
    assert resumed.elapsed(tehran(SUNDAY, 8, 5), calendar) == 25


def test_pausing_twice_or_resuming_a_running_clock_is_harmless() -> None:
    clock = sla.SlaClock(tehran(SATURDAY, 9, 0))
    assert clock.resumed(tehran(SATURDAY, 10, 0)) == clock
    paused = clock.paused(tehran(SATURDAY, 9, 5))
    assert paused.paused(tehran(SATURDAY, 9, 50)) == paused


@settings(max_examples=200, deadline=None)
@given(
    target=st.integers(min_value=1, max_value=5 * 480),
    cuts=st.lists(st.integers(min_value=1, max_value=20 * 24 * 60), min_size=0, max_size=6, unique=True),
)
def test_the_clock_reads_exactly_the_target_at_its_due_time(target: int, cuts: list[int]) -> None:
    calendar = BusinessCalendar()
    start = dt.datetime(2025, 5, 3, 5, 0, tzinfo=UTC)
    points = sorted(cuts)[: len(cuts) // 2 * 2]  # pairs of pause start/end, whole minutes
    pauses = tuple(
        sla.Pause(start + dt.timedelta(minutes=a), start + dt.timedelta(minutes=b)) for a, b in zip(points[::2], points[1::2], strict=True)
    )
    due = sla.due_at(target, start, pauses, calendar)
    assert due is not None
    assert sla.elapsed_business_minutes(start, pauses, due, calendar) == target


# -- ticket clocks -------------------------------------------------------------------------------


def test_new_ticket_gets_due_times_from_its_priority(make_ticket: MakeTicket) -> None:
    ticket = make_ticket()  # P1 incident opened Saturday 09:00
    assert ticket.priority == "P1"
    assert ticket.sla.first_response_due_at == tehran(SATURDAY, 9, 30)
    assert ticket.sla.resolution_due_at == tehran(SATURDAY, 13, 0)


def test_waiting_on_the_customer_pauses_both_targets(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "Please send the policy number", public=True, now=tehran(SATURDAY, 9, 10))
    ticket.wait_for_customer("usr_agent", tehran(SATURDAY, 9, 20))
    state = ticket.sla_state(tehran(SATURDAY, 15, 0), calendar)
    assert state.resolution.elapsed_minutes == 20 and state.resolution.due_at is None
    assert state.first_response.met and state.first_response.level == sla.OK
    ticket.add_reply("cus", "It is 1404-123", public=True, now=tehran(SUNDAY, 8, 0), from_customer=True)
    assert ticket.status == "open"
    state = ticket.sla_state(tehran(SUNDAY, 8, 30), calendar)
    assert state.resolution.elapsed_minutes == 50
    assert state.resolution.due_at == tehran(SUNDAY, 11, 40)  # 240 - 20 = 220 minutes after 08:00


def test_levels_move_ok_warning_breached_at_the_thresholds(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    assert ticket.sla_state(tehran(SATURDAY, 9, 23), calendar).first_response.level == sla.OK
    assert ticket.sla_state(tehran(SATURDAY, 9, 24), calendar).first_response.level == sla.WARNING
    assert ticket.sla_state(tehran(SATURDAY, 9, 30), calendar).first_response.level == sla.WARNING
    assert ticket.sla_state(tehran(SATURDAY, 9, 31), calendar).first_response.level == sla.BREACHED


# -- sweeps --------------------------------------------------------------------------------------


def test_warning_is_emitted_once_across_repeated_sweeps(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.assign("usr_reza", actor_id="usr_lead", now=tehran(SATURDAY, 9, 1))
    first = ticket.evaluate_sla(tehran(SATURDAY, 9, 25), calendar)
    assert types_of(first) == ["ticket.sla_warning"]
    payload = first[0].payload
    assert payload["target"] == "first_response" and payload["notify_assignee"] is True
    assert payload["assignee_id"] == "usr_reza" and payload["due_at"] == "2025-05-03T06:00:00Z"
    assert ticket.evaluate_sla(tehran(SATURDAY, 9, 26), calendar) == []
    assert ticket.evaluate_sla(tehran(SATURDAY, 9, 29), calendar) == []
    assert ticket.sla.warned_response and not ticket.sla.breached_response


def test_breach_escalates_to_queue_lead_then_branch_manager_once_each(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.evaluate_sla(tehran(SATURDAY, 9, 25), calendar)
    events = ticket.evaluate_sla(tehran(SATURDAY, 9, 31), calendar)
    assert types_of(events) == ["ticket.sla_breached", "ticket.escalated"]
    assert events[1].payload["escalation_level"] == 1 and events[1].payload["escalate_to"] == "queue_lead"
    assert ticket.evaluate_sla(tehran(SATURDAY, 10, 0), calendar) == []
    # Four business hours past the 09:30 response due time: 13:30 the same Saturday.
    before = ticket.evaluate_sla(tehran(SATURDAY, 13, 29), calendar)  # resolution breached at 13:00
    assert "ticket.escalated" not in types_of(before)
    level_two = [e for e in ticket.evaluate_sla(tehran(SATURDAY, 13, 31), calendar) if e.type == "ticket.escalated"]
    assert [e.payload["escalate_to"] for e in level_two] == ["branch_manager"]
    assert ticket.sla.escalation_level == 2
    assert ticket.evaluate_sla(tehran(SUNDAY, 12, 0), calendar) == []


def test_missed_resolution_asks_for_a_customer_progress_message_once(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "We are on it", public=True, now=tehran(SATURDAY, 9, 5))
    assert types_of(ticket.evaluate_sla(tehran(SATURDAY, 12, 15), calendar)) == ["ticket.sla_warning"]
    events = ticket.evaluate_sla(tehran(SATURDAY, 13, 1), calendar)
    assert types_of(events) == ["ticket.sla_breached", "ticket.escalated", "ticket.customer_progress_due"]
    progress = events[-1].payload
    assert progress["customer_id"] == ticket.customer_id and progress["channel"] == "web"
    assert progress["ticket_number"] == "TK-1404-000123"
    assert [e for e in ticket.evaluate_sla(tehran(SATURDAY, 13, 30), calendar) if e.type.endswith("progress_due")] == []


def test_a_late_sweep_reports_the_breach_without_a_stale_warning(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "Looking into it", public=True, now=tehran(SATURDAY, 9, 5))
    events = ticket.evaluate_sla(tehran(SATURDAY, 13, 5), calendar)
    assert "ticket.sla_warning" not in types_of(events)
    assert types_of(events).count("ticket.sla_breached") == 1
    assert ticket.sla.warned_resolution and ticket.sla.breached_resolution


def test_a_sweep_long_after_the_breach_escalates_both_levels_in_order(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    events = ticket.evaluate_sla(tehran(SUNDAY, 12, 0), calendar)
    levels = [e.payload["escalation_level"] for e in events if e.type == "ticket.escalated"]
    assert levels == [1, 2]


def test_response_on_time_is_never_reported(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "Hello", public=True, now=tehran(SATURDAY, 9, 30))
    ticket.resolve("usr_agent", tehran(SATURDAY, 11, 0))
    assert ticket.evaluate_sla(tehran(SUNDAY, 15, 0), calendar) == []


def test_a_late_response_is_reported_once_but_not_escalated(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "Sorry for the wait", public=True, now=tehran(SATURDAY, 9, 45))
    events = ticket.evaluate_sla(tehran(SATURDAY, 10, 0), calendar)
    assert types_of(events) == ["ticket.sla_breached"]
    assert events[0].payload["met_late"] is True and events[0].payload["elapsed_minutes"] == 45
    assert ticket.sla.escalation_level == 0


def test_internal_notes_do_not_count_as_a_response(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "Checking with claims", public=False, now=tehran(SATURDAY, 9, 5))
    assert ticket.first_responded_at is None
    assert "ticket.sla_breached" in types_of(ticket.evaluate_sla(tehran(SATURDAY, 9, 40), calendar))


def test_warning_share_and_notification_are_configurable(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    policy = sla.SlaPolicy(warning_percent=50, notify_assignee_on_warning=False)
    ticket = make_ticket(sla_policy=policy)
    ticket.assign("usr_reza", actor_id="usr_lead", now=tehran(SATURDAY, 9, 1))
    events = ticket.evaluate_sla(tehran(SATURDAY, 9, 15), calendar, policy)
    assert types_of(events) == ["ticket.sla_warning"] and events[0].payload["notify_assignee"] is False


def test_resolved_ticket_freezes_the_resolution_clock_until_reopened(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "Fixed", public=True, now=tehran(SATURDAY, 9, 5))
    ticket.resolve("usr_agent", tehran(SATURDAY, 10, 0))
    state = ticket.sla_state(tehran(SUNDAY, 15, 0), calendar)
    assert state.resolution.met and state.resolution.elapsed_minutes == 60 and state.resolution.level == sla.OK
    ticket.reopen("usr_customer_care", tehran(SUNDAY, 8, 0), reason="still broken")
    state = ticket.sla_state(tehran(SUNDAY, 9, 0), calendar)
    assert not state.resolution.met and state.resolution.elapsed_minutes == 120


def test_closed_tickets_are_not_swept(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "Done", public=True, now=tehran(SATURDAY, 9, 5))
    ticket.resolve("usr_agent", tehran(SATURDAY, 9, 10))
    ticket.close("system", tehran(SATURDAY, 9, 11))
    later = tehran(SATURDAY + dt.timedelta(days=30), 9)
    assert ticket.evaluate_sla(later, calendar) == []
    state = ticket.sla_state(later, calendar)
    assert state.resolution.met and state.resolution.elapsed_minutes == 10  # the clock stayed stopped


def test_resolving_while_waiting_on_the_customer_keeps_the_clock_stopped(
    make_ticket: MakeTicket, calendar: BusinessCalendar
) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "Which vehicle?", public=True, now=tehran(SATURDAY, 9, 10))
    ticket.wait_for_customer("usr_agent", tehran(SATURDAY, 9, 30))
    ticket.resolve("usr_agent", tehran(SUNDAY, 10, 0), note="customer answered by phone")
    state = ticket.sla_state(tehran(SUNDAY, 15, 0), calendar)
    assert state.resolution.met and state.resolution.elapsed_minutes == 30
    assert [p.reason for p in ticket.sla.clock.pauses] == ["pending_customer", "resolved"]


def test_raising_priority_shortens_targets_without_reannouncing(make_ticket: MakeTicket, calendar: BusinessCalendar) -> None:
    ticket = make_ticket(impact="low", urgency="low")  # P5 incident: first response within 2 days
    assert ticket.priority == "P5"
    assert ticket.evaluate_sla(tehran(SATURDAY, 10, 0), calendar) == []
    ticket.reprioritise("high", "high", actor_id="usr_lead", now=tehran(SATURDAY, 10, 0), calendar=calendar)
    assert ticket.sla.first_response_due_at == tehran(SATURDAY, 9, 30)
    assert "ticket.sla_breached" in types_of(ticket.evaluate_sla(tehran(SATURDAY, 10, 1), calendar))


@pytest.mark.parametrize("ticket_type", ["complaint", "claim_inquiry", "service_request"])
def test_other_types_use_their_own_rows(make_ticket: MakeTicket, ticket_type: str) -> None:
    ticket = make_ticket(type=ticket_type, impact="medium", urgency="medium")
    expected = sla.DEFAULT_SLA_POLICY.targets_for(ticket_type, "P3")
    assert ticket.sla.first_response_minutes == expected.first_response_minutes
    assert ticket.sla.resolution_minutes == expected.resolution_minutes
