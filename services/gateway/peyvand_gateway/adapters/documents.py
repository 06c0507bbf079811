"""The gateway's collections and their indexes (mongoengine documents; repositories use pymongo).

Single-field indexes for every filtered field (the embedded server ignores compound ones for
their leading field); TTL indexes let expired sessions, tokens and receipts disappear.
"""

from __future__ import annotations

from typing import Any

import mongoengine as me

ALIAS = "gateway"


def _meta(collection: str, indexes: list[Any]) -> dict[str, Any]:
    return {"db_alias": ALIAS, "collection": collection, "indexes": indexes, "auto_create_index": False, "strict": False}


def _ttl(field: str) -> dict[str, Any]:
    return {"fields": [field], "expireAfterSeconds": 0}


class RegionDoc(me.Document):  # type: ignore[misc]
    id = me.StringField(primary_key=True)  # region code
    name_fa = me.StringField()
    name_en = me.StringField()
    branch_codes = me.ListField(me.StringField())
    meta = _meta("regions", [])


class BranchDoc(me.Document):  # type: ignore[misc]
    id = me.StringField(primary_key=True)  # branch code
    name_fa = me.StringField()
    name_en = me.StringField()
    city = me.StringField()
    region_code = me.StringField()
    meta = _meta("branches", ["region_code"])


class AgentDoc(me.Document):  # type: ignore[misc]
    id = me.StringField(primary_key=True)  # agt_…
    display_name = me.StringField()
    mobile = me.StringField()
    branch_code = me.StringField()
    active = me.BooleanField()
    version = me.IntField()
    outbox = me.ListField(me.StringField())
    outbox_pending = me.IntField()
    meta = _meta("agents", ["branch_code", "outbox_pending"])


class UserDoc(me.Document):  # type: ignore[misc]
    id = me.StringField(primary_key=True)  # usr_…
    username = me.StringField()
    display_name = me.StringField()
    role = me.StringField()
    agent_id = me.StringField()
    branch_code = me.StringField()
    region_code = me.StringField()
    password_hash = me.StringField()
    active = me.BooleanField()
    meta = _meta("users", [{"fields": ["username"], "unique": True}, "agent_id"])


class LoginThrottleDoc(me.Document):  # type: ignore[misc]
    """Failed-login counter and lock per username (hashed), for real and unknown names alike."""

    id = me.StringField(primary_key=True)
    failures = me.IntField()
    last_failure_at = me.DateTimeField()
    locked_until = me.DateTimeField()
    expires_at = me.DateTimeField()
    meta = _meta("login_throttles", [_ttl("expires_at")])


class SessionDoc(me.Document):  # type: ignore[misc]
    """A refresh-token family (one sign-in on one device)."""

    id = me.StringField(primary_key=True)  # ses_…
    user_id = me.StringField()
    created_at = me.DateTimeField()
    revoked_at = me.DateTimeField()
    expires_at = me.DateTimeField()
    meta = _meta("sessions", ["user_id", _ttl("expires_at")])


class RefreshTokenDoc(me.Document):  # type: ignore[misc]
    id = me.StringField(primary_key=True)  # sha256 of the token
    family_id = me.StringField()
    user_id = me.StringField()
    issued_at = me.DateTimeField()
    expires_at = me.DateTimeField()
    spent_at = me.DateTimeField()
    meta = _meta("refresh_tokens", ["family_id", _ttl("expires_at")])


class RevokedAccessDoc(me.Document):  # type: ignore[misc]
    """Access-token ids (jti) and session ids whose access tokens are refused until expiry."""

    id = me.StringField(primary_key=True)
    expires_at = me.DateTimeField()
    meta = _meta("revoked_access", [_ttl("expires_at")])


class PushTokenDoc(me.Document):  # type: ignore[misc]
    id = me.StringField(primary_key=True)  # <user_id>:<device_id>
    user_id = me.StringField()
    device_id = me.StringField()
    platform = me.StringField()
    token = me.StringField()
    updated_at = me.DateTimeField()
    meta = _meta("push_tokens", ["user_id"])


class SyncReceiptDoc(me.Document):  # type: ignore[misc]
    """One queued change from the app, keyed by user and idempotency key, with its outcome."""

    id = me.StringField(primary_key=True)  # <user_id>:<idempotency_key>
    user_id = me.StringField()
    fingerprint = me.StringField()
    state = me.StringField()  # pending | decided
    outcome = me.DictField()
    created_at = me.DateTimeField()
    expires_at = me.DateTimeField()
    meta = _meta("sync_receipts", ["user_id", _ttl("expires_at")])


ALL_DOCUMENTS: tuple[type[me.Document], ...] = (
    RegionDoc,
    BranchDoc,
    AgentDoc,
    UserDoc,
    LoginThrottleDoc,
    SessionDoc,
    RefreshTokenDoc,
    RevokedAccessDoc,
    PushTokenDoc,
    SyncReceiptDoc,
)
