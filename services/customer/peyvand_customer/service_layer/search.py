"""Finding customers: one search box (name prefix, national/legal id, mobile, email, number), lists, changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.domain import ValidationError
from peyvand_runtime.identity import Caller, scope_filter
from peyvand_runtime.tehran_time import to_ascii_digits
from pymongo import ASCENDING

from peyvand_customer.adapters.mapping import stamp
from peyvand_customer.adapters.parties import SEARCH
from peyvand_customer.domain import identifiers
from peyvand_customer.domain.lookup import EMAIL, MOBILE, NAME
from peyvand_customer.domain.persian import compact_name, name_tokens
from peyvand_customer.service_layer import paging
from peyvand_customer.service_layer.context import Context, scoped_queries, sees

MIN_NAME_PREFIX = 1
# Rows one name-search page may pass over (parties out of scope or merged) before it answers
# with what it has and a cursor: bounds the latency of a page.
MAX_SCANNED = 1000
# Rows a slot reads at first, and at most per read once it keeps being consumed.
FIRST_BATCH, MAX_BATCH = 2, 50
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
        doc = ctx.parties.find_by_official_key(key, SEARCH)
        return ([Hit(doc, kind)] if doc and sees(caller, doc) else []), ""
    if kind in ("mobile", "email"):
        docs = ctx.parties.find_by_keys([(MOBILE if kind == "mobile" else EMAIL) + value], projection=SEARCH)
        return [Hit(d, kind) for d in docs if sees(caller, d)][:size], ""
    number = None if token else _by_number(ctx, value)
    hits = [Hit(number, "customer_number")] if number and sees(caller, number) else []
    return _name_search(ctx, caller, value, size, token, hits)


def _by_number(ctx: Context, text: str) -> dict[str, Any] | None:
    """The party whose customer number is ``text`` (as typed, or upper-cased with ASCII digits).

    Only the first page looks; a text no customer number can be (spaces, over 64 characters)
    costs no query, and one that normalisation leaves unchanged costs one, not two.
    """
    if len(text) > 64 or any(ch.isspace() for ch in text):
        return None
    normalised = to_ascii_digits(text).upper()
    found = ctx.parties.find_by_number(normalised, SEARCH)
    if found is None and normalised != text:
        found = ctx.parties.find_by_number(text, SEARCH)
    return found


def _name_search(ctx: Context, caller: Caller, text: str, size: int, token: str, hits: list[Hit]) -> tuple[list[Hit], str]:
    """A page of parties whose lookup keys start with the typed name, in key order.

    Each slot is read as a bounded index range sorted on the slot and limited to about a page
    (``$gte``/``$lt`` + sort + limit: never a scan, whatever share of the book a one-letter
    prefix matches); the slots' answers are merged in (key, slot, position) order. The
    cursor is a position in that order: the last key, its slot, and how many parties with
    that key in that slot were passed (ties keep the store's index order; ``_id`` cannot be
    part of the range without the store dropping the slot index). A party matching in
    several slots is answered at its first position only, so it never shows twice.
    """
    tokens = name_tokens(text)
    compact = compact_name(text)
    if len(compact) < MIN_NAME_PREFIX:
        if hits:
            return hits, ""
        raise ValidationError.single("query", f"type at least {MIN_NAME_PREFIX} letter of a name")
    state = paging.decode(token)
    extra = {"agent_id": caller.agent_id} if caller.role == "agent" else {}
    mode = str(state.get("m", "whole" if len(tokens) > 1 else "lead"))
    # The slots a name key may be in: 0-3 (layout 2), all eight while the book is not migrated.
    names = ctx.parties.name_slots()
    if mode == "whole":
        # "first last…" typed in order is a prefix of the whole-name key (slot 0 only): precise.
        found, cursor = _walk(ctx, caller, NAME + compact, range(1), tokens, compact, size, extra, state, hits)
        if found or cursor or token:
            return hits + found, paging.encode({**cursor, "m": "whole"}) if cursor else ""
        state, mode = {}, "compact"
    if mode == "compact":
        # Several tokens that are one name part typed with spaces or a ZWNJ ("حسین‌زاده",
        # "محمد رضا"): a prefix of the name from a later token on (the other name slots), still
        # precise. Without this step the longest token (a common first name) drives the ranges
        # and the page may pass over hundreds of parties before it fills.
        found, cursor = _walk(ctx, caller, NAME + compact, range(1, names.stop), [compact], compact, size, extra, state, hits)
        if found or cursor or token:
            return hits + found, paging.encode({**cursor, "m": "compact"}) if cursor else ""
        state = {}
    # The longest token drives the ranges; the others (and the whole name typed without
    # spaces) filter what it finds.
    lead = max(tokens, key=len) if len(tokens) > 1 else compact
    found, cursor = _walk(ctx, caller, NAME + lead, names, tokens, compact, size, extra, state, hits)
    return hits + found, paging.encode({**cursor, "m": "lead"}) if cursor else ""


class _SlotReader:
    """One slot's range read in batches from a position: a small first batch, then as many rows
    as the page may still take (``need()``), at least double the last batch (every store read
    costs about three returned documents, so a page reads little more than it shows in few reads)."""

    def __init__(self, ctx: Context, slot: int, prefix: str, cursor: tuple[str, int, int], extra: dict[str, Any], need: Callable[[], int]) -> None:
        self.ctx, self.slot, self.extra, self.need = ctx, slot, extra, need
        self.reads = 0
        self.end = prefix + "\uffff"
        key, cursor_slot, passed = cursor
        if not key:
            self.key, self.skip, self.strict = prefix, 0, False
        elif slot < cursor_slot:
            self.key, self.skip, self.strict = key, 0, True  # every party at ``key`` in this slot was passed
        else:
            self.key, self.skip, self.strict = key, (passed if slot == cursor_slot else 0), False
        self.batch = FIRST_BATCH
        self.buffer: list[tuple[str, int, int, dict[str, Any]]] = []
        self.done = False

    def head(self) -> tuple[str, int, int, dict[str, Any]] | None:
        if not self.buffer and not self.done:
            self._fill()
        return self.buffer[0] if self.buffer else None

    def pop(self) -> None:
        self.buffer.pop(0)

    def _fill(self) -> None:
        bound = {"$gt" if self.strict else "$gte": self.key, "$lt": self.end}
        if self.reads:
            self.batch = min(max(self.batch * 2, self.need()), MAX_BATCH)
        self.reads += 1
        docs = self.ctx.parties.slot_range(self.slot, bound, self.skip, self.batch, self.extra)
        field = f"k{self.slot}"
        for doc in docs:
            key = doc[field]
            if key != self.key or self.strict:
                self.key, self.skip, self.strict = key, 0, False
            self.buffer.append((key, self.slot, self.skip, doc))
            self.skip += 1  # the next read starts after this party (``$gte key`` skipping the ones passed)
        self.done = len(docs) < self.batch


def _walk(
    ctx: Context,
    caller: Caller,
    prefix: str,
    slots: range,
    tokens: list[str],
    compact: str,
    size: int,
    extra: dict[str, Any],
    state: dict[str, Any],
    hits: list[Hit],
) -> tuple[list[Hit], dict[str, Any]]:
    """Merge the slot ranges from the cursor in ``state`` in (key, slot, position) order; (hits, next cursor or {})."""
    key, slot, passed = str(state.get("k", "")), int(state.get("s", -1)), int(state.get("p", 0))
    if key and not key.startswith(prefix):
        raise ValidationError.single("page.page_token", "not a token for this query")
    seen = {h.doc["_id"] for h in hits}
    found: list[Hit] = []
    readers = [_SlotReader(ctx, i, prefix, (key, slot, passed), extra, lambda: size - len(found) + 1) for i in slots]
    walked = 0
    while True:
        heads = [(head, reader) for reader in readers if (head := reader.head()) is not None]
        if not heads:
            return found, {}
        if len(found) == size or walked >= MAX_SCANNED:
            # The page is full (and a row follows), or it passed over a long run of parties the
            # caller may not see: answer what we have with the position reached.
            return found, {"k": key, "s": slot, "p": passed}
        (k, i, position, doc), reader = min(heads, key=lambda h: h[0][:3])
        reader.pop()
        key, slot, passed = k, i, position + 1
        walked += 1
        if doc["_id"] in seen or not _first_match(doc, prefix, k, i, slots):
            continue
        seen.add(doc["_id"])
        if doc.get("status") == "active" and sees(caller, doc) and (len(tokens) < 2 or _all_tokens_match(doc, tokens, compact)):
            found.append(Hit(doc, "name"))


def _first_match(doc: dict[str, Any], prefix: str, key: str, slot: int, slots: range) -> bool:
    """True if (key, slot) is the party's first position in the merge order (so it is answered once)."""
    for i in slots:
        other = doc.get(f"k{i}")
        if other and other.startswith(prefix) and (other, i) < (key, slot):
            return False
    return True


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

