"""What a server puts on the wire for a DomainError is what the gateway reads back."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from peyvand_runtime.domain import DomainError, FieldViolation, NotFound, ValidationError, VersionConflict
from peyvand_runtime.errors import ERROR_CODE_METADATA_KEY, ErrorDetails, status_for


class FakeRpcError(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """What a stub raises, built from a status the way grpc transmits it."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing: tuple[tuple[str, Any], ...] = ()) -> None:
        self._code, self._details, self._trailing = code, details, trailing

    @classmethod
    def from_status(cls, status: grpc.Status) -> FakeRpcError:
        return cls(status.code, status.details, tuple(status.trailing_metadata))

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, Any], ...]:
        return self._trailing

    def initial_metadata(self) -> tuple[()]:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> None:
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


def test_field_violations_survive_the_round_trip() -> None:
    error = ValidationError(
        [
            FieldViolation("national_id", "کد ملی نامعتبر است"),
            FieldViolation("contact_points[1].value", "not a mobile number"),
        ]
    )
    details = ErrorDetails.from_rpc_error(FakeRpcError.from_status(status_for(error)))
    assert details.status_code is grpc.StatusCode.INVALID_ARGUMENT
    assert details.code == "VALIDATION_FAILED"
    assert [v.field for v in details.violations] == ["national_id", "contact_points[1].value"]
    assert details.violations[0].description == "کد ملی نامعتبر است"
    assert details.message == error.message


def test_error_info_carries_code_domain_and_metadata() -> None:
    status = status_for(VersionConflict("policy changed meanwhile", metadata={"current_version": 7}))  # type: ignore[dict-item]
    assert status.code is grpc.StatusCode.ABORTED
    trailers = dict(status.trailing_metadata)
    assert trailers[ERROR_CODE_METADATA_KEY] == "VERSION_CONFLICT"
    rich = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    assert rich.details[0].Unpack(info)
    assert (info.reason, info.domain, dict(info.metadata)) == (
        "VERSION_CONFLICT",
        "peyvand.ir",
        {"current_version": "7"},
    )
    assert len(rich.details) == 1  # no BadRequest without violations

    details = ErrorDetails.from_rpc_error(FakeRpcError.from_status(status))
    assert (details.code, details.metadata, details.violations) == ("VERSION_CONFLICT", {"current_version": "7"}, ())


def test_extra_metadata_joins_the_trailers() -> None:
    status = status_for(NotFound("no such policy"), [("x-correlation-id", "req_1")])
    assert ("x-correlation-id", "req_1") in status.trailing_metadata


@pytest.mark.parametrize(
    ("status_code", "code"),
    [
        (grpc.StatusCode.UNAVAILABLE, "DEPENDENCY_UNAVAILABLE"),
        (grpc.StatusCode.DEADLINE_EXCEEDED, "DEPENDENCY_UNAVAILABLE"),
        (grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_FAILED"),
        (grpc.StatusCode.NOT_FOUND, "NOT_FOUND"),
        (grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED"),
        (grpc.StatusCode.UNKNOWN, "INTERNAL"),
        (grpc.StatusCode.UNIMPLEMENTED, "INTERNAL"),
    ],
)
def test_errors_without_details_get_a_sensible_code(status_code: grpc.StatusCode, code: str) -> None:
    details = ErrorDetails.from_rpc_error(FakeRpcError(status_code, "failed to connect to all addresses"))
    assert (details.status_code, details.code, details.violations) == (status_code, code, ())
    assert details.message == "failed to connect to all addresses"


def test_a_bare_error_code_trailer_is_enough() -> None:
    error = FakeRpcError(grpc.StatusCode.ALREADY_EXISTS, "duplicate", ((ERROR_CODE_METADATA_KEY, "CUSTOMER_DUPLICATE"),))
    assert ErrorDetails.from_rpc_error(error).code == "CUSTOMER_DUPLICATE"


def test_a_peer_refusal_can_be_raised_again_as_our_own() -> None:
    status = status_for(DomainError("quote is past its validity", code="QUOTE_EXPIRED"))
    error = ErrorDetails.from_rpc_error(FakeRpcError.from_status(status)).to_domain_error()
    assert (error.code, error.message) == ("QUOTE_EXPIRED", "quote is past its validity")
