"""Versions as ETags: ``"v3"`` for one record, a content hash for composed answers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from peyvand_runtime.domain import DomainError, FieldViolation

MAX_VERSION = 2**63 - 1  # versions travel as int64


def version_etag(version: int) -> str:
    return f'"v{version}"'


def json_bytes(body: Any) -> bytes:
    """``body`` as ``JSONResponse`` renders it (compact UTF-8), so a composed answer is rendered
    once and both sent and hashed for its ETag. Its keys come in the order the code builds
    them, so the same content renders to the same bytes."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def content_etag(raw: bytes) -> str:
    return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def parse_if_match(if_match: str | None) -> int:
    """The version a write expects, from ``If-Match: "v3"`` (or a bare ``3``); required."""
    if not if_match:
        raise DomainError(
            "send the version you read in If-Match", code="VALIDATION_FAILED", violations=[FieldViolation("If-Match", "required")]
        )
    text = if_match.strip().removeprefix("W/").strip('"').removeprefix("v")
    # ASCII digits only (``"²".isdigit()`` is true yet ``int("²")`` fails), within int64.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_VERSION:
        raise DomainError("If-Match must be a version tag like \"v3\"", code="VALIDATION_FAILED", violations=[FieldViolation("If-Match", "not a version tag")])
    return int(text)
