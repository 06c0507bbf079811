"""Command inputs of the customer domain, as callers (gRPC, CSV import) hand them over: raw, unvalidated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ContactPointInput:
    """A contact point as typed; for an address ``value`` is the street line."""

    kind: str
    value: str
    primary: bool = False
    verified: bool = False
    province: str = ""
    city: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class ConsentInput:
    """A consent decision as captured; ``at`` defaults to the command's ``now``."""

    channel: str
    purpose: str
    granted: bool
    source: str = ""
    at: dt.datetime | None = None


@dataclass(frozen=True)
class CreatePartyCommand:
    """Everything needed to register a customer; ``Party.create`` validates all of it at once."""

    customer_number: str
    kind: str = "person"
    first_name: str = ""
    last_name: str = ""
    father_name: str = ""
    national_id: str = ""
    birth_date: dt.date | None = None
    gender: str = "unspecified"
    org_name: str = ""
    legal_id: str = ""
    economic_code: str = ""
    roles: tuple[str, ...] = ()
    preferred_channel: str = "sms"
    language: str = "fa"
    agent_id: str = ""
    branch_code: str = ""
    tags: tuple[str, ...] = ()
    contact_points: tuple[ContactPointInput, ...] = ()
    consents: tuple[ConsentInput, ...] = ()
