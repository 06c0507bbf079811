"""Masking personal identifiers for roles that do not need them in full — the one place.

Staff, agents, managers and admins work with individual customers and see identifiers in
full (their scope is already enforced by the services). Marketing works with aggregates
and samples and sees them masked.
"""

from __future__ import annotations

FULL_VIEW_ROLES = frozenset({"agent", "staff", "manager", "admin"})


def sees_full_identifiers(role: str) -> bool:
    return role in FULL_VIEW_ROLES


def mask_national_id(value: str) -> str:
    """``***-***-5678``: only the last four digits stay."""
    if not value:
        return value
    return "***-***-" + value[-4:] if len(value) > 4 else "***"


def local_mobile(value: str) -> str:
    """``+989121234567`` → ``09121234567`` (how Iranians write and read it)."""
    if value.startswith("+98"):
        return "0" + value[3:]
    return value


def mask_mobile(value: str) -> str:
    """``0912***4567``: operator prefix and last four digits stay."""
    local = local_mobile(value)
    if len(local) < 8:
        return "***"
    return local[:4] + "***" + local[-4:]


def mask_email(value: str) -> str:
    """``a***@example.ir``."""
    name, at, domain = value.partition("@")
    if not at:
        return "***"
    return (name[:1] or "") + "***@" + domain


def mask_contact(kind: str, value: str) -> str:
    if kind == "mobile":
        return mask_mobile(value)
    if kind == "email":
        return mask_email(value)
    if kind == "landline":
        return "***" + value[-4:] if len(value) > 4 else "***"
    return value


def mask_name(value: str) -> str:
    """``مریم احمدی`` → ``مریم ا.``: the first word and the initial of the rest (segment samples)."""
    words = value.split()
    if len(words) < 2:
        return (value[:1] + "***") if value else value
    return words[0] + " " + words[1][:1] + "."
