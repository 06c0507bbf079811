"""Raw baselines: what pika and pymongo alone reach on this machine, with no Peyvand code in the way."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pika
import pymongo
from pika.spec import Basic
from pymongo import UpdateOne

BODY_1K = b"x" * 1024


# -- broker ---------------------------------------------------------------------------------
def publish_confirmed(amqp_uri: str, queue: str, count: int, window: int = 500, body: bytes = BODY_1K) -> float:
    """Publish ``count`` persistent messages to a durable queue on a SelectConnection with
    pipelined confirms (at most ``window`` unconfirmed); msgs/s from first publish to last confirm."""

    def declare(channel: Any, then: Any) -> None:
        channel.queue_declare(queue, durable=True, callback=then)

    state = pipelined_publish(amqp_uri, [body] * count, "", queue, declare, window=window)
    return float(count / (state["ended"] - state["began"]))


def pipelined_publish(amqp_uri: str, bodies: Sequence[bytes], exchange: str, routing_key: str, declare: Callable[[Any, Any], None],
                      window: int = 500, content_type: str = "application/octet-stream") -> dict[str, Any]:
    """Publish ``bodies`` as persistent messages with pipelined publisher confirms (at most ``window``
    unconfirmed), as a relay does; ``declare(channel, then)`` declares the target and calls ``then``.
    Returns the state: ``began`` (first publish) and ``ended`` (last confirm), perf_counter instants."""
    count = len(bodies)
    state: dict[str, Any] = {"sent": 0, "confirmed": 0, "nacked": 0, "began": 0.0, "ended": 0.0, "error": None, "upto": 0}
    outstanding: set[int] = set()
    properties = pika.BasicProperties(content_type=content_type, delivery_mode=2)
    holder: dict[str, Any] = {}

    def pump() -> None:
        channel = holder["channel"]
        while state["sent"] < count and len(outstanding) < window:
            channel.basic_publish(exchange, routing_key, bodies[state["sent"]], properties)
            state["sent"] += 1
            outstanding.add(state["sent"])

    def on_confirm(frame: Any) -> None:
        method = frame.method
        tags = range(state["upto"] + 1, method.delivery_tag + 1) if method.multiple else [method.delivery_tag]
        for tag in tags:
            if tag in outstanding:
                outstanding.discard(tag)
                state["confirmed"] += 1
        if method.multiple:
            state["upto"] = max(state["upto"], method.delivery_tag)
        if not isinstance(method, Basic.Ack):
            state["nacked"] += 1
        if state["confirmed"] >= count:
            state["ended"] = time.perf_counter()
            holder["connection"].close()
        else:
            pump()

    def on_confirm_mode(_frame: Any) -> None:
        state["began"] = time.perf_counter()
        pump()

    def on_channel(channel: Any) -> None:
        holder["channel"] = channel
        declare(channel, lambda _f: channel.confirm_delivery(on_confirm, callback=on_confirm_mode))

    def on_open_error(connection: Any, error: BaseException) -> None:
        state["error"] = error
        connection.ioloop.stop()

    connection = pika.SelectConnection(
        pika.URLParameters(amqp_uri),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_open_error_callback=on_open_error,
        on_close_callback=lambda c, _r: c.ioloop.stop(),
    )
    holder["connection"] = connection
    connection.ioloop.start()
    if state["error"] is not None or not state["ended"]:
        raise RuntimeError(f"publishing did not finish: {state}")
    if state["nacked"]:
        raise RuntimeError(f"broker nacked {state['nacked']} messages")
    return state


def consume(amqp_uri: str, queue: str, count: int, prefetch: int = 200, ack_every: int = 100) -> float:
    """Consume ``count`` messages with ``prefetch`` and manual acks in batches (multiple=True); msgs/s."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=prefetch)
        state = {"got": 0, "unacked": 0, "began": 0.0, "ended": 0.0}

        def on_message(ch: Any, method: Any, _props: Any, _body: bytes) -> None:
            if not state["got"]:
                state["began"] = time.perf_counter()
            state["got"] += 1
            state["unacked"] += 1
            if state["unacked"] >= ack_every or state["got"] >= count:
                ch.basic_ack(method.delivery_tag, multiple=True)
                state["unacked"] = 0
            if state["got"] >= count:
                state["ended"] = time.perf_counter()
                ch.stop_consuming()

        channel.basic_consume(queue, on_message)
        channel.start_consuming()
        # the first message's wait is not consumer work: time from it, count the rest
        return float((count - 1) / (state["ended"] - state["began"]))
    finally:
        connection.close()


# -- store ----------------------------------------------------------------------------------
def customer_document(i: int, with_id: bool = True) -> dict[str, Any]:
    """A small document shaped like a customer aggregate (~600 bytes of BSON)."""
    doc: dict[str, Any] = {
        "display_name": f"مشتری آزمایشی شماره {i}",
        "first_name": "علی",
        "last_name": f"محمدی {i}",
        "national_id_hash": uuid.uuid4().hex + uuid.uuid4().hex,
        "mobile": f"0912{i % 10_000_000:07d}",
        "email": f"customer{i}@example.ir",
        "agent_id": f"agt_{i % 50}",
        "branch_code": f"{100 + i % 30}",
        "status": "active",
        "language": "fa",
        "birth_date": "1365-04-12",
        "address": {"province": "تهران", "city": "تهران", "line": f"خیابان ولیعصر، پلاک {i}", "postal_code": "1234567890"},
        "tags": ["vip", "motor"],
        "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "version": 1,
    }
    if with_id:
        doc["_id"] = f"cus_{uuid.uuid4().hex}"
    return doc


def insert_many_rate(collection: Any, count: int, batch: int = 1000) -> float:
    docs = [customer_document(i) for i in range(count)]
    began = time.perf_counter()
    for start in range(0, count, batch):
        collection.insert_many(docs[start : start + batch], ordered=False)
    return float(count / (time.perf_counter() - began))


def insert_one_rate(collection: Any, count: int) -> float:
    docs = [customer_document(i) for i in range(count)]
    began = time.perf_counter()
    for doc in docs:
        collection.insert_one(doc)
    return float(count / (time.perf_counter() - began))


def consumer_store_mix_rate(database: Any, count: int, flush_every: int = 64, ttl: bool = False) -> float:
    """The policy worker's store work per event, done directly: an inbox ``find_one`` (a miss),
    the version-guarded upsert into ``customer_refs``, and ``insert_many`` of applied ids every
    ``flush_every`` events. Events/s, one client, sequential.

    ``ttl=False`` indexes ``applied_at`` plainly: nx-27017 (neosqlite) purges expired documents
    on every read of a collection with a TTL index, which makes each inbox ``find_one`` cost
    grow with the collection; the baseline is what the store does for these operations."""
    applied = database["applied_events"]
    refs = database["customer_refs"]
    if ttl:
        applied.create_index("applied_at", expireAfterSeconds=30 * 86400)
    else:
        applied.create_index("applied_at")
    refs.create_index("merged_into")
    now = dt.datetime.now(dt.UTC)
    items = [(f"policy:evt_{uuid.uuid4().hex}", f"cus_{uuid.uuid4().hex}") for _ in range(count)]
    fields = {"display_name": "مشتری آزمایشی", "agent_id": "agt_1", "branch_code": "101", "mobile": "", "email": "", "language": "fa", "status": "active", "version": 1}
    pending: list[dict[str, Any]] = []
    began = time.perf_counter()
    for key, customer_id in items:
        applied.find_one({"_id": key}, {"_id": 1})
        try:
            refs.update_one({"_id": customer_id, "version": {"$lt": 1}}, {"$set": fields}, upsert=True)
        except pymongo.errors.DuplicateKeyError:
            pass
        pending.append({"_id": key, "applied_at": now})
        if len(pending) >= flush_every:
            applied.insert_many(pending, ordered=False)
            pending = []
    if pending:
        applied.insert_many(pending, ordered=False)
    return float(count / (time.perf_counter() - began))


def relay_store_mix_rate(collection: Any, count: int, page_size: int = 500, envelope_bytes: int = 420) -> float:
    """The relay's store work per event, done directly on ``count`` pending aggregates (inserted
    untimed): claim a page (indexed find with projection), ``$pull`` the envelopes (bulk), clear
    the flag with a version guard (bulk). Events/s, one client."""
    collection.create_index("outbox_pending")
    envelope = "e" * envelope_bytes
    docs = []
    for i in range(count):
        doc = customer_document(i)
        doc.update(outbox=[f"{envelope}{i}"], outbox_pending=1)
        docs.append(doc)
    for start in range(0, count, 1000):
        collection.insert_many(docs[start : start + 1000], ordered=False)
    done = 0
    began = time.perf_counter()
    while True:
        page = list(collection.find({"outbox_pending": 1}, {"outbox": 1, "version": 1}).limit(page_size))
        if not page:
            break
        collection.bulk_write([UpdateOne({"_id": d["_id"]}, {"$pull": {"outbox": {"$in": list(d["outbox"])}}}) for d in page], ordered=False)
        collection.bulk_write([UpdateOne({"_id": d["_id"], "version": d["version"]}, {"$set": {"outbox_pending": 0}}) for d in page], ordered=False)
        done += sum(len(d["outbox"]) for d in page)
    elapsed = time.perf_counter() - began
    if done != count:
        raise RuntimeError(f"relay store mix cleared {done} of {count}")
    return float(count / elapsed)
