"""The server interceptor every Peyvand gRPC server runs: correlation id, caller identity,
Prometheus metrics and the mapping of exceptions to rich gRPC statuses.

It wraps each method handler's behaviour, so all of it runs on the worker thread that runs
the servicer (``intercept_service`` itself runs on grpc's polling thread, where context
variables would not reach the servicer). Streaming responses are iterated with the same
context bound around every step.

Notes on the wire:
- The correlation id is echoed as ``x-correlation-id`` in trailing metadata on every
  answer (success or failure). It is not sent as initial metadata: response headers sent
  before the servicer runs commit a call, and a committed call is never retried by the
  client's retry policy (an UNAVAILABLE answer must stay retryable); sent after it, they cost
  a batch of their own on the call (``send_initial_metadata``: 3.4 % of the policy server's
  GIL time in a profile of CreateQuote + IssuePolicy), for a value the trailers already carry.
- A request that fails to decode never reaches this code: grpc answers it INTERNAL
  ("Exception deserializing request!") itself, and it is counted by no metric here.
- Method and service labels come only from registered handlers (unknown methods are
  answered UNIMPLEMENTED by grpc before this runs), so label values stay bounded.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, TypeVar

import grpc
from prometheus_client import Counter, Histogram

from peyvand_runtime import correlation, identity, tracing
from peyvand_runtime.domain import DomainError
from peyvand_runtime.errors import ErrorDetails, status_for

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Probes and tooling must work without a caller identity.
UNAUTHENTICATED_SERVICES = frozenset(
    {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"}
)
# A health ``Watch`` is a stream held open for as long as the watcher likes (the gateway keeps
# one per backend to keep its channels warm). grpcio's health servicer answers it without a
# worker thread ("non-blocking": it pushes status changes through a callback) only when the
# server sees its own handler; wrapped, every open watch would hold one of the server's
# ``grpc_max_workers`` threads until it ends. So it passes through unwrapped: no identity is
# needed for it anyway, and per-call metrics of an hour-long stream mean nothing.
PASS_THROUGH_METHODS = frozenset({"/grpc.health.v1.Health/Watch"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

STARTED = Counter("grpc_server_started", "RPCs started on the server.", ["grpc_service", "grpc_method"])
HANDLED = Counter("grpc_server_handled", "RPCs completed on the server, by status code.", ["grpc_service", "grpc_method", "grpc_code"])
HANDLING_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Time from the start of an RPC to its last response, in seconds.",
    ["grpc_service", "grpc_method"],
    buckets=LATENCY_BUCKETS,
)

_END = object()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@lru_cache(maxsize=1)
def _store_unavailable_errors() -> tuple[type[BaseException], ...]:
    """pymongo's "the database is unreachable" errors, if pymongo is installed at all."""
    try:
        from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError
    except ImportError:
        return ()
    return (ServerSelectionTimeoutError, AutoReconnect, ConnectionFailure)


class _MethodMetrics:
    """One method's metric children, resolved once per wrapped handler rather than by
    ``labels()`` on every call."""

    def __init__(self, service: str, method: str) -> None:
        self.service, self.method = service, method
        self.started = STARTED.labels(service, method)
        self.seconds = HANDLING_SECONDS.labels(service, method)
        self._handled: dict[grpc.StatusCode, Any] = {}

    def handled(self, code: grpc.StatusCode) -> Any:
        child = self._handled.get(code)
        if child is None:
            child = self._handled[code] = HANDLED.labels(self.service, self.method, code.name)
        return child


class _Rpc:
    """One call in flight: its correlation id, caller, final status code and timing."""

    def __init__(self, spine: ServerSpineInterceptor, metrics: _MethodMetrics, context: grpc.ServicerContext) -> None:
        self.spine, self.metrics, self.context = spine, metrics, context
        self.service, self.method = metrics.service, metrics.method
        self.metadata = {key: value for key, value in reversed(context.invocation_metadata() or ())}
        self.correlation_id = correlation.accept(_text(self.metadata.get(correlation.GRPC_METADATA_KEY)))
        self.code = grpc.StatusCode.OK
        self.started = time.perf_counter()
        self.span = tracing.start_server_span(self.full_method, self.metadata)  # None unless tracing is on
        metrics.started.inc()
        context.set_trailing_metadata(((correlation.GRPC_METADATA_KEY, self.correlation_id),))

    def authenticate(self) -> identity.Caller | None:
        if self.service in self.spine.unauthenticated_services:
            return None
        token = _text(self.metadata.get(identity.GRPC_METADATA_KEY))
        try:
            return self.spine.verify(token, self.spine.clock())
        except identity.IdentityError as exc:
            logger.warning("call refused: %s", exc.message, extra={"grpc_method": self.full_method})
            raise

    @property
    def full_method(self) -> str:
        return f"{self.service}/{self.method}"

    def run(self, fn: Callable[..., T], *args: Any, caller: identity.Caller | None = None) -> T:
        """Call ``fn`` with this call's correlation id and caller bound; map its failures."""
        with correlation.bound(self.correlation_id), identity.bound(caller), tracing.activated(self.span):
            try:
                return fn(*args)
            except Exception as exc:
                self.fail(exc)
                raise  # fail() always raises; this keeps type checkers informed

    def fail(self, exc: Exception) -> None:
        context = self.context
        if isinstance(exc, DomainError):
            self._abort(exc)
        already = context.code()
        if already not in (None, grpc.StatusCode.OK):
            self.code = already  # the servicer called context.abort(): its status stands
            raise exc
        if not context.is_active():
            self.code = _gone_code(context)
            raise exc  # the client is gone; nobody reads an answer
        if isinstance(exc, _store_unavailable_errors()):
            logger.warning("store unavailable: %s", type(exc).__name__, extra={"grpc_method": self.full_method})
            self._abort(DomainError("the service's store is unavailable", code="STORE_UNAVAILABLE"))
        if isinstance(exc, grpc.RpcError):
            peer = ErrorDetails.from_rpc_error(exc)
            if peer.status_code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                logger.warning("dependency unavailable: %s", peer.status_code.name, extra={"grpc_method": self.full_method})
                self._abort(DomainError("a service this call depends on is unavailable", code="DEPENDENCY_UNAVAILABLE"))
        # Only the method name is logged, never the request: it may hold personal data.
        logger.error("unexpected error in gRPC call", exc_info=exc, extra={"grpc_method": self.full_method})
        self._abort(DomainError(f"internal error (correlation id {self.correlation_id})", code="INTERNAL"))

    def _abort(self, error: DomainError) -> None:
        status = status_for(error, ((correlation.GRPC_METADATA_KEY, self.correlation_id),))
        self.code = status.code
        self.context.abort_with_status(status)

    def finish(self) -> None:
        code = self.code
        if code is grpc.StatusCode.OK:
            set_code = self.context.code()
            if set_code is not None:
                code = set_code
            elif not self.context.is_active():
                code = _gone_code(self.context)
        self.metrics.handled(code).inc()
        self.metrics.seconds.observe(time.perf_counter() - self.started)
        tracing.end_server_span(self.span, code.name)


def _gone_code(context: grpc.ServicerContext) -> grpc.StatusCode:
    remaining = context.time_remaining()
    expired = remaining is not None and remaining <= 0
    return grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.CANCELLED


def _text(value: str | bytes | None) -> str | None:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


class ServerSpineInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Correlation, identity, metrics and error mapping around every registered method."""

    def __init__(
        self,
        identity_secret: str,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
        unauthenticated_services: frozenset[str] = UNAUTHENTICATED_SERVICES,
        cache_handlers: bool = False,
    ) -> None:
        self.verify = identity.Verifier(identity_secret)
        self.clock = clock
        self.unauthenticated_services = unauthenticated_services
        # grpc asks the interceptors for a method's handler on every call. When this interceptor
        # is the last in the chain, what its continuation answers depends on the method name
        # alone (the registered handlers), so the wrapped handler is built once per method.
        # Only found methods are kept: the keys are bounded by the registered services.
        self._handlers: dict[str, grpc.RpcMethodHandler] | None = {} if cache_handlers else None

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        cache, name = self._handlers, handler_call_details.method
        if cache is not None and (known := cache.get(name)) is not None:
            return known
        handler = self._wrap(name, continuation(handler_call_details))
        if cache is not None and handler is not None:
            cache[name] = handler
        return handler

    def _wrap(self, full_method: str, handler: grpc.RpcMethodHandler | None) -> grpc.RpcMethodHandler | None:
        if handler is None or full_method in PASS_THROUGH_METHODS:
            return handler
        service, _, method = full_method.lstrip("/").rpartition("/")
        kwargs = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.request_streaming and handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(self._streaming(service, method, handler.stream_stream), **kwargs)
        if handler.request_streaming:
            return grpc.stream_unary_rpc_method_handler(self._unary(service, method, handler.stream_unary), **kwargs)
        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(self._streaming(service, method, handler.unary_stream), **kwargs)
        return grpc.unary_unary_rpc_method_handler(self._unary(service, method, handler.unary_unary), **kwargs)

    def _unary(self, service: str, method: str, behavior: Callable[[Any, grpc.ServicerContext], Any]) -> Callable[..., Any]:
        metrics = _MethodMetrics(service, method)

        def answer_once(request: Any, context: grpc.ServicerContext) -> Any:
            rpc = _Rpc(self, metrics, context)
            try:
                caller = rpc.run(rpc.authenticate)
                return rpc.run(behavior, request, context, caller=caller)
            finally:
                rpc.finish()

        return answer_once

    def _streaming(
        self, service: str, method: str, behavior: Callable[[Any, grpc.ServicerContext], Iterator[Any]]
    ) -> Callable[..., Iterator[Any]]:
        metrics = _MethodMetrics(service, method)

        def answer_stream(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            rpc = _Rpc(self, metrics, context)
            try:
                caller = rpc.run(rpc.authenticate)
                responses = rpc.run(lambda: iter(behavior(request, context)), caller=caller)
                while (item := rpc.run(next, responses, _END, caller=caller)) is not _END:
                    yield item
            finally:
                rpc.finish()

        return answer_stream
