"""A small in-process cache with a short time to live for slowly changing look-ups
(template ids by name, template bodies, the agent directory).

Each renewal message used to read its templates and agent from the store; with thousands of
messages a minute those reads were a large share of the store's work for data that changes a
few times a day. A stale entry lives at most ``ttl`` seconds: an operator's template edit or
an agent's new phone number reaches messages rendered after that (stated, not hidden).
Misses are not cached, so a template seeded a moment later is found at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

DEFAULT_TTL_SECONDS = 10.0


class TtlCache:
    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            if hit[0] < self.clock():
                del self._data[key]
                return None
            return hit[1]

    def put(self, key: Hashable, value: Any) -> None:
        if value is None:
            return
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (self.clock() + self.ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
