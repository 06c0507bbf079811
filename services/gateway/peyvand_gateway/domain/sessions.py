"""Refresh-token rotation rules: one-time tokens in a family, reuse revokes the family.

A sign-in starts a family (``ses_…``). Each refresh spends the presented token and issues
the next one in the same family. A spent token presented again means it was copied: the
whole family is revoked, so both the thief and the owner must sign in again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import Enum


class RefreshVerdict(Enum):
    OK = "ok"
    UNKNOWN = "unknown"  # never issued (or garbled): TOKEN_INVALID
    EXPIRED = "expired"  # TOKEN_EXPIRED
    REUSED = "reused"  # already spent: revoke the family, TOKEN_REVOKED
    REVOKED = "revoked"  # its family was revoked (logout, reuse): TOKEN_REVOKED


@dataclass(frozen=True)
class RefreshRecord:
    token_hash: str
    family_id: str
    user_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    spent_at: dt.datetime | None = None
    family_revoked: bool = False


def new_refresh_token() -> tuple[str, str]:
    """An opaque random token for the client and the hash we store (never the token)."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def judge_refresh(record: RefreshRecord | None, now: dt.datetime) -> RefreshVerdict:
    """What presenting this token means; order matters (a revoked family beats expiry)."""
    if record is None:
        return RefreshVerdict.UNKNOWN
    if record.family_revoked:
        return RefreshVerdict.REVOKED
    if record.spent_at is not None:
        return RefreshVerdict.REUSED
    if record.expires_at <= now:
        return RefreshVerdict.EXPIRED
    return RefreshVerdict.OK
