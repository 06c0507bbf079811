"""Translating the services' proto field names into the names the HTTP API uses.

Field violations come back from a service named by proto paths (``customer.national_id``,
``expected_version``); the API's clients know the JSON body and the headers they sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Proto name → API name, where they differ (after the request wrapper prefix is removed).
API_NAME_BY_PROTO: Mapping[str, str] = MappingProxyType(
    {
        "expected_version": "If-Match",
        "customer_id": "customer_id",
        "page.page_token": "cursor",
        "page.page_size": "limit",
        "page_token": "cursor",
        "page_size": "limit",
        "idempotency_key": "Idempotency-Key",
        "override_duplicate_warning": "override_duplicate_warning",
        "since_token": "since",
        "query": "q",
        "merged_id": "merged_id",
        "survivor_id": "customer_id",
    }
)

# Request messages wrap the resource: CreateCustomerRequest.customer.first_name → first_name.
_WRAPPERS = ("customer.", "changes.")


def api_field_name(proto_field: str) -> str:
    name = proto_field
    for wrapper in _WRAPPERS:
        if name.startswith(wrapper):
            name = name[len(wrapper) :]
            break
    return API_NAME_BY_PROTO.get(name, name)
