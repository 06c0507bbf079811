"""Merging a duplicate customer into a survivor: fill gaps, unite contacts and consent, re-point links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from peyvand_runtime.domain import DomainError

from peyvand_customer.domain.party import Party
from peyvand_customer.domain.values import Consent, ContactPoint, Relationship, iso_instant, with_single_primary

MERGE_INVALID = "CUSTOMER_MERGE_INVALID"

# Filled from the merged party when the survivor has nothing; the survivor's values always win.
_FILLABLE = ("first_name", "last_name", "father_name", "national_id", "birth_date", "org_name", "legal_id", "economic_code", "household_id")


@dataclass(frozen=True)
class MergeResult:
    """What a merge did; ``merged`` is False for a repeated merge (nothing changed, no events)."""

    survivor: Party
    other: Party
    merged: bool
    changed_fields: tuple[str, ...] = ()
    related_changed: tuple[Party, ...] = ()


def _refuse(message: str) -> DomainError:
    return DomainError(message, code=MERGE_INVALID)


def _check(survivor: Party, other: Party) -> None:
    if survivor.id == other.id:
        raise _refuse("a customer cannot be merged into itself")
    if survivor.status != "active":
        raise _refuse("the surviving customer was itself merged")
    if other.status != "active":
        raise _refuse("the customer was already merged into another customer")
    if survivor.kind != other.kind:
        raise _refuse("a person and an organisation cannot be merged")
    # Two different official ids are two different people (twins share everything else).
    for name in ("national_id", "legal_id"):
        mine, theirs = getattr(survivor, name), getattr(other, name)
        if mine and theirs and mine != theirs:
            raise _refuse(f"the customers have different {name.replace('_', ' ')}s")


def _united_contacts(survivor: list[ContactPoint], other: list[ContactPoint]) -> list[ContactPoint]:
    """Union by canonical value; the survivor's primary of a kind stays primary."""
    points = list(survivor)
    index = {p.dedupe_key: i for i, p in enumerate(points)}
    for point in other:
        at = index.get(point.dedupe_key)
        if at is None:
            index[point.dedupe_key] = len(points)
            points.append(point)
        elif point.verified and not points[at].verified:
            points[at] = replace(points[at], verified=True)
    return with_single_primary(points)


def _united_consents(survivor: Party, other: Party) -> tuple[dict[tuple[str, str], Consent], list[Consent]]:
    """Per channel and purpose the most recent decision wins (the survivor's on a tie)."""
    current = dict(survivor.consents)
    for key, consent in other.consents.items():
        mine = current.get(key)
        if mine is None or consent.at > mine.at:
            current[key] = consent
    history = list(survivor.consent_history)
    history += [c for c in other.consent_history if c not in history]
    history.sort(key=lambda c: c.at)
    return current, history


def _repointed(relationships: list[Relationship], old_id: str, new_id: str, own_id: str) -> list[Relationship]:
    result: list[Relationship] = []
    for rel in relationships:
        rel = Relationship(rel.kind, new_id) if rel.party_id == old_id else rel
        if rel.party_id != own_id and rel not in result:
            result.append(rel)
    return result


def merge(
    survivor: Party, other: Party, *, now: dt.datetime, by: str, channel: str = "merge", related: Iterable[Party] = ()
) -> MergeResult:
    """Merge ``other`` into ``survivor``.

    ``related`` are the parties whose relationships point at ``other`` (the adapter looks them
    up); they are re-pointed at the survivor and returned in ``related_changed`` for saving.
    Merging the same pair again is a no-op; merging into itself or into/from a merged party
    raises ``DomainError`` with code ``CUSTOMER_MERGE_INVALID``.
    """
    if other.status == "merged" and other.merged_into == survivor.id and survivor.status == "active":
        return MergeResult(survivor, other, merged=False)
    _check(survivor, other)

    changed: list[str] = [name for name in _FILLABLE if not getattr(survivor, name) and getattr(other, name)]
    for name in changed:
        setattr(survivor, name, getattr(other, name))
    if survivor.gender == "unspecified" and other.gender != "unspecified":
        survivor.gender = other.gender
        changed.append("gender")
    if not survivor.agent_id and other.agent_id:
        survivor.agent_id, survivor.branch_code = other.agent_id, other.branch_code or survivor.branch_code
        changed.append("agent_id")

    united = {
        "contact_points": _united_contacts(survivor.contact_points, other.contact_points),
        "roles": survivor.roles | other.roles,
        "tags": survivor.tags + [t for t in other.tags if t not in survivor.tags],
        "relationships": _repointed(survivor.relationships + other.relationships, other.id, survivor.id, survivor.id),
    }
    consents, history = _united_consents(survivor, other)
    if consents != survivor.consents:
        changed.append("consents")
    survivor.consents, survivor.consent_history = consents, history
    for name, value in united.items():
        if value != getattr(survivor, name):
            setattr(survivor, name, value)
            changed.append(name)
    changed.sort()

    related_changed: list[Party] = []
    for party in related:
        if party.id in (survivor.id, other.id):
            continue
        repointed = _repointed(party.relationships, other.id, survivor.id, party.id)
        if repointed != party.relationships:
            party.relationships = repointed
            party.record_change("relationship", ["relationships"], by=by, channel=channel, now=now)
            related_changed.append(party)

    other.status, other.merged_into, other.relationships, other.updated_at = "merged", survivor.id, [], now
    survivor.merged_from = survivor.merged_from + [i for i in (other.id, *other.merged_from) if i not in survivor.merged_from]
    other.add_audit("merged_into", by, channel, now, ["status", "merged_into"])
    if changed:
        survivor.record_change("merge", changed, by=by, channel=channel, now=now)
    else:
        survivor.add_audit("merge", by, channel, now, [])
    survivor.record(
        "customer.merged",
        {
            "survivor_id": survivor.id,
            "merged_id": other.id,
            "survivor_customer_number": survivor.customer_number,
            "merged_customer_number": other.customer_number,
            "changed_fields": changed,
            "at": iso_instant(now),
        },
    )
    return MergeResult(survivor, other, merged=True, changed_fields=tuple(changed), related_changed=tuple(related_changed))
