"""The one table from Peyvand error codes to gRPC status codes, and rich status both ways.

Servers answer a ``DomainError`` with ``google.rpc.Status`` carrying ``ErrorInfo`` (reason =
the stable code, domain ``peyvand.ir``) and, for bad input, ``BadRequest`` field violations
(proto field names). The code is also sent as trailing metadata ``x-error-code`` for
clients that do not parse the details. Clients (the gateway) read it all back with
``ErrorDetails.from_rpc_error``.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from peyvand_runtime.domain import DomainError, FieldViolation

ERROR_DOMAIN = "peyvand.ir"
ERROR_CODE_METADATA_KEY = "x-error-code"
_DETAILS_METADATA_KEY = "grpc-status-details-bin"

_S = grpc.StatusCode
# Every name in peyvand.common.v1.ErrorCode (except UNSPECIFIED) must be here: a unit test
# parses the generated enum and fails when a code has no status.
STATUS_BY_CODE: Mapping[str, grpc.StatusCode] = MappingProxyType(
    {
        # Generic
        "VALIDATION_FAILED": _S.INVALID_ARGUMENT,
        "NOT_FOUND": _S.NOT_FOUND,
        "VERSION_CONFLICT": _S.ABORTED,
        "INVALID_TRANSITION": _S.FAILED_PRECONDITION,
        "UNAUTHENTICATED": _S.UNAUTHENTICATED,
        "PERMISSION_DENIED": _S.PERMISSION_DENIED,
        "RATE_LIMITED": _S.RESOURCE_EXHAUSTED,
        "STORE_UNAVAILABLE": _S.UNAVAILABLE,
        "DEPENDENCY_UNAVAILABLE": _S.UNAVAILABLE,
        "INTERNAL": _S.INTERNAL,
        "IDEMPOTENCY_KEY_REUSED": _S.ALREADY_EXISTS,
        "PAYLOAD_TOO_LARGE": _S.RESOURCE_EXHAUSTED,
        "OVERLOADED": _S.RESOURCE_EXHAUSTED,  # not UNAVAILABLE: clients must not retry at once
        # Customer
        "CUSTOMER_NOT_FOUND": _S.NOT_FOUND,
        "CUSTOMER_DUPLICATE": _S.ALREADY_EXISTS,
        "CUSTOMER_MERGE_INVALID": _S.FAILED_PRECONDITION,
        "CUSTOMER_RELATIONSHIP_INVALID": _S.FAILED_PRECONDITION,
        "IMPORT_INVALID": _S.INVALID_ARGUMENT,
        # Policy
        "POLICY_NOT_FOUND": _S.NOT_FOUND,
        "PRODUCT_NOT_FOUND": _S.NOT_FOUND,
        "QUOTE_NOT_FOUND": _S.NOT_FOUND,
        "QUOTE_EXPIRED": _S.FAILED_PRECONDITION,
        "POLICY_INVALID_TRANSITION": _S.FAILED_PRECONDITION,
        # Ticketing
        "TICKET_NOT_FOUND": _S.NOT_FOUND,
        "TICKET_INVALID_TRANSITION": _S.FAILED_PRECONDITION,
        "TASK_NOT_FOUND": _S.NOT_FOUND,
        "TASK_INVALID_TRANSITION": _S.FAILED_PRECONDITION,
        "QUEUE_NOT_FOUND": _S.NOT_FOUND,
        # Campaign
        "CAMPAIGN_NOT_FOUND": _S.NOT_FOUND,
        "CAMPAIGN_INVALID_TRANSITION": _S.FAILED_PRECONDITION,
        "SEGMENT_NOT_FOUND": _S.NOT_FOUND,
        "TEMPLATE_NOT_FOUND": _S.NOT_FOUND,
        "TEMPLATE_PLACEHOLDER_UNKNOWN": _S.INVALID_ARGUMENT,
        "CONSENT_MISSING": _S.FAILED_PRECONDITION,
        # Gateway
        "LOGIN_FAILED": _S.UNAUTHENTICATED,
        "LOGIN_LOCKED": _S.RESOURCE_EXHAUSTED,
        "TOKEN_INVALID": _S.UNAUTHENTICATED,
        "TOKEN_EXPIRED": _S.UNAUTHENTICATED,
        "TOKEN_REVOKED": _S.UNAUTHENTICATED,
    }
)

# What a client assumes when an error carries no Peyvand code (it came from grpc itself,
# a proxy, or a server that crashed before answering).
CODE_BY_STATUS: Mapping[grpc.StatusCode, str] = MappingProxyType(
    {
        _S.INVALID_ARGUMENT: "VALIDATION_FAILED",
        _S.OUT_OF_RANGE: "VALIDATION_FAILED",
        _S.NOT_FOUND: "NOT_FOUND",
        _S.ABORTED: "VERSION_CONFLICT",
        _S.FAILED_PRECONDITION: "INVALID_TRANSITION",
        _S.UNAUTHENTICATED: "UNAUTHENTICATED",
        _S.PERMISSION_DENIED: "PERMISSION_DENIED",
        _S.RESOURCE_EXHAUSTED: "RATE_LIMITED",
        _S.UNAVAILABLE: "DEPENDENCY_UNAVAILABLE",
        _S.DEADLINE_EXCEEDED: "DEPENDENCY_UNAVAILABLE",
        _S.CANCELLED: "DEPENDENCY_UNAVAILABLE",
    }
)


def grpc_status_code(code: str) -> grpc.StatusCode:
    """The gRPC status for a Peyvand code; an unlisted code is a bug, answered as INTERNAL."""
    return STATUS_BY_CODE.get(code, _S.INTERNAL)


class RichStatus(collections.namedtuple("RichStatus", ("code", "details", "trailing_metadata")), grpc.Status):  # type: ignore[misc]
    """A ``grpc.Status`` for ``context.abort_with_status``: code, details, trailing metadata."""


def _pack(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def status_for(error: DomainError, extra_metadata: Iterable[tuple[str, str]] = ()) -> grpc.Status:
    """The status a server answers ``error`` with (``extra_metadata`` joins the trailers)."""
    status_code = grpc_status_code(error.code)
    details = [
        _pack(
            error_details_pb2.ErrorInfo(
                reason=error.code,
                domain=ERROR_DOMAIN,
                metadata={str(k): str(v) for k, v in error.metadata.items()},
            )
        )
    ]
    if error.violations:
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description) for v in error.violations
                    ]
                )
            )
        )
    rich = status_pb2.Status(code=status_code.value[0], message=error.message or error.code, details=details)
    converted = rpc_status.to_status(rich)
    return RichStatus(
        code=converted.code,
        details=converted.details,
        trailing_metadata=(
            *converted.trailing_metadata,
            (ERROR_CODE_METADATA_KEY, error.code),
            *extra_metadata,
        ),
    )


@dataclass(frozen=True)
class ErrorDetails:
    """What a client learns from a failed call: gRPC status, Peyvand code, message, fields."""

    status_code: grpc.StatusCode
    code: str
    message: str
    violations: tuple[FieldViolation, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rpc_error(cls, exc: grpc.RpcError) -> ErrorDetails:
        """Read an error raised by a stub (sync or ``grpc.aio``)."""
        status_code = _call_attr(exc, "code") or _S.UNKNOWN
        message = _call_attr(exc, "details") or ""
        trailers = _trailers(exc)
        code = CODE_BY_STATUS.get(status_code, "INTERNAL")
        plain_code = trailers.get(ERROR_CODE_METADATA_KEY)
        if isinstance(plain_code, str) and plain_code:
            code = plain_code
        violations: list[FieldViolation] = []
        metadata: dict[str, str] = {}
        raw = trailers.get(_DETAILS_METADATA_KEY)
        if isinstance(raw, bytes):
            rich = status_pb2.Status.FromString(raw)
            message = rich.message or message
            for detail in rich.details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    if info.domain == ERROR_DOMAIN and info.reason:
                        code = info.reason
                        metadata = dict(info.metadata)
                elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    violations.extend(FieldViolation(v.field, v.description) for v in bad.field_violations)
        return cls(status_code, code, message, tuple(violations), metadata)

    def to_domain_error(self) -> DomainError:
        """Re-raise a peer's refusal as our own (e.g. a NOT_FOUND from a peer service)."""
        return DomainError(self.message, code=self.code, violations=self.violations, metadata=self.metadata)


def _call_attr(exc: grpc.RpcError, name: str) -> Any:
    method = getattr(exc, name, None)
    try:
        return method() if callable(method) else None
    except Exception:  # noqa: BLE001 - a half-built error must still be describable
        return None


def _trailers(exc: grpc.RpcError) -> dict[str, str | bytes]:
    """Trailing metadata as a dict (first value wins); works for sync and aio errors."""
    found: dict[str, str | bytes] = {}
    for key, value in _call_attr(exc, "trailing_metadata") or ():
        found.setdefault(key, value)
    return found


__all__ = [
    "CODE_BY_STATUS",
    "ERROR_CODE_METADATA_KEY",
    "ERROR_DOMAIN",
    "STATUS_BY_CODE",
    "ErrorDetails",
    "RichStatus",
    "grpc_status_code",
    "status_for",
]
