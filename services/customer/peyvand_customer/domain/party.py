"""The Party aggregate: a person or organisation the insurer deals with, its contacts, consent and roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from peyvand_runtime.domain import Aggregate, FieldViolation, InvalidTransition, ValidationError, Violations
from peyvand_runtime.ids import is_id, new_id
from peyvand_runtime.tehran_time import tehran_date

from peyvand_customer.domain.commands import ConsentInput, ContactPointInput, CreatePartyCommand
from peyvand_customer.domain.identifiers import digits_only
from peyvand_customer.domain.persian import clean_text
from peyvand_customer.domain.snapshot import party_snapshot
from peyvand_customer.domain.validation import (
    ORGANISATION_FIELDS,
    PERSON_FIELDS,
    UPDATABLE_FIELDS,
    clean_consent,
    clean_contact_point,
    clean_contact_points,
    clean_field,
    clean_roles,
    clean_tags,
    validate_create,
)
from peyvand_customer.domain.values import AuditEntry, Consent, ContactPoint, Relationship, iso_instant, with_single_primary

_REQUIRED = {"first_name", "last_name", "org_name"}


@dataclass
class Party(Aggregate):
    """A customer. Build new ones with ``Party.create``; the constructor is for rehydrating stored state."""

    kind: str = "person"
    customer_number: str = ""
    first_name: str = ""
    last_name: str = ""
    father_name: str = ""
    national_id: str = ""
    birth_date: dt.date | None = None
    gender: str = "unspecified"
    org_name: str = ""
    legal_id: str = ""
    economic_code: str = ""
    roles: set[str] = field(default_factory=set)
    preferred_channel: str = "sms"
    language: str = "fa"
    agent_id: str = ""
    branch_code: str = ""
    tags: list[str] = field(default_factory=list)
    contact_points: list[ContactPoint] = field(default_factory=list)
    consents: dict[tuple[str, str], Consent] = field(default_factory=dict)
    consent_history: list[Consent] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    household_id: str = ""
    status: str = "active"
    merged_into: str = ""
    merged_from: list[str] = field(default_factory=list)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    _audit: list[AuditEntry] = field(default_factory=list, init=False, repr=False, compare=False)

    # -- creation and reading -------------------------------------------------------------

    @classmethod
    def create(cls, cmd: CreatePartyCommand, *, now: dt.datetime, by: str, channel: str, party_id: str | None = None) -> Party:
        """Validate everything in ``cmd`` (all violations at once) and record ``customer.created``.

        ``party_id`` lets the caller choose the id (idempotent imports); otherwise a new ``cus_`` id.
        """
        fields, violations = validate_create(cmd, now)
        if party_id is not None and not is_id(party_id, "cus"):
            violations.append(FieldViolation("customer_id", "must be a cus_ id"))
        if violations:
            raise ValidationError(violations)
        party = cls(id=party_id or new_id("cus"), created_at=now, updated_at=now, **fields)
        party.record("customer.created", {**party.to_snapshot(), "at": iso_instant(now)})
        party.add_audit("create", by, channel, now, sorted(k for k, v in fields.items() if v not in ("", None, [], {}, set())))
        return party

    @property
    def display_name(self) -> str:
        if self.kind == "organisation":
            return self.org_name
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def primary(self, kind: str) -> ContactPoint | None:
        return next((p for p in self.contact_points if p.kind == kind and p.primary), None)

    def consent_for(self, channel: str, purpose: str) -> bool | None:
        """The decision in force, or ``None`` when the customer was never asked."""
        consent = self.consents.get((channel, purpose))
        return None if consent is None else consent.granted

    def to_snapshot(self, private: bool = False) -> dict[str, Any]:
        """The JSON-ready state every customer event carries (see ``snapshot.party_snapshot``)."""
        return party_snapshot(self, private)

    # -- audit ----------------------------------------------------------------------------

    def add_audit(self, action: str, by: str, channel: str, now: dt.datetime, fields: Iterable[str]) -> AuditEntry:
        entry = AuditEntry(self.id, action, by, channel, now, tuple(fields))
        self._audit.append(entry)
        return entry

    def pull_audit(self) -> list[AuditEntry]:
        """Audit entries since the last pull, for the adapter to store in its own collection."""
        entries, self._audit = self._audit, []
        return entries

    def record_change(self, action: str, fields: list[str], *, by: str, channel: str, now: dt.datetime) -> None:
        """Record ``customer.updated`` and an audit entry for a change that touched ``fields``."""
        self.updated_at = now
        self.record("customer.updated", {**self.to_snapshot(), "changed_fields": fields, "at": iso_instant(now)})
        self.add_audit(action, by, channel, now, fields)

    def ensure_active(self) -> None:
        if self.status != "active":
            raise InvalidTransition("customer was merged into another customer", metadata={"merged_into": self.merged_into})

    # -- commands -------------------------------------------------------------------------

    def update(self, changes: Mapping[str, Any], *, by: str, channel: str, now: dt.datetime) -> list[str]:
        """Change descriptive fields; returns the names that really changed (none → no event)."""
        self.ensure_active()
        violations = Violations()
        today = tehran_date(now)
        foreign = ORGANISATION_FIELDS if self.kind == "person" else PERSON_FIELDS
        cleaned: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in UPDATABLE_FIELDS:
                violations.add(name, "cannot be changed by update")
            elif name in foreign:
                violations.add(name, f"not allowed for a {self.kind}")
            else:
                try:
                    cleaned[name] = clean_field(name, value, today)
                except ValueError as exc:
                    violations.add(name, str(exc))
                    continue
                if name in _REQUIRED and not cleaned[name]:
                    violations.add(name, "is required")
        violations.raise_if_any()
        changed = sorted(name for name, value in cleaned.items() if getattr(self, name) != value)
        for name in changed:
            setattr(self, name, cleaned[name])
        if changed:
            self.record_change("update", changed, by=by, channel=channel, now=now)
        return changed

    def set_consent(
        self, channel: str, purpose: str, granted: bool, *, source: str, now: dt.datetime, by: str, at: dt.datetime | None = None
    ) -> bool:
        """Record a consent decision (kept in history); returns whether the decision in force changed.

        A decision older than the one in force (a late import) only joins the history.
        """
        self.ensure_active()
        violations = Violations()
        consent = clean_consent(ConsentInput(channel, purpose, granted, source, at), "consent", now, violations)
        violations.raise_if_any()
        assert consent is not None
        if consent in self.consent_history:
            return False  # the same decision delivered twice
        self.consent_history.append(consent)
        self.consent_history.sort(key=lambda c: c.at)
        current = self.consents.get(consent.key)
        if current is not None and consent.at < current.at:
            self.add_audit("consent", by, consent.source, now, [f"consents.{channel}.{purpose}"])
            return False
        self.consents[consent.key] = consent
        self.updated_at = now
        self.record(
            "customer.consent_changed",
            {
                "customer_id": self.id,
                **consent.to_dict(),
                "agent_id": self.agent_id,
                "branch_code": self.branch_code,
                "consents": [self.consents[k].to_dict() for k in sorted(self.consents)],
            },
        )
        self.add_audit("consent", by, consent.source, now, [f"consents.{channel}.{purpose}"])
        return True

    def assign(self, agent_id: str, branch_code: str, *, by: str, channel: str, now: dt.datetime) -> bool:
        """Give the customer to an agent and branch; records ``customer.assigned`` when it changes."""
        self.ensure_active()
        agent_id, branch_code = (agent_id or "").strip(), (branch_code or "").strip()
        if (agent_id, branch_code) == (self.agent_id, self.branch_code):
            return False
        previous_agent, previous_branch = self.agent_id, self.branch_code
        self.agent_id, self.branch_code, self.updated_at = agent_id, branch_code, now
        payload = {"customer_id": self.id, "agent_id": agent_id, "branch_code": branch_code}
        payload.update(previous_agent_id=previous_agent, previous_branch_code=previous_branch, at=iso_instant(now))
        self.record("customer.assigned", payload)
        self.add_audit("assign", by, channel, now, ["agent_id", "branch_code"])
        return True

    def _find_contact(self, kind: str, value: str) -> int | None:
        """Index of the contact point ``value`` names; an address by its line or its postal code."""
        if kind == "address":
            line, code = clean_text(value), digits_only(value)
            by_code = len(code) == 10 and code.isdigit()
            matches = (p.kind == kind and (p.value == line or (by_code and p.postal_code == code)) for p in self.contact_points)
        else:
            violations = Violations()
            probe = clean_contact_point(ContactPointInput(kind, value), "contact_point", violations)
            violations.raise_if_any()
            assert probe is not None
            matches = (p.dedupe_key == probe.dedupe_key for p in self.contact_points)
        return next((i for i, match in enumerate(matches) if match), None)

    def add_contact_point(self, raw: ContactPointInput, *, by: str, channel: str, now: dt.datetime) -> ContactPoint:
        """Add a contact point (a known one only gains the flags); a new primary demotes the old one."""
        self.ensure_active()
        violations = Violations()
        point = clean_contact_point(raw, "contact_point", violations)
        violations.raise_if_any()
        assert point is not None
        before = self.contact_points
        index = next((i for i, p in enumerate(before) if p.dedupe_key == point.dedupe_key), None)
        if index is None:
            self.contact_points, index = before + [replace(point, primary=False)], len(before)
        return self._flag(index, point.primary, point.verified, by=by, channel=channel, now=now, before=before)

    def set_primary_contact_point(self, kind: str, value: str, *, by: str, channel: str, now: dt.datetime) -> ContactPoint:
        """Make a known contact point the primary of its kind."""
        return self._flag(self._require_contact(kind, value), True, False, by=by, channel=channel, now=now)

    def mark_contact_point_verified(self, kind: str, value: str, *, by: str, channel: str, now: dt.datetime) -> ContactPoint:
        """Flag a known contact point as verified (e.g. after an OTP)."""
        return self._flag(self._require_contact(kind, value), False, True, by=by, channel=channel, now=now)

    def _require_contact(self, kind: str, value: str) -> int:
        self.ensure_active()
        index = self._find_contact(kind, value)
        if index is None:
            raise ValidationError.single("contact_point.value", "not a contact point of this customer")
        return index

    def _flag(
        self,
        index: int,
        primary: bool,
        verified: bool,
        *,
        by: str,
        channel: str,
        now: dt.datetime,
        before: list[ContactPoint] | None = None,
    ) -> ContactPoint:
        """Set the flags of contact point ``index``; records a change when the list differs from ``before``."""
        before = self.contact_points if before is None else before
        points = list(self.contact_points)
        target = replace(points[index], primary=points[index].primary or primary, verified=points[index].verified or verified)
        if primary:
            points = [replace(p, primary=False) if p.kind == target.kind else p for p in points]
        points[index] = target
        self.contact_points = with_single_primary(points)
        if self.contact_points != before:
            self.record_change("contact_points", ["contact_points"], by=by, channel=channel, now=now)
        return self.contact_points[index]

    def replace_contact_points(self, raws: Iterable[ContactPointInput], *, by: str, channel: str, now: dt.datetime) -> bool:
        """Replace every contact point (an edit form saving the whole list); violations name ``contact_points[i]``."""
        self.ensure_active()
        violations = Violations()
        points = clean_contact_points(raws, violations)
        violations.raise_if_any()
        return self._replace("contact_points", points, by=by, channel=channel, now=now)

    def remove_contact_point(self, kind: str, value: str, *, by: str, channel: str, now: dt.datetime) -> bool:
        """Remove a contact point (no-op when absent); the next of its kind becomes primary."""
        self.ensure_active()
        index = self._find_contact(kind, value)
        if index is None:
            return False
        self.contact_points = with_single_primary(self.contact_points[:index] + self.contact_points[index + 1 :])
        self.record_change("contact_points", ["contact_points"], by=by, channel=channel, now=now)
        return True

    def add_roles(self, roles: Iterable[str], *, by: str, channel: str, now: dt.datetime) -> bool:
        return self._replace("roles", self.roles | set(self._cleaned(clean_roles, roles)), by=by, channel=channel, now=now)

    def remove_roles(self, roles: Iterable[str], *, by: str, channel: str, now: dt.datetime) -> bool:
        return self._replace("roles", self.roles - set(self._cleaned(clean_roles, roles)), by=by, channel=channel, now=now)

    def add_tags(self, tags: Iterable[str], *, by: str, channel: str, now: dt.datetime) -> bool:
        new = [t for t in self._cleaned(clean_tags, tags) if t not in self.tags]
        return self._replace("tags", self.tags + new, by=by, channel=channel, now=now)

    def remove_tags(self, tags: Iterable[str], *, by: str, channel: str, now: dt.datetime) -> bool:
        gone = set(self._cleaned(clean_tags, tags))
        return self._replace("tags", [t for t in self.tags if t not in gone], by=by, channel=channel, now=now)

    def _cleaned(self, cleaner: Callable[[Iterable[str], Violations], Iterable[str]], values: Iterable[str]) -> Iterable[str]:
        self.ensure_active()
        violations = Violations()
        cleaned = cleaner(values, violations)
        violations.raise_if_any()
        return cleaned

    def _replace(self, name: str, value: Any, *, by: str, channel: str, now: dt.datetime) -> bool:
        if value == getattr(self, name):
            return False
        setattr(self, name, value)
        self.record_change(name, [name], by=by, channel=channel, now=now)
        return True
