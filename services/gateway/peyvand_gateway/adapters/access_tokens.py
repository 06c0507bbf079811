"""Short-lived access tokens: JWT, HS256, signed with the gateway's own secret."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
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
    """Issues and reads access tokens.

    A client presents the same token on every request until it expires, and decoding it
    (base64, JSON, HMAC, claim checks in PyJWT) was ~8 % of the gateway's GIL time under the
    360° load. So the claims of the last ``remembered`` tokens that passed every check are kept,
    keyed by the whole token string: the string fixes header, claims and signature, so one that
    verified once verifies again under the same secret. Expiry is checked on every read
    against the clock given; an unknown or altered string is decoded in full. Revocation is not
    this class's concern (``AuthService`` checks it for each token).
    """

    def __init__(self, secret: str, ttl: dt.timedelta, remembered: int = 20_000) -> None:
        self.secret = secret
        self.ttl = ttl
        self.remembered = remembered
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()  # read from the event loop and from the thread pool

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
        with self._lock:
            known = self._verified.get(token)
            if known is not None:
                self._verified.move_to_end(token)
        claims = known if known is not None else self._decode(token)
        # Expiry checked against the injected clock (tests), not the wall clock.
        if int(claims["exp"]) <= now.timestamp():
            raise AccessTokenError("TOKEN_EXPIRED")
        if known is None and self.remembered > 0:
            with self._lock:
                self._verified[token] = claims
                while len(self._verified) > self.remembered:
                    self._verified.popitem(last=False)
        return dict(claims)  # a copy: callers may not change what is remembered

    def _decode(self, token: str) -> dict[str, Any]:
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
        return claims
