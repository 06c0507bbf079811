"""``peyvand.policy.v1.PolicyService``: parse the request, call the use case, map the answer."""

from __future__ import annotations

from typing import Any

import grpc
from peyvand.policy.v1 import policy_pb2 as pb
from peyvand.policy.v1 import policy_pb2_grpc

from peyvand_policy.domain.products import get_product, list_products
from peyvand_policy.entrypoints import grpc_convert as conv
from peyvand_policy.service_layer import policies, quotes, renewing
from peyvand_policy.service_layer.context import PolicyServices

Ctx = grpc.ServicerContext


class PolicyServicer(policy_pb2_grpc.PolicyServiceServicer):  # type: ignore[misc]
    def __init__(self, services: PolicyServices) -> None:
        self.services = services

    # ---- catalogue and quotes ------------------------------------------------------------

    def ListProducts(self, request: pb.ListProductsRequest, context: Ctx) -> pb.ListProductsResponse:
        return pb.ListProductsResponse(products=[conv.product(p) for p in list_products()])

    def GetProduct(self, request: pb.GetProductRequest, context: Ctx) -> pb.GetProductResponse:
        return pb.GetProductResponse(product=conv.product(get_product(request.product_code)))

    def CreateQuote(self, request: pb.CreateQuoteRequest, context: Ctx) -> pb.CreateQuoteResponse:
        command = quotes.CreateQuote(
            product_code=request.product_code, holder_id=request.holder_id, insured_ids=list(request.insured_ids),
            agent_id=request.agent_id, branch_code=request.branch_code, inputs=dict(request.inputs),
            term_start=conv.parse_date(request.term_start, "term_start"), term_end=conv.parse_date(request.term_end, "term_end"),
            term_days=request.term_days or None,
        )
        return pb.CreateQuoteResponse(quote=conv.quote(quotes.create_quote(self.services, command)))

    def GetQuote(self, request: pb.GetQuoteRequest, context: Ctx) -> pb.GetQuoteResponse:
        return pb.GetQuoteResponse(quote=conv.quote(quotes.get_quote(self.services, request.quote_id)))

    # ---- policies ------------------------------------------------------------------------

    def IssuePolicy(self, request: pb.IssuePolicyRequest, context: Ctx) -> pb.IssuePolicyResponse:
        policy, created = policies.issue_policy(self.services, request.quote_id, request.idempotency_key)
        return pb.IssuePolicyResponse(policy=conv.policy(policy), created=created)

    def GetPolicy(self, request: pb.GetPolicyRequest, context: Ctx) -> pb.GetPolicyResponse:
        return pb.GetPolicyResponse(policy=conv.policy(policies.get_policy(self.services, request.policy_id)))

    def GetPolicyByNumber(self, request: pb.GetPolicyByNumberRequest, context: Ctx) -> pb.GetPolicyByNumberResponse:
        return pb.GetPolicyByNumberResponse(policy=conv.policy(policies.get_policy_by_number(self.services, request.policy_number)))

    def ListPolicies(self, request: pb.ListPoliciesRequest, context: Ctx) -> pb.ListPoliciesResponse:
        query = policies.ListPolicies(
            customer_id=request.customer_id, agent_id=request.agent_id, branch_code=request.branch_code,
            term_end_from=conv.parse_date(request.term_end_from, "term_end_from"),
            term_end_to=conv.parse_date(request.term_end_to, "term_end_to"),
            status=conv.status_filter(request.status), product_code=request.product_code,
            page_size=request.page.page_size, page_token=request.page.page_token,
        )
        rows, token = policies.list_policies(self.services, query)
        return pb.ListPoliciesResponse(policies=[conv.policy(p) for p in rows], page={"next_page_token": token})

    def EndorsePolicy(self, request: pb.EndorsePolicyRequest, context: Ctx) -> pb.EndorsePolicyResponse:
        changes = request.changes
        command = policies.EndorsePolicy(
            policy_id=request.policy_id, expected_version=request.expected_version,
            effective_date=conv.parse_date(request.effective_date, "effective_date"), inputs=dict(changes.inputs),
            insured_ids=list(changes.insured_ids) if changes.replace_insured_ids else None,
        )
        policy, endorsement = policies.endorse_policy(self.services, command)
        return pb.EndorsePolicyResponse(policy=conv.policy(policy), endorsement=conv.endorsement(endorsement))

    def RenewPolicy(self, request: pb.RenewPolicyRequest, context: Ctx) -> pb.RenewPolicyResponse:
        old, new = renewing.renew_policy(self.services, request.policy_id, request.quote_id, request.expected_version)
        return pb.RenewPolicyResponse(old_policy=conv.policy(old), new_policy=conv.policy(new))

    def CancelPolicy(self, request: pb.CancelPolicyRequest, context: Ctx) -> pb.CancelPolicyResponse:
        policy, cancellation = policies.cancel_policy(
            self.services, request.policy_id, request.expected_version, request.reason,
            conv.parse_date(request.effective_date, "effective_date"),
        )
        return pb.CancelPolicyResponse(policy=conv.policy(policy), cancellation=conv.cancellation(cancellation))

    def GetPolicyHistory(self, request: pb.GetPolicyHistoryRequest, context: Ctx) -> pb.GetPolicyHistoryResponse:
        entries = policies.history(self.services, request.policy_id)
        return pb.GetPolicyHistoryResponse(entries=[conv.history_entry(p, h) for p, h in entries])


def add_servicers(services: PolicyServices) -> Any:
    """The ``add_servicers`` callback for ``peyvand_runtime.grpc_server``."""

    def add(server: grpc.Server) -> list[str]:
        policy_pb2_grpc.add_PolicyServiceServicer_to_server(PolicyServicer(services), server)
        return [pb.DESCRIPTOR.services_by_name["PolicyService"].full_name]

    return add
