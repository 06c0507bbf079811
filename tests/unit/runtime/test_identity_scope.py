"""Who sees which individual record: agents their book, staff their branch, managers their
region, marketing none, admins and service principals everything."""

from __future__ import annotations

import pytest
from peyvand_runtime.identity import (
    Caller,
    IdentityError,
    bound,
    can_see_record,
    current_caller,
    current_caller_or_none,
    scope_filter,
    service_caller,
)

AGENT = Caller("usr_a", "user", "agent", agent_id="agt_1", branch_codes=("1201",))
STAFF = Caller("usr_s", "user", "staff", branch_codes=("1201",))
MANAGER = Caller("usr_m", "user", "manager", branch_codes=("1201", "1202"), region_code="TEH-N")
MARKETING = Caller("usr_k", "user", "marketing")
ADMIN = Caller("usr_z", "user", "admin")
JOBS = service_caller("policy-jobs")


@pytest.mark.parametrize(
    ("caller", "agent_id", "branch_code", "visible"),
    [
        (AGENT, "agt_1", "1299", True),
        (AGENT, "agt_2", "1201", False),  # same branch, someone else's book
        (AGENT, None, "1201", False),
        (STAFF, "agt_9", "1201", True),
        (STAFF, "agt_1", "1202", False),
        (MANAGER, "agt_9", "1202", True),
        (MANAGER, "agt_9", "1300", False),
        (MANAGER, "agt_9", None, False),
        (MARKETING, "agt_1", "1201", False),
        (ADMIN, None, None, True),
        (JOBS, "agt_1", "1300", True),
    ],
)
def test_can_see_record(caller: Caller, agent_id: str | None, branch_code: str | None, visible: bool) -> None:
    assert can_see_record(caller, agent_id, branch_code) is visible


def test_scope_filters_name_the_fields_a_repository_filters_on() -> None:
    assert scope_filter(AGENT) == {"agent_id": "agt_1"}
    assert scope_filter(STAFF) == {"branch_code": {"$in": ["1201"]}}
    assert scope_filter(MANAGER) == {"branch_code": {"$in": ["1201", "1202"]}}
    assert scope_filter(ADMIN) == {}
    assert scope_filter(JOBS) == {}
    assert scope_filter(MARKETING) is None


def test_service_callers_are_named_service_principals() -> None:
    assert JOBS.principal == "svc:policy-jobs"
    assert (JOBS.kind, JOBS.role) == ("service", "service")


def test_the_current_caller_is_bound_for_a_block_only() -> None:
    assert current_caller_or_none() is None
    with pytest.raises(IdentityError):
        current_caller()
    with bound(STAFF):
        assert current_caller() is STAFF
        with bound(JOBS):
            assert current_caller() is JOBS
        assert current_caller() is STAFF
    assert current_caller_or_none() is None
