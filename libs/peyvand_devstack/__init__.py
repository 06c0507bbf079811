"""Start and stop the local infrastructure (RabbitMQ, the embedded MongoDB) for tests and ``make run``."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# imported lazily so `python -m peyvand_devstack.rabbit` does not find its module pre-imported
_EXPORTS = {
    "EmbeddedMongo": "mongo",
    "PrivateRabbitNode": "rabbit",
    "ensure_local_broker": "rabbit",
    "free_port": "ports",
    "port_open": "ports",
    "wait_for_port": "ports",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'peyvand_devstack' has no attribute {name!r}")
    return getattr(import_module(f"peyvand_devstack.{_EXPORTS[name]}"), name)
