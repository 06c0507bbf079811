"""Group commit of new-business writes: concurrent IssuePolicy and CreateQuote calls share store calls.

An issue prepares everything on its own request thread (policy number, the policy document
with its ``policy.issued`` envelope, the quote's compare-and-set) and submits it; one flush
then writes a whole batch with, in this order:

1. one unordered ``insert_many`` of the party links (a link may exist without its policy;
   readers re-check the policy — the order ``PolicyRepository.link_parties`` already keeps).
   A link's ``_id`` is ``customer|policy``: a duplicate key means a retry after a crash already
   wrote it, and is ignored (what the ``$setOnInsert`` upsert did, at ~0.08 ms less store time
   per link on nx-27017);
2. one unordered ``insert_many`` of the policies, each document carrying its outbox
   envelope (ADR 0003: state and event in one document write). A duplicate key (the quote was
   issued meanwhile, by a racing retry or another replica) fails that item alone with
   ``DuplicateKeyError``; the others are stored;
3. one unordered ``bulk_write`` of the quotes' compare-and-set (open → used) for the stored
   policies, setting only what ``Quote.mark_used`` changes (status, policy id, version: the
   rest of a quote at its loaded version is what is stored); a quote that did not match
   (someone finished it) is reported to its caller, who finishes it idempotently;
4. one ``$inc`` of the status counter per product for the stored policies.

If a store call fails, every caller of the batch gets STORE_UNAVAILABLE. Each policy
document is then either stored whole (with its envelope and links) or absent; a stored one
whose quote is still open is found by the caller's retry (the policy id derives from the
quote: duplicate key → the stored policy is answered and its quote finished), exactly as
after a crash between two writes today. Only the status counters can be left short by the
batch (``recount_policy_stats`` repairs them, as after a crash).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from peyvand_runtime import outbox
from peyvand_runtime.group_commit import GroupCommit, Pending, insert_many_errors
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from peyvand_policy.adapters.documents import PARTIES, POLICIES, QUOTES, STATS
from peyvand_policy.adapters.mapping import policy_fields, quote_fields, quote_from_doc
from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.quote import Quote

PRODUCER = "policy"
MAX_BATCH = 64


@dataclass(frozen=True)
class IssueWrite:
    """Everything one issue writes, prepared on the caller's thread."""

    policy_id: str
    product_code: str
    status: str
    links: list[dict[str, Any]]
    document: dict[str, Any]
    quote_id: str
    quote_version: int
    quote_set: dict[str, Any]


@dataclass(frozen=True)
class IssueOutcome:
    quote_saved: bool  # False: the quote's compare-and-set did not match (finish it idempotently)


def prepare_issue(policy: Policy, quote: Quote, now: dt.datetime, extra: dict[str, Any] | None = None) -> IssueWrite:
    """The writes of a freshly issued policy and its (now used) quote; pulls the policy's events."""
    fields = {**policy_fields(policy), **dict(extra or {}), "created_at": now, "updated_at": now}
    clash = outbox.RESERVED_FIELDS.intersection(fields)
    if clash:
        raise ValueError(f"aggregate fields may not set {sorted(clash)}")
    pending = outbox.envelopes(policy.pull_events(), PRODUCER, now, 1)
    document = {**fields, "_id": policy.id, "version": 1, outbox.OUTBOX: pending, outbox.PENDING: 1 if pending else 0}
    links = [{"_id": f"{customer_id}|{policy.id}", "customer_id": customer_id, "policy_id": policy.id}
             for customer_id in dict.fromkeys((policy.holder_id, *policy.insured_ids))]
    quote.pull_events()
    return IssueWrite(policy.id, policy.product_code, policy.status, links, document, quote.id, quote.version,
                      {"status": quote.status, "policy_id": quote.policy_id, "version": quote.version + 1})


class IssueCommitter:
    """One per process and database (on ``PolicyServices``); thread-safe."""

    def __init__(self, database: Database[Any], max_batch: int = MAX_BATCH, linger_seconds: float = 0.0) -> None:
        self.policies = database[POLICIES]
        self.quotes = database[QUOTES]
        self.parties = database[PARTIES]
        self.stats = database[STATS]
        self.commit: GroupCommit[IssueWrite, IssueOutcome] = GroupCommit("policy_issue", self._flush, max_batch=max_batch,
                                                                         linger_seconds=linger_seconds)

    def submit(self, write: IssueWrite) -> IssueOutcome:
        """Write one issue with whatever else is waiting; ``DuplicateKeyError`` if its policy id or number exists."""
        return self.commit.submit(write)

    def _flush(self, batch: Sequence[Pending[IssueWrite]]) -> list[object]:
        writes = [p.item for p in batch]
        links = [link for w in writes for link in w.links]
        for error in insert_many_errors(self.parties, links).values():
            if not isinstance(error, DuplicateKeyError):
                raise error  # not "already linked": the whole batch fails (STORE_UNAVAILABLE / INTERNAL)
        outcomes: list[object] = [None] * len(writes)
        for index, error in insert_many_errors(self.policies, [w.document for w in writes]).items():
            outcomes[index] = error
        stored = [i for i, outcome in enumerate(outcomes) if outcome is None]
        saved = _compare_and_set_quotes(self.quotes, [writes[i] for i in stored])
        by_product: dict[tuple[str, str], int] = {}
        for i in stored:
            key = (writes[i].product_code, writes[i].status)
            by_product[key] = by_product.get(key, 0) + 1
            outcomes[i] = IssueOutcome(quote_saved=writes[i].quote_id in saved)
        for (product, status), count in by_product.items():
            self.stats.update_one({"_id": f"{status}|{product}"},
                                  {"$inc": {"count": count}, "$set": {"status": status, "product": product}}, upsert=True)
        return outcomes


class QuoteInserts:
    """Group commit of new quotes (CreateQuote): one unordered ``insert_many`` per batch.

    It also remembers the last ``RECENT`` quotes this process stored (as stored, version 1):
    IssuePolicy usually follows CreateQuote within seconds, and the copy saves it a read. A
    copy can only be stale if the quote was issued elsewhere meanwhile, and then the issue's
    policy insert meets the policy id derived from the quote (duplicate key) and answers the
    stored policy, and the quote's compare-and-set does not match: nothing is written twice.
    """

    RECENT = 4096

    def __init__(self, database: Database[Any], max_batch: int = MAX_BATCH) -> None:
        self.quotes = database[QUOTES]
        self.commit: GroupCommit[dict[str, Any], int] = GroupCommit("policy_quote", self._flush, max_batch=max_batch)
        self._recent: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, quote: Quote, now: dt.datetime) -> None:
        quote.pull_events()  # quotes publish nothing (see QuoteRepository)
        document = {**quote_fields(quote), "created_at": now, "_id": quote.id, "version": 1, outbox.OUTBOX: [], outbox.PENDING: 0}
        quote.version = self.commit.submit(document)
        with self._lock:
            self._recent[quote.id] = document
            while len(self._recent) > self.RECENT:
                self._recent.popitem(last=False)

    def recent(self, quote_id: str) -> Quote | None:
        """A fresh copy of a quote this process stored lately and has not seen issued (None: read the store)."""
        with self._lock:
            document = self._recent.get(quote_id)
        return quote_from_doc(document) if document is not None else None

    def forget(self, quote_id: str) -> None:
        with self._lock:
            self._recent.pop(quote_id, None)

    def _flush(self, batch: Sequence[Pending[dict[str, Any]]]) -> list[object]:
        outcomes: list[object] = [1] * len(batch)
        for index, error in insert_many_errors(self.quotes, [p.item for p in batch]).items():
            outcomes[index] = error
        return outcomes



def _compare_and_set_quotes(quotes: Any, writes: list[IssueWrite]) -> set[str]:
    """Mark the quotes used (compare-and-set on their loaded version); the ids whose write landed."""
    if not writes:
        return set()
    ops = [UpdateOne({"_id": w.quote_id, "version": w.quote_version}, {"$set": w.quote_set}) for w in writes]
    result = quotes.bulk_write(ops, ordered=False)
    if result.matched_count == len(ops):
        return {w.quote_id for w in writes}
    stored = {d["_id"]: d for d in quotes.find({"_id": {"$in": [w.quote_id for w in writes]}}, {"version": 1, "policy_id": 1})}
    return {w.quote_id for w in writes
            if int((stored.get(w.quote_id) or {}).get("version", 0)) == w.quote_version + 1
            and (stored.get(w.quote_id) or {}).get("policy_id") == w.policy_id}
