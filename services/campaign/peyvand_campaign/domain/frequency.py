"""Weekly frequency cap: at most N marketing messages per customer in any rolling 7 days.

Only marketing messages count and only marketing messages are capped; service messages
(renewal reminders, claim updates) always go. Pass the instants of the customer's marketing
messages that were sent *or* are queued (with their planned send time), across all
campaigns, so one batch cannot overshoot the cap. The window is (now - 7 days, now + ∞):
a message sent exactly 7 days ago no longer counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .values import require_aware

DEFAULT_WEEKLY_CAP = 3
WINDOW = dt.timedelta(days=7)


def _counted(sent_marketing_instants: Iterable[dt.datetime], now: dt.datetime) -> list[dt.datetime]:
    since = now - WINDOW
    return sorted(t for t in (require_aware(i, "sent instant") for i in sent_marketing_instants) if t > since)


def within_cap(sent_marketing_instants: Iterable[dt.datetime], now: dt.datetime,
               cap: int = DEFAULT_WEEKLY_CAP) -> bool:
    """True when one more marketing message may be sent at ``now``."""
    if cap < 0:
        raise ValueError("cap must be zero or more")
    return len(_counted(sent_marketing_instants, require_aware(now))) < cap


def next_allowed_at(sent_marketing_instants: Iterable[dt.datetime], now: dt.datetime,
                    cap: int = DEFAULT_WEEKLY_CAP) -> dt.datetime | None:
    """``now`` when within the cap, else when enough old messages leave the window.

    ``None`` when the cap is 0 (marketing is switched off for everyone).
    """
    now = require_aware(now)
    if cap == 0:
        return None
    counted = _counted(sent_marketing_instants, now)
    if len(counted) < cap:
        return now
    # The message that must leave the window so that only cap - 1 remain.
    return counted[len(counted) - cap] + WINDOW
