"""The one event envelope every Peyvand event travels in, and the exchange it is published to."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.domain import DomainEvent
from peyvand_runtime.ids import is_id, new_id

ENVELOPE_FIELDS = ("event_id", "type", "version", "occurred_at", "producer", "correlation_id", "payload")


def exchange_for(producer: str) -> str:
    """One topic exchange per producing service; the event type is the routing key."""
    return f"{producer}.events"


def iso_utc(instant: dt.datetime) -> str:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EnvelopeError(ValueError):
    """A message that is not a well-formed Peyvand event (a poison message)."""


@dataclass(frozen=True)
class Envelope:
    event_id: str
    type: str
    version: int
    occurred_at: str
    producer: str
    correlation_id: str
    payload: dict[str, Any]

    @classmethod
    def wrap(cls, event: DomainEvent, producer: str, correlation_id: str, now: dt.datetime) -> Envelope:
        return cls(
            event_id=new_id("evt"),
            type=event.type,
            version=event.version,
            occurred_at=iso_utc(now),
            producer=producer,
            correlation_id=correlation_id,
            payload=event.payload,
        )

    def to_json(self) -> str:
        return json.dumps({name: getattr(self, name) for name in ENVELOPE_FIELDS}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def parse(cls, body: Any) -> Envelope:
        """Validate a received body (bytes, str or an already-decoded dict)."""
        if isinstance(body, (bytes, bytearray)):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise EnvelopeError("body is not UTF-8") from exc
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except json.JSONDecodeError as exc:
                raise EnvelopeError("body is not JSON") from exc
        if not isinstance(body, dict):
            raise EnvelopeError("body is not a JSON object")
        missing = [name for name in ENVELOPE_FIELDS if name not in body]
        if missing:
            raise EnvelopeError(f"envelope lacks {', '.join(missing)}")
        if not isinstance(body["event_id"], str) or not is_id(body["event_id"], "evt"):
            raise EnvelopeError("event_id is not an evt_ id")
        if not isinstance(body["payload"], dict):
            raise EnvelopeError("payload is not an object")
        if not isinstance(body["version"], int) or isinstance(body["version"], bool) or body["version"] < 1:
            raise EnvelopeError("version is not a positive integer")
        if not isinstance(body["type"], str) or "." not in body["type"]:
            raise EnvelopeError("type is not <service>.<fact>")
        return cls(**{name: body[name] for name in ENVELOPE_FIELDS})
