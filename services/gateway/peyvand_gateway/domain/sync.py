"""Offline sync for the mobile app: queued changes, their outcomes, and the pull token.

The app queues changes while offline and pushes them later, each with a client-made
idempotency key. The gateway records every key with its outcome, so a retried batch is
answered from the record and changes nothing. Changes to a customer carry the version the
app saw; a stale one is a conflict answered with the current state, never overwritten.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from peyvand_runtime.domain import ValidationError

KINDS = ("log_interaction", "update_customer")
APPLIED, DUPLICATE, REJECTED, CONFLICT = "applied", "duplicate", "rejected", "conflict"
OUTCOMES = (APPLIED, DUPLICATE, REJECTED, CONFLICT)
# Fields of a customer the app may change offline (CustomerInput names).
UPDATABLE_FIELDS = frozenset(
    {"first_name", "last_name", "father_name", "birth_date", "gender", "preferred_channel", "language", "tags", "contact_points"}
)
INTERACTION_KINDS = frozenset({"call", "visit", "note"})


@dataclass(frozen=True)
class QueuedChange:
    idempotency_key: str
    kind: str
    customer_id: str
    base_version: int | None
    data: dict[str, Any]

    def fingerprint(self) -> str:
        """Same key with different content is a client bug, refused rather than guessed at."""
        canonical = json.dumps(
            {"kind": self.kind, "customer_id": self.customer_id, "base_version": self.base_version, "data": self.data},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Outcome:
    outcome: str
    reason: str | None = None
    message: str | None = None
    current_version: int | None = None
    current: dict[str, Any] | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "reason": self.reason,
            "message": self.message,
            "current_version": self.current_version,
            "current": self.current,
            "result": self.result,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Outcome:
        return cls(
            outcome=record["outcome"],
            reason=record.get("reason"),
            message=record.get("message"),
            current_version=record.get("current_version"),
            current=record.get("current"),
            result=record.get("result") or {},
        )

    def replayed(self) -> Outcome:
        """How a retry of an already-decided change is answered: applied ones as duplicates,
        refusals and conflicts exactly as before (the app resolves them with a new key)."""
        if self.outcome == APPLIED:
            return Outcome(DUPLICATE, result=self.result)
        return self


def precheck(change: QueuedChange) -> Outcome | None:
    """A refusal that needs no backend (bad kind, bad data), or None to go ahead."""
    if change.kind not in KINDS:
        return Outcome(REJECTED, "VALIDATION_FAILED", f"kind must be one of {', '.join(KINDS)}")
    if change.kind == "update_customer":
        if not change.base_version or change.base_version < 1:
            return Outcome(REJECTED, "VALIDATION_FAILED", "base_version is required to change a customer")
        unknown = sorted(set(change.data) - UPDATABLE_FIELDS)
        if unknown or not change.data:
            return Outcome(REJECTED, "VALIDATION_FAILED", "data may change only: " + ", ".join(sorted(UPDATABLE_FIELDS)))
    if change.kind == "log_interaction":
        if change.data.get("kind") not in INTERACTION_KINDS or not str(change.data.get("summary") or "").strip():
            return Outcome(REJECTED, "VALIDATION_FAILED", "data needs kind (call, visit, note) and a summary")
    return None


# What a pull reports, each from its own position in the token: customer (ListChanges),
# tasks and tickets (ticketing's changes feed). Policies have no changes feed yet.
SOURCES = ("customers", "tasks", "tickets")
# Statuses that keep a record on the phone; any other is reported in ``removed`` so the app
# drops it (a merged customer, a done or cancelled task, a resolved or closed ticket).
CUSTOMER_IN_BOOK = frozenset({"active"})
TASK_IN_WORK = frozenset({"open"})
TICKET_IN_WORK = frozenset({"new", "open", "pending_customer"})

# Reconciliation: the phone sends the ids it holds, the gateway answers those no longer in the
# book (reassigned to another agent, moved to another branch, merged, finished, unknown). The
# changes feeds are scoped by the caller, so a record that LEFT the scope never appears in them.
RECONCILE_PREFIXES = {"customers": "cus", "tasks": "tsk", "tickets": "tkt"}
RECONCILE_MAX_IDS = 2000  # per kind and call; the app pages through what it holds
BACKEND_BATCH = 500  # ids per backend call (BatchGetCustomers and ticketing's ``ids`` filter cap there)


def batches(ids: list[str], size: int = BACKEND_BATCH) -> list[list[str]]:
    """``ids`` without repeats, in calls of at most ``size``."""
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def departed(held: list[str], still_in_book: set[str]) -> list[str]:
    """The held ids the server no longer has in the book, in the order the phone sent them (once)."""
    return [i for i in dict.fromkeys(held) if i not in still_in_book]


def encode_pull_token(positions: dict[str, str]) -> str:
    """One opaque token holding each backend's own change token."""
    raw = json.dumps({"v": 1, **positions}, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_pull_token(token: str | None) -> dict[str, str]:
    if not token:
        return {}
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(decoded, dict) or decoded.pop("v", None) != 1:
            raise ValueError("unknown token version")
        return {str(k): str(v) for k, v in decoded.items()}
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError.single("since", "not a token this server gave out") from exc
