"""Segments, templates, campaigns, renewals and dashboards (campaign service) for the web API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from peyvand_gateway.entrypoints.schemas.policies import PolicyPublic
from peyvand_gateway.entrypoints.schemas.tickets import QueueSlaCountPublic

RULE_EXAMPLE = '{"all": [{"field": "city", "op": "eq", "value": "تهران"}, {"field": "has_active_policy", "op": "eq", "value": true}]}'


class SegmentPublic(BaseModel):
    segment_id: str = Field(examples=["seg_01JG0000000000000000000SG1"])
    name: str = Field(examples=["مشتریان تهران با بیمه‌نامه فعال"])
    rule_json: str = Field(examples=[RULE_EXAMPLE])
    created_at: str = ""


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "مشتریان تهران", "rule_json": RULE_EXAMPLE}]})

    name: str = Field(min_length=1, max_length=200)
    rule_json: str = Field(min_length=2, max_length=20_000, description="The segment rule language (JSON text)")


class SegmentPreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"rule_json": RULE_EXAMPLE, "sample_size": 5}]})

    segment_id: str = Field(default="", max_length=60, description="A stored segment, or give rule_json")
    rule_json: str = Field(default="", max_length=20_000)
    sample_size: int = Field(default=10, ge=0, le=50)


class SegmentMemberPublic(BaseModel):
    customer_id: str
    display_name: str = Field(examples=["مریم ا."], description="Masked for marketing")
    city: str = ""
    branch_code: str = ""


class SegmentPreview(BaseModel):
    count: int = Field(examples=[1240])
    sample: list[SegmentMemberPublic]


class TemplatePublic(BaseModel):
    template_id: str
    name: str = Field(examples=["یادآوری تمدید ۳۰ روزه"])
    channel: str = Field(examples=["sms"])
    purpose: str = Field(examples=["service"])
    bodies: dict[str, str] = Field(default_factory=dict, examples=[{"fa": "{customer_name} عزیز، بیمه‌نامه {policy_number} رو به پایان است."}])
    subjects: dict[str, str] = Field(default_factory=dict)
    built_in: bool = False


class TemplateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "جشنواره بدنه", "channel": "sms", "purpose": "marketing", "bodies": {"fa": "{customer_name} عزیز، تخفیف ویژه بیمه بدنه"}}]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    channel: Literal["sms", "email", "push"]
    purpose: Literal["service", "marketing"]
    bodies: dict[str, str] = Field(min_length=1, description="language (fa | en) → text with {placeholders}, e.g. {customer_name}")
    subjects: dict[str, str] = Field(default_factory=dict)


class TemplateDraft(BaseModel):
    """A template as typed in the editor (not saved)."""

    model_config = ConfigDict(extra="forbid")

    channel: Literal["sms", "email", "push"]
    purpose: Literal["", "service", "marketing"] = ""
    bodies: dict[str, str] = Field(description="language (fa | en) → text with {placeholders}")
    subjects: dict[str, str] = Field(default_factory=dict)


class TemplatePreviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"template_id": "renewal.30.sms", "language": "fa"},
                {"draft": {"channel": "sms", "purpose": "marketing", "bodies": {"fa": "{customer_name} عزیز، تخفیف ویژه بیمه بدنه"}}, "language": "fa"},
            ]
        },
    )

    template_id: str = Field(default="", max_length=100, description="A template id or a built-in name (renewal.30.sms); or give `draft`")
    draft: TemplateDraft | None = Field(
        default=None,
        description="An unsaved template (the editor's live preview); placeholder errors come back as 422 naming draft.bodies.<lang>",
    )
    customer_id: str = Field(default="", max_length=60, description="Render for this customer; empty: sample values")
    policy_id: str = Field(default="", max_length=60)
    language: Literal["", "fa", "en"] = ""


class TemplatePreview(BaseModel):
    language: str = Field(examples=["fa"])
    subject: str = ""
    body: str
    sms_encoding: str = Field(default="", examples=["ucs2"])
    sms_segments: int = Field(default=0, examples=[2])
    sample_values: list[str] = Field(default_factory=list, examples=[["customer_name", "premium"]],
                                     description="Placeholders filled with made-up sample values")


class CampaignPublic(BaseModel):
    campaign_id: str = Field(examples=["cmp_01JG0000000000000000000CP1"])
    name: str
    kind: str = Field(examples=["broadcast"])
    purpose: str = Field(examples=["marketing"])
    channel: str = Field(examples=["sms"])
    template_ids: dict[str, str] = Field(default_factory=dict)
    segment_rule_json: str = ""
    segment_id: str = ""
    schedule_at: str = ""
    status: str = Field(examples=["draft"], description="draft | scheduled | running | paused | stopped | completed")
    version: int
    created_at: str = ""


class CampaignPage(BaseModel):
    items: list[CampaignPublic]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null on the last page")


class CampaignCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "جشنواره پاییز",
                    "purpose": "marketing",
                    "channel": "sms",
                    "template_ids": {"sms": "tpl_01JG0000000000000000000TP1"},
                    "segment_id": "seg_01JG0000000000000000000SG1",
                    "schedule_at": "2026-11-25T10:00:00+03:30",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    purpose: Literal["service", "marketing"] = "marketing"
    channel: Literal["sms", "email", "push"]
    template_ids: dict[str, str] = Field(min_length=1, description="channel → template id")
    segment_rule_json: str = Field(default="", max_length=20_000)
    segment_id: str = Field(default="", max_length=60)
    schedule_at: str = Field(default="", max_length=40, description="ISO-8601 instant with offset; empty = as soon as scheduled")


class CampaignChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "بررسی متن پیام"}]})

    reason: str = Field(default="", max_length=500)


class CampaignResultsPublic(BaseModel):
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    opted_out: int = 0
    converted: int = 0
    customers_messaged: int = 0
    skipped: int = 0
    queued: int = 0
    conversion_rate: float | None = Field(default=None, description="converted / customers_messaged; null when nobody was messaged")


class CampaignWithResults(BaseModel):
    campaign: CampaignPublic
    results: CampaignResultsPublic


class DeliveryPublic(BaseModel):
    delivery_id: str
    customer_id: str = ""
    channel: str = Field(examples=["sms"])
    purpose: str = ""
    template_id: str = ""
    campaign_id: str = ""
    journey_id: str = ""
    policy_id: str = ""
    status: str = Field(examples=["delivered"], description="queued | sent | delivered | failed | skipped")
    attempts: int = 0
    next_attempt_at: str = ""
    sent_at: str = ""
    delivered_at: str = ""
    failure_reason: str = ""
    created_at: str = ""
    dedup_key: str = ""


class JourneyStepPublic(BaseModel):
    window: int = Field(examples=[30], description="Days before the term ends")
    at: str = ""
    outcome: str = ""


class JourneyPublic(BaseModel):
    journey_id: str
    kind: str = Field(examples=["renewal"])
    customer_id: str = ""
    policy_id: str = ""
    term_end: str = ""
    status: str = Field(examples=["active"], description="active | stopped | converted | completed")
    stopped_reason: str = ""
    started_at: str = ""
    ended_at: str = ""
    steps: list[JourneyStepPublic] = Field(default_factory=list)
    deliveries: list[DeliveryPublic] = Field(default_factory=list)


class RenewalPublic(BaseModel):
    policy: PolicyPublic
    journey_state: str = Field(examples=["active"], description="The latest renewal journey's status; `none` when none started; `unknown` when degraded")
    journey: JourneyPublic | None = None


class RenewalPage(BaseModel):
    items: list[RenewalPublic]
    next_cursor: str | None = None
    degraded: list[str] = Field(default_factory=list, examples=[["journeys"]])


class RenewalConversion(BaseModel):
    policies: int = Field(description="Policies ending in the window (the first page)")
    with_journey: int
    converted: int = Field(description="Journeys that ended in a renewal")
    by_state: dict[str, int] = Field(default_factory=dict, examples=[{"active": 12, "converted": 30, "stopped": 2, "none": 4}])
    conversion_rate: float | None = Field(default=None, description="converted / with_journey")


class DeliveryCounts(BaseModel):
    campaigns: int
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    opted_out: int = 0
    converted: int = 0
    customers_messaged: int = 0


class DashboardOverview(BaseModel):
    branch_code: str = ""
    window_days: int = Field(examples=[30])
    renewals: RenewalConversion | None = None
    sla: list[QueueSlaCountPublic] | None = None
    campaigns: DeliveryCounts | None = None
    degraded: list[str] = Field(default_factory=list, examples=[["sla"]])
