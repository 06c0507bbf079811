"""Idempotent event consumers: a nameko entrypoint with bounded retries and a dead-letter queue.

nameko's own ``@event_handler`` acks a message whose handler raised (or requeues it
forever). ``@on_event`` instead:
- skips events this consumer already applied (``Inbox``), acking them;
- after the handler succeeds, records applied ids in bulk and only then acks (so a crash
  before the record means redelivery, and the handler must be idempotent by key);
- on failure republishes the message to ``<queue>.retry`` (per-message TTL, exponential
  backoff, dead-lettered back to the queue) until ``max_attempts``, then parks it in
  ``<queue>.dlq`` for an operator (``python -m peyvand_runtime.deadletters``);
- sends a message that is not a valid envelope straight to the dead-letter queue.

``@on_event_batch`` is the same contract for a method that takes a *list* of envelopes
(group commit: one inbox look-up and a few bulk store calls per batch instead of several
round trips per event); it may report single events as failed, which alone are retried.
With ``inbox=False`` it keeps no inbox at all (no look-up, no record): for a handler whose
every write is refused a second time by a unique key or a version, which the contract asks of
it anyway, the inbox only saves the work of a redelivery and costs two store calls per batch.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import eventlet
from kombu.connection import Connection
from kombu.entity import Queue
from nameko.events import SERVICE_POOL, EventHandler
from nameko.messaging import QueueConsumer
from prometheus_client import Counter, Histogram

from peyvand_runtime import correlation, tracing
from peyvand_runtime.domain import DomainError
from peyvand_runtime.envelope import Envelope, EnvelopeError, iso_utc
from peyvand_runtime.inbox import PRUNE_EVERY, Inbox
from peyvand_runtime.tehran_time import utc_now

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-peyvand-attempts"
ERROR_HEADER = "x-peyvand-error"
SOURCE_QUEUE_HEADER = "x-peyvand-source-queue"
FAILED_AT_HEADER = "x-peyvand-failed-at"

CONSUMED = Counter("peyvand_events_consumed_total", "Events received by a consumer, by outcome", ["consumer", "outcome"])
HANDLING = Histogram("peyvand_event_handling_seconds", "Time a consumer's handler took", ["consumer"], buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))

# Set by the worker bootstrap (peyvand_runtime.worker) before the container starts.
_RUNTIME: dict[str, Any] = {}


def configure(database: Any, amqp_uri: str, max_attempts: int = 5, retry_delay_ms: int = 2000) -> None:
    _RUNTIME.update(database=database, amqp_uri=amqp_uri, max_attempts=max_attempts, retry_delay_ms=retry_delay_ms)


def retry_queue_name(queue: str) -> str:
    return f"{queue}.retry"


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dlq"


def consumer_queue_name(source_service: str, event_type: str, service_name: str, method_name: str) -> str:
    """nameko's name for a SERVICE_POOL handler queue (kept identical on purpose)."""
    return f"evt-{source_service}-{event_type}--{service_name}.{method_name}"


def declare_side_queues(channel: Any, queue: str) -> None:
    """Declare ``<queue>.retry`` (TTL, dead-letters back to ``queue``) and ``<queue>.dlq``."""
    Queue(retry_queue_name(queue), durable=True, queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue})(channel).declare()
    Queue(dead_letter_queue_name(queue), durable=True)(channel).declare()


class ParkingQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that a body kombu cannot decode is dead-lettered.

    kombu's default logs and acks such a message, which would silently lose it.
    """

    def on_decode_error(self, message: Any, exc: Exception) -> None:
        tag = (message.delivery_info or {}).get("consumer_tag")
        for provider, kombu_consumer in list(self._consumers.items()):
            if tag in getattr(kombu_consumer, "_active_tags", {}).values() and isinstance(provider, IdempotentEventHandler):
                CONSUMED.labels(provider.consumer, "poison").inc()
                provider._park(message, f"DecodeError: {type(exc).__name__}", attempts=0)
                return
        super().on_decode_error(message, exc)


class IdempotentEventHandler(EventHandler):
    """A SERVICE_POOL, reliable-delivery event handler with inbox, retries and dead letters."""

    queue_consumer = ParkingQueueConsumer()

    def __init__(self, source_service: str, event_type: str, **kwargs: Any) -> None:
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL, reliable_delivery=True, requeue_on_error=False, **kwargs)
        self._pending: list[tuple[str, Any]] = []
        self._publisher: Connection | None = None
        # One AMQP connection serves retries and dead letters from many greenthreads; a
        # socket must have one reader at a time (threading is green in a patched worker).
        self._publish_lock = threading.Lock()
        self._inbox: Inbox | None = None
        self.uses_inbox = True  # BatchEventHandler(inbox=False) turns it off
        self._running = False

    @property
    def consumer(self) -> str:
        return self.queue.name

    def start(self) -> None:
        self._inbox = Inbox(_RUNTIME["database"], self.consumer) if self.uses_inbox else None
        self._publisher = Connection(_RUNTIME["amqp_uri"], transport_options={"confirm_publish": True})
        with Connection(_RUNTIME["amqp_uri"]) as conn:
            declare_side_queues(conn.default_channel, self.queue.name)
        self._running = True
        self.container.spawn_managed_thread(self._flush_loop)
        super().start()

    def stop(self) -> None:
        self._running = False
        self._flush()
        super().stop()
        if self._publisher is not None:
            self._publisher.release()

    # -- receive --------------------------------------------------------------------------
    def _envelope_or_park(self, body: Any, message: Any) -> Envelope | None:
        """The message's envelope; None when it is not one (then it is parked at once: retrying
        cannot make a body decode)."""
        try:
            return Envelope.parse(message.body if isinstance(body, (bytes, str)) else body)
        except EnvelopeError as exc:
            CONSUMED.labels(self.consumer, "poison").inc()
            self._park(message, f"EnvelopeError: {exc}", attempts=0)
            return None

    def handle_message(self, body: Any, message: Any) -> None:
        envelope = self._envelope_or_park(body, message)
        if envelope is None:
            return
        assert self._inbox is not None
        try:
            if self._inbox.seen(envelope.event_id):
                CONSUMED.labels(self.consumer, "duplicate").inc()
                self.queue_consumer.ack_message(message)
                return
        except Exception:
            # Store down: leave the message unacked; it is redelivered when we reconnect.
            log.warning("inbox unreachable; requeueing", extra={"consumer": self.consumer})
            eventlet.sleep(1)
            self.queue_consumer.requeue_message(message)
            return
        message._peyvand_envelope = envelope
        message._peyvand_started = time.monotonic()
        tracing.remember_event_parent(envelope.event_id, message.headers)  # no-op unless tracing is on
        super().handle_message(envelope, message)

    def handle_result(self, message: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        HANDLING.labels(self.consumer).observe(time.monotonic() - getattr(message, "_peyvand_started", time.monotonic()))
        envelope: Envelope = message._peyvand_envelope
        tracing.forget_event_parent(envelope.event_id)
        if exc_info is None:
            CONSUMED.labels(self.consumer, "applied").inc()
            self._pending.append((envelope.event_id, message))
            return result, exc_info
        error = exc_info[1]
        reason = type(error).__name__
        if isinstance(error, DomainError):
            reason += f" {error.code}"
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        with correlation.bound(envelope.correlation_id):
            self._settle_failure(message, envelope, reason, attempts)
        return result, exc_info

    def _settle_failure(self, message: Any, envelope: Envelope, reason: str, attempts: int) -> None:
        if attempts >= _RUNTIME.get("max_attempts", 5):
            CONSUMED.labels(self.consumer, "dead_lettered").inc()
            log.error("event dead-lettered after retries", extra={"consumer": self.consumer, "event_id": envelope.event_id, "event_type": envelope.type, "attempts": attempts, "error": reason})
            self._park(message, reason, attempts)
        else:
            CONSUMED.labels(self.consumer, "retried").inc()
            log.warning("event handler failed; will retry", extra={"consumer": self.consumer, "event_id": envelope.event_id, "event_type": envelope.type, "attempts": attempts, "error": reason})
            self._retry(message, reason, attempts)

    # -- settle -----------------------------------------------------------------------------
    def _flush_loop(self) -> None:
        next_prune = time.monotonic()
        while self._running:
            eventlet.sleep(0.02)
            self._flush()
            if time.monotonic() >= next_prune and self._inbox is not None:
                next_prune = time.monotonic() + PRUNE_EVERY.total_seconds()
                try:
                    self._inbox.prune()
                except Exception:
                    log.warning("could not prune the inbox", extra={"consumer": self.consumer})

    def _flush(self) -> None:
        if not self._pending or (self._inbox is None and self.uses_inbox):
            return
        batch, self._pending = self._pending, []
        try:
            if self._inbox is not None:
                self._inbox.record_many(event_id for event_id, _ in batch)
        except Exception:
            log.warning("could not record applied events; they stay unacked", extra={"consumer": self.consumer, "count": len(batch)})
            self._pending = batch + self._pending
            eventlet.sleep(0.5)
            return
        for _, message in batch:
            try:
                self.queue_consumer.ack_message(message)
            except Exception:
                # The broker connection is gone (outage, restart): the broker requeues every
                # unacked message, and their ids are recorded, so the redeliveries are skipped.
                # Raising here would end this managed thread and with it the whole container,
                # leaving a live process that consumes nothing.
                log.warning("could not ack applied events; they will be redelivered and skipped", extra={"consumer": self.consumer, "count": len(batch)})
                return

    def _republish(self, message: Any, routing_key: str, headers: dict[str, Any], expiration_ms: int | None = None) -> None:
        assert self._publisher is not None
        properties: dict[str, Any] = {}
        if expiration_ms is not None:
            properties["expiration"] = expiration_ms / 1000.0  # kombu takes seconds
        with self._publish_lock:
            self._publish(message, routing_key, headers, properties)

    def _publish(self, message: Any, routing_key: str, headers: dict[str, Any], properties: dict[str, Any]) -> None:
        assert self._publisher is not None
        producer = self._publisher.Producer()
        self._publisher.ensure(producer, producer.publish, max_retries=5)(
            message.body,
            exchange="",
            routing_key=routing_key,
            headers=headers,
            content_type=message.content_type or "application/json",
            content_encoding=message.content_encoding or "utf-8",
            delivery_mode=2,
            **properties,
        )

    def _retry(self, message: Any, reason: str, attempts: int) -> None:
        headers = dict(message.headers or {})
        headers.update({ATTEMPTS_HEADER: attempts, ERROR_HEADER: reason[:300]})
        delay = _RUNTIME.get("retry_delay_ms", 2000) * (2 ** (attempts - 1))
        try:
            self._republish(message, retry_queue_name(self.queue.name), headers, expiration_ms=min(delay, 300_000))
        except Exception:
            log.exception("could not schedule a retry; requeueing")
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _park(self, message: Any, reason: str, attempts: int) -> None:
        headers = dict(message.headers or {})
        headers.update({ATTEMPTS_HEADER: attempts, ERROR_HEADER: reason[:300], SOURCE_QUEUE_HEADER: self.queue.name, FAILED_AT_HEADER: iso_utc(utc_now())})
        try:
            self._republish(message, dead_letter_queue_name(self.queue.name), headers)
        except Exception:
            log.exception("could not dead-letter a message; requeueing")
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


def _failure_reason(error: BaseException) -> str:
    reason = type(error).__name__
    if isinstance(error, DomainError):
        reason += f" {error.code}"
    return reason


class BatchEventHandler(IdempotentEventHandler):
    """An ``IdempotentEventHandler`` whose service method receives a list of envelopes.

    Messages are buffered as they arrive; a batch goes to the method when ``max_batch`` are
    waiting (never more than the prefetch, since unacked messages stop arriving beyond it) or
    the oldest has waited ``max_wait_seconds``. Per batch: one inbox look-up (``$in`` on
    ``_id``); ids of applied events are recorded in bulk and acked afterwards, exactly as for
    single events (a crash before the record redelivers, so the method must be idempotent by
    key). The method returns ``None`` (all applied) or a mapping ``event_id -> exception`` of
    the events it could not apply: those alone go through the bounded retries and the
    dead-letter queue; the rest are acked. Raising fails every event of the batch.
    A copy of an event id twice in one batch reaches the method once.

    ``inbox=False``: no inbox look-up or record; a redelivered event reaches the method again,
    which must then change nothing (idempotent by key, as the contract asks of it anyway).
    """

    def __init__(self, source_service: str, event_type: str, max_batch: int = 200, max_wait_seconds: float = 0.05,
                 inbox: bool = True, **kwargs: Any) -> None:
        super().__init__(source_service, event_type, **kwargs)
        self.uses_inbox = inbox  # after the base class, which turns it on
        self.max_batch = max(1, max_batch)
        self.max_wait_seconds = max_wait_seconds
        self._buffer: list[tuple[Envelope, Any]] = []
        self._oldest = 0.0
        self._idle = eventlet.event.Event()

    @property
    def batch_limit(self) -> int:
        prefetch = int(getattr(self.container, "max_workers", 0) or 0)
        return min(self.max_batch, prefetch) if prefetch > 0 else self.max_batch

    def start(self) -> None:
        super().start()
        self.container.spawn_managed_thread(self._batch_loop)

    def stop(self) -> None:
        self._running = False
        # Unacked buffered messages go back to the queue when the consumer closes.
        buffered, self._buffer = self._buffer, []
        for _, message in buffered:
            self.queue_consumer.requeue_message(message)
        super().stop()

    def handle_message(self, body: Any, message: Any) -> None:
        envelope = self._envelope_or_park(body, message)
        if envelope is None:
            return
        if not self._buffer:
            self._oldest = time.monotonic()
        self._buffer.append((envelope, message))

    def _batch_loop(self) -> None:
        while self._running:
            limit = self.batch_limit
            if not self._buffer or (len(self._buffer) < limit and time.monotonic() - self._oldest < self.max_wait_seconds):
                eventlet.sleep(0.005)
                continue
            items, self._buffer = self._buffer[:limit], self._buffer[limit:]
            self._oldest = time.monotonic()
            try:
                self._dispatch(items)
            except Exception:
                log.exception("batch dispatch failed; requeueing", extra={"consumer": self.consumer, "count": len(items)})
                for _, message in items:
                    self.queue_consumer.requeue_message(message)
                eventlet.sleep(0.5)

    def _dispatch(self, items: list[tuple[Envelope, Any]]) -> None:
        firsts: dict[str, tuple[Envelope, Any]] = {}
        copies: list[Any] = []
        for envelope, message in items:
            if envelope.event_id in firsts:
                copies.append(message)  # a redelivered copy inside the same batch
            else:
                firsts[envelope.event_id] = (envelope, message)
        try:
            seen = self._inbox.seen_many(firsts) if self._inbox is not None else set()
        except Exception:
            log.warning("inbox unreachable; requeueing", extra={"consumer": self.consumer})
            eventlet.sleep(1)
            for _, message in items:
                self.queue_consumer.requeue_message(message)
            return
        fresh = []
        for event_id, (envelope, message) in firsts.items():
            if event_id in seen:
                CONSUMED.labels(self.consumer, "duplicate").inc()
                self.queue_consumer.ack_message(message)
            else:
                fresh.append((envelope, message))
        for message in copies:
            CONSUMED.labels(self.consumer, "duplicate").inc()
            self.queue_consumer.ack_message(message)  # the first copy carries the event
        if not fresh:
            return
        done = eventlet.event.Event()
        started = time.monotonic()

        def handle_result(worker_ctx: Any, result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
            try:
                self._settle_batch(fresh, result, exc_info, started)
            finally:
                done.send(True)
            return result, exc_info

        self.container.spawn_worker(self, ([envelope for envelope, _ in fresh],), {}, context_data={}, handle_result=handle_result)
        done.wait()

    def _settle_batch(self, items: list[tuple[Envelope, Any]], result: Any, exc_info: Any, started: float) -> None:
        HANDLING.labels(self.consumer).observe(time.monotonic() - started)
        failures: Mapping[str, BaseException] = {}
        if exc_info is not None:
            failures = {envelope.event_id: exc_info[1] for envelope, _ in items}
        elif isinstance(result, Mapping):
            failures = result
        for envelope, message in items:
            error = failures.get(envelope.event_id)
            if error is None:
                CONSUMED.labels(self.consumer, "applied").inc()
                self._pending.append((envelope.event_id, message))
                continue
            attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
            with correlation.bound(envelope.correlation_id):
                self._settle_failure(message, envelope, _failure_reason(error), attempts)


def on_event(source_service: str, event_type: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a nameko service method ``def handle_x(self, envelope: Envelope)``."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        handler_name = fn.__qualname__

        @functools.wraps(fn)
        def handler(self: Any, envelope: Envelope) -> Any:
            with correlation.bound(envelope.correlation_id), tracing.consume_span(envelope, handler_name):
                return fn(self, envelope)

        return IdempotentEventHandler.decorator(source_service, event_type)(handler)

    return decorate


def on_event_batch(source_service: str, event_type: str, max_batch: int = 200, max_wait_seconds: float = 0.05,
                   inbox: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate ``def handle_x(self, envelopes: list[Envelope]) -> Mapping[str, Exception] | None``.

    Same queue name, inbox, retries and dead letters as ``on_event`` for the same method name,
    so a handler can move between the two without losing its queue. See ``BatchEventHandler``
    (and its ``inbox=False``, for handlers idempotent by key).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        handler_name = fn.__qualname__

        @functools.wraps(fn)
        def handler(self: Any, envelopes: list[Envelope]) -> Any:
            with tracing.consume_span(envelopes[0], handler_name):
                return fn(self, envelopes)

        return BatchEventHandler.decorator(source_service, event_type, max_batch=max_batch, max_wait_seconds=max_wait_seconds,
                                           inbox=inbox)(handler)

    return decorate
