"""Push-notification tokens per user and device, and the offline-sync receipts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from peyvand_gateway.domain.sync import Outcome


class PushTokenRepository:
    def __init__(self, db: Database[Any]) -> None:
        self.tokens = db["push_tokens"]

    def register(self, user_id: str, device_id: str, platform: str, token: str, now: dt.datetime) -> None:
        self.tokens.update_one(
            {"_id": f"{user_id}:{device_id}"},
            {"$set": {"user_id": user_id, "device_id": device_id, "platform": platform, "token": token, "updated_at": now}},
            upsert=True,
        )

    def remove(self, user_id: str, device_id: str) -> bool:
        return self.tokens.delete_one({"_id": f"{user_id}:{device_id}"}).deleted_count == 1

    def of_user(self, user_id: str) -> list[dict[str, Any]]:
        return list(self.tokens.find({"user_id": user_id}, {"_id": 0, "token": 0}))


class SyncReceiptRepository:
    """Claim a key before applying it (the unique ``_id`` makes the claim atomic), then record
    the outcome. A claim whose apply failed for a transient reason is released for a retry."""

    def __init__(self, db: Database[Any]) -> None:
        self.receipts = db["sync_receipts"]

    @staticmethod
    def _id(user_id: str, key: str) -> str:
        return f"{user_id}:{key}"

    def find(self, user_id: str, key: str) -> dict[str, Any] | None:
        return self.receipts.find_one({"_id": self._id(user_id, key)})

    def claim(self, user_id: str, key: str, fingerprint: str, now: dt.datetime, keep_until: dt.datetime) -> bool:
        try:
            self.receipts.insert_one(
                {
                    "_id": self._id(user_id, key),
                    "user_id": user_id,
                    "fingerprint": fingerprint,
                    "state": "pending",
                    "outcome": None,
                    "created_at": now,
                    "expires_at": keep_until,
                }
            )
            return True
        except DuplicateKeyError:
            return False

    def decide(self, user_id: str, key: str, outcome: Outcome) -> None:
        self.receipts.update_one({"_id": self._id(user_id, key)}, {"$set": {"state": "decided", "outcome": outcome.to_record()}})

    def release(self, user_id: str, key: str) -> None:
        self.receipts.delete_one({"_id": self._id(user_id, key), "state": "pending"})
