"""Turning a planned message into a queued (or skipped) delivery: channel, consent, timing, cap.

Called by journeys and broadcasts. ``insert_once`` on the unique dedup key makes it safe to
call again for the same step (redelivered event, crash before the journey was saved);
``queue_many`` does the same for a batch with one profile read and one ``insert_many``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.ids import is_id
from pymongo.database import Database

from peyvand_campaign import metrics
from peyvand_campaign.adapters import deliveries_repo, projections
from peyvand_campaign.adapters.collections import TEMPLATES
from peyvand_campaign.adapters.lookup_cache import TtlCache
from peyvand_campaign.domain.channels import ContactPoints, choose_channel
from peyvand_campaign.domain.delivery import Delivery
from peyvand_campaign.domain.frequency import next_allowed_at
from peyvand_campaign.domain.quiet_hours import next_send_at, schedule_service_message
from peyvand_campaign.domain.values import MARKETING


class ProfileNotYetKnown(RuntimeError):
    """The customer's projection has not arrived yet (events from two exchanges race): retry later."""


@dataclass(frozen=True)
class QueueRequest:
    dedup_key: str
    customer_id: str
    purpose: str
    step_channel: str
    templates: Mapping[str, str]  # channel -> template id or built-in name, for every allowed channel
    exclude: Collection[str] = ()
    about_instant: dt.datetime | None = None
    journey_id: str = ""
    policy_id: str = ""
    campaign_id: str = ""
    extra: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class QueueOutcome:
    status: str  # queued | skipped | duplicate
    channel: str | None
    reason: str = ""
    send_at: dt.datetime | None = None


# name or id -> template id ("" = no such template), for a few seconds (lookup_cache.py):
# journeys resolve three names per message and most never change.
_TEMPLATE_IDS = TtlCache()


def template_ids(db: Database, names: Mapping[str, str]) -> dict[str, str]:
    """Resolve built-in names to ``tpl_`` ids; channels whose template does not exist are dropped."""
    found: dict[str, str] = {}
    for channel, key in names.items():
        cached = _TEMPLATE_IDS.get(key)
        if cached is None:
            # Indexed look-ups one by one rather than one $or (which the embedded store answers with a scan).
            doc = db[TEMPLATES].find_one({"_id": key} if is_id(key, "tpl") else {"name": key}, {"_id": 1})
            cached = doc["_id"] if doc else ""
            _TEMPLATE_IDS.put(key, cached)
        if cached:
            found[channel] = cached
    return found


def _decide(db: Database, request: QueueRequest, profile: Mapping[str, Any], now: dt.datetime, weekly_cap: int,
            marketing_instants: list[dt.datetime] | None) -> tuple[Delivery, dict[str, Any], QueueOutcome]:
    """Channel, consent, cap and timing for one message: the delivery to insert and its outcome if inserted."""
    templates = template_ids(db, request.templates)
    decision = choose_channel(request.step_channel, ContactPoints.from_profile(profile), profile.get("consents") or [],
                              request.purpose, preferred=profile.get("preferred_channel"), allowed=set(templates),  # type: ignore[arg-type]
                              exclude=request.exclude)
    common: dict[str, Any] = dict(dedup_key=request.dedup_key, customer_id=request.customer_id, purpose=request.purpose,
                                  campaign_id=request.campaign_id, journey_id=request.journey_id, policy_id=request.policy_id)
    extra = {"language": profile.get("language") or "fa", "agent_id": profile.get("agent_id") or "",
             "branch_code": profile.get("branch_code") or "", **(request.extra or {})}
    if decision.channel is None:
        reason = ";".join(decision.reasons) or "no_channel"
        skipped = Delivery.skipped(channel=request.step_channel, template_id=templates.get(request.step_channel, ""),
                                   reason=reason, now=now, **common)
        return skipped, extra, QueueOutcome("skipped", None, reason)
    channel = decision.channel
    waiting_for = ""
    if request.purpose == MARKETING:
        send_at = next_send_at(channel, now)
        allowed_at = next_allowed_at(marketing_instants or [], send_at, weekly_cap)
        if allowed_at is None:
            skipped = Delivery.skipped(channel=channel, template_id=templates[channel], reason="marketing_cap_zero", now=now, **common)
            return skipped, extra, QueueOutcome("skipped", None, "marketing_cap_zero")
        if allowed_at > send_at:
            send_at, waiting_for = next_send_at(channel, allowed_at), "frequency_cap"
    elif request.about_instant is not None:
        send_at = schedule_service_message(channel, now, request.about_instant)
    else:
        send_at = next_send_at(channel, now)
    if not waiting_for and send_at > now:
        waiting_for = "quiet_hours"
    delivery = Delivery.queue(channel=channel, template_id=templates[channel], now=now, send_at=send_at, **common)
    extra.update({"waiting_for": waiting_for, "fell_back": list(decision.reasons),
                  "about_instant": request.about_instant})
    return delivery, extra, QueueOutcome("queued", channel, send_at=send_at)


def _count(outcome: QueueOutcome, step_channel: str) -> None:
    if outcome.status == "queued":
        metrics.MESSAGES.labels(outcome.channel, "queued").inc()
    elif outcome.status == "skipped" and outcome.reason != "marketing_cap_zero":
        metrics.MESSAGES.labels(step_channel, "skipped").inc()


def queue_message(db: Database, request: QueueRequest, now: dt.datetime, weekly_cap: int) -> QueueOutcome:
    profile = projections.profile(db, request.customer_id)
    if profile is None or int(profile.get("version") or 0) < 1:
        raise ProfileNotYetKnown("customer projection not yet received")
    instants = deliveries_repo.marketing_instants(db, request.customer_id) if request.purpose == MARKETING else None
    delivery, extra, outcome = _decide(db, request, profile, now, weekly_cap, instants)
    if not deliveries_repo.insert_once(db, delivery, now, extra):
        return QueueOutcome("duplicate", outcome.channel)
    _count(outcome, request.step_channel)
    return outcome


def queue_many(db: Database, requests: list[QueueRequest], now: dt.datetime,
               weekly_cap: int) -> list[QueueOutcome | ProfileNotYetKnown]:
    """``queue_message`` for many messages with a few store calls: profiles in one ``$in`` read,
    the deliveries in one unordered ``insert_many`` (a dedup key already stored, or twice in the
    batch, is rejected by the unique index: outcome ``duplicate``, nothing inserted).

    The weekly marketing cap counts across the batch: a customer's stored marketing instants are
    read once (indexed ``customer_id``), and every marketing message queued earlier in the same
    batch is added to them before the next one is decided. Service messages are not capped.
    Outcomes are in the order of ``requests``; a customer whose profile has not arrived gets
    ``ProfileNotYetKnown`` in place of an outcome (nothing inserted for that message)."""
    profiles = projections.profiles(db, [r.customer_id for r in requests])
    marketing: dict[str, list[dt.datetime]] = {}
    results: list[QueueOutcome | ProfileNotYetKnown] = []
    staged: list[tuple[int, Delivery, dict[str, Any]]] = []
    for index, request in enumerate(requests):
        profile = profiles.get(request.customer_id)
        if profile is None or int(profile.get("version") or 0) < 1:
            results.append(ProfileNotYetKnown("customer projection not yet received"))
            continue
        instants = None
        if request.purpose == MARKETING:
            if request.customer_id not in marketing:
                marketing[request.customer_id] = deliveries_repo.marketing_instants(db, request.customer_id)
            instants = marketing[request.customer_id]
        delivery, extra, outcome = _decide(db, request, profile, now, weekly_cap, instants)
        if instants is not None and outcome.status == "queued" and outcome.send_at is not None:
            instants.append(outcome.send_at)
        results.append(outcome)
        staged.append((index, delivery, extra))
    duplicates = deliveries_repo.insert_many_once(db, [(delivery, extra) for _, delivery, extra in staged], now)
    for position, (index, _, _) in enumerate(staged):
        outcome = results[index]
        assert isinstance(outcome, QueueOutcome)
        if position in duplicates:
            results[index] = QueueOutcome("duplicate", outcome.channel)
        else:
            _count(outcome, requests[index].step_channel)
    return results
