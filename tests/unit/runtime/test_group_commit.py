"""Group commit: concurrent submits share flushes, each caller gets its own result or error."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from peyvand_runtime.domain import DomainError
from peyvand_runtime.group_commit import GroupCommit
from pymongo.errors import AutoReconnect


def test_concurrent_items_are_written_together_and_answered_one_by_one() -> None:
    flushed: list[list[int]] = []

    def flush(batch: Any) -> list[object]:
        items = [p.item for p in batch]
        flushed.append(items)
        time.sleep(0.02)  # a store round trip: others queue up meanwhile
        return [ValueError(f"bad {i}") if i == 13 else i * 10 for i in items]

    commit: GroupCommit[int, int] = GroupCommit("test", flush, max_batch=8)

    def call(i: int) -> object:
        try:
            return commit.submit(i)
        except ValueError as exc:
            return str(exc)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(call, range(32)))
    assert answers == ["bad 13" if i == 13 else i * 10 for i in range(32)]
    assert sorted(i for batch in flushed for i in batch) == list(range(32))  # each item written exactly once
    assert len(flushed) < 32 and max(len(b) for b in flushed) > 1  # shared flushes
    assert max(len(b) for b in flushed) <= 8


def test_a_lone_request_is_flushed_at_once() -> None:
    commit: GroupCommit[str, str] = GroupCommit("test-lone", lambda batch: [p.item.upper() for p in batch])
    began = time.perf_counter()
    assert commit.submit("x") == "X"
    assert time.perf_counter() - began < 0.05 and commit.batches == 1


def test_a_store_failure_fails_every_caller_of_the_batch_as_unavailable() -> None:
    gate = threading.Event()
    calls = {"n": 0}

    def flush(batch: Any) -> list[object]:
        calls["n"] += 1
        if calls["n"] == 1:
            gate.wait(1)  # hold the first flush so the others form the second batch
            return ["ok" for _ in batch]
        raise AutoReconnect("connection reset")

    commit: GroupCommit[int, str] = GroupCommit("test-fail", flush)

    def call(i: int) -> object:
        try:
            return commit.submit(i)
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(call, 0)
        time.sleep(0.05)
        rest = [pool.submit(call, i) for i in range(1, 6)]
        time.sleep(0.05)
        gate.set()
        answers = [first.result()] + [f.result() for f in rest]
    assert answers == ["ok"] + ["STORE_UNAVAILABLE"] * 5
    assert commit.batches == 2


def test_a_bug_in_flush_is_not_disguised_as_unavailable() -> None:
    def flush(batch: Any) -> list[object]:
        raise KeyError("oops")

    commit: GroupCommit[int, int] = GroupCommit("test-bug", flush)
    with pytest.raises(KeyError):
        commit.submit(1)


def test_the_callers_context_travels_with_the_item() -> None:
    import contextvars

    who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")

    def flush(batch: Any) -> list[object]:
        return [p.context.run(who.get) for p in batch]

    commit: GroupCommit[int, str] = GroupCommit("test-ctx", flush)

    def call(name: str) -> str:
        who.set(name)
        return commit.submit(0)

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(call, ["a", "b", "c", "d"])) == ["a", "b", "c", "d"]


def test_batched_get_answers_each_caller_from_one_in_query() -> None:
    from peyvand_runtime.group_commit import BatchedGet

    queries: list[dict[str, Any]] = []
    stored = {f"cus_{i}": {"_id": f"cus_{i}", "branch_code": str(1000 + i)} for i in range(10)}

    class Collection:
        def find(self, query: dict[str, Any]) -> list[dict[str, Any]]:
            queries.append(query)
            time.sleep(0.02)
            wanted = query["_id"]["$in"] if isinstance(query["_id"], dict) else [query["_id"]]
            return [stored[i] for i in wanted if i in stored]

    reads = BatchedGet("test-get", Collection())
    asked = [f"cus_{i % 12}" for i in range(24)]  # two unknown ids, every id asked twice
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(reads.get, asked))
    assert answers == [stored.get(i) for i in asked]
    assert len(queries) < 24 and reads.commit.largest_batch > 1
