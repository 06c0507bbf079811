"""The batch duplicate scan (whole book, blocked) and the scope-filtered candidate list it leaves behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from peyvand_runtime.domain import NotFound
from peyvand_runtime.identity import Caller, scope_filter
from peyvand_runtime.ids import new_id
from prometheus_client import Counter
from pymongo import ASCENDING, UpdateOne

from peyvand_customer.adapters.schema import DUPLICATE_CANDIDATES
from peyvand_customer.domain import duplicates
from peyvand_customer.domain.duplicates import DuplicateProfile, ScanStats
from peyvand_customer.service_layer import paging
from peyvand_customer.service_layer.context import Context, resolve_merged, sees

CANDIDATES = Counter("peyvand_customer_duplicate_candidates_total", "Duplicate candidate pairs found by scans")
PROFILE_FIELDS = {f: 1 for f in ("kind", "first_name", "last_name", "father_name", "birth_date", "national_id", "org_name", "legal_id", "mobiles", "emails", "contact_points", "agent_id", "branch_code")}


def _profiles(ctx: Context, owners: dict[str, tuple[str, str]]) -> Iterator[DuplicateProfile]:
    """Light projections of every active party, streamed in ``_id`` chunks."""
    for doc in ctx.parties.scan({"status": "active"}, PROFILE_FIELDS, chunk=5000):
        owners[doc["_id"]] = (doc.get("agent_id", ""), doc.get("branch_code", ""))
        address = next((p for p in doc.get("contact_points", []) if p["kind"] == "address" and p.get("primary")), None)
        birth = doc.get("birth_date") or ""
        yield DuplicateProfile(
            id=doc["_id"],
            kind=doc.get("kind", "person"),
            first_name=doc.get("first_name", ""),
            last_name=doc.get("last_name", ""),
            father_name=doc.get("father_name", ""),
            birth_date=dt.date.fromisoformat(birth) if birth else None,
            national_id=doc.get("national_id", ""),
            org_name=doc.get("org_name", ""),
            legal_id=doc.get("legal_id", ""),
            mobiles=tuple(doc.get("mobiles", [])),
            emails=tuple(doc.get("emails", [])),
            city=address["city"] if address else "",
        )


def scan_book(ctx: Context, threshold: int = 85, max_block: int = 200) -> tuple[int, ScanStats]:
    """Score the whole book and replace the stored candidates; returns (pairs, stats)."""
    scan_id, now, stats = new_id("imp"), ctx.now(), ScanStats()
    owners: dict[str, tuple[str, str]] = {}
    ops: list[UpdateOne] = []
    found = 0
    for a, b, score, reasons in duplicates.scan(_profiles(ctx, owners), threshold=threshold, max_block=max_block, stats=stats):
        doc = {"a": a, "b": b, "score": score, "reasons": list(reasons), "scan_id": scan_id, "found_at": now}
        doc.update(a_agent=owners[a][0], a_branch=owners[a][1], b_agent=owners[b][0], b_branch=owners[b][1])
        ops.append(UpdateOne({"_id": f"{a}|{b}"}, {"$set": doc}, upsert=True))
        found += 1
        if len(ops) == 1000:
            ctx.db[DUPLICATE_CANDIDATES].bulk_write(ops, ordered=False)
            ops = []
    if ops:
        ctx.db[DUPLICATE_CANDIDATES].bulk_write(ops, ordered=False)
    ctx.db[DUPLICATE_CANDIDATES].delete_many({"scan_id": {"$ne": scan_id}})
    CANDIDATES.inc(found)
    return found, stats


def find_duplicates(ctx: Context, caller: Caller, customer_id: str, min_score: int, size: int, token: str) -> tuple[list[dict[str, Any]], str]:
    """Stored candidates where the caller may see BOTH customers (a pair never reveals an out-of-scope one)."""
    col = ctx.db[DUPLICATE_CANDIDATES]
    scope = scope_filter(caller)
    if scope is None:
        if customer_id:  # one customer's candidates: as out of reach as the customer (marketing)
            raise NotFound("customer not found", code="CUSTOMER_NOT_FOUND")
        return [], ""
    if customer_id:
        party, _ = resolve_merged(ctx, caller, customer_id)
        docs = sorted([*col.find({"a": party.id}), *col.find({"b": party.id})], key=lambda d: d["_id"])
    else:
        after = str(paging.decode(token).get("after", ""))
        if caller.role == "agent":
            queries: list[dict[str, Any]] = [{"a_agent": caller.agent_id}]
        elif "branch_code" in scope:
            queries = [{"a_branch": branch} for branch in scope["branch_code"]["$in"]]
        else:
            queries = [{}]
        docs = []
        for query in queries:
            docs += col.find({**query, "_id": {"$gt": after}}).sort("_id", ASCENDING).limit(size * 5 + 1)
        docs.sort(key=lambda d: d["_id"])
    result = []
    for doc in docs:
        if doc["score"] < min_score:
            continue
        if not (sees(caller, {"agent_id": doc["a_agent"], "branch_code": doc["a_branch"]}) and sees(caller, {"agent_id": doc["b_agent"], "branch_code": doc["b_branch"]})):
            continue
        result.append(doc)
        if len(result) == size:
            return result, ("" if customer_id else paging.encode({"after": doc["_id"]}))
    return result, ""
