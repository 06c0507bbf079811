"""Fixtures for the devstack tests: real RabbitMQ nodes and nx-27017 servers, always cleaned up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from peyvand_devstack.mongo import EmbeddedMongo
from peyvand_devstack.ports import port_open
from peyvand_devstack.procs import find_pids, terminate
from peyvand_devstack.rabbit import RABBIT_BIN, PrivateRabbitNode

SYSTEM_BROKER = ("127.0.0.1", 5672)


@pytest.fixture(scope="session", autouse=True)
def system_broker_untouched() -> Iterator[None]:
    """Whatever the tests do, the machine's broker on 5672 must still answer afterwards."""
    was_up = port_open(*SYSTEM_BROKER)
    yield
    if was_up:
        assert port_open(*SYSTEM_BROKER), "the system RabbitMQ on 127.0.0.1:5672 stopped answering"


@pytest.fixture
def rabbit_node(tmp_path: Path) -> Iterator[PrivateRabbitNode]:
    if not (RABBIT_BIN / "rabbitmq-server").exists():
        pytest.skip("RabbitMQ is not installed: apt-get install -y rabbitmq-server")
    node = PrivateRabbitNode(tmp_path / "rabbit")
    try:
        yield node
    finally:
        node.stop()
        for pid in find_pids("beam.smp", f"-home {node.base_dir} "):  # belt and braces
            terminate(pid, grace=2)


@pytest.fixture
def mongo_factory(tmp_path: Path) -> Iterator[type[EmbeddedMongo]]:
    """Make EmbeddedMongo servers under tmp_path; every one made is stopped at the end."""
    made: list[EmbeddedMongo] = []

    def make(name: str = "mongo", port: int | None = None) -> EmbeddedMongo:
        server = EmbeddedMongo(tmp_path / name, port=port)
        made.append(server)
        return server

    try:
        yield make  # type: ignore[misc]
    finally:
        for server in made:
            server.stop()
