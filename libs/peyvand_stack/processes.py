"""Every Peyvand process: its name, command, environment and how to tell it is ready."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

GRPC_SERVICES = ("customer", "policy", "ticketing", "campaign")

# Aggregate collections that carry an outbox, per producing service (the relay's work list).
OUTBOX_COLLECTIONS: dict[str, tuple[str, ...]] = {
    "customer": ("parties",),
    "policy": ("policies",),
    "ticketing": ("tickets", "tasks"),
    "campaign": ("journeys", "deliveries", "campaigns"),
    "gateway": ("agents",),
}


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]
    kind: str  # grpc | worker | relay | jobs | http
    service: str
    env: dict[str, str] = field(default_factory=dict)
    grpc_port: int | None = None
    metrics_port: int | None = None
    http_port: int | None = None


METRICS_PORTS = 24  # one per process of the stack, with room to spare


@dataclass
class PortPlan:
    """Ports for one stack; ``make run`` uses the fixed defaults, tests ask for free ones."""

    gateway_http: int = 8000
    # Below Linux's ephemeral range (32768–60999): with 5005x an outgoing connection of any
    # process on the machine could hold the port at the moment a server binds it (seen once).
    # Containers keep 50051 (their own network namespace, deploy/).
    grpc: dict[str, int] = field(default_factory=lambda: {"customer": 7051, "policy": 7052, "ticketing": 7053, "campaign": 7054})
    metrics_base: int = 9101

    metrics_ports: list[int] | None = None

    def metrics(self, index: int) -> int:
        if self.metrics_ports is not None:
            return self.metrics_ports[index]
        return self.metrics_base + index

    @classmethod
    def on_free_ports(cls) -> PortPlan:
        """Every port free right now: for tests and benchmarks beside a running stack."""
        from peyvand_devstack.ports import free_ports

        # One call for the whole plan: ``free_ports`` holds its ports open while choosing, so they
        # are distinct; separate calls could each be handed a port the other just released (a
        # metrics port equal to a gRPC port: seen once in CI, the readiness probe met gRPC).
        ports = free_ports(1 + len(GRPC_SERVICES) + METRICS_PORTS)
        grpc_ports = ports[1:1 + len(GRPC_SERVICES)]
        return cls(gateway_http=ports[0], grpc=dict(zip(GRPC_SERVICES, grpc_ports, strict=True)), metrics_base=0,
                   metrics_ports=ports[1 + len(GRPC_SERVICES):])


def _py(module: str, *args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", module, *args)


def peer_env(plan: PortPlan) -> dict[str, str]:
    return {f"{svc.upper()}_ADDR": f"127.0.0.1:{port}" for svc, port in plan.grpc.items()}


def process_specs(plan: PortPlan, services: tuple[str, ...] | None = None) -> list[ProcessSpec]:
    """All processes of the stack (or of ``services``), in start order."""
    wanted = set(services or (*GRPC_SERVICES, "gateway"))
    specs: list[ProcessSpec] = []
    index = 0

    def add(name: str, argv: tuple[str, ...], kind: str, service: str, **kw: int) -> None:
        nonlocal index
        metrics_port = plan.metrics(index)
        index += 1
        if service in wanted:
            specs.append(ProcessSpec(name, argv, kind, service, metrics_port=metrics_port, **kw))

    for svc in GRPC_SERVICES:
        add(f"{svc}-grpc", _py(f"peyvand_{svc}.entrypoints.grpc_main"), "grpc", svc, grpc_port=plan.grpc[svc])
        add(f"{svc}-worker", _py(f"peyvand_{svc}.entrypoints.worker_main"), "worker", svc)
        add(f"{svc}-relay", _py("peyvand_runtime.relay_main", "--service", svc, "--collections", ",".join(OUTBOX_COLLECTIONS[svc])), "relay", svc)
    for svc in ("policy", "ticketing", "campaign"):
        add(f"{svc}-jobs", _py(f"peyvand_{svc}.entrypoints.jobs_main"), "jobs", svc)
    add("gateway", _py("peyvand_gateway.entrypoints.http_main"), "http", "gateway", http_port=plan.gateway_http)
    # The gateway's own outbox (org.agent_changed from ``agents``). Listed last so the metrics
    # ports of the processes above keep their indexes.
    add("gateway-relay", _py("peyvand_runtime.relay_main", "--service", "gateway", "--collections", ",".join(OUTBOX_COLLECTIONS["gateway"])), "relay", "gateway")
    return specs


def process_env(spec: ProcessSpec, base: dict[str, str], plan: PortPlan) -> dict[str, str]:
    env = dict(base)
    env.update(peer_env(plan))
    if spec.metrics_port is not None:
        env["METRICS_PORT"] = str(spec.metrics_port)
    if spec.grpc_port is not None:
        env["GRPC_PORT"] = str(spec.grpc_port)
    if spec.http_port is not None:
        env["HTTP_PORT"] = str(spec.http_port)
    env["PEYVAND_PROCESS"] = spec.name
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(spec.env)
    return env
