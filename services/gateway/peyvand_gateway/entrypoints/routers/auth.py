"""Sign-in, token refresh and sign-out (``/api/v1/auth``), and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from peyvand_runtime.domain import DomainError

from peyvand_gateway.entrypoints.deps import CurrentUser, GatewayDep, client_key
from peyvand_gateway.entrypoints.schemas.auth import LoginCreate, RefreshCreate, TokenPairPublic, UserPublic
from peyvand_gateway.entrypoints.schemas.common import PROBLEM_RESPONSES
from peyvand_gateway.service_layer.auth import TokenPair

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 422, 429)})


def _limit_by_address(gateway: GatewayDep, request: Request) -> None:
    # Before any password check: a flood from one address costs no argon2 work.
    wait = gateway.rate_limits.take("ip:" + client_key(request), gateway.monotonic())
    if wait:
        raise DomainError("too many requests; slow down", code="RATE_LIMITED", metadata={"retry_after_seconds": str(wait)})


def _public(pair: TokenPair) -> TokenPairPublic:
    user = pair.user
    codes = [user.branch_code] if user.branch_code else []
    return TokenPairPublic(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        user=UserPublic(
            user_id=user.user_id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            agent_id=user.agent_id,
            branch_codes=codes,
            region_code=user.region_code,
        ),
    )


@router.post("/login", operation_id="login", response_model=TokenPairPublic, summary="Sign in with username and password")
def login(body: LoginCreate, gateway: GatewayDep, request: Request) -> TokenPairPublic:
    """Answers 401 LOGIN_FAILED for a wrong username *or* password (never which), and 429
    LOGIN_LOCKED with Retry-After while attempts are being slowed down or locked."""
    _limit_by_address(gateway, request)
    return _public(gateway.auth.login(body.username, body.password))


@router.post("/refresh", operation_id="refreshTokens", response_model=TokenPairPublic, summary="Swap a refresh token for new tokens")
def refresh(body: RefreshCreate, gateway: GatewayDep, request: Request) -> TokenPairPublic:
    """The refresh token is spent; use the new one next time. Presenting a spent token again
    revokes the whole session (401 TOKEN_REVOKED)."""
    _limit_by_address(gateway, request)
    return _public(gateway.auth.refresh(body.refresh_token))


@router.post("/logout", operation_id="logout", status_code=204, summary="Sign out this session")
def logout(who: CurrentUser, gateway: GatewayDep) -> Response:
    gateway.auth.logout(who.claims)
    return Response(status_code=204)


@router.get("/me", operation_id="getCurrentUser", response_model=UserPublic, summary="Who is signed in")
def me(who: CurrentUser, gateway: GatewayDep) -> UserPublic:
    user = gateway.users.by_id(who.caller.principal)
    if user is None:
        raise DomainError("the account no longer exists", code="TOKEN_REVOKED")
    return UserPublic(
        user_id=user.user_id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        agent_id=user.agent_id,
        branch_codes=list(who.caller.branch_codes),
        region_code=user.region_code,
    )
