"""The ticketing service client (peyvand.ticketing.v1.TicketingService)."""

from __future__ import annotations

from collections.abc import Callable

from peyvand.ticketing.v1 import ticketing_pb2_grpc
from peyvand_runtime.grpc_client import ServiceClient
from peyvand_runtime.identity import Caller

SERVICE = "peyvand.ticketing.v1.TicketingService"


class TicketingBackend:
    name = "ticketing"

    def __init__(self, target: str, secret: str, caller_provider: Callable[[], Caller], timeout: float) -> None:
        self.client = ServiceClient(target, ticketing_pb2_grpc.TicketingServiceStub, SERVICE, secret, caller_provider, timeout)
        self.stub = self.client.stub

    def close(self) -> None:
        self.client.close()
