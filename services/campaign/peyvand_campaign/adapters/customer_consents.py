"""Writes consent in the customer service (the owner of consent) over gRPC SetConsent."""

from __future__ import annotations

import grpc
from peyvand.customer.v1 import customer_pb2, customer_pb2_grpc
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.grpc_client import ServiceClient
from peyvand_runtime.identity import service_caller

CAMPAIGN_CALLER = service_caller("campaign")


class CustomerConsents:
    def __init__(self, target: str, secret: str, timeout_seconds: float = 3.0) -> None:
        self.client = ServiceClient(target, customer_pb2_grpc.CustomerServiceStub, "peyvand.customer.v1.CustomerService",
                                    secret, caller_provider=lambda: CAMPAIGN_CALLER, default_timeout=timeout_seconds)

    def revoke(self, customer_id: str, channel: str, purpose: str, source: str) -> None:
        """SetConsent(granted=false). Setting the same consent again is harmless, so retries are safe."""
        try:
            self.client.stub.SetConsent(customer_pb2.SetConsentRequest(
                customer_id=customer_id, channel=channel, purpose=purpose, granted=False, source=source))
        except grpc.RpcError as exc:
            raise ErrorDetails.from_rpc_error(exc).to_domain_error() from None

    def close(self) -> None:
        self.client.close()
