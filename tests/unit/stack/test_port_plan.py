"""``PortPlan.on_free_ports`` hands every process of a stack its own port, and the readiness
probe reads a port where something other than HTTP answers as "not ready", not as a crash."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from peyvand_devstack import ports
from peyvand_stack.harness import http_ready
from peyvand_stack.processes import PortPlan, process_specs


def _reusing_kernel(count: int) -> list[int]:
    """``free_ports`` on a kernel that hands out the lowest free port: ports released by one call
    come back in the next, as Linux may do."""
    return list(range(41000, 41000 + count))


def test_every_port_of_a_plan_is_distinct_even_when_released_ports_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ports, "free_ports", _reusing_kernel)
    plan = PortPlan.on_free_ports()
    chosen = [plan.gateway_http, *plan.grpc.values(), *[spec.metrics_port for spec in process_specs(plan)]]
    assert len(chosen) == len(set(chosen)), sorted(chosen)


def test_the_real_plan_has_distinct_free_ports() -> None:
    plan = PortPlan.on_free_ports()
    chosen = [plan.gateway_http, *plan.grpc.values(), *(plan.metrics_ports or [])]
    assert len(chosen) == len(set(chosen)) == 1 + len(plan.grpc) + 24


@pytest.fixture
def not_http() -> Iterator[int]:
    """A server that answers every connection with bytes that are not HTTP/1.1 (as a gRPC
    server's HTTP/2 SETTINGS frame is) and closes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x05\x00\x00@\x00\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_a_port_that_does_not_speak_http_is_not_ready(not_http: int) -> None:
    assert http_ready(not_http, timeout=2) is False


def test_free_ports_come_from_below_the_ephemeral_range() -> None:
    chosen = ports.free_ports(30)
    low, _ = ports.ephemeral_range()
    assert len(set(chosen)) == 30
    assert all(ports.LOWEST <= port < low for port in chosen), chosen
    for port in chosen:  # free when handed out
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


class _Scripted:
    """A random source that offers the given ports first."""

    def __init__(self, *offers: int) -> None:
        self.offers = list(offers)

    def randrange(self, low: int, high: int) -> int:
        return self.offers.pop(0) if self.offers else self.last

    last = 0


def test_a_port_in_use_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        spare = ports.free_ports(1)[0]
        monkeypatch.setattr(ports, "_random", _Scripted(taken, spare))
        assert ports.free_ports(1) == [spare]


def test_when_every_offer_is_taken_the_kernel_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        scripted = _Scripted()
        scripted.last = busy.getsockname()[1]  # every offer is the busy port
        monkeypatch.setattr(ports, "_random", scripted)
        chosen = ports.free_ports(2)
    assert len(set(chosen)) == 2 and scripted.last not in chosen
