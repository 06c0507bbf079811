"""In-process stand-ins for the ticketing and campaign services, built from the generated proto
types and served by the spine's real gRPC server (real identity checks, real error statuses).
Scope follows the real rule: ``can_see_record(caller, agent_id, branch_code)``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import grpc
from gateway_fakes import _stall
from peyvand.campaign.v1 import campaign_pb2, campaign_pb2_grpc
from peyvand.common.v1 import paging_pb2
from peyvand.ticketing.v1 import ticketing_pb2, ticketing_pb2_grpc
from peyvand_runtime.domain import DomainError, FieldViolation, NotFound, PermissionDenied, ValidationError, VersionConflict
from peyvand_runtime.identity import can_see_record, current_caller

_NEXT = {"new": {"open", "pending_customer", "resolved"}, "open": {"pending_customer", "resolved"}, "pending_customer": {"open", "resolved"},
         "resolved": {"open", "closed"}, "closed": set()}


def moment(utc: str) -> ticketing_pb2.Moment:
    return ticketing_pb2.Moment(utc=utc, jalali_date="1405/09/01", tehran_time="13:30")


@dataclass
class FakeTicketingService(ticketing_pb2_grpc.TicketingServiceServicer):
    tickets: dict[str, ticketing_pb2.Ticket] = field(default_factory=dict)
    replies: dict[str, list[ticketing_pb2.Reply]] = field(default_factory=dict)
    tasks: dict[str, ticketing_pb2.Task] = field(default_factory=dict)
    holidays: dict[str, ticketing_pb2.Holiday] = field(default_factory=dict)
    delay: float = 0.0
    down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # False: behave like a ticketing service older than ListTicketsRequest.statuses (ignore it).
    knows_statuses: bool = True
    asked_statuses: list[list[str]] = field(default_factory=list)

    def _check(self, context: grpc.ServicerContext) -> None:
        if self.down:
            context.abort(grpc.StatusCode.UNAVAILABLE, "ticketing is down")
        _stall(self.delay, context)

    def _visible(self, ticket_id: str) -> ticketing_pb2.Ticket:
        found = self.tickets.get(ticket_id)
        if found is None or not can_see_record(current_caller(), found.agent_id, found.branch_code):
            raise NotFound("ticket not found", code="TICKET_NOT_FOUND")
        return found

    def _save(self, ticket: ticketing_pb2.Ticket, expected_version: int) -> ticketing_pb2.Ticket:
        current = self.tickets[ticket.ticket_id]
        if expected_version and expected_version != current.version:
            raise VersionConflict("changed meanwhile")
        ticket.version = current.version + 1
        self.tickets[ticket.ticket_id] = ticket
        return ticket

    def add_ticket(self, ticket: ticketing_pb2.Ticket) -> None:
        self.tickets[ticket.ticket_id] = ticket

    def ListTickets(self, request, context):  # noqa: N802
        self._check(context)
        self.asked_statuses.append(list(request.statuses))
        caller = current_caller()
        found = [
            t
            for t in self.tickets.values()
            if can_see_record(caller, t.agent_id, t.branch_code)
            and (not request.ids or t.ticket_id in request.ids)
            and (not request.statuses or not self.knows_statuses or t.status in request.statuses)
            and all(not want or getattr(t, name) == want for name, want in (
                ("customer_id", request.customer_id), ("status", request.status), ("queue_id", request.queue_id),
                ("assignee_id", request.assignee_id), ("sla_state", request.sla_state)))
        ]
        if request.changes_feed:  # a coarse feed: everything first, then nothing (the real one is tested in ticketing)
            return ticketing_pb2.ListTicketsResponse(tickets=[] if request.changed_since else found, changes_token="seen")
        size = request.page.page_size or 20
        start = int(request.page.page_token or 0)
        page = found[start : start + size]
        token = str(start + size) if start + size < len(found) else ""
        return ticketing_pb2.ListTicketsResponse(tickets=page, page=paging_pb2.PageResponse(next_page_token=token))

    def GetTicket(self, request, context):  # noqa: N802
        self._check(context)
        return ticketing_pb2.GetTicketResponse(ticket=self._visible(request.ticket_id))

    def OpenTicket(self, request, context):  # noqa: N802
        self._check(context)
        with self.lock:
            number = len(self.tickets) + 1
            ticket = ticketing_pb2.Ticket(
                ticket_id=f"tkt_{number:026d}", ticket_number=f"T-1405-{number:06d}", type=request.type, category=request.category,
                channel=request.channel, customer_id=request.customer_id, agent_id=request.agent_id or "agt_01JG0000000000000000000AG1",
                branch_code=request.branch_code or "1021", subject=request.subject, description=request.description, status="new",
                priority="P3", sla_state="ok", created_at=moment("2026-11-22T08:00:00Z"), version=1,
            )
            self.tickets[ticket.ticket_id] = ticket
        return ticketing_pb2.OpenTicketResponse(ticket=ticket)

    def AssignTicket(self, request, context):  # noqa: N802
        with self.lock:
            ticket = ticketing_pb2.Ticket()
            ticket.CopyFrom(self._visible(request.ticket_id))
            ticket.assignee_id = request.assignee_id
            return ticketing_pb2.AssignTicketResponse(ticket=self._save(ticket, request.expected_version))

    def _reply(self, ticket_id: str, body: str, public: bool, expected: int) -> tuple[ticketing_pb2.Ticket, ticketing_pb2.Reply]:
        with self.lock:
            ticket = ticketing_pb2.Ticket()
            ticket.CopyFrom(self._visible(ticket_id))
            if expected and expected != ticket.version:
                raise VersionConflict("changed meanwhile")
            if public and ticket.status == "new":
                ticket.status = "open"
            replies = self.replies.setdefault(ticket_id, [])
            reply = ticketing_pb2.Reply(reply_id=f"rpl_{len(replies) + 1:026d}", ticket_id=ticket_id, author_id=current_caller().principal,
                                        body=body, public=public, at=moment("2026-11-22T09:00:00Z"))
            replies.append(reply)
            return self._save(ticket, expected), reply

    def ReplyToTicket(self, request, context):  # noqa: N802
        ticket, reply = self._reply(request.ticket_id, request.body, True, request.expected_version)
        return ticketing_pb2.ReplyToTicketResponse(ticket=ticket, reply=reply)

    def AddNote(self, request, context):  # noqa: N802
        ticket, reply = self._reply(request.ticket_id, request.body, False, request.expected_version)
        return ticketing_pb2.AddNoteResponse(ticket=ticket, reply=reply)

    def ChangeTicketStatus(self, request, context):  # noqa: N802
        with self.lock:
            ticket = ticketing_pb2.Ticket()
            ticket.CopyFrom(self._visible(request.ticket_id))
            if request.status not in _NEXT.get(ticket.status, set()):
                raise DomainError(f"{ticket.status} -> {request.status} is not allowed", code="TICKET_INVALID_TRANSITION")
            ticket.status = request.status
            return ticketing_pb2.ChangeTicketStatusResponse(ticket=self._save(ticket, request.expected_version))

    def RecordSatisfaction(self, request, context):  # noqa: N802
        with self.lock:
            ticket = ticketing_pb2.Ticket()
            ticket.CopyFrom(self._visible(request.ticket_id))
            ticket.satisfaction_score = request.satisfaction_score
            ticket.satisfaction_comment = request.satisfaction_comment
            return ticketing_pb2.RecordSatisfactionResponse(ticket=self._save(ticket, 0))

    def ListReplies(self, request, context):  # noqa: N802
        self._visible(request.ticket_id)
        found = [r for r in self.replies.get(request.ticket_id, []) if r.public or request.include_notes]
        return ticketing_pb2.ListRepliesResponse(replies=found, page=paging_pb2.PageResponse())

    def GetTicketActivity(self, request, context):  # noqa: N802
        self._visible(request.ticket_id)
        entry = ticketing_pb2.ActivityEntry(at=moment("2026-11-22T08:00:00Z"), actor_id="svc:ticketing", action="opened", detail_json='{"queue_id": "q1"}')
        return ticketing_pb2.GetTicketActivityResponse(entries=[entry], page=paging_pb2.PageResponse())

    def CreateTask(self, request, context):  # noqa: N802
        with self.lock:
            for existing in self.tasks.values():
                if request.dedup_key and existing.dedup_key == request.dedup_key:
                    return ticketing_pb2.CreateTaskResponse(task=existing, created=False)
            task = ticketing_pb2.Task(
                task_id=f"tsk_{len(self.tasks) + 1:026d}", kind=request.kind, customer_id=request.customer_id,
                owner_id=request.owner_id or "agt_01JG0000000000000000000AG1", title=request.title, due_date=request.due_date,
                dedup_key=request.dedup_key, status="open", branch_code="1021", version=1,
            )
            self.tasks[task.task_id] = task
        return ticketing_pb2.CreateTaskResponse(task=task, created=True)

    def CompleteTask(self, request, context):  # noqa: N802
        with self.lock:
            task = self.tasks.get(request.task_id)
            if task is None or not can_see_record(current_caller(), task.owner_id, task.branch_code):
                raise NotFound("task not found", code="TASK_NOT_FOUND")
            if task.status != "open":
                raise DomainError("task is not open", code="TASK_INVALID_TRANSITION")
            done = ticketing_pb2.Task()
            done.CopyFrom(task)
            done.status, done.outcome, done.version = "done", request.outcome, task.version + 1
            self.tasks[task.task_id] = done
        return ticketing_pb2.CompleteTaskResponse(task=done)

    def ListTasks(self, request, context):  # noqa: N802
        caller = current_caller()
        found = [
            t for t in self.tasks.values()
            if can_see_record(caller, t.owner_id, t.branch_code)
            and (not request.ids or t.task_id in request.ids)
            and (not request.owner_id or t.owner_id == request.owner_id)
            and (not request.customer_id or t.customer_id == request.customer_id)
            and (not request.status or t.status == request.status)
        ]
        if request.changes_feed:
            return ticketing_pb2.ListTasksResponse(tasks=[] if request.changed_since else found, changes_token="seen")
        return ticketing_pb2.ListTasksResponse(tasks=found, page=paging_pb2.PageResponse())

    def MyDay(self, request, context):  # noqa: N802
        self._check(context)
        agent = request.agent_id or current_caller().agent_id
        items = [
            ticketing_pb2.AgendaItem(kind="task", id=t.task_id, title=t.title, customer_id=t.customer_id, overdue=t.due_date < request.day)
            for t in self.tasks.values() if t.owner_id == agent and t.status == "open" and t.due_date <= request.day
        ]
        items += [
            ticketing_pb2.AgendaItem(kind="ticket", id=t.ticket_id, title=t.subject, customer_id=t.customer_id, priority=t.priority)
            for t in self.tickets.values() if t.assignee_id == agent and t.status in ("new", "open")
        ]
        items.sort(key=lambda i: not i.overdue)
        return ticketing_pb2.MyDayResponse(items=items, day=request.day, day_jalali="1405/09/01")

    def ListQueues(self, request, context):  # noqa: N802
        return ticketing_pb2.ListQueuesResponse(queues=[ticketing_pb2.Queue(queue_id="que_1", name="شکایات ونک", branch_code="1021", version=1)])

    def QueueSlaSummary(self, request, context):  # noqa: N802
        self._check(context)
        return ticketing_pb2.QueueSlaSummaryResponse(
            counts=[ticketing_pb2.QueueSlaCount(queue_id="que_1", sla_state="breached", open_tickets=2),
                    ticketing_pb2.QueueSlaCount(queue_id="que_1", sla_state="ok", open_tickets=5)]
        )

    def ListHolidays(self, request, context):  # noqa: N802
        return ticketing_pb2.ListHolidaysResponse(holidays=sorted(self.holidays.values(), key=lambda h: h.date))

    def SetHoliday(self, request, context):  # noqa: N802
        if current_caller().role != "admin":
            raise PermissionDenied("admins only")
        holiday = ticketing_pb2.Holiday(date=request.date or "2027-03-25", date_jalali=request.date_jalali or "1406/01/05", name=request.name, source="admin")
        self.holidays[holiday.date] = holiday
        return ticketing_pb2.SetHolidayResponse(holiday=holiday)

    def RemoveHoliday(self, request, context):  # noqa: N802
        key = next((d for d, h in self.holidays.items() if d == request.date or h.date_jalali == request.date_jalali), None)
        if key is not None:
            del self.holidays[key]
        return ticketing_pb2.RemoveHolidayResponse(removed=key is not None)


class _PlaceholderUnknown(ValidationError):
    code = "TEMPLATE_PLACEHOLDER_UNKNOWN"


GOOD_UNSUBSCRIBE_TOKEN = "djF8Y3VzXzF8c21zfG1hcmtldGluZw.c2lnbmF0dXJlLW9r"
PLANNERS = ("marketing", "admin", "manager", "service")


@dataclass
class FakeCampaignService(campaign_pb2_grpc.CampaignServiceServicer):
    deliveries: dict[str, list[campaign_pb2.Delivery]] = field(default_factory=dict)
    journeys: dict[str, campaign_pb2.Journey] = field(default_factory=dict)
    campaigns: dict[str, campaign_pb2.Campaign] = field(default_factory=dict)
    unsubscribed_by: list[str] = field(default_factory=list)
    inbound: list[campaign_pb2.HandleInboundSmsRequest] = field(default_factory=list)
    previews: list[campaign_pb2.PreviewTemplateRequest] = field(default_factory=list)
    delay: float = 0.0

    def _planner(self) -> None:
        if current_caller().role not in PLANNERS:
            raise PermissionDenied("only marketing, managers and admins plan campaigns")

    def ListCustomerDeliveries(self, request, context):  # noqa: N802
        _stall(self.delay, context)
        if request.customer_id not in self.deliveries:
            raise NotFound("customer not found", code="CUSTOMER_NOT_FOUND")
        return campaign_pb2.ListCustomerDeliveriesResponse(deliveries=self.deliveries[request.customer_id][: request.page_size or 20])

    def CreateSegment(self, request, context):  # noqa: N802
        self._planner()
        if not request.rule_json.startswith("{"):
            raise DomainError("not a rule", code="VALIDATION_FAILED")
        return campaign_pb2.CreateSegmentResponse(segment=campaign_pb2.Segment(segment_id="seg_1", name=request.name, rule_json=request.rule_json))

    def PreviewSegment(self, request, context):  # noqa: N802
        self._planner()
        sample = [campaign_pb2.SegmentMember(customer_id="cus_1", display_name="مریم احمدی", city="تهران", branch_code="1021")]
        return campaign_pb2.PreviewSegmentResponse(count=1240, sample=sample[: request.sample_size])

    def ListSegments(self, request, context):  # noqa: N802
        self._planner()
        return campaign_pb2.ListSegmentsResponse(segments=[campaign_pb2.Segment(segment_id="seg_1", name="تهران", rule_json="{}")])

    def CreateTemplate(self, request, context):  # noqa: N802
        self._planner()
        return campaign_pb2.CreateTemplateResponse(template=campaign_pb2.Template(
            template_id="tpl_1", name=request.name, channel=request.channel, purpose=request.purpose, bodies=request.bodies))

    def PreviewTemplate(self, request, context):  # noqa: N802
        self._planner()
        self.previews.append(request)
        if request.WhichOneof("source") == "draft":
            body = request.draft.bodies.get(request.language or "fa", "")
            if "{discount}" in body:
                raise _PlaceholderUnknown([FieldViolation(f"draft.bodies.{request.language or 'fa'}", "{discount} is not a known placeholder (channel sms)")])
            return campaign_pb2.PreviewTemplateResponse(language=request.language or "fa", body=body.replace("{customer_name}", "مشتری نمونه"),
                                                        sms_encoding="ucs2", sms_segments=1, sample_values=["customer_name"])
        return campaign_pb2.PreviewTemplateResponse(language="fa", body="مریم عزیز، بیمه‌نامه شما رو به پایان است.", sms_encoding="ucs2", sms_segments=1)

    def ListCampaigns(self, request, context):  # noqa: N802
        self._planner()
        if request.status not in ("", "draft", "scheduled", "running", "paused", "stopped", "completed"):
            raise ValidationError.single("status", "must be a campaign status")
        newest = sorted((c for c in self.campaigns.values() if not request.status or c.status == request.status),
                        key=lambda c: int(c.campaign_id.split("_")[1]), reverse=True)
        start = int(request.page.page_token or 0)
        size = request.page.page_size or 20
        more = start + size < len(newest)
        return campaign_pb2.ListCampaignsResponse(campaigns=newest[start:start + size],
                                                  page=paging_pb2.PageResponse(next_page_token=str(start + size) if more else ""))

    def ListTemplates(self, request, context):  # noqa: N802
        self._planner()
        return campaign_pb2.ListTemplatesResponse(templates=[campaign_pb2.Template(template_id="renewal.30.sms", name="renewal.30.sms", channel="sms",
                                                                                   purpose="service", built_in=True)])

    def CreateCampaign(self, request, context):  # noqa: N802
        self._planner()
        campaign = campaign_pb2.Campaign(campaign_id=f"cmp_{len(self.campaigns) + 1}", name=request.name, kind="broadcast", purpose=request.purpose,
                                         channel=request.channel, template_ids=request.template_ids, segment_id=request.segment_id, status="draft", version=1)
        self.campaigns[campaign.campaign_id] = campaign
        return campaign_pb2.CreateCampaignResponse(campaign=campaign)

    def _change(self, request, status: str, allowed: tuple[str, ...]) -> campaign_pb2.CampaignResponse:
        self._planner()
        current = self.campaigns.get(request.campaign_id)
        if current is None:
            raise NotFound("campaign not found", code="CAMPAIGN_NOT_FOUND")
        if current.status not in allowed:
            raise DomainError(f"{current.status} -> {status}", code="CAMPAIGN_INVALID_TRANSITION")
        changed = campaign_pb2.Campaign()
        changed.CopyFrom(current)
        changed.status, changed.version = status, current.version + 1
        self.campaigns[changed.campaign_id] = changed
        return campaign_pb2.CampaignResponse(campaign=changed)

    def ScheduleCampaign(self, request, context):  # noqa: N802
        return self._change(request, "scheduled", ("draft",))

    def StartCampaign(self, request, context):  # noqa: N802
        return self._change(request, "running", ("draft", "scheduled", "paused"))

    def PauseCampaign(self, request, context):  # noqa: N802
        return self._change(request, "paused", ("running",))

    def StopCampaign(self, request, context):  # noqa: N802
        return self._change(request, "stopped", ("running", "paused", "scheduled"))

    def GetCampaignResults(self, request, context):  # noqa: N802
        self._planner()
        _stall(self.delay, context)
        campaign = self.campaigns.get(request.campaign_id)
        if campaign is None:
            raise NotFound("campaign not found", code="CAMPAIGN_NOT_FOUND")
        results = campaign_pb2.CampaignResults(sent=10, delivered=8, failed=2, converted=3, customers_messaged=10, conversion_rate=0.3)
        return campaign_pb2.GetCampaignResultsResponse(campaign=campaign, results=results)

    def GetPolicyJourney(self, request, context):  # noqa: N802
        _stall(self.delay, context)
        journey = self.journeys.get(request.policy_id)
        if journey is None:
            raise NotFound("no journey for this policy", code="POLICY_NOT_FOUND")
        return campaign_pb2.GetPolicyJourneyResponse(journeys=[journey])

    def Unsubscribe(self, request, context):  # noqa: N802
        if request.token != GOOD_UNSUBSCRIBE_TOKEN:
            raise DomainError("the unsubscribe link is not valid", code="TOKEN_INVALID")
        self.unsubscribed_by.append(current_caller().principal)
        return campaign_pb2.UnsubscribeResponse(channel="sms", purpose="marketing")

    def HandleInboundSms(self, request, context):  # noqa: N802
        self.inbound.append(request)
        stop = request.text.strip().upper() in ("STOP", "لغو", "۱۱")
        return campaign_pb2.HandleInboundSmsResponse(is_stop=stop, purposes=["marketing"] if stop else [], customers_updated=1 if stop else 0)
