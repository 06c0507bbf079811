"""Sign-in, refresh-token rotation, sign-out, and reading the caller from an access token."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.domain import DomainError
from peyvand_runtime.identity import Caller
from peyvand_runtime.ids import new_id

from peyvand_gateway.adapters.access_tokens import AccessTokenError, AccessTokens
from peyvand_gateway.adapters.org_repository import OrgRepository
from peyvand_gateway.adapters.passwords import hash_password, needs_rehash, verify_password
from peyvand_gateway.adapters.user_repository import SessionRepository, ThrottleRepository, UserRepository
from peyvand_gateway.domain import login_throttle as throttle
from peyvand_gateway.domain.sessions import RefreshVerdict, hash_refresh_token, judge_refresh, new_refresh_token
from peyvand_gateway.domain.users import User, access_claims, branch_codes_for, caller_from_claims

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    user: User


@dataclass(frozen=True)
class Authenticated:
    caller: Caller
    claims: dict[str, Any]


class LoginOutcome:
    OK, FAILED, LOCKED = "ok", "failed", "locked"


def _locked(seconds: int) -> DomainError:
    return DomainError(
        "too many failed sign-ins; try again later", code="LOGIN_LOCKED", metadata={"retry_after_seconds": str(seconds)}
    )


class AuthService:
    def __init__(
        self,
        users: UserRepository,
        throttles: ThrottleRepository,
        sessions: SessionRepository,
        org: OrgRepository,
        tokens: AccessTokens,
        policy: throttle.ThrottlePolicy,
        refresh_ttl: dt.timedelta,
        clock: Clock,
        on_login: Callable[[str], None] = lambda outcome: None,
    ) -> None:
        self.users, self.throttles, self.sessions, self.org = users, throttles, sessions, org
        self.tokens, self.policy, self.refresh_ttl, self.clock = tokens, policy, refresh_ttl, clock
        self.on_login = on_login

    # --- sign-in ----------------------------------------------------------------------------
    def login(self, username: str, password: str) -> TokenPair:
        now = self.clock()
        state = self.throttles.load(username)
        wait = throttle.wait_before_attempt(state, self.policy, now)
        if wait:
            self.on_login(LoginOutcome.LOCKED)
            raise _locked(wait)
        user = self.users.by_username(username)
        # Verified even for unknown names (against a dummy hash): same time, same answer.
        good = verify_password(user.password_hash if user else None, password)
        if not good or user is None or not user.active:
            state = throttle.after_failure(state, self.policy, now)
            self.throttles.store(username, state, keep_until=now + self.policy.lock + dt.timedelta(hours=1))
            self.on_login(LoginOutcome.FAILED)
            log.info("sign-in refused", extra={"failures": state.failures})
            raise DomainError("username or password is wrong", code="LOGIN_FAILED")
        if state.failures:
            self.throttles.clear(username)
        if needs_rehash(user.password_hash):
            self.users.set_password_hash(user.user_id, hash_password(password))
        session_id = new_id("ses")
        self.sessions.start(session_id, user.user_id, now, now + self.refresh_ttl)
        self.on_login(LoginOutcome.OK)
        log.info("signed in", extra={"user_id": user.user_id, "session_id": session_id})
        return self._issue(user, session_id, now)

    def _issue(self, user: User, session_id: str, now: dt.datetime) -> TokenPair:
        claims = access_claims(user, branch_codes_for(user, self.org.branch_codes_of_region))
        access, _ = self.tokens.issue(claims, session_id, now)
        refresh, refresh_hash = new_refresh_token()
        self.sessions.add_refresh(refresh_hash, session_id, user.user_id, now, now + self.refresh_ttl)
        self.sessions.extend(session_id, now + self.refresh_ttl)
        return TokenPair(access, refresh, int(self.tokens.ttl.total_seconds()), session_id, user)

    # --- rotation ---------------------------------------------------------------------------
    def refresh(self, refresh_token: str) -> TokenPair:
        now = self.clock()
        token_hash = hash_refresh_token(refresh_token)
        record = self.sessions.find_refresh(token_hash)
        verdict = judge_refresh(record, now)
        if verdict is RefreshVerdict.OK and record is not None and not self.sessions.spend(token_hash, now):
            verdict = RefreshVerdict.REUSED  # spent by a concurrent request: treat as theft
        if record is not None and verdict is RefreshVerdict.REUSED:
            log.warning("refresh token reused; session revoked", extra={"session_id": record.family_id})
            self.sessions.revoke_family(record.family_id, now, now + self.tokens.ttl)
        if verdict is not RefreshVerdict.OK or record is None:
            code = {RefreshVerdict.EXPIRED: "TOKEN_EXPIRED", RefreshVerdict.UNKNOWN: "TOKEN_INVALID"}.get(verdict, "TOKEN_REVOKED")
            raise DomainError("the refresh token cannot be used; sign in again", code=code)
        user = self.users.by_id(record.user_id)
        if user is None or not user.active:
            self.sessions.revoke_family(record.family_id, now, now + self.tokens.ttl)
            raise DomainError("the refresh token cannot be used; sign in again", code="TOKEN_REVOKED")
        return self._issue(user, record.family_id, now)

    # --- sign-out ---------------------------------------------------------------------------
    def logout(self, claims: dict[str, Any]) -> None:
        """Revoke the session (all its refresh tokens) and deny this access token until expiry."""
        now = self.clock()
        expires = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
        self.sessions.deny_access(str(claims["jti"]), expires)
        self.sessions.revoke_family(str(claims["sid"]), now, now + self.tokens.ttl)

    # --- each request ----------------------------------------------------------------------
    def authenticate(self, access_token: str | None) -> Authenticated:
        if not access_token:
            raise DomainError("sign in to use this API", code="UNAUTHENTICATED")
        now = self.clock()
        try:
            claims = self.tokens.read(access_token, now)
        except AccessTokenError as exc:
            raise DomainError("the access token is not valid; refresh or sign in", code=exc.code) from None
        if self.sessions.access_denied(str(claims["jti"]), str(claims["sid"]), now):
            raise DomainError("the access token was revoked; sign in again", code="TOKEN_REVOKED")
        try:
            caller = caller_from_claims(claims)
        except (ValueError, KeyError) as exc:
            raise DomainError("the access token is not valid", code="TOKEN_INVALID") from exc
        return Authenticated(caller, claims)
