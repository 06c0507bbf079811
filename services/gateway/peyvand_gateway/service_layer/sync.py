"""Offline sync: apply a batch of queued changes exactly once, and pull what changed in the book."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peyvand.common.v1 import paging_pb2
from peyvand.customer.v1 import customer_pb2
from peyvand.ticketing.v1 import ticketing_pb2

from peyvand_gateway.adapters.backends import BackendError, Backends, call
from peyvand_gateway.adapters.device_repository import SyncReceiptRepository
from peyvand_gateway.domain import sync
from peyvand_gateway.domain.sync import Outcome, QueuedChange
from peyvand_gateway.service_layer.composition import Part, compose

log = logging.getLogger(__name__)
RECEIPT_DAYS = 30


def push(
    backends: Backends,
    receipts: SyncReceiptRepository,
    user_id: str,
    changes: list[QueuedChange],
    now: dt.datetime,
    present_customer: Callable[[Any], dict[str, Any]],
) -> list[Outcome]:
    return [_push_one(backends, receipts, user_id, change, now, present_customer) for change in changes]


def _push_one(
    backends: Backends,
    receipts: SyncReceiptRepository,
    user_id: str,
    change: QueuedChange,
    now: dt.datetime,
    present_customer: Callable[[Any], dict[str, Any]],
) -> Outcome:
    fingerprint = change.fingerprint()
    if not receipts.claim(user_id, change.idempotency_key, fingerprint, now, now + dt.timedelta(days=RECEIPT_DAYS)):
        return _replay(receipts.find(user_id, change.idempotency_key), fingerprint)
    refusal = sync.precheck(change)
    if refusal is not None:
        receipts.decide(user_id, change.idempotency_key, refusal)
        return refusal
    try:
        outcome = _apply(backends, change, present_customer)
    except BackendError as exc:
        if exc.unavailable:
            # Nothing decided: release the key so the app's next push tries again.
            receipts.release(user_id, change.idempotency_key)
            return Outcome(sync.REJECTED, "DEPENDENCY_UNAVAILABLE", "try again later", result={"retry": True})
        outcome = Outcome(sync.REJECTED, exc.details.code, exc.details.message)
    except Exception:
        receipts.release(user_id, change.idempotency_key)
        raise
    receipts.decide(user_id, change.idempotency_key, outcome)
    return outcome


def _replay(receipt: dict[str, Any] | None, fingerprint: str) -> Outcome:
    if receipt is None:  # released between our claim attempt and the read: let the app retry
        return Outcome(sync.REJECTED, "DEPENDENCY_UNAVAILABLE", "try again later", result={"retry": True})
    if receipt.get("fingerprint") != fingerprint:
        return Outcome(sync.REJECTED, "IDEMPOTENCY_KEY_REUSED", "this key was used for a different change")
    if receipt.get("state") != "decided":
        return Outcome(sync.DUPLICATE, result={"in_progress": True})
    return Outcome.from_record(receipt["outcome"]).replayed()


def _apply(backends: Backends, change: QueuedChange, present_customer: Callable[[Any], dict[str, Any]]) -> Outcome:
    stub = backends.customer.stub
    if change.kind == "log_interaction":
        answer = call(
            "customer",
            stub.LogInteraction,
            customer_pb2.LogInteractionRequest(
                customer_id=change.customer_id,
                kind=str(change.data["kind"]),
                summary=str(change.data["summary"]),
                at=str(change.data.get("at") or ""),
                idempotency_key=change.idempotency_key,
                channel="mobile",
            ),
        )
        return Outcome(sync.APPLIED, result={"entry_id": answer.entry.entry_id})
    # update_customer: compare-and-set on the version the app saw.
    try:
        answer = call(
            "customer",
            stub.UpdateCustomer,
            customer_pb2.UpdateCustomerRequest(
                customer_id=change.customer_id,
                expected_version=int(change.base_version or 0),
                customer=customer_pb2.CustomerInput(**change.data),
                update_mask=sorted(change.data),
                channel="mobile",
            ),
        )
    except (TypeError, ValueError) as exc:
        return Outcome(sync.REJECTED, "VALIDATION_FAILED", f"data does not fit a customer: {type(exc).__name__}")
    except BackendError as exc:
        if exc.details.code != "VERSION_CONFLICT":
            raise
        current = call("customer", stub.GetCustomer, customer_pb2.GetCustomerRequest(customer_id=change.customer_id)).customer
        return Outcome(sync.CONFLICT, "VERSION_CONFLICT", "changed meanwhile", current_version=int(current.version), current=present_customer(current))
    if not answer.updated and answer.duplicate_warnings:
        return Outcome(sync.REJECTED, "CUSTOMER_DUPLICATE", "the change makes this customer look like another one")
    return Outcome(sync.APPLIED, result={"version": int(answer.customer.version)})


@dataclass
class Pulled:
    """One page of what changed in the agent's book, per source, and the token to go on from."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    removed: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in sync.SOURCES})
    next_token: str = ""
    has_more: bool = False
    degraded: list[str] = field(default_factory=list)


def pull(
    backends: Backends,
    since: str | None,
    page_size: int,
    present_customer: Callable[[Any], dict[str, Any]],
    present_task: Callable[[Any], dict[str, Any]] = lambda t: t,
    present_ticket: Callable[[Any], dict[str, Any]] = lambda t: t,
    deadline_seconds: float = 3.0,
) -> Pulled:
    """What changed in the caller's book since the token: customers (customer service), tasks and
    tickets (ticketing's changes feed), each from its own position, in parallel. Records that left
    the book in work (merged customers, finished tasks, resolved or closed tickets) come as ids in
    ``removed``. A source that does not answer keeps its position and is named in ``degraded``; the
    others go on. The services apply the caller's scope."""
    positions = sync.decode_pull_token(since)
    parts = [
        Part(
            "customers",
            "customer",
            lambda t: backends.customer.stub.ListChanges.future(
                customer_pb2.ListChangesRequest(since_token=positions.get("customer", ""), page_size=page_size), timeout=t
            ),
            lambda r: r,
        )
    ]
    if backends.ticketing is not None:
        stub = backends.ticketing.stub
        page = paging_pb2.PageRequest(page_size=min(page_size, 200))
        parts.append(Part("tasks", "ticketing", lambda t: stub.ListTasks.future(
            ticketing_pb2.ListTasksRequest(changes_feed=True, changed_since=positions.get("tasks", ""), page=page), timeout=t), lambda r: r))
        parts.append(Part("tickets", "ticketing", lambda t: stub.ListTickets.future(
            ticketing_pb2.ListTicketsRequest(changes_feed=True, changed_since=positions.get("tickets", ""), page=page), timeout=t), lambda r: r))
    composed = compose(parts, deadline_seconds)
    if "customers" in composed.failures and len(composed.failures) == len(parts):
        raise composed.failures["customers"]  # nothing answered: a clean 503 (or the refusal as it came)
    for error in composed.failures.values():
        if not error.unavailable:  # a refusal (bad token, scope) is an answer, not an outage
            raise error
    answer = Pulled(degraded=list(composed.degraded))
    # source, token position key, the answer's token field, rows field, id field, statuses kept, where kept, presenter
    sources = (
        ("customers", "customer", "next_token", "customers", "customer_id", sync.CUSTOMER_IN_BOOK, answer.customers, present_customer),
        ("tasks", "tasks", "changes_token", "tasks", "task_id", sync.TASK_IN_WORK, answer.tasks, present_task),
        ("tickets", "tickets", "changes_token", "tickets", "ticket_id", sync.TICKET_IN_WORK, answer.tickets, present_ticket),
    )
    for source, position, token_field, rows, id_field, keep, kept, present in sources:
        response = composed.values.get(source)
        if response is None:  # degraded: its position does not move, the next pull brings it
            continue
        positions[position] = getattr(response, token_field) or positions.get(position, "")
        answer.has_more |= bool(response.has_more)
        for row in getattr(response, rows):
            _sort(answer, source, getattr(row, id_field), row.status in keep, kept, present, row)
    answer.next_token = sync.encode_pull_token(positions)
    return answer


def _sort(answer: Pulled, source: str, record_id: str, in_book: bool, kept: list[dict[str, Any]],
          present: Callable[[Any], dict[str, Any]], message: Any) -> None:
    """Still in the book (or in work): the record as the app shows it; else its id in ``removed``."""
    if in_book:
        kept.append(present(message))
    else:
        answer.removed[source].append(record_id)


@dataclass
class Reconciled:
    """Held ids the server no longer has in the caller's book, per kind; kinds not judged."""

    removed: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in sync.SOURCES})
    degraded: list[str] = field(default_factory=list)


def reconcile(backends: Backends, held: dict[str, list[str]], deadline_seconds: float = 3.0) -> Reconciled:
    """Which of the ids the phone holds left the caller's book: asked of the services by id in the
    caller's scope (customers: ``BatchGetCustomers``; tasks and tickets: ``ListTasks``/``ListTickets``
    with ``ids``; all ``$in`` on ``_id``), in parallel. An id the service does not return (out of
    scope, unknown) or returns out of work (merged, done, closed) is removed. A kind whose service
    did not answer is named in ``degraded`` and nothing of it is removed."""
    parts: list[Part] = []
    for n, chunk in enumerate(sync.batches(held.get("customers", []))):
        parts.append(_by_ids(f"customers:{n}", "customer", backends.customer.stub.BatchGetCustomers,
                             customer_pb2.BatchGetCustomersRequest(customer_ids=chunk)))
    if backends.ticketing is not None:
        stub = backends.ticketing.stub
        for n, chunk in enumerate(sync.batches(held.get("tasks", []))):
            parts.append(_by_ids(f"tasks:{n}", "ticketing", stub.ListTasks, ticketing_pb2.ListTasksRequest(ids=chunk)))
        for n, chunk in enumerate(sync.batches(held.get("tickets", []))):
            parts.append(_by_ids(f"tickets:{n}", "ticketing", stub.ListTickets, ticketing_pb2.ListTicketsRequest(ids=chunk)))
    composed = compose(parts, deadline_seconds)
    if parts and len(composed.failures) == len(parts):
        raise next(iter(composed.failures.values()))  # nothing answered: a clean 503 (or the refusal as it came)
    for error in composed.failures.values():
        if not error.unavailable:
            raise error
    answer = Reconciled()
    kept: dict[str, set[str]] = {s: set() for s in sync.SOURCES}
    for name, value in composed.values.items():
        source = name.split(":")[0]
        if source == "customers":
            kept[source] |= {c.customer_id for c in value.customers if c.status in sync.CUSTOMER_IN_BOOK}
        elif source == "tasks":
            kept[source] |= {t.task_id for t in value.tasks if t.status in sync.TASK_IN_WORK}
        else:
            kept[source] |= {k.ticket_id for k in value.tickets if k.status in sync.TICKET_IN_WORK}
    failed = {name.split(":")[0] for name in composed.failures}
    if backends.ticketing is None:
        failed |= {s for s in ("tasks", "tickets") if held.get(s)}
    for source in sync.SOURCES:
        if source in failed:
            answer.degraded.append(source)
        else:
            answer.removed[source] = sync.departed(held.get(source, []), kept[source])
    return answer


def _by_ids(name: str, service: str, method: Any, request: Any) -> Part:
    """One lookup-by-ids call as a composed part (its response as it came)."""
    return Part(name, service, lambda timeout: method.future(request, timeout=timeout), lambda response: response)
