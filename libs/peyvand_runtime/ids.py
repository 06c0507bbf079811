"""Identifiers: ``<prefix>_<ULID>`` strings (sortable by creation time, safe in URLs)."""

from __future__ import annotations

import re

from ulid import ULID

PREFIXES = frozenset({"cus", "pol", "qte", "cmp", "tkt", "tsk", "evt", "seg", "tpl", "jrn", "msg", "usr", "end", "itx", "imp", "hh", "dlv", "cnv", "prd", "brn", "agt", "ses", "rfr"})
_ID_RE = re.compile(r"^([a-z]{2,4})_([0-9A-HJKMNP-TV-Z]{26})$")


def new_id(prefix: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    return f"{prefix}_{ULID()}"


def is_id(value: str, prefix: str | None = None) -> bool:
    """True when ``value`` is a well-formed id (with the given prefix, if any)."""
    match = _ID_RE.match(value or "")
    if not match:
        return False
    return prefix is None or match.group(1) == prefix
