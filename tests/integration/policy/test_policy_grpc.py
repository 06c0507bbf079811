"""The policy gRPC API end to end against the private store: what a branch clerk or agent sees."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from peyvand.policy.v1 import policy_pb2 as pb
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.ids import new_id
from policy_it_support import AGENT_A, AGENT_A_CALLER, AGENT_B_CALLER, BRANCH, OTHER_BRANCH, STAFF, TPL_INPUTS  # type: ignore[import-not-found]

TODAY = dt.date(2026, 3, 1)


def error_of(call, request):  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call(request)
    return ErrorDetails.from_rpc_error(caught.value)


def quote_request(holder: str, **overrides) -> pb.CreateQuoteRequest:  # type: ignore[no-untyped-def]
    fields = {"product_code": "motor_tpl", "holder_id": holder, "agent_id": AGENT_A, "branch_code": BRANCH, "inputs": TPL_INPUTS}
    fields.update(overrides)
    return pb.CreateQuoteRequest(**fields)


def test_quote_issue_endorse_cancel_and_history(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    env.clock.set_day(TODAY)
    stub = env.stub(STAFF)
    holder = new_id("cus")
    products = stub.ListProducts(pb.ListProductsRequest()).products
    assert {"motor_tpl", "health_supp", "travel"} <= {p.code for p in products}
    assert stub.GetProduct(pb.GetProductRequest(product_code="motor_tpl")).product.mandatory

    quote = stub.CreateQuote(quote_request(holder)).quote
    again = stub.CreateQuote(quote_request(holder)).quote
    assert quote.premium.total == again.premium.total > 0  # same inputs, same price
    assert quote.term_start == "2026-03-01" and quote.term_end == "2027-02-28"
    assert quote.term_start_jalali == "1404/12/10"
    assert stub.GetQuote(pb.GetQuoteRequest(quote_id=quote.quote_id)).quote.status == "open"

    issued = stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=quote.quote_id, idempotency_key="k-1"))
    policy = issued.policy
    assert issued.created and policy.status == pb.ACTIVE and policy.version == 1
    assert policy.policy_number == f"{BRANCH}-1404-000001"
    assert policy.holder_id == holder and list(policy.insured_ids) == [holder]
    assert policy.premium == quote.premium.net and policy.expires_at == "2027-02-28T20:30:00Z"
    assert stub.GetQuote(pb.GetQuoteRequest(quote_id=quote.quote_id)).quote.status == "used"
    by_number = stub.GetPolicyByNumber(pb.GetPolicyByNumberRequest(policy_number="۱۰۲۱-۱۴۰۴-۰۰۰۰۰۱")).policy
    assert by_number.policy_id == policy.policy_id

    # Mid-term: a bigger engine from 1404/12/20 (10 days in) costs the pro-rata difference.
    env.clock.set_day(TODAY + dt.timedelta(days=10))
    endorsed = stub.EndorsePolicy(pb.EndorsePolicyRequest(
        policy_id=policy.policy_id, expected_version=1, effective_date="1404/12/20",
        changes=pb.PolicyChanges(inputs={"engine_cc": "2500"})))
    e = endorsed.endorsement
    assert e.effective_date == "2026-03-11" and e.new_premium > e.old_premium == policy.premium
    term_days = 365
    remaining = term_days - 10
    assert e.premium_delta == -(-(e.new_premium - e.old_premium) * remaining // term_days)  # rounded up
    assert endorsed.policy.version == 2 and endorsed.policy.premium_charged == policy.premium + e.premium_delta
    assert endorsed.policy.inputs["engine_cc"] == "2500"

    stale = error_of(stub.CancelPolicy, pb.CancelPolicyRequest(policy_id=policy.policy_id, expected_version=1, reason="sold the car"))
    assert stale.status_code == grpc.StatusCode.ABORTED and stale.code == "VERSION_CONFLICT"

    cancelled = stub.CancelPolicy(pb.CancelPolicyRequest(policy_id=policy.policy_id, expected_version=2, reason="sold the car"))
    assert cancelled.policy.status == pb.CANCELLED and 0 < cancelled.cancellation.refund < cancelled.policy.premium_charged
    illegal = error_of(stub.EndorsePolicy, pb.EndorsePolicyRequest(
        policy_id=policy.policy_id, expected_version=3, changes=pb.PolicyChanges(inputs={"engine_cc": "1500"})))
    assert illegal.status_code == grpc.StatusCode.FAILED_PRECONDITION and illegal.code == "POLICY_INVALID_TRANSITION"

    entries = stub.GetPolicyHistory(pb.GetPolicyHistoryRequest(policy_id=policy.policy_id)).entries
    assert [(h.kind, h.to_status) for h in entries] == [("issued", "active"), ("endorsed", "active"), ("cancelled", "cancelled")]
    assert entries[-1].by == STAFF.principal and entries[-1].reason == "sold the car"
    assert [e["type"] for e in env.envelopes("policy.issued")] == ["policy.issued"]
    assert len(env.envelopes("policy.endorsed")) == 1 and len(env.envelopes("policy.cancelled")) == 1


def test_bad_input_names_the_fields(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    env.clock.set_day(TODAY)
    stub = env.stub(STAFF)
    holder = new_id("cus")
    unknown = error_of(stub.CreateQuote, quote_request(holder, product_code="space_tourism"))
    assert unknown.status_code == grpc.StatusCode.INVALID_ARGUMENT and [v.field for v in unknown.violations] == ["product_code"]

    bad = error_of(stub.CreateQuote, quote_request("someone", term_start="2026-03-10", term_end="2026-03-05",
                                                   inputs={"vehicle_type": "rocket", "engine_cc": "-5", "usage": "personal"}))
    fields = {v.field for v in bad.violations}
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and bad.code == "VALIDATION_FAILED"
    assert {"holder_id", "term_end", "inputs.vehicle_type", "inputs.engine_cc", "inputs.no_claims_years"} <= fields

    hull = error_of(stub.CreateQuote, quote_request(holder, product_code="motor_hull", inputs={
        "vehicle_value": "-1000", "vehicle_type": "suv", "vehicle_age": "2", "deductible_percent": "10", "no_claims_years": "0"}))
    assert [v.field for v in hull.violations] == ["inputs.vehicle_value"]

    bad_date = error_of(stub.CreateQuote, quote_request(holder, term_start="1404/13/40"))
    assert [v.field for v in bad_date.violations] == ["term_start"]
    bad_enum = error_of(stub.ListPolicies, pb.ListPoliciesRequest(status=42))
    assert [v.field for v in bad_enum.violations] == ["status"]
    missing = error_of(stub.GetProduct, pb.GetProductRequest(product_code="nope"))
    assert missing.status_code == grpc.StatusCode.NOT_FOUND and missing.code == "PRODUCT_NOT_FOUND"


def test_scope_listing_and_paging(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    holders = [new_id("cus") for _ in range(3)]
    mine = [env.issue(holders[i % 3], TODAY + dt.timedelta(days=i)) for i in range(7)]
    other_branch = env.issue(holders[0], TODAY, branch=OTHER_BRANCH)

    agent_b = env.stub(AGENT_B_CALLER)
    hidden = error_of(agent_b.GetPolicy, pb.GetPolicyRequest(policy_id=mine[0].id))
    assert hidden.status_code == grpc.StatusCode.NOT_FOUND and hidden.code == "POLICY_NOT_FOUND"
    write = error_of(agent_b.CancelPolicy, pb.CancelPolicyRequest(policy_id=mine[0].id, expected_version=1, reason="x"))
    assert write.code == "POLICY_NOT_FOUND"
    assert list(agent_b.ListPolicies(pb.ListPoliciesRequest()).policies) == []

    staff = env.stub(STAFF)
    ids = {p.policy_id for p in staff.ListPolicies(pb.ListPoliciesRequest(page={"page_size": 100})).policies}
    assert ids == {p.id for p in mine}  # the other branch's policy stays out of the clerk's list
    assert error_of(staff.GetPolicy, pb.GetPolicyRequest(policy_id=other_branch.id)).code == "POLICY_NOT_FOUND"

    agent_a = env.stub(AGENT_A_CALLER)
    by_customer = agent_a.ListPolicies(pb.ListPoliciesRequest(customer_id=holders[0])).policies
    # An agent's book follows the agent across branches.
    assert {p.policy_id for p in by_customer} == {p.id for p in mine if p.holder_id == holders[0]} | {other_branch.id}
    # One customer's policies in pages of 1 (issue order), and by expiry with a range; staff of
    # the branch do not see the other branch's one.
    pages: list[str] = []
    request = pb.ListPoliciesRequest(customer_id=holders[0], page={"page_size": 1})
    while True:
        answer = agent_a.ListPolicies(request)
        pages += [p.policy_id for p in answer.policies]
        if not answer.page.next_page_token:
            break
        request.page.page_token = answer.page.next_page_token
    assert pages == sorted({p.policy_id for p in by_customer}) and len(pages) == 4
    holder_ends = sorted(p.term_end for p in mine if p.holder_id == holders[0])
    ranged = agent_a.ListPolicies(pb.ListPoliciesRequest(customer_id=holders[0], term_end_from=holder_ends[1].isoformat())).policies
    assert [p.term_end for p in ranged] == sorted(d.isoformat() for d in [*holder_ends[1:], other_branch.term_end] if d >= holder_ends[1])
    by_staff = staff.ListPolicies(pb.ListPoliciesRequest(customer_id=holders[0])).policies
    assert {p.policy_id for p in by_staff} == {p.id for p in mine if p.holder_id == holders[0]}
    assert list(agent_b.ListPolicies(pb.ListPoliciesRequest(customer_id=holders[0])).policies) == []

    # Expiry range, in pages of 2, ordered by expiry: the agent's "renewals coming up" list.
    ends = sorted(p.term_end for p in mine)
    request = pb.ListPoliciesRequest(agent_id=AGENT_A, term_end_from=ends[1].isoformat(), term_end_to=ends[5].isoformat(), page={"page_size": 2})
    seen: list[str] = []
    while True:
        answer = agent_a.ListPolicies(request)
        seen += [p.term_end for p in answer.policies]
        if not answer.page.next_page_token:
            break
        request.page.page_token = answer.page.next_page_token
    assert seen == [d.isoformat() for d in ends[1:6]]


def test_issue_is_idempotent_and_numbers_are_sequential_per_branch(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    env.clock.set_day(TODAY)
    stub = env.stub(STAFF)
    holder = new_id("cus")
    quote = stub.CreateQuote(quote_request(holder)).quote
    request = pb.IssuePolicyRequest(quote_id=quote.quote_id, idempotency_key="retry-me")
    with ThreadPoolExecutor(4) as pool:  # a client retrying while the first call is still running
        answers = list(pool.map(lambda _: stub.IssuePolicy(request), range(4)))
    assert len({a.policy.policy_id for a in answers}) == 1 and sum(a.created for a in answers) == 1
    assert env.database["policies"].count_documents({"holder_id": holder}) == 1
    reused = error_of(stub.IssuePolicy, pb.IssuePolicyRequest(quote_id=stub.CreateQuote(quote_request(holder)).quote.quote_id,
                                                              idempotency_key="retry-me"))
    assert reused.code == "IDEMPOTENCY_KEY_REUSED"

    numbers = []
    for branch in (BRANCH, OTHER_BRANCH, BRANCH, BRANCH, OTHER_BRANCH):
        admin = env.stub()
        q = admin.CreateQuote(quote_request(new_id("cus"), branch_code=branch)).quote
        numbers.append(admin.IssuePolicy(pb.IssuePolicyRequest(quote_id=q.quote_id)).policy.policy_number)
    # Racing retries may each have drawn a number (gaps are allowed); one after another they are consecutive.
    ours = [int(n.rsplit("-", 1)[1]) for n in numbers if n.startswith(f"{BRANCH}-1404-")]
    assert len(ours) == 3 and ours == list(range(ours[0], ours[0] + 3)) and ours[0] > 1
    assert [n for n in numbers if n.startswith(OTHER_BRANCH)] == [f"{OTHER_BRANCH}-1404-00000{i}" for i in (1, 2)]
