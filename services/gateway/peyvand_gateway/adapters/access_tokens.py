"""Short-lived access tokens: JWT, HS256, signed with the gateway's own secret."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jwt
from peyvand_runtime.ids import new_id

ISSUER = "peyvand-gateway"
ALGORITHM = "HS256"


class AccessTokenError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # TOKEN_INVALID | TOKEN_EXPIRED


class AccessTokens:
    def __init__(self, secret: str, ttl: dt.timedelta) -> None:
        self.secret = secret
        self.ttl = ttl

    def issue(self, claims: dict[str, Any], session_id: str, now: dt.datetime) -> tuple[str, dict[str, Any]]:
        full = {
            **claims,
            "iss": ISSUER,
            "sid": session_id,
            # A jti that is also a well-formed id (the denylist is keyed by it).
            "jti": new_id("ses").replace("ses_", "jti_", 1),
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
        }
        return jwt.encode(full, self.secret, algorithm=ALGORITHM), full

    def read(self, token: str, now: dt.datetime) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "sid", "role"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise AccessTokenError("TOKEN_INVALID") from exc
        # Expiry checked against the injected clock (tests), not the wall clock.
        if int(claims["exp"]) <= now.timestamp():
            raise AccessTokenError("TOKEN_EXPIRED")
        return claims
