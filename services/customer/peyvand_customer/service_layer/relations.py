"""Relationships (two parties saved in a fixed order, re-runnable) and merges of duplicate customers."""

from __future__ import annotations

from typing import Any

from peyvand_runtime.domain import ValidationError, VersionConflict
from peyvand_runtime.identity import Caller
from peyvand_runtime.ids import new_id
from prometheus_client import Counter

from peyvand_customer.adapters.mapping import from_document
from peyvand_customer.adapters.parties import LIGHT
from peyvand_customer.domain import merge as merging
from peyvand_customer.domain import relationships
from peyvand_customer.domain.party import Party
from peyvand_customer.service_layer.context import Context, load_visible, sees

MERGES = Counter("peyvand_customer_merges_total", "Customers merged into another customer")
ATTEMPTS = 3


def link(ctx: Context, caller: Caller, party_id: str, other_id: str, kind: str, channel: str = "api") -> Party:
    """``other`` is ``party``'s ``kind``; both sides are written.

    The two documents cannot be written atomically, so the caller's side is saved first and
    the other side second; each save is a compare-and-set. If the second save loses a race
    it is retried on a fresh copy, and if the process dies in between, running the same
    request again finds the first side done and completes the second (``link`` only adds
    what is missing). The one-sided state is visible for that moment only.
    """
    return _both_sides(ctx, caller, party_id, other_id, lambda a, b, now: relationships.link(a, b, kind, by=caller.principal, channel=channel, now=now))


def unlink(ctx: Context, caller: Caller, party_id: str, other_id: str, kind: str | None, channel: str = "api") -> Party:
    return _both_sides(ctx, caller, party_id, other_id, lambda a, b, now: relationships.unlink(a, b, kind or None, by=caller.principal, channel=channel, now=now))


def _both_sides(ctx: Context, caller: Caller, party_id: str, other_id: str, change) -> Party:  # type: ignore[no-untyped-def]
    for attempt in range(ATTEMPTS):
        party = load_visible(ctx, caller, party_id)
        other = load_visible(ctx, caller, other_id)
        now = ctx.now()
        change(party, other, now)
        try:
            if party.pending_events:
                ctx.parties.save(party, now)
            if other.pending_events:
                ctx.parties.save(other, now)
            return party
        except VersionConflict:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def merge(ctx: Context, caller: Caller, survivor_id: str, merged_id: str, channel: str = "merge") -> tuple[Party, bool]:
    """Merge ``merged_id`` into ``survivor_id``; a repeat is a harmless no-op.

    Order: survivor first (it gains contacts/consents and records ``customer.merged``), then
    the merged party (status merged), then parties whose relationships pointed at it. A crash
    after the survivor leaves the other still active, so re-running the merge completes it
    (the survivor's unions are idempotent); saving the other first would instead make a
    re-run a no-op that never fills the survivor.
    """
    survivor = load_visible(ctx, caller, survivor_id)
    other = load_visible(ctx, caller, merged_id)
    related_ids = {r.party_id for r in other.relationships} - {survivor.id, other.id}
    related = [from_document(d) for d in ctx.parties.get_docs(related_ids)]
    now = ctx.now()
    result = merging.merge(survivor, other, now=now, by=caller.principal, channel=channel, related=related)
    if not result.merged:
        return survivor, False
    ctx.parties.save(survivor, now)
    ctx.parties.save(other, now)
    for party in result.related_changed:
        try:
            ctx.parties.save(party, now)
        except VersionConflict:
            pass  # its own writer won; the dangling link points at a merged id, which reads resolve
    MERGES.inc()
    return survivor, True


def visible_or_none(caller: Caller, party: Party) -> Party | None:
    return party if sees(caller, party) else None


HOUSEHOLD_LIMIT = 50  # a household is a home, not a list: more members than this is a data error


def set_household(ctx: Context, caller: Caller, member_ids: list[str], household_id: str, channel: str = "api") -> tuple[str, list[Party]]:
    """Put the persons in one household (a new ``hh_`` id unless one is given); every member must be visible.

    Members are saved one by one in request order (compare-and-set each, retried on a
    conflict); re-running the same request completes a half-done one and changes nothing after.
    """
    ids = list(dict.fromkeys(i for i in member_ids if i))
    if len(ids) > HOUSEHOLD_LIMIT:
        raise ValidationError.single("customer_ids", f"at most {HOUSEHOLD_LIMIT} members")
    target = household_id or new_id("hh")
    if household_id and not ctx.parties.col.find_one({"household_id": household_id}, {"_id": 1}):
        raise ValidationError.single("household_id", "no such household")
    for attempt in range(ATTEMPTS):
        members = [load_visible(ctx, caller, i) for i in ids]
        now = ctx.now()
        changed = relationships.form_household(members, target, by=caller.principal, channel=channel, now=now)
        try:
            for member in changed:
                ctx.parties.save(member, now)
            return target, members
        except VersionConflict:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def list_household(ctx: Context, caller: Caller, party_id: str) -> tuple[str, list[dict[str, Any]]]:
    party = load_visible(ctx, caller, party_id)
    if not party.household_id:
        return "", []
    docs = ctx.parties.col.find({"household_id": party.household_id, "status": "active"}, LIGHT).limit(HOUSEHOLD_LIMIT)
    return party.household_id, sorted((d for d in docs if sees(caller, d)), key=lambda d: d["_id"])


def leave_household(ctx: Context, caller: Caller, party_id: str, channel: str = "api") -> Party:
    for attempt in range(ATTEMPTS):
        party = load_visible(ctx, caller, party_id)
        now = ctx.now()
        if not relationships.leave_household(party, by=caller.principal, channel=channel, now=now):
            return party
        try:
            ctx.parties.save(party, now)
            return party
        except VersionConflict:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
