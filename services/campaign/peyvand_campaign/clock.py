"""The campaign processes' clock: real UTC time, or (PEYVAND_ENV=test only) a settable start.

Quiet hours and "arrive before" scheduling depend on the Tehran wall clock, so tests need to
run the real processes at 22:30 Tehran time. ``CAMPAIGN_TEST_NOW`` (or ``--now`` on the jobs
CLI) sets where the clock starts; it then advances in real time. Outside test mode it is
refused, so production can never run on a made-up clock.
"""

from __future__ import annotations

import datetime as dt
import time

from peyvand_runtime.tehran_time import as_utc, utc_now


class Clock:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self._start = as_utc(start) if start else None
        self._mono = time.monotonic()

    def now(self) -> dt.datetime:
        if self._start is None:
            return utc_now()
        return self._start + dt.timedelta(seconds=time.monotonic() - self._mono)

    @property
    def is_fake(self) -> bool:
        return self._start is not None


def make_clock(peyvand_env: str, test_now: str) -> Clock:
    if not test_now:
        return Clock()
    if peyvand_env != "test":
        raise ValueError("a fixed clock (CAMPAIGN_TEST_NOW / --now) is only allowed when PEYVAND_ENV=test")
    start = dt.datetime.fromisoformat(test_now.replace("Z", "+00:00"))
    if start.tzinfo is None:
        raise ValueError("CAMPAIGN_TEST_NOW needs a time zone offset")
    return Clock(start)
