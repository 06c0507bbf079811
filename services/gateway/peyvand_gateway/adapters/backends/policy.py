"""The policy service client (peyvand.policy.v1.PolicyService)."""

from __future__ import annotations

from collections.abc import Callable

from peyvand.policy.v1 import policy_pb2_grpc
from peyvand_runtime.grpc_client import ServiceClient
from peyvand_runtime.identity import Caller

SERVICE = "peyvand.policy.v1.PolicyService"


class PolicyBackend:
    name = "policy"

    def __init__(self, target: str, secret: str, caller_provider: Callable[[], Caller], timeout: float) -> None:
        self.client = ServiceClient(target, policy_pb2_grpc.PolicyServiceStub, SERVICE, secret, caller_provider, timeout)
        self.stub = self.client.stub

    def close(self) -> None:
        self.client.close()
