"""Composing one answer from several backends in parallel, within one overall deadline.

Each part is started at once as a gRPC future whose own deadline is the overall one; parts
that fail or are not back in time are left out and named in ``degraded``. Nothing waits
past the deadline, so a slow or dead backend costs at most the deadline, never a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from peyvand_runtime.errors import ErrorDetails
from prometheus_client import Histogram

from peyvand_gateway.adapters.backends import BackendError

log = logging.getLogger(__name__)
# Where a composed answer's time goes: each part from its start to its response (label: the
# part's name, a short fixed list), and the whole composition. Compared with the HTTP latency
# this separates backend time from the gateway's own.
PART_SECONDS = Histogram(
    "peyvand_gateway_compose_part_seconds",
    "Time from starting a composed part's backend call to its response, by part",
    ["part"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.8, 1.5),
)
COMPOSE_SECONDS = Histogram(
    "peyvand_gateway_compose_seconds",
    "Time to compose one answer (all parts started, waited for and presented)",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.8, 1.5),
)


@dataclass(frozen=True)
class Part:
    name: str  # what the answer calls it: profile, policies, timeline, …
    service: str  # the backend it comes from (metric label)
    start: Callable[[float], Any]  # timeout seconds → grpc future
    present: Callable[[Any], Any]  # response message → the part's value
    # When set, NOT_FOUND is an answer, not a failure (e.g. campaign has no messages for a
    # customer it has not heard of yet): the part's value is what this returns.
    when_not_found: Callable[[], Any] | None = None
    # A second stage: (response, seconds left) → the value; it may start more calls and wait
    # for them within what is left of the deadline. List such parts first.
    then: Callable[[Any, float], Any] | None = None
    # More values answered by the same call (name → presenter of the response), e.g. the
    # timeline that comes with the profile: present when the call answered, else degraded with it.
    also: tuple[tuple[str, Callable[[Any], Any]], ...] = ()


@dataclass
class Composed:
    values: dict[str, Any] = field(default_factory=dict)
    degraded: list[str] = field(default_factory=list)
    failures: dict[str, BackendError] = field(default_factory=dict)
    missing_services: set[str] = field(default_factory=set)


def compose(parts: list[Part], deadline_seconds: float, clock: Callable[[], float] = time.monotonic) -> Composed:
    """From a worker thread: waits on each part's future in turn."""
    answer = Composed()
    began = time.perf_counter()
    deadline = clock() + deadline_seconds
    for part, future in _start(answer, parts, deadline_seconds, began):
        _settle(answer, part, future, max(0.0, deadline - clock()), deadline, clock)
    COMPOSE_SECONDS.observe(time.perf_counter() - began)
    return answer


async def compose_async(parts: list[Part], deadline_seconds: float, clock: Callable[[], float] = time.monotonic) -> Composed:
    """The same answer from an ``async`` endpoint: the parts are awaited on the event loop, so
    the request needs no worker thread (a thread hop per request was ~11 % of the gateway's
    interpreter time under the 360° load). Parts with a second stage (``then``) may block while
    they wait again, so they are refused here: compose those with ``compose`` in a thread."""
    if any(part.then is not None for part in parts):
        raise ValueError("a part with a second stage blocks; compose it with compose() in a worker thread")
    answer = Composed()
    began = time.perf_counter()
    deadline = clock() + deadline_seconds
    started = _start(answer, parts, deadline_seconds, began)
    loop = asyncio.get_running_loop()
    waiters = [_when_done(loop, future) for _, future in started]
    pending = [w for w in waiters if not w.done()]
    if pending:
        await asyncio.wait(pending, timeout=max(0.0, deadline - clock()))
    for part, future in started:
        # Every future is now answered, failed, or late: result(timeout=0) never waits, and a
        # late one is cancelled and named in ``degraded`` exactly as in ``compose``.
        _settle(answer, part, future, 0.0, deadline, clock)
    COMPOSE_SECONDS.observe(time.perf_counter() - began)
    return answer


def _when_done(loop: asyncio.AbstractEventLoop, future: Any) -> asyncio.Future[None]:
    """An asyncio future set (on ``loop``) when the gRPC future is done; gRPC calls its callback
    on its own polling thread, or at once if the call is already over."""
    waiter: asyncio.Future[None] = loop.create_future()
    if not hasattr(future, "add_done_callback"):  # an already-answered stand-in (unit tests)
        waiter.set_result(None)
        return waiter

    def wake(_future: Any) -> None:
        if not waiter.done():
            waiter.set_result(None)

    def from_grpc_thread(f: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is stopping
            loop.call_soon_threadsafe(wake, f)

    future.add_done_callback(from_grpc_thread)
    return waiter


def _start(answer: Composed, parts: list[Part], deadline_seconds: float, began: float) -> list[tuple[Part, Any]]:
    """Every part's call started at once, each with the whole deadline as its own."""
    started: list[tuple[Part, Any]] = []
    for part in parts:
        try:
            future = part.start(deadline_seconds)
        except grpc.RpcError as exc:
            _fail(answer, part, BackendError(part.service, ErrorDetails.from_rpc_error(exc)))
            continue
        if hasattr(future, "add_done_callback"):
            future.add_done_callback(
                lambda _f, name=part.name: PART_SECONDS.labels(name.split(":")[0]).observe(time.perf_counter() - began)
            )
        started.append((part, future))
    return started


def _settle(answer: Composed, part: Part, future: Any, wait_seconds: float, deadline: float, clock: Callable[[], float]) -> None:
    """The part's value into ``answer``, or the part named in ``degraded`` with why."""
    try:
        response = future.result(timeout=wait_seconds)
    except grpc.FutureTimeoutError:
        future.cancel()
        _fail(answer, part, BackendError(part.service, ErrorDetails(grpc.StatusCode.DEADLINE_EXCEEDED, "DEPENDENCY_UNAVAILABLE", "")))
        return
    except grpc.RpcError as exc:
        if part.when_not_found is not None and exc.code() == grpc.StatusCode.NOT_FOUND:
            answer.values[part.name] = part.when_not_found()
            return
        _fail(answer, part, BackendError(part.service, ErrorDetails.from_rpc_error(exc)))
        return
    try:
        if part.then is not None:
            answer.values[part.name] = part.then(response, max(0.0, deadline - clock()))
        else:
            answer.values[part.name] = part.present(response)
        for name, present in part.also:
            answer.values[name] = present(response)
    except BackendError as exc:
        _fail(answer, part, exc)
    except Exception as exc:  # noqa: BLE001 - one bad part must not sink the whole answer
        log.exception("could not present a composed part", extra={"part": part.name})
        _fail(answer, part, BackendError(part.service, ErrorDetails(grpc.StatusCode.INTERNAL, "INTERNAL", type(exc).__name__)))


def _fail(answer: Composed, part: Part, error: BackendError) -> None:
    for name in (part.name, *(n for n, _ in part.also)):
        answer.values.pop(name, None)
        answer.degraded.append(name)
        answer.failures[name] = error
    answer.missing_services.add(part.service)
    log.warning(
        "composed part missing", extra={"part": part.name, "service": part.service, "grpc_status": error.details.status_code.name}
    )


def merge_group(answer: Composed, group: str, names: list[str], combine: Callable[[list[Any]], Any]) -> None:
    """Parts that together make one value (one list call per status) become ``group``: its value
    when every member answered, else ``group`` is named once in ``degraded``."""
    failed = [n for n in names if n in answer.degraded]
    values = [answer.values.pop(n) for n in names if n in answer.values]
    answer.degraded = [n for n in answer.degraded if n not in names]
    for name in names:
        error = answer.failures.pop(name, None)
        if error is not None and group not in answer.failures:
            answer.failures[group] = error
    if failed:
        answer.degraded.append(group)
    else:
        answer.values[group] = combine(values)
