"""What a caller of a Peyvand service notices: rich errors, refused identities, correlation ids."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import grpc
import pytest
from peyvand_runtime import correlation
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.identity import sign

ProbeClient = Any  # conftest.ProbeClient; fixtures, not imports, carry it


def _refused(client: ProbeClient, method: str, payload: Any, **kwargs: Any) -> tuple[grpc.RpcError, ErrorDetails]:
    with pytest.raises(grpc.RpcError) as raised:
        client.call(method, payload, **kwargs)
    return raised.value, ErrorDetails.from_rpc_error(raised.value)


def test_validation_errors_arrive_with_their_fields(client: ProbeClient) -> None:
    error, details = _refused(client, "Refuse", {"kind": "validation"})
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert details.code == "VALIDATION_FAILED"
    assert [v.field for v in details.violations] == ["national_id", "birth_date"]
    assert dict(error.trailing_metadata())["x-error-code"] == "VALIDATION_FAILED"


def test_a_version_conflict_is_aborted(client: ProbeClient) -> None:
    error, details = _refused(client, "Refuse", {"kind": "conflict"})
    assert (error.code(), details.code, details.metadata) == (
        grpc.StatusCode.ABORTED,
        "VERSION_CONFLICT",
        {"current_version": "4"},
    )


def test_a_service_specific_code_keeps_its_name_and_persian_message(client: ProbeClient) -> None:
    error, details = _refused(client, "Refuse", {"kind": "not_found"})
    assert (error.code(), details.code) == (grpc.StatusCode.NOT_FOUND, "POLICY_NOT_FOUND")
    assert details.message == error.details() == "بیمه‌نامه پیدا نشد"


def test_a_bug_is_internal_and_reveals_nothing(client: ProbeClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="peyvand_runtime.grpc_interceptors"):
        error, details = _refused(client, "Refuse", {"kind": "bug", "national_id": "0012345679"})
    assert (error.code(), details.code) == (grpc.StatusCode.INTERNAL, "INTERNAL")
    assert "secret-bug-detail" not in error.details() and "Traceback" not in error.details()
    correlation_id = dict(error.trailing_metadata())["x-correlation-id"]
    assert correlation_id in error.details()  # support can find the log line
    (record,) = [r for r in caplog.records if r.name == "peyvand_runtime.grpc_interceptors"]
    assert record.grpc_method == "peyvand.testing.v1.ProbeService/Refuse"  # type: ignore[attr-defined]
    assert record.exc_info and "0012345679" not in record.getMessage()


def test_a_domain_error_in_the_middle_of_a_stream_is_mapped(client: ProbeClient) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.stream("Countdown", {"n": 3, "fail_at": 1})
    assert ErrorDetails.from_rpc_error(raised.value).code == "VERSION_CONFLICT"


def test_streams_see_the_caller_and_correlation_id_on_every_item(client: ProbeClient, spine_server: Any) -> None:
    staff = spine_server.caller
    with correlation.bound("req_stream_check"):
        items = client.stream("Countdown", {"n": 3})
    assert [i["n"] for i in items] == [3, 2, 1]
    assert {(i["principal"], i["correlation_id"]) for i in items} == {(staff.principal, "req_stream_check")}
    answer = client.send_stream("Total", [{"rials": 1_000_000}, {"rials": 250_000}])
    assert answer == {"total": 1_250_000, "principal": staff.principal}


@pytest.mark.parametrize("how", ["missing", "tampered", "expired", "wrong_secret"])
def test_calls_without_a_valid_identity_are_refused(make_client: Any, spine_server: Any, how: str) -> None:
    staff, secret = spine_server.caller, spine_server.secret
    now = dt.datetime.now(dt.UTC)
    good = sign(staff, secret, now)
    tokens = {
        "tampered": good[:-1] + ("B" if good.endswith("A") else "A"),
        "expired": sign(staff, secret, now - dt.timedelta(minutes=10)),
        "wrong_secret": sign(staff, "not-the-secret", now),
    }
    metadata: tuple[tuple[str, str], ...] = ()
    if how == "missing":
        client = make_client(signed=False)
    else:
        client, metadata = make_client(), (("x-peyvand-identity", tokens[how]),)
    error, details = _refused(client, "Whoami", {}, metadata=metadata, timeout=2)
    assert (error.code(), details.code) == (grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")


def test_the_handler_sees_the_caller_and_the_correlation_id_which_is_echoed(client: ProbeClient, spine_server: Any) -> None:
    with correlation.bound("req_from_gateway_42"):
        answer, call = client.call("Whoami", {})
    assert answer == {"principal": spine_server.caller.principal, "correlation_id": "req_from_gateway_42"}
    assert dict(call.trailing_metadata())["x-correlation-id"] == "req_from_gateway_42"
    # Not in the response headers: sending them is a batch of its own per call (see grpc_interceptors).
    assert "x-correlation-id" not in dict(call.initial_metadata())


def test_a_malformed_correlation_id_is_replaced(client: ProbeClient) -> None:
    answer, call = client.call("Whoami", {}, metadata=(("x-correlation-id", "not ok; drop table"),))
    assert answer["correlation_id"].startswith("req_")
    assert dict(call.trailing_metadata())["x-correlation-id"] == answer["correlation_id"]
