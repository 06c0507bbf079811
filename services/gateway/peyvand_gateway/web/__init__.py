"""The branch-staff web UI: a static single-page app (ES modules, no build step) served by the gateway."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX_HTML = STATIC_DIR / "index.html"


class RevalidatedStaticFiles(StaticFiles):
    """Static files the browser keeps but checks (ETag) on every use, so an upgrade of the
    gateway is seen at once without hashed file names (the gateway's default is no-store)."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers.setdefault("cache-control", "no-cache")
        return response


def mount(app: FastAPI) -> None:
    """Serve the UI at ``/`` and its files at ``/static/…`` (call once, from the app factory)."""
    app.mount("/static", RevalidatedStaticFiles(directory=STATIC_DIR), name="web-static")

    @app.get("/", include_in_schema=False)
    def web_ui() -> FileResponse:
        # Every screen lives behind the hash (#/customers/…): one HTML entry point is enough.
        return FileResponse(INDEX_HTML, media_type="text/html; charset=utf-8", headers={"cache-control": "no-cache"})


# The gateway's app factory looks for ``install``; ``mount`` is the name the UI's docs use.
install = mount
