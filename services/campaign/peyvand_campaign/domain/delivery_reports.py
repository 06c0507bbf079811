"""When to ask the SMS provider again for a sent message's delivery report.

A report usually comes within seconds, but an operator may answer hours later or never (the
provider keeps saying "sent to the operator"). Asking about every unreported message on every
poll would spend each poll on the oldest ones, and a fixed order would ask about the same
first page forever while newer messages were never asked about. So each message has its own
next check: the longer it has waited, the longer until the next check (half its age, at least
one poll interval, at most ``MAX_INTERVAL``), and after ``give_up_after`` it is no longer asked
about: it stays ``sent``, with no report.
"""

from __future__ import annotations

import datetime as dt

from .values import require_aware

MAX_INTERVAL = dt.timedelta(hours=6)
GIVE_UP_AFTER = dt.timedelta(hours=72)


def next_report_check(sent_at: dt.datetime, now: dt.datetime, poll_every: dt.timedelta,
                      give_up_after: dt.timedelta = GIVE_UP_AFTER) -> dt.datetime | None:
    """The instant to ask again about a message sent at ``sent_at`` that has no final report
    at ``now``; ``None`` when it has waited ``give_up_after`` or longer."""
    sent_at, now = require_aware(sent_at), require_aware(now)
    if poll_every <= dt.timedelta(0):
        raise ValueError("poll_every must be positive")
    age = max(now - sent_at, dt.timedelta(0))
    if age >= give_up_after:
        return None
    wait = min(max(age / 2, poll_every), MAX_INTERVAL)
    return now + wait
