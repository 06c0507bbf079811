"""Quiet hours in Asia/Tehran: when a message may go out; messages wait, they are never dropped.

Default: no SMS or push from 21:00 (inclusive) to 09:00 (exclusive) Tehran time; email is not
restricted. Windows are configurable per channel (``None`` = never quiet).

Service messages about an instant (a policy expiring at 24:00 Tehran time, an appointment)
must arrive *before* it — see :func:`schedule_service_message` for the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from peyvand_runtime.tehran_time import TEHRAN, UTC

from .values import EMAIL, PUSH, SMS, require_aware

# Sending "the latest allowed moment before quiet hours" means this long before they start.
QUIET_START_MARGIN = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class QuietWindow:
    """Tehran wall-clock window [start, end); wraps past midnight when start > end."""

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("a quiet window needs different start and end times")

    def contains(self, local: dt.time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


DEFAULT_WINDOW = QuietWindow(dt.time(21, 0), dt.time(9, 0))
DEFAULT_QUIET_HOURS: Mapping[str, QuietWindow | None] = {SMS: DEFAULT_WINDOW, PUSH: DEFAULT_WINDOW, EMAIL: None}


def _window(channel: str, quiet_hours: Mapping[str, QuietWindow | None]) -> QuietWindow | None:
    return quiet_hours.get(channel)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, TEHRAN).astimezone(UTC)


def is_quiet(channel: str, now: dt.datetime,
             quiet_hours: Mapping[str, QuietWindow | None] = DEFAULT_QUIET_HOURS) -> bool:
    window = _window(channel, quiet_hours)
    local = require_aware(now).astimezone(TEHRAN)
    return window is not None and window.contains(local.time())


def _current_quiet_period(window: QuietWindow, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) as UTC instants of the quiet period that contains ``now``."""
    local = now.astimezone(TEHRAN)
    today = local.date()
    day = dt.timedelta(days=1)
    if window.start < window.end:
        return _at(today, window.start), _at(today, window.end)
    if local.time() >= window.start:
        return _at(today, window.start), _at(today + day, window.end)
    return _at(today - day, window.start), _at(today, window.end)


def next_send_at(channel: str, now: dt.datetime,
                 quiet_hours: Mapping[str, QuietWindow | None] = DEFAULT_QUIET_HOURS) -> dt.datetime:
    """``now`` (UTC) when the channel may send now, else the end of the current quiet period."""
    now = require_aware(now)
    window = _window(channel, quiet_hours)
    if window is None or not window.contains(now.astimezone(TEHRAN).time()):
        return now
    return _current_quiet_period(window, now)[1]


def latest_allowed_before(channel: str, instant: dt.datetime,
                          quiet_hours: Mapping[str, QuietWindow | None] = DEFAULT_QUIET_HOURS) -> dt.datetime:
    """The latest moment before ``instant`` outside quiet hours (a margin before they start)."""
    instant = require_aware(instant, "instant")
    window = _window(channel, quiet_hours)
    just_before = instant - QUIET_START_MARGIN
    if window is None or not window.contains(just_before.astimezone(TEHRAN).time()):
        return just_before
    start, _ = _current_quiet_period(window, just_before)
    return start - QUIET_START_MARGIN


def schedule_service_message(channel: str, now: dt.datetime, about_instant: dt.datetime,
                             quiet_hours: Mapping[str, QuietWindow | None] = DEFAULT_QUIET_HOURS,
                             earliest: dt.datetime | None = None) -> dt.datetime:
    """When to send a service message that must arrive before ``about_instant``.

    Rule:
    1. The wanted time is ``earliest`` (default ``now``), moved to the end of quiet hours when
       it falls inside them.
    2. If that is before ``about_instant``, send then.
    3. Otherwise waiting would make the message late, so send at the latest allowed moment
       before ``about_instant`` (e.g. 20:59 the evening before) — or immediately, even inside
       quiet hours, when that moment has already passed: a late-night reminder beats a
       reminder about a policy that has already expired.
    4. When ``about_instant`` is already past there is nothing to arrive before: quiet hours
       are respected as for any message.
    """
    now = require_aware(now)
    about = require_aware(about_instant, "about_instant")
    wanted = max(now, require_aware(earliest, "earliest")) if earliest is not None else now
    candidate = next_send_at(channel, wanted, quiet_hours)
    if about <= now or candidate < about:
        return candidate
    fallback = latest_allowed_before(channel, about, quiet_hours)
    return max(fallback, now)
