"""Customer use cases: create (with duplicate rules and idempotency), read, update, consent, assignment."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.domain import DomainError, ValidationError
from peyvand_runtime.identity import Caller
from peyvand_runtime.ids import new_id
from pymongo.errors import DuplicateKeyError

from peyvand_customer.adapters.mapping import from_document
from peyvand_customer.adapters.parties import READ, READ_LIGHT, DuplicateOfficialId
from peyvand_customer.adapters.schema import IDEMPOTENCY
from peyvand_customer.domain import duplicates
from peyvand_customer.domain.commands import ContactPointInput, CreatePartyCommand
from peyvand_customer.domain.duplicates import DuplicateProfile, DuplicateWarning
from peyvand_customer.domain.lookup import MOBILE, NAME, full_name_key
from peyvand_customer.domain.party import Party
from peyvand_customer.service_layer.context import MAX_MERGE_HOPS, Context, load_visible, not_found, resolve_merged, sees


@dataclass
class CreateResult:
    party: Party | None
    warnings: list[DuplicateWarning]
    created: bool


def _fingerprint(cmd: CreatePartyCommand) -> str:
    return hashlib.sha256(repr(dataclasses.astuple(dataclasses.replace(cmd, customer_number=""))).encode()).hexdigest()


def default_owner(caller: Caller, cmd: CreatePartyCommand) -> CreatePartyCommand:
    """An agent creates into their own book, staff into their (first) branch, unless told otherwise."""
    if caller.role == "agent" and not cmd.agent_id:
        cmd = dataclasses.replace(cmd, agent_id=caller.agent_id or "")
    if caller.role in ("agent", "staff", "manager") and not cmd.branch_code and caller.branch_codes:
        cmd = dataclasses.replace(cmd, branch_code=caller.branch_codes[0])
    return cmd


def duplicate_error(caller: Caller, existing: Mapping[str, Any] | None, existing_id: str) -> DomainError:
    """CUSTOMER_DUPLICATE; the existing id only when the caller may see that customer."""
    metadata = {"existing_customer_id": existing_id} if existing is not None and sees(caller, existing) else {}
    return DomainError("a customer with this national id already exists", code=duplicates.DUPLICATE, metadata=metadata)


def soft_duplicates(ctx: Context, caller: Caller, party: Party) -> list[DuplicateWarning]:
    """Visible customers sharing a mobile, or the same whole name and birth date."""
    keys = [MOBILE + p.value for p in party.contact_points if p.kind == "mobile"]
    name = full_name_key(party.first_name, party.last_name, party.org_name if party.kind == "organisation" else "")
    if name:
        keys.append(NAME + name)
    others = [d for d in ctx.parties.find_by_keys(keys) if d["_id"] != party.id and d.get("status") == "active" and sees(caller, d)]
    profiles = [DuplicateProfile.from_party(from_document(d)) for d in others]
    warnings = duplicates.duplicate_warnings(party, profiles)
    return [w for w in warnings if {"mobile", "name_birth", "national_id", "legal_id"} & set(w.matched_keys)]


def create_customer(
    ctx: Context, caller: Caller, cmd: CreatePartyCommand, *, override: bool = False, idempotency_key: str = "", channel: str = "api"
) -> CreateResult:
    cmd = default_owner(caller, cmd)
    idem_id, party_id = "", None
    if idempotency_key:
        idem_id = f"create:{caller.principal}:{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}"
        record = ctx.db[IDEMPOTENCY].find_one({"_id": idem_id})
        if record is not None:
            if record["fingerprint"] != _fingerprint(cmd):
                raise DomainError("the idempotency key was used for a different request", code="IDEMPOTENCY_KEY_REUSED")
            existing = ctx.parties.get(record["party_id"])
            if existing is not None:
                return CreateResult(existing, [], True)
            party_id = record["party_id"]  # reserved by a try that stopped before saving
    if not cmd.customer_number:
        cmd = dataclasses.replace(cmd, customer_number="__pending__")
    now = ctx.now()
    party = Party.create(cmd, now=now, by=caller.principal, channel=channel or "api", party_id=party_id)
    if not sees(caller, party):
        raise ValidationError.single("agent_id" if caller.role == "agent" else "branch_code", "outside your scope")
    for key in filter(None, (party.national_id and ctx.parties.key_for_national_id(party.national_id), party.legal_id and ctx.parties.key_for_legal_id(party.legal_id))):
        existing = ctx.parties.find_by_official_key(key)
        if existing is not None:
            raise duplicate_error(caller, existing, existing["_id"])
    if not override:
        warnings = soft_duplicates(ctx, caller, party)
        if warnings:
            return CreateResult(None, warnings, False)
    if party.customer_number == "__pending__":
        party.customer_number = ctx.parties.next_numbers(1)[0]
        events = party.pull_events()
        party.record("customer.created", {**events[0].payload, **party.to_snapshot()})
    if idem_id:
        try:
            ctx.db[IDEMPOTENCY].insert_one({"_id": idem_id, "party_id": party.id, "fingerprint": _fingerprint(cmd), "at": now})
        except DuplicateKeyError:
            return create_customer(ctx, caller, cmd, override=override, idempotency_key=idempotency_key, channel=channel)
    try:
        ctx.parties.save(party, now)
    except DuplicateOfficialId as clash:
        raise duplicate_error(caller, ctx.parties.get_docs([clash.existing_id])[0] if ctx.parties.get_docs([clash.existing_id]) else None, clash.existing_id) from None
    return CreateResult(party, [], True)


def get_customer(ctx: Context, caller: Caller, party_id: str) -> tuple[dict[str, Any], str]:
    """The stored document of the party (or of the survivor it was merged into) and the id asked
    for when it differs. Reads answer from the document: building the aggregate and deriving
    its stored fields again costs more than the store's ``find_one``."""
    doc = _visible_doc(ctx, caller, party_id)
    hops = 0
    while doc.get("status") == "merged" and doc.get("merged_into") and hops < MAX_MERGE_HOPS:
        doc = _visible_doc(ctx, caller, str(doc["merged_into"]))
        hops += 1
    return doc, (party_id if doc["_id"] != party_id else "")


def _visible_doc(ctx: Context, caller: Caller, party_id: str) -> dict[str, Any]:
    doc = ctx.parties.get_doc(party_id, READ) if party_id else None
    if doc is None or not sees(caller, doc):
        raise not_found()
    return doc


def batch_get(ctx: Context, caller: Caller, ids: Iterable[str]) -> list[dict[str, Any]]:
    return [d for d in ctx.parties.get_docs(list(ids)[:500], READ_LIGHT) if sees(caller, d)]


def update_customer(
    ctx: Context,
    caller: Caller,
    party_id: str,
    expected_version: int,
    changes: Mapping[str, Any],
    *,
    override: bool = False,
    channel: str = "api",
) -> tuple[Party, list[DuplicateWarning], bool]:
    """Apply the masked changes in one compare-and-set write (all or nothing)."""
    party = load_visible(ctx, caller, party_id)
    if expected_version and party.version != expected_version:
        from peyvand_runtime.domain import VersionConflict

        raise VersionConflict("the customer was changed by someone else; reload and try again", metadata={"current_version": str(party.version)})
    now, by = ctx.now(), caller.principal
    simple = {k: v for k, v in changes.items() if k not in ("roles", "tags", "contact_points", "agent_id", "branch_code")}
    if simple:
        party.update(simple, by=by, channel=channel, now=now)
    if "roles" in changes:
        wanted = set(changes["roles"])
        party.add_roles(wanted, by=by, channel=channel, now=now)
        party.remove_roles(party.roles - {r.strip().lower() for r in wanted}, by=by, channel=channel, now=now)
    if "tags" in changes:
        party.remove_tags([t for t in party.tags], by=by, channel=channel, now=now)
        party.add_tags(changes["tags"], by=by, channel=channel, now=now)
    if "contact_points" in changes:
        points: list[ContactPointInput] = list(changes["contact_points"])
        party.replace_contact_points(points, by=by, channel=channel, now=now)
    if "agent_id" in changes or "branch_code" in changes:
        party.assign(changes.get("agent_id", party.agent_id), changes.get("branch_code", party.branch_code), by=by, channel=channel, now=now)
        if not sees(caller, party):
            raise ValidationError.single("agent_id", "outside your scope")
    if not party.pending_events:
        return party, [], False
    if not override and ({"contact_points", "first_name", "last_name", "birth_date", "org_name"} & set(changes)):
        warnings = soft_duplicates(ctx, caller, party)
        if warnings:
            return load_visible(ctx, caller, party_id), warnings, False
    try:
        ctx.parties.save(party, now)
    except DuplicateOfficialId as clash:
        docs = ctx.parties.get_docs([clash.existing_id])
        raise duplicate_error(caller, docs[0] if docs else None, clash.existing_id) from None
    return party, [], True


def set_consent(ctx: Context, caller: Caller, party_id: str, channel: str, purpose: str, granted: bool, source: str, at: Any = None) -> tuple[Party, bool]:
    party, _ = resolve_merged(ctx, caller, party_id)
    now = ctx.now()
    changed = party.set_consent(channel, purpose, granted, source=source or caller.principal, now=now, by=caller.principal, at=at)
    if party.pending_events or party._audit:  # an older decision still joins the history
        ctx.parties.save(party, now)
    return party, changed


def assign_customer(ctx: Context, caller: Caller, party_id: str, agent_id: str, branch_code: str, expected_version: int, channel: str = "api") -> Party:
    party = load_visible(ctx, caller, party_id)
    if expected_version and expected_version != party.version:
        from peyvand_runtime.domain import VersionConflict

        raise VersionConflict("the customer was changed by someone else; reload and try again", metadata={"current_version": str(party.version)})
    if party.assign(agent_id, branch_code, by=caller.principal, channel=channel, now=ctx.now()):
        if caller.role not in ("admin", "service", "manager", "staff"):
            raise ValidationError.single("agent_id", "agents cannot reassign customers")
        ctx.parties.save(party, ctx.now())
    return party


def new_interaction_id() -> str:
    return new_id("itx")
