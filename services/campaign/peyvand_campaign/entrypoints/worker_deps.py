"""The campaign worker's wiring: database, clock and journey settings, set once by ``worker_main``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo.database import Database

from peyvand_campaign.adapters import catalogue_repo
from peyvand_campaign.adapters.collections import ensure_indexes
from peyvand_campaign.clock import Clock, make_clock
from peyvand_campaign.service_layer.journeys import JourneyConfig
from peyvand_campaign.settings import CampaignWorkerSettings

_state: dict[str, Any] = {}


def configure(settings: CampaignWorkerSettings) -> None:
    _state["clock"] = make_clock(settings.peyvand_env, settings.campaign_test_now)
    _state["config"] = JourneyConfig(weekly_cap=settings.marketing_weekly_cap, public_base_url=settings.public_base_url)


def install(database: Database) -> None:
    _state["database"] = database
    ensure_indexes(database)
    catalogue_repo.seed_builtin_templates(database)


def database() -> Database:
    return _state["database"]  # type: ignore[no-any-return]


def now() -> dt.datetime:
    clock: Clock = _state.get("clock") or Clock()
    return clock.now()


def config() -> JourneyConfig:
    return _state.get("config") or JourneyConfig()  # type: ignore[no-any-return]
