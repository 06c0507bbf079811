"""Probes and metrics on the gateway's own HTTP port: ``/livez``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from peyvand_runtime.store import store_is_reachable
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from starlette.concurrency import run_in_threadpool

router = APIRouter(include_in_schema=False)


@router.get("/livez")
def livez() -> Response:
    return Response("ok\n", media_type="text/plain")


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    gateway = request.app.state.gateway
    ready = not request.app.state.stopping and await run_in_threadpool(store_is_reachable, gateway.db)
    return Response("ready\n" if ready else "not ready\n", status_code=200 if ready else 503, media_type="text/plain")


@router.get("/metrics")
def metrics(request: Request) -> Response:
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(REGISTRY), media_type=content_type)
