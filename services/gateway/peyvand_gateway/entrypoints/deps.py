"""Typed FastAPI dependencies: the gateway, the signed-in caller, role guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from peyvand_runtime.domain import DomainError
from starlette.concurrency import run_in_threadpool

from peyvand_gateway.adapters.backends import set_request_caller
from peyvand_gateway.bootstrap import Gateway
from peyvand_gateway.service_layer.auth import Authenticated


async def get_gateway(request: Request) -> Gateway:
    """Async so FastAPI calls it on the event loop: a plain ``def`` dependency is run in the
    worker thread pool, one thread hop per request for reading an attribute."""
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def _bearer(request: Request) -> str | None:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def current_user(request: Request, gateway: GatewayDep) -> Authenticated:
    """The caller from the access token; binds it for every backend call of this request.

    Async on purpose: the caller is set in the request's own context, which the worker
    thread of a sync endpoint then inherits.
    """
    token = _bearer(request)
    # Checked in memory when this token's revocation check is still fresh; else the store is
    # read in a worker thread, not on the event loop.
    remembered = gateway.auth.authenticate_from_memory(token)
    who = remembered if remembered is not None else await run_in_threadpool(gateway.auth.authenticate, token)
    wait = gateway.rate_limits.take(who.caller.principal, gateway.monotonic())
    if wait:
        raise DomainError("too many requests; slow down", code="RATE_LIMITED", metadata={"retry_after_seconds": str(wait)})
    set_request_caller(who.caller)
    return who


CurrentUser = Annotated[Authenticated, Depends(current_user)]


def require_roles(*roles: str) -> Callable[[Authenticated], Awaitable[Authenticated]]:
    async def check(who: CurrentUser) -> Authenticated:
        if who.caller.role not in roles:
            raise DomainError("your role may not use this", code="PERMISSION_DENIED")
        return who

    return check


StaffUser = Annotated[Authenticated, Depends(require_roles("staff", "manager", "admin", "agent", "marketing"))]
AgentUser = Annotated[Authenticated, Depends(require_roles("agent"))]
AdminUser = Annotated[Authenticated, Depends(require_roles("admin"))]


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"
