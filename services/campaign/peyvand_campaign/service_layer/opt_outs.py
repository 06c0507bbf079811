"""Opt-out use cases: an SMS STOP reply and a one-click unsubscribe link.

Consent belongs to the customer service: we ask it to record the change (SetConsent), apply
it to our own projection at once (no message slips out while its event is in flight), and
keep an opt-out record for campaign results.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Protocol

from peyvand_runtime.tehran_time import to_ascii_digits
from pymongo.database import Database

from peyvand_campaign import metrics
from peyvand_campaign.adapters import projections
from peyvand_campaign.adapters.collections import OPT_OUTS, PROFILES
from peyvand_campaign.domain.opt_out import parse_stop, verify_unsubscribe_token


class ConsentWriter(Protocol):
    def revoke(self, customer_id: str, channel: str, purpose: str, source: str) -> None: ...


def normalise_mobile(raw: str) -> str | None:
    """Any common Iranian mobile spelling → ``+989xxxxxxxxx``; ``None`` when it is not one."""
    digits = re.sub(r"\D", "", to_ascii_digits(raw))
    for prefix in ("0098", "98", "0"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 10:
            digits = digits[len(prefix):]
            break
    return f"+98{digits}" if len(digits) == 10 and digits.startswith("9") else None


@dataclass(frozen=True)
class StopOutcome:
    is_stop: bool
    purposes: tuple[str, ...] = ()
    customers_updated: int = 0


def _record(db: Database, customer_id: str, channel: str, purposes: tuple[str, ...], source: str, now: dt.datetime) -> None:
    projections.apply_local_opt_out(db, customer_id, channel, list(purposes))
    for purpose in purposes:
        # Keyed by what happened and when (no id prefix exists for opt-out records).
        key = f"{customer_id}:{channel}:{purpose}:{int(now.timestamp() * 1000)}"
        db[OPT_OUTS].update_one({"_id": key}, {"$setOnInsert": {"customer_id": customer_id, "channel": channel, "purpose": purpose,
                                 "source": source, "at": now}}, upsert=True)
    metrics.OPT_OUTS.labels(channel).inc()


def handle_inbound_sms(db: Database, consents: ConsentWriter, from_number: str, text: str, now: dt.datetime) -> StopOutcome:
    """A reply that is a STOP keyword revokes SMS consent for every customer with that mobile."""
    request = parse_stop(text)
    if request is None:
        return StopOutcome(False)
    mobile = normalise_mobile(from_number)
    if mobile is None:
        return StopOutcome(True, request.purposes, 0)
    customers = [d["_id"] for d in db[PROFILES].find({"mobile": mobile}, {"_id": 1, "merged_into": 1}) if not d.get("merged_into")]
    for customer_id in customers:
        for purpose in request.purposes:
            consents.revoke(customer_id, request.channel, purpose, "sms_stop")
        _record(db, customer_id, request.channel, request.purposes, "sms_stop", now)
    return StopOutcome(True, request.purposes, len(customers))


def unsubscribe(db: Database, consents: ConsentWriter, secret: str, token: str, now: dt.datetime) -> tuple[str, str]:
    """Verify the link's token (DomainError TOKEN_INVALID if altered) and revoke that consent."""
    request = verify_unsubscribe_token(secret, token)
    consents.revoke(request.customer_id, request.channel, request.purpose, "unsubscribe_link")
    _record(db, request.customer_id, request.channel, (request.purpose,), "unsubscribe_link", now)
    return request.channel, request.purpose
