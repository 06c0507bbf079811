"""MongoDB access for one service's own database (mongoengine alias = service name).

Rules from MONGO-COMPAT.md: string ids, no ReferenceField, no regex, no positional
updates; aggregates are saved whole with a compare-and-set on ``version``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import mongoengine
import pymongo
from pymongo.database import Database

from peyvand_runtime.settings import ProcessSettings
from peyvand_runtime.tehran_time import as_utc

log = logging.getLogger(__name__)

# pymongo's default 30 s server selection makes a store outage look like a hang; a short
# timeout lets a gRPC call fail fast with UNAVAILABLE and the caller retry.
SERVER_SELECTION_TIMEOUT_MS = 3000


def connect(service: str, settings: ProcessSettings, **client_options: Any) -> Database[Any]:
    """Register the mongoengine alias ``service`` and return its pymongo database."""
    name = settings.database_name(service)
    options: dict[str, Any] = {
        "serverSelectionTimeoutMS": SERVER_SELECTION_TIMEOUT_MS,
        "connectTimeoutMS": 3000,
        "tz_aware": True,
        "uuidRepresentation": "standard",
    }
    options.update(client_options)
    try:
        mongoengine.disconnect(alias=service)
    except Exception:  # pragma: no cover - nothing to disconnect
        pass
    mongoengine.connect(db=name, host=settings.mongodb_uri, alias=service, **options)
    database: Database[Any] = mongoengine.get_db(alias=service)
    return database


def client_for(uri: str) -> pymongo.MongoClient[Any]:
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS, tz_aware=True)


def ensure_indexes(*documents: type[mongoengine.Document]) -> None:
    for document in documents:
        document.ensure_indexes()


def drop_single_field_indexes(collection: Any, fields: tuple[str, ...]) -> list[str]:
    """Drop the single-field indexes on ``fields`` (in that order); returns the names dropped.
    Found by key, not by name: nx-27017 names indexes its own way (``idx_parties_k0``)."""
    by_key = {tuple(info["key"])[0][0]: name for name, info in collection.index_information().items() if len(info["key"]) == 1}
    dropped = [by_key[field] for field in fields if field in by_key]
    for name in dropped:
        collection.drop_index(name)
    return dropped


def store_is_reachable(database: Database[Any]) -> bool:
    try:
        database.client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False


def stored_instant(value: object) -> dt.datetime | None:
    """A stored instant as an aware UTC datetime, whatever form the store returned it in.

    nx-27017 0.8.1 stores a datetime written by an update (``$set``) as the text
    ``"2026-06-10 08:30:00.123000"`` (naive UTC) while inserts keep BSON dates (ADR 1);
    real MongoDB always returns datetimes. Repositories read instants through this.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return as_utc(value)
    if isinstance(value, str):
        return as_utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    raise TypeError(f"not an instant: {type(value).__name__}")
