"""Optional OpenTelemetry tracing across gateway → gRPC services → events. OFF by default.

``configure(process_name)`` is called by every process's start-up (``grpc_server.serve``,
``worker.run_worker``, ``relay_main``, the gateway's ``http_main``). It does nothing unless
``OTEL_TRACES_ENABLED=true``; then it builds a TracerProvider with

- ``OTEL_EXPORTER=console`` (the default): one JSON line per span on **stderr** (stdout
  carries the JSON logs), no network;
- ``OTEL_EXPORTER=otlp``: OTLP over HTTP/protobuf to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
  ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``; default ``http://localhost:4318/v1/traces``),
  batched in a background thread;

and the SDK's standard variables apply (``OTEL_TRACES_SAMPLER``/``_ARG``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_BSP_*``). The global OpenTelemetry provider is left
alone: only the hooks below create spans.

Hooks (each returns at once, without importing OpenTelemetry, while tracing is off):
- gRPC server (``grpc_interceptors._Rpc``): a SERVER span per call, continuing the W3C
  ``traceparent`` found in the call's metadata; active while the servicer runs.
- gRPC client (``grpc_client.PeyvandClientInterceptor``): a CLIENT span per call whose
  context goes out as ``traceparent`` metadata (grpc's own retries share it).
- gateway (``GatewayMiddleware``): a SERVER span per HTTP request. An incoming
  ``traceparent`` is ignored on purpose (the gateway faces the internet): every request
  starts a trace.
- relay: a PRODUCER span per published event, its context in the AMQP header
  ``traceparent`` (the envelope is unchanged). The outbox sits between the request that
  saved the aggregate and the relay, and it does not store a trace context, so this span
  starts a new trace; it carries ``peyvand.correlation_id``, which joins the two.
- consumer: a CONSUMER span per handled event, child of the relay's span (the header
  survives retries and dead-lettering, so a redriven event joins its original trace).

Log lines carry ``trace_id``/``span_id`` while a span is active (``logs.JsonFormatter``).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

log = logging.getLogger(__name__)

ENABLED_ENV = "OTEL_TRACES_ENABLED"
EXPORTER_ENV = "OTEL_EXPORTER"
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
INSTRUMENTATION = "peyvand_runtime"

# The tracer while tracing is on; ``None`` (the default) means every hook is a no-op.
_tracer: Any = None
_provider: Any = None
_NULL = contextlib.nullcontext()
# Parent contexts of events between ``IdempotentEventHandler.handle_message`` (which sees
# the AMQP headers) and the handler's greenthread (which sees only the envelope), by event id.
_event_parents: dict[str, Any] = {}


def enabled() -> bool:
    return _tracer is not None


def wanted() -> bool:
    return os.environ.get(ENABLED_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def configure(process_name: str, *, exporter: Any = None) -> bool:
    """Turn tracing on for this process if ``OTEL_TRACES_ENABLED`` says so; True if it is on.

    ``exporter`` (tests) replaces the one ``OTEL_EXPORTER`` names and is flushed span by span.
    A broken configuration logs an error and leaves tracing off: tracing never stops a process.
    """
    global _tracer, _provider
    if not wanted():
        return False
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        if exporter is not None:
            processor: Any = SimpleSpanProcessor(exporter)
        else:
            processor = BatchSpanProcessor(_exporter_from_env())
        provider = TracerProvider(resource=Resource.create({"service.name": process_name, "service.namespace": "peyvand"}))
        provider.add_span_processor(processor)
    except Exception as exc:  # missing package, unknown exporter, bad endpoint
        log.error("tracing requested but not configured; running without it", extra={"error": f"{type(exc).__name__}: {exc}"})
        return False
    shutdown()
    _provider = provider
    _tracer = provider.get_tracer(INSTRUMENTATION)
    atexit.register(provider.shutdown)  # flush the last batch on a normal exit
    log.info("tracing on", extra={"exporter": type(exporter).__name__ if exporter is not None else os.environ.get(EXPORTER_ENV, "console")})
    return True


def shutdown() -> None:
    """Flush and turn tracing off (tests; a process exit flushes by itself)."""
    global _tracer, _provider
    provider, _tracer, _provider = _provider, None, None
    _event_parents.clear()
    if provider is not None:
        provider.shutdown()


def _exporter_from_env() -> Any:
    kind = os.environ.get(EXPORTER_ENV, "console").strip().lower()
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(out=sys.stderr, formatter=lambda span: span.to_json(indent=None) + "\n")
    raise ValueError(f"{EXPORTER_ENV}={kind!r}: expected 'console' or 'otlp'")


# -- context propagation ------------------------------------------------------------------
def _extract(carrier: MutableMapping[str, Any] | None) -> Any:
    """The OpenTelemetry context a ``traceparent`` in ``carrier`` describes (or None)."""
    if not carrier or TRACEPARENT not in carrier:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    clean = {key: value.decode("ascii", "replace") if isinstance(value, bytes) else str(value) for key, value in carrier.items() if key in (TRACEPARENT, TRACESTATE)}
    return TraceContextTextMapPropagator().extract(clean)


def _inject(span: Any, carrier: MutableMapping[str, Any]) -> None:
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    TraceContextTextMapPropagator().inject(carrier, context=trace.set_span_in_context(span))


def _end(span: Any, error: str | None = None, exc: BaseException | None = None) -> None:
    from opentelemetry.trace import Status, StatusCode

    if exc is not None:
        span.record_exception(exc)
    if error is not None:
        span.set_status(Status(StatusCode.ERROR, error))
    span.end()


@contextlib.contextmanager
def _active(span: Any) -> Iterator[Any]:
    from opentelemetry import trace

    with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
        yield span


def activated(span: Any) -> contextlib.AbstractContextManager[Any]:
    """Make ``span`` the current span for a block (a shared no-op for ``None``)."""
    return _NULL if span is None else _active(span)


# -- gRPC -----------------------------------------------------------------------------------
def _rpc_attributes(full_method: str) -> dict[str, Any]:
    service, _, method = full_method.lstrip("/").rpartition("/")
    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": method}


def start_server_span(full_method: str, metadata: MutableMapping[str, Any]) -> Any:
    """A SERVER span for one incoming call, continuing the caller's trace (None when off)."""
    if _tracer is None:
        return None
    from opentelemetry.trace import SpanKind

    return _tracer.start_span(full_method.lstrip("/"), context=_extract(metadata), kind=SpanKind.SERVER, attributes=_rpc_attributes(full_method))


def end_server_span(span: Any, code_name: str) -> None:
    if span is None:
        return
    span.set_attribute("rpc.grpc.status_code", code_name)
    # As OpenTelemetry's gRPC conventions say for servers: only server-side faults are errors.
    _end(span, code_name if code_name in _SERVER_ERRORS else None)


_SERVER_ERRORS = frozenset({"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"})


def start_client_span(full_method: str) -> Any:
    """A CLIENT span for one outgoing call, child of the current span (None when off)."""
    if _tracer is None:
        return None
    from opentelemetry.trace import SpanKind

    return _tracer.start_span(full_method.lstrip("/"), kind=SpanKind.CLIENT, attributes=_rpc_attributes(full_method))


def client_metadata(span: Any) -> list[tuple[str, str]]:
    """The ``traceparent`` (and ``tracestate``) metadata that carries ``span`` to the server."""
    carrier: dict[str, str] = {}
    _inject(span, carrier)
    return list(carrier.items())


def run_client_call(span: Any, call: Any) -> Any:
    """Run ``call()`` (grpc's continuation) and end ``span`` when the call completes.

    Blocking calls are complete on return; futures and response streams end the span from
    their done callback, so the span covers the whole call without blocking here.
    """
    try:
        outcome = call()
    except BaseException as exc:
        _end(span, type(exc).__name__, exc)
        raise

    def done(future: Any) -> None:
        try:
            code = future.code()
        except Exception:  # a call that failed before it reached the wire
            code = None
        name = getattr(code, "name", "UNKNOWN")
        span.set_attribute("rpc.grpc.status_code", name)
        _end(span, None if name == "OK" else name)

    add_done_callback = getattr(outcome, "add_done_callback", None)
    if add_done_callback is None:
        span.end()
    else:
        add_done_callback(done)
    return outcome


# -- HTTP (gateway) ----------------------------------------------------------------------
def start_http_span(method: str) -> Any:
    """A root SERVER span for one HTTP request (renamed to the route when it is known)."""
    if _tracer is None:
        return None
    from opentelemetry.trace import SpanKind

    return _tracer.start_span(f"{method} <unmatched>", kind=SpanKind.SERVER, attributes={"http.request.method": method})


def end_http_span(span: Any, method: str, route: str, status: int) -> None:
    if span is None:
        return
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    _end(span, str(status) if status >= 500 else None)


# -- events ----------------------------------------------------------------------------------
def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the active span (None when tracing is off or no span is
    active): the outbox stores it beside an event so the relay's publish span continues
    the trace of the request that caused the event."""
    if _tracer is None:
        return None
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get(TRACEPARENT)


def inject_publish(headers: dict[str, Any], exchange: str, envelope: dict[str, Any], parent: str | None = None) -> None:
    """Relay: a PRODUCER span for one event, its context added to the AMQP ``headers``.

    ``parent`` is the ``traceparent`` stored with the event by the outbox, if any.
    """
    if _tracer is None:
        return
    from opentelemetry.trace import SpanKind

    span = _tracer.start_span(
        f"{envelope.get('type', '?')} publish",
        context=(_extract({TRACEPARENT: parent}) if parent else None) or _root_context(),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "publish",
            "messaging.destination.name": exchange,
            "messaging.message.id": str(envelope.get("event_id", "")),
            "peyvand.correlation_id": str(envelope.get("correlation_id") or ""),
        },
    )
    _inject(span, headers)
    span.end()


def _root_context() -> Any:
    from opentelemetry.context import Context

    return Context()


def remember_event_parent(event_id: str, headers: MutableMapping[str, Any] | None) -> None:
    """Consumer (receiving thread): keep the publisher's context until the handler runs."""
    if _tracer is None:
        return
    parent = _extract(headers)
    if parent is not None:
        _event_parents[event_id] = parent


def forget_event_parent(event_id: str) -> None:
    if _event_parents:
        _event_parents.pop(event_id, None)


def consume_span(envelope: Any, handler: str) -> contextlib.AbstractContextManager[Any]:
    """Consumer (handler's greenthread): a CONSUMER span around the handler, continuing the
    publisher's trace; a raised exception marks it as an error (the event will be retried)."""
    if _tracer is None:
        return _NULL
    return _consume(envelope, handler)


@contextlib.contextmanager
def _consume(envelope: Any, handler: str) -> Iterator[Any]:
    from opentelemetry.trace import SpanKind

    span = _tracer.start_span(
        f"{envelope.type} process",
        context=_event_parents.pop(envelope.event_id, None),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "process",
            "messaging.destination.name": f"{envelope.producer}.events",
            "messaging.message.id": envelope.event_id,
            "peyvand.correlation_id": envelope.correlation_id or "",
            "peyvand.handler": handler,
        },
    )
    try:
        with _active(span):
            yield span
    except BaseException as exc:
        _end(span, type(exc).__name__, exc)
        raise
    span.end()


# -- logs ---------------------------------------------------------------------------------------
def current_ids() -> tuple[str, str] | None:
    """(trace_id, span_id) in hex of the active span, for log lines; None when off or none."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)
