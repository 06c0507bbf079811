"""Users, login throttling state, sessions, refresh tokens and the access-token denylist."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from peyvand_runtime.tehran_time import as_utc
from pymongo import ReturnDocument
from pymongo.database import Database

from peyvand_gateway.domain.login_throttle import ThrottleState
from peyvand_gateway.domain.sessions import RefreshRecord
from peyvand_gateway.domain.users import User, normalise_username


def _opt_utc(value: dt.datetime | str | None) -> dt.datetime | None:
    # The embedded server hands back datetimes written by find_one_and_update as ISO text.
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return as_utc(dt.datetime.fromisoformat(value))
    return as_utc(value)


class UserRepository:
    def __init__(self, db: Database[Any]) -> None:
        self.users = db["users"]

    def add(self, user: User) -> None:
        self.users.insert_one({"_id": user.user_id, **_user_fields(user)})

    def by_username(self, username: str) -> User | None:
        found = self.users.find_one({"username": normalise_username(username)})
        return _user(found) if found else None

    def by_id(self, user_id: str) -> User | None:
        found = self.users.find_one({"_id": user_id})
        return _user(found) if found else None

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.users.update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}})


def _user_fields(user: User) -> dict[str, Any]:
    return {
        "username": normalise_username(user.username),
        "display_name": user.display_name,
        "role": user.role,
        "agent_id": user.agent_id,
        "branch_code": user.branch_code,
        "region_code": user.region_code,
        "password_hash": user.password_hash,
        "active": user.active,
    }


def _user(d: dict[str, Any]) -> User:
    return User(
        user_id=d["_id"],
        username=d["username"],
        display_name=d.get("display_name", ""),
        role=d["role"],
        password_hash=d.get("password_hash", ""),
        agent_id=d.get("agent_id"),
        branch_code=d.get("branch_code"),
        region_code=d.get("region_code"),
        active=bool(d.get("active", True)),
    )


class ThrottleRepository:
    """Keyed by a hash of the normalised username: no usernames (or guesses) stored in clear."""

    def __init__(self, db: Database[Any]) -> None:
        self.throttles = db["login_throttles"]

    @staticmethod
    def key(username: str) -> str:
        return hashlib.sha256(normalise_username(username).encode("utf-8")).hexdigest()

    def load(self, username: str) -> ThrottleState:
        found = self.throttles.find_one({"_id": self.key(username)})
        if not found:
            return ThrottleState()
        return ThrottleState(
            failures=int(found.get("failures", 0)),
            last_failure_at=_opt_utc(found.get("last_failure_at")),
            locked_until=_opt_utc(found.get("locked_until")),
        )

    def store(self, username: str, state: ThrottleState, keep_until: dt.datetime) -> None:
        self.throttles.update_one(
            {"_id": self.key(username)},
            {
                "$set": {
                    "failures": state.failures,
                    "last_failure_at": state.last_failure_at,
                    "locked_until": state.locked_until,
                    "expires_at": keep_until,
                }
            },
            upsert=True,
        )

    def clear(self, username: str) -> None:
        self.throttles.delete_one({"_id": self.key(username)})


class SessionRepository:
    def __init__(self, db: Database[Any]) -> None:
        self.sessions = db["sessions"]
        self.tokens = db["refresh_tokens"]
        self.revoked = db["revoked_access"]

    def start(self, session_id: str, user_id: str, now: dt.datetime, expires_at: dt.datetime) -> None:
        self.sessions.insert_one({"_id": session_id, "user_id": user_id, "created_at": now, "revoked_at": None, "expires_at": expires_at})

    def extend(self, session_id: str, expires_at: dt.datetime) -> None:
        self.sessions.update_one({"_id": session_id}, {"$set": {"expires_at": expires_at}})

    def add_refresh(self, token_hash: str, family_id: str, user_id: str, now: dt.datetime, expires_at: dt.datetime) -> None:
        self.tokens.insert_one(
            {"_id": token_hash, "family_id": family_id, "user_id": user_id, "issued_at": now, "expires_at": expires_at, "spent_at": None}
        )

    def find_refresh(self, token_hash: str) -> RefreshRecord | None:
        found = self.tokens.find_one({"_id": token_hash})
        if not found:
            return None
        session = self.sessions.find_one({"_id": found["family_id"]}, {"revoked_at": 1})
        return RefreshRecord(
            token_hash=found["_id"],
            family_id=found["family_id"],
            user_id=found["user_id"],
            issued_at=_opt_utc(found["issued_at"]) or dt.datetime.min.replace(tzinfo=dt.UTC),
            expires_at=_opt_utc(found["expires_at"]) or dt.datetime.min.replace(tzinfo=dt.UTC),
            spent_at=_opt_utc(found.get("spent_at")),
            family_revoked=session is None or session.get("revoked_at") is not None,
        )

    def spend(self, token_hash: str, now: dt.datetime) -> bool:
        """Mark the token used; False if someone else spent it first (a race is a reuse)."""
        done = self.tokens.find_one_and_update(
            {"_id": token_hash, "spent_at": None}, {"$set": {"spent_at": now}}, return_document=ReturnDocument.AFTER
        )
        return done is not None

    def revoke_family(self, family_id: str, now: dt.datetime, access_expires_at: dt.datetime) -> None:
        """Refuse the family's refresh tokens and, until they expire, its access tokens."""
        self.sessions.update_one({"_id": family_id, "revoked_at": None}, {"$set": {"revoked_at": now}})
        self.tokens.update_many({"family_id": family_id, "spent_at": None}, {"$set": {"spent_at": now}})
        self.deny_access(family_id, access_expires_at)

    def deny_access(self, token_or_session_id: str, until: dt.datetime) -> None:
        self.revoked.update_one({"_id": token_or_session_id}, {"$set": {"expires_at": until}}, upsert=True)

    def access_denied(self, jti: str, session_id: str, now: dt.datetime) -> bool:
        # One indexed lookup per request; the TTL monitor is lazy, so check expiry too.
        for found in self.revoked.find({"_id": {"$in": [jti, session_id]}}):
            until = _opt_utc(found.get("expires_at"))
            if until is None or until > now:
                return True
        return False
