"""Customer models for the web API (branch staff) and the mobile API (agents)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NID_EXAMPLE = "0012345679"


class ContactPointModel(BaseModel):
    kind: Literal["mobile", "landline", "email", "address"] = Field(examples=["mobile"])
    value: str = Field(default="", max_length=200, examples=["09121234567"])
    primary: bool = False
    verified: bool = False
    province: str = ""
    city: str = ""
    line: str = ""
    postal_code: str = ""


class ConsentModel(BaseModel):
    channel: Literal["sms", "email", "push", "phone"] = Field(examples=["sms"])
    purpose: Literal["service", "marketing"] = Field(examples=["marketing"])
    granted: bool
    source: str = ""
    at: str = ""


class RelationshipModel(BaseModel):
    kind: str
    other_customer_id: str
    other_display_name: str = ""


class _CustomerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(default=None, max_length=100, examples=["مریم"])
    last_name: str | None = Field(default=None, max_length=100, examples=["احمدی"])
    father_name: str | None = Field(default=None, max_length=100)
    national_id: str | None = Field(default=None, max_length=20, examples=[NID_EXAMPLE])
    birth_date: str | None = Field(default=None, description="ISO (1991-08-03) or Jalali (1370/05/12)", examples=["1370/05/12"])
    gender: str | None = Field(default=None, examples=["female"])
    org_name: str | None = Field(default=None, max_length=200)
    legal_id: str | None = None
    economic_code: str | None = None
    roles: list[str] | None = Field(default=None, examples=[["policyholder"]])
    preferred_channel: str | None = Field(default=None, examples=["sms"])
    language: str | None = Field(default=None, examples=["fa"])
    agent_id: str | None = None
    branch_code: str | None = Field(default=None, examples=["1021"])
    tags: list[str] | None = None
    contact_points: list[ContactPointModel] | None = None


class CustomerCreate(_CustomerFields):
    kind: Literal["person", "organisation"] = "person"
    override_duplicate_warning: bool = Field(default=False, description="Create even though likely duplicates exist")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "person",
                    "first_name": "مریم",
                    "last_name": "احمدی",
                    "national_id": NID_EXAMPLE,
                    "birth_date": "1370/05/12",
                    "branch_code": "1021",
                    "contact_points": [{"kind": "mobile", "value": "09121234567", "primary": True}],
                }
            ]
        },
    )


class CustomerUpdate(_CustomerFields):
    """Only the fields sent are changed. Send the version you read in ``If-Match``."""

    override_duplicate_warning: bool = False

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"last_name": "احمدی‌نژاد"}]})


class CustomerPublic(BaseModel):
    customer_id: str = Field(examples=["cus_01JG0000000000000000000001"])
    customer_number: str = Field(examples=["C-000123"])
    kind: str = Field(examples=["person"])
    display_name: str = Field(examples=["مریم احمدی"])
    first_name: str = ""
    last_name: str = ""
    father_name: str = ""
    national_id: str = Field(default="", description="Masked (***-***-5679) for roles that do not need it")
    birth_date: str = ""
    birth_date_jalali: str = ""
    gender: str = ""
    org_name: str = ""
    legal_id: str = ""
    economic_code: str = ""
    roles: list[str] = Field(default_factory=list)
    preferred_channel: str = ""
    language: str = ""
    agent_id: str = ""
    branch_code: str = ""
    tags: list[str] = Field(default_factory=list)
    contact_points: list[ContactPointModel] = Field(default_factory=list)
    consents: list[ConsentModel] = Field(default_factory=list)
    relationships: list[RelationshipModel] = Field(default_factory=list)
    household_id: str = ""
    status: str = Field(default="active", examples=["active"])
    merged_into: str = ""
    version: int = Field(examples=[3])
    created_at: str = ""
    updated_at: str = ""


class DuplicateWarningPublic(BaseModel):
    customer_id: str
    display_name: str
    reasons: list[str] = Field(examples=[["mobile"]])
    score: int = Field(examples=[80])


class SearchHitPublic(BaseModel):
    customer: CustomerPublic
    matched_on: str = Field(examples=["mobile"], description="national_id | mobile | email | customer_number | legal_id | name | policy_number")


class ConsentUpdate(BaseModel):
    channel: Literal["sms", "email", "push", "phone"]
    purpose: Literal["service", "marketing"]
    granted: bool
    source: str = Field(default="branch", max_length=50, examples=["branch"])


class InteractionCreate(BaseModel):
    kind: Literal["call", "visit", "note"] = Field(examples=["call"])
    summary: str = Field(min_length=1, max_length=2000, examples=["تماس برای تمدید بیمه بدنه"])
    at: str = Field(default="", description="ISO-8601 instant; empty means now")


class TimelineEntryPublic(BaseModel):
    entry_id: str
    customer_id: str
    kind: str = Field(examples=["call"])
    summary: str
    at: str
    actor: str = ""
    ref_id: str = ""
    channel: str = ""


class DuplicateCandidatePublic(BaseModel):
    customer_id: str
    other_customer_id: str
    score: int
    reasons: list[str]


class MergeCreate(BaseModel):
    merged_id: str = Field(description="The customer that is merged into the one in the path", examples=["cus_01JG0000000000000000000002"])


class CustomerCompact(BaseModel):
    """What the phone keeps per customer (offline book)."""

    customer_id: str
    display_name: str
    mobile: str = ""
    birth_date: str = ""
    birth_date_jalali: str = ""
    branch_code: str = ""
    status: str = "active"
    version: int
