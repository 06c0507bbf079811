"""Tickets, tasks, queues, SLA and holidays for branch staff (``/api/v1``), passed to ticketing.

Scope is enforced by the ticketing service (out of scope answers 404); the gateway checks
roles: marketing works with aggregates only and gets no ticket or task.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from peyvand.common.v1 import paging_pb2
from peyvand.ticketing.v1 import ticketing_pb2 as pb

from peyvand_gateway.adapters.backends import Backends, call
from peyvand_gateway.entrypoints import presenters
from peyvand_gateway.entrypoints.deps import AdminUser, CurrentUser, GatewayDep, require_roles
from peyvand_gateway.entrypoints.etags import parse_if_match, version_etag
from peyvand_gateway.entrypoints.schemas.common import PROBLEM_RESPONSES, Page
from peyvand_gateway.entrypoints.schemas.tickets import (
    ActivityEntryPublic,
    HolidayPublic,
    HolidaySet,
    QueuePublic,
    QueueSlaCountPublic,
    ReplyPublic,
    SatisfactionCreate,
    TaskComplete,
    TaskCreate,
    TaskPublic,
    TicketAssign,
    TicketOpen,
    TicketOpened,
    TicketPublic,
    TicketStatusChange,
    TicketText,
    TicketWithReply,
)

router = APIRouter(prefix="/api/v1", tags=["tickets"], responses=PROBLEM_RESPONSES)
# Those who work tickets and tasks (agents only within their book, by the service's scope).
TicketUser = Annotated[Any, Depends(require_roles("staff", "manager", "admin", "agent"))]
SupervisorUser = Annotated[Any, Depends(require_roles("staff", "manager", "admin"))]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
Cursor = Annotated[str, Query(max_length=500, description="`next_cursor` of the previous page")]
IfMatch = Annotated[str | None, Header(description="The ticket's ETag (`\"v3\"`); optional, refuses a stale write with 409")]
TicketStatus = Annotated[str, Query(pattern="^(|new|open|pending_customer|resolved|closed)$")]
SlaState = Annotated[str, Query(pattern="^(|ok|warning|breached)$")]


def _stub(backends: Backends) -> Any:
    return backends.require("ticketing").stub


def _optional_version(if_match: str | None) -> int:
    """0 (do not check) when no If-Match was sent; else the version it names."""
    return parse_if_match(if_match) if if_match else 0


def _ticket_answer(message: Any, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = version_etag(message.version)
    return presenters.ticket(message)


# --- tickets --------------------------------------------------------------------------------------


@router.get("/tickets", operation_id="listTickets", response_model=Page[TicketPublic], summary="Tickets by queue, assignee, customer, status, SLA")
def list_tickets(
    who: TicketUser,
    gateway: GatewayDep,
    queue_id: Annotated[str, Query(max_length=60)] = "",
    assignee_id: Annotated[str, Query(max_length=60, description="`me` for the signed-in user")] = "",
    customer_id: Annotated[str, Query(max_length=60)] = "",
    status: TicketStatus = "",
    sla_state: SlaState = "",
    limit: Limit = 20,
    cursor: Cursor = "",
) -> dict[str, Any]:
    if assignee_id == "me":
        assignee_id = str(who.caller.agent_id or who.caller.principal)
    answer = call(
        "ticketing",
        _stub(gateway.backends).ListTickets,
        pb.ListTicketsRequest(
            queue_id=queue_id,
            assignee_id=assignee_id,
            customer_id=customer_id,
            status=status,
            sla_state=sla_state,
            page=paging_pb2.PageRequest(page_size=limit, page_token=cursor),
        ),
    )
    return {"items": [presenters.ticket(t) for t in answer.tickets], "next_cursor": answer.page.next_page_token or None}


@router.post("/tickets", operation_id="openTicket", response_model=TicketOpened, status_code=201)
def open_ticket(
    body: TicketOpen,
    who: TicketUser,
    gateway: GatewayDep,
    response: Response,
    idempotency_key: Annotated[str, Header(max_length=100, description="Resending with the same key answers the same ticket")] = "",
) -> dict[str, Any]:
    fields = body.model_dump(exclude={"attachments"})
    answer = call(
        "ticketing",
        _stub(gateway.backends).OpenTicket,
        pb.OpenTicketRequest(idempotency_key=idempotency_key, attachments=[pb.Attachment(**a.model_dump()) for a in body.attachments], **fields),
    )
    response.headers["Location"] = f"/api/v1/tickets/{answer.ticket.ticket_id}"
    response.headers["ETag"] = version_etag(answer.ticket.version)
    return {"ticket": presenters.ticket(answer.ticket), "call_back_task_id": answer.call_back_task_id}


@router.get("/tickets/{ticket_id}", operation_id="getTicket", response_model=TicketPublic)
def get_ticket(ticket_id: str, who: TicketUser, gateway: GatewayDep, response: Response) -> dict[str, Any]:
    answer = call("ticketing", _stub(gateway.backends).GetTicket, pb.GetTicketRequest(ticket_id=ticket_id))
    return _ticket_answer(answer.ticket, response)


@router.post("/tickets/{ticket_id}/assignment", operation_id="assignTicket", response_model=TicketPublic)
def assign_ticket(
    ticket_id: str, body: TicketAssign, who: SupervisorUser, gateway: GatewayDep, response: Response, if_match: IfMatch = None
) -> dict[str, Any]:
    answer = call(
        "ticketing",
        _stub(gateway.backends).AssignTicket,
        pb.AssignTicketRequest(ticket_id=ticket_id, expected_version=_optional_version(if_match), **body.model_dump()),
    )
    return _ticket_answer(answer.ticket, response)


@router.post("/tickets/{ticket_id}/replies", operation_id="replyToTicket", response_model=TicketWithReply, status_code=201)
def reply_to_ticket(ticket_id: str, body: TicketText, who: TicketUser, gateway: GatewayDep, response: Response, if_match: IfMatch = None) -> Any:
    """A public reply, sent to the customer (the first one is the first response for the SLA)."""
    answer = call(
        "ticketing",
        _stub(gateway.backends).ReplyToTicket,
        pb.ReplyToTicketRequest(ticket_id=ticket_id, body=body.body, expected_version=_optional_version(if_match)),
    )
    return {"ticket": _ticket_answer(answer.ticket, response), "reply": presenters.reply(answer.reply)}


@router.post("/tickets/{ticket_id}/notes", operation_id="addTicketNote", response_model=TicketWithReply, status_code=201)
def add_note(ticket_id: str, body: TicketText, who: TicketUser, gateway: GatewayDep, response: Response, if_match: IfMatch = None) -> Any:
    """An internal note, never shown to the customer."""
    answer = call(
        "ticketing", _stub(gateway.backends).AddNote, pb.AddNoteRequest(ticket_id=ticket_id, body=body.body, expected_version=_optional_version(if_match))
    )
    return {"ticket": _ticket_answer(answer.ticket, response), "reply": presenters.reply(answer.reply)}


@router.post("/tickets/{ticket_id}/status", operation_id="changeTicketStatus", response_model=TicketPublic)
def change_ticket_status(
    ticket_id: str, body: TicketStatusChange, who: TicketUser, gateway: GatewayDep, response: Response, if_match: IfMatch = None
) -> dict[str, Any]:
    """`resolved` → `open` reopens (within the reopen period); illegal moves answer 409."""
    answer = call(
        "ticketing",
        _stub(gateway.backends).ChangeTicketStatus,
        pb.ChangeTicketStatusRequest(ticket_id=ticket_id, status=body.status, note=body.note, expected_version=_optional_version(if_match)),
    )
    return _ticket_answer(answer.ticket, response)


@router.put("/tickets/{ticket_id}/satisfaction", operation_id="recordSatisfaction", response_model=TicketPublic)
def record_satisfaction(ticket_id: str, body: SatisfactionCreate, who: TicketUser, gateway: GatewayDep, response: Response) -> dict[str, Any]:
    answer = call("ticketing", _stub(gateway.backends).RecordSatisfaction, pb.RecordSatisfactionRequest(ticket_id=ticket_id, **body.model_dump()))
    return _ticket_answer(answer.ticket, response)


@router.get("/tickets/{ticket_id}/replies", operation_id="listTicketReplies", response_model=Page[ReplyPublic])
def list_replies(
    ticket_id: str,
    who: TicketUser,
    gateway: GatewayDep,
    include_notes: Annotated[bool, Query(description="Internal notes too (staff; agents see their own)")] = False,
    limit: Limit = 50,
    cursor: Cursor = "",
) -> dict[str, Any]:
    answer = call(
        "ticketing",
        _stub(gateway.backends).ListReplies,
        pb.ListRepliesRequest(ticket_id=ticket_id, include_notes=include_notes, page=paging_pb2.PageRequest(page_size=limit, page_token=cursor)),
    )
    return {"items": [presenters.reply(r) for r in answer.replies], "next_cursor": answer.page.next_page_token or None}


@router.get("/tickets/{ticket_id}/activity", operation_id="getTicketActivity", response_model=Page[ActivityEntryPublic])
def ticket_activity(ticket_id: str, who: TicketUser, gateway: GatewayDep, limit: Limit = 50, cursor: Cursor = "") -> dict[str, Any]:
    answer = call(
        "ticketing",
        _stub(gateway.backends).GetTicketActivity,
        pb.GetTicketActivityRequest(ticket_id=ticket_id, page=paging_pb2.PageRequest(page_size=limit, page_token=cursor)),
    )
    return {"items": [presenters.activity_entry(e) for e in answer.entries], "next_cursor": answer.page.next_page_token or None}


# --- tasks ----------------------------------------------------------------------------------------


@router.get("/tasks", operation_id="listTasks", response_model=Page[TaskPublic], tags=["tasks"])
def list_tasks(
    who: TicketUser,
    gateway: GatewayDep,
    mine: Annotated[bool, Query(description="Only tasks I own")] = False,
    owner_id: Annotated[str, Query(max_length=60)] = "",
    customer_id: Annotated[str, Query(max_length=60)] = "",
    status: Annotated[str, Query(pattern="^(|open|done|cancelled)$")] = "",
    due_before: Annotated[str, Query(max_length=10, description="ISO date: due on or before (Tehran day)")] = "",
    limit: Limit = 50,
    cursor: Cursor = "",
) -> dict[str, Any]:
    if mine:
        owner_id = str(who.caller.agent_id or who.caller.principal)
    answer = call(
        "ticketing",
        _stub(gateway.backends).ListTasks,
        pb.ListTasksRequest(
            owner_id=owner_id, customer_id=customer_id, status=status, due_before=due_before, page=paging_pb2.PageRequest(page_size=limit, page_token=cursor)
        ),
    )
    return {"items": [presenters.task(t) for t in answer.tasks], "next_cursor": answer.page.next_page_token or None}


@router.post("/tasks", operation_id="createTask", response_model=TaskPublic, status_code=201, tags=["tasks"])
def create_task(
    body: TaskCreate,
    who: TicketUser,
    gateway: GatewayDep,
    response: Response,
    idempotency_key: Annotated[str, Header(max_length=100, description="Same key → the same task (its dedup key)")] = "",
) -> dict[str, Any]:
    answer = call("ticketing", _stub(gateway.backends).CreateTask, pb.CreateTaskRequest(dedup_key=idempotency_key, **body.model_dump()))
    if not answer.created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/tasks/{answer.task.task_id}"
    return presenters.task(answer.task)


@router.post("/tasks/{task_id}/completion", operation_id="completeTask", response_model=TaskPublic, tags=["tasks"])
def complete_task(task_id: str, body: TaskComplete, who: TicketUser, gateway: GatewayDep, if_match: IfMatch = None) -> dict[str, Any]:
    answer = call(
        "ticketing",
        _stub(gateway.backends).CompleteTask,
        pb.CompleteTaskRequest(task_id=task_id, outcome=body.outcome, expected_version=_optional_version(if_match)),
    )
    return presenters.task(answer.task)


# --- queues, SLA, holidays --------------------------------------------------------------------------


@router.get("/queues", operation_id="listQueues", response_model=list[QueuePublic], tags=["queues"])
def list_queues(who: SupervisorUser, gateway: GatewayDep, branch_code: Annotated[str, Query(max_length=10)] = "") -> list[dict[str, Any]]:
    answer = call("ticketing", _stub(gateway.backends).ListQueues, pb.ListQueuesRequest(branch_code=branch_code))
    return [presenters.queue(q) for q in answer.queues]


@router.get("/queues/sla-summary", operation_id="getQueueSlaSummary", response_model=list[QueueSlaCountPublic], tags=["queues"])
def queue_sla_summary(who: SupervisorUser, gateway: GatewayDep, branch_code: Annotated[str, Query(max_length=10)] = "") -> list[dict[str, Any]]:
    """Open tickets per queue and SLA state (a dashboard tile). Staff of one branch may omit the branch."""
    answer = call("ticketing", _stub(gateway.backends).QueueSlaSummary, pb.QueueSlaSummaryRequest(branch_code=branch_code))
    return [presenters.sla_count(c) for c in answer.counts]


@router.get("/holidays", operation_id="listHolidays", response_model=list[HolidayPublic], tags=["holidays"])
def list_holidays(who: CurrentUser, gateway: GatewayDep, year: Annotated[int, Query(ge=0, le=2200, description="Gregorian year; 0 = all")] = 0) -> Any:
    answer = call("ticketing", _stub(gateway.backends).ListHolidays, pb.ListHolidaysRequest(year=year))
    return [presenters.holiday(h) for h in answer.holidays]


@router.put("/holidays", operation_id="setHoliday", response_model=HolidayPublic, tags=["holidays"])
def set_holiday(body: HolidaySet, who: AdminUser, gateway: GatewayDep) -> dict[str, Any]:
    """Admins: add or rename a day off of the business calendar (SLA clocks skip it)."""
    answer = call("ticketing", _stub(gateway.backends).SetHoliday, pb.SetHolidayRequest(**body.model_dump()))
    return presenters.holiday(answer.holiday)


@router.delete("/holidays/{date}", operation_id="removeHoliday", status_code=204, tags=["holidays"])
def remove_holiday(date: str, who: AdminUser, gateway: GatewayDep) -> Response:
    """`date` is ISO (2027-03-25) or Jalali with dashes (1406-01-05)."""
    jalali = date.replace("-", "/") if date[:2] in ("13", "14") else ""
    answer = call("ticketing", _stub(gateway.backends).RemoveHoliday, pb.RemoveHolidayRequest(date="" if jalali else date, date_jalali=jalali))
    if not answer.removed:
        from peyvand_runtime.domain import NotFound

        raise NotFound("no such holiday")
    return Response(status_code=204)
