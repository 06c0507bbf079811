"""Tickets, tasks, queues and holidays (ticketing) for the web API and the mobile API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TICKET_ID = "tkt_01JG0000000000000000000TK1"
CUSTOMER_ID = "cus_01JG00000000000000000000C1"


class MomentPublic(BaseModel):
    utc: str = Field(default="", examples=["2026-11-22T10:00:00Z"])
    jalali_date: str = Field(default="", examples=["1405/09/01"])
    tehran_time: str = Field(default="", examples=["13:30"])


class AttachmentModel(BaseModel):
    name: str = Field(max_length=200, examples=["بیمه‌نامه.pdf"])
    size_bytes: int = Field(default=0, ge=0)
    content_type: str = Field(default="", max_length=100, examples=["application/pdf"])
    storage_key: str = Field(default="", max_length=500)


class TicketPublic(BaseModel):
    ticket_id: str = Field(examples=[TICKET_ID])
    ticket_number: str = Field(examples=["T-1405-000123"])
    type: str = Field(examples=["complaint"])
    category: str = Field(examples=["claim_delay"])
    channel: str = Field(examples=["phone"])
    customer_id: str = Field(examples=[CUSTOMER_ID])
    agent_id: str = ""
    branch_code: str = Field(default="", examples=["1021"])
    queue_id: str = ""
    assignee_id: str = ""
    subject: str = Field(examples=["تأخیر در پرداخت خسارت"])
    description: str = ""
    impact: str = Field(default="", examples=["medium"])
    urgency: str = Field(default="", examples=["high"])
    priority: str = Field(default="", examples=["P2"])
    status: str = Field(examples=["open"], description="new | open | pending_customer | resolved | closed")
    policy_number: str = ""
    created_at: MomentPublic | None = None
    first_responded_at: MomentPublic | None = None
    resolved_at: MomentPublic | None = None
    closed_at: MomentPublic | None = None
    first_response_due: MomentPublic | None = None
    resolution_due: MomentPublic | None = None
    sla_state: str = Field(default="", examples=["warning"], description="ok | warning | breached (worst of both targets)")
    first_response_sla_state: str = ""
    resolution_sla_state: str = ""
    sla_paused: bool = False
    reopen_count: int = 0
    satisfaction_score: int = 0
    satisfaction_comment: str = ""
    attachments: list[AttachmentModel] = Field(default_factory=list)
    escalation_level: int = 0
    version: int = Field(examples=[3])


class TicketOpen(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "complaint",
                    "category": "claim_delay",
                    "channel": "phone",
                    "customer_id": CUSTOMER_ID,
                    "subject": "تأخیر در پرداخت خسارت",
                    "description": "مشتری می‌گوید خسارت بدنه پس از ۲۰ روز پرداخت نشده است.",
                    "impact": "medium",
                    "urgency": "high",
                }
            ]
        },
    )

    type: Literal["service_request", "complaint", "claim_inquiry", "incident"]
    category: str = Field(min_length=1, max_length=100)
    channel: Literal["phone", "branch_visit", "web", "mobile_app", "email", "sms", "social"] = "web"
    customer_id: str = Field(min_length=1, max_length=60)
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=10_000)
    impact: Literal["high", "medium", "low"] = "medium"
    urgency: Literal["high", "medium", "low"] = "medium"
    policy_number: str = Field(default="", max_length=40)
    queue_id: str = Field(default="", max_length=60, description="Empty: routed by the branch's queues and the category")
    attachments: list[AttachmentModel] = Field(default_factory=list, max_length=20)


class TicketOpened(BaseModel):
    ticket: TicketPublic
    call_back_task_id: str = Field(default="", description="The call-back task created for a missed call")


class TicketAssign(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"assignee_id": "usr_01JG0000000000000000000MB2"}]})

    assignee_id: str = Field(min_length=1, max_length=60)
    queue_id: str = Field(default="", max_length=60, description="Move to this queue as well")
    override: bool = Field(default=False, description="Queue leads: skip availability, capacity and skill checks")


class TicketText(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"body": "پرونده برای واحد خسارت ارسال شد."}]})

    body: str = Field(min_length=1, max_length=10_000)


class TicketStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "resolved", "note": "خسارت پرداخت شد"}]})

    status: Literal["open", "pending_customer", "resolved", "closed"]
    note: str = Field(default="", max_length=2000)


class SatisfactionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"satisfaction_score": 4, "satisfaction_comment": "سریع بود"}]})

    satisfaction_score: int = Field(ge=1, le=5)
    satisfaction_comment: str = Field(default="", max_length=2000)


class ReplyPublic(BaseModel):
    reply_id: str
    ticket_id: str
    author_id: str = ""
    body: str
    public: bool = Field(description="false: an internal note")
    from_customer: bool = False
    at: MomentPublic | None = None


class TicketWithReply(BaseModel):
    ticket: TicketPublic
    reply: ReplyPublic


class ActivityEntryPublic(BaseModel):
    at: MomentPublic | None = None
    actor_id: str = ""
    action: str = Field(examples=["assigned"])
    details: dict[str, Any] = Field(default_factory=dict)


class TaskPublic(BaseModel):
    task_id: str = Field(examples=["tsk_01JG0000000000000000000TS1"])
    kind: str = Field(examples=["renewal_call"])
    customer_id: str = ""
    owner_id: str = ""
    title: str = Field(examples=["تماس برای تمدید بیمه‌نامه بدنه"])
    due_date: str = Field(default="", examples=["2026-11-22"])
    due_date_jalali: str = Field(default="", examples=["1405/09/01"])
    due_at: MomentPublic | None = None
    policy_id: str = ""
    ticket_id: str = ""
    dedup_key: str = ""
    note: str = ""
    status: str = Field(examples=["open"], description="open | done | cancelled")
    created_at: MomentPublic | None = None
    completed_at: MomentPublic | None = None
    outcome: str = ""
    branch_code: str = ""
    version: int = 1


class TaskCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "follow_up", "customer_id": CUSTOMER_ID, "title": "پیگیری مدارک", "due_date_jalali": "1405/09/03"}]},
    )

    kind: Literal["renewal_call", "call_back", "visit", "follow_up"]
    customer_id: str = Field(min_length=1, max_length=60)
    owner_id: str = Field(default="", max_length=60, description="Empty: the customer's agent")
    title: str = Field(min_length=1, max_length=300)
    due_date: str = Field(default="", max_length=10, description="ISO date", examples=["2026-11-24"])
    due_date_jalali: str = Field(default="", max_length=10, examples=["1405/09/03"])
    due_at: str = Field(default="", max_length=40, description="ISO UTC instant")
    policy_id: str = Field(default="", max_length=60)
    ticket_id: str = Field(default="", max_length=60)
    note: str = Field(default="", max_length=2000)


class TaskComplete(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"outcome": "مشتری تمدید را پذیرفت"}]})

    outcome: str = Field(default="", max_length=2000)


class AgendaItemPublic(BaseModel):
    kind: str = Field(examples=["task"], description="task | ticket")
    id: str
    title: str
    customer_id: str = ""
    due: MomentPublic | None = None
    overdue: bool = False
    priority: str = ""


class QueueMemberPublic(BaseModel):
    user_id: str
    available: bool = True
    skills: list[str] = Field(default_factory=list)
    max_load: int = 0


class QueuePublic(BaseModel):
    queue_id: str
    name: str
    branch_code: str = ""
    team: str = ""
    strategy: str = Field(default="", examples=["least_loaded"])
    lead_user_id: str = ""
    categories: list[str] = Field(default_factory=list)
    members: list[QueueMemberPublic] = Field(default_factory=list)
    version: int = 1


class QueueSlaCountPublic(BaseModel):
    queue_id: str = Field(description="Empty: tickets in no queue")
    sla_state: str = Field(examples=["breached"])
    open_tickets: int = Field(examples=[4])


class HolidayPublic(BaseModel):
    date: str = Field(examples=["2027-03-21"])
    date_jalali: str = Field(examples=["1406/01/01"])
    name: str = Field(examples=["نوروز"])
    source: str = Field(default="", examples=["admin"], description="seed | admin")


class HolidaySet(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"date_jalali": "1406/01/05", "name": "تعطیل ویژه"}]})

    date: str = Field(default="", max_length=10, description="ISO date; or give date_jalali")
    date_jalali: str = Field(default="", max_length=10)
    name: str = Field(min_length=1, max_length=200)
