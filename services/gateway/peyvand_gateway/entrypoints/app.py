"""The gateway's FastAPI application (built by ``create_app``; nothing at import time)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute

from peyvand_gateway.bootstrap import Gateway
from peyvand_gateway.entrypoints import docs, problems
from peyvand_gateway.entrypoints.admission import Admission
from peyvand_gateway.entrypoints.middleware import GatewayMiddleware
from peyvand_gateway.entrypoints.routers import auth, campaigns, customers, mobile, ops, org, policies, public, tickets

DESCRIPTION = """Peyvand's HTTP APIs: `/api/v1` for branch staff (web), `/mobile/v1` for agents.

Sign in at `POST /api/v1/auth/login` and send `Authorization: Bearer <access_token>`.
Errors are `application/problem+json` with a stable `code`. Lists are cursor-paginated.
"""


def _operation_id(route: APIRoute) -> str:
    return route.name


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Sync endpoints run in anyio's thread pool, 40 threads by default. A composed answer holds its
    # thread while it waits on backend futures (up to the compose deadline), so 40 threads cap the
    # gateway near 40 / deadline requests per second as soon as one backend is slow.
    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.gateway.settings.http_worker_threads
    yield


def create_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="Peyvand API",
        version="1.0.0",
        description=DESCRIPTION,
        docs_url=None,  # served offline by entrypoints.docs
        redoc_url=None,
        generate_unique_id_function=_operation_id,
    )
    app.state.gateway = gateway
    app.state.stopping = False
    problems.install(app)
    for router in (auth.router, customers.router, policies.router, tickets.router, campaigns.router, org.router, mobile.router, public.router, ops.router):
        app.include_router(router)
    docs.install(app)
    # The web UI (added later under peyvand_gateway/web/) installs its pages and static files.
    if importlib.util.find_spec("peyvand_gateway.web") is not None:
        web = importlib.import_module("peyvand_gateway.web")
        if hasattr(web, "install"):
            web.install(app)
    app.add_middleware(GatewayMiddleware, admission=_admission(gateway))
    return app


def _admission(gateway: Gateway | None) -> Admission | None:
    """The admission limit from the settings (none for an app built only to list its routes)."""
    if gateway is None:
        return None
    settings = gateway.settings
    return Admission(settings.max_concurrent_requests or settings.http_worker_threads, settings.admission_wait_seconds,
                     settings.admission_queue)
