"""Policies, quotes and products for branch staff (``/api/v1``), passed to the policy service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from peyvand.common.v1 import paging_pb2
from peyvand.policy.v1 import policy_pb2
from peyvand_runtime.domain import DomainError

from peyvand_gateway.adapters.backends import Backends, call
from peyvand_gateway.adapters.backends.policy import PolicyBackend
from peyvand_gateway.entrypoints import presenters
from peyvand_gateway.entrypoints.deps import GatewayDep, StaffUser
from peyvand_gateway.entrypoints.etags import parse_if_match, version_etag
from peyvand_gateway.entrypoints.schemas.common import PROBLEM_RESPONSES, Page
from peyvand_gateway.entrypoints.schemas.policies import (
    HistoryEntryPublic,
    PolicyCancel,
    PolicyEndorse,
    PolicyIssue,
    PolicyPublic,
    PolicyRenew,
    ProductPublic,
    QuoteCreate,
    QuotePublic,
)

router = APIRouter(prefix="/api/v1", tags=["policies"], responses=PROBLEM_RESPONSES)
_STATUS = {"active": policy_pb2.ACTIVE, "renewed": policy_pb2.RENEWED, "lapsed": policy_pb2.LAPSED, "cancelled": policy_pb2.CANCELLED}


def _policy(backends: Backends) -> PolicyBackend:
    if backends.policy is None:
        raise DomainError("the policy service is not configured", code="DEPENDENCY_UNAVAILABLE")
    return backends.policy


@router.get("/products", operation_id="listProducts", response_model=list[ProductPublic], tags=["products"])
def list_products(who: StaffUser, gateway: GatewayDep) -> list[dict[str, Any]]:
    answer = call("policy", _policy(gateway.backends).stub.ListProducts, policy_pb2.ListProductsRequest())
    return [{"code": p.code, "name_fa": p.name_fa, "name_en": p.name_en} for p in answer.products]


@router.get("/policies", operation_id="listPolicies", response_model=Page[PolicyPublic])
def list_policies(
    who: StaffUser,
    gateway: GatewayDep,
    customer_id: str = "",
    agent_id: str = "",
    branch_code: str = "",
    status: Annotated[str, Query(pattern="^(|active|renewed|lapsed|cancelled)$")] = "",
    term_end_from: str = "",
    term_end_to: str = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> dict[str, Any]:
    answer = call(
        "policy",
        _policy(gateway.backends).stub.ListPolicies,
        policy_pb2.ListPoliciesRequest(
            customer_id=customer_id,
            agent_id=agent_id,
            branch_code=branch_code,
            status=_STATUS.get(status, policy_pb2.POLICY_STATUS_UNSPECIFIED),
            term_end_from=term_end_from,
            term_end_to=term_end_to,
            page=paging_pb2.PageRequest(page_size=limit, page_token=cursor),
        ),
    )
    return {"items": [presenters.policy(p) for p in answer.policies], "next_cursor": answer.page.next_page_token or None}


@router.get("/policies/{policy_id}", operation_id="getPolicy", response_model=PolicyPublic)
def get_policy(policy_id: str, who: StaffUser, gateway: GatewayDep, response: Response) -> dict[str, Any]:
    answer = call("policy", _policy(gateway.backends).stub.GetPolicy, policy_pb2.GetPolicyRequest(policy_id=policy_id))
    response.headers["ETag"] = version_etag(answer.policy.version)
    return presenters.policy(answer.policy)


@router.get("/policies/{policy_id}/history", operation_id="getPolicyHistory", response_model=list[HistoryEntryPublic])
def get_policy_history(policy_id: str, who: StaffUser, gateway: GatewayDep) -> list[dict[str, Any]]:
    answer = call("policy", _policy(gateway.backends).stub.GetPolicyHistory, policy_pb2.GetPolicyHistoryRequest(policy_id=policy_id))
    return [presenters.history_entry(e) for e in answer.entries]


@router.post("/quotes", operation_id="createQuote", response_model=QuotePublic, status_code=201)
def create_quote(body: QuoteCreate, who: StaffUser, gateway: GatewayDep) -> dict[str, Any]:
    answer = call("policy", _policy(gateway.backends).stub.CreateQuote, policy_pb2.CreateQuoteRequest(**body.model_dump()))
    return presenters.quote(answer.quote)


@router.get("/quotes/{quote_id}", operation_id="getQuote", response_model=QuotePublic)
def get_quote(quote_id: str, who: StaffUser, gateway: GatewayDep) -> dict[str, Any]:
    answer = call("policy", _policy(gateway.backends).stub.GetQuote, policy_pb2.GetQuoteRequest(quote_id=quote_id))
    return presenters.quote(answer.quote)


@router.post("/policies", operation_id="issuePolicy", response_model=PolicyPublic, status_code=201)
def issue_policy(
    body: PolicyIssue, who: StaffUser, gateway: GatewayDep, idempotency_key: Annotated[str, Header(max_length=100)] = ""
) -> dict[str, Any]:
    answer = call(
        "policy", _policy(gateway.backends).stub.IssuePolicy, policy_pb2.IssuePolicyRequest(quote_id=body.quote_id, idempotency_key=idempotency_key)
    )
    return presenters.policy(answer.policy)


@router.post("/policies/{policy_id}/endorsements", operation_id="endorsePolicy", response_model=PolicyPublic)
def endorse_policy(
    policy_id: str, body: PolicyEndorse, who: StaffUser, gateway: GatewayDep, if_match: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    changes = policy_pb2.PolicyChanges(inputs=body.inputs, insured_ids=body.insured_ids or [], replace_insured_ids=body.insured_ids is not None)
    answer = call(
        "policy",
        _policy(gateway.backends).stub.EndorsePolicy,
        policy_pb2.EndorsePolicyRequest(
            policy_id=policy_id, expected_version=parse_if_match(if_match), effective_date=body.effective_date, changes=changes
        ),
    )
    return presenters.policy(answer.policy)


@router.post("/policies/{policy_id}/renewal", operation_id="renewPolicy", response_model=PolicyPublic)
def renew_policy(
    policy_id: str, body: PolicyRenew, who: StaffUser, gateway: GatewayDep, if_match: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    answer = call(
        "policy",
        _policy(gateway.backends).stub.RenewPolicy,
        policy_pb2.RenewPolicyRequest(policy_id=policy_id, quote_id=body.quote_id, expected_version=parse_if_match(if_match)),
    )
    return presenters.policy(answer.new_policy)


@router.post("/policies/{policy_id}/cancellation", operation_id="cancelPolicy", response_model=PolicyPublic)
def cancel_policy(
    policy_id: str, body: PolicyCancel, who: StaffUser, gateway: GatewayDep, if_match: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    answer = call(
        "policy",
        _policy(gateway.backends).stub.CancelPolicy,
        policy_pb2.CancelPolicyRequest(
            policy_id=policy_id, expected_version=parse_if_match(if_match), reason=body.reason, effective_date=body.effective_date
        ),
    )
    return presenters.policy(answer.policy)
