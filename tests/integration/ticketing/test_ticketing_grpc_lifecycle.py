"""A ticket's life over gRPC: open → round-robin assignment → reply → waiting on the customer →
resolve → reopen within the period → close; refused moves, scope, bad input, idempotency, versions."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from peyvand.ticketing.v1 import ticketing_pb2 as pb
from peyvand_runtime.ids import new_id

from .conftest import ADMIN, AGENT, MANAGER, OTHER_AGENT, OTHER_STAFF, STAFF


def _queue(server, strategy: str = "round_robin") -> pb.Queue:  # type: ignore[no-untyped-def]
    return server.client(ADMIN).CreateQueue(pb.CreateQueueRequest(
        name="میز خسارت شعبه ۱۲۰۱", branch_code="1201", team="claims", strategy=strategy, lead_user_id="usr_lead",
        categories=["*"], members=[pb.QueueMember(user_id="usr_a", available=True), pb.QueueMember(user_id="usr_b", available=True),
                                   pb.QueueMember(user_id="usr_c", available=False)],
    )).queue


def _open(client, customer_id: str, **overrides: object) -> pb.OpenTicketResponse:  # type: ignore[no-untyped-def]
    fields: dict[str, object] = dict(type="claim_inquiry", category="claim_status", channel="web", customer_id=customer_id,
                                     subject="پیگیری پرونده خسارت بدنه", description="وضعیت پرداخت چیست؟", impact="medium", urgency="high")
    fields.update(overrides)
    return client.OpenTicket(pb.OpenTicketRequest(**fields))


def test_open_assign_reply_pause_resolve_reopen_close(server, errors) -> None:  # type: ignore[no-untyped-def]
    _queue(server)
    customer = server.customer(new_id("cus"))
    staff = server.client(STAFF)

    opened = [_open(staff, customer).ticket for _ in range(3)]
    # Round-robin over the available members only (usr_c is away), the customer's agent/branch learned.
    assert [t.assignee_id for t in opened] == ["usr_a", "usr_b", "usr_a"]
    ticket = opened[0]
    assert ticket.status == "open" and ticket.agent_id == "agt_7" and ticket.branch_code == "1201"
    assert ticket.ticket_number.startswith("T-1405-") and ticket.priority == "P2"
    # claim_inquiry P2: first response 2 business hours → 11:00 Tehran, shown in Jalali too.
    assert ticket.first_response_due.utc == "2026-11-21T07:30:00Z"
    assert ticket.first_response_due.jalali_date == "1405/08/30" and ticket.first_response_due.tehran_time == "11:00"

    server.clock.advance(minutes=30)
    replied = staff.ReplyToTicket(pb.ReplyToTicketRequest(ticket_id=ticket.ticket_id, body="پرونده شما در حال بررسی است."))
    assert replied.ticket.first_responded_at.tehran_time == "09:30"
    assert replied.ticket.first_response_sla_state == "ok"
    staff.AddNote(pb.AddNoteRequest(ticket_id=ticket.ticket_id, body="کارشناس ارزیاب فردا تماس می‌گیرد"))

    waiting = staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status="pending_customer", note="مدارک"))
    assert waiting.ticket.sla_paused and waiting.ticket.resolution_due.utc == ""  # unknown while the clock stands still
    due_before = dt.datetime.fromisoformat(replied.ticket.resolution_due.utc.replace("Z", "+00:00"))
    server.clock.advance(hours=2)  # 09:30 → 11:30, business hours the customer made us wait
    back = staff.ReplyToTicket(pb.ReplyToTicketRequest(ticket_id=ticket.ticket_id, body="مدارک ارسال شد", from_customer=True))
    assert back.ticket.status == "open" and not back.ticket.sla_paused
    due_after = dt.datetime.fromisoformat(back.ticket.resolution_due.utc.replace("Z", "+00:00"))
    assert server.ctx.calendar.business_minutes_between(due_before, due_after) == 120

    resolved = staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status="resolved", note="پرداخت شد"))
    assert resolved.ticket.status == "resolved"
    server.clock.advance(days=3)
    reopened = staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status="open", note="مبلغ ناقص"))
    assert reopened.ticket.status == "open" and reopened.ticket.reopen_count == 1
    staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status="resolved"))
    server.clock.advance(days=8)  # past the 7-day reopen period
    with pytest.raises(grpc.RpcError) as late:
        staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status="open"))
    assert late.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert errors(late.value).code == "TICKET_INVALID_TRANSITION"
    closed = staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status="closed"))
    assert closed.ticket.status == "closed"
    rated = staff.RecordSatisfaction(pb.RecordSatisfactionRequest(ticket_id=ticket.ticket_id, satisfaction_score=4, satisfaction_comment="خوب"))
    assert rated.ticket.satisfaction_score == 4

    replies = staff.ListReplies(pb.ListRepliesRequest(ticket_id=ticket.ticket_id, include_notes=True)).replies
    assert [(r.public, r.from_customer) for r in replies] == [(True, False), (False, False), (True, True)]
    assert len(server.client(AGENT).ListReplies(pb.ListRepliesRequest(ticket_id=ticket.ticket_id, include_notes=True)).replies) == 2
    actions = [e.action for e in staff.GetTicketActivity(pb.GetTicketActivityRequest(ticket_id=ticket.ticket_id)).entries]
    assert actions[:2] == ["opened", "assigned"] and "noted" in actions and actions.count("status_changed") >= 6
    types = server.outbox_types("tickets", ticket.ticket_id)
    for expected in ("ticket.opened", "ticket.assigned", "ticket.resolved", "ticket.reopened", "ticket.closed", "ticket.satisfaction_recorded"):
        assert expected in types
    assert types.count("ticket.resolved") == 2 and types.count("ticket.reopened") == 1


def test_illegal_transitions_are_refused(server, errors) -> None:  # type: ignore[no-untyped-def]
    customer = server.customer(new_id("cus"))
    staff = server.client(STAFF)
    ticket = _open(staff, customer).ticket  # no queue: stays new
    assert ticket.status == "new"
    for status in ("resolved", "closed", "pending_customer"):
        with pytest.raises(grpc.RpcError) as refused:
            staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status=status))
        assert errors(refused.value).code == "TICKET_INVALID_TRANSITION", status
    with pytest.raises(grpc.RpcError) as unknown:
        staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status="archived"))
    assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in errors(unknown.value).violations] == ["status"]
    with pytest.raises(grpc.RpcError) as early:
        staff.RecordSatisfaction(pb.RecordSatisfactionRequest(ticket_id=ticket.ticket_id, satisfaction_score=5))
    assert errors(early.value).code == "TICKET_INVALID_TRANSITION"


def test_scope_other_branch_and_other_agent_see_nothing(server, errors) -> None:  # type: ignore[no-untyped-def]
    customer = server.customer(new_id("cus"))
    ticket = _open(server.client(STAFF), customer).ticket
    for outsider in (OTHER_STAFF, OTHER_AGENT):
        client = server.client(outsider)
        with pytest.raises(grpc.RpcError) as hidden:
            client.GetTicket(pb.GetTicketRequest(ticket_id=ticket.ticket_id))
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND and errors(hidden.value).code == "TICKET_NOT_FOUND"
        with pytest.raises(grpc.RpcError) as write:
            client.ReplyToTicket(pb.ReplyToTicketRequest(ticket_id=ticket.ticket_id, body="سلام"))
        assert errors(write.value).code == "TICKET_NOT_FOUND"
        assert list(client.ListTickets(pb.ListTicketsRequest()).tickets) == []
    for insider in (STAFF, AGENT, MANAGER, ADMIN):
        assert server.client(insider).GetTicket(pb.GetTicketRequest(ticket_id=ticket.ticket_id)).ticket.ticket_id == ticket.ticket_id
        assert [t.ticket_id for t in server.client(insider).ListTickets(pb.ListTicketsRequest(customer_id=customer)).tickets] == [ticket.ticket_id]
    # Staff of another branch cannot open a ticket for this customer either.
    with pytest.raises(grpc.RpcError) as foreign:
        _open(server.client(OTHER_STAFF), customer)
    assert errors(foreign.value).code == "CUSTOMER_NOT_FOUND"


def test_bad_input_names_fields_idempotency_and_versions(server, errors) -> None:  # type: ignore[no-untyped-def]
    staff = server.client(STAFF)
    with pytest.raises(grpc.RpcError) as bad:
        staff.OpenTicket(pb.OpenTicketRequest(type="question", channel="fax", customer_id="12345", subject="", impact="huge"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {v.field for v in errors(bad.value).violations} >= {"type", "channel", "customer_id", "subject", "impact", "category"}
    with pytest.raises(grpc.RpcError) as bad_task:
        staff.CreateTask(pb.CreateTaskRequest(kind="nap", customer_id=new_id("cus"), title="x", due_date="1405-13-40"))
    assert [v.field for v in errors(bad_task.value).violations] == ["due_date"]
    with pytest.raises(grpc.RpcError) as bad_page:
        staff.ListTickets(pb.ListTicketsRequest(status="lost"))
    assert [v.field for v in errors(bad_page.value).violations] == ["status"]

    customer = server.customer(new_id("cus"))
    first = _open(staff, customer, idempotency_key="req-1").ticket
    again = _open(staff, customer, idempotency_key="req-1").ticket
    assert again.ticket_id == first.ticket_id and again.ticket_number == first.ticket_number
    with pytest.raises(grpc.RpcError) as reused:
        _open(staff, customer, idempotency_key="req-1", subject="موضوعی دیگر")
    assert errors(reused.value).code == "IDEMPOTENCY_KEY_REUSED"

    staff.AddNote(pb.AddNoteRequest(ticket_id=first.ticket_id, body="یادداشت", expected_version=first.version))
    with pytest.raises(grpc.RpcError) as stale:
        staff.AddNote(pb.AddNoteRequest(ticket_id=first.ticket_id, body="دوباره", expected_version=first.version))
    assert stale.value.code() == grpc.StatusCode.ABORTED and errors(stale.value).code == "VERSION_CONFLICT"


def test_missed_call_gets_a_call_back_task_and_manual_assignment_is_validated(server, errors) -> None:  # type: ignore[no-untyped-def]
    queue = _queue(server)
    customer = server.customer(new_id("cus"))
    staff = server.client(STAFF)
    missed = _open(staff, customer, type="service_request", category="missed_call", channel="phone", subject="تماس بی‌پاسخ")
    assert missed.call_back_task_id.startswith("tsk_")
    tasks = staff.ListTasks(pb.ListTasksRequest(customer_id=customer)).tasks
    assert [(t.kind, t.owner_id, t.ticket_id) for t in tasks] == [("call_back", missed.ticket.assignee_id, missed.ticket.ticket_id)]
    assert "task.created" in server.outbox_types("tasks", missed.call_back_task_id)

    with pytest.raises(grpc.RpcError) as away:
        staff.AssignTicket(pb.AssignTicketRequest(ticket_id=missed.ticket.ticket_id, assignee_id="usr_c"))
    assert [(v.field, v.description) for v in errors(away.value).violations] == [("assignee_id", "is not available")]
    with pytest.raises(grpc.RpcError) as stranger:
        staff.AssignTicket(pb.AssignTicketRequest(ticket_id=missed.ticket.ticket_id, assignee_id="usr_zzz"))
    assert [v.field for v in errors(stranger.value).violations] == ["assignee_id"]
    moved = staff.AssignTicket(pb.AssignTicketRequest(ticket_id=missed.ticket.ticket_id, assignee_id="usr_b" if missed.ticket.assignee_id == "usr_a" else "usr_a"))
    assert moved.ticket.assignee_id != missed.ticket.assignee_id and moved.ticket.queue_id == queue.queue_id

    done = server.client(ADMIN).CompleteTask(pb.CompleteTaskRequest(task_id=missed.call_back_task_id, outcome="تماس گرفته شد"))
    assert done.task.status == "done"
    with pytest.raises(grpc.RpcError) as twice:
        server.client(ADMIN).CompleteTask(pb.CompleteTaskRequest(task_id=missed.call_back_task_id))
    assert errors(twice.value).code == "TASK_INVALID_TRANSITION"
    summary = server.client(ADMIN).QueueSlaSummary(pb.QueueSlaSummaryRequest(branch_code="1201")).counts
    assert sum(c.open_tickets for c in summary if c.queue_id == queue.queue_id) == 1


def test_list_tickets_by_several_statuses_in_one_call(server, errors) -> None:  # type: ignore[no-untyped-def]
    staff = server.client(STAFF)
    customer = server.customer(new_id("cus"))
    new = _open(staff, customer).ticket  # no queue here: it stays new
    waiting, done = _open(staff, customer).ticket, _open(staff, customer).ticket
    for ticket, status in ((waiting, "pending_customer"), (done, "resolved")):
        staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status="open"))
        assert staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=ticket.ticket_id, status=status)).ticket.status == status

    def listed(**request: object) -> set[str]:
        return {t.ticket_id for t in staff.ListTickets(pb.ListTicketsRequest(customer_id=customer, **request)).tickets}

    assert listed(statuses=["new", "open", "pending_customer"]) == {new.ticket_id, waiting.ticket_id}
    assert listed(statuses=["resolved"]) == {done.ticket_id}
    assert listed(status="pending_customer") == {waiting.ticket_id}  # the single filter still works
    assert listed() == {new.ticket_id, waiting.ticket_id, done.ticket_id}
    with pytest.raises(grpc.RpcError) as bad:
        staff.ListTickets(pb.ListTicketsRequest(customer_id=customer, statuses=["new", "lost"]))
    assert [v.field for v in errors(bad.value).violations] == ["statuses[1]"]
    with pytest.raises(grpc.RpcError) as both:
        staff.ListTickets(pb.ListTicketsRequest(customer_id=customer, status="new", statuses=["open"]))
    assert [v.field for v in errors(both.value).violations] == ["statuses"]
