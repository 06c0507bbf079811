"""Policy models (the policy service's answers, shaped for people)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CoveragePublic(BaseModel):
    code: str
    name_fa: str = ""
    name_en: str = ""
    sum_insured: int = Field(description="Rials")


class PolicyPublic(BaseModel):
    policy_id: str = Field(examples=["pol_01JG0000000000000000000001"])
    policy_number: str = Field(examples=["1021-1405-000123"])
    product_code: str = Field(examples=["motor-third-party"])
    holder_id: str
    insured_ids: list[str] = Field(default_factory=list)
    agent_id: str = ""
    branch_code: str = ""
    term_start: str = ""
    term_end: str = ""
    term_start_jalali: str = ""
    term_end_jalali: str = ""
    expires_at: str = ""
    premium: int = Field(default=0, description="Rials")
    status: str = Field(examples=["active"])
    renewal_quote_id: str = ""
    coverages: list[CoveragePublic] = Field(default_factory=list)
    version: int = 0


class QuoteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"product_code": "motor-third-party", "holder_id": "cus_01JG0000000000000000000001", "inputs": {"engine_cc": "1600"}}]},
    )

    product_code: str
    holder_id: str
    insured_ids: list[str] = Field(default_factory=list)
    agent_id: str = ""
    branch_code: str = ""
    inputs: dict[str, str] = Field(default_factory=dict)
    term_start: str = ""
    term_end: str = ""
    term_days: int = Field(default=0, ge=0, le=2**31 - 1)  # int32 on the wire


class QuotePublic(BaseModel):
    quote_id: str
    product_code: str
    holder_id: str
    term_start: str = ""
    term_end: str = ""
    premium_net: int = 0
    premium_vat: int = 0
    premium_total: int = 0
    valid_until: str = ""
    status: str = ""
    policy_id: str = ""
    version: int = 0


class PolicyIssue(BaseModel):
    quote_id: str


class PolicyEndorse(BaseModel):
    effective_date: str = ""
    inputs: dict[str, str] = Field(default_factory=dict)
    insured_ids: list[str] | None = None


class PolicyRenew(BaseModel):
    quote_id: str


class PolicyCancel(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    effective_date: str = ""


class HistoryEntryPublic(BaseModel):
    kind: str
    policy_number: str
    from_status: str = ""
    to_status: str = ""
    on: str = ""
    on_jalali: str = ""
    by: str = ""
    reason: str = ""
    at: str = ""


class ProductPublic(BaseModel):
    code: str
    name_fa: str = ""
    name_en: str = ""
