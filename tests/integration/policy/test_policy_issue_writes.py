"""What one issue writes besides the policy: party links only for insured people other than the
holder, and the status counters through a per-process tally written about once a second."""

from __future__ import annotations

import datetime as dt
import time

from peyvand.policy.v1 import policy_pb2 as pb
from peyvand_policy.adapters.status_counts import DeferredStatusCounts
from peyvand_policy.service_layer import policies
from peyvand_policy.service_layer.gauges import recount_policy_stats, refresh_policy_gauge
from peyvand_runtime import identity
from peyvand_runtime.identity import service_caller
from peyvand_runtime.ids import new_id
from policy_it_support import AGENT_A, BRANCH  # type: ignore[import-not-found]

START = dt.date(2026, 3, 1)


def test_a_holder_needs_no_link_and_is_still_found_by_customer(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    holder, spouse = new_id("cus"), new_id("cus")
    own = env.issue(holder, START)
    stub = env.stub()
    quote = stub.CreateQuote(pb.CreateQuoteRequest(product_code="health_supp", holder_id=holder, insured_ids=[holder, spouse],
                                                   agent_id=AGENT_A, branch_code=BRANCH,
                                                   inputs={"plan_tier": "gold", "age": "40", "insured_count": "2"})).quote
    family = stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=quote.quote_id)).policy
    links = {d["_id"] for d in env.database["policy_parties"].find({})}
    assert links == {f"{spouse}|{family.policy_id}"}  # the spouse only: holders are found by the holder_id index

    def listed(customer: str) -> list[str]:
        return [p.policy_id for p in stub.ListPolicies(pb.ListPoliciesRequest(customer_id=customer)).policies]

    assert listed(holder) == sorted([own.id, family.policy_id])
    assert listed(spouse) == [family.policy_id]
    # a link of a holder written by an earlier version is read once, not twice
    env.database["policy_parties"].insert_one({"_id": f"{holder}|{own.id}", "customer_id": holder, "policy_id": own.id})
    assert listed(holder) == sorted([own.id, family.policy_id])
    assert sorted(env.services.policies.ids_for_customer(holder)) == sorted([own.id, family.policy_id])
    assert env.services.policies.ids_for_customer(spouse) == [family.policy_id]


def test_issue_counters_are_tallied_and_written_by_the_flusher(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    env.services.issues.counts.interval = 0.05
    for _ in range(3):
        env.issue(new_id("cus"), START)
    deadline = time.monotonic() + 10
    while env.services.issues.counts.pending() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert env.services.issues.counts.pending() == {}
    assert env.database["policy_stats"].find_one({"_id": "active|motor_tpl"})["count"] == 3
    time.sleep(0.2)
    assert env.services.issues.counts._flusher is None  # idle: no thread left behind
    # cancelling moves one from active to cancelled at once (count_status_change); the gauge agrees with a recount
    book = [env.issue(new_id("cus"), START) for _ in range(2)]
    with identity.bound(service_caller("policy-tests")):
        policies.cancel_policy(env.services, book[0].id, 1, "customer request", None)
    env.services.issues.flush_counts()
    counted = refresh_policy_gauge(env.database)
    assert counted == {("active", "motor_tpl"): 4, ("cancelled", "motor_tpl"): 1}
    repair = recount_policy_stats(env.database, settle_seconds=0)
    assert (repair.repaired, repair.busy) == ({}, [])  # nothing to repair
    assert {k: v for k, v in repair.counted.items() if v} == counted


def test_a_failed_counter_write_keeps_the_tally(policy_env) -> None:  # type: ignore[no-untyped-def]
    from pymongo.errors import AutoReconnect

    env = policy_env
    counts = DeferredStatusCounts(env.database["policy_stats"], interval=3600)

    class Down:
        def bulk_write(self, *args: object, **kwargs: object) -> None:
            raise AutoReconnect("store restarting")

    counts.add("active", "motor_tpl", 2)
    counts.stats = Down()
    try:
        counts.flush()
    except AutoReconnect:
        pass
    else:
        raise AssertionError("the store error reaches the caller of flush")
    counts.add("active", "motor_tpl")
    assert counts.pending() == {("active", "motor_tpl"): 3}
    counts.stats = env.database["policy_stats"]
    counts.flush()
    assert counts.pending() == {}
    assert env.database["policy_stats"].find_one({"_id": "active|motor_tpl"})["count"] == 3


def test_a_quote_is_used_once_its_policy_exists_and_a_retry_elsewhere_draws_no_number(policy_env) -> None:  # type: ignore[no-untyped-def]
    from peyvand_policy.service_layer import quotes
    from peyvand_policy.service_layer.context import PolicyServices

    env = policy_env
    env.clock.set_day(START)
    stub = env.stub()
    quote = stub.CreateQuote(pb.CreateQuoteRequest(product_code="motor_tpl", holder_id=new_id("cus"), agent_id=AGENT_A,
                                                   branch_code=BRANCH, inputs={"vehicle_type": "passenger_car", "usage": "personal",
                                                                               "engine_cc": "1600", "no_claims_years": "3"})).quote
    issued = stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=quote.quote_id)).policy
    stored = env.database["quotes"].find_one({"_id": quote.quote_id})
    assert (stored["status"], stored["version"]) == ("open", 1)  # the issue wrote the policy only
    seen = stub.GetQuote(pb.GetQuoteRequest(quote_id=quote.quote_id)).quote
    assert (seen.status, seen.policy_id) == ("used", issued.policy_id)
    # the same quote issued again through another server process: the stored policy, no new number
    replica = PolicyServices(env.database, clock=env.clock)
    with identity.bound(service_caller("policy-tests")):
        again, created = policies.issue_policy(replica, quote.quote_id)
        assert quotes.get_quote(replica, quote.quote_id).status == "used"
    assert not created and again.id == issued.policy_id and again.policy_number == issued.policy_number
    assert replica.numbers._ranges == {}  # noqa: SLF001 - no block was reserved for the retry
    assert stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=quote.quote_id)).created is False  # and in this process
    assert env.database["policies"].count_documents({"quote_id": quote.quote_id}) == 1
