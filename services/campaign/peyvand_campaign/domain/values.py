"""Shared vocabulary of the campaign domain: channels, purposes, languages and instant formatting."""

from __future__ import annotations

import datetime as dt

from peyvand_runtime.tehran_time import as_utc

SMS = "sms"
EMAIL = "email"
PUSH = "push"
CHANNELS: tuple[str, ...] = (SMS, EMAIL, PUSH)

SERVICE = "service"
MARKETING = "marketing"
PURPOSES: tuple[str, ...] = (SERVICE, MARKETING)

LANGUAGES: tuple[str, ...] = ("fa", "en")
DEFAULT_LANGUAGE = "fa"


def iso_instant(instant: dt.datetime) -> str:
    """ISO-8601 UTC with ``Z`` as event payloads require (``2026-03-20T05:30:00Z``)."""
    return as_utc(instant).isoformat().replace("+00:00", "Z")


def require_aware(instant: dt.datetime, name: str = "now") -> dt.datetime:
    """Domain functions take aware instants only; a naive one is a programming error."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return as_utc(instant)
