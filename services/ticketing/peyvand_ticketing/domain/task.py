"""Agent tasks (renewal calls, call-backs, visits, follow-ups), their dedup keys and an agent's day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from peyvand_runtime.domain import Aggregate, InvalidTransition, Violations
from peyvand_runtime.ids import is_id, new_id
from peyvand_runtime.tehran_time import expiry_instant, tehran_date

from .business_calendar import to_utc
from .priority import priority_rank
from .ticket import Ticket
from .ticket_values import NEW, iso_utc, validate_choice, validate_text
from .ticket_values import OPEN as TICKET_OPEN

KINDS = ("renewal_call", "call_back", "visit", "follow_up")
OPEN, DONE, CANCELLED = "open", "done", "cancelled"
TRANSITIONS: dict[str, frozenset[str]] = {OPEN: frozenset({DONE, CANCELLED}), DONE: frozenset(), CANCELLED: frozenset()}
INVALID_TRANSITION = "TASK_INVALID_TRANSITION"
MAX_TITLE = 200
MAX_NOTE = 2_000


def dedup_key_for(kind: str, *parts: object) -> str:
    """``renewal_call:pol_…:2026-03-20``: one task per kind and subject, however often it is asked for."""
    return ":".join([kind, *(p.isoformat() if isinstance(p, (dt.date, dt.datetime)) else str(p) for p in parts)])


def renewal_call_key(policy_id: str, term_end: dt.date) -> str:
    return dedup_key_for("renewal_call", policy_id, term_end)


def call_back_key(ticket_id: str) -> str:
    return dedup_key_for("call_back", ticket_id)


@dataclass(frozen=True)
class TaskRequest:
    """What a caller (renewal campaign, missed call, agent) asks for; due by date or instant."""

    kind: str
    customer_id: str
    owner_id: str | None
    title: str
    due_date: dt.date | None = None
    due_at: dt.datetime | None = None
    policy_id: str | None = None
    ticket_id: str | None = None
    dedup_key: str | None = None
    note: str = ""
    requested_by: str = "system"


@dataclass
class Task(Aggregate):
    kind: str = ""
    customer_id: str = ""
    owner_id: str | None = None
    title: str = ""
    due_date: dt.date | None = None
    due_at: dt.datetime | None = None
    policy_id: str | None = None
    ticket_id: str | None = None
    dedup_key: str = ""
    note: str = ""
    status: str = OPEN
    created_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    outcome: str = ""

    @classmethod
    def create(cls, request: TaskRequest, now: dt.datetime, task_id: str | None = None) -> Task:
        problems = Violations()
        validate_choice(problems, "kind", request.kind, KINDS)
        if not is_id(request.customer_id, "cus"):
            problems.add("customer_id", "must be a customer id (cus_…)")
        if request.owner_id is not None and not request.owner_id.strip():
            problems.add("owner_id", "must not be empty when given")
        validate_text(problems, "title", request.title, MAX_TITLE)
        validate_text(problems, "note", request.note, MAX_NOTE, required=False)
        if request.due_date is None and request.due_at is None:
            problems.add("due_date", "give a due date or a due instant")
        if request.policy_id is not None and not is_id(request.policy_id, "pol"):
            problems.add("policy_id", "must be a policy id (pol_…)")
        if request.ticket_id is not None and not is_id(request.ticket_id, "tkt"):
            problems.add("ticket_id", "must be a ticket id (tkt_…)")
        problems.raise_if_any()
        now = to_utc(now)
        task_id = task_id or new_id("tsk")
        task = cls(
            id=task_id, kind=request.kind, customer_id=request.customer_id, owner_id=request.owner_id,
            title=request.title.strip(), due_date=request.due_date,
            due_at=None if request.due_at is None else to_utc(request.due_at), policy_id=request.policy_id,
            ticket_id=request.ticket_id, dedup_key=request.dedup_key or dedup_key_for(request.kind, task_id),
            note=request.note, created_at=now,
        )
        task.record("task.created", task._payload(created_by=request.requested_by, created_at=iso_utc(now)))
        return task

    def _payload(self, **extra: object) -> dict[str, object]:
        payload: dict[str, object] = {
            "task_id": self.id, "kind": self.kind, "customer_id": self.customer_id, "owner_id": self.owner_id,
            "policy_id": self.policy_id, "ticket_id": self.ticket_id, "dedup_key": self.dedup_key,
            "status": self.status, "title": self.title,
            "due_date": None if self.due_date is None else self.due_date.isoformat(), "due_at": iso_utc(self.due_at),
        }
        payload.update(extra)
        return payload

    def _move(self, to: str) -> None:
        if to not in TRANSITIONS[self.status]:
            raise InvalidTransition(f"a task cannot go from {self.status} to {to}", code=INVALID_TRANSITION, metadata={"status": self.status})
        self.status = to

    def complete(self, actor_id: str, now: dt.datetime, outcome: str = "") -> None:
        problems = Violations()
        validate_text(problems, "outcome", outcome, MAX_NOTE, required=False)
        problems.raise_if_any()
        self._move(DONE)
        self.completed_at, self.outcome = to_utc(now), outcome
        self.record("task.completed", self._payload(completed_by=actor_id, completed_at=iso_utc(self.completed_at), outcome=outcome))

    def cancel(self, actor_id: str, now: dt.datetime, reason: str = "") -> None:
        self._move(CANCELLED)
        self.cancelled_at, self.outcome = to_utc(now), reason
        self.record("task.cancelled", self._payload(cancelled_by=actor_id, cancelled_at=iso_utc(self.cancelled_at), reason=reason))

    def follow_customer_owner(self, previous_agent_id: str | None, agent_id: str | None) -> bool:
        """``customer.assigned``: an open task the customer's previous agent owned goes to the new
        agent (tasks given to someone else, and finished ones, keep their owner)."""
        if self.status != OPEN or not agent_id or not previous_agent_id or self.owner_id != previous_agent_id or agent_id == previous_agent_id:
            return False
        self.owner_id = agent_id
        return True

    def repoint_customer(self, old_customer_id: str, new_customer_id: str) -> bool:
        if self.customer_id != old_customer_id or old_customer_id == new_customer_id:
            return False
        self.customer_id = new_customer_id
        return True

    @property
    def due_day(self) -> dt.date:
        """The Tehran date the task is due (from the instant when there is one)."""
        return tehran_date(self.due_at) if self.due_at is not None else self.due_date  # type: ignore[return-value]


def request_task(request: TaskRequest, existing: Task | None, now: dt.datetime) -> tuple[Task, bool]:
    """The task for a request: the existing one when its dedup key matches (any status), else a new one."""
    if existing is not None and request.dedup_key and existing.dedup_key == request.dedup_key:
        return existing, False
    return Task.create(request, now), True


def plan_tasks(requests: Iterable[TaskRequest], existing_keys: Collection[str], now: dt.datetime) -> list[Task]:
    """New tasks for a batch, skipping keys already stored or repeated within the batch."""
    seen, created = set(existing_keys), []
    for request in requests:
        if request.dedup_key and request.dedup_key in seen:
            continue
        task = Task.create(request, now)
        seen.add(task.dedup_key)
        created.append(task)
    return created


def tasks_for_opened_ticket(ticket: Ticket) -> list[TaskRequest]:
    """A missed call logged as a ticket needs a call-back, due with the first-response target."""
    if not ticket.is_missed_call:
        return []
    assert ticket.sla is not None and ticket.created_at is not None
    return [TaskRequest(
        kind="call_back", customer_id=ticket.customer_id, owner_id=ticket.assignee_id,
        title=f"Call back: {ticket.ticket_number}", due_at=ticket.sla.first_response_due_at or ticket.created_at,
        ticket_id=ticket.id, dedup_key=call_back_key(ticket.id), requested_by="system",
    )]


@dataclass(frozen=True)
class AgendaItem:
    kind: str  # "task" or "ticket"
    id: str
    title: str
    customer_id: str
    due_at: dt.datetime
    overdue: bool
    priority: str | None = None


def my_day(
    tasks: Iterable[Task], tickets: Iterable[Ticket], agent_id: str, today: dt.date, now: dt.datetime | None = None
) -> list[AgendaItem]:
    """What the agent should do today: overdue first (oldest first), then today's items by due
    time and priority, then their other open tickets by SLA due. Date-only tasks count as due
    at the end of their Tehran day. Tickets waiting on the customer are left out."""
    now = None if now is None else to_utc(now)
    end_of_today = expiry_instant(today)
    ranked: list[tuple[tuple[object, ...], AgendaItem]] = []

    def bucket(due: dt.datetime, due_day: dt.date, breached: bool = False) -> int:
        if breached or due_day < today or (now is not None and due < now):
            return 0
        return 1 if due_day == today else 2

    for task in tasks:
        if task.owner_id != agent_id or task.status != OPEN:
            continue
        due = task.due_at or expiry_instant(task.due_date)  # type: ignore[arg-type]
        b = bucket(due, task.due_day)
        if b == 2:
            continue  # a task for another day
        ranked.append(((b, due, 3, task.id), AgendaItem("task", task.id, task.title, task.customer_id, due, b == 0)))
    for ticket in tickets:
        if ticket.assignee_id != agent_id or ticket.status not in (NEW, TICKET_OPEN) or ticket.sla is None:
            continue
        responded = ticket.first_responded_at is not None
        sla_due = ticket.sla.resolution_due_at if responded else ticket.sla.first_response_due_at
        breached = ticket.sla.breached_resolution or (not responded and ticket.sla.breached_response)
        due = sla_due or end_of_today
        b = bucket(due, tehran_date(due), breached)
        item = AgendaItem("ticket", ticket.id, ticket.subject, ticket.customer_id, due, b == 0, ticket.priority)
        ranked.append(((b, due, priority_rank(ticket.priority), ticket.id), item))
    ranked.sort(key=lambda pair: pair[0])
    return [item for _, item in ranked]
