"""Every error answered as ``application/problem+json`` (RFC 9457), never with internals."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from peyvand_runtime import correlation
from peyvand_runtime.domain import DomainError, FieldViolation
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException

from peyvand_gateway.adapters.backends import BackendError
from peyvand_gateway.domain.field_names import api_field_name
from peyvand_gateway.domain.problems import RETRY_AFTER_STATUSES, http_status, title_for, type_for

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
_GENERIC_DETAIL = {500: "internal error; quote the request id when reporting it", 503: "a service is unavailable; try again shortly"}
_CODE_BY_HTTP = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 413: "PAYLOAD_TOO_LARGE", 429: "RATE_LIMITED"}


def problem(
    path: str,
    status: int,
    code: str,
    detail: str,
    errors: Iterable[dict[str, str]] = (),
    *,
    retry_after: int | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_for(code),
        "title": title_for(code),
        "status": status,
        "detail": detail,
        "code": code,
        # Path only: a query string may hold what was searched for (a phone, a national id).
        "instance": path,
        "request_id": correlation.current() or "",
        "errors": list(errors),
    }
    if extra:
        body.update(extra)
    headers = {}
    if status in RETRY_AFTER_STATUSES:
        headers["Retry-After"] = str(retry_after if retry_after and retry_after > 0 else 1)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _field_errors(violations: Iterable[FieldViolation]) -> list[dict[str, str]]:
    return [{"field": api_field_name(v.field), "message": v.description} for v in violations]


def _retry_after(metadata: dict[str, str]) -> int | None:
    try:
        return int(metadata.get("retry_after_seconds", "")) or None
    except ValueError:
        return None


def for_domain_error(path: str, error: DomainError) -> JSONResponse:
    status, code = http_status(error.code)
    detail = _GENERIC_DETAIL.get(status, error.message) if status >= 500 else error.message
    return problem(path, status, code, detail, _field_errors(error.violations), retry_after=_retry_after(error.metadata))


def for_backend_error(path: str, error: BackendError) -> JSONResponse:
    details = error.details
    status, code = http_status(details.code, details.status_code.name)
    if status >= 500:
        log.warning("backend call failed", extra={"service": error.service, "grpc_status": details.status_code.name, "code": details.code})
        return problem(path, status, "INTERNAL" if status == 500 else code, _GENERIC_DETAIL.get(status, "internal error"))
    return problem(path, status, code, details.message, _field_errors(details.violations), retry_after=_retry_after(details.metadata))


def _validation_field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return for_domain_error(request.url.path, exc)

    async def backend_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BackendError)
        return for_backend_error(request.url.path, exc)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"field": _validation_field(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))} for e in exc.errors()]
        return problem(request.url.path, 422, "VALIDATION_FAILED", "the request has invalid fields", errors)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        code = _CODE_BY_HTTP.get(status, "VALIDATION_FAILED" if status < 500 else "INTERNAL")
        detail = exc.detail if isinstance(exc.detail, str) and status < 500 else _GENERIC_DETAIL.get(status, "error")
        response = problem(request.url.path, status, code, detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # The gateway's own store (sessions, users) is unreachable: come back later, not a 500.
        log.warning("gateway store unavailable", extra={"error": type(exc).__name__})
        return problem(request.url.path, 503, "STORE_UNAVAILABLE", _GENERIC_DETAIL[503])

    app.add_exception_handler(ConnectionFailure, store_unavailable)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(BackendError, backend_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
