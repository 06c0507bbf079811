"""Ticketing settings from the environment (on top of the spine's process settings)."""

from __future__ import annotations

import datetime as dt

from peyvand_runtime.settings import GrpcServerSettings, JobSettings, WorkerSettings


class TicketingOptions:  # a plain mixin: pydantic fields live in the subclasses
    """Helpers over the options every ticketing process reads (fields declared in each class):
    ``TICKET_REOPEN_PERIOD_DAYS`` (7: days after resolution a ticket may be reopened),
    ``HOLIDAY_SEED_YEARS`` (comma-separated Gregorian years seeded at start-up; empty = this
    year and next; ``none`` = do not seed), ``CALENDAR_TTL_SECONDS`` (how stale a process's holiday calendar may get)."""

    ticket_reopen_period_days: int
    holiday_seed_years: str

    @property
    def reopen_period(self) -> dt.timedelta:
        return dt.timedelta(days=self.ticket_reopen_period_days)

    def seed_years(self, today: dt.date) -> list[int]:
        if self.holiday_seed_years.strip().lower() == "none":
            return []
        if self.holiday_seed_years.strip():
            return [int(y) for y in self.holiday_seed_years.split(",") if y.strip()]
        return [today.year, today.year + 1]


class TicketingGrpcSettings(TicketingOptions, GrpcServerSettings):
    ticket_reopen_period_days: int = 7
    holiday_seed_years: str = ""
    calendar_ttl_seconds: float = 30.0


class TicketingWorkerSettings(TicketingOptions, WorkerSettings):
    ticket_reopen_period_days: int = 7
    holiday_seed_years: str = ""
    calendar_ttl_seconds: float = 30.0


class TicketingJobSettings(TicketingOptions, JobSettings):
    ticket_reopen_period_days: int = 7
    holiday_seed_years: str = ""
    calendar_ttl_seconds: float = 30.0
    # The SLA sweep runs every job_interval_seconds (default 60); the gauge refresh every:
    gauge_interval_seconds: float = 60.0
    sla_sweep_page_size: int = 500
    # pages evaluated/written concurrently by one sweep (SLA_SWEEP_THREADS)
    sla_sweep_threads: int = 3
