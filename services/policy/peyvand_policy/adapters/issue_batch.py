"""Group commit of new-business writes: concurrent IssuePolicy and CreateQuote calls share store calls.

An issue prepares everything on its own request thread (policy number, the policy document
with its ``policy.issued`` envelope, its party links) and submits it; one flush then writes a
whole batch with, in this order:

1. one unordered ``insert_many`` of the party links of insured people other than the holder —
   none for most policies: the holder is found by the ``holder_id`` index, so usually this call
   is not made. A link may exist without its policy; readers re-check the policy (the order
   ``PolicyRepository.link_parties`` keeps). A link's ``_id`` is ``customer|policy``: a
   duplicate key means a retry after a crash already wrote it, and is ignored;
2. one unordered ``insert_many`` of the policies, each document carrying its outbox
   envelope (ADR 0003: state and event in one document write). A duplicate key (the quote was
   issued meanwhile, by a racing retry or another replica) fails that item alone with
   ``DuplicateKeyError``; the others are stored.

That insert is the commit point of an issue: the policy id derives from the quote id, and a
new-business quote is used exactly when its policy exists (``service_layer.quotes.quote_issue_state``),
so the quote is not rewritten. The stored policies are added to the process's status-counter
tally (``DeferredStatusCounts``: written about once a second, not once per batch).

If a store call fails, every caller of the batch gets STORE_UNAVAILABLE. Each policy
document is then either stored whole (with its envelope and links) or absent; the caller's
retry finds a stored one (duplicate key, or the policy read for a quote not in this process's
copies) and answers it. Only the status counters can be left short (by the tally not yet
written when a process dies; ``recount_policy_stats``, run by ``jobs_main recount-stats``, repairs them).
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
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, WriteError

from peyvand_policy.adapters.documents import PARTIES, POLICIES, QUOTES, STATS
from peyvand_policy.adapters.mapping import policy_fields, quote_fields, quote_from_doc
from peyvand_policy.adapters.repositories import party_links
from peyvand_policy.adapters.status_counts import FLUSH_INTERVAL_SECONDS, DeferredStatusCounts
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


def prepare_issue(policy: Policy, quote: Quote, now: dt.datetime, extra: dict[str, Any] | None = None) -> IssueWrite:
    """The writes of a freshly issued policy (its quote, now used in memory, is not rewritten);
    pulls the policy's and the quote's events."""
    fields = {**policy_fields(policy), **dict(extra or {}), "created_at": now, "updated_at": now}
    clash = outbox.RESERVED_FIELDS.intersection(fields)
    if clash:
        raise ValueError(f"aggregate fields may not set {sorted(clash)}")
    pending = outbox.envelopes(policy.pull_events(), PRODUCER, now, 1)
    document = {**fields, "_id": policy.id, "version": 1, outbox.OUTBOX: pending, outbox.PENDING: 1 if pending else 0}
    quote.pull_events()  # quotes publish nothing (see QuoteRepository)
    return IssueWrite(policy.id, policy.product_code, policy.status, party_links(policy), document)


class IssueCommitter:
    """One per process and database (on ``PolicyServices``); thread-safe."""

    def __init__(self, database: Database[Any], max_batch: int = MAX_BATCH, linger_seconds: float = 0.0,
                 counts_interval: float = FLUSH_INTERVAL_SECONDS) -> None:
        self.policies = database[POLICIES]
        self.parties = database[PARTIES]
        self.counts = DeferredStatusCounts(database[STATS], interval=counts_interval)
        self.commit: GroupCommit[IssueWrite, bool] = GroupCommit("policy_issue", self._flush, max_batch=max_batch,
                                                                 linger_seconds=linger_seconds)

    def submit(self, write: IssueWrite) -> bool:
        """Write one issue with whatever else is waiting; ``DuplicateKeyError`` if its policy id or number exists."""
        return self.commit.submit(write)

    def _flush(self, batch: Sequence[Pending[IssueWrite]]) -> list[object]:
        writes = [p.item for p in batch]
        links = [link for w in writes for link in w.links]
        for error in insert_many_errors(self.parties, links).values():
            if not isinstance(error, DuplicateKeyError):
                raise error  # not "already linked": the whole batch fails (STORE_UNAVAILABLE / INTERNAL)
        outcomes: list[object] = [True] * len(writes)
        for index, error in insert_errors(self.policies, [w.document for w in writes]).items():
            outcomes[index] = error
        for write, outcome in zip(writes, outcomes, strict=True):
            if outcome is True:
                self.counts.add(write.status, write.product_code)
        return outcomes

    def flush_counts(self) -> None:
        """Write the status counters of the policies issued so far (process stop, tests)."""
        self.counts.flush()


class QuoteInserts:
    """Group commit of new quotes (CreateQuote): one unordered ``insert_many`` per batch.

    It also remembers the last ``RECENT`` quotes this process stored (as stored, version 1):
    IssuePolicy usually follows CreateQuote within seconds, and the copy saves it two reads (the
    quote, and whether its policy exists). A copy can only be stale if the quote was issued
    elsewhere meanwhile, and then the issue's policy insert meets the policy id derived from the
    quote (duplicate key) and answers the stored policy: nothing is written twice.
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
        for index, error in insert_errors(self.quotes, [p.item for p in batch]).items():
            outcomes[index] = error
        return outcomes


def insert_errors(collection: Any, documents: list[dict[str, Any]]) -> dict[int, Exception]:
    """``insert_many_errors`` for a flush, with a lone document sent by ``insert_one``: the same
    ``insert`` command, without pymongo's bulk machinery (with a few concurrent callers most
    flushes carry one document, and the server process's CPU is what bounds the issue rate)."""
    if len(documents) != 1:
        return insert_many_errors(collection, documents)
    try:
        collection.insert_one(documents[0])
    except (DuplicateKeyError, WriteError) as exc:  # that caller's alone; anything else fails the batch
        return {0: exc}
    return {}
