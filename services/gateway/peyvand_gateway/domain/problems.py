"""The one table from Peyvand error codes (and bare gRPC statuses) to HTTP problem statuses.

Every name in ``peyvand.common.v1.ErrorCode`` must be here (a unit test parses the generated
enum). A code this table does not know yet — a service added one before the gateway was
updated — falls back to the status it came with (``STATUS_BY_GRPC``), never to a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

HTTP_STATUS_BY_CODE: Mapping[str, int] = MappingProxyType(
    {
        # Generic
        "VALIDATION_FAILED": 422,
        "NOT_FOUND": 404,
        "VERSION_CONFLICT": 409,
        "INVALID_TRANSITION": 409,
        "UNAUTHENTICATED": 401,
        "PERMISSION_DENIED": 403,
        "RATE_LIMITED": 429,
        "STORE_UNAVAILABLE": 503,
        "DEPENDENCY_UNAVAILABLE": 503,
        "INTERNAL": 500,
        "IDEMPOTENCY_KEY_REUSED": 409,
        "PAYLOAD_TOO_LARGE": 413,
        "OVERLOADED": 503,
        # Customer
        "CUSTOMER_NOT_FOUND": 404,
        "CUSTOMER_DUPLICATE": 409,
        "CUSTOMER_MERGE_INVALID": 409,
        "CUSTOMER_RELATIONSHIP_INVALID": 409,
        "IMPORT_INVALID": 422,
        # Policy
        "POLICY_NOT_FOUND": 404,
        "PRODUCT_NOT_FOUND": 404,
        "QUOTE_NOT_FOUND": 404,
        "QUOTE_EXPIRED": 409,
        "POLICY_INVALID_TRANSITION": 409,
        # Ticketing
        "TICKET_NOT_FOUND": 404,
        "TICKET_INVALID_TRANSITION": 409,
        "TASK_NOT_FOUND": 404,
        "TASK_INVALID_TRANSITION": 409,
        "QUEUE_NOT_FOUND": 404,
        # Campaign
        "CAMPAIGN_NOT_FOUND": 404,
        "CAMPAIGN_INVALID_TRANSITION": 409,
        "SEGMENT_NOT_FOUND": 404,
        "TEMPLATE_NOT_FOUND": 404,
        "TEMPLATE_PLACEHOLDER_UNKNOWN": 422,
        "CONSENT_MISSING": 409,
        # Gateway
        "LOGIN_FAILED": 401,
        "LOGIN_LOCKED": 429,
        "TOKEN_INVALID": 401,
        "TOKEN_EXPIRED": 401,
        "TOKEN_REVOKED": 401,
    }
)

# gRPC status name → (HTTP status, code) for errors that carry no Peyvand code we know.
STATUS_BY_GRPC: Mapping[str, tuple[int, str]] = MappingProxyType(
    {
        "INVALID_ARGUMENT": (422, "VALIDATION_FAILED"),
        "OUT_OF_RANGE": (422, "VALIDATION_FAILED"),
        "NOT_FOUND": (404, "NOT_FOUND"),
        "ABORTED": (409, "VERSION_CONFLICT"),
        "ALREADY_EXISTS": (409, "IDEMPOTENCY_KEY_REUSED"),
        "FAILED_PRECONDITION": (409, "INVALID_TRANSITION"),
        "UNAUTHENTICATED": (401, "UNAUTHENTICATED"),
        "PERMISSION_DENIED": (403, "PERMISSION_DENIED"),
        "RESOURCE_EXHAUSTED": (429, "RATE_LIMITED"),
        "UNAVAILABLE": (503, "DEPENDENCY_UNAVAILABLE"),
        "DEADLINE_EXCEEDED": (503, "DEPENDENCY_UNAVAILABLE"),
        "CANCELLED": (503, "DEPENDENCY_UNAVAILABLE"),
    }
)

# Statuses that tell the client to come back later.
RETRY_AFTER_STATUSES = frozenset({429, 503})


def http_status(code: str, grpc_status_name: str | None = None) -> tuple[int, str]:
    """(HTTP status, code to show) for a Peyvand code, falling back on the gRPC status."""
    if code in HTTP_STATUS_BY_CODE:
        return HTTP_STATUS_BY_CODE[code], code
    if grpc_status_name is not None and grpc_status_name in STATUS_BY_GRPC:
        status, fallback = STATUS_BY_GRPC[grpc_status_name]
        # Keep a specific code the service sent (e.g. a new *_NOT_FOUND) with its status class.
        return status, code or fallback
    return 500, "INTERNAL"


def title_for(code: str) -> str:
    """``VERSION_CONFLICT`` → ``Version conflict`` (a short, stable, human summary)."""
    return code.replace("_", " ").capitalize()


def type_for(code: str) -> str:
    """The problem type URI (relative, per RFC 9457 §3.1.1)."""
    return "/problems/" + code.lower().replace("_", "-")
