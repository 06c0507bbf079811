"""The outbox relay: publishes pending envelopes to RabbitMQ with pipelined publisher confirms.

One relay per service holds a lease, claims a page of aggregates whose ``outbox_pending``
is set, publishes every envelope on one confirm-mode channel without waiting for each
confirm, and when the whole page is confirmed ``$pull``s exactly the confirmed envelopes.
A broker outage, a nack or a crash leaves envelopes in place to be published again:
events can be delivered twice (consumers are idempotent) but never lost or invented.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pika
import pymongo
from pika.spec import Basic
from prometheus_client import Counter, Gauge, Histogram
from pymongo import UpdateOne
from pymongo.database import Database

from peyvand_runtime import tracing
from peyvand_runtime.envelope import exchange_for
from peyvand_runtime.lease import Lease, holder_name
from peyvand_runtime.outbox import OUTBOX, PENDING, TRACE_PARENT_FIELD

log = logging.getLogger(__name__)

PUBLISHED = Counter("peyvand_outbox_published_total", "Events published and confirmed by the broker", ["producer"])
NACKED = Counter("peyvand_outbox_nacked_total", "Events the broker refused or did not confirm in time", ["producer"])
PAGE_SECONDS = Histogram("peyvand_outbox_page_seconds", "Time to publish and clear one page of the outbox", ["producer"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
CLAIMED = Gauge("peyvand_outbox_last_page_events", "Events in the last claimed outbox page (page size means a backlog)", ["producer"])
OLDEST = Gauge("peyvand_outbox_oldest_pending_age_seconds", "Age of the oldest event in the last claimed page (0 when idle)", ["producer"])
CONNECTED = Gauge("peyvand_outbox_broker_connected", "1 while the relay has a confirm-mode channel to the broker", ["producer"])


@dataclass
class _Page:
    docs: list[dict[str, Any]]
    outstanding: set[int] = field(default_factory=set)
    doc_of_tag: dict[int, str] = field(default_factory=dict)
    refused_docs: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)
    oldest: float = 0.0


class OutboxRelay:
    def __init__(
        self,
        database: Database[Any],
        producer: str,
        collections: list[str],
        amqp_uri: str,
        page_size: int = 500,
        idle_sleep: float = 0.2,
        max_backoff: float = 10.0,
        lease_ttl: float = 15.0,
        confirm_timeout: float = 30.0,
    ) -> None:
        self.database = database
        self.producer = producer
        self.exchange = exchange_for(producer)
        self.collections = collections
        self.amqp_uri = amqp_uri
        self.page_size = page_size
        self.idle_sleep = idle_sleep
        self.max_backoff = max_backoff
        self.confirm_timeout = confirm_timeout
        self.lease = Lease(database, f"relay:{producer}", holder_name(f"{producer}-relay"), lease_ttl)
        self._stopping = threading.Event()
        self._connection: pika.SelectConnection | None = None
        self._channel: Any = None
        self._page: _Page | None = None
        self._next_tag = 0
        self._store_backoff = 0.0
        self._collection_cursor = 0
        self.published = 0

    # -- outer loop -------------------------------------------------------------------
    def run(self) -> None:
        """Publish until ``stop()``; reconnects to the broker with exponential backoff."""
        backoff = 0.5
        while not self._stopping.is_set():
            started = time.monotonic()
            self._connect_and_loop()
            CONNECTED.labels(self.producer).set(0)
            if self._stopping.is_set():
                break
            if time.monotonic() - started > 30:
                backoff = 0.5
            log.warning("relay lost the broker; reconnecting", extra={"retry_in_s": round(backoff, 2)})
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)
        try:
            self.lease.release()
        except pymongo.errors.PyMongoError:
            pass

    def stop(self) -> None:
        self._stopping.set()
        connection = self._connection
        if connection is not None:
            try:
                connection.ioloop.add_callback_threadsafe(self._close_if_idle)
            except Exception:  # the loop may already be gone
                pass

    def _connect_and_loop(self) -> None:
        params = pika.URLParameters(self.amqp_uri)
        params.heartbeat = 30
        params.blocked_connection_timeout = 60
        params.connection_attempts = 1
        params.socket_timeout = 5
        self._page = None
        try:
            self._connection = pika.SelectConnection(
                params,
                on_open_callback=self._on_connection_open,
                on_open_error_callback=self._on_connection_error,
                on_close_callback=self._on_connection_closed,
            )
            self._connection.ioloop.start()
        except Exception:
            log.exception("relay connection failed")
        finally:
            self._connection = None
            self._channel = None

    # -- connection and channel -----------------------------------------------------------
    def _on_connection_open(self, connection: pika.SelectConnection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_connection_error(self, connection: pika.SelectConnection, error: BaseException) -> None:
        log.warning("relay cannot reach the broker", extra={"error": type(error).__name__})
        connection.ioloop.stop()

    def _on_connection_closed(self, connection: pika.SelectConnection, reason: BaseException) -> None:
        if not self._stopping.is_set():
            log.warning("relay connection closed", extra={"reason": str(reason)[:200]})
        connection.ioloop.stop()

    def _on_channel_open(self, channel: Any) -> None:
        self._channel = channel
        self._next_tag = 0
        channel.add_on_close_callback(self._on_channel_closed)
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True, callback=self._on_exchange_ready)

    def _on_channel_closed(self, channel: Any, reason: BaseException) -> None:
        if self._connection is not None and self._connection.is_open:
            self._connection.close()

    def _on_exchange_ready(self, _frame: Any) -> None:
        self._channel.confirm_delivery(self._on_confirm, callback=lambda _f: self._started())

    def _started(self) -> None:
        CONNECTED.labels(self.producer).set(1)
        log.info("relay publishing", extra={"exchange": self.exchange})
        self._schedule(0)

    def _schedule(self, delay: float) -> None:
        if self._connection is not None:
            self._connection.ioloop.call_later(delay, self._tick)

    def _close_if_idle(self) -> None:
        if self._page is None and self._connection is not None and self._connection.is_open:
            self._connection.close()

    # -- one page -------------------------------------------------------------------------
    def _tick(self) -> None:
        if self._stopping.is_set():
            self._close_if_idle()
            return
        try:
            if not self.lease.acquire():
                self._schedule(self.lease.ttl.total_seconds() / 3)
                return
            docs = self._claim()
            self._store_backoff = 0.0
        except pymongo.errors.PyMongoError as exc:
            self._store_backoff = min(max(self._store_backoff * 2, 0.25), self.max_backoff)
            log.warning("relay cannot read the store", extra={"error": type(exc).__name__, "retry_in_s": self._store_backoff})
            self._schedule(self._store_backoff)
            return
        if not docs:
            CLAIMED.labels(self.producer).set(0)
            OLDEST.labels(self.producer).set(0)
            self._schedule(self.idle_sleep)
            return
        self._publish_page(docs)

    def _claim(self) -> list[dict[str, Any]]:
        """A page of pending aggregates, taking collections in turn so none starves."""
        docs: list[dict[str, Any]] = []
        for offset in range(len(self.collections)):
            name = self.collections[(self._collection_cursor + offset) % len(self.collections)]
            for doc in self.database[name].find({PENDING: 1}, {OUTBOX: 1, "version": 1}).limit(self.page_size - len(docs)):
                doc["_collection"] = name
                docs.append(doc)
            if len(docs) >= self.page_size:
                break
        self._collection_cursor = (self._collection_cursor + 1) % max(1, len(self.collections))
        return docs

    def _publish_page(self, docs: list[dict[str, Any]]) -> None:
        page = _Page(docs)
        self._page = page
        oldest_iso = None
        count = 0
        for doc in docs:
            for raw in doc.get(OUTBOX) or []:
                envelope = json.loads(raw)
                body = raw.encode("utf-8")
                trace_parent = envelope.pop(TRACE_PARENT_FIELD, None)
                if trace_parent is not None:
                    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                if oldest_iso is None or envelope["occurred_at"] < oldest_iso:
                    oldest_iso = envelope["occurred_at"]
                headers = {"correlation_id": envelope.get("correlation_id") or ""}
                tracing.inject_publish(headers, self.exchange, envelope, trace_parent)  # adds traceparent when tracing is on
                properties = pika.BasicProperties(
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=envelope["event_id"],
                    type=envelope["type"],
                    correlation_id=envelope.get("correlation_id"),
                    app_id=self.producer,
                    headers=headers,
                )
                self._channel.basic_publish(self.exchange, envelope["type"], body, properties)
                self._next_tag += 1
                page.outstanding.add(self._next_tag)
                page.doc_of_tag[self._next_tag] = doc["_id"]
                count += 1
        CLAIMED.labels(self.producer).set(count)
        if oldest_iso:
            OLDEST.labels(self.producer).set(max(0.0, time.time() - _epoch(oldest_iso)))
        if not page.outstanding:
            self._finish_page()
            return
        tag_at_start = self._next_tag
        assert self._connection is not None  # publishing runs on the connection's own ioloop
        self._connection.ioloop.call_later(self.confirm_timeout, lambda: self._confirm_timed_out(page, tag_at_start))

    def _on_confirm(self, frame: Any) -> None:
        page = self._page
        if page is None:
            return
        method = frame.method
        refused = not isinstance(method, Basic.Ack)
        tags = [t for t in page.outstanding if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
        for tag in tags:
            page.outstanding.discard(tag)
            if refused:
                page.refused_docs.add(page.doc_of_tag[tag])
                NACKED.labels(self.producer).inc()
        if not page.outstanding:
            self._finish_page()

    def _confirm_timed_out(self, page: _Page, _tag: int) -> None:
        if self._page is page and page.outstanding:
            NACKED.labels(self.producer).inc(len(page.outstanding))
            log.warning("broker did not confirm in time; will publish the page again", extra={"unconfirmed": len(page.outstanding)})
            self._page = None
            if self._connection is not None and self._connection.is_open:
                self._connection.close()

    def _finish_page(self) -> None:
        page = self._page
        self._page = None
        if page is None:
            return
        confirmed = [doc for doc in page.docs if doc["_id"] not in page.refused_docs]
        try:
            self._clear(confirmed)
        except pymongo.errors.PyMongoError as exc:
            # Confirmed but not cleared: those events will be published again (a duplicate,
            # which consumers absorb), never lost.
            log.warning("relay could not clear published events", extra={"error": type(exc).__name__})
            self._schedule(1.0)
            return
        published = sum(len(doc.get(OUTBOX) or []) for doc in confirmed)
        self.published += published
        PUBLISHED.labels(self.producer).inc(published)
        PAGE_SECONDS.labels(self.producer).observe(time.monotonic() - page.started)
        self._schedule(0)

    def _clear(self, docs: list[dict[str, Any]]) -> None:
        by_collection: dict[str, list[dict[str, Any]]] = {}
        for doc in docs:
            by_collection.setdefault(doc["_collection"], []).append(doc)
        for name, group in by_collection.items():
            collection = self.database[name]
            pulls = [UpdateOne({"_id": d["_id"]}, {"$pull": {OUTBOX: {"$in": list(d.get(OUTBOX) or [])}}}) for d in group if d.get(OUTBOX)]
            if pulls:
                collection.bulk_write(pulls, ordered=False)
            # Only a document nobody changed since the claim is marked clean; a newer write
            # keeps its flag and its new envelopes for the next page.
            collection.bulk_write([UpdateOne({"_id": d["_id"], "version": d["version"]}, {"$set": {PENDING: 0}}) for d in group], ordered=False)


def _epoch(iso: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
