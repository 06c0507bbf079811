"""The transactional outbox: events are saved inside the aggregate document, in the same write.

The embedded store leaks uncommitted transaction writes, so instead of a separate outbox
collection each aggregate document carries ``outbox`` (a list of envelope JSON strings)
and ``outbox_pending`` (1/0, indexed). One ``update_one`` with a compare-and-set on
``version`` writes the new state and ``$push``es the envelopes, so either both land or
neither does. The relay (``peyvand_runtime.relay``) publishes pending envelopes and
``$pull``s exactly the ones the broker confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo.collection import Collection

from peyvand_runtime import correlation, tracing
from peyvand_runtime.domain import DomainEvent, NotFound, VersionConflict
from peyvand_runtime.envelope import Envelope

OUTBOX = "outbox"
PENDING = "outbox_pending"
TRACE_PARENT_FIELD = "_traceparent"
RESERVED_FIELDS = frozenset({"_id", "version", OUTBOX, PENDING})


def envelopes(events: Iterable[DomainEvent], producer: str, now: dt.datetime, aggregate_version: int) -> list[str]:
    """Wrap events; each payload also carries ``aggregate_version`` (the version this write
    creates) so consumers can ignore a fact older than what they already hold."""
    cid = correlation.ensure()
    trace_parent = tracing.current_traceparent()
    wrapped = []
    for event in events:
        payload = {**event.payload, "aggregate_version": aggregate_version}
        text = Envelope.wrap(DomainEvent(event.type, payload, event.version), producer, cid, now).to_json()
        if trace_parent:
            # Kept beside the envelope in the store only; the relay takes it off before publishing.
            text = text[:-1] + f',"{TRACE_PARENT_FIELD}":"{trace_parent}"}}'
        wrapped.append(text)
    return wrapped


def insert_new(
    collection: Collection[Any],
    aggregate_id: str,
    fields: Mapping[str, Any],
    events: Iterable[DomainEvent],
    producer: str,
    now: dt.datetime,
) -> int:
    """Insert a new aggregate at version 1 with its events; unique-index clashes propagate."""
    _check_fields(fields)
    pending = envelopes(events, producer, now, 1)
    document = dict(fields)
    document.update({"_id": aggregate_id, "version": 1, OUTBOX: pending, PENDING: 1 if pending else 0})
    collection.insert_one(document)
    return 1


def update_versioned(
    collection: Collection[Any],
    aggregate_id: str,
    expected_version: int,
    fields: Mapping[str, Any],
    events: Iterable[DomainEvent],
    producer: str,
    now: dt.datetime,
    unset: Iterable[str] = (),
) -> int:
    """Write ``fields`` and append events only if the stored version is ``expected_version``.

    Returns the new version. A stale version raises ``VersionConflict`` and writes nothing.
    """
    _check_fields(fields)
    new_version = expected_version + 1
    pending = envelopes(events, producer, now, new_version)
    update: dict[str, Any] = {"$set": {**fields, "version": new_version}}
    if pending:
        update["$set"][PENDING] = 1
        update["$push"] = {OUTBOX: {"$each": pending}}
    unset_fields = [name for name in unset if name not in fields]
    if unset_fields:
        update["$unset"] = {name: "" for name in unset_fields}
    result = collection.update_one({"_id": aggregate_id, "version": expected_version}, update)
    if result.matched_count == 1:
        return new_version
    current = collection.find_one({"_id": aggregate_id}, {"version": 1})
    if current is None:
        raise NotFound("record not found")
    raise VersionConflict(
        "the record was changed by someone else; reload and try again",
        metadata={"current_version": str(current.get("version", 0)), "expected_version": str(expected_version)},
    )


def save(
    collection: Collection[Any],
    aggregate_id: str,
    loaded_version: int,
    fields: Mapping[str, Any],
    events: Iterable[DomainEvent],
    producer: str,
    now: dt.datetime,
) -> int:
    """Insert (``loaded_version == 0``) or compare-and-set update; returns the stored version."""
    if loaded_version == 0:
        return insert_new(collection, aggregate_id, fields, events, producer, now)
    return update_versioned(collection, aggregate_id, loaded_version, fields, events, producer, now)


def _check_fields(fields: Mapping[str, Any]) -> None:
    clash = RESERVED_FIELDS.intersection(fields)
    if clash:
        raise ValueError(f"aggregate fields may not set {sorted(clash)}")
