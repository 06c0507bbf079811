"""What every customer use case needs: the database, the repository, a clock and scope checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peyvand_runtime.domain import NotFound
from peyvand_runtime.identity import Caller, can_see_record
from peyvand_runtime.tehran_time import utc_now
from pymongo.database import Database

from peyvand_customer.adapters.parties import PartyRepository
from peyvand_customer.domain.party import Party

NOT_FOUND = "CUSTOMER_NOT_FOUND"
MAX_MERGE_HOPS = 5


@dataclass
class Context:
    db: Database
    index_key: bytes
    clock: Callable[[], dt.datetime] = field(default=utc_now)

    def __post_init__(self) -> None:
        self.parties = PartyRepository(self.db, self.index_key)

    def now(self) -> dt.datetime:
        # Stored instants have millisecond precision: keep ours the same so cursors compare exactly.
        now = self.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)


def not_found() -> NotFound:
    return NotFound("customer not found", code=NOT_FOUND)


def sees(caller: Caller, record: Party | dict[str, Any]) -> bool:
    if isinstance(record, Party):
        agent, branch = record.agent_id, record.branch_code
    else:
        agent, branch = record.get("agent_id", ""), record.get("branch_code", "")
    return can_see_record(caller, agent or None, branch or None)


def load_visible(ctx: Context, caller: Caller, party_id: str) -> Party:
    """The party if it exists and the caller may see it; NOT_FOUND otherwise (reads and writes)."""
    party = ctx.parties.get(party_id) if party_id else None
    if party is None or not sees(caller, party):
        raise not_found()
    return party


def resolve_merged(ctx: Context, caller: Caller, party_id: str) -> tuple[Party, str]:
    """Follow ``merged_into`` to the surviving party; returns it and the id asked for if it differs."""
    party = load_visible(ctx, caller, party_id)
    hops = 0
    while party.status == "merged" and party.merged_into and hops < MAX_MERGE_HOPS:
        party = load_visible(ctx, caller, party.merged_into)
        hops += 1
    return party, (party_id if party.id != party_id else "")


def scoped_queries(scope: dict[str, Any], query: dict[str, Any]) -> list[dict[str, Any]]:
    """``query`` within ``scope`` as equality queries (one per branch of a multi-branch scope).

    ``scope_filter`` gives ``{"branch_code": {"$in": [...]}}`` for staff and managers; the
    embedded store answers ``$in`` on any field but ``_id`` with a full scan, so callers run
    one indexed query per branch and merge the (``_id``- or time-ordered) results.
    """
    branches = scope.get("branch_code", {}).get("$in") if isinstance(scope.get("branch_code"), dict) else None
    if branches is None:
        return [{**query, **scope}]
    if "branch_code" in query:
        return [query] if query["branch_code"] in branches else []
    return [{**query, "branch_code": branch} for branch in branches]
