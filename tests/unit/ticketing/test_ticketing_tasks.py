"""Agent tasks: dedup keys, lifecycle, call-backs for missed calls and an agent's day."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from peyvand_runtime.domain import InvalidTransition, ValidationError
from peyvand_runtime.ids import is_id, new_id
from peyvand_runtime.tehran_time import TEHRAN
from peyvand_ticketing.domain.task import (
    CANCELLED,
    DONE,
    OPEN,
    TRANSITIONS,
    Task,
    TaskRequest,
    call_back_key,
    my_day,
    plan_tasks,
    renewal_call_key,
    request_task,
    tasks_for_opened_ticket,
)
from peyvand_ticketing.domain.ticket import Ticket

SATURDAY = dt.date(2025, 5, 3)
SUNDAY = SATURDAY + dt.timedelta(days=1)
FRIDAY_BEFORE = SATURDAY - dt.timedelta(days=1)
MakeTicket = Callable[..., Ticket]
CUSTOMER = new_id("cus")
POLICY = new_id("pol")


def tehran(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TEHRAN)


NOW = tehran(SATURDAY, 10, 0)


def renewal_request(owner: str = "agt_maryam", term_end: dt.date = dt.date(2025, 6, 20)) -> TaskRequest:
    return TaskRequest(
        kind="renewal_call", customer_id=CUSTOMER, owner_id=owner, title="Renewal call: motor third-party",
        due_date=term_end - dt.timedelta(days=30), policy_id=POLICY, dedup_key=renewal_call_key(POLICY, term_end),
    )


def test_dedup_key_format() -> None:
    assert renewal_call_key("pol_01J", dt.date(2026, 3, 20)) == "renewal_call:pol_01J:2026-03-20"
    assert call_back_key("tkt_01J") == "call_back:tkt_01J"


def test_requesting_the_same_task_twice_yields_one_task() -> None:
    first, created = request_task(renewal_request(), None, NOW)
    assert created and is_id(first.id, "tsk") and first.dedup_key == renewal_call_key(POLICY, dt.date(2025, 6, 20))
    again, created_again = request_task(renewal_request(), first, NOW)
    assert again is first and not created_again
    first.complete("agt_maryam", NOW, outcome="renewed")
    still, created_after_done = request_task(renewal_request(), first, NOW)
    assert still is first and not created_after_done  # a finished renewal call is not recreated
    next_term, created_next = request_task(renewal_request(term_end=dt.date(2026, 6, 20)), first, NOW)
    assert created_next and next_term.id != first.id


def test_plan_tasks_skips_stored_and_repeated_keys() -> None:
    stored = renewal_call_key(POLICY, dt.date(2025, 6, 20))
    other = renewal_request(term_end=dt.date(2025, 7, 1))
    created = plan_tasks([renewal_request(), other, other], existing_keys={stored}, now=NOW)
    assert [t.dedup_key for t in created] == [other.dedup_key]


def test_task_without_dedup_key_gets_a_unique_one() -> None:
    request = TaskRequest(kind="visit", customer_id=CUSTOMER, owner_id="agt_a", title="Visit", due_date=SUNDAY)
    a, b = plan_tasks([request, request], existing_keys=(), now=NOW)
    assert a.dedup_key != b.dedup_key and a.dedup_key.startswith("visit:tsk_")


def test_task_validation_names_fields() -> None:
    bad = TaskRequest(kind="lunch", customer_id="x", owner_id=" ", title="", policy_id="12", ticket_id="t")
    with pytest.raises(ValidationError) as raised:
        Task.create(bad, NOW)
    assert {v.field for v in raised.value.violations} == {
        "kind", "customer_id", "owner_id", "title", "due_date", "policy_id", "ticket_id",
    }


@pytest.mark.parametrize("before", [OPEN, DONE, CANCELLED])
@pytest.mark.parametrize("after", [DONE, CANCELLED])
def test_task_state_machine(before: str, after: str) -> None:
    task = Task.create(renewal_request(), NOW)
    if before == DONE:
        task.complete("agt_maryam", NOW)
    elif before == CANCELLED:
        task.cancel("agt_maryam", NOW)
    act = task.complete if after == DONE else task.cancel
    if after in TRANSITIONS[before]:
        act("agt_maryam", NOW)
        assert task.status == after
    else:
        with pytest.raises(InvalidTransition) as raised:
            act("agt_maryam", NOW)
        assert raised.value.code == "TASK_INVALID_TRANSITION" and task.status == before


def test_task_events() -> None:
    task = Task.create(renewal_request(), NOW)
    task.complete("agt_maryam", tehran(SATURDAY, 11, 0), outcome="customer will renew online")
    created, completed = task.pull_events()
    assert created.type == "task.created" and completed.type == "task.completed"
    assert created.payload["dedup_key"] == task.dedup_key and created.payload["due_date"] == "2025-05-21"
    assert completed.payload["completed_at"] == "2025-05-03T07:30:00Z" and completed.payload["status"] == DONE
    json.dumps([created.payload, completed.payload])


def test_missed_call_gets_a_call_back_due_with_the_first_response(make_ticket: MakeTicket) -> None:
    ticket = make_ticket(channel="phone", category="missed_call", type="service_request", impact="medium", urgency="medium")
    ticket.assign("agt_ali", actor_id="system", now=tehran(SATURDAY, 9, 0))
    [request] = tasks_for_opened_ticket(ticket)
    assert request.kind == "call_back" and request.ticket_id == ticket.id and request.owner_id == "agt_ali"
    assert request.due_at == ticket.sla.first_response_due_at and request.dedup_key == call_back_key(ticket.id)
    task = Task.create(request, NOW)
    assert task.customer_id == ticket.customer_id
    assert tasks_for_opened_ticket(make_ticket(channel="web", category="missed_call")) == []
    assert tasks_for_opened_ticket(make_ticket(channel="phone", category="portal_login")) == []


def test_repoint_task_customer() -> None:
    task = Task.create(renewal_request(), NOW)
    survivor = new_id("cus")
    assert task.repoint_customer(CUSTOMER, survivor) and task.customer_id == survivor
    assert not task.repoint_customer(CUSTOMER, survivor)


def test_open_task_of_the_previous_agent_follows_the_customer_to_the_new_agent() -> None:
    task = Task.create(TaskRequest(kind="follow_up", customer_id=CUSTOMER, owner_id="agt_old", title="call", due_date=SATURDAY), NOW)
    assert not task.follow_customer_owner("agt_someone_else", "agt_new")  # not the previous agent's task
    assert task.follow_customer_owner("agt_old", "agt_new") and task.owner_id == "agt_new"
    assert not task.follow_customer_owner("agt_old", "agt_new")  # already moved
    done = Task.create(TaskRequest(kind="follow_up", customer_id=CUSTOMER, owner_id="agt_old", title="call", due_date=SATURDAY), NOW)
    done.complete("agt_old", NOW)
    assert not done.follow_customer_owner("agt_old", "agt_new") and done.owner_id == "agt_old"  # finished work keeps its owner


def task_due(title: str, *, owner: str = "agt_maryam", day: dt.date | None = None, at: dt.datetime | None = None) -> Task:
    return Task.create(
        TaskRequest(kind="follow_up", customer_id=CUSTOMER, owner_id=owner, title=title, due_date=day, due_at=at), NOW
    )


def test_my_day_puts_overdue_first_then_today_by_time(make_ticket: MakeTicket) -> None:
    done = task_due("already done", day=SATURDAY)
    done.complete("agt_maryam", NOW)
    tasks = [
        task_due("today, no time", day=SATURDAY),
        task_due("today 14:00", at=tehran(SATURDAY, 14, 0)),
        task_due("yesterday", day=FRIDAY_BEFORE),
        task_due("last week", day=SATURDAY - dt.timedelta(days=7)),
        task_due("tomorrow", day=SUNDAY),
        task_due("someone else's", owner="agt_other", day=SATURDAY),
        task_due("today 09:00, missed", at=tehran(SATURDAY, 9, 0)),
        done,
    ]
    urgent = make_ticket(subject="P1 outage")  # response due 09:30, already breached by 10:00
    urgent.assign("agt_maryam", actor_id="usr_lead", now=tehran(SATURDAY, 9, 0))
    later = make_ticket(subject="P5 question", impact="low", urgency="low", now=tehran(SATURDAY, 9, 0))
    later.assign("agt_maryam", actor_id="usr_lead", now=tehran(SATURDAY, 9, 0))
    waiting = make_ticket(subject="waiting on customer")
    waiting.assign("agt_maryam", actor_id="usr_lead", now=tehran(SATURDAY, 9, 0))
    waiting.wait_for_customer("agt_maryam", tehran(SATURDAY, 9, 1))
    agenda = my_day(tasks, [later, urgent, waiting], "agt_maryam", SATURDAY, now=NOW)
    assert [item.title for item in agenda] == [
        "last week", "yesterday", "today 09:00, missed", "P1 outage",
        "today 14:00", "today, no time", "P5 question",
    ]
    assert [item.overdue for item in agenda] == [True, True, True, True, False, False, False]


def test_my_day_without_a_clock_judges_overdue_by_date() -> None:
    tasks = [task_due("today 09:00", at=tehran(SATURDAY, 9, 0)), task_due("yesterday", day=FRIDAY_BEFORE)]
    agenda = my_day(tasks, [], "agt_maryam", SATURDAY)
    assert [(i.title, i.overdue) for i in agenda] == [("yesterday", True), ("today 09:00", False)]
