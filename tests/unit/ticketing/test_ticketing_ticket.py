"""The Ticket aggregate: validation, state machine, reopen window, replies, events."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from peyvand_runtime.domain import InvalidTransition, ValidationError
from peyvand_runtime.ids import is_id, new_id
from peyvand_runtime.tehran_time import TEHRAN
from peyvand_ticketing.domain.ticket import Ticket
from peyvand_ticketing.domain.ticket_values import (
    CLOSED,
    NEW,
    OPEN,
    PENDING_CUSTOMER,
    RESOLVED,
    STATUSES,
    TRANSITIONS,
    Attachment,
)

SATURDAY = dt.date(2025, 5, 3)
MakeTicket = Callable[..., Ticket]


def tehran(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TEHRAN)


NOON = tehran(SATURDAY, 12, 0)
PDF = Attachment("medical-report.pdf", 120_000, "application/pdf", "tickets/2025/05/abc123")


def in_status(make_ticket: MakeTicket, status: str) -> Ticket:
    """A ticket walked along the happy path up to ``status``."""
    ticket = make_ticket()
    path = {NEW: [], OPEN: [OPEN], PENDING_CUSTOMER: [OPEN, PENDING_CUSTOMER], RESOLVED: [OPEN, RESOLVED], CLOSED: [OPEN, RESOLVED, CLOSED]}
    for step in path[status]:
        ticket.change_status(step, actor_id="usr_agent", now=tehran(SATURDAY, 10, 0))
    ticket.pull_events()
    return ticket


# -- opening ---------------------------------------------------------------------------------------


def test_open_records_what_consumers_need(make_ticket: MakeTicket) -> None:
    ticket = make_ticket(policy_number="1404/1021/12345", attachments=[PDF])
    assert is_id(ticket.id, "tkt") and ticket.status == NEW and ticket.priority == "P1"
    [event] = ticket.pull_events()
    assert event.type == "ticket.opened"
    payload = event.payload
    for key in ("ticket_id", "ticket_number", "customer_id", "type", "channel", "priority", "queue_id",
                "assignee_id", "branch_code", "status", "created_at", "first_response_due_at", "resolution_due_at"):
        assert key in payload
    assert payload["created_at"] == "2025-05-03T05:30:00Z"
    assert payload["branch_code"] == "1021" and payload["call_back_required"] is False
    json.dumps(payload)
    assert ticket.activity[0].action == "opened"


def test_open_reports_every_bad_field_at_once(make_ticket: MakeTicket) -> None:
    with pytest.raises(ValidationError) as raised:
        make_ticket(
            subject="  ", type="question", channel="fax", customer_id="12345", impact="huge", ticket_number="",
            attachments=[Attachment("", 0, "pdf", "")],
        )
    fields = {v.field for v in raised.value.violations}
    assert fields == {
        "subject", "type", "channel", "customer_id", "impact", "ticket_number",
        "attachments[0].name", "attachments[0].size_bytes", "attachments[0].content_type", "attachments[0].storage_key",
    }


def test_subject_length_is_limited(make_ticket: MakeTicket) -> None:
    with pytest.raises(ValidationError) as raised:
        make_ticket(subject="x" * 201)
    assert [v.field for v in raised.value.violations] == ["subject"]
    assert make_ticket(subject="x" * 200).subject == "x" * 200


def test_validation_messages_carry_no_personal_data(make_ticket: MakeTicket) -> None:
    with pytest.raises(ValidationError) as raised:
        make_ticket(customer_id="0012345678")  # looks like a national id
    assert "0012345678" not in str(raised.value)


# -- state machine -------------------------------------------------------------------------------


@pytest.mark.parametrize("before", STATUSES)
@pytest.mark.parametrize("after", STATUSES)
def test_state_machine_table(make_ticket: MakeTicket, before: str, after: str) -> None:
    ticket = in_status(make_ticket, before)
    allowed = after in TRANSITIONS[before]
    if allowed:
        ticket.change_status(after, actor_id="usr_agent", now=tehran(SATURDAY, 11, 0))
        assert ticket.status == after
    else:
        with pytest.raises(InvalidTransition) as raised:
            ticket.change_status(after, actor_id="usr_agent", now=tehran(SATURDAY, 11, 0))
        assert raised.value.code == "TICKET_INVALID_TRANSITION"
        assert ticket.status == before


def test_expected_lifecycle_edges() -> None:
    edges = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert edges == {
        (NEW, OPEN), (OPEN, PENDING_CUSTOMER), (PENDING_CUSTOMER, OPEN), (OPEN, RESOLVED),
        (PENDING_CUSTOMER, RESOLVED), (RESOLVED, OPEN), (RESOLVED, CLOSED),
    }


def test_unknown_status_is_a_validation_error(make_ticket: MakeTicket) -> None:
    with pytest.raises(ValidationError):
        make_ticket().change_status("archived", actor_id="usr_agent", now=NOON)


def test_lifecycle_events_and_timestamps(make_ticket: MakeTicket) -> None:
    ticket = in_status(make_ticket, OPEN)
    ticket.wait_for_customer("usr_agent", tehran(SATURDAY, 10, 30), note="asked for the invoice")
    ticket.resolve("usr_agent", NOON, note="refund issued")
    ticket.close("system", tehran(SATURDAY, 13, 0))
    events = ticket.pull_events()
    assert [e.type for e in events] == ["ticket.status_changed", "ticket.resolved", "ticket.closed"]
    assert events[0].payload["from_status"] == OPEN and events[0].payload["to_status"] == PENDING_CUSTOMER
    assert events[1].payload["resolved_at"] == "2025-05-03T08:30:00Z"
    assert events[2].payload["status"] == CLOSED
    assert ticket.resolved_at == NOON and ticket.closed_at == tehran(SATURDAY, 13, 0)
    for event in events:
        json.dumps(event.payload)


# -- reopen window -------------------------------------------------------------------------------


def test_reopen_allowed_up_to_exactly_seven_days(make_ticket: MakeTicket) -> None:
    ticket = in_status(make_ticket, OPEN)
    ticket.resolve("usr_agent", NOON)
    ticket.pull_events()
    ticket.reopen("usr_customer_care", NOON + dt.timedelta(days=7), reason="customer called again")
    assert ticket.status == OPEN and ticket.reopen_count == 1 and ticket.resolved_at is None
    [event] = ticket.pull_events()
    assert event.type == "ticket.reopened" and event.payload["reopen_count"] == 1
    assert event.payload["previously_resolved_at"] == "2025-05-03T08:30:00Z"


def test_reopen_refused_one_second_after_the_window(make_ticket: MakeTicket) -> None:
    ticket = in_status(make_ticket, OPEN)
    ticket.resolve("usr_agent", NOON)
    late = NOON + dt.timedelta(days=7, seconds=1)
    assert not ticket.can_reopen(late) and ticket.auto_close_due(late)
    with pytest.raises(InvalidTransition) as raised:
        ticket.reopen("usr_customer_care", late)
    assert raised.value.code == "TICKET_INVALID_TRANSITION"
    assert ticket.status == RESOLVED


def test_reopen_period_is_configurable(make_ticket: MakeTicket) -> None:
    ticket = in_status(make_ticket, OPEN)
    ticket.resolve("usr_agent", NOON)
    with pytest.raises(InvalidTransition):
        ticket.reopen("usr_agent", NOON + dt.timedelta(days=3), reopen_period=dt.timedelta(days=2))
    ticket.reopen("usr_agent", NOON + dt.timedelta(days=10), reopen_period=dt.timedelta(days=14))
    assert ticket.status == OPEN


def test_only_resolved_tickets_can_be_reopened(make_ticket: MakeTicket) -> None:
    for status in (NEW, OPEN, CLOSED):
        with pytest.raises(InvalidTransition):
            in_status(make_ticket, status).reopen("usr_agent", NOON)


# -- work on the ticket ---------------------------------------------------------------------------


def test_assigning_a_new_ticket_opens_it(make_ticket: MakeTicket) -> None:
    ticket = make_ticket()
    ticket.pull_events()
    ticket.assign("usr_reza", actor_id="usr_lead", now=NOON)
    events = ticket.pull_events()
    assert [e.type for e in events] == ["ticket.assigned", "ticket.status_changed"]
    assert events[0].payload["assignee_id"] == "usr_reza" and events[0].payload["previous_assignee_id"] is None
    assert ticket.status == OPEN
    ticket.assign("usr_reza", actor_id="usr_lead", now=NOON)
    assert ticket.pull_events() == []  # same assignee: nothing happened
    ticket.assign("usr_sara", actor_id="usr_lead", now=NOON, queue_id="queue-1021-complaints")
    [event] = ticket.pull_events()
    assert event.payload["previous_assignee_id"] == "usr_reza" and event.payload["queue_id"] == "queue-1021-complaints"


def test_first_public_staff_reply_is_the_first_response(make_ticket: MakeTicket) -> None:
    ticket = make_ticket()
    ticket.add_reply("usr_agent", "internal", public=False, now=tehran(SATURDAY, 9, 5))
    ticket.add_reply("cus_x", "any news?", public=True, now=tehran(SATURDAY, 9, 6), from_customer=True)
    assert ticket.first_responded_at is None and ticket.status == NEW
    reply = ticket.add_reply("usr_agent", "We are checking", public=True, now=tehran(SATURDAY, 9, 10))
    assert reply.ticket_id == ticket.id and reply.public and reply.at == tehran(SATURDAY, 9, 10)
    assert ticket.first_responded_at == tehran(SATURDAY, 9, 10) and ticket.status == OPEN
    ticket.add_reply("usr_agent", "Update", public=True, now=tehran(SATURDAY, 11, 0))
    assert ticket.first_responded_at == tehran(SATURDAY, 9, 10)


def test_reply_validation(make_ticket: MakeTicket) -> None:
    ticket = make_ticket()
    with pytest.raises(ValidationError) as raised:
        ticket.add_reply("cus_x", " ", public=False, now=NOON, from_customer=True)
    assert {v.field for v in raised.value.violations} == {"body", "public"}


def test_closed_ticket_refuses_replies_and_assignment(make_ticket: MakeTicket) -> None:
    ticket = in_status(make_ticket, CLOSED)
    with pytest.raises(InvalidTransition):
        ticket.add_reply("usr_agent", "hello", public=True, now=NOON)
    with pytest.raises(InvalidTransition):
        ticket.assign("usr_x", actor_id="usr_lead", now=NOON)


def test_attachments_are_validated_and_logged(make_ticket: MakeTicket) -> None:
    ticket = make_ticket()
    ticket.add_attachment(PDF, actor_id="usr_agent", now=NOON)
    assert ticket.attachments == [PDF] and ticket.activity[-1].action == "attachment_added"
    with pytest.raises(ValidationError) as raised:
        ticket.add_attachment(Attachment("big.zip", 26 * 1024 * 1024, "application/zip", "k"), actor_id="usr_agent", now=NOON)
    assert [v.field for v in raised.value.violations] == ["attachment.size_bytes"]


def test_satisfaction_only_after_resolution_and_within_range(make_ticket: MakeTicket) -> None:
    ticket = in_status(make_ticket, OPEN)
    with pytest.raises(InvalidTransition):
        ticket.record_satisfaction(5, None, now=NOON)
    ticket.resolve("usr_agent", NOON)
    for bad in (0, 6, True):
        with pytest.raises(ValidationError) as raised:
            ticket.record_satisfaction(bad, None, now=NOON)  # type: ignore[arg-type]
        assert [v.field for v in raised.value.violations] == ["satisfaction_score"]
    ticket.pull_events()
    ticket.record_satisfaction(4, "Fast and polite", now=NOON)
    [event] = ticket.pull_events()
    assert event.type == "ticket.satisfaction_recorded" and event.payload["satisfaction_score"] == 4
    assert event.payload["has_comment"] is True and "Fast and polite" not in json.dumps(event.payload)
    assert ticket.satisfaction_score == 4 and ticket.satisfaction_comment == "Fast and polite"


def test_repoint_customer_after_merge(make_ticket: MakeTicket) -> None:
    ticket = in_status(make_ticket, CLOSED)
    old, new = ticket.customer_id, new_id("cus")
    assert ticket.repoint_customer(old, new, now=NOON) and ticket.customer_id == new
    assert not ticket.repoint_customer(old, new, now=NOON)
    assert ticket.activity[-1].action == "customer_repointed"


def test_ticket_follows_the_customers_new_agent_and_branch_but_keeps_queue_and_assignee(make_ticket: MakeTicket) -> None:
    ticket = in_status(make_ticket, CLOSED)
    queue, assignee, old_agent = ticket.queue_id, ticket.assignee_id, ticket.agent_id
    assert ticket.follow_customer_owner("agt_new", "1299", now=NOON)
    assert (ticket.agent_id, ticket.branch_code, ticket.queue_id, ticket.assignee_id) == ("agt_new", "1299", queue, assignee)
    entry = ticket.activity[-1]
    assert entry.action == "customer_reassigned" and entry.detail["from_agent_id"] == old_agent and entry.detail["to_agent_id"] == "agt_new"
    assert not ticket.follow_customer_owner("agt_new", "1299", now=NOON)  # again: nothing to do, no second entry
    assert not ticket.follow_customer_owner(None, None, now=NOON)  # unknown owner: keep what it has


def test_activity_log_keeps_who_did_what_when(make_ticket: MakeTicket) -> None:
    ticket = make_ticket()
    ticket.assign("usr_reza", actor_id="usr_lead", now=tehran(SATURDAY, 9, 1))
    ticket.add_reply("usr_reza", "Hello", public=True, now=tehran(SATURDAY, 9, 2))
    actions = [(entry.actor_id, entry.action) for entry in ticket.activity]
    assert actions == [("usr_agent", "opened"), ("usr_lead", "assigned"), ("usr_lead", "status_changed"), ("usr_reza", "replied")]
    assert ticket.updated_at == tehran(SATURDAY, 9, 2)


def test_missed_call_is_flagged_for_a_call_back(make_ticket: MakeTicket) -> None:
    ticket = make_ticket(channel="phone", category="missed_call", type="service_request")
    assert ticket.is_missed_call
    assert ticket.pull_events()[0].payload["call_back_required"] is True
