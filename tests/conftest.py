"""Session infrastructure for every test tier that needs it: a private RabbitMQ node and a
private nx-27017 server on free ports, each test with its own databases and its own vhost.

Nothing here touches a developer's running stack: ports are free ones, data lives under a
temporary folder, and everything started is stopped at the end of the session.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    from peyvand_runtime import protogen

    protogen.ensure_generated()


@dataclass
class Infra:
    rabbit: object
    mongo: object

    @property
    def mongo_uri(self) -> str:
        return self.mongo.uri  # type: ignore[attr-defined,no-any-return]

    def new_vhost(self) -> str:
        return self.rabbit.new_vhost("t")  # type: ignore[attr-defined,no-any-return]

    def amqp_uri(self, vhost: str) -> str:
        return self.rabbit.amqp_url_for(vhost)  # type: ignore[attr-defined,no-any-return]


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    from peyvand_devstack.mongo import EmbeddedMongo
    from peyvand_devstack.rabbit import PrivateRabbitNode

    base = tmp_path_factory.mktemp("infra")
    rabbit = PrivateRabbitNode(base / "rabbit")
    mongo = EmbeddedMongo(base / "mongo")
    mongo.start()
    try:
        rabbit.start()
    except BaseException:
        mongo.stop()
        raise
    try:
        yield Infra(rabbit, mongo)
    finally:
        rabbit.stop()
        mongo.stop()


@dataclass
class Isolated:
    """What one test gets: its own database suffix and vhost on the shared private servers."""

    infra: Infra
    db_suffix: str
    vhost: str
    tmp: Path

    @property
    def amqp_uri(self) -> str:
        return self.infra.amqp_uri(self.vhost)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AMQP_", "MONGODB_"))}
        env.update(
            PEYVAND_ENV="test",
            MONGODB_URI=self.infra.mongo_uri,
            MONGODB_DB_SUFFIX=self.db_suffix,
            AMQP_URI=self.amqp_uri,
            IDENTITY_SECRET="test-secret-" + "x" * 32,
            LOG_LEVEL="INFO",
        )
        env.update(extra)
        return env

    def settings_env(self) -> dict[str, str]:
        return self.env()


@pytest.fixture
def isolated(infra: Infra, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Isolated:
    iso = Isolated(infra, f"_{uuid.uuid4().hex[:8]}", infra.new_vhost(), tmp_path)
    for key, value in iso.env().items():
        if key in ("PEYVAND_ENV", "MONGODB_URI", "MONGODB_DB_SUFFIX", "AMQP_URI", "IDENTITY_SECRET"):
            monkeypatch.setenv(key, value)
    return iso
