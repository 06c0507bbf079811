"""The ticketing worker's wiring: its use-case context, built once at start-up by ``worker_main``."""

from __future__ import annotations

from peyvand_runtime.tehran_time import tehran_date, utc_now
from pymongo.database import Database

from peyvand_ticketing.service_layer.context import Context, bootstrap
from peyvand_ticketing.settings import TicketingWorkerSettings

_state: dict[str, Context] = {}


def install(database: Database) -> None:
    settings = TicketingWorkerSettings()
    _state["ctx"] = bootstrap(database, seed_years=settings.seed_years(tehran_date(utc_now())),
                              reopen_period=settings.reopen_period, calendar_ttl=settings.calendar_ttl_seconds)


def context() -> Context:
    return _state["ctx"]
