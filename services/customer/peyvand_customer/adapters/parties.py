"""The party repository: load and save whole aggregates (compare-and-set + outbox) and look them up by key."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator
from typing import Any

from peyvand_runtime import outbox
from peyvand_runtime.domain import DomainError, ValidationError
from peyvand_runtime.group_commit import BatchedGet
from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from peyvand_customer.adapters.mapping import blind, from_document, official_id_key, to_fields
from peyvand_customer.adapters.schema import AUDIT, COUNTERS, PARTIES, lookup_layout
from peyvand_customer.domain.duplicates import DUPLICATE
from peyvand_customer.domain.lookup import CONTACT_SLOTS, LAYOUT, NAME_SLOTS, SLOTS
from peyvand_customer.domain.party import Party

PRODUCER = "customer"
# Fields a list/search answer needs; the outbox and the consent history stay behind.
LIGHT = {"outbox": 0, "consent_history": 0}
# Stored fields no answer shows: derived lookup keys and bookkeeping. A read that only answers
# (GetCustomer, BatchGetCustomers) leaves them in the store: fewer bytes to encode and decode.
_DERIVED = ("official_id_key", "outbox_pending", "import_id", "mobiles", "emails", "search_tokens", "name_key", *(f"k{i}" for i in range(SLOTS)))
READ = {"outbox": 0, **{name: 0 for name in _DERIVED}}
READ_LIGHT = {**READ, "consent_history": 0}
# What a search reads per candidate: the lookup keys and name fields the merge checks stay.
SEARCH = {**LIGHT, **{name: 0 for name in ("official_id_key", "outbox_pending", "import_id", "mobiles", "emails")}}


def _leave_out(projection: dict[str, int]) -> frozenset[str]:
    """The fields an exclusion projection leaves out (empty for an inclusion projection)."""
    return frozenset(projection) if projection and not any(projection.values()) else frozenset()


def _without(docs: Iterable[dict[str, Any]], fields: frozenset[str]) -> Iterator[dict[str, Any]]:
    for doc in docs:
        for name in fields:
            doc.pop(name, None)
        yield doc


class DuplicateOfficialId(DomainError):
    """Another party already has this national/legal id; ``existing_id`` is for scope checks only."""

    code = DUPLICATE

    def __init__(self, existing_id: str) -> None:
        super().__init__("a customer with this national id already exists")
        self.existing_id = existing_id


class PartyRepository:
    def __init__(self, db: Database, index_key: bytes) -> None:
        self.db = db
        self.col = db[PARTIES]
        self.index_key = index_key
        self._layout, self._layout_read = 0, 0.0
        # Concurrent reads by id (GetCustomer) share one ``_id $in`` find: on the embedded store
        # each command costs far more than each document it returns.
        self._by_id = BatchedGet("customer_parties_by_id", self.col)

    # -- the slot layout ------------------------------------------------------------------
    def layout(self) -> int:
        """The book's lookup-slot layout (schema.LOOKUP_LAYOUT). Once it is current it stays so
        (a migration only moves it forward); until then it is re-read every few seconds."""
        if self._layout != LAYOUT and time.monotonic() - self._layout_read > 5.0:
            self._layout, self._layout_read = lookup_layout(self.db), time.monotonic()
        return self._layout

    def name_slots(self) -> range:
        """The slots a name key may be in: ``NAME_SLOTS``, or all of them while the book is not migrated."""
        return NAME_SLOTS if self.layout() >= 2 else range(SLOTS)

    def contact_slots(self) -> range:
        """The slots a mobile or email key may be in: ``CONTACT_SLOTS``, or 1-7 while the book is not migrated."""
        return CONTACT_SLOTS if self.layout() >= 2 else range(1, SLOTS)

    # -- reading --------------------------------------------------------------------------
    # Answers read whole documents and drop what they do not show here: on the embedded store
    # an exclusion projection costs more than the fields it leaves out (1M parties: find_one
    # by _id p50 1.30 ms whole, 1.45 ms without the derived fields, 1.73 ms without the
    # outbox; a 21-row slot range 6.7 ms whole, 9.4 ms with the search projection).
    # Inclusion projections (a few fields) stay in the query: they are cheaper there.
    def _find(self, query: dict[str, Any], projection: dict[str, int] | None) -> Any:
        fields = _leave_out(projection or {})
        return self.col.find(query, None if fields else projection), fields

    def _find_one(self, query: dict[str, Any], projection: dict[str, int]) -> dict[str, Any] | None:
        fields = _leave_out(projection)
        doc = self.col.find_one(query, None if fields else projection)
        return next(_without([doc], fields)) if doc is not None else None

    def get(self, party_id: str) -> Party | None:
        doc = self._find_one({"_id": party_id}, {"outbox": 0})
        return from_document(doc) if doc else None

    def get_doc(self, party_id: str, projection: dict[str, int] | None = None) -> dict[str, Any] | None:
        """One party for an answer, read with whatever other reads by id are waiting (whole
        documents; an exclusion projection's fields are dropped here)."""
        fields = _leave_out(projection or {"outbox": 0})
        if not fields:
            return self._find_one({"_id": party_id}, projection or {})
        doc = self._by_id.get(party_id)
        if doc is None:
            return None
        return {k: v for k, v in doc.items() if k not in fields}  # a copy: callers of one batch may share a document

    def get_docs(self, ids: Iterable[str], projection: dict[str, int] | None = None) -> list[dict[str, Any]]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        cursor, fields = self._find({"_id": {"$in": wanted}}, projection or LIGHT)
        found = {d["_id"]: d for d in _without(cursor, fields)}
        return [found[i] for i in wanted if i in found]

    def key_for_national_id(self, national_id: str) -> str:
        return "nid:" + blind(self.index_key, "nid", national_id)

    def key_for_legal_id(self, legal_id: str) -> str:
        return "lid:" + blind(self.index_key, "lid", legal_id)

    def find_by_official_key(self, key: str, projection: dict[str, int] | None = None) -> dict[str, Any] | None:
        return self._find_one({"official_id_key": key}, projection or LIGHT)

    def find_by_number(self, number: str, projection: dict[str, int] | None = None) -> dict[str, Any] | None:
        return self._find_one({"customer_number": number}, projection or LIGHT)

    def find_by_keys(self, keys: list[str], extra: dict[str, Any] | None = None, projection: dict[str, int] | None = None) -> list[dict[str, Any]]:
        """Parties holding any of ``keys`` in a lookup slot (one indexed query per slot)."""
        found: dict[str, dict[str, Any]] = {}
        # Equality per key and slot: the embedded store scans the whole collection for ``$in``
        # (and for an ``$or`` of the slots) on any field but ``_id``. A whole-name key always
        # sits in slot 0 (both layouts); mobiles and emails only in the contact slots.
        contact_slots = self.contact_slots()
        for key in dict.fromkeys(keys):
            for slot in range(0, 1) if key.startswith("n:") else contact_slots:
                cursor, fields = self._find({f"k{slot}": key, **(extra or {})}, projection or LIGHT)
                for doc in _without(cursor, fields):
                    found.setdefault(doc["_id"], doc)
        return sorted(found.values(), key=lambda d: d["_id"])

    def slot_range(self, slot: int, bound: dict[str, str], skip: int, limit: int, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Parties whose key in slot ``slot`` lies in ``bound``, in key order (an index range + limit).

        Only the slot is in the range and the sort: adding ``_id`` to either makes the embedded
        store's planner abandon the slot index for a full scan. Ties come in index order.
        """
        field = f"k{slot}"
        cursor, fields = self._find({field: bound, **(extra or {})}, SEARCH)
        return list(_without(cursor.sort(field, ASCENDING).skip(skip).limit(limit), fields))

    def scan(self, query: dict[str, Any], projection: dict[str, int] | None = None, chunk: int = 2000) -> Iterator[dict[str, Any]]:
        """Every matching document in ``_id`` order, fetched in pages (no long-lived cursor).

        Pages are ``sort(_id).skip(n).limit(chunk)``: on the embedded store an ``_id $gt``
        continuation is a full scan per page and a filter on ``status`` alone (nearly every
        party) is a sort of the whole book per page, so either turns a 1M-party scan into hours
        and a single command long enough to time out the driver's heartbeat (ADR 0001). The
        ``status`` equality is therefore checked here; the selective fields (agent, branch) are
        left to the store's indexes. A party inserted behind the position shifts the next page
        back by one: a document whose ``_id`` is not above the last one yielded was yielded
        already and is dropped, so none comes twice. Parties are never deleted (a merge keeps the
        merged one), so a page never skips one."""
        pushed = dict(query)
        status = pushed.pop("status", None)
        if status is not None and not isinstance(status, str):
            pushed["status"] = status  # an operator: left to the store
            status = None
        fields = dict(projection or LIGHT)
        if status is not None and any(fields.values()):
            fields["status"] = 1  # inclusion projection: the field checked here must come back
        skip, last = 0, None
        while True:
            docs = list(self.col.find(pushed, fields).sort("_id", ASCENDING).skip(skip).limit(chunk))
            skip += len(docs)
            for doc in docs:
                if last is not None and doc["_id"] <= last:
                    continue
                last = doc["_id"]
                if status is None or doc.get("status") == status:
                    yield doc
            if len(docs) < chunk:
                return

    # -- writing --------------------------------------------------------------------------
    def save(self, party: Party, now: dt.datetime) -> int:
        """Insert or compare-and-set the whole party with its events; audit entries follow."""
        fields = to_fields(party, self.index_key)
        fields.pop("_id", None)
        events = party.pull_events()
        audit = party.pull_audit()
        try:
            version = outbox.save(self.col, party.id, party.version, fields, events, PRODUCER, now)
        except DuplicateKeyError:
            raise self._clash(party) from None
        party.version = version
        if audit:
            docs = [
                {"_id": f"{party.id}:{version}:{n}", "customer_id": e.customer_id, "action": e.action, "by": e.by, "channel": e.channel, "at": e.at, "fields": list(e.fields)}
                for n, e in enumerate(audit)
            ]
            try:
                self.db[AUDIT].insert_many(docs, ordered=False)
            except Exception:  # noqa: BLE001 - a re-run of the same version already wrote them
                pass
        return version

    def _clash(self, party: Party) -> DomainError:
        key = official_id_key(self.index_key, party.id, party.national_id, party.legal_id)
        existing = self.col.find_one({"official_id_key": key}, {"_id": 1})
        if existing and existing["_id"] != party.id:
            return DuplicateOfficialId(existing["_id"])
        existing = self.col.find_one({"customer_number": party.customer_number}, {"_id": 1})
        if existing and existing["_id"] != party.id:
            return ValidationError.single("customer_number", "already used by another customer")
        return DomainError("the customer already exists", code="CUSTOMER_DUPLICATE")

    def next_numbers(self, count: int, prefix: str = "N") -> list[str]:
        """``count`` new customer numbers (one counter round trip; gaps allowed)."""
        doc = self.db[COUNTERS].find_one_and_update({"_id": "customer_number"}, {"$inc": {"seq": count}}, upsert=True, return_document=ReturnDocument.AFTER)
        last = int(doc["seq"])
        return [f"{prefix}{n:09d}" for n in range(last - count + 1, last + 1)]
