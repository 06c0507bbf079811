"""Issue policy through the group commit: concurrent issues share store calls and keep every guarantee."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from peyvand.policy.v1 import policy_pb2 as pb
from peyvand_policy.adapters.issue_batch import IssueCommitter
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.ids import new_id
from policy_it_support import AGENT_A, BRANCH, TPL_INPUTS  # type: ignore[import-not-found]
from pymongo.errors import AutoReconnect

TODAY = dt.date(2026, 3, 1)


def _quote(stub: Any, holder: str | None = None) -> Any:
    return stub.CreateQuote(pb.CreateQuoteRequest(product_code="motor_tpl", holder_id=holder or new_id("cus"), agent_id=AGENT_A,
                                                  branch_code=BRANCH, inputs=TPL_INPUTS)).quote


def _batching(env: Any) -> IssueCommitter:
    """A committer that waits 80 ms for company, so concurrent calls land in one batch for sure."""
    committer = IssueCommitter(env.database, linger_seconds=0.08)
    env.services.issues = committer
    return committer


def test_concurrent_issues_on_one_branch_get_unique_consecutive_numbers(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    env.clock.set_day(TODAY)
    committer = _batching(env)
    stub = env.stub()
    quotes = [_quote(stub) for _ in range(12)]
    again = quotes[3]  # the same quote issued twice in the same burst: one policy, one created
    with ThreadPoolExecutor(13) as pool:
        answers = list(pool.map(lambda q: stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=q.quote_id)), [*quotes, again]))
    assert committer.commit.largest_batch > 1  # they really shared flushes
    created = [a.policy for a in answers if a.created]
    assert len(created) == 12 and sum(not a.created for a in answers) == 1
    assert answers[3].policy.policy_id == answers[12].policy.policy_id
    numbers = sorted(int(p.policy_number.rsplit("-", 1)[1]) for p in created)
    assert len(set(numbers)) == 12
    stored = sorted(int(d["policy_number"].rsplit("-", 1)[1]) for d in env.database["policies"].find({}, {"policy_number": 1}))
    assert stored == numbers
    # every stored policy carries its policy.issued envelope and its quote is used (a new-business
    # quote is used once its policy exists: the stored quote itself is not rewritten by the issue)
    for doc in env.database["policies"].find({}):
        assert [json.loads(raw)["type"] for raw in doc["outbox"]] == ["policy.issued"]
        seen = stub.GetQuote(pb.GetQuoteRequest(quote_id=doc["quote_id"])).quote
        assert (seen.status, seen.policy_id) == ("used", doc["_id"])
        assert env.database["quotes"].find_one({"_id": doc["quote_id"]})["version"] == 1
    assert env.database["policy_stats"].find_one({"_id": "active|motor_tpl"}) is None  # tallied, written about once a second
    committer.flush_counts()
    assert env.database["policy_stats"].find_one({"_id": "active|motor_tpl"})["count"] == 12
    # one process, one block: consecutive except where the racing duplicate drew a number (a gap)
    assert numbers[0] == 1 and numbers[-1] - numbers[0] <= 12


def test_one_bad_write_in_a_batch_fails_alone(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    env.clock.set_day(TODAY)
    committer = _batching(env)
    stub = env.stub()
    first = stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=_quote(stub).quote_id)).policy
    # a stray document holds the number the next issue will draw: that insert fails, the rest land
    env.database["policies"].insert_one({"_id": new_id("pol"), "policy_number": f"{BRANCH}-1404-{int(first.policy_number[-6:]) + 1:06d}"})
    quotes = [_quote(stub) for _ in range(6)]

    def issue(quote: Any) -> Any:
        try:
            return stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=quote.quote_id)).policy
        except grpc.RpcError as exc:
            return exc.code()

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(issue, quotes))
    failed = [a for a in answers if isinstance(a, grpc.StatusCode)]
    assert len(failed) == 1 and committer.commit.largest_batch > 1
    issued = [a for a in answers if not isinstance(a, grpc.StatusCode)]
    assert len(issued) == 5
    for policy in issued:
        assert env.database["policies"].find_one({"_id": policy.policy_id})["version"] == 1
    # the failed caller's quote is still open and a retry issues it
    failed_quote = next(q for q, a in zip(quotes, answers, strict=True) if isinstance(a, grpc.StatusCode))
    assert env.database["quotes"].find_one({"_id": failed_quote.quote_id})["status"] == "open"
    assert stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=failed_quote.quote_id)).created


def test_a_store_error_fails_the_whole_batch_as_unavailable_and_a_retry_completes(policy_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    env.clock.set_day(TODAY)
    committer = _batching(env)
    stub = env.stub()
    quotes = [_quote(stub) for _ in range(5)]
    real_insert_many = committer.policies.insert_many

    class BrokenPolicies:
        def __getattr__(self, name: str) -> Any:
            return getattr(env.database["policies"], name)

        def insert_many(self, *args: Any, **kwargs: Any) -> Any:
            raise AutoReconnect("connection reset by the store")

        def insert_one(self, *args: Any, **kwargs: Any) -> Any:  # a batch of one is sent with insert_one
            raise AutoReconnect("connection reset by the store")

    monkeypatch.setattr(committer, "policies", BrokenPolicies())

    def issue(quote: Any) -> Any:
        try:
            return stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=quote.quote_id))
        except grpc.RpcError as exc:
            return ErrorDetails.from_rpc_error(exc)

    with ThreadPoolExecutor(5) as pool:
        failed = list(pool.map(issue, quotes))
    assert [(f.status_code, f.code) for f in failed] == [(grpc.StatusCode.UNAVAILABLE, "STORE_UNAVAILABLE")] * 5
    assert committer.commit.largest_batch > 1
    assert env.database["policies"].count_documents({}) == 0  # nothing half-written
    assert all(env.database["quotes"].find_one({"_id": q.quote_id})["status"] == "open" for q in quotes)
    assert env.database["policy_stats"].count_documents({}) == 0

    monkeypatch.setattr(committer, "policies", env.database["policies"])
    assert real_insert_many is not None
    with ThreadPoolExecutor(5) as pool:
        retried = list(pool.map(issue, quotes))
    assert all(r.created for r in retried)
    assert env.database["policies"].count_documents({}) == 5
    committer.flush_counts()
    assert env.database["policy_stats"].find_one({"_id": "active|motor_tpl"})["count"] == 5


@pytest.mark.parametrize("clients", [8])
def test_many_concurrent_create_quotes_share_inserts(policy_env, clients: int) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    env.clock.set_day(TODAY)
    stub = env.stub()
    with ThreadPoolExecutor(clients) as pool:
        made = list(pool.map(lambda _: _quote(stub), range(40)))
    assert len({q.quote_id for q in made}) == 40
    stored = {d["_id"]: d for d in env.database["quotes"].find({})}
    assert set(stored) == {q.quote_id for q in made} and all(d["version"] == 1 and d["status"] == "open" for d in stored.values())


def test_a_quote_remembered_by_one_process_but_issued_by_another_is_not_issued_twice(policy_env) -> None:  # type: ignore[no-untyped-def]
    from peyvand_policy.service_layer import policies, quotes
    from peyvand_policy.service_layer.context import PolicyServices
    from peyvand_runtime import identity
    from policy_it_support import ADMIN  # type: ignore[import-not-found]

    env = policy_env
    env.clock.set_day(TODAY)
    replica = PolicyServices(env.database, clock=env.clock)  # a second server process on the same store
    with identity.bound(ADMIN):
        quote = quotes.create_quote(env.services, quotes.CreateQuote(product_code="motor_tpl", holder_id=new_id("cus"),
                                                                    agent_id=AGENT_A, branch_code=BRANCH, inputs=TPL_INPUTS))
        assert env.services.new_quotes.recent(quote.id) is not None  # this process holds an open copy
        theirs, created_there = policies.issue_policy(replica, quote.id)
        ours, created_here = policies.issue_policy(env.services, quote.id)  # reads the stale copy first
    assert created_there and not created_here and ours.id == theirs.id and ours.policy_number == theirs.policy_number
    assert env.database["policies"].count_documents({"quote_id": quote.id}) == 1
    with identity.bound(ADMIN):
        assert quotes.get_quote(env.services, quote.id).status == quotes.get_quote(replica, quote.id).status == "used"
    env.services.issues.flush_counts()
    replica.issues.flush_counts()
    assert env.database["policy_stats"].find_one({"_id": "active|motor_tpl"})["count"] == 1
