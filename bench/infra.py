"""The benchmark's own infrastructure: a private RabbitMQ node and nx-27017 in a temp dir.

Nothing here touches the machine's broker (5672) or a developer's running stack: ports are
free ones, data lives under a temporary folder, and ``close()`` stops everything it started.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peyvand_devstack.mongo import EmbeddedMongo
from peyvand_devstack.rabbit import PrivateRabbitNode

IDENTITY_SECRET = "bench-secret-" + "x" * 32


@dataclass
class Context:
    """What a suite gets: sizes, the private servers, fresh vhosts and database suffixes."""

    repeat: int
    events: int
    quick: bool
    log: Callable[[str], None]
    tmp: Path
    rabbit: PrivateRabbitNode
    mongo: EmbeddedMongo
    info: dict[str, Any] = field(default_factory=dict)  # suites may add facts for the report

    @property
    def mongo_uri(self) -> str:
        return self.mongo.uri

    def new_vhost(self) -> str:
        return self.rabbit.new_vhost("b")

    def drop_vhost(self, vhost: str) -> None:
        self.rabbit.drop_vhost(vhost)

    def amqp_uri(self, vhost: str) -> str:
        return self.rabbit.amqp_url_for(vhost)

    @staticmethod
    def new_db_suffix() -> str:
        return f"_b{uuid.uuid4().hex[:8]}"

    def process_env(self, vhost: str, db_suffix: str, **extra: str) -> dict[str, str]:
        """The environment for stack processes (as the spine tests build it)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AMQP_", "MONGODB_", "RELAY_", "CONSUMER_"))}
        env.update(
            PEYVAND_ENV="test",
            MONGODB_URI=self.mongo_uri,
            MONGODB_DB_SUFFIX=db_suffix,
            AMQP_URI=self.amqp_uri(vhost),
            IDENTITY_SECRET=IDENTITY_SECRET,
            LOG_LEVEL="INFO",
        )
        env.update(extra)
        return env


class Infra:
    """Start the private servers; ``close()`` is safe to call at any point, more than once."""

    def __init__(self, log: Callable[[str], None], keep: bool = False) -> None:
        self.log = log
        self.keep = keep
        self.tmp = Path(tempfile.mkdtemp(prefix="peyvand-bench-"))
        self.rabbit = PrivateRabbitNode(self.tmp / "rabbit")
        self.mongo = EmbeddedMongo(self.tmp / "mongo")
        self.rabbit_version = ""

    def start(self) -> None:
        self.mongo.start()
        self.log(f"infra: nx-27017 up on 127.0.0.1:{self.mongo.port} in {self.mongo.last_start_seconds or 0:.1f} s (data in {self.mongo.data_dir})")
        self.rabbit.start()
        self.log(f"infra: private RabbitMQ node {self.rabbit.nodename} up on 127.0.0.1:{self.rabbit.amqp_port} in {self.rabbit.last_start_seconds or 0:.1f} s")
        self.rabbit_version = self._rabbit_version()

    def _rabbit_version(self) -> str:
        try:
            out = self.rabbit.ctl("version", timeout=30).stdout.strip()
            match = re.search(r"\d+\.\d+\.\d+", out)
            return match.group(0) if match else out
        except Exception:
            return ""

    def close(self) -> None:
        try:
            self.rabbit.stop()
        finally:
            self.mongo.stop()
            if not self.keep:
                shutil.rmtree(self.tmp, ignore_errors=True)
        self.log("infra: private RabbitMQ node and nx-27017 stopped")
