"""People who sign in, their roles, and the caller identity their access token stands for."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.identity import Caller

ROLES = ("agent", "staff", "manager", "marketing", "admin")


@dataclass
class User:
    user_id: str
    username: str
    display_name: str
    role: str
    password_hash: str
    agent_id: str | None = None
    branch_code: str | None = None
    region_code: str | None = None
    active: bool = True

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        if self.role == "agent" and not self.agent_id:
            raise ValueError("an agent user needs agent_id")
        if self.role == "staff" and not self.branch_code:
            raise ValueError("a staff user needs branch_code")
        if self.role == "manager" and not self.region_code:
            raise ValueError("a manager user needs region_code")


@dataclass(frozen=True)
class DemoUser:
    """A seeded account and its password, printed by ``make run``."""

    username: str
    password: str
    role: str
    display_name: str


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def branch_codes_for(user: User, branches_of_region: Callable[[str], Iterable[str]]) -> tuple[str, ...]:
    """The branches a user works in: staff their branch, managers their region's branches,
    agents their own branch (informational — agents are scoped by their book)."""
    if user.role == "manager" and user.region_code:
        return tuple(sorted(branches_of_region(user.region_code)))
    if user.branch_code:
        return (user.branch_code,)
    return ()


def access_claims(user: User, branch_codes: tuple[str, ...]) -> dict[str, Any]:
    """What the access token says about its holder (besides jti/sid/iat/exp)."""
    return {
        "sub": user.user_id,
        "role": user.role,
        "agent_id": user.agent_id,
        "branch_codes": list(branch_codes),
        "region": user.region_code,
    }


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    """The ``Caller`` signed into every gRPC call made for this request."""
    return Caller(
        principal=str(claims["sub"]),
        kind="user",
        role=str(claims["role"]),
        agent_id=claims.get("agent_id") or None,
        branch_codes=tuple(str(code) for code in claims.get("branch_codes") or ()),
        region_code=claims.get("region") or None,
    )
