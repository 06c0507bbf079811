"""The offline-sync changes feed of ListTickets / ListTasks (``changes_feed``): in scope, oldest
write first, closures and completions reported, writes of the last seconds held back, paging."""

from __future__ import annotations

import grpc
import pytest
from peyvand.common.v1 import paging_pb2
from peyvand.ticketing.v1 import ticketing_pb2 as pb
from peyvand_runtime.ids import new_id

from .conftest import AGENT, OTHER_AGENT, STAFF


def _tickets(client, since: str = "", size: int = 50) -> pb.ListTicketsResponse:  # type: ignore[no-untyped-def]
    return client.ListTickets(pb.ListTicketsRequest(changes_feed=True, changed_since=since, page=paging_pb2.PageRequest(page_size=size)))


def _tasks(client, since: str = "", size: int = 50) -> pb.ListTasksResponse:  # type: ignore[no-untyped-def]
    return client.ListTasks(pb.ListTasksRequest(changes_feed=True, changed_since=since, page=paging_pb2.PageRequest(page_size=size)))


def _open(client, customer_id: str) -> pb.Ticket:  # type: ignore[no-untyped-def]
    return client.OpenTicket(pb.OpenTicketRequest(type="service_request", category="address", channel="phone", customer_id=customer_id,
                                                  subject="تغییر نشانی", description="نشانی جدید", impact="low", urgency="low")).ticket


def _task(client, customer_id: str, title: str) -> pb.Task:  # type: ignore[no-untyped-def]
    return client.CreateTask(pb.CreateTaskRequest(kind="follow_up", customer_id=customer_id, title=title, due_date="2026-11-23")).task


def test_feed_reports_new_then_only_changes_including_closures(server, errors) -> None:  # type: ignore[no-untyped-def]
    mine = server.customer(new_id("cus"), agent_id="agt_7")
    theirs = server.customer(new_id("cus"), agent_id="agt_8")
    staff, agent = server.client(STAFF), server.client(AGENT)
    first, second = _open(staff, mine), _open(staff, mine)
    _open(staff, theirs)
    call_back = _task(staff, mine, "تماس برای تمدید")
    _task(staff, theirs, "پیگیری دیگران")

    # Writes of the last two seconds are held back (they may not be visible to every reader yet).
    held = _tickets(agent)
    assert list(held.tickets) == [] and not held.has_more
    server.clock.advance(seconds=3)

    tickets = _tickets(agent)
    assert [t.ticket_id for t in tickets.tickets] == [first.ticket_id, second.ticket_id] and not tickets.has_more
    tasks = _tasks(agent)
    assert [t.task_id for t in tasks.tasks] == [call_back.task_id] and tasks.tasks[0].status == "open"
    assert list(_tickets(server.client(OTHER_AGENT)).tickets) != []  # agt_8 sees only their own
    assert {t.customer_id for t in _tickets(server.client(OTHER_AGENT)).tickets} == {theirs}

    # Nothing new: the same position comes back, with nothing in it.
    again = _tickets(agent, tickets.changes_token)
    assert list(again.tickets) == [] and again.changes_token == tickets.changes_token

    for status in ("open", "resolved", "closed"):
        staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=second.ticket_id, status=status, note="انجام شد"))
    agent.CompleteTask(pb.CompleteTaskRequest(task_id=call_back.task_id, outcome="تمدید شد"))
    server.clock.advance(seconds=3)

    changed = _tickets(agent, tickets.changes_token)
    assert [(t.ticket_id, t.status) for t in changed.tickets] == [(second.ticket_id, "closed")]
    done = _tasks(agent, tasks.changes_token)
    assert [(t.task_id, t.status) for t in done.tasks] == [(call_back.task_id, "done")]


def test_feed_pages_through_the_same_millisecond_and_refuses_bad_tokens(server, errors) -> None:  # type: ignore[no-untyped-def]
    mine = server.customer(new_id("cus"), agent_id="agt_7")
    staff, agent = server.client(STAFF), server.client(AGENT)
    opened = {_open(staff, mine).ticket_id for _ in range(5)}  # the test clock stands still: one millisecond
    server.clock.advance(seconds=3)
    seen: list[str] = []
    token, pages = "", 0
    while True:
        page = _tickets(agent, token, size=2)
        seen += [t.ticket_id for t in page.tickets]
        token, pages = page.changes_token, pages + 1
        if not page.has_more:
            break
    assert sorted(seen) == sorted(opened) and len(seen) == 5 and pages == 3

    with pytest.raises(grpc.RpcError) as bad:
        _tickets(agent, "not-a-token!")
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert errors(bad.value).violations[0].field == "changed_since"
    with pytest.raises(grpc.RpcError) as mixed:
        agent.ListTasks(pb.ListTasksRequest(changes_feed=True, due_before="2026-11-23"))
    assert mixed.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_ids_answer_those_in_scope_of_any_status_and_refuse_bad_ids(server, errors) -> None:  # type: ignore[no-untyped-def]
    """``ids`` (offline-sync reconciliation): the caller's own come back whatever their status;
    another agent's and unknown ones do not (so the phone drops them)."""
    mine = server.customer(new_id("cus"), agent_id="agt_7")
    theirs = server.customer(new_id("cus"), agent_id="agt_8")
    staff, agent = server.client(STAFF), server.client(AGENT)
    kept, closed, other = _open(staff, mine), _open(staff, mine), _open(staff, theirs)
    for status in ("open", "resolved", "closed"):
        staff.ChangeTicketStatus(pb.ChangeTicketStatusRequest(ticket_id=closed.ticket_id, status=status, note="انجام شد"))
    my_task, their_task = _task(staff, mine, "تماس"), _task(staff, theirs, "پیگیری")
    agent.CompleteTask(pb.CompleteTaskRequest(task_id=my_task.task_id, outcome="انجام شد"))
    unknown_ticket, unknown_task = new_id("tkt"), new_id("tsk")

    found = agent.ListTickets(pb.ListTicketsRequest(ids=[kept.ticket_id, closed.ticket_id, other.ticket_id, unknown_ticket, kept.ticket_id]))
    assert sorted((t.ticket_id, t.status) for t in found.tickets) == sorted([(kept.ticket_id, "new"), (closed.ticket_id, "closed")])
    tasks = agent.ListTasks(pb.ListTasksRequest(ids=[my_task.task_id, their_task.task_id, unknown_task]))
    assert [(t.task_id, t.status) for t in tasks.tasks] == [(my_task.task_id, "done")]
    assert [t.task_id for t in server.client(OTHER_AGENT).ListTasks(pb.ListTasksRequest(ids=[my_task.task_id, their_task.task_id])).tasks] == [their_task.task_id]

    for request, field in (
        (pb.ListTicketsRequest(ids=[new_id("tkt") for _ in range(501)]), "ids"),
        (pb.ListTicketsRequest(ids=[kept.ticket_id, '{"$gt": ""}']), "ids[1]"),
        (pb.ListTicketsRequest(ids=[my_task.task_id]), "ids[0]"),
        (pb.ListTicketsRequest(ids=[kept.ticket_id], status="new"), "status"),
    ):
        with pytest.raises(grpc.RpcError) as bad:
            agent.ListTickets(request)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in [v.field for v in errors(bad.value).violations]
    with pytest.raises(grpc.RpcError) as mixed:
        agent.ListTasks(pb.ListTasksRequest(ids=[my_task.task_id], changes_feed=True))
    assert [v.field for v in errors(mixed.value).violations] == ["changes_feed"]
