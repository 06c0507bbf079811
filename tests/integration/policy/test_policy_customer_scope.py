"""New business is refused for a customer outside the caller's scope, judged on the customer projection."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from peyvand.policy.v1 import policy_pb2 as pb
from peyvand_policy.adapters import customer_refs
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.ids import new_id
from policy_it_support import ADMIN, AGENT_A, AGENT_A_CALLER, AGENT_B, BRANCH, OTHER_BRANCH, STAFF, TPL_INPUTS  # type: ignore[import-not-found]


def _project(env: Any, agent: str, branch: str) -> str:
    customer_id = new_id("cus")
    customer_refs.apply_snapshot(env.database, {"customer_id": customer_id, "aggregate_version": 1, "agent_id": agent,
                                                "branch_code": branch, "status": "active"})
    return customer_id


def _quote(stub: Any, holder: str, insured: tuple[str, ...] = (), agent: str = AGENT_A) -> Any:
    return stub.CreateQuote(pb.CreateQuoteRequest(product_code="motor_tpl", holder_id=holder, insured_ids=list(insured), agent_id=agent,
                                                  branch_code=BRANCH, inputs=TPL_INPUTS)).quote


def _refused(call: Any) -> str:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    details = ErrorDetails.from_rpc_error(caught.value)
    assert details.status_code == grpc.StatusCode.NOT_FOUND
    return str(details.code)


def test_an_agent_quotes_for_own_and_unprojected_customers_only(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    stub = env.stub(AGENT_A_CALLER)
    mine, theirs = _project(env, AGENT_A, BRANCH), _project(env, AGENT_B, BRANCH)
    assert _quote(stub, mine).holder_id == mine
    assert _quote(stub, new_id("cus")).quote_id  # not projected yet: not judged
    assert _refused(lambda: _quote(stub, theirs)) == "CUSTOMER_NOT_FOUND"
    assert _refused(lambda: _quote(stub, mine, insured=(mine, theirs))) == "CUSTOMER_NOT_FOUND"  # an insured counts too
    assert env.database["quotes"].count_documents({"holder_id": theirs}) == 0


def test_staff_are_judged_by_branch_and_admins_see_every_customer(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    here, elsewhere = _project(env, AGENT_B, BRANCH), _project(env, AGENT_B, OTHER_BRANCH)
    staff = env.stub(STAFF)
    assert _quote(staff, here, agent=AGENT_B).holder_id == here
    assert _refused(lambda: _quote(staff, elsewhere, agent=AGENT_B)) == "CUSTOMER_NOT_FOUND"
    assert _quote(env.stub(ADMIN), elsewhere, agent=AGENT_B).holder_id == elsewhere


def test_concurrent_checks_each_see_their_own_customer(policy_env) -> None:  # type: ignore[no-untyped-def]
    """The projection reads of concurrent calls are grouped; every call is still judged on its own customer."""
    env = policy_env
    stub = env.stub(AGENT_A_CALLER)
    customers = [(_project(env, AGENT_A, BRANCH), True) if i % 2 else (_project(env, AGENT_B, BRANCH), False) for i in range(16)]

    def attempt(item: tuple[str, bool]) -> bool:
        try:
            _quote(stub, item[0])
            return True
        except grpc.RpcError as exc:
            assert ErrorDetails.from_rpc_error(exc).code == "CUSTOMER_NOT_FOUND"
            return False

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, customers))
    assert outcomes == [allowed for _, allowed in customers]
