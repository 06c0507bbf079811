"""Mobile API models: compact, for a phone on a bad connection."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from peyvand_gateway.entrypoints.schemas.customers import CustomerCompact
from peyvand_gateway.entrypoints.schemas.tickets import TaskPublic, TicketPublic


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


class SyncRemoved(BaseModel):
    customers: list[str] = Field(default_factory=list, description="Customer ids to drop (merged; in a reconcile answer also reassigned or moved away)")
    tasks: list[str] = Field(default_factory=list, description="Task ids to drop (done or cancelled; in a reconcile answer also out of scope)")
    tickets: list[str] = Field(default_factory=list, description="Ticket ids to drop (resolved or closed; in a reconcile answer also out of scope)")


class SyncPullResult(BaseModel):
    customers: list[CustomerCompact] = Field(description="Customers of the book changed since the token (active ones)")
    tasks: list[TaskPublic] = Field(default_factory=list, description="The agent's open tasks changed since the token")
    tickets: list[TicketPublic] = Field(default_factory=list, description="Tickets in work (new, open, waiting on the customer) changed since")
    removed: SyncRemoved = Field(default_factory=SyncRemoved, description="Ids that left the book or the work since the token")
    next_token: str = Field(description="Send as `since` next time")
    has_more: bool = Field(description="More changes wait: pull again at once with `next_token`")
    degraded: list[str] = Field(
        default_factory=list,
        description="Sources that did not answer (customers, tasks, tickets): their part of the token did not move, the next pull brings them",
    )


def _held(prefix: str, what: str) -> Any:
    return Field(
        default_factory=list,
        max_length=2000,
        description=f"Ids of the {what} the phone holds ({prefix}_…, at most 2,000 per call; page through more)",
    )


_CUSTOMER_ID = Annotated[str, StringConstraints(pattern=r"^cus_[0-9A-HJKMNP-TV-Z]{26}$")]
_TASK_ID = Annotated[str, StringConstraints(pattern=r"^tsk_[0-9A-HJKMNP-TV-Z]{26}$")]
_TICKET_ID = Annotated[str, StringConstraints(pattern=r"^tkt_[0-9A-HJKMNP-TV-Z]{26}$")]


class SyncReconcile(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"customers": ["cus_01JG0000000000000000000001"], "tasks": [], "tickets": ["tkt_01JG0000000000000000000TK1"]}]},
    )

    customers: list[_CUSTOMER_ID] = _held("cus", "customers")
    tasks: list[_TASK_ID] = _held("tsk", "tasks")
    tickets: list[_TICKET_ID] = _held("tkt", "tickets")


class SyncReconcileResult(BaseModel):
    removed: SyncRemoved = Field(
        description="Of the ids sent, those no longer in the agent's book or work (reassigned, moved to another branch, merged, "
        "finished, unknown): drop them"
    )
    degraded: list[str] = Field(
        default_factory=list,
        description="Kinds whose service did not answer: nothing of them is in `removed`; reconcile them again later",
    )
