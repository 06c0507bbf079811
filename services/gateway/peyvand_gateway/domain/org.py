"""The organisation directory: regions, branches and agents (whose changes are events)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from peyvand_runtime.domain import Aggregate, Violations

AGENT_CHANGED = "org.agent_changed"
_MOBILE = re.compile(r"^(?:\+98|0098|98|0)?(9\d{9})$")


@dataclass(frozen=True)
class Region:
    code: str
    name_fa: str
    name_en: str
    branch_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Branch:
    code: str
    name_fa: str
    name_en: str
    city: str
    region_code: str


def canonical_mobile(text: str) -> str | None:
    """``+989xxxxxxxxx`` for any common way of writing an Iranian mobile, else None."""
    digits = re.sub(r"[\s\-()]", "", text or "")
    match = _MOBILE.match(digits)
    return f"+98{match.group(1)}" if match else None


@dataclass
class Agent(Aggregate):
    """An insurance agent in the directory (``agt_…``); every change records ``org.agent_changed``."""

    display_name: str = ""
    mobile: str = ""
    branch_code: str = ""
    active: bool = True
    _changed: bool = field(default=False, init=False, repr=False, compare=False)

    @classmethod
    def register(cls, agent_id: str, display_name: str, mobile: str, branch_code: str, active: bool = True) -> Agent:
        agent = cls(id=agent_id)
        agent.change(display_name=display_name, mobile=mobile, branch_code=branch_code, active=active)
        return agent

    def change(
        self,
        *,
        display_name: str | None = None,
        mobile: str | None = None,
        branch_code: str | None = None,
        active: bool | None = None,
    ) -> bool:
        """Apply the given changes; records one event if anything actually changed."""
        problems = Violations()
        new_name = (display_name if display_name is not None else self.display_name).strip()
        new_mobile = self.mobile
        if mobile is not None:
            new_mobile = canonical_mobile(mobile) or ""
            if not new_mobile:
                problems.add("mobile", "not an Iranian mobile number")
        if not new_name:
            problems.add("display_name", "required")
        new_branch = branch_code if branch_code is not None else self.branch_code
        if not new_branch:
            problems.add("branch_code", "required")
        problems.raise_if_any()
        new_active = self.active if active is None else active
        before = (self.display_name, self.mobile, self.branch_code, self.active)
        after = (new_name, new_mobile, new_branch, new_active)
        if before == after and self.version > 0:
            return False
        self.display_name, self.mobile, self.branch_code, self.active = after
        self.record(AGENT_CHANGED, self.payload())
        return True

    def payload(self) -> dict[str, object]:
        return {
            "agent_id": self.id,
            "display_name": self.display_name,
            "mobile": self.mobile,
            "branch_code": self.branch_code,
            "active": self.active,
        }
