"""Value objects of a party: contact points, consent decisions, relationships and audit entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from peyvand_runtime.tehran_time import as_utc

from peyvand_customer.domain.persian import normalize_text

KINDS = ("person", "organisation")
GENDERS = ("male", "female", "unspecified")
ROLES = ("prospect", "policyholder", "insured", "beneficiary", "payer")
CHANNELS = ("sms", "email", "push", "phone")
PURPOSES = ("service", "marketing")
LANGUAGES = ("fa", "en")
CONTACT_KINDS = ("mobile", "landline", "email", "address")
STATUSES = ("active", "merged")

# "other is my <kind>" → on the other side "I am other's <inverse>".
RELATIONSHIP_INVERSE = {
    "spouse": "spouse",
    "parent": "child",
    "child": "parent",
    "sibling": "sibling",
    "employer": "employee",
    "employee": "employer",
}
FAMILY_RELATIONSHIPS = frozenset({"spouse", "parent", "child", "sibling"})


def iso_instant(instant: dt.datetime) -> str:
    """ISO-8601 UTC with ``Z`` (the event payload format for instants)."""
    return as_utc(instant).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class ContactPoint:
    """One way to reach a party. ``value`` is canonical: E.164 phone, lower-case email, or the address line."""

    kind: str
    value: str
    primary: bool = False
    verified: bool = False
    province: str = ""
    city: str = ""
    postal_code: str = ""

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """Two contact points with the same key are the same contact (merge keeps one)."""
        if self.kind == "address":
            return (self.kind, self.postal_code or normalize_text(f"{self.city} {self.value}"))
        return (self.kind, self.value)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind, "value": self.value, "primary": self.primary, "verified": self.verified}
        if self.kind == "address":
            data.update(province=self.province, city=self.city, postal_code=self.postal_code)
        return data


@dataclass(frozen=True)
class Consent:
    """One consent decision for a channel and purpose; the latest ``at`` is the one in force."""

    channel: str
    purpose: str
    granted: bool
    source: str
    at: dt.datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.purpose)

    def to_dict(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "purpose": self.purpose,
            "granted": self.granted,
            "source": self.source,
            "at": iso_instant(self.at),
        }


@dataclass(frozen=True)
class Relationship:
    """``party_id`` is this party's ``kind`` (``Relationship("spouse", "cus_…")``: that party is my spouse)."""

    kind: str
    party_id: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "party_id": self.party_id}


@dataclass(frozen=True)
class AuditEntry:
    """Who changed which fields of a customer, when and through which channel (values are never kept)."""

    customer_id: str
    action: str
    by: str
    channel: str
    at: dt.datetime
    fields: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {
            "customer_id": self.customer_id,
            "action": self.action,
            "by": self.by,
            "channel": self.channel,
            "at": iso_instant(self.at),
            "fields": list(self.fields),
        }


def with_single_primary(points: list[ContactPoint]) -> list[ContactPoint]:
    """Exactly one primary per kind: the first marked primary wins, else the first of its kind."""
    chosen: dict[str, int] = {}
    for index, point in enumerate(points):
        if point.primary and point.kind not in chosen:
            chosen[point.kind] = index
    for index, point in enumerate(points):
        chosen.setdefault(point.kind, index)
    result = []
    for index, point in enumerate(points):
        should_be_primary = chosen[point.kind] == index
        result.append(point if point.primary == should_be_primary else replace(point, primary=should_be_primary))
    return result
