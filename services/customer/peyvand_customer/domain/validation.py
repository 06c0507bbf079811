"""Field rules for parties: clean one value or a whole create command, collecting every violation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from peyvand_runtime.domain import FieldViolation, Violations
from peyvand_runtime.tehran_time import tehran_date

from peyvand_customer.domain import identifiers
from peyvand_customer.domain.commands import ConsentInput, ContactPointInput, CreatePartyCommand
from peyvand_customer.domain.persian import clean_text
from peyvand_customer.domain.values import (
    CHANNELS,
    CONTACT_KINDS,
    GENDERS,
    KINDS,
    LANGUAGES,
    PURPOSES,
    ROLES,
    Consent,
    ContactPoint,
    with_single_primary,
)

PERSON_FIELDS = ("first_name", "last_name", "father_name", "national_id", "birth_date", "gender")
ORGANISATION_FIELDS = ("org_name", "legal_id", "economic_code")
# Fields ``Party.update`` accepts; the rest have their own commands (assign, roles, contacts...).
UPDATABLE_FIELDS = PERSON_FIELDS + ORGANISATION_FIELDS + ("preferred_channel", "language")
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
MAX_NAME_LENGTH = 100
MAX_TAG_LENGTH = 50


def _name(value: Any) -> str:
    text = clean_text(str(value or ""))
    if len(text) > MAX_NAME_LENGTH:
        raise ValueError(f"at most {MAX_NAME_LENGTH} characters")
    if text and not any(ch.isalpha() for ch in text):
        raise ValueError("must contain letters")
    return text


def _optional(check: Callable[[str], str]) -> Callable[[Any], str]:
    def run(value: Any) -> str:
        return check(str(value)) if value not in (None, "") and str(value).strip() else ""

    return run


def _choice(options: tuple[str, ...], default: str) -> Callable[[Any], str]:
    def run(value: Any) -> str:
        text = str(value or "").strip().lower() or default
        if text not in options:
            raise ValueError("must be one of " + ", ".join(options))
        return text

    return run


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "first_name": _name,
    "last_name": _name,
    "father_name": _name,
    "org_name": _name,
    "national_id": _optional(identifiers.validate_national_id),
    "legal_id": _optional(identifiers.validate_legal_id),
    "economic_code": _optional(identifiers.validate_economic_code),
    "gender": _choice(GENDERS, "unspecified"),
    "preferred_channel": _choice(CHANNELS, "sms"),
    "language": _choice(LANGUAGES, "fa"),
}


def clean_birth_date(value: dt.date | None, today: dt.date) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError("must be a date")
    if value > today:
        raise ValueError("cannot be in the future")
    if value < EARLIEST_BIRTH_DATE:
        raise ValueError("is before 1900")
    return value


def clean_field(name: str, value: Any, today: dt.date) -> Any:
    """The stored form of one updatable field, or ``ValueError`` (message safe to show)."""
    if name == "birth_date":
        return clean_birth_date(value, today)
    return _CLEANERS[name](value)


def clean_contact_point(raw: ContactPointInput, prefix: str, violations: Violations) -> ContactPoint | None:
    """Validate one contact point; violations are named ``<prefix>.value`` etc."""
    kind = (raw.kind or "").strip().lower()
    if kind not in CONTACT_KINDS:
        violations.add(f"{prefix}.kind", "must be one of " + ", ".join(CONTACT_KINDS))
        return None
    postal_code = ""
    try:
        if kind == "mobile":
            value = identifiers.normalize_mobile(raw.value)
        elif kind == "landline":
            value = identifiers.normalize_landline(raw.value)
        elif kind == "email":
            value = identifiers.normalize_email(raw.value)
        else:
            value = clean_text(raw.value)
            if not value:
                raise ValueError("address line is required")
            if len(value) > 300:
                raise ValueError("at most 300 characters")
    except ValueError as exc:
        violations.add(f"{prefix}.value", str(exc))
        return None
    if kind == "address" and raw.postal_code:
        try:
            postal_code = identifiers.validate_postal_code(raw.postal_code)
        except ValueError as exc:
            violations.add(f"{prefix}.postal_code", str(exc))
            return None
    return ContactPoint(
        kind=kind,
        value=value,
        primary=bool(raw.primary),
        verified=bool(raw.verified),
        province=clean_text(raw.province) if kind == "address" else "",
        city=clean_text(raw.city) if kind == "address" else "",
        postal_code=postal_code,
    )


def clean_contact_points(raws: Iterable[ContactPointInput], violations: Violations) -> list[ContactPoint]:
    """All contact points, refusing repeats and a second primary of the same kind."""
    points: list[ContactPoint] = []
    seen: set[tuple[str, str]] = set()
    primary_kinds: set[str] = set()
    for index, raw in enumerate(raws):
        prefix = f"contact_points[{index}]"
        point = clean_contact_point(raw, prefix, violations)
        if point is None:
            continue
        if point.dedupe_key in seen:
            violations.add(f"{prefix}.value", "duplicate contact point")
            continue
        if point.primary and point.kind in primary_kinds:
            violations.add(f"{prefix}.primary", f"only one primary {point.kind} is allowed")
            continue
        seen.add(point.dedupe_key)
        if point.primary:
            primary_kinds.add(point.kind)
        points.append(point)
    return with_single_primary(points)


def clean_consent(raw: ConsentInput, prefix: str, now: dt.datetime, violations: Violations) -> Consent | None:
    ok = True
    if raw.channel not in CHANNELS:
        violations.add(f"{prefix}.channel", "must be one of " + ", ".join(CHANNELS))
        ok = False
    if raw.purpose not in PURPOSES:
        violations.add(f"{prefix}.purpose", "must be one of " + ", ".join(PURPOSES))
        ok = False
    at = raw.at or now
    if at.tzinfo is None:
        violations.add(f"{prefix}.at", "must be an instant with a time zone")
        ok = False
    elif at > now:
        violations.add(f"{prefix}.at", "cannot be in the future")
        ok = False
    source = clean_text(raw.source) or "unknown"
    return Consent(raw.channel, raw.purpose, bool(raw.granted), source, at) if ok else None


def clean_roles(raws: Iterable[str], violations: Violations, field_name: str = "roles") -> set[str]:
    roles: set[str] = set()
    for index, raw in enumerate(raws):
        role = (raw or "").strip().lower()
        if role not in ROLES:
            violations.add(f"{field_name}[{index}]", "must be one of " + ", ".join(ROLES))
        else:
            roles.add(role)
    return roles


def clean_tags(raws: Iterable[str], violations: Violations, field_name: str = "tags") -> list[str]:
    tags: list[str] = []
    for index, raw in enumerate(raws):
        tag = clean_text(raw)
        if not tag or len(tag) > MAX_TAG_LENGTH:
            violations.add(f"{field_name}[{index}]", f"must be 1 to {MAX_TAG_LENGTH} characters")
        elif tag not in tags:
            tags.append(tag)
    return tags


def _short_code(value: str, field_name: str, violations: Violations, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        violations.add(field_name, "is required")
    elif len(text) > 64 or any(ch.isspace() for ch in text):
        violations.add(field_name, "must be at most 64 characters without spaces")
    return text


def validate_create(cmd: CreatePartyCommand, now: dt.datetime) -> tuple[dict[str, Any], list[FieldViolation]]:
    """Clean every field of ``cmd``; returns the party's constructor fields and all violations."""
    violations = Violations()
    today = tehran_date(now)
    kind = (cmd.kind or "").strip().lower()
    if kind not in KINDS:
        violations.add("kind", "must be one of " + ", ".join(KINDS))
    fields: dict[str, Any] = {"kind": kind}
    fields["customer_number"] = _short_code(cmd.customer_number, "customer_number", violations, required=True)
    own, foreign = (PERSON_FIELDS, ORGANISATION_FIELDS) if kind != "organisation" else (ORGANISATION_FIELDS, PERSON_FIELDS)
    for name in own + ("preferred_channel", "language"):
        try:
            fields[name] = clean_field(name, getattr(cmd, name), today)
        except ValueError as exc:
            violations.add(name, str(exc))
    for name in foreign:
        value = getattr(cmd, name)
        if value not in (None, "", "unspecified"):
            violations.add(name, f"not allowed for a {kind or 'party'}")
    required = ("first_name", "last_name") if kind == "person" else ("org_name",) if kind == "organisation" else ()
    for name in required:
        if name not in {v.field for v in violations.items} and not fields.get(name):
            violations.add(name, "is required")
    fields["agent_id"] = _short_code(cmd.agent_id, "agent_id", violations, required=False)
    fields["branch_code"] = _short_code(cmd.branch_code, "branch_code", violations, required=False)
    fields["roles"] = clean_roles(cmd.roles, violations) or {"prospect"}
    fields["tags"] = clean_tags(cmd.tags, violations)
    fields["contact_points"] = clean_contact_points(cmd.contact_points, violations)
    consents: dict[tuple[str, str], Consent] = {}
    history: list[Consent] = []
    for index, raw in enumerate(cmd.consents):
        consent = clean_consent(raw, f"consents[{index}]", now, violations)
        if consent is None:
            continue
        history.append(consent)
        current = consents.get(consent.key)
        if current is None or consent.at >= current.at:
            consents[consent.key] = consent
    fields["consents"] = consents
    fields["consent_history"] = sorted(history, key=lambda c: c.at)
    return fields, list(violations.items)
