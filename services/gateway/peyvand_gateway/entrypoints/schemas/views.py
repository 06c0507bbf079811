"""Composed answers: the 360° view and the agent's day."""

from __future__ import annotations

from pydantic import BaseModel, Field

from peyvand_gateway.entrypoints.schemas.campaigns import DeliveryPublic
from peyvand_gateway.entrypoints.schemas.customers import CustomerCompact, CustomerPublic, TimelineEntryPublic
from peyvand_gateway.entrypoints.schemas.policies import PolicyPublic
from peyvand_gateway.entrypoints.schemas.tickets import AgendaItemPublic, TicketPublic


class Customer360Public(BaseModel):
    customer: CustomerPublic | None = Field(description="null only when the customer service did not answer in time")
    policies: list[PolicyPublic] | None = None
    timeline: list[TimelineEntryPublic] | None = None
    tickets: list[TicketPublic] | None = Field(default=None, description="Open tickets (new, open, pending_customer), SLA-breached first")
    messages: list[DeliveryPublic] | None = Field(default=None, description="Recent campaign messages, newest first")
    degraded: list[str] = Field(
        default_factory=list, examples=[["tickets"]], description="Parts left out because their service was slow or down: policies, timeline, tickets, messages"
    )


class Customer360Compact(BaseModel):
    customer: CustomerCompact | None
    policies: list[PolicyPublic] | None = None
    timeline: list[TimelineEntryPublic] | None = None
    tickets: list[TicketPublic] | None = None
    messages: list[DeliveryPublic] | None = None
    degraded: list[str] = Field(default_factory=list)


class MyDayPublic(BaseModel):
    date: str = Field(examples=["2026-11-22"])
    date_jalali: str = Field(examples=["1405/09/01"])
    renewals_due: list[PolicyPublic] | None = Field(description="Active policies of my book ending within 7 days")
    birthdays: list[CustomerCompact] | None = Field(description="Customers of my book with a birthday within 7 days")
    tasks: list[AgendaItemPublic] | None = Field(default=None, description="My open tasks due today or overdue (overdue first)")
    tickets: list[AgendaItemPublic] | None = Field(default=None, description="Tickets assigned to me that wait on me (new, open)")
    degraded: list[str] = Field(default_factory=list)
