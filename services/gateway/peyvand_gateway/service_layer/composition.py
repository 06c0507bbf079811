"""Composing one answer from several backends in parallel, within one overall deadline.

Each part is started at once as a gRPC future whose own deadline is the overall one; parts
that fail or are not back in time are left out and named in ``degraded``. Nothing waits
past the deadline, so a slow or dead backend costs at most the deadline, never a hang.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from peyvand_runtime.errors import ErrorDetails

from peyvand_gateway.adapters.backends import BackendError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Part:
    name: str  # what the answer calls it: profile, policies, timeline, …
    service: str  # the backend it comes from (metric label)
    start: Callable[[float], Any]  # timeout seconds → grpc future
    present: Callable[[Any], Any]  # response message → the part's value


@dataclass
class Composed:
    values: dict[str, Any] = field(default_factory=dict)
    degraded: list[str] = field(default_factory=list)
    failures: dict[str, BackendError] = field(default_factory=dict)
    missing_services: set[str] = field(default_factory=set)


def compose(parts: list[Part], deadline_seconds: float, clock: Callable[[], float] = time.monotonic) -> Composed:
    answer = Composed()
    deadline = clock() + deadline_seconds
    started: list[tuple[Part, Any]] = []
    for part in parts:
        try:
            started.append((part, part.start(deadline_seconds)))
        except grpc.RpcError as exc:
            _fail(answer, part, BackendError(part.service, ErrorDetails.from_rpc_error(exc)))
    for part, future in started:
        remaining = max(0.0, deadline - clock())
        try:
            response = future.result(timeout=remaining)
        except grpc.FutureTimeoutError:
            future.cancel()
            _fail(answer, part, BackendError(part.service, ErrorDetails(grpc.StatusCode.DEADLINE_EXCEEDED, "DEPENDENCY_UNAVAILABLE", "")))
            continue
        except grpc.RpcError as exc:
            _fail(answer, part, BackendError(part.service, ErrorDetails.from_rpc_error(exc)))
            continue
        try:
            answer.values[part.name] = part.present(response)
        except Exception as exc:  # noqa: BLE001 - one bad part must not sink the whole answer
            log.exception("could not present a composed part", extra={"part": part.name})
            _fail(answer, part, BackendError(part.service, ErrorDetails(grpc.StatusCode.INTERNAL, "INTERNAL", type(exc).__name__)))
    return answer


def _fail(answer: Composed, part: Part, error: BackendError) -> None:
    answer.degraded.append(part.name)
    answer.failures[part.name] = error
    answer.missing_services.add(part.service)
    log.warning(
        "composed part missing", extra={"part": part.name, "service": part.service, "grpc_status": error.details.status_code.name}
    )
