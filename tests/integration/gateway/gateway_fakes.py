"""In-process stand-ins for the customer and policy services, built from the generated proto
types (not free-form dicts) and served by the spine's real gRPC server, so identity
verification, scoping and rich error statuses are the real ones."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import grpc
from peyvand.common.v1 import paging_pb2
from peyvand.customer.v1 import customer_pb2, customer_pb2_grpc
from peyvand.policy.v1 import policy_pb2, policy_pb2_grpc
from peyvand_runtime.domain import NotFound, VersionConflict
from peyvand_runtime.grpc_server import build_server
from peyvand_runtime.identity import can_see_record, current_caller, scope_filter
from peyvand_runtime.settings import GrpcServerSettings


def _stall(seconds: float, context: grpc.ServicerContext) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until and context.is_active():
        time.sleep(0.01)


@dataclass
class FakeCustomerService(customer_pb2_grpc.CustomerServiceServicer):
    customers: dict[str, customer_pb2.Customer] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    timeline: dict[str, list[customer_pb2.TimelineEntry]] = field(default_factory=dict)
    interaction_keys: dict[str, customer_pb2.TimelineEntry] = field(default_factory=dict)
    timeline_delay: float = 0.0
    profile_delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, customer: customer_pb2.Customer) -> None:
        self.customers[customer.customer_id] = customer
        self.changes.append(customer.customer_id)

    def _visible(self, customer_id: str) -> customer_pb2.Customer:
        found = self.customers.get(customer_id)
        if found is None or not can_see_record(current_caller(), found.agent_id, found.branch_code):
            raise NotFound("customer not found", code="CUSTOMER_NOT_FOUND")
        return found

    def GetCustomer(self, request, context):  # noqa: N802
        _stall(self.profile_delay, context)
        customer = self._visible(request.customer_id)
        if request.timeline_page_size <= 0:
            return customer_pb2.GetCustomerResponse(customer=customer)
        _stall(self.timeline_delay, context)  # the real service reads the timeline in the same call
        entries = self.timeline.get(request.customer_id, [])[: request.timeline_page_size]
        return customer_pb2.GetCustomerResponse(customer=customer, timeline=entries, timeline_page=paging_pb2.PageResponse())

    def SearchCustomers(self, request, context):  # noqa: N802
        caller = current_caller()
        hits = [
            customer_pb2.SearchHit(customer=c, matched_on="name")
            for c in self.customers.values()
            if request.query in c.display_name and can_see_record(caller, c.agent_id, c.branch_code)
        ]
        return customer_pb2.SearchCustomersResponse(hits=hits, page=paging_pb2.PageResponse())

    def ListCustomers(self, request, context):  # noqa: N802
        caller = current_caller()
        found = [
            c
            for c in self.customers.values()
            if can_see_record(caller, c.agent_id, c.branch_code) and (not request.agent_id or c.agent_id == request.agent_id)
        ]
        return customer_pb2.ListCustomersResponse(customers=found, page=paging_pb2.PageResponse())

    def UpdateCustomer(self, request, context):  # noqa: N802
        with self.lock:
            current = self._visible(request.customer_id)
            if request.expected_version != current.version:
                raise VersionConflict("changed meanwhile", metadata={"current_version": str(current.version)})
            updated = customer_pb2.Customer()
            updated.CopyFrom(current)
            for name in request.update_mask:
                if name in ("first_name", "last_name"):
                    setattr(updated, name, getattr(request.customer, name))
            updated.display_name = f"{updated.first_name} {updated.last_name}"
            updated.version = current.version + 1
            self.add(updated)
        return customer_pb2.UpdateCustomerResponse(customer=updated, updated=True)

    def LogInteraction(self, request, context):  # noqa: N802
        with self.lock:
            self._visible(request.customer_id)
            if request.idempotency_key in self.interaction_keys:
                return customer_pb2.LogInteractionResponse(entry=self.interaction_keys[request.idempotency_key])
            entries = self.timeline.setdefault(request.customer_id, [])
            entry = customer_pb2.TimelineEntry(
                entry_id=f"itx_{len(entries) + 1:026d}", customer_id=request.customer_id, kind=request.kind, summary=request.summary, at="2026-11-22T08:00:00Z"
            )
            entries.append(entry)
            if request.idempotency_key:
                self.interaction_keys[request.idempotency_key] = entry
        return customer_pb2.LogInteractionResponse(entry=entry)

    def ListTimeline(self, request, context):  # noqa: N802
        self._visible(request.customer_id)
        _stall(self.timeline_delay, context)
        return customer_pb2.ListTimelineResponse(entries=self.timeline.get(request.customer_id, []), page=paging_pb2.PageResponse())

    def BatchGetCustomers(self, request, context):  # noqa: N802
        caller = current_caller()
        found = [self.customers[i] for i in request.customer_ids if i in self.customers]
        return customer_pb2.BatchGetCustomersResponse(customers=[c for c in found if can_see_record(caller, c.agent_id, c.branch_code)])

    def ListChanges(self, request, context):  # noqa: N802
        caller = current_caller()
        assert scope_filter(caller) is not None
        start = int(request.since_token or 0)
        ids = list(dict.fromkeys(self.changes[start:]))
        found = [self.customers[i] for i in ids if can_see_record(caller, self.customers[i].agent_id, self.customers[i].branch_code)]
        return customer_pb2.ListChangesResponse(customers=found, next_token=str(len(self.changes)), has_more=False)


@dataclass
class FakePolicyService(policy_pb2_grpc.PolicyServiceServicer):
    policies: list[policy_pb2.Policy] = field(default_factory=list)
    delay: float = 0.0

    def ListPolicies(self, request, context):  # noqa: N802
        _stall(self.delay, context)
        caller = current_caller()
        found = [
            p
            for p in self.policies
            if (not request.customer_id or p.holder_id == request.customer_id)
            and (not request.agent_id or p.agent_id == request.agent_id)
            and can_see_record(caller, p.agent_id, p.branch_code)
        ]
        return policy_pb2.ListPoliciesResponse(policies=found, page=paging_pb2.PageResponse())

    def GetPolicyByNumber(self, request, context):  # noqa: N802
        caller = current_caller()
        for p in self.policies:
            if p.policy_number == request.policy_number and can_see_record(caller, p.agent_id, p.branch_code):
                return policy_pb2.GetPolicyByNumberResponse(policy=p)
        raise NotFound("policy not found", code="POLICY_NOT_FOUND")


def serve(servicer: object, add: object, secret: str) -> tuple[grpc.Server, int]:
    def add_servicers(server: grpc.Server) -> list[str]:
        add(servicer, server)  # type: ignore[operator]
        return []

    server, port, _health = build_server("fake", GrpcServerSettings(grpc_port=0, identity_secret=secret), add_servicers)
    return server, port
