"""Proto messages ⇄ customer commands and read models (the servicer's parsing and answering)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from peyvand.customer.v1 import customer_pb2 as pb
from peyvand_runtime.domain import Violations
from peyvand_runtime.tehran_time import as_utc, to_jalali

from peyvand_customer.domain.commands import ConsentInput, ContactPointInput, CreatePartyCommand
from peyvand_customer.domain.csv_rows import parse_date
from peyvand_customer.domain.duplicates import DuplicateWarning
from peyvand_customer.domain.party import Party

KIND_BY_ENUM = {pb.PERSON: "person", pb.ORGANISATION: "organisation"}
ENUM_BY_KIND = {v: k for k, v in KIND_BY_ENUM.items()}
INPUT_FIELDS = tuple(f.name for f in pb.CustomerInput.DESCRIPTOR.fields)


def parse_instant(text: str, field: str, violations: Violations) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        violations.add(field, "must be an ISO-8601 instant")
        return None
    if value.tzinfo is None:
        violations.add(field, "must carry a time zone")
        return None
    return as_utc(value)


def _kind(value: int, violations: Violations, field: str = "kind") -> str:
    if value not in KIND_BY_ENUM:
        violations.add(field, "must be PERSON or ORGANISATION")
        return ""
    return KIND_BY_ENUM[value]


def _birth(text: str, violations: Violations, field: str = "birth_date") -> dt.date | None:
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        violations.add(field, str(exc))
        return None


def contact_inputs(points: Any) -> tuple[ContactPointInput, ...]:
    return tuple(
        ContactPointInput(p.kind, p.value if p.kind != "address" else (p.line or p.value), p.primary, p.verified, p.province, p.city, p.postal_code) for p in points
    )


def create_command(message: pb.CustomerInput) -> CreatePartyCommand:
    """The raw command; the domain validates everything (violations name proto fields)."""
    violations = Violations()
    kind = _kind(message.kind, violations)
    birth = _birth(message.birth_date, violations)
    consents = []
    for i, c in enumerate(message.consents):
        consents.append(ConsentInput(c.channel, c.purpose, c.granted, c.source, parse_instant(c.at, f"consents[{i}].at", violations)))
    violations.raise_if_any()
    return CreatePartyCommand(
        customer_number="",
        kind=kind,
        first_name=message.first_name,
        last_name=message.last_name,
        father_name=message.father_name,
        national_id=message.national_id,
        birth_date=birth,
        gender=message.gender or "unspecified",
        org_name=message.org_name,
        legal_id=message.legal_id,
        economic_code=message.economic_code,
        roles=tuple(message.roles),
        preferred_channel=message.preferred_channel or "sms",
        language=message.language or "fa",
        agent_id=message.agent_id,
        branch_code=message.branch_code,
        tags=tuple(message.tags),
        contact_points=contact_inputs(message.contact_points),
        consents=tuple(consents),
    )


def update_changes(message: pb.CustomerInput, mask: list[str]) -> dict[str, Any]:
    violations = Violations()
    changes: dict[str, Any] = {}
    for name in mask:
        if name not in INPUT_FIELDS:
            violations.add(f"update_mask[{mask.index(name)}]", "not a CustomerInput field")
        elif name == "kind":
            violations.add("kind", "cannot be changed; create a new customer")
        elif name == "consents":
            violations.add("consents", "use SetConsent")
        elif name == "birth_date":
            changes[name] = _birth(message.birth_date, violations)
        elif name == "contact_points":
            changes[name] = contact_inputs(message.contact_points)
        elif name in ("roles", "tags"):
            changes[name] = list(getattr(message, name))
        else:
            changes[name] = getattr(message, name)
    if not mask:
        violations.add("update_mask", "name at least one field to change")
    violations.raise_if_any()
    return changes


def _instant(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return as_utc(value).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=65536)
def _jalali(iso_date: str) -> str:
    """A stored birth date in the Jalali calendar (a book has a few tens of thousands of distinct dates)."""
    return to_jalali(dt.date.fromisoformat(iso_date))


def customer_from_doc(doc: dict[str, Any]) -> pb.Customer:
    """The read model straight from a stored document (lists and search never build aggregates)."""
    birth = doc.get("birth_date") or ""
    return pb.Customer(
        customer_id=doc["_id"],
        customer_number=doc.get("customer_number", ""),
        kind=ENUM_BY_KIND.get(doc.get("kind", "person"), pb.PARTY_KIND_UNSPECIFIED),
        display_name=doc.get("display_name", ""),
        first_name=doc.get("first_name", ""),
        last_name=doc.get("last_name", ""),
        father_name=doc.get("father_name", ""),
        national_id=doc.get("national_id", ""),
        birth_date=birth,
        birth_date_jalali=_jalali(birth) if birth else "",
        gender=doc.get("gender", ""),
        org_name=doc.get("org_name", ""),
        legal_id=doc.get("legal_id", ""),
        economic_code=doc.get("economic_code", ""),
        roles=doc.get("roles", []),
        preferred_channel=doc.get("preferred_channel", ""),
        language=doc.get("language", ""),
        agent_id=doc.get("agent_id", ""),
        branch_code=doc.get("branch_code", ""),
        tags=doc.get("tags", []),
        contact_points=[
            pb.ContactPoint(
                kind=p["kind"],
                value=p["value"] if p["kind"] != "address" else "",
                line=p["value"] if p["kind"] == "address" else "",
                primary=p.get("primary", False),
                verified=p.get("verified", False),
                province=p.get("province", ""),
                city=p.get("city", ""),
                postal_code=p.get("postal_code", ""),
            )
            for p in doc.get("contact_points", [])
        ],
        consents=[pb.Consent(**c) for c in doc.get("consents", [])],
        consent_history=[pb.Consent(**c) for c in doc.get("consent_history", [])],
        relationships=[pb.Relationship(kind=r["kind"], other_customer_id=r["party_id"]) for r in doc.get("relationships", [])],
        household_id=doc.get("household_id", ""),
        status=doc.get("status", "active"),
        merged_into=doc.get("merged_into", ""),
        merged_from=doc.get("merged_from", []),
        version=int(doc.get("version", 0)),
        created_at=_instant(doc.get("created_at")),
        updated_at=_instant(doc.get("updated_at")),
    )


def customer_from_party(party: Party, index_key: bytes) -> pb.Customer:
    from peyvand_customer.adapters.mapping import to_fields

    doc = to_fields(party, index_key)
    doc.update(_id=party.id, version=party.version)
    return customer_from_doc(doc)


def warning_messages(warnings: list[DuplicateWarning], names: dict[str, str]) -> list[pb.DuplicateWarning]:
    return [pb.DuplicateWarning(customer_id=w.customer_id, display_name=names.get(w.customer_id, ""), reasons=list(w.matched_keys or w.reasons), score=w.score) for w in warnings]


def timeline_entry(doc: dict[str, Any]) -> pb.TimelineEntry:
    return pb.TimelineEntry(
        entry_id=doc["_id"], customer_id=doc["customer_id"], kind=doc["kind"], summary=doc.get("summary", ""), at=_instant(doc["at"]),
        actor=doc.get("actor", ""), ref_id=doc.get("ref_id", ""), channel=doc.get("channel", ""),
    )


def audit_entry(doc: dict[str, Any]) -> pb.AuditEntry:
    return pb.AuditEntry(customer_id=doc["customer_id"], actor=doc.get("by", ""), channel=doc.get("channel", ""), action=doc.get("action", ""), fields=doc.get("fields", []), at=_instant(doc["at"]))
