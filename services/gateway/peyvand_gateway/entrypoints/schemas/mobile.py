"""Mobile API models: compact, for a phone on a bad connection."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from peyvand_gateway.entrypoints.schemas.customers import CustomerCompact


class PushTokenCreate(BaseModel):
    device_id: str = Field(min_length=1, max_length=100, examples=["android-7f3a"])
    platform: Literal["android", "ios", "web"] = "android"
    token: str = Field(min_length=1, max_length=4096)


class QueuedChangeCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "idempotency_key": "0b6c1f0e-2d9a-4c1e-9a55-3c2f7e1d9a10",
                    "kind": "log_interaction",
                    "customer_id": "cus_01JG0000000000000000000001",
                    "data": {"kind": "call", "summary": "تماس برای تمدید"},
                }
            ]
        }
    )

    idempotency_key: str = Field(min_length=8, max_length=100)
    kind: str = Field(examples=["update_customer"], description="log_interaction | update_customer")
    customer_id: str = Field(max_length=60)
    base_version: int | None = Field(default=None, ge=0, le=2**63 - 1, description="The version the app saw (update_customer)")
    data: dict[str, Any] = Field(default_factory=dict)


class SyncPush(BaseModel):
    changes: list[QueuedChangeCreate] = Field(max_length=200)


class SyncOutcomePublic(BaseModel):
    idempotency_key: str
    outcome: Literal["applied", "duplicate", "rejected", "conflict"]
    reason: str | None = Field(default=None, examples=["VERSION_CONFLICT"])
    message: str | None = None
    current_version: int | None = None
    current: CustomerCompact | None = Field(default=None, description="The customer as it is now (conflict)")
    result: dict[str, Any] = Field(default_factory=dict)


class SyncPushResult(BaseModel):
    outcomes: list[SyncOutcomePublic]


class SyncPullResult(BaseModel):
    customers: list[CustomerCompact]
    next_token: str = Field(description="Send as `since` next time")
    has_more: bool
