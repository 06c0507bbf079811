"""Fixtures for the policy integration tests (the helpers live in ``policy_it_support``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from peyvand_policy.adapters.documents import ensure_indexes  # noqa: E402
from peyvand_policy.entrypoints.grpc_servicer import add_servicers  # noqa: E402
from peyvand_policy.service_layer.context import PolicyServices  # noqa: E402
from peyvand_runtime import store  # noqa: E402
from peyvand_runtime.grpc_server import build_server  # noqa: E402
from peyvand_runtime.settings import GrpcServerSettings, ProcessSettings  # noqa: E402
from policy_it_support import SECRET, Clock, PolicyEnv  # noqa: E402


@pytest.fixture
def policy_env(isolated: Any) -> Iterator[PolicyEnv]:
    settings = ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix)
    database = store.connect("policy", settings)
    ensure_indexes(database)
    clock = Clock()
    services = PolicyServices(database, clock=clock)
    server_settings = GrpcServerSettings(peyvand_env="test", identity_secret=SECRET, grpc_port=0, grpc_max_workers=8)
    server, port, _health = build_server("policy", server_settings, add_servicers(services))
    env = PolicyEnv(database, services, clock, port, isolated)
    try:
        yield env
    finally:
        for channel in env.channels:
            channel.close()
        server.stop(0).wait()
