"""What every ticketing use case needs: the store, repositories, the calendar, the SLA policy, a clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peyvand_runtime.domain import NotFound, PermissionDenied
from peyvand_runtime.group_commit import BatchedGet
from peyvand_runtime.identity import Caller, can_see_record
from peyvand_runtime.tehran_time import utc_now
from pymongo.database import Database

from peyvand_ticketing.adapters import customer_refs, documents
from peyvand_ticketing.adapters.calendar_repo import CalendarProvider, seed
from peyvand_ticketing.adapters.numbering import TicketNumbers
from peyvand_ticketing.adapters.queue_repo import QueueRepository
from peyvand_ticketing.adapters.task_repo import TaskRepository
from peyvand_ticketing.adapters.ticket_repo import TicketRepository
from peyvand_ticketing.domain.business_calendar import BusinessCalendar
from peyvand_ticketing.domain.sla import DEFAULT_SLA_POLICY, SlaPolicy
from peyvand_ticketing.domain.ticket import Ticket
from peyvand_ticketing.domain.ticket_values import DEFAULT_REOPEN_PERIOD


@dataclass
class Context:
    db: Database
    calendars: CalendarProvider
    policy: SlaPolicy = DEFAULT_SLA_POLICY
    reopen_period: dt.timedelta = DEFAULT_REOPEN_PERIOD
    clock: Callable[[], dt.datetime] = utc_now
    tickets: TicketRepository = field(init=False)
    tasks: TaskRepository = field(init=False)
    queues: QueueRepository = field(init=False)
    numbers: TicketNumbers = field(init=False)
    opens: Any = field(init=False)  # OpenCommitter: concurrent OpenTicket writes share store calls
    customer_reads: BatchedGet = field(init=False)  # concurrent projection reads share one $in find

    def __post_init__(self) -> None:
        from peyvand_ticketing.service_layer.open_batch import OpenCommitter

        self.numbers = TicketNumbers(self.db)
        self.tickets = TicketRepository(self.db)
        self.tasks = TaskRepository(self.db)
        self.queues = QueueRepository(self.db)
        self.opens = OpenCommitter(self, self.db)
        self.customer_reads = BatchedGet("ticketing_customer_refs", self.db[customer_refs.CUSTOMER_REFS])

    @property
    def calendar(self) -> BusinessCalendar:
        return self.calendars.get()

    def now(self) -> dt.datetime:
        return self.clock()

    def save_ticket(self, ticket: Ticket) -> int:
        return self.tickets.save(ticket, self.now(), self.calendar, self.policy)


def bootstrap(db: Database, *, seed_years: list[int] | None = None, reopen_period: dt.timedelta = DEFAULT_REOPEN_PERIOD,
              calendar_ttl: float = 30.0, clock: Callable[[], dt.datetime] = utc_now) -> Context:
    """Indexes, the idempotent holiday seed, and the context (call once per process)."""
    documents.ensure_indexes()
    if seed_years:
        seed(db, seed_years)
    return Context(db, CalendarProvider(db, calendar_ttl), reopen_period=reopen_period, clock=clock)


def visible(caller: Caller, ticket: Ticket) -> bool:
    """Scope: agents their customers' tickets (or ones assigned to them), staff their branch,
    managers their region's branches, admins and services everything."""
    if ticket.assignee_id is not None and ticket.assignee_id == caller.principal:
        return True
    return can_see_record(caller, ticket.agent_id, ticket.branch_code)


def require_visible(caller: Caller, ticket: Ticket | None) -> Ticket:
    if ticket is None or not visible(caller, ticket):
        raise NotFound("ticket not found", code="TICKET_NOT_FOUND")
    return ticket


def require_admin(caller: Caller, branch_code: str | None = None) -> None:
    """Queue and holiday administration: admins; managers for their own branches' queues."""
    if caller.role in ("admin", "service"):
        return
    if branch_code is not None and caller.role == "manager" and branch_code in caller.branch_codes:
        return
    raise PermissionDenied("only an administrator may change this")
