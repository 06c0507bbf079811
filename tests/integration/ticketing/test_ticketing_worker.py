"""The ticketing worker as a real process: a renewal-call request delivered three times (two event ids,
one redelivery) makes ONE task; customer facts feed the projection; a merge re-points tickets and tasks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pika
from peyvand.ticketing.v1 import ticketing_pb2 as pb
from peyvand_runtime.ids import new_id
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs

from .conftest import ADMIN, STAFF


def _publish(isolated, exchange: str, event_type: str, payload: dict, event_id: str | None = None) -> str:  # type: ignore[no-untyped-def]
    event_id = event_id or new_id("evt")
    body = {"event_id": event_id, "type": event_type, "version": 1, "occurred_at": "2026-11-22T10:00:00.000Z",
            "producer": exchange.split(".")[0], "correlation_id": "req_test", "payload": payload}
    connection = pika.BlockingConnection(pika.URLParameters(isolated.amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        channel.confirm_delivery()
        channel.basic_publish(exchange, event_type, json.dumps(body).encode(), pika.BasicProperties(content_type="application/json", delivery_mode=2))
    finally:
        connection.close()
    return event_id


def _wait(predicate: Callable[[], bool], what: str, stack: Stack, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{stack['ticketing-worker'].log_tail(30)}")


def _worker_stack(isolated) -> Stack:  # type: ignore[no-untyped-def]
    plan = PortPlan.on_free_ports()
    specs = [s for s in process_specs(plan) if s.name == "ticketing-worker"]
    return Stack(specs, isolated.env(HOLIDAY_SEED_YEARS="none", CONSUMER_RETRY_DELAY_MS="100"), plan, isolated.tmp / "logs")


def test_worker_dedups_renewal_tasks_projects_customers_and_repoints_merges(server, isolated) -> None:  # type: ignore[no-untyped-def]
    stack = _worker_stack(isolated)
    db = server.ctx.db
    try:
        stack.start("ticketing-worker")
        survivor, merged = new_id("cus"), new_id("cus")
        _publish(isolated, "customer.events", "customer.created",
                 {"customer_id": survivor, "agent_id": "agt_7", "branch_code": "1201", "display_name": "زهرا احمدی", "aggregate_version": 1})
        _publish(isolated, "customer.events", "customer.created",
                 {"customer_id": merged, "agent_id": "agt_9", "branch_code": "1202", "display_name": "زهرا احمدی", "aggregate_version": 1})
        _wait(lambda: db["customer_refs"].count_documents({}) == 2, "the customer projection", stack)
        # A stale fact (older version) does not overwrite a newer one.
        _publish(isolated, "customer.events", "customer.assigned", {"customer_id": survivor, "agent_id": "agt_old", "branch_code": "1201", "aggregate_version": 0})

        policy_id = new_id("pol")
        request = {"journey_id": "jrn_01", "customer_id": survivor, "policy_id": policy_id, "policy_number": "1201-1405-000077",
                   "agent_id": "agt_7", "branch_code": "1201", "window": "7d", "term_end": "2026-12-01",
                   "due_date": "2026-11-24", "dedup_key": f"renewal_call:{policy_id}:2026-12-01"}
        first = _publish(isolated, "campaign.events", "campaign.agent_task_requested", request)
        _publish(isolated, "campaign.events", "campaign.agent_task_requested", request)  # asked again: new event id
        _wait(lambda: db["applied_events"].count_documents({}) >= 5, "both requests applied", stack)
        _publish(isolated, "campaign.events", "campaign.agent_task_requested", request, event_id=first)  # redelivery
        time.sleep(1.5)
        tasks = list(db["tasks"].find({"policy_id": policy_id}))
        assert len(tasks) == 1
        assert (tasks[0]["kind"], tasks[0]["owner_id"], tasks[0]["due_date"], tasks[0]["branch_code"]) == ("renewal_call", "agt_7", "2026-11-24", "1201")
        assert server.outbox_types("tasks", tasks[0]["_id"]) == ["task.created"]
        assert db["customer_refs"].find_one({"_id": survivor})["agent_id"] == "agt_7"

        # A ticket and a task of the customer about to be merged away.
        staff = server.client(STAFF)
        ticket = staff.OpenTicket(pb.OpenTicketRequest(type="complaint", category="delay", channel="web", customer_id=merged,
                                                       subject="تأخیر در صدور الحاقیه", branch_code="1201")).ticket
        task = server.client(ADMIN).CreateTask(pb.CreateTaskRequest(kind="follow_up", customer_id=merged, owner_id="agt_9", title="پیگیری شکایت", due_date="2026-11-25")).task
        _publish(isolated, "customer.events", "customer.merged", {"survivor_id": survivor, "merged_id": merged})
        _wait(lambda: db["tickets"].find_one({"_id": ticket.ticket_id})["customer_id"] == survivor
              and db["tasks"].find_one({"_id": task.task_id})["customer_id"] == survivor, "the merge to be re-pointed", stack)
        moved = db["tickets"].find_one({"_id": ticket.ticket_id})
        assert (moved["agent_id"], moved["branch_code"]) == ("agt_7", "1201")  # the survivor's agent now sees it
        assert db["customer_refs"].find_one({"_id": merged})["merged_into"] == survivor
        activity = [a["action"] for a in db["ticket_activity"].find({"ticket_id": ticket.ticket_id})]
        assert "customer_repointed" in activity
        # New tickets for the merged id land on the survivor.
        again = staff.OpenTicket(pb.OpenTicketRequest(type="service_request", category="certificate", channel="web", customer_id=merged, subject="گواهی"))
        assert again.ticket.customer_id == survivor
    finally:
        stack.stop()


def test_worker_moves_tickets_and_tasks_with_a_reassigned_customer(server, isolated) -> None:  # type: ignore[no-untyped-def]
    stack = _worker_stack(isolated)
    db = server.ctx.db
    try:
        stack.start("ticketing-worker")
        customer = new_id("cus")
        _publish(isolated, "customer.events", "customer.created",
                 {"customer_id": customer, "agent_id": "agt_1", "branch_code": "1201", "display_name": "مریم کاظمی", "aggregate_version": 1})
        _wait(lambda: db["customer_refs"].find_one({"_id": customer}) is not None, "the customer projection", stack)
        ticket = server.client(STAFF).OpenTicket(pb.OpenTicketRequest(type="complaint", category="delay", channel="web", customer_id=customer,
                                                                     subject="تأخیر در پرداخت خسارت", branch_code="1201")).ticket
        admin = server.client(ADMIN)
        agents_task = admin.CreateTask(pb.CreateTaskRequest(kind="follow_up", customer_id=customer, owner_id="agt_1", title="تماس پیگیری", due_date="2026-11-25")).task
        others_task = admin.CreateTask(pb.CreateTaskRequest(kind="follow_up", customer_id=customer, owner_id="usr_claims", title="بررسی مدارک", due_date="2026-11-25")).task
        before = {d["_id"]: d["changed_ms"] for d in db["tasks"].find({"customer_id": customer})}
        assert db["tickets"].find_one({"_id": ticket.ticket_id})["agent_id"] == "agt_1"

        _publish(isolated, "customer.events", "customer.assigned",
                 {"customer_id": customer, "agent_id": "agt_2", "branch_code": "1202", "previous_agent_id": "agt_1", "aggregate_version": 2})
        _wait(lambda: db["tickets"].find_one({"_id": ticket.ticket_id})["agent_id"] == "agt_2"
              and all(d["agent_id"] == "agt_2" for d in db["tasks"].find({"customer_id": customer})), "the reassignment to be followed", stack)
        moved = db["tickets"].find_one({"_id": ticket.ticket_id})
        assert moved["branch_code"] == "1202"
        assert "customer_reassigned" in [a["action"] for a in db["ticket_activity"].find({"ticket_id": ticket.ticket_id})]
        tasks = {d["_id"]: d for d in db["tasks"].find({"customer_id": customer})}
        assert tasks[agents_task.task_id]["owner_id"] == "agt_2"  # the previous agent's open task goes to the new agent
        assert tasks[others_task.task_id]["owner_id"] == "usr_claims"  # someone else's task keeps its owner
        assert all(tasks[t]["branch_code"] == "1202" and tasks[t]["changed_ms"] > before[t] for t in tasks)  # sync sees the change

        # A late, older fact moves nothing back; the projection keeps the newer owner.
        _publish(isolated, "customer.events", "customer.assigned",
                 {"customer_id": customer, "agent_id": "agt_1", "branch_code": "1201", "aggregate_version": 1})
        _wait(lambda: db["applied_events"].count_documents({}) >= 3, "the stale fact to be consumed", stack)
        time.sleep(0.5)
        assert db["customer_refs"].find_one({"_id": customer})["agent_id"] == "agt_2"
        assert db["tickets"].find_one({"_id": ticket.ticket_id})["agent_id"] == "agt_2"
        assert {d["owner_id"] for d in db["tasks"].find({"customer_id": customer})} == {"agt_2", "usr_claims"}
    finally:
        stack.stop()
