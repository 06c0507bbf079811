"""What every use case works with: the database, the repositories and the clock."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from peyvand_runtime.group_commit import BatchedGet
from peyvand_runtime.identity import current_caller_or_none
from peyvand_runtime.tehran_time import tehran_date, utc_now
from pymongo.database import Database
from ulid import ULID

from peyvand_policy.adapters.customer_refs import CUSTOMER_REFS
from peyvand_policy.adapters.issue_batch import IssueCommitter, QuoteInserts
from peyvand_policy.adapters.numbers import PolicyNumbers
from peyvand_policy.adapters.repositories import PolicyRepository, QuoteRepository


@dataclass
class PolicyServices:
    database: Database
    clock: Callable[[], dt.datetime] = utc_now
    policies: PolicyRepository = field(init=False)
    quotes: QuoteRepository = field(init=False)
    # Per process: new-business numbers from reserved blocks, and the group commits of the
    # issue and quote writes (concurrent gRPC calls share store calls; see adapters/issue_batch).
    numbers: PolicyNumbers = field(init=False)
    issues: IssueCommitter = field(init=False)
    new_quotes: QuoteInserts = field(init=False)
    customer_refs: BatchedGet = field(init=False)  # the projection's reads for scope checks, grouped

    def __post_init__(self) -> None:
        self.policies = PolicyRepository(self.database)
        self.quotes = QuoteRepository(self.database)
        self.numbers = PolicyNumbers(self.database)
        self.issues = IssueCommitter(self.database)
        self.new_quotes = QuoteInserts(self.database)
        self.customer_refs = BatchedGet("policy_customer_refs", self.database[CUSTOMER_REFS])

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        """The Tehran business date."""
        return tehran_date(self.clock())


def actor() -> str:
    """Who does the change, for history entries: the caller's principal, else ``system``."""
    caller = current_caller_or_none()
    if caller is None or caller.kind == "service":
        return "system"
    return caller.principal


def derived_id(prefix: str, *parts: str) -> str:
    """A stable ``<prefix>_<ULID>`` computed from ``parts``: the same work gets the same id, so a
    re-run inserts nothing new (a duplicate key tells it the work was done)."""
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).digest()[:16]
    return f"{prefix}_{ULID.from_bytes(digest)}"


def policy_id_for_quote(quote_id: str) -> str:
    """The policy a quote becomes: one quote can only ever issue this one policy id."""
    return f"pol_{quote_id.split('_', 1)[1]}"
