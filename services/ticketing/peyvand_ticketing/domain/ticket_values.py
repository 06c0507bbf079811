"""Ticket vocabulary and value objects: types, channels, statuses, attachments, replies, activity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from peyvand_runtime.domain import Violations

TICKET_TYPES = ("service_request", "complaint", "claim_inquiry", "incident")
CHANNELS = ("phone", "branch_visit", "web", "mobile_app", "email", "sms", "social")

NEW, OPEN, PENDING_CUSTOMER, RESOLVED, CLOSED = "new", "open", "pending_customer", "resolved", "closed"
STATUSES = (NEW, OPEN, PENDING_CUSTOMER, RESOLVED, CLOSED)
# The whole lifecycle; resolved -> open (reopen) additionally needs the reopen window.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({OPEN}),
    OPEN: frozenset({PENDING_CUSTOMER, RESOLVED}),
    PENDING_CUSTOMER: frozenset({OPEN, RESOLVED}),
    RESOLVED: frozenset({OPEN, CLOSED}),
    CLOSED: frozenset(),
}
ACTIVE_STATUSES = frozenset({NEW, OPEN, PENDING_CUSTOMER})

MISSED_CALL_CATEGORY = "missed_call"
DEFAULT_REOPEN_PERIOD = dt.timedelta(days=7)

MAX_TICKET_NUMBER = 32
MAX_CATEGORY = 64
MAX_SUBJECT = 200
MAX_DESCRIPTION = 10_000
MAX_REPLY_BODY = 10_000
MAX_POLICY_NUMBER = 40
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_SATISFACTION_COMMENT = 1_000


def iso_utc(instant: dt.datetime | None) -> str | None:
    """ISO-8601 UTC with ``Z`` as event payloads want it."""
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Attachment:
    """Metadata of a file kept in object storage; the bytes never pass through the domain."""

    name: str
    size_bytes: int
    content_type: str
    storage_key: str

    def validate(self, violations: Violations, prefix: str) -> None:
        if not self.name.strip():
            violations.add(f"{prefix}.name", "must not be empty")
        elif len(self.name) > 255:
            violations.add(f"{prefix}.name", "must be at most 255 characters")
        if not 0 < self.size_bytes <= MAX_ATTACHMENT_BYTES:
            violations.add(f"{prefix}.size_bytes", f"must be between 1 and {MAX_ATTACHMENT_BYTES} bytes")
        if "/" not in self.content_type:
            violations.add(f"{prefix}.content_type", "must be a media type such as application/pdf")
        if not self.storage_key.strip():
            violations.add(f"{prefix}.storage_key", "must not be empty")


@dataclass(frozen=True)
class ActivityEntry:
    """One line of the ticket's history: who did what, when."""

    at: dt.datetime
    actor_id: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A public reply or an internal note; stored in its own collection by the adapter."""

    ticket_id: str
    author_id: str
    body: str
    public: bool
    at: dt.datetime
    from_customer: bool = False


def validate_text(violations: Violations, name: str, value: str, limit: int, required: bool = True) -> None:
    if required and not (value or "").strip():
        violations.add(name, "must not be empty")
    elif len(value or "") > limit:
        violations.add(name, f"must be at most {limit} characters")


def validate_choice(violations: Violations, name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        violations.add(name, "must be one of " + ", ".join(choices))
