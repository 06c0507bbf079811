"""Opaque cursor tokens (base64url JSON) and page-size caps shared by the list use cases."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from peyvand_runtime.domain import ValidationError

DEFAULT_PAGE, MAX_PAGE = 20, 200


def page_size(requested: int, default: int = DEFAULT_PAGE, maximum: int = MAX_PAGE) -> int:
    if requested < 0:
        raise ValidationError.single("page.page_size", "must not be negative")
    return min(requested or default, maximum)


def encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(token: str, field: str = "page.page_token") -> dict[str, Any]:
    if not token:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise ValidationError.single(field, "not a token this service issued") from None
    if not isinstance(data, dict):
        raise ValidationError.single(field, "not a token this service issued")
    return data
