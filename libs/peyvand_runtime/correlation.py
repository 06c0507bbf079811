"""The correlation id that follows one request across gRPC metadata, AMQP headers and logs."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager

from ulid import ULID

GRPC_METADATA_KEY = "x-correlation-id"
AMQP_HEADER = "correlation_id"
HTTP_HEADER = "X-Request-ID"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def new_correlation_id() -> str:
    return f"req_{ULID()}"


def current() -> str | None:
    return _current.get()


def ensure() -> str:
    """The current correlation id, creating one if this flow has none yet."""
    value = _current.get()
    if value is None:
        value = new_correlation_id()
        _current.set(value)
    return value


def accept(value: str | None) -> str:
    """Adopt an incoming id if it is well-formed (ids from outside are not trusted blindly)."""
    if value and _SAFE.match(value):
        return value
    return new_correlation_id()


@contextmanager
def bound(value: str | None) -> Iterator[str]:
    """Run a block with ``value`` (sanitised, or a fresh id) as the correlation id."""
    token = _current.set(accept(value))
    try:
        yield _current.get() or ""
    finally:
        _current.reset(token)
