"""``python -m peyvand_customer.entrypoints.grpc_main``: the customer service's gRPC server process."""

from __future__ import annotations

import grpc
from peyvand.customer.v1 import customer_pb2, customer_pb2_grpc
from peyvand_runtime.grpc_server import serve
from peyvand_runtime.store import connect, store_is_reachable

from peyvand_customer.adapters.schema import ensure_indexes
from peyvand_customer.entrypoints.servicer import CustomerServicer
from peyvand_customer.service_layer.context import Context
from peyvand_customer.settings import CustomerGrpcSettings

SERVICE_NAME = customer_pb2.DESCRIPTOR.services_by_name["CustomerService"].full_name


def build_context(settings: CustomerGrpcSettings) -> Context:
    db = connect("customer", settings)
    ensure_indexes(db)
    return Context(db, settings.id_index_key())


def add_servicers_for(ctx: Context):  # type: ignore[no-untyped-def]
    def add(server: grpc.Server) -> list[str]:
        customer_pb2_grpc.add_CustomerServiceServicer_to_server(CustomerServicer(ctx), server)
        return [SERVICE_NAME]

    return add


def main() -> None:
    settings = CustomerGrpcSettings()
    ctx = build_context(settings)
    serve("customer", settings, add_servicers_for(ctx), readiness=lambda: store_is_reachable(ctx.db))


if __name__ == "__main__":
    main()
