"""One pure-ASGI middleware per request: request id, metrics, security headers, admission
(503 OVERLOADED beyond capacity, see ``admission``), last-resort 500.

Pure ASGI (not BaseHTTPMiddleware) so the correlation id set here is the one the endpoint,
its worker thread and every gRPC call see.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from peyvand_runtime import correlation, tracing
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peyvand_gateway.entrypoints.admission import EXEMPT_PATHS, Admission, Overloaded
from peyvand_gateway.entrypoints.metrics import HTTP_DURATION, HTTP_REQUESTS
from peyvand_gateway.entrypoints.problems import problem

log = logging.getLogger(__name__)

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
)
UNMATCHED = "<unmatched>"
# The largest request body read (the biggest legitimate one, a sync push batch, is far below).
MAX_BODY_BYTES = 2 * 1024 * 1024
_TOO_LARGE = f"the request body is larger than {MAX_BODY_BYTES} bytes"


class _BodyTooLarge(StarletteHTTPException):
    """An HTTPException passes FastAPI's body parsing untouched; the app's own handler answers
    it as problem+json (413 PAYLOAD_TOO_LARGE), or this middleware does when raised here."""

    def __init__(self) -> None:
        super().__init__(413, _TOO_LARGE)


_OVERLOADED = "the gateway is at capacity; try again shortly"


class GatewayMiddleware:
    def __init__(self, app: ASGIApp, admission: Admission | None = None) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with correlation.bound(_header(scope, b"x-request-id")) as request_id:
            await self._answer(scope, receive, send, request_id)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500, "sent": False}
        span = tracing.start_http_span(scope.get("method", "GET"))  # None unless tracing is on

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["sent"] = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                present = {k.lower() for k, _ in headers}
                headers.append((b"x-request-id", request_id.encode("ascii")))
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        received = 0

        async def receive_bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise _BodyTooLarge
            return message

        with tracing.activated(span):
            try:
                if _declared_length(scope) > MAX_BODY_BYTES:
                    raise _BodyTooLarge  # refused before reading a byte of it
                admission = self.admission if scope.get("path") not in EXEMPT_PATHS else None
                if admission is None:
                    await self.app(scope, receive_bounded, send_with_headers)
                else:
                    await admission.acquire()
                    try:
                        await self.app(scope, receive_bounded, send_with_headers)
                    finally:
                        admission.release()
            except Overloaded:
                if not status_holder["sent"]:
                    await problem(scope.get("path", ""), 503, "OVERLOADED", _OVERLOADED, retry_after=1)(scope, receive, send_with_headers)
            except _BodyTooLarge:
                if not status_holder["sent"]:
                    response = problem(scope.get("path", ""), 413, "PAYLOAD_TOO_LARGE", _TOO_LARGE)
                    response.headers["Connection"] = "close"  # the rest of the body is not read
                    await response(scope, receive, send_with_headers)
            except Exception:
                # Logged with the request id only: the request itself may hold personal data.
                log.exception("unhandled error answering a request", extra={"route": _route(scope), "method": scope.get("method")})
                if not status_holder["sent"]:
                    response = problem(scope.get("path", ""), 500, "INTERNAL", "internal error; quote the request id when reporting it")
                    await response(scope, receive, send_with_headers)
            finally:
                route = _route(scope)
                method = scope.get("method", "GET")
                HTTP_REQUESTS.labels(route, method, str(status_holder["status"])).inc()
                HTTP_DURATION.labels(route, method).observe(time.perf_counter() - started)
                tracing.end_http_span(span, method, route, status_holder["status"])


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            try:
                return str(value.decode("latin-1"))
            except UnicodeDecodeError:
                return None
    return None


def _declared_length(scope: Scope) -> int:
    declared = _header(scope, b"content-length") or "0"
    return int(declared) if declared.isascii() and declared.isdigit() else 0


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else UNMATCHED
