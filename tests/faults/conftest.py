"""The fault suite's infrastructure: its OWN RabbitMQ node and nx-27017 server.

These tests stop, kill and restart the broker and the store; a dedicated pair keeps every other
test in the same pytest session unaffected. ``infra`` here overrides the session fixture of
``tests/conftest.py`` for this folder, so ``isolated`` (own vhost and database suffix) works
unchanged on top of it.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


@dataclass
class FaultInfra:
    """The same shape as ``tests/conftest.py``'s ``Infra``, on servers only this suite uses."""

    rabbit: Any
    mongo: Any

    @property
    def mongo_uri(self) -> str:
        return str(self.mongo.uri)

    def new_vhost(self) -> str:
        return str(self.rabbit.new_vhost("f"))

    def amqp_uri(self, vhost: str) -> str:
        return str(self.rabbit.amqp_url_for(vhost))


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultInfra]:
    from peyvand_devstack.mongo import EmbeddedMongo
    from peyvand_devstack.rabbit import PrivateRabbitNode

    base = tmp_path_factory.mktemp("fault-infra")
    rabbit = PrivateRabbitNode(base / "rabbit", name=f"peyvand-faults-{uuid.uuid4().hex[:8]}")
    mongo = EmbeddedMongo(base / "mongo")
    mongo.start()
    try:
        rabbit.start()
    except BaseException:
        mongo.stop()
        raise
    try:
        yield FaultInfra(rabbit, mongo)
    finally:
        rabbit.stop()
        mongo.stop()
