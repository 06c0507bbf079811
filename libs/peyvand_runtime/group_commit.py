"""Group commit: concurrent requests' writes collected and sent to the store as one batch.

The gRPC server runs each call on a thread of its pool. A use case prepares its writes on its
own thread (validation, domain decisions, outbox envelopes — everything that reads the
caller's identity and correlation id), then hands them to ``GroupCommit.submit`` and blocks.
The first waiting thread becomes the *leader*: it takes every queued item (up to
``max_batch``), calls ``flush(items)`` once — typically one ``insert_many`` / ``bulk_write``
per collection — and hands each waiting thread its own result. Items queued while a flush
runs form the next batch, so batches grow with the load and a lone request is not delayed
(no timer unless ``linger_seconds`` is set).

``flush`` returns one entry per item: a result, or an ``Exception`` instance that is raised
in that item's caller only (a duplicate key fails its own request, not the batch). If
``flush`` itself raises, every caller of the batch gets the error: a pymongo error becomes
``DomainError(code="STORE_UNAVAILABLE")`` (gRPC UNAVAILABLE: the caller may retry; the
flush must order its writes so that a retry completes whatever landed), anything else is
raised as is (a bug: INTERNAL).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from prometheus_client import Counter, Histogram

from peyvand_runtime.domain import DomainError

T = TypeVar("T")
R = TypeVar("R")

# Items per flush = rate(items) / rate(flushes): how much concurrent calls are being grouped.
ITEMS = Counter("peyvand_group_commit_items_total", "Items written by group-commit flushes", ["batch"])
FLUSH_SECONDS = Histogram("peyvand_group_commit_flush_seconds", "Duration of one group-commit flush (its _count: flushes)", ["batch"])


@dataclass
class Pending(Generic[T]):
    """One submitted item; ``context`` is the submitter's contextvars (identity, correlation id),
    for a flush that must build something per item as its caller would."""

    item: T
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    done: bool = False
    result: object = None
    error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Batches ``submit`` calls from many threads into ``flush`` calls (thread-safe)."""

    def __init__(self, name: str, flush: Callable[[Sequence[Pending[T]]], Sequence[object]], *,
                 max_batch: int = 64, linger_seconds: float = 0.0) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.name = name
        self._flush = flush
        self.max_batch = max_batch
        self.linger_seconds = linger_seconds
        self._cond = threading.Condition()
        self._queue: list[Pending[T]] = []
        self._flushing = False
        self.batches = 0  # flushes done (tests and logs)
        self.largest_batch = 0

    def submit(self, item: T) -> R:
        """Queue ``item``, wait for its batch to be written, return its result (or raise its error)."""
        pending: Pending[T] = Pending(item)
        with self._cond:
            self._queue.append(pending)
        while True:
            with self._cond:
                while not pending.done and self._flushing:
                    self._cond.wait()
                if pending.done:
                    break
                self._flushing = True  # this thread leads the next flush (its item may wait for a later one)
            self._lead()
        if pending.error is not None:
            raise pending.error
        return pending.result  # type: ignore[return-value]

    def _lead(self) -> None:
        try:
            if self.linger_seconds > 0:
                time.sleep(self.linger_seconds)  # let concurrent callers join this batch
            with self._cond:
                batch = self._queue[: self.max_batch]
                del self._queue[: len(batch)]
            self._write(batch)
        finally:
            with self._cond:
                self._flushing = False
                self._cond.notify_all()

    def _write(self, batch: list[Pending[T]]) -> None:
        began = time.perf_counter()
        try:
            results = list(self._flush(batch))
            if len(results) != len(batch):
                raise RuntimeError(f"group commit {self.name}: flush answered {len(results)} of {len(batch)} items")
        except BaseException as exc:  # handed to every caller of the batch; none is left waiting
            error = _for_callers(exc) if isinstance(exc, Exception) else exc
            for pending in batch:
                pending.error, pending.done = error, True
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt, SystemExit: after the callers were answered
            return
        finally:
            ITEMS.labels(self.name).inc(len(batch))
            FLUSH_SECONDS.labels(self.name).observe(time.perf_counter() - began)
            self.batches += 1
            self.largest_batch = max(self.largest_batch, len(batch))
        for pending, outcome in zip(batch, results, strict=True):
            if isinstance(outcome, BaseException):
                pending.error = outcome
            else:
                pending.result = outcome
            pending.done = True


def _for_callers(exc: Exception) -> BaseException:
    """The error every caller of a failed batch sees: store failures as STORE_UNAVAILABLE."""
    try:
        from pymongo.errors import PyMongoError
    except ImportError:  # pragma: no cover - pymongo is a spine dependency
        return exc
    if isinstance(exc, PyMongoError):
        error = DomainError("the service's store is unavailable; retry the request", code="STORE_UNAVAILABLE")
        error.__cause__ = exc
        return error
    return exc


def insert_many_errors(collection: Any, documents: list[dict[str, Any]]) -> dict[int, Exception]:
    """One unordered ``insert_many`` for a flush; the per-document failures by index
    (a duplicate key → ``DuplicateKeyError``, another write error → ``WriteError``), to hand
    to those callers alone. Anything else (connection lost, write concern) raises: the batch fails."""
    from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

    if not documents:
        return {}
    try:
        collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        if exc.details.get("writeConcernErrors"):
            raise
        errors: dict[int, Exception] = {}
        for err in exc.details.get("writeErrors", []):
            kind = DuplicateKeyError if err.get("code") == 11000 else WriteError
            errors[int(err["index"])] = kind(str(err.get("errmsg", "write error")), err.get("code"), err)
        return errors
    return {}


class BatchedGet:
    """Concurrent ``find_one({"_id": x})`` calls answered by one ``find({"_id": {"$in": [...]}})``
    (``$in`` on ``_id`` uses the primary key on every store we run; on any other field nx-27017
    scans). Each caller still gets a read made after its request arrived."""

    def __init__(self, name: str, collection: Any, max_batch: int = 64) -> None:
        self.collection = collection
        self.commit: GroupCommit[str, dict[str, Any] | None] = GroupCommit(name, self._flush, max_batch=max_batch)

    def get(self, document_id: str) -> dict[str, Any] | None:
        return self.commit.submit(document_id)

    def _flush(self, batch: Sequence[Pending[str]]) -> list[object]:
        ids = list(dict.fromkeys(p.item for p in batch))
        query = {"_id": ids[0]} if len(ids) == 1 else {"_id": {"$in": ids}}
        found = {doc["_id"]: doc for doc in self.collection.find(query)}
        return [found.get(p.item) for p in batch]
