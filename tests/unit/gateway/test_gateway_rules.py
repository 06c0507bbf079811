"""The gateway's pure rules: refresh rotation, lockout timing, masking, problems, callers."""

from __future__ import annotations

import datetime as dt

import pytest
from peyvand_gateway.domain import login_throttle as throttle
from peyvand_gateway.domain.field_names import api_field_name
from peyvand_gateway.domain.masking import mask_email, mask_mobile, mask_national_id, sees_full_identifiers
from peyvand_gateway.domain.problems import HTTP_STATUS_BY_CODE, http_status
from peyvand_gateway.domain.rate_limit import TokenBuckets
from peyvand_gateway.domain.sessions import RefreshRecord, RefreshVerdict, hash_refresh_token, judge_refresh, new_refresh_token
from peyvand_gateway.domain.sync import QueuedChange, decode_pull_token, encode_pull_token, precheck
from peyvand_gateway.domain.users import User, access_claims, branch_codes_for, caller_from_claims
from peyvand_runtime.domain import ValidationError

NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


def _record(**changes: object) -> RefreshRecord:
    fields: dict[str, object] = dict(token_hash="h", family_id="ses_1", user_id="usr_1", issued_at=NOW, expires_at=NOW + dt.timedelta(days=14))
    fields.update(changes)
    return RefreshRecord(**fields)  # type: ignore[arg-type]


def test_refresh_token_is_stored_only_as_its_hash() -> None:
    token, stored = new_refresh_token()
    assert stored == hash_refresh_token(token) and token not in stored


@pytest.mark.parametrize(
    ("record", "verdict"),
    [
        (None, RefreshVerdict.UNKNOWN),
        (_record(), RefreshVerdict.OK),
        (_record(spent_at=NOW), RefreshVerdict.REUSED),
        (_record(expires_at=NOW), RefreshVerdict.EXPIRED),
        (_record(family_revoked=True, spent_at=NOW), RefreshVerdict.REVOKED),
    ],
)
def test_refresh_verdicts(record: RefreshRecord | None, verdict: RefreshVerdict) -> None:
    assert judge_refresh(record, NOW) is verdict


def test_failures_slow_down_then_lock() -> None:
    policy = throttle.ThrottlePolicy(max_failures=5, lock=dt.timedelta(minutes=15), first_delay=dt.timedelta(seconds=1))
    state = throttle.ThrottleState()
    waits = []
    now = NOW
    for _ in range(4):
        state = throttle.after_failure(state, policy, now)
        waits.append(throttle.wait_before_attempt(state, policy, now))
        now += dt.timedelta(seconds=waits[-1])
    assert waits == [1, 2, 4, 8]
    state = throttle.after_failure(state, policy, now)
    assert throttle.wait_before_attempt(state, policy, now) == 900
    assert throttle.wait_before_attempt(state, policy, now + dt.timedelta(minutes=14)) == 60
    assert throttle.wait_before_attempt(state, policy, now + dt.timedelta(minutes=15)) == 0
    # After the lock ran out, one more failure starts a fresh count, not another lock.
    later = throttle.after_failure(state, policy, now + dt.timedelta(minutes=16))
    assert later.failures == 1 and later.locked_until is None


def test_masking_keeps_only_what_is_needed() -> None:
    assert mask_national_id("0012345679") == "***-***-5679"
    assert mask_mobile("+989121234567") == "0912***4567"
    assert mask_email("maryam@example.ir") == "m***@example.ir"
    assert sees_full_identifiers("staff") and sees_full_identifiers("agent") and not sees_full_identifiers("marketing")


def test_presenter_masks_for_marketing_only() -> None:
    from peyvand.customer.v1 import customer_pb2
    from peyvand_gateway.entrypoints import presenters

    customer = customer_pb2.Customer(
        customer_id="cus_1", national_id="0012345679", contact_points=[customer_pb2.ContactPoint(kind="mobile", value="+989121234567")], version=2
    )
    full = presenters.customer(customer, "staff")
    masked = presenters.customer(customer, "marketing")
    assert (full["national_id"], full["contact_points"][0]["value"]) == ("0012345679", "09121234567")
    assert (masked["national_id"], masked["contact_points"][0]["value"]) == ("***-***-5679", "0912***4567")


def test_every_error_code_has_an_http_status() -> None:
    from peyvand.common.v1 import errors_pb2

    codes = {name for name in errors_pb2.ErrorCode.keys() if name != "ERROR_CODE_UNSPECIFIED"}
    assert codes - set(HTTP_STATUS_BY_CODE) == set()
    assert set(HTTP_STATUS_BY_CODE) - codes == set()


@pytest.mark.parametrize(
    ("code", "grpc_status", "expected"),
    [
        ("VALIDATION_FAILED", "INVALID_ARGUMENT", (422, "VALIDATION_FAILED")),
        ("CUSTOMER_NOT_FOUND", "NOT_FOUND", (404, "CUSTOMER_NOT_FOUND")),
        ("VERSION_CONFLICT", "ABORTED", (409, "VERSION_CONFLICT")),
        ("CUSTOMER_DUPLICATE", "ALREADY_EXISTS", (409, "CUSTOMER_DUPLICATE")),
        ("POLICY_INVALID_TRANSITION", "FAILED_PRECONDITION", (409, "POLICY_INVALID_TRANSITION")),
        ("DEPENDENCY_UNAVAILABLE", "DEADLINE_EXCEEDED", (503, "DEPENDENCY_UNAVAILABLE")),
        ("RATE_LIMITED", "RESOURCE_EXHAUSTED", (429, "RATE_LIMITED")),
        ("SOMETHING_NEW_NOT_FOUND", "NOT_FOUND", (404, "SOMETHING_NEW_NOT_FOUND")),
        ("INTERNAL", "INTERNAL", (500, "INTERNAL")),
        ("WHATEVER", "DATA_LOSS", (500, "INTERNAL")),
    ],
)
def test_problem_statuses(code: str, grpc_status: str, expected: tuple[int, str]) -> None:
    assert http_status(code, grpc_status) == expected


def test_proto_field_names_become_api_names() -> None:
    assert api_field_name("customer.national_id") == "national_id"
    assert api_field_name("customer.contact_points[1].value") == "contact_points[1].value"
    assert api_field_name("expected_version") == "If-Match"


def test_manager_caller_covers_the_region_and_agent_caller_has_agent_id() -> None:
    manager = User("usr_m", "m", "M", "manager", "hash", region_code="TEH")
    codes = branch_codes_for(manager, lambda region: ["1022", "1021"] if region == "TEH" else [])
    caller = caller_from_claims(access_claims(manager, codes))
    assert caller.role == "manager" and caller.branch_codes == ("1021", "1022") and caller.region_code == "TEH"
    agent = User("usr_a", "a", "A", "agent", "hash", agent_id="agt_1", branch_code="1021")
    agent_caller = caller_from_claims(access_claims(agent, branch_codes_for(agent, lambda r: [])))
    assert (agent_caller.kind, agent_caller.agent_id) == ("user", "agt_1")


def test_token_bucket_refuses_past_the_burst_and_refills() -> None:
    buckets = TokenBuckets(rate_per_second=1, burst=2)
    assert [buckets.take("u", 0.0) for _ in range(3)] == [0, 0, 1]
    assert buckets.take("u", 1.0) == 0
    assert buckets.take("other", 1.0) == 0


def test_pull_token_round_trips_and_garbage_is_a_field_error() -> None:
    assert decode_pull_token(encode_pull_token({"customer": "42"})) == {"customer": "42"}
    with pytest.raises(ValidationError) as refused:
        decode_pull_token("not-a-token")
    assert refused.value.violations[0].field == "since"


def test_queued_change_checks() -> None:
    stale_less = QueuedChange("k1", "update_customer", "cus_1", None, {"last_name": "x"})
    assert precheck(stale_less) is not None and precheck(stale_less).reason == "VALIDATION_FAILED"  # type: ignore[union-attr]
    national_id = QueuedChange("k2", "update_customer", "cus_1", 3, {"national_id": "1"})
    assert precheck(national_id) is not None
    assert precheck(QueuedChange("k3", "log_interaction", "cus_1", None, {"kind": "call", "summary": "hi"})) is None
    assert QueuedChange("k", "log_interaction", "c", None, {"a": 1}).fingerprint() != QueuedChange("k", "log_interaction", "c", None, {"a": 2}).fingerprint()
