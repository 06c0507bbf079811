"""Admission control: at most N requests inside the application at once, a bounded wait for the rest.

Sync endpoints run on a pool of ``http_worker_threads`` threads. Without a bound in front of
it, an overloaded gateway queues every request for a thread, however long: each waits longer
than the last, clients time out and retry, and the backlog outlives the burst that made it.
Here a request takes a slot (at most ``limit``, by default the number of worker threads, so an
admitted request never waits for a thread), waits for one in arrival order for at most
``max_wait`` seconds when all are taken, and is refused — 503 ``OVERLOADED`` with
``Retry-After`` — when none frees up in time or ``max_queue`` requests are already waiting.
The answers the gateway does give stay within its deadlines; the excess gets a fast, clear
refusal instead of a slow timeout.

The limiter runs on the event loop only (no locks): ``acquire`` / ``release`` are called from
the ASGI middleware, never from worker threads.
"""

from __future__ import annotations

import asyncio
from collections import deque

from peyvand_gateway.entrypoints.metrics import ADMISSION_IN_FLIGHT, ADMISSION_WAITING, SHED_REQUESTS

# Probes and scrapes must answer while the gateway is overloaded (they take no worker thread).
EXEMPT_PATHS = frozenset({"/livez", "/readyz", "/metrics"})


class Overloaded(Exception):
    """No slot within the wait (``reason``: ``queue_full`` or ``wait_timeout``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Admission:
    def __init__(self, limit: int, max_wait: float, max_queue: int) -> None:
        if limit < 1 or max_queue < 0 or max_wait < 0:
            raise ValueError("admission: limit ≥ 1, max_queue ≥ 0 and max_wait ≥ 0 are required")
        self.limit, self.max_wait, self.max_queue = limit, max_wait, max_queue
        self.active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        """Take a slot, waiting up to ``max_wait`` seconds; raise ``Overloaded`` if none comes."""
        if self.active < self.limit and not self._waiters:
            self.active += 1
            ADMISSION_IN_FLIGHT.set(self.active)
            return
        if len(self._waiters) >= self.max_queue:
            SHED_REQUESTS.labels("queue_full").inc()
            raise Overloaded("queue_full")
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(granted)
        ADMISSION_WAITING.set(len(self._waiters))
        try:
            await asyncio.wait((granted,), timeout=self.max_wait)
        except BaseException:  # the client went away while waiting
            self._give_up(granted)
            raise
        if granted.done():
            return  # a released slot was handed over (``active`` already counts it)
        self._give_up(granted)
        SHED_REQUESTS.labels("wait_timeout").inc()
        raise Overloaded("wait_timeout")

    def release(self) -> None:
        """Free a slot: hand it to the longest waiter, or count it free."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                ADMISSION_WAITING.set(len(self._waiters))
                return
        self.active -= 1
        ADMISSION_IN_FLIGHT.set(self.active)

    def _give_up(self, granted: asyncio.Future[None]) -> None:
        if granted.done() and not granted.cancelled():
            self.release()  # it was handed a slot at the last moment: pass it on
            return
        granted.cancel()
        try:
            self._waiters.remove(granted)
        except ValueError:
            pass
        ADMISSION_WAITING.set(len(self._waiters))
