"""Slowing down and locking password guessing (pure: the clock is passed in).

After the n-th consecutive failure the next attempt must wait ``first_delay * 2**(n-1)``
seconds; at ``max_failures`` the name is locked for ``lock``. State is kept per username
whether or not the account exists, so the answers never reveal which names are real.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    lock: dt.timedelta = dt.timedelta(minutes=15)
    first_delay: dt.timedelta = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class ThrottleState:
    failures: int = 0
    last_failure_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None


def wait_before_attempt(state: ThrottleState, policy: ThrottlePolicy, now: dt.datetime) -> int:
    """Whole seconds the caller must wait before the next attempt is even checked (0 = go)."""
    until: dt.datetime | None = None
    if state.locked_until is not None and state.locked_until > now:
        until = state.locked_until
    elif state.failures > 0 and state.last_failure_at is not None and state.failures < policy.max_failures:
        until = state.last_failure_at + policy.first_delay * (2 ** (state.failures - 1))
    if until is None or until <= now:
        return 0
    return max(1, math.ceil((until - now).total_seconds()))


def after_failure(state: ThrottleState, policy: ThrottlePolicy, now: dt.datetime) -> ThrottleState:
    """The state after one more wrong password; a lock that ran out starts a fresh count."""
    failures = state.failures
    if state.locked_until is not None and state.locked_until <= now:
        failures = 0
    failures += 1
    if failures >= policy.max_failures:
        return ThrottleState(failures=failures, last_failure_at=now, locked_until=now + policy.lock)
    return ThrottleState(failures=failures, last_failure_at=now, locked_until=None)


def after_success() -> ThrottleState:
    return ThrottleState()
