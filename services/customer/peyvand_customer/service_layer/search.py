"""Finding customers: one search box (name prefix, national/legal id, mobile, email, number), lists, changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.domain import ValidationError
from peyvand_runtime.identity import Caller, scope_filter
from peyvand_runtime.tehran_time import to_ascii_digits
from pymongo import ASCENDING

from peyvand_customer.adapters.mapping import stamp
from peyvand_customer.domain import identifiers
from peyvand_customer.domain.lookup import EMAIL, MOBILE, NAME
from peyvand_customer.domain.persian import compact_name, name_tokens
from peyvand_customer.service_layer import paging
from peyvand_customer.service_layer.context import Context, scoped_queries, sees

MIN_NAME_PREFIX = 2
SCAN_BATCH = 200
# Per-slot cap on ids a name prefix collects: a prefix matching more asks for more letters
# (the store returns whole documents even for an _id projection, so this bounds latency).
MAX_SCANNED = 1000
# Writes commit within milliseconds of their ``updated_at``; holding the sync horizon this far
# behind "now" keeps a slow writer's change from slipping behind a client's token.
CHANGES_SETTLE = dt.timedelta(seconds=2)


@dataclass
class Hit:
    doc: dict[str, Any]
    matched_on: str


def classify(query: str) -> tuple[str, str]:
    """What the text in the search box is: (kind, normalised value)."""
    text = query.strip()
    digits = identifiers.digits_only(text)
    if digits.isdigit() and len(digits) == 10:
        try:
            return "national_id", identifiers.validate_national_id(digits)
        except ValueError:
            pass
    if digits.isdigit() and len(digits) == 11 and digits.startswith("1"):
        try:
            return "legal_id", identifiers.validate_legal_id(digits)
        except ValueError:
            pass
    try:
        return "mobile", identifiers.normalize_mobile(text)
    except ValueError:
        pass
    if "@" in text:
        try:
            return "email", identifiers.normalize_email(text)
        except ValueError:
            raise ValidationError.single("query", "not a valid email address") from None
    return "name", text


def search(ctx: Context, caller: Caller, query: str, size: int, token: str) -> tuple[list[Hit], str]:
    scope = scope_filter(caller)
    if scope is None or not query.strip():
        if not query.strip():
            raise ValidationError.single("query", "is required")
        return [], ""
    kind, value = classify(query)
    if kind in ("national_id", "legal_id"):
        key = ctx.parties.key_for_national_id(value) if kind == "national_id" else ctx.parties.key_for_legal_id(value)
        doc = ctx.parties.find_by_official_key(key)
        return ([Hit(doc, kind)] if doc and sees(caller, doc) else []), ""
    if kind in ("mobile", "email"):
        docs = ctx.parties.find_by_keys([(MOBILE if kind == "mobile" else EMAIL) + value])
        return [Hit(d, kind) for d in docs if sees(caller, d)][:size], ""
    number = ctx.parties.find_by_number(to_ascii_digits(value).upper()) or ctx.parties.find_by_number(value)
    hits = [Hit(number, "customer_number")] if number and sees(caller, number) and not token else []
    return _name_search(ctx, caller, value, size, token, hits)


def _name_search(ctx: Context, caller: Caller, text: str, size: int, token: str, hits: list[Hit]) -> tuple[list[Hit], str]:
    tokens = name_tokens(text)
    compact = compact_name(text)
    if len(compact) < MIN_NAME_PREFIX:
        if hits:
            return hits, ""
        raise ValidationError.single("query", f"type at least {MIN_NAME_PREFIX} letters of a name")
    # The longest token drives the indexed range; the others (and the whole name typed
    # without spaces) filter what it finds.
    lead = max(tokens, key=len) if len(tokens) > 1 else compact
    extra = {"agent_id": caller.agent_id} if caller.role == "agent" else {}
    after = str(paging.decode(token).get("after", ""))
    ids: list[str] = []
    if len(tokens) > 1:
        # "first last…" typed in order is a prefix of the whole-name key (slot 0 only): precise.
        ids, _capped = ctx.parties.prefix_ids(NAME + compact, MAX_SCANNED, extra, slots=1)
    if not ids:
        ids, _capped = ctx.parties.prefix_ids(NAME + lead, MAX_SCANNED, extra)
    ids = [i for i in ids if i > after]
    found: list[Hit] = []
    seen = {h.doc["_id"] for h in hits}
    position = 0
    while len(found) < size + 1 and position < len(ids):
        chunk = ids[position : position + SCAN_BATCH]
        position += len(chunk)
        for doc in ctx.parties.get_docs(chunk):
            if doc["_id"] in seen or doc.get("status") != "active" or not sees(caller, doc):
                continue
            if len(tokens) > 1 and not _all_tokens_match(doc, tokens, compact):
                continue
            found.append(Hit(doc, "name"))
            if len(found) == size + 1:
                break
    next_token = ""
    if len(found) > size:
        found = found[:size]
        next_token = paging.encode({"after": found[-1].doc["_id"]})
    return hits + found, next_token


def _all_tokens_match(doc: dict[str, Any], tokens: list[str], compact: str) -> bool:
    stored = doc.get("search_tokens", [])
    if doc.get("name_key", "").startswith(compact):
        return True
    return all(any(s.startswith(t) for s in stored) for t in tokens)


def list_customers(ctx: Context, caller: Caller, agent_id: str, branch_code: str, role: str, size: int, token: str) -> tuple[list[dict[str, Any]], str]:
    scope = scope_filter(caller)
    if scope is None:
        return [], ""
    query: dict[str, Any] = {"status": "active"}
    if agent_id:
        if scope.get("agent_id", agent_id) != agent_id:
            return [], ""
        query["agent_id"] = agent_id
    if branch_code:
        query["branch_code"] = branch_code
    if role:
        query["roles"] = role  # array equality: never indexed (the embedded store cannot index arrays)
    after = str(paging.decode(token).get("after", ""))
    if after:
        query["_id"] = {"$gt": after}
    docs: list[dict[str, Any]] = []
    for q in scoped_queries(scope, query):
        docs += ctx.parties.col.find(q, {"outbox": 0, "consent_history": 0}).sort("_id", ASCENDING).limit(size + 1)
    docs = sorted((d for d in docs if sees(caller, d)), key=lambda d: d["_id"])
    if len(docs) > size:
        docs = docs[:size]
        return docs, paging.encode({"after": docs[-1]["_id"]})
    return docs, ""


def list_changes(ctx: Context, caller: Caller, token: str, size: int) -> tuple[list[dict[str, Any]], str, bool]:
    """Customers in scope changed after the token, oldest change first (merged ones included)."""
    scope = scope_filter(caller)
    if scope is None:
        return [], token, False
    state = paging.decode(token, "since_token")
    since = str(state.get("t", ""))
    last_id = str(state.get("id", ""))
    horizon = stamp(ctx.now() - CHANGES_SETTLE)
    projection = {"outbox": 0, "consent_history": 0}
    docs: list[dict[str, Any]] = []
    for q in scoped_queries(scope, {"updated_at": since, "_id": {"$gt": last_id}}):
        docs += ctx.parties.col.find(q, projection).sort("_id", ASCENDING).limit(size + 1)
    docs.sort(key=lambda d: d["_id"])
    if len(docs) <= size:
        later: list[dict[str, Any]] = []
        for q in scoped_queries(scope, {"updated_at": {"$gt": since, "$lte": horizon}}):
            later += ctx.parties.col.find(q, projection).sort([("updated_at", ASCENDING), ("_id", ASCENDING)]).limit(size + 1 - len(docs))
        docs += sorted(later, key=lambda d: (d["updated_at"], d["_id"]))
    docs = [d for d in docs if d["updated_at"] <= horizon]
    has_more = len(docs) > size
    docs = docs[:size]
    state = {"t": docs[-1]["updated_at"], "id": docs[-1]["_id"]} if docs else {"t": since, "id": last_id}
    return docs, paging.encode(state), has_more

