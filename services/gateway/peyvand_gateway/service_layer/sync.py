"""Offline sync: apply a batch of queued changes exactly once, and pull what changed."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from peyvand.customer.v1 import customer_pb2

from peyvand_gateway.adapters.backends import BackendError, Backends, call
from peyvand_gateway.adapters.device_repository import SyncReceiptRepository
from peyvand_gateway.domain import sync
from peyvand_gateway.domain.sync import Outcome, QueuedChange

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


def pull(
    backends: Backends, since: str | None, page_size: int, present_customer: Callable[[Any], dict[str, Any]]
) -> tuple[list[dict[str, Any]], str, bool]:
    """Customers of the caller's book changed since the token (the service filters by scope)."""
    positions = sync.decode_pull_token(since)
    answer = call(
        "customer",
        backends.customer.stub.ListChanges,
        customer_pb2.ListChangesRequest(since_token=positions.get("customer", ""), page_size=page_size),
    )
    positions["customer"] = answer.next_token or positions.get("customer", "")
    return [present_customer(c) for c in answer.customers], sync.encode_pull_token(positions), bool(answer.has_more)
