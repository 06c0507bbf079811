"""The customer service client (peyvand.customer.v1.CustomerService)."""

from __future__ import annotations

from collections.abc import Callable

from peyvand.customer.v1 import customer_pb2_grpc
from peyvand_runtime.grpc_client import ServiceClient
from peyvand_runtime.identity import Caller

SERVICE = "peyvand.customer.v1.CustomerService"


class CustomerBackend:
    name = "customer"

    def __init__(self, target: str, secret: str, caller_provider: Callable[[], Caller], timeout: float) -> None:
        self.client = ServiceClient(target, customer_pb2_grpc.CustomerServiceStub, SERVICE, secret, caller_provider, timeout)
        self.stub = self.client.stub

    def close(self) -> None:
        self.client.close()
