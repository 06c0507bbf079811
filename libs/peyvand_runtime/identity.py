"""Who is calling: the signed caller identity the gateway puts in gRPC metadata, and scoping.

Pure (no grpc import, no clock reads — ``now`` is passed in), so service layers and tests
can use it anywhere. The token is ``base64url(JSON) "." base64url(HMAC-SHA256)`` with an
``exp`` (epoch seconds); it is short-lived because the gateway signs one per call.

Scoping rule (DESIGN.md): an agent sees their own book, staff their branch, managers their
region's branches, marketing no individual records, admins and service principals all.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.domain import DomainError

GRPC_METADATA_KEY = "x-peyvand-identity"
KINDS = frozenset({"user", "service"})
ROLES = frozenset({"agent", "staff", "manager", "marketing", "admin", "service"})
_TOKEN_VERSION = 1


class IdentityError(DomainError):
    """A caller identity that is missing, garbled, wrongly signed or expired."""

    code = "UNAUTHENTICATED"


@dataclass(frozen=True)
class Caller:
    """An authenticated principal: a person (``usr_…``) or a process (``svc:policy-jobs``)."""

    principal: str
    kind: str
    role: str
    agent_id: str | None = None
    branch_codes: tuple[str, ...] = ()
    region_code: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "branch_codes", tuple(self.branch_codes))
        if not self.principal:
            raise ValueError("principal is required")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}")
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}")
        if (self.kind == "service") != (self.role == "service"):
            raise ValueError("service principals, and only they, have the service role")
        if self.role == "agent" and not self.agent_id:
            raise ValueError("an agent caller needs agent_id")


def service_caller(name: str) -> Caller:
    """The identity of a worker, relay or job acting on its own behalf (``svc:<name>``)."""
    return Caller(principal=f"svc:{name}", kind="service", role="service")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValueError("the identity secret must not be empty")
    return key


def _signature(payload_segment: str, secret: str | bytes) -> str:
    return _b64encode(hmac.new(_key(secret), payload_segment.encode("ascii"), hashlib.sha256).digest())


def sign(caller: Caller, secret: str | bytes, now: dt.datetime, ttl_seconds: int = 300) -> str:
    """A token for ``caller`` valid for ``ttl_seconds`` from ``now``."""
    claims: dict[str, Any] = {
        "v": _TOKEN_VERSION,
        "sub": caller.principal,
        "kind": caller.kind,
        "role": caller.role,
        "exp": int(now.timestamp()) + ttl_seconds,
    }
    if caller.agent_id:
        claims["agent"] = caller.agent_id
    if caller.branch_codes:
        claims["branches"] = list(caller.branch_codes)
    if caller.region_code:
        claims["region"] = caller.region_code
    payload = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{payload}.{_signature(payload, secret)}"


def verify(token: str | None, secret: str | bytes, now: dt.datetime) -> Caller:
    """The caller named by a valid token; ``IdentityError`` for anything else."""
    return _verified(token, secret, now)[0]


def _verified(token: str | None, secret: str | bytes, now: dt.datetime) -> tuple[Caller, int]:
    """``verify``, with the token's expiry (epoch seconds)."""
    if not token:
        raise IdentityError("caller identity missing")
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature or not token.isascii():
        raise IdentityError("caller identity garbled")
    # Compare before parsing: nothing from an unsigned payload is trusted or even decoded.
    if not hmac.compare_digest(signature.encode("ascii"), _signature(payload, secret).encode("ascii")):
        raise IdentityError("caller identity signature invalid")
    try:
        claims = json.loads(_b64decode(payload))
        if not isinstance(claims, dict) or claims.get("v") != _TOKEN_VERSION:
            raise ValueError("unknown token version")
        expires = claims["exp"]
        if not isinstance(expires, int):
            raise ValueError("exp must be an integer")
        caller = Caller(
            principal=str(claims["sub"]),
            kind=str(claims["kind"]),
            role=str(claims["role"]),
            agent_id=claims.get("agent"),
            branch_codes=tuple(str(code) for code in claims.get("branches", ())),
            region_code=claims.get("region"),
        )
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise IdentityError("caller identity garbled") from exc
    if now.timestamp() >= expires:
        raise IdentityError("caller identity expired")
    return caller, expires


class Signer:
    """``sign`` for one secret, remembering the tokens it made in the current second.

    A token depends only on the caller, the secret and the whole second of ``now`` (its
    ``exp``), so a caller's calls within one second share one token; the gateway makes several
    backend calls per request. Bounded: the memory is emptied when it holds ``size`` tokens.
    Thread-safe (single dict operations).
    """

    def __init__(self, secret: str | bytes, ttl_seconds: int = 300, size: int = 1024) -> None:
        _key(secret)  # refuse an empty secret now, not at the first call
        self.secret, self.ttl_seconds, self.size = secret, ttl_seconds, size
        self._made: dict[tuple[Caller, int], str] = {}

    def __call__(self, caller: Caller, now: dt.datetime) -> str:
        key = (caller, int(now.timestamp()))
        token = self._made.get(key)
        if token is None:
            token = sign(caller, self.secret, now, self.ttl_seconds)
            if len(self._made) >= self.size:
                self._made.clear()
            self._made[key] = token
        return token


class Verifier:
    """``verify`` for one secret, remembering the tokens it has found valid.

    A token seen before is answered by its caller after the expiry check alone (the signature
    and claims of those exact bytes were checked when it was first seen); refused tokens are
    not remembered, so a bad token is checked in full every time. Bounded: the memory is
    emptied when it holds ``size`` tokens. Thread-safe (single dict operations).
    """

    def __init__(self, secret: str | bytes, size: int = 4096) -> None:
        _key(secret)
        self.secret, self.size = secret, size
        self._valid: dict[str, tuple[Caller, int]] = {}

    def __call__(self, token: str | None, now: dt.datetime) -> Caller:
        known = self._valid.get(token) if token else None
        if known is None:
            known = _verified(token, self.secret, now)
            if len(self._valid) >= self.size:
                self._valid.clear()
            self._valid[token] = known  # type: ignore[index]  # _verified refused an empty one
        caller, expires = known
        if now.timestamp() >= expires:
            raise IdentityError("caller identity expired")
        return caller


# --- the caller of the request being handled -------------------------------------------

_current: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("peyvand_caller", default=None)


def current_caller() -> Caller:
    """The caller of the gRPC call (or job step) being handled; ``IdentityError`` if none."""
    caller = _current.get()
    if caller is None:
        raise IdentityError("no caller identity for this call")
    return caller


def current_caller_or_none() -> Caller | None:
    return _current.get()


@contextmanager
def bound(caller: Caller | None) -> Iterator[Caller | None]:
    """Run a block as ``caller`` (the gRPC server does this per call; jobs with
    ``bound(service_caller("policy-jobs"))``)."""
    token = _current.set(caller)
    try:
        yield caller
    finally:
        _current.reset(token)


# --- scoping -------------------------------------------------------------------------------

_SEES_ALL = frozenset({"admin", "service"})
_BY_BRANCH = frozenset({"staff", "manager"})


def can_see_record(caller: Caller, agent_id: str | None, branch_code: str | None) -> bool:
    """Whether ``caller`` may see one individual record owned by that agent and branch.

    A service answers NOT_FOUND when this is false (never reveal that the record exists).
    """
    if caller.role in _SEES_ALL:
        return True
    if caller.role == "agent":
        return agent_id is not None and agent_id == caller.agent_id
    if caller.role in _BY_BRANCH:
        return branch_code is not None and branch_code in caller.branch_codes
    return False  # marketing works with aggregates and samples, never single records


def scope_filter(caller: Caller) -> dict[str, Any] | None:
    """The fields a repository must filter individual records on for ``caller``.

    ``{}`` means everything, ``None`` means no individual records at all (answer with an
    empty list or NOT_FOUND). Field names are the conventional ``agent_id`` and
    ``branch_code`` every service keeps on its records.
    """
    if caller.role in _SEES_ALL:
        return {}
    if caller.role == "agent":
        return {"agent_id": caller.agent_id}
    if caller.role in _BY_BRANCH:
        return {"branch_code": {"$in": list(caller.branch_codes)}}
    return None
