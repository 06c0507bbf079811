"""Building and running a Peyvand gRPC server: interceptors, health, reflection, metrics, stop.

A service's ``entrypoints/grpc_main.py`` is a few lines::

    def add_servicers(server: grpc.Server) -> list[str]:
        policy_pb2_grpc.add_PolicyServiceServicer_to_server(PolicyServicer(bootstrap()), server)
        return [policy_pb2.DESCRIPTOR.services_by_name["PolicyService"].full_name]

    serve("policy", GrpcServerSettings(), add_servicers, readiness=store_is_reachable)
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from peyvand_runtime import logs, tracing
from peyvand_runtime.grpc_interceptors import ServerSpineInterceptor
from peyvand_runtime.metrics_http import start_metrics_server
from peyvand_runtime.settings import GrpcServerSettings

logger = logging.getLogger(__name__)

AddServicers = Callable[[grpc.Server], list[str]]
DEFAULT_HOST = "127.0.0.1"


def grpc_host(settings: GrpcServerSettings) -> str:
    """The interface to bind: ``settings.grpc_host`` if the settings have one, else
    ``GRPC_HOST``, else loopback (containers set ``GRPC_HOST=0.0.0.0``)."""
    return getattr(settings, "grpc_host", None) or os.environ.get("GRPC_HOST") or DEFAULT_HOST


def build_server(
    service_name: str,
    settings: GrpcServerSettings,
    add_servicers: AddServicers,
    *,
    extra_interceptors: Sequence[grpc.ServerInterceptor] = (),
) -> tuple[grpc.Server, int, health.HealthServicer]:
    """A started server (not blocking, no signal handlers): returns it, its port and health."""
    server = grpc.server(
        ThreadPoolExecutor(max_workers=settings.grpc_max_workers, thread_name_prefix=f"{service_name}-grpc"),
        interceptors=[ServerSpineInterceptor(settings.identity_secret, cache_handlers=not extra_interceptors), *extra_interceptors],
        # Refuse to share a port with another process instead of silently splitting traffic.
        options=[("grpc.so_reuseport", 0)],
    )
    service_names = list(add_servicers(server))
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection([*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)

    host = grpc_host(settings)
    address = f"[{host}]:{settings.grpc_port}" if ":" in host else f"{host}:{settings.grpc_port}"
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as exc:
        raise RuntimeError(f"cannot bind gRPC port {address}") from exc
    if port == 0:
        raise RuntimeError(f"cannot bind gRPC port {address}")
    server.start()
    for name in ("", *service_names):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    logger.info(
        "grpc server listening",
        extra={"service": service_name, "grpc_host": host, "grpc_port": port, "grpc_services": service_names},
    )
    return server, port, health_servicer


def stop_gracefully(server: grpc.Server, health_servicer: health.HealthServicer, grace_seconds: float) -> None:
    """Report NOT_SERVING (so balancers and probes drain us), then let calls in flight finish
    for up to ``grace_seconds`` while refusing new ones."""
    health_servicer.enter_graceful_shutdown()
    server.stop(grace_seconds).wait()


def serve(
    service_name: str,
    settings: GrpcServerSettings,
    add_servicers: AddServicers,
    readiness: Callable[[], bool] | None = None,
) -> None:
    """Run a service's gRPC server until SIGTERM or SIGINT, then stop gracefully and return.

    Also serves ``/metrics``, ``/livez`` and ``/readyz`` on ``settings.metrics_port``;
    ``/readyz`` is 503 while stopping or when ``readiness()`` is false.
    """
    logs.configure(f"{service_name}-grpc", settings.log_level)
    tracing.configure(f"{service_name}-grpc")  # no-op unless OTEL_TRACES_ENABLED=true
    stopping = threading.Event()

    def ready() -> bool:
        return not stopping.is_set() and (readiness is None or readiness())

    server, _port, health_servicer = build_server(service_name, settings, add_servicers)
    metrics_server, _metrics_port = start_metrics_server(settings.metrics_port, ready, host=grpc_host(settings))

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("stop requested", extra={"signal": signal.Signals(signum).name})
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stopping.wait(0.5):
            pass
        stop_gracefully(server, health_servicer, settings.grpc_grace_seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        metrics_server.stop()
    logger.info("grpc server stopped", extra={"service": service_name})
