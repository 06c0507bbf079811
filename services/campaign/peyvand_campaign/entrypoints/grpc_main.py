"""``python -m peyvand_campaign.entrypoints.grpc_main``: the campaign gRPC server."""

from __future__ import annotations

import grpc
from peyvand_runtime.grpc_server import serve
from peyvand_runtime.store import connect, store_is_reachable

from peyvand_campaign.adapters import catalogue_repo
from peyvand_campaign.adapters.collections import ensure_indexes
from peyvand_campaign.adapters.customer_consents import CustomerConsents
from peyvand_campaign.clock import make_clock
from peyvand_campaign.entrypoints.grpc_servicer import CampaignServicer, add_to
from peyvand_campaign.service_layer.rendering import LinkConfig
from peyvand_campaign.settings import CampaignGrpcSettings


def build_servicer(settings: CampaignGrpcSettings) -> CampaignServicer:
    db = connect("campaign", settings)
    ensure_indexes(db)
    catalogue_repo.seed_builtin_templates(db)
    links = LinkConfig(settings.public_base_url, settings.unsubscribe_secret, settings.call_center_name, settings.call_center_phone)
    clock = make_clock(settings.peyvand_env, settings.campaign_test_now)
    return CampaignServicer(db, CustomerConsents(settings.customer_addr, settings.identity_secret), links, clock.now)


def main() -> None:
    settings = CampaignGrpcSettings()
    servicer = build_servicer(settings)

    def add_servicers(server: grpc.Server) -> list[str]:
        return add_to(server, servicer)

    serve("campaign", settings, add_servicers, readiness=lambda: store_is_reachable(servicer.db))


if __name__ == "__main__":
    main()
