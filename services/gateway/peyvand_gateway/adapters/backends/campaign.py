"""The campaign service client (peyvand.campaign.v1.CampaignService)."""

from __future__ import annotations

from collections.abc import Callable

from peyvand.campaign.v1 import campaign_pb2_grpc
from peyvand_runtime.grpc_client import ServiceClient
from peyvand_runtime.identity import Caller

SERVICE = "peyvand.campaign.v1.CampaignService"


class CampaignBackend:
    name = "campaign"

    def __init__(self, target: str, secret: str, caller_provider: Callable[[], Caller], timeout: float) -> None:
        self.client = ServiceClient(target, campaign_pb2_grpc.CampaignServiceStub, SERVICE, secret, caller_provider, timeout)
        self.stub = self.client.stub

    def close(self) -> None:
        self.client.close()
