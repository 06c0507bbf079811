"""MongoDB access for one service's own database (mongoengine alias = service name).

Rules from MONGO-COMPAT.md: string ids, no ReferenceField, no regex, no positional
updates; aggregates are saved whole with a compare-and-set on ``version``.
"""

from __future__ import annotations

import logging
from typing import Any

import mongoengine
import pymongo
from pymongo.database import Database

from peyvand_runtime.settings import ProcessSettings

log = logging.getLogger(__name__)

# pymongo's default 30 s server selection makes a store outage look like a hang; a short
# timeout lets a gRPC call fail fast with UNAVAILABLE and the caller retry.
SERVER_SELECTION_TIMEOUT_MS = 3000


def connect(service: str, settings: ProcessSettings, **client_options: Any) -> Database:
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
    database: Database = mongoengine.get_db(alias=service)
    return database


def client_for(uri: str) -> pymongo.MongoClient:
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS, tz_aware=True)


def ensure_indexes(*documents: type[mongoengine.Document]) -> None:
    for document in documents:
        document.ensure_indexes()


def store_is_reachable(database: Database) -> bool:
    try:
        database.client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
