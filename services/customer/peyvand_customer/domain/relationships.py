"""Relationships between parties, kept consistent on both sides, and households of related persons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from peyvand_runtime.domain import DomainError, ValidationError
from peyvand_runtime.ids import is_id

from peyvand_customer.domain.party import Party
from peyvand_customer.domain.values import FAMILY_RELATIONSHIPS, RELATIONSHIP_INVERSE, Relationship

RELATIONSHIP_INVALID = "CUSTOMER_RELATIONSHIP_INVALID"


def _refuse(message: str) -> DomainError:
    return DomainError(message, code=RELATIONSHIP_INVALID)


def _check(party: Party, other: Party, kind: str) -> None:
    """Who may be what to whom.

    Family links (spouse, parent, child, sibling) join two persons. In employment the employee
    is a person and the employer an organisation or a person (a sole trader employing staff).
    """
    if kind not in RELATIONSHIP_INVERSE:
        raise ValidationError.single("kind", "must be one of " + ", ".join(RELATIONSHIP_INVERSE))
    party.ensure_active()
    other.ensure_active()
    if party.id == other.id:
        raise _refuse("a customer cannot be related to itself")
    if kind in FAMILY_RELATIONSHIPS and (party.kind != "person" or other.kind != "person"):
        raise _refuse("family relationships are between persons")
    employee = party if kind == "employer" else other if kind == "employee" else None
    if employee is not None and employee.kind != "person":
        raise _refuse("an employee must be a person")
    if kind in ("parent", "child"):
        parent, child = (other, party) if kind == "parent" else (party, other)
        if parent.birth_date and child.birth_date and parent.birth_date >= child.birth_date:
            raise _refuse("a parent must be born before the child")
    if kind in FAMILY_RELATIONSHIPS:
        existing = {r.kind for r in party.relationships if r.party_id == other.id} & FAMILY_RELATIONSHIPS
        if existing - {kind}:
            raise _refuse("these customers already have a different family relationship")


def link(party: Party, other: Party, kind: str, *, by: str, channel: str, now: dt.datetime) -> bool:
    """Record that ``other`` is ``party``'s ``kind`` and the inverse on ``other``.

    ``link(child, mother, "parent")`` means "mother is child's parent"; mother then lists
    child as her ``child``. Returns False when both sides already say so (no events). Both
    parties must be saved together.
    """
    _check(party, other, kind)
    changed = False
    for side, counterpart, side_kind in ((party, other, kind), (other, party, RELATIONSHIP_INVERSE[kind])):
        relationship = Relationship(side_kind, counterpart.id)
        if relationship not in side.relationships:
            side.relationships = side.relationships + [relationship]
            side.record_change("relationship", ["relationships"], by=by, channel=channel, now=now)
            changed = True
    return changed


def unlink(party: Party, other: Party, kind: str | None = None, *, by: str, channel: str, now: dt.datetime) -> bool:
    """Remove the ``kind`` relationship (or every one when ``kind`` is None) from both sides."""
    if kind is not None and kind not in RELATIONSHIP_INVERSE:
        raise ValidationError.single("kind", "must be one of " + ", ".join(RELATIONSHIP_INVERSE))
    changed = False
    for side, counterpart, side_kind in ((party, other, kind), (other, party, RELATIONSHIP_INVERSE.get(kind or ""))):
        kept = [r for r in side.relationships if not (r.party_id == counterpart.id and (side_kind is None or r.kind == side_kind))]
        if kept != side.relationships:
            side.ensure_active()
            side.relationships = kept
            side.record_change("relationship", ["relationships"], by=by, channel=channel, now=now)
            changed = True
    return changed


def form_household(members: Iterable[Party], household_id: str, *, by: str, channel: str, now: dt.datetime) -> list[Party]:
    """Put persons in one household (``hh_`` id); returns the members whose household changed.

    A household is a marketing and service grouping (one letter per home), so organisations
    are refused; a person is in at most one household and moving them replaces the old one.
    """
    if not is_id(household_id, "hh"):
        raise ValidationError.single("household_id", "must be an hh_ id")
    members = list(members)
    if len({m.id for m in members}) < 2:
        raise _refuse("a household needs at least two different customers")
    for member in members:
        member.ensure_active()
        if member.kind != "person":
            raise _refuse("only persons can form a household")
    changed = [m for m in members if m.household_id != household_id]
    for member in changed:
        member.household_id = household_id
        member.record_change("household", ["household_id"], by=by, channel=channel, now=now)
    return changed


def leave_household(member: Party, *, by: str, channel: str, now: dt.datetime) -> bool:
    """Take a person out of their household (no-op when in none)."""
    member.ensure_active()
    if not member.household_id:
        return False
    member.household_id = ""
    member.record_change("household", ["household_id"], by=by, channel=channel, now=now)
    return True
