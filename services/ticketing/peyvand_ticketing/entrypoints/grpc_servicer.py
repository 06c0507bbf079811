"""``peyvand.ticketing.v1.TicketingService``: parse the request, call a use case, map the answer (thin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc
from peyvand.ticketing.v1 import ticketing_pb2 as pb
from peyvand.ticketing.v1 import ticketing_pb2_grpc
from peyvand_runtime.domain import ValidationError, Violations
from peyvand_runtime.identity import current_caller
from peyvand_runtime.tehran_time import to_jalali

from peyvand_ticketing.adapters import calendar_repo
from peyvand_ticketing.domain.task import TaskRequest
from peyvand_ticketing.domain.ticket_values import Attachment
from peyvand_ticketing.entrypoints import mapping as m
from peyvand_ticketing.service_layer import admin, changes, sla_sweep, tasks, tickets
from peyvand_ticketing.service_layer.context import Context


def _opt(value: str) -> str | None:
    return value.strip() or None


class TicketingServicer(ticketing_pb2_grpc.TicketingServiceServicer):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _ticket(self, ticket: Any) -> pb.Ticket:
        return m.ticket_message(ticket, self.ctx.now(), self.ctx.calendar, self.ctx.policy)

    # -- tickets ------------------------------------------------------------------------------
    def OpenTicket(self, request: pb.OpenTicketRequest, context: grpc.ServicerContext) -> pb.OpenTicketResponse:
        cmd = tickets.OpenTicketCommand(
            type=request.type, category=request.category, channel=request.channel, customer_id=request.customer_id,
            subject=request.subject, description=request.description, impact=request.impact or "medium",
            urgency=request.urgency or "medium", policy_number=_opt(request.policy_number), agent_id=_opt(request.agent_id),
            branch_code=_opt(request.branch_code), queue_id=_opt(request.queue_id),
            attachments=tuple(Attachment(a.name, a.size_bytes, a.content_type, a.storage_key) for a in request.attachments),
            idempotency_key=request.idempotency_key.strip(),
        )
        ticket, task_id = tickets.open_ticket(self.ctx, current_caller(), cmd)
        return pb.OpenTicketResponse(ticket=self._ticket(ticket), call_back_task_id=task_id)

    def GetTicket(self, request: pb.GetTicketRequest, context: grpc.ServicerContext) -> pb.GetTicketResponse:
        return pb.GetTicketResponse(ticket=self._ticket(tickets.load(self.ctx, current_caller(), request.ticket_id)))

    def ListTickets(self, request: pb.ListTicketsRequest, context: grpc.ServicerContext) -> pb.ListTicketsResponse:
        size = tickets.page_size(request.page.page_size)
        filters = {"queue_id": request.queue_id, "assignee_id": request.assignee_id, "customer_id": request.customer_id,
                   "status": request.status, "sla_state": request.sla_state}
        if request.ids:
            ids = changes.check_ids(list(request.ids), "tkt", {**filters, "changes_feed": request.changes_feed, "statuses": list(request.statuses),
                                                               "changed_since": request.changed_since, "page.page_token": request.page.page_token})
            return pb.ListTicketsResponse(tickets=[self._ticket(t) for t in changes.tickets_by_ids(self.ctx, current_caller(), ids)])
        if request.changes_feed:
            if request.statuses:
                raise ValidationError.single("statuses", "cannot be combined with changes_feed")
            changes.check_ticket_filters(filters)
            found, position, more = changes.ticket_changes(self.ctx, current_caller(), filters, request.changed_since, size)
            return pb.ListTicketsResponse(tickets=[self._ticket(t) for t in found], changes_token=position, has_more=more)
        items, last = tickets.list_tickets(self.ctx, current_caller(), filters, m.decode_token(request.page.page_token), size, list(request.statuses))
        return pb.ListTicketsResponse(tickets=[self._ticket(t) for t in items], page=_page(m.encode_token(last)))

    def AssignTicket(self, request: pb.AssignTicketRequest, context: grpc.ServicerContext) -> pb.AssignTicketResponse:
        ticket = tickets.assign_ticket(self.ctx, current_caller(), request.ticket_id, request.assignee_id, request.queue_id,
                                       request.override, request.expected_version)
        return pb.AssignTicketResponse(ticket=self._ticket(ticket))

    def ReplyToTicket(self, request: pb.ReplyToTicketRequest, context: grpc.ServicerContext) -> pb.ReplyToTicketResponse:
        ticket, reply = tickets.add_reply(self.ctx, current_caller(), request.ticket_id, request.body, public=True,
                                          from_customer=request.from_customer, expected_version=request.expected_version)
        return pb.ReplyToTicketResponse(ticket=self._ticket(ticket), reply=m.reply_message(reply))

    def AddNote(self, request: pb.AddNoteRequest, context: grpc.ServicerContext) -> pb.AddNoteResponse:
        ticket, reply = tickets.add_reply(self.ctx, current_caller(), request.ticket_id, request.body, public=False,
                                          expected_version=request.expected_version)
        return pb.AddNoteResponse(ticket=self._ticket(ticket), reply=m.reply_message(reply))

    def ChangeTicketStatus(self, request: pb.ChangeTicketStatusRequest, context: grpc.ServicerContext) -> pb.ChangeTicketStatusResponse:
        ticket = tickets.change_status(self.ctx, current_caller(), request.ticket_id, request.status, request.note, request.expected_version)
        return pb.ChangeTicketStatusResponse(ticket=self._ticket(ticket))

    def RecordSatisfaction(self, request: pb.RecordSatisfactionRequest, context: grpc.ServicerContext) -> pb.RecordSatisfactionResponse:
        ticket = tickets.record_satisfaction(self.ctx, current_caller(), request.ticket_id, request.satisfaction_score,
                                             _opt(request.satisfaction_comment))
        return pb.RecordSatisfactionResponse(ticket=self._ticket(ticket))

    def ListReplies(self, request: pb.ListRepliesRequest, context: grpc.ServicerContext) -> pb.ListRepliesResponse:
        size = tickets.page_size(request.page.page_size)
        docs = tickets.list_replies(self.ctx, current_caller(), request.ticket_id, request.include_notes,
                                    m.decode_token(request.page.page_token), size)
        token = m.encode_token(docs[-1]["_id"]) if len(docs) == size else ""
        return pb.ListRepliesResponse(replies=[m.reply_message(d) for d in docs], page=_page(token))

    def GetTicketActivity(self, request: pb.GetTicketActivityRequest, context: grpc.ServicerContext) -> pb.GetTicketActivityResponse:
        size = tickets.page_size(request.page.page_size)
        docs = tickets.activity(self.ctx, current_caller(), request.ticket_id, m.decode_token(request.page.page_token), size)
        token = m.encode_token(docs[-1]["_id"]) if len(docs) == size else ""
        return pb.GetTicketActivityResponse(entries=[m.activity_message(d) for d in docs], page=_page(token))

    # -- tasks --------------------------------------------------------------------------------
    def CreateTask(self, request: pb.CreateTaskRequest, context: grpc.ServicerContext) -> pb.CreateTaskResponse:
        problems = Violations()
        due_date, due_at = tasks.parse_due(request.due_date, request.due_date_jalali, request.due_at, problems)
        problems.raise_if_any()
        caller = current_caller()
        task_request = TaskRequest(
            kind=request.kind, customer_id=request.customer_id, owner_id=_opt(request.owner_id), title=request.title,
            due_date=due_date, due_at=due_at, policy_id=_opt(request.policy_id), ticket_id=_opt(request.ticket_id),
            dedup_key=_opt(request.dedup_key), note=request.note, requested_by=caller.principal,
        )
        doc, created = tasks.create_task(self.ctx, caller, task_request)
        return pb.CreateTaskResponse(task=m.task_message(doc), created=created)

    def CompleteTask(self, request: pb.CompleteTaskRequest, context: grpc.ServicerContext) -> pb.CompleteTaskResponse:
        doc = tasks.complete_task(self.ctx, current_caller(), request.task_id, request.outcome, request.expected_version)
        return pb.CompleteTaskResponse(task=m.task_message(doc))

    def ListTasks(self, request: pb.ListTasksRequest, context: grpc.ServicerContext) -> pb.ListTasksResponse:
        size = tickets.page_size(request.page.page_size)
        if request.ids:
            ids = changes.check_ids(list(request.ids), "tsk", {
                "owner_id": request.owner_id, "customer_id": request.customer_id, "status": request.status, "due_before": request.due_before,
                "changes_feed": request.changes_feed, "changed_since": request.changed_since, "page.page_token": request.page.page_token})
            return pb.ListTasksResponse(tasks=[m.task_message(d) for d in changes.tasks_by_ids(self.ctx, current_caller(), ids)])
        if request.changes_feed:
            if request.due_before:
                raise ValidationError.single("due_before", "cannot be combined with changes_feed")
            filters = changes.check_task_filters(request.owner_id, request.customer_id, request.status)
            found, position, more = changes.task_changes(self.ctx, current_caller(), filters, request.changed_since, size)
            return pb.ListTasksResponse(tasks=[m.task_message(d) for d in found], changes_token=position, has_more=more)
        after = m.decode_token(request.page.page_token)
        docs = tasks.list_tasks(self.ctx, current_caller(), request.owner_id, request.customer_id, request.status,
                                request.due_before, after, size)
        token = m.encode_token(docs[-1]["_id"]) if len(docs) == size else ""
        return pb.ListTasksResponse(tasks=[m.task_message(d) for d in docs], page=_page(token))

    def MyDay(self, request: pb.MyDayRequest, context: grpc.ServicerContext) -> pb.MyDayResponse:
        day = None
        if request.day:
            try:
                day = dt.date.fromisoformat(request.day)
            except ValueError:
                raise ValidationError.single("day", "must be an ISO date YYYY-MM-DD") from None
        today, items = tasks.agenda(self.ctx, current_caller(), request.agent_id, day)
        return pb.MyDayResponse(items=[m.agenda_message(i) for i in items], day=today.isoformat(), day_jalali=to_jalali(today))

    # -- queues -------------------------------------------------------------------------------
    def CreateQueue(self, request: pb.CreateQueueRequest, context: grpc.ServicerContext) -> pb.CreateQueueResponse:
        doc = admin.create_queue(self.ctx, current_caller(), {
            "name": request.name, "branch_code": request.branch_code, "team": request.team, "strategy": request.strategy,
            "lead_user_id": request.lead_user_id, "categories": list(request.categories),
            "members": [m.member_dict(x) for x in request.members],
        })
        return pb.CreateQueueResponse(queue=m.queue_message(doc))

    def SetQueueMember(self, request: pb.SetQueueMemberRequest, context: grpc.ServicerContext) -> pb.SetQueueMemberResponse:
        if not request.queue_id:
            raise ValidationError.single("queue_id", "must not be empty")
        doc = admin.set_member(self.ctx, current_caller(), request.queue_id, m.member_dict(request.member), request.remove)
        return pb.SetQueueMemberResponse(queue=m.queue_message(doc))

    def ListQueues(self, request: pb.ListQueuesRequest, context: grpc.ServicerContext) -> pb.ListQueuesResponse:
        current_caller()
        return pb.ListQueuesResponse(queues=[m.queue_message(d) for d in self.ctx.queues.for_branch(_opt(request.branch_code))])

    # -- holidays -----------------------------------------------------------------------------
    def ListHolidays(self, request: pb.ListHolidaysRequest, context: grpc.ServicerContext) -> pb.ListHolidaysResponse:
        current_caller()
        return pb.ListHolidaysResponse(holidays=[m.holiday_message(d) for d in calendar_repo.list_holidays(self.ctx.db, request.year)])

    def SetHoliday(self, request: pb.SetHolidayRequest, context: grpc.ServicerContext) -> pb.SetHolidayResponse:
        doc = admin.set_holiday(self.ctx, current_caller(), request.date, request.date_jalali, request.name)
        return pb.SetHolidayResponse(holiday=m.holiday_message(doc))

    def RemoveHoliday(self, request: pb.RemoveHolidayRequest, context: grpc.ServicerContext) -> pb.RemoveHolidayResponse:
        return pb.RemoveHolidayResponse(removed=admin.remove_holiday(self.ctx, current_caller(), request.date, request.date_jalali))

    # -- dashboards ---------------------------------------------------------------------------
    def QueueSlaSummary(self, request: pb.QueueSlaSummaryRequest, context: grpc.ServicerContext) -> pb.QueueSlaSummaryResponse:
        caller = current_caller()
        branch = _opt(request.branch_code)
        if caller.role in ("staff", "manager", "agent") and (branch is None or branch not in caller.branch_codes):
            if caller.role == "agent" or branch is not None or len(caller.branch_codes) != 1:
                raise ValidationError.single("branch_code", "name one of your branches")
            branch = caller.branch_codes[0]
        counts = sla_sweep.open_counts(self.ctx, branch)
        return pb.QueueSlaSummaryResponse(counts=[
            pb.QueueSlaCount(queue_id="" if q == "-" else q, sla_state=s, open_tickets=n) for (q, s), n in sorted(counts.items())
        ])


def _page(token: str) -> Any:
    from peyvand.common.v1 import paging_pb2

    return paging_pb2.PageResponse(next_page_token=token)
