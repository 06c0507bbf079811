"""Sign-in, refresh-token rotation, sign-out, and reading the caller from an access token."""

from __future__ import annotations

import datetime as dt
import logging
import time
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
# Access tokens whose "not revoked" check is remembered at once (bounded memory).
_MAX_REMEMBERED = 50_000


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
        revocation_check_seconds: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users, self.throttles, self.sessions, self.org = users, throttles, sessions, org
        self.tokens, self.policy, self.refresh_ttl, self.clock = tokens, policy, refresh_ttl, clock
        self.on_login = on_login
        # Access tokens found not revoked, by jti → (monotonic time the check may be reused
        # until). A token revoked through this process is refused at once (the cache is
        # cleared); one revoked through another replica within ``revocation_check_seconds``.
        self.revocation_check_seconds, self.monotonic = revocation_check_seconds, monotonic
        self._not_revoked: dict[str, float] = {}

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
            self._revoke_family(record.family_id, now)
        if verdict is not RefreshVerdict.OK or record is None:
            code = {RefreshVerdict.EXPIRED: "TOKEN_EXPIRED", RefreshVerdict.UNKNOWN: "TOKEN_INVALID"}.get(verdict, "TOKEN_REVOKED")
            raise DomainError("the refresh token cannot be used; sign in again", code=code)
        user = self.users.by_id(record.user_id)
        if user is None or not user.active:
            self._revoke_family(record.family_id, now)
            raise DomainError("the refresh token cannot be used; sign in again", code="TOKEN_REVOKED")
        return self._issue(user, record.family_id, now)

    # --- sign-out ---------------------------------------------------------------------------
    def logout(self, claims: dict[str, Any]) -> None:
        """Revoke the session (all its refresh tokens) and deny this access token until expiry."""
        now = self.clock()
        expires = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
        self.sessions.deny_access(str(claims["jti"]), expires)
        self._revoke_family(str(claims["sid"]), now)

    def _revoke_family(self, session_id: str, now: dt.datetime) -> None:
        self._not_revoked.clear()  # before and after: a check racing with the write is not kept
        self.sessions.revoke_family(session_id, now, now + self.tokens.ttl)
        self._not_revoked.clear()

    # --- each request ----------------------------------------------------------------------
    def authenticate(self, access_token: str | None) -> Authenticated:
        now = self.clock()
        claims = self._claims(access_token, now)
        if self._revoked(str(claims["jti"]), str(claims["sid"]), now):
            raise DomainError("the access token was revoked; sign in again", code="TOKEN_REVOKED")
        return self._authenticated(claims)

    def authenticate_from_memory(self, access_token: str | None) -> Authenticated | None:
        """As ``authenticate`` while this token's "not revoked" check is still remembered; None
        when the store must be read (then call ``authenticate``, off the event loop)."""
        claims = self._claims(access_token, self.clock())
        if not self._remembered_not_revoked(str(claims["jti"])):
            return None
        return self._authenticated(claims)

    def _claims(self, access_token: str | None, now: dt.datetime) -> dict[str, Any]:
        if not access_token:
            raise DomainError("sign in to use this API", code="UNAUTHENTICATED")
        try:
            return self.tokens.read(access_token, now)
        except AccessTokenError as exc:
            raise DomainError("the access token is not valid; refresh or sign in", code=exc.code) from None

    @staticmethod
    def _authenticated(claims: dict[str, Any]) -> Authenticated:
        try:
            caller = caller_from_claims(claims)
        except (ValueError, KeyError) as exc:
            raise DomainError("the access token is not valid", code="TOKEN_INVALID") from exc
        return Authenticated(caller, claims)

    def _remembered_not_revoked(self, jti: str) -> bool:
        return self.revocation_check_seconds > 0 and self._not_revoked.get(jti, -1.0) > self.monotonic()

    def _revoked(self, jti: str, session_id: str, now: dt.datetime) -> bool:
        """The store's revocation list, read at most every ``revocation_check_seconds`` per token."""
        if self.revocation_check_seconds <= 0:
            return self.sessions.access_denied(jti, session_id, now)
        checked = self.monotonic()
        if self._not_revoked.get(jti, -1.0) > checked:
            return False
        if self.sessions.access_denied(jti, session_id, now):
            return True
        if len(self._not_revoked) >= _MAX_REMEMBERED:
            self._not_revoked = {k: until for k, until in self._not_revoked.items() if until > checked}
            if len(self._not_revoked) >= _MAX_REMEMBERED:
                self._not_revoked = {}
        self._not_revoked[jti] = checked + self.revocation_check_seconds
        return False
