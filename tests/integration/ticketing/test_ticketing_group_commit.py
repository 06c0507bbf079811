"""OpenTicket through the group commit: concurrent opens share store writes and keep every guarantee."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from peyvand.ticketing.v1 import ticketing_pb2 as pb
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.ids import new_id
from peyvand_ticketing.service_layer.open_batch import OpenCommitter
from pymongo.errors import AutoReconnect

from .conftest import ADMIN, STAFF


def _batching(server: Any) -> OpenCommitter:
    """A committer that waits 80 ms for company, so concurrent opens land in one batch for sure."""
    committer = OpenCommitter(server.ctx, server.ctx.db, linger_seconds=0.08)
    server.ctx.opens = committer
    return committer


def _queue(server: Any, strategy: str = "round_robin") -> pb.Queue:
    return server.client(ADMIN).CreateQueue(pb.CreateQueueRequest(
        name="میز صدور شعبه ۱۲۰۱", branch_code="1201", team="issuance", strategy=strategy, categories=["*"],
        members=[pb.QueueMember(user_id=f"usr_{c}", available=True) for c in "abc"])).queue


def _request(customer: str, key: str = "", subject: str = "گواهی عدم خسارت") -> pb.OpenTicketRequest:
    return pb.OpenTicketRequest(type="service_request", category="certificate", channel="web", customer_id=customer,
                                subject=subject, idempotency_key=key)


def test_concurrent_opens_rotate_fairly_with_one_queue_write_per_batch(server) -> None:  # type: ignore[no-untyped-def]
    committer = _batching(server)
    queue = _queue(server)
    customer = server.customer(new_id("cus"))
    staff = server.client(STAFF)
    with ThreadPoolExecutor(12) as pool:
        opened = list(pool.map(lambda i: staff.OpenTicket(_request(customer, key=f"k-{i}")).ticket, range(12)))
    assert committer.commit.largest_batch > 1
    assert len({t.ticket_id for t in opened}) == 12 and len({t.ticket_number for t in opened}) == 12
    assert Counter(t.assignee_id for t in opened) == {"usr_a": 4, "usr_b": 4, "usr_c": 4}  # round robin, no turn lost
    stored_queue = server.ctx.db["queues"].find_one({"_id": queue.queue_id})
    assert stored_queue["version"] - 1 == committer.commit.batches < 12  # one round-robin write per batch
    for ticket in opened:
        types = server.outbox_types("tickets", ticket.ticket_id)  # the events in the same document write
        assert types[0] == "ticket.opened" and types.count("ticket.assigned") == 1
    assert server.ctx.db["ticket_idempotency"].count_documents({}) == 12


def test_a_repeated_or_reused_key_in_a_batch_fails_or_replays_alone(server) -> None:  # type: ignore[no-untyped-def]
    committer = _batching(server)
    _queue(server)
    customer = server.customer(new_id("cus"))
    staff = server.client(STAFF)
    requests = [_request(customer, key=f"k-{i}") for i in range(5)]
    requests += [_request(customer, key="k-1"),  # a retry of request 1: the same ticket
                 _request(customer, key="k-2", subject="درخواست دیگری")]  # the key reused for another ticket

    def call(request: pb.OpenTicketRequest) -> Any:
        try:
            return staff.OpenTicket(request).ticket
        except grpc.RpcError as exc:
            return ErrorDetails.from_rpc_error(exc).code

    with ThreadPoolExecutor(7) as pool:
        answers = list(pool.map(call, requests))
    assert committer.commit.largest_batch > 1
    # The two calls with key k-2 race: whichever the service sees second is refused, alone.
    refused = [a for a in (answers[2], answers[6]) if a == "IDEMPOTENCY_KEY_REUSED"]
    opened = [a for a in (answers[2], answers[6]) if not isinstance(a, str)]
    assert len(refused) == 1 and len(opened) == 1, (answers[2], answers[6])
    assert answers[5].ticket_id == answers[1].ticket_id
    assert len({a.ticket_id for a in (answers[0], answers[1], opened[0], answers[3], answers[4])}) == 5
    assert server.ctx.db["tickets"].count_documents({}) == 5


def test_a_store_error_fails_the_whole_batch_as_unavailable_and_a_retry_opens_once(server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    committer = _batching(server)
    _queue(server)
    customer = server.customer(new_id("cus"))
    staff = server.client(STAFF)
    tickets = server.ctx.tickets

    class BrokenTickets:
        def __getattr__(self, name: str) -> Any:
            return getattr(server.ctx.db["tickets"], name)

        def insert_many(self, *args: Any, **kwargs: Any) -> Any:
            raise AutoReconnect("connection reset by the store")

    monkeypatch.setattr(tickets, "collection", BrokenTickets())

    def call(i: int) -> Any:
        try:
            return staff.OpenTicket(_request(customer, key=f"k-{i}")).ticket
        except grpc.RpcError as exc:
            details = ErrorDetails.from_rpc_error(exc)
            return details.status_code, details.code

    with ThreadPoolExecutor(5) as pool:
        failed = list(pool.map(call, range(5)))
    assert failed == [(grpc.StatusCode.UNAVAILABLE, "STORE_UNAVAILABLE")] * 5 and committer.commit.largest_batch > 1
    assert server.ctx.db["tickets"].count_documents({}) == 0  # nothing half-written

    monkeypatch.setattr(tickets, "collection", server.ctx.db["tickets"])
    with ThreadPoolExecutor(5) as pool:
        retried = list(pool.map(call, range(5)))
    again = [call(i) for i in range(5)]  # and once more, one by one: the same tickets
    assert [t.ticket_id for t in again] == [t.ticket_id for t in retried]
    claims = {d["_id"].split(":", 1)[1]: d["ticket_id"] for d in server.ctx.db["ticket_idempotency"].find({})}
    assert [claims[f"k-{i}"] for i in range(5)] == [t.ticket_id for t in retried]  # opened under the ids claimed first
    assert server.ctx.db["tickets"].count_documents({}) == 5
