"""``python -m peyvand_ticketing.entrypoints.grpc_main``: the ticketing gRPC server process."""

from __future__ import annotations

import grpc
from peyvand.ticketing.v1 import ticketing_pb2, ticketing_pb2_grpc
from peyvand_runtime import store
from peyvand_runtime.grpc_server import serve
from peyvand_runtime.tehran_time import tehran_date, utc_now

from peyvand_ticketing.entrypoints.grpc_servicer import TicketingServicer
from peyvand_ticketing.service_layer.context import Context, bootstrap
from peyvand_ticketing.settings import TicketingGrpcSettings

SERVICE_NAME = ticketing_pb2.DESCRIPTOR.services_by_name["TicketingService"].full_name


def make_add_servicers(ctx: Context):  # type: ignore[no-untyped-def]
    def add_servicers(server: grpc.Server) -> list[str]:
        ticketing_pb2_grpc.add_TicketingServiceServicer_to_server(TicketingServicer(ctx), server)
        return [SERVICE_NAME]

    return add_servicers


def main() -> None:
    settings = TicketingGrpcSettings()
    db = store.connect("ticketing", settings)
    ctx = bootstrap(db, seed_years=settings.seed_years(tehran_date(utc_now())), reopen_period=settings.reopen_period,
                    calendar_ttl=settings.calendar_ttl_seconds)
    serve("ticketing", settings, make_add_servicers(ctx), readiness=lambda: store.store_is_reachable(db))


if __name__ == "__main__":
    main()
