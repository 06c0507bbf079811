"""Fixtures of the security tests: one real stack per session (every role signed in, records
inside and outside each role's scope), shared by the fuzzers, the access matrix and the log scan."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from security_stack import SecurityStack  # noqa: E402


@pytest.fixture(scope="session")
def sec(infra: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecurityStack]:
    stack = SecurityStack(infra.mongo_uri, infra.amqp_uri(infra.new_vhost()), tmp_path_factory.mktemp("security-logs"))
    try:
        stack.start()
        stack.seed()
        yield stack
    finally:
        stack.stop()
