"""Pure building blocks shared by every service's domain: errors, events and aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldViolation:
    """One bad input field, named by its proto field path (``contact_points[1].value``)."""

    field: str
    description: str


class DomainError(Exception):
    """A refusal with a stable code from ``peyvand.common.v1.ErrorCode``.

    The code decides the gRPC status (one table in ``peyvand_runtime.errors``); the message
    is for people and must never contain personal data (national id, phone, email).
    """

    code: str = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        violations: list[FieldViolation] | tuple[FieldViolation, ...] = (),
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.violations = tuple(violations)
        self.metadata = dict(metadata or {})


class ValidationError(DomainError):
    """Input that can never be accepted as given (INVALID_ARGUMENT)."""

    code = "VALIDATION_FAILED"

    def __init__(self, violations: list[FieldViolation] | tuple[FieldViolation, ...], message: str = "") -> None:
        violations = tuple(violations)
        if not message:
            message = "; ".join(f"{v.field}: {v.description}" for v in violations) or "invalid input"
        super().__init__(message, violations=violations)

    @classmethod
    def single(cls, field_name: str, description: str) -> ValidationError:
        return cls([FieldViolation(field_name, description)])


class NotFound(DomainError):
    """The record does not exist or is outside the caller's scope (never say which)."""

    code = "NOT_FOUND"


class VersionConflict(DomainError):
    """The caller's expected version is stale; nothing was written (ABORTED)."""

    code = "VERSION_CONFLICT"


class InvalidTransition(DomainError):
    """A lifecycle change the current state does not allow (FAILED_PRECONDITION)."""

    code = "INVALID_TRANSITION"


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"


class Violations:
    """Collects field violations so a command reports every bad field at once."""

    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, field_name: str, description: str) -> None:
        self.items.append(FieldViolation(field_name, description))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationError(self.items)


@dataclass(frozen=True)
class DomainEvent:
    """A fact an aggregate recorded; becomes an envelope in the outbox when the aggregate is saved.

    ``payload`` is JSON-serialisable and follows the schema in
    ``protos/peyvand/<service>/v1/events.proto`` (JSON mapping, snake_case field names).
    """

    type: str
    payload: dict[str, Any]
    version: int = 1


@dataclass
class Aggregate:
    """Base for aggregates: an id, an optimistic-concurrency version and recorded events.

    ``version`` is the version that was loaded (0 for a new aggregate); the repository
    writes ``version + 1`` only if the stored version still equals ``version``.
    """

    id: str
    version: int = 0
    _events: list[DomainEvent] = field(default_factory=list, init=False, repr=False, compare=False)

    def record(self, event_type: str, payload: dict[str, Any], version: int = 1) -> DomainEvent:
        event = DomainEvent(event_type, payload, version)
        self._events.append(event)
        return event

    def pull_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        return tuple(self._events)
