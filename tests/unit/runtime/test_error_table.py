"""Every stable error code has exactly one gRPC status, so a new code cannot ship unmapped."""

from __future__ import annotations

import grpc
from peyvand_runtime.domain import (
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
    VersionConflict,
)
from peyvand_runtime.errors import CODE_BY_STATUS, STATUS_BY_CODE, grpc_status_code


def _error_code_names() -> set[str]:
    from peyvand.common.v1 import errors_pb2

    names = errors_pb2.ErrorCode.keys()
    return {name for name in names if name != "ERROR_CODE_UNSPECIFIED"}


def test_every_error_code_in_the_proto_has_a_status() -> None:
    missing = _error_code_names() - set(STATUS_BY_CODE)
    assert not missing, f"add these codes to peyvand_runtime.errors.STATUS_BY_CODE: {sorted(missing)}"


def test_the_table_names_no_code_the_proto_lacks() -> None:
    unknown = set(STATUS_BY_CODE) - _error_code_names()
    assert not unknown, f"add these codes to protos/peyvand/common/v1/errors.proto: {sorted(unknown)}"


def test_the_codes_a_client_assumes_are_real_codes() -> None:
    assert set(CODE_BY_STATUS.values()) <= _error_code_names()


def test_the_domain_error_classes_carry_listed_codes() -> None:
    for error_class in (DomainError, ValidationError, NotFound, VersionConflict, InvalidTransition, PermissionDenied):
        assert error_class.code in _error_code_names()


def test_families_map_as_agreed() -> None:
    S = grpc.StatusCode  # noqa: N806 - reads like the enum it abbreviates
    for code, status in STATUS_BY_CODE.items():
        if code.endswith("_NOT_FOUND"):
            assert status is S.NOT_FOUND, code
        if code.endswith("_INVALID_TRANSITION"):
            assert status is S.FAILED_PRECONDITION, code
        if code.endswith("_DUPLICATE"):
            assert status is S.ALREADY_EXISTS, code
        if code.startswith("TOKEN_"):
            assert status is S.UNAUTHENTICATED, code
    assert grpc_status_code("VERSION_CONFLICT") is S.ABORTED
    assert grpc_status_code("STORE_UNAVAILABLE") is S.UNAVAILABLE


def test_an_unlisted_code_is_answered_as_internal() -> None:
    assert grpc_status_code("NO_SUCH_CODE") is grpc.StatusCode.INTERNAL
