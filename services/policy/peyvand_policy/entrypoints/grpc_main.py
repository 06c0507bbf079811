"""``python -m peyvand_policy.entrypoints.grpc_main``: the policy service's gRPC server process."""

from __future__ import annotations

from peyvand_runtime import store
from peyvand_runtime.grpc_server import serve
from peyvand_runtime.settings import GrpcServerSettings

from peyvand_policy.adapters.documents import ensure_indexes
from peyvand_policy.entrypoints.grpc_servicer import add_servicers
from peyvand_policy.service_layer.context import PolicyServices


def main() -> None:
    settings = GrpcServerSettings()
    database = store.connect("policy", settings)
    ensure_indexes(database)
    services = PolicyServices(database)
    serve("policy", settings, add_servicers(services), readiness=lambda: store.store_is_reachable(database))
    services.issues.flush_counts()  # the status counters of the last second's issues


if __name__ == "__main__":
    main()
