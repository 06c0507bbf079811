"""Shared fixtures for the ticketing domain tests: a plain calendar and a ticket factory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from peyvand_runtime.ids import new_id
from peyvand_runtime.tehran_time import TEHRAN
from peyvand_ticketing.domain.business_calendar import BusinessCalendar
from peyvand_ticketing.domain.ticket import Ticket

SATURDAY = dt.date(2025, 5, 3)  # the Saturday of the week every test uses


def tehran(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TEHRAN)


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar()


@pytest.fixture
def make_ticket(calendar: BusinessCalendar) -> Callable[..., Ticket]:
    def make(**overrides: Any) -> Ticket:
        fields: dict[str, Any] = dict(
            ticket_number="TK-1404-000123", type="incident", category="portal_login", channel="web",
            customer_id=new_id("cus"), subject="Cannot download my policy PDF", opened_by="usr_agent",
            now=tehran(SATURDAY, 9, 0), calendar=calendar, impact="high", urgency="high",
            branch_code="1021", queue_id="queue-tehran-claims",
        )
        fields.update(overrides)
        return Ticket.open(**fields)

    return make
