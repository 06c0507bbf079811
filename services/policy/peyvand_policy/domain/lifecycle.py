"""The policy state machine in one table, and the records it leaves: history, endorsements, cancellation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from peyvand_runtime.domain import InvalidTransition

PolicyStatus = Literal["active", "renewed", "lapsed", "cancelled"]
Command = Literal["endorse", "renew", "lapse", "cancel", "notify_renewal"]
STATUSES: tuple[PolicyStatus, ...] = ("active", "renewed", "lapsed", "cancelled")
COMMANDS: tuple[Command, ...] = ("endorse", "renew", "lapse", "cancel", "notify_renewal")

# The whole lifecycle. ``issue`` creates an ``active`` policy; ``renewed``, ``lapsed`` and
# ``cancelled`` are final. An endorsement and a renewal notice keep the policy ``active``.
# ``repoint_customer`` is bookkeeping for a customer merge and is allowed in every status.
TRANSITIONS: Mapping[tuple[PolicyStatus, Command], PolicyStatus] = MappingProxyType(
    {
        ("active", "endorse"): "active",
        ("active", "renew"): "renewed",
        ("active", "lapse"): "lapsed",
        ("active", "cancel"): "cancelled",
        ("active", "notify_renewal"): "active",
    }
)

# The history entry kind each lifecycle command leaves (a renewal notice leaves none).
HISTORY_KIND: Mapping[Command, str] = MappingProxyType(
    {"endorse": "endorsed", "renew": "renewed", "lapse": "lapsed", "cancel": "cancelled"}
)


def next_status(status: PolicyStatus, command: Command, policy_id: str = "") -> PolicyStatus:
    """The status after ``command``, or ``POLICY_INVALID_TRANSITION``."""
    target = TRANSITIONS.get((status, command))
    if target is None:
        raise InvalidTransition(
            f"cannot {command.replace('_', ' ')} a policy that is {status}",
            code="POLICY_INVALID_TRANSITION",
            metadata={"policy_id": policy_id, "status": status, "command": command},
        )
    return target


@dataclass(frozen=True)
class HistoryEntry:
    """One step of a policy's life: what happened, the statuses around it, when and by whom."""

    kind: str  # issued, endorsed, renewed, lapsed, cancelled
    from_status: PolicyStatus | None
    to_status: PolicyStatus
    on: dt.date  # Tehran business date of the command
    by: str  # user id, or "system" for jobs
    reason: str = ""
    at: dt.datetime | None = None  # the instant, when the caller passed one

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "on": self.on.isoformat(),
            "by": self.by,
            "reason": self.reason,
            "at": _iso_instant(self.at),
        }


@dataclass(frozen=True)
class Endorsement:
    """A mid-term change and the pro-rata premium it charged (positive) or returned (negative)."""

    id: str
    effective_date: dt.date
    changes: Mapping[str, Any] = field(default_factory=dict)
    old_premium: int = 0
    new_premium: int = 0
    premium_delta: int = 0
    vat_delta: int = 0
    on: dt.date | None = None
    by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "endorsement_id": self.id,
            "effective_date": self.effective_date.isoformat(),
            "changes": dict(self.changes),
            "old_premium": self.old_premium,
            "new_premium": self.new_premium,
            "premium_delta": self.premium_delta,
            "vat_delta": self.vat_delta,
            "on": self.on.isoformat() if self.on else None,
            "by": self.by,
        }


@dataclass(frozen=True)
class Cancellation:
    """Why and from when cover stopped, and the unearned premium returned."""

    reason: str
    effective_date: dt.date  # first day without cover: cover ends 24:00 Tehran the day before
    on: dt.date
    by: str
    refund: int
    vat_refund: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "effective_date": self.effective_date.isoformat(),
            "on": self.on.isoformat(),
            "by": self.by,
            "refund": self.refund,
            "vat_refund": self.vat_refund,
        }


def _iso_instant(instant: dt.datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
