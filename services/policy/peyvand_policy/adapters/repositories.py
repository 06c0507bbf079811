"""Repositories: load and save Policy and Quote aggregates (compare-and-set, outbox); numbers are in ``adapters.numbers``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pymongo
from peyvand_runtime import outbox
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from peyvand_policy.adapters.documents import PARTIES, POLICIES, QUOTES, STATS
from peyvand_policy.adapters.mapping import day_key, policy_fields, policy_from_doc, quote_fields, quote_from_doc
from peyvand_policy.adapters.status_counts import count_status_change
from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.quote import Quote

PRODUCER = "policy"


class PolicyRepository:
    def __init__(self, database: Database) -> None:
        self.collection = database[POLICIES]
        self.parties = database[PARTIES]
        self.stats = database[STATS]

    def get(self, policy_id: str) -> Policy | None:
        doc = self.collection.find_one({"_id": policy_id}, {outbox.OUTBOX: 0})
        return _loaded(doc) if doc else None

    def get_by_number(self, policy_number: str) -> Policy | None:
        doc = self.collection.find_one({"policy_number": policy_number}, {outbox.OUTBOX: 0})
        return _loaded(doc) if doc else None

    def get_by_idempotency_key(self, key: str) -> Policy | None:
        doc = self.collection.find_one({"issue_idempotency_key": key}, {outbox.OUTBOX: 0})
        return _loaded(doc) if doc else None

    def renewal_of(self, policy_id: str) -> Policy | None:
        """The next term issued from this one, if any (also half-finished renewals)."""
        doc = self.collection.find_one({"renewal_of": policy_id}, {outbox.OUTBOX: 0})
        return _loaded(doc) if doc else None

    def add(self, policy: Policy, now: dt.datetime, extra: Mapping[str, Any] | None = None) -> None:
        """Insert a new policy at version 1 with its events (DuplicateKeyError if the id or number exists)."""
        fields = {**policy_fields(policy), **dict(extra or {}), "created_at": now, "updated_at": now}
        self.link_parties(policy)
        policy.version = outbox.insert_new(self.collection, policy.id, fields, policy.pull_events(), PRODUCER, now)
        count_status_change(self.stats, policy.product_code, None, policy.status)
        policy.__dict__[_STORED_STATUS] = policy.status

    def save(self, policy: Policy, now: dt.datetime) -> None:
        """Compare-and-set on the loaded version; ``VersionConflict`` when someone wrote first."""
        fields = {**policy_fields(policy), "updated_at": now}
        self.link_parties(policy)
        policy.version = outbox.update_versioned(self.collection, policy.id, policy.version, fields, policy.pull_events(), PRODUCER, now)
        stored = policy.__dict__.get(_STORED_STATUS)
        if stored is not None and stored != policy.status:
            count_status_change(self.stats, policy.product_code, stored, policy.status)
        policy.__dict__[_STORED_STATUS] = policy.status

    def save_renewal_notice(self, policy: Policy, now: dt.datetime) -> None:
        """Only the fields a renewal notice changes, compare-and-set (the job's hot path)."""
        from peyvand_policy.adapters.mapping import notice_key

        fields = {
            "renewal_notices": sorted(notice_key(te, w) for te, w in policy.renewal_notices),
            "renewal_quote_id": policy.renewal_quote_id,
            "updated_at": now,
        }
        policy.version = outbox.update_versioned(self.collection, policy.id, policy.version, fields, policy.pull_events(), PRODUCER, now)

    def save_renewal_notices(self, policies: list[Policy], now: dt.datetime) -> set[str]:
        """The batched ``save_renewal_notice`` (see ``save_many_versioned``); returns the ids whose
        write did NOT land."""
        from peyvand_policy.adapters.mapping import notice_key

        return self.save_many_versioned(policies, now, lambda policy: {
            "renewal_notices": sorted(notice_key(te, w) for te, w in policy.renewal_notices),
            "renewal_quote_id": policy.renewal_quote_id,
            "updated_at": now,
        })

    def save_many(self, policies: list[Policy], now: dt.datetime) -> set[str]:
        """The batched ``save`` for changes that keep the parties (a job's status changes): whole
        fields, compare-and-set, status counters bumped for the writes that landed. Returns the
        ids whose write did NOT land."""
        missed = self.save_many_versioned(policies, now, lambda policy: {**policy_fields(policy), "updated_at": now})
        moves: dict[tuple[str, str, str], int] = {}
        for policy in policies:
            if policy.id in missed:
                continue
            stored = policy.__dict__.get(_STORED_STATUS)
            if stored is not None and stored != policy.status:
                key = (policy.product_code, stored, policy.status)
                moves[key] = moves.get(key, 0) + 1
            policy.__dict__[_STORED_STATUS] = policy.status
        for (product, old, new), count in moves.items():
            count_status_change(self.stats, product, old, new, by=count)
        return missed

    def save_many_versioned(self, policies: list[Policy], now: dt.datetime,
                            fields_of: Callable[[Policy], dict[str, Any]]) -> set[str]:
        """ONE ``bulk_write`` of compare-and-set updates, each the document shape
        ``outbox.update_versioned`` writes (``$set`` fields + ``version: v+1`` + ``outbox_pending: 1``,
        ``$push outbox $each``). Returns the ids whose write did NOT land (someone wrote first);
        the others get their new version.

        A bulk result only counts matches, so when fewer than all matched the ids are re-read:
        a write landed iff the document is at ``v+1`` and holds one of its envelopes' event ids
        (a concurrent replica writing the same change and version has other event ids). If the
        relay pulled our envelope in between, the write is reported as not landed: the caller's
        retry then finds the change made and counts it as already done — never a second event.
        """
        if not policies:
            return set()
        ops, event_ids = [], {}
        for policy in policies:
            new_version = policy.version + 1
            pending = outbox.envelopes(policy.pull_events(), PRODUCER, now, new_version)
            event_ids[policy.id] = [_event_id(raw) for raw in pending]
            update: dict[str, Any] = {"$set": {**fields_of(policy), "version": new_version}}
            if pending:
                update["$set"][outbox.PENDING] = 1
                update["$push"] = {outbox.OUTBOX: {"$each": pending}}
            ops.append(UpdateOne({"_id": policy.id, "version": policy.version}, update))
        result = self.collection.bulk_write(ops, ordered=False)
        missed: set[str] = set()
        if result.matched_count < len(ops):
            stored = {d["_id"]: d for d in self.collection.find({"_id": {"$in": [p.id for p in policies]}},
                                                                  {"version": 1, outbox.OUTBOX: 1})}
            for policy in policies:
                doc = stored.get(policy.id) or {}
                held = " ".join(doc.get(outbox.OUTBOX) or ())
                ids = event_ids[policy.id]
                landed = int(doc.get("version", 0)) == policy.version + 1 and (not ids or any(i in held for i in ids))
                if not landed:
                    missed.add(policy.id)
        for policy in policies:
            if policy.id not in missed:
                policy.version += 1
        return missed

    def renewals_of(self, policy_ids: list[str]) -> dict[str, Policy]:
        """The next terms issued from these policies, by old policy id (see ``renewal_of``)."""
        if not policy_ids:
            return {}
        return {doc["renewal_of"]: _loaded(doc)
                for doc in self.collection.find({"renewal_of": {"$in": list(policy_ids)}}, {outbox.OUTBOX: 0})}

    @staticmethod
    def from_stored(doc: dict[str, Any]) -> Policy:
        """A policy from a whole document read from this collection (e.g. a ``scan_day`` page
        read without projection): as ``get`` would load it."""
        return _loaded(doc)

    def get_many(self, ids: list[str]) -> dict[str, Policy]:
        if not ids:
            return {}
        return {doc["_id"]: _loaded(doc) for doc in self.collection.find({"_id": {"$in": list(ids)}}, {outbox.OUTBOX: 0})}

    def find(self, query: dict[str, Any], sort: list[tuple[str, int]], limit: int) -> list[Policy]:
        cursor = self.collection.find(query, {outbox.OUTBOX: 0}).sort(sort).limit(limit)
        return [_loaded(doc) for doc in cursor]

    def link_parties(self, policy: Policy) -> None:
        """Record the insured people other than the holder in ``policy_parties`` BEFORE the policy
        write: a link may outlive a change (readers re-check the policy), but a policy never lacks
        one. The holder needs no link: ``holder_id`` is a scalar with its own index."""
        links = [UpdateOne({"_id": link["_id"]}, {"$setOnInsert": {"customer_id": link["customer_id"], "policy_id": policy.id}},
                           upsert=True) for link in party_links(policy)]
        if links:
            self.parties.bulk_write(links, ordered=False)

    def policies_for_customer(self, customer_id: str) -> list[Policy]:
        """Policies the customer is or was holder or insured on (check the roles on the policy):
        those held, by the ``holder_id`` index, and those linked in ``policy_parties`` (insured
        people; links of holders written before the index was read), read by ``_id`` alone.

        ``_id $in`` alone: with an ``$or`` beside it nx-27017 scans the whole collection; an index
        on the ``insured_ids`` array breaks equality queries there (ADR 0001).
        """
        held = {doc["_id"]: doc for doc in self.collection.find({"holder_id": customer_id}, {outbox.OUTBOX: 0})}
        linked = [d["policy_id"] for d in self.parties.find({"customer_id": customer_id}, {"policy_id": 1}) if d["policy_id"] not in held]
        if linked:
            held.update((doc["_id"], doc) for doc in self.collection.find({"_id": {"$in": linked}}, {outbox.OUTBOX: 0}))
        return [_loaded(doc) for doc in held.values()]

    def ids_for_customer(self, customer_id: str) -> list[str]:
        """Policies where the customer is holder or insured now."""
        return [p.id for p in self.policies_for_customer(customer_id) if customer_id in (p.holder_id, *p.insured_ids)]

    def scan_day(self, term_end: dt.date, projection: Mapping[str, int] | Callable[[], Mapping[str, int] | None],
                 page_size: int, extra: Mapping[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Pages of policies ending on ``term_end`` (integer index ``term_end_key``) that also match
        the equality filters ``extra`` (checked here, on the page), in ``_id`` order, so memory
        stays at one page whatever the collection size.

        ``projection`` may be a callable asked before each page: ``None`` then reads that page's
        documents whole (the renewal job does so while most of a day's policies are due).

        The store query is ``term_end_key`` alone, paged with skip/limit, on purpose. Measured on
        nx-27017 0.8.1 at 1M policies: adding ``_id: {$gt: last}`` (the usual continuation) makes
        SQLite plan a full ``SCAN policies`` (tens of seconds per page), and every end date past
        1,000 policies needs a second page. The set is stable while paging: a policy's term end
        never changes and policies are never deleted, so only filtering ``extra`` in the query
        could shift pages (a status change during the run would make a policy skipped); a policy
        inserted during the run can at worst be seen twice, and every decision is re-checked.
        """
        wanted = dict(extra or {})
        query = {"term_end_key": day_key(term_end)}
        skip = 0
        while True:
            chosen = projection() if callable(projection) else projection
            fields = None if chosen is None else {**dict(chosen), **{name: 1 for name in wanted}}
            page = list(self.collection.find(query, fields).sort("_id", pymongo.ASCENDING).skip(skip).limit(page_size))
            if not page:
                return
            skip += len(page)
            matching = [doc for doc in page if all(doc.get(name) == value for name, value in wanted.items())]
            if matching:
                yield matching
            if len(page) < page_size:
                return


_STORED_STATUS = "_stored_status"


def party_links(policy: Policy) -> list[dict[str, str]]:
    """The ``policy_parties`` rows of a policy: one per insured person who is not the holder."""
    return [{"_id": f"{customer_id}|{policy.id}", "customer_id": customer_id, "policy_id": policy.id}
            for customer_id in dict.fromkeys(policy.insured_ids) if customer_id != policy.holder_id]


def remember_stored_status(policy: Policy) -> None:
    """After a write made outside ``save``/``add`` (the issue group commit): the status now stored,
    so a later ``save`` moves the status counters from the right row."""
    policy.__dict__[_STORED_STATUS] = policy.status


def _event_id(raw_envelope: str) -> str:
    """The ``event_id`` of an envelope JSON string (``"event_id": "evt_…"``)."""
    import json

    return str(json.loads(raw_envelope)["event_id"])


def _loaded(doc: dict[str, Any]) -> Policy:
    """A policy as loaded, remembering its stored status (to keep the status counters exact)."""
    policy = policy_from_doc(doc)
    policy.__dict__[_STORED_STATUS] = policy.status
    return policy


class QuoteRepository:
    """Quotes are saved with a version check but publish nothing: ``policy.quoted`` stays
    internal (no consumer needs it; a quote's outcome is told by ``policy.issued``)."""

    def __init__(self, database: Database) -> None:
        self.collection = database[QUOTES]

    def get(self, quote_id: str) -> Quote | None:
        doc = self.collection.find_one({"_id": quote_id})
        return quote_from_doc(doc) if doc else None

    def add(self, quote: Quote, now: dt.datetime) -> None:
        quote.pull_events()
        quote.version = outbox.insert_new(self.collection, quote.id, {**quote_fields(quote), "created_at": now}, [], PRODUCER, now)

    def get_many(self, ids: list[str]) -> dict[str, Quote]:
        if not ids:
            return {}
        return {doc["_id"]: quote_from_doc(doc) for doc in self.collection.find({"_id": {"$in": list(ids)}})}

    def add_many(self, quotes: list[Quote], now: dt.datetime) -> set[str]:
        """Insert new quotes (version 1, no events) with one unordered ``insert_many``; returns the
        ids that were already stored (duplicate key: a re-run, a crashed run or another replica)."""
        if not quotes:
            return set()
        docs = []
        for quote in quotes:
            quote.pull_events()
            docs.append({**quote_fields(quote), "created_at": now, "_id": quote.id, "version": 1,
                         outbox.OUTBOX: [], outbox.PENDING: 0})
        try:
            self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(err.get("code") != 11000 for err in errors):
                raise
            duplicates = {docs[err["index"]]["_id"] for err in errors}
            for quote in quotes:
                if quote.id not in duplicates:
                    quote.version = 1
            return duplicates
        for quote in quotes:
            quote.version = 1
        return set()

    def save(self, quote: Quote, now: dt.datetime) -> None:
        quote.pull_events()
        quote.version = outbox.update_versioned(self.collection, quote.id, quote.version, quote_fields(quote), [], PRODUCER, now)
