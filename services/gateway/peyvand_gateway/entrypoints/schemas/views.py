"""Composed answers: the 360° view and the agent's day."""

from __future__ import annotations

from pydantic import BaseModel, Field

from peyvand_gateway.entrypoints.schemas.customers import CustomerCompact, CustomerPublic, TimelineEntryPublic
from peyvand_gateway.entrypoints.schemas.policies import PolicyPublic


class Customer360Public(BaseModel):
    customer: CustomerPublic | None = Field(description="null only when the customer service did not answer in time")
    policies: list[PolicyPublic] | None = None
    timeline: list[TimelineEntryPublic] | None = None
    degraded: list[str] = Field(default_factory=list, examples=[["policies"]], description="Parts left out because their service was slow or down")


class Customer360Compact(BaseModel):
    customer: CustomerCompact | None
    policies: list[PolicyPublic] | None = None
    timeline: list[TimelineEntryPublic] | None = None
    degraded: list[str] = Field(default_factory=list)


class MyDayPublic(BaseModel):
    date: str = Field(examples=["2026-11-22"])
    date_jalali: str = Field(examples=["1405/09/01"])
    renewals_due: list[PolicyPublic] | None = Field(description="Active policies of my book ending within 7 days")
    birthdays: list[CustomerCompact] | None = Field(description="Customers of my book with a birthday within 7 days")
    degraded: list[str] = Field(default_factory=list)
