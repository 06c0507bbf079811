"""Iran's business calendar in Asia/Tehran: working hours, holidays and business-minute arithmetic."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from peyvand_runtime.domain import Violations
from peyvand_runtime.tehran_time import TEHRAN, UTC

ONE_DAY = dt.timedelta(days=1)
ONE_MINUTE = dt.timedelta(minutes=1)
_ZERO = dt.timedelta(0)

# Python weekday numbers (Monday == 0). The Iranian week runs Saturday..Friday.
SATURDAY, SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = 5, 6, 0, 1, 2, 3, 4
FULL_WORKDAYS = frozenset({SATURDAY, SUNDAY, MONDAY, TUESDAY, WEDNESDAY})

Window = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class BusinessHours:
    """Opening and closing wall-clock time (Tehran) of one working day; closing is exclusive."""

    start: dt.time
    end: dt.time

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


DEFAULT_WORKDAY_HOURS = BusinessHours(dt.time(8, 0), dt.time(16, 0))
DEFAULT_THURSDAY_HOURS = BusinessHours(dt.time(8, 0), dt.time(12, 0))


def to_utc(instant: dt.datetime) -> dt.datetime:
    # Stored datetimes come back naive and are UTC by the repository rule.
    tz = instant.tzinfo
    if tz is UTC:
        return instant
    if tz is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


class BusinessCalendar:
    """Saturday–Wednesday full days, Thursday a half day (or off), Friday and holidays off.

    Immutable: when the admin corrects the holiday table the adapter builds a new calendar.
    Whole-day capacities use wall-clock minutes; that equals elapsed time because every
    Tehran offset change (DST ended in 2022) happened at midnight, outside any window.
    """

    def __init__(
        self,
        holidays: Iterable[dt.date] = (),
        workday_hours: BusinessHours = DEFAULT_WORKDAY_HOURS,
        thursday_hours: BusinessHours | None = DEFAULT_THURSDAY_HOURS,
    ) -> None:
        problems = Violations()
        if workday_hours.minutes <= 0:
            problems.add("workday_hours", "closing time must be after opening time")
        if thursday_hours is not None and thursday_hours.minutes <= 0:
            problems.add("thursday_hours", "closing time must be after opening time")
        problems.raise_if_any()
        self.workday_hours = workday_hours
        self.thursday_hours = thursday_hours
        hours: list[BusinessHours | None] = [None] * 7
        for weekday in FULL_WORKDAYS:
            hours[weekday] = workday_hours
        hours[THURSDAY] = thursday_hours
        self._hours = tuple(hours)
        self._day_minutes = tuple(h.minutes if h else 0 for h in self._hours)
        self._week_minutes = sum(self._day_minutes)
        self.holidays = frozenset(holidays)
        # Only holidays on working weekdays remove capacity; prefix sums make whole-day spans O(log n).
        self._working_holidays = sorted(d for d in self.holidays if self._day_minutes[d.weekday()])
        self._holiday_prefix = [0]
        for day in self._working_holidays:
            self._holiday_prefix.append(self._holiday_prefix[-1] + self._day_minutes[day.weekday()])
        self._windows: dict[dt.date, Window | None] = {}

    def with_holidays(self, holidays: Iterable[dt.date]) -> BusinessCalendar:
        return BusinessCalendar(holidays, self.workday_hours, self.thursday_hours)

    # -- days -------------------------------------------------------------------------------

    def is_business_day(self, day: dt.date) -> bool:
        return bool(self._day_minutes[day.weekday()]) and day not in self.holidays

    def window(self, day: dt.date) -> Window | None:
        """Opening and closing instants (UTC) of a Tehran date, or None when closed all day."""
        try:
            return self._windows[day]
        except KeyError:
            pass
        hours = self._hours[day.weekday()]
        result: Window | None = None
        if hours is not None and day not in self.holidays:
            result = (
                dt.datetime.combine(day, hours.start, TEHRAN).astimezone(UTC),
                dt.datetime.combine(day, hours.end, TEHRAN).astimezone(UTC),
            )
        self._windows[day] = result
        return result

    def _whole_days_minutes(self, first: dt.date, stop: dt.date) -> int:
        """Business minutes of the whole Tehran days in [first, stop)."""
        count = (stop - first).days
        if count <= 0:
            return 0
        weeks, rest = divmod(count, 7)
        weekday = first.weekday()
        total = weeks * self._week_minutes
        for offset in range(rest):
            total += self._day_minutes[(weekday + offset) % 7]
        lo = bisect.bisect_left(self._working_holidays, first)
        hi = bisect.bisect_left(self._working_holidays, stop)
        return total - (self._holiday_prefix[hi] - self._holiday_prefix[lo])

    # -- instants ---------------------------------------------------------------------------

    def is_business_time(self, instant: dt.datetime) -> bool:
        t = to_utc(instant)
        w = self.window(t.astimezone(TEHRAN).date())
        return w is not None and w[0] <= t < w[1]

    def next_business_instant(self, instant: dt.datetime) -> dt.datetime:
        """The instant itself when inside business hours, else the next opening (UTC)."""
        t = to_utc(instant)
        day = t.astimezone(TEHRAN).date()
        while True:
            w = self.window(day)
            if w is not None and t < w[1]:
                return t if t >= w[0] else w[0]
            day += ONE_DAY

    def add_business_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The earliest instant (UTC) by which ``minutes`` business minutes have passed since ``start``.

        A target used up exactly at closing time ends at the closing instant (16:00), not at
        the next morning's opening; zero minutes returns ``start`` itself.
        """
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        t = to_utc(start)
        if minutes == 0:
            return t
        remaining = dt.timedelta(minutes=minutes)
        day = t.astimezone(TEHRAN).date()
        w = self.window(day)
        if w is not None and t < w[1]:
            opened = t if t > w[0] else w[0]
            available = w[1] - opened
            if remaining <= available:
                return opened + remaining
            remaining -= available
        day += ONE_DAY
        # Skip whole weeks first so long targets stay cheap; then walk day by day.
        week = dt.timedelta(minutes=self._week_minutes)
        while remaining > week:
            span = dt.timedelta(minutes=self._whole_days_minutes(day, day + 7 * ONE_DAY))
            if span >= remaining:
                break
            remaining -= span
            day += 7 * ONE_DAY
        while True:
            w = self.window(day)
            if w is not None:
                available = w[1] - w[0]
                if remaining <= available:
                    return w[0] + remaining
                remaining -= available
            day += ONE_DAY

    def business_minutes_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Whole business minutes from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        ta, tb = to_utc(a), to_utc(b)
        if tb <= ta:
            return 0 if tb == ta else -self.business_minutes_between(tb, ta)
        da = ta.astimezone(TEHRAN).date()
        db = tb.astimezone(TEHRAN).date()
        total = _ZERO
        wa = self.window(da)
        if da == db:
            if wa is not None:
                lo, hi = max(wa[0], ta), min(wa[1], tb)
                if hi > lo:
                    total = hi - lo
            return total // ONE_MINUTE
        if wa is not None and ta < wa[1]:
            total += wa[1] - max(wa[0], ta)
        wb = self.window(db)
        if wb is not None and tb > wb[0]:
            total += min(wb[1], tb) - wb[0]
        total += dt.timedelta(minutes=self._whole_days_minutes(da + ONE_DAY, db))
        return total // ONE_MINUTE


def seed_iran_holidays(years: Iterable[int], language: str = "fa_IR") -> list[tuple[dt.date, str]]:
    """Official Iranian holidays for Gregorian ``years`` from the ``holidays`` library, by date.

    A starting point for the admin-correctable holiday table, not the truth: Islamic (lunar)
    holidays are published by the calendar authority shortly before they happen, so the
    library only estimates most of them (names then carry "(تخمینی)" / "(estimated)"), and
    one-off closures announced by the government are never included. Persian-calendar
    holidays (Nowruz 1–4 Farvardin, 12–13 Farvardin, 14–15 Khordad, 22 Bahman, 29 Esfand)
    are exact. Several holidays on one date come back as one entry with names joined by "; ".
    """
    import holidays as holidays_lib  # imported here: only seeding needs it, not every calendar user

    table = holidays_lib.country_holidays("IR", years=sorted(set(years)), language=language)
    return sorted(table.items())
