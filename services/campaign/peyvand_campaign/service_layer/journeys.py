"""Journey use cases: renewal_due plans a window, outcomes stop or convert, lapse and survey start.

Write order for a planned step (crash-safe without transactions): (1) the journey's id is
fixed — the stored one, or on first sight one derived from its natural key
(``journey_id_for``), so the id that is part of every dedup key is the same for every
handler and every redelivery; (2) deliveries are inserted once by dedup key; (3) the journey
is written (inserted on first sight, else compare-and-set) with the step marked done and its
events (agent task) in the same write. A crash between (2) and (3) redelivers the event and
re-plans the same keys, which insert nothing new. Store calls for a renewal_due on first
sight: journey look-up, policy fact upsert, profile read, delivery insert, journey insert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import pymongo
from peyvand_runtime.domain import VersionConflict
from peyvand_runtime.tehran_time import tehran_date
from pymongo.database import Database

from peyvand_campaign import metrics
from peyvand_campaign.adapters import deliveries_repo, journeys_repo, projections
from peyvand_campaign.adapters.collections import DELIVERIES, JOURNEYS, instant
from peyvand_campaign.domain.delivery import QUEUED
from peyvand_campaign.domain.journeys import ACTIVE, DEFINITIONS, RENEWAL, SURVEY, WINBACK, Journey, PlannedMessage, StepPlan
from peyvand_campaign.service_layer.queueing import QueueRequest, queue_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JourneyConfig:
    weekly_cap: int = 3
    public_base_url: str = "http://127.0.0.1:8000"


def journey_id_for(natural_key: str) -> str:
    """The id a journey gets on first sight, derived from its natural key, so every handler
    that sees the same subject computes the same id (and the same delivery dedup keys) before
    the journey is stored: the deliveries can be inserted first and the journey written once."""
    digest = int.from_bytes(hashlib.sha256(natural_key.encode()).digest()[:17], "big") >> 6  # 130 bits
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    chars = "".join(alphabet[(digest >> (5 * i)) & 31] for i in range(26))[::-1]
    return f"jrn_{'0' + chars[1:]}"


def _ensure_journey(db: Database, candidate: Journey, now: dt.datetime) -> tuple[Journey, bool]:
    """The stored journey for the candidate's natural key, or the candidate (not yet stored, id
    derived from the natural key) — it is inserted by ``_plan_and_queue`` after its deliveries."""
    existing = journeys_repo.by_natural_key(db, candidate.natural_key)
    if existing is not None:
        return existing, False
    candidate.id = journey_id_for(candidate.natural_key)
    return candidate, True


def _store(db: Database, journey: Journey, now: dt.datetime) -> None:
    try:
        journeys_repo.save(db, journey, now)
    except pymongo.errors.DuplicateKeyError:
        # Another handler stored the same journey meanwhile (same derived id, same dedup keys):
        # retry the event, which then finds it and plans nothing twice.
        raise VersionConflict("the journey was started concurrently; retrying") from None
    if journey.version == 1:
        metrics.JOURNEYS.labels(journey.kind, "started").inc()


def queue_request(journey: Journey, message: PlannedMessage, window: int) -> QueueRequest:
    """What to queue for one planned message of a journey step (shared by the batch path)."""
    step = DEFINITIONS[journey.kind].step_for(window)
    others = set(step.channels) - {message.channel} if step else set()
    templates = {c: f"{journey.kind}.{window}.{c}" for c in ("sms", "email", "push")}
    return QueueRequest(
        dedup_key=message.dedup_key, customer_id=journey.customer_id, purpose=message.purpose,
        step_channel=message.channel, templates=templates, exclude=others, about_instant=message.about_instant,
        journey_id=journey.id, policy_id=journey.policy_id,
        extra={"window": window, "journey_kind": journey.kind, "ticket_id": journey.ticket_id})


def _plan_and_queue(db: Database, journey: Journey, window: int, now: dt.datetime, cfg: JourneyConfig,
                    **context: Any) -> StepPlan:
    plan = journey.plan(window, now, DEFINITIONS[journey.kind], **context)
    for message in plan.messages:
        outcome = queue_message(db, queue_request(journey, message, window), now, cfg.weekly_cap)
        if outcome.status == "skipped":
            journey.record_message_outcome(message.dedup_key, f"skipped:{outcome.reason}", now)
    _store(db, journey, now)
    return plan


def renewal_due(db: Database, payload: dict[str, Any], now: dt.datetime, cfg: JourneyConfig) -> StepPlan:
    today = tehran_date(now)
    projections.apply_policy(db, payload, None, today)
    term_end = dt.date.fromisoformat(payload["term_end"])
    window = int(payload["days_before_expiry"])
    candidate = Journey.start(RENEWAL, payload["holder_id"], now, policy_id=payload["policy_id"], term_end=term_end)
    journey, _ = _ensure_journey(db, candidate, now)
    return _plan_and_queue(db, journey, window, now, cfg, agent_id=payload.get("agent_id") or "",
                           branch_code=payload.get("branch_code") or "", policy_number=payload.get("policy_number") or "")


def _sync_sent(db: Database, journey: Journey) -> None:
    for doc in deliveries_repo.for_journey(db, journey.id):
        if doc.get("status") in ("sent", "delivered") and doc.get("sent_at"):
            journey.record_message_outcome(doc["dedup_key"], "sent", instant(doc["sent_at"]))


def _cancel_queued(db: Database, journey: Journey, reason: str, now: dt.datetime) -> None:
    """Drop queued messages nobody is sending right now; the sender re-checks the rest."""
    for doc in db[DELIVERIES].find({"journey_id": journey.id, "status": QUEUED}):
        if int(doc.get("claimed_until_ms") or 0) > deliveries_repo.epoch_ms(now):
            continue
        delivery = deliveries_repo.from_doc(doc)
        delivery.cancel(reason, now)
        try:
            deliveries_repo.save(db, delivery, now)
            metrics.MESSAGES.labels(delivery.channel, "cancelled").inc()
        except VersionConflict:
            pass


def policy_outcome(db: Database, event_type: str, payload: dict[str, Any], at: dt.datetime, now: dt.datetime,
                   cfg: JourneyConfig) -> list[Journey]:
    """policy.renewed / cancelled / lapsed: stop, convert or complete the policy's journeys."""
    today = tehran_date(now)
    policy_id = payload.get("old_policy_id") or payload.get("policy_id")
    status = {"policy.renewed": "renewed", "policy.cancelled": "cancelled", "policy.lapsed": "lapsed"}[event_type]
    if event_type == "policy.renewed":
        projections.apply_policy(db, {**payload, "policy_id": policy_id}, "renewed", today)
        if payload.get("new_policy_id"):
            projections.apply_policy(db, {**payload, "policy_id": payload["new_policy_id"]}, "active", today)
    else:
        projections.apply_policy(db, payload, status, today)
    changed: list[Journey] = []
    for journey in journeys_repo.for_policy(db, policy_id):
        if not journey.is_active:
            continue
        _sync_sent(db, journey)
        if journey.apply_policy_event(event_type, at):
            journeys_repo.save(db, journey, now)
            metrics.JOURNEYS.labels(journey.kind, journey.status).inc()
            _cancel_queued(db, journey, f"journey_{journey.status}", now)
            changed.append(journey)
    if event_type == "policy.lapsed" and payload.get("holder_id"):
        winback = Journey.start(WINBACK, payload["holder_id"], now, policy_id=policy_id)
        journey, started = _ensure_journey(db, winback, now)
        if started or journey.is_active:
            _plan_and_queue(db, journey, journey.window_on(today), now, cfg)
    return changed


def ticket_resolved(db: Database, payload: dict[str, Any], now: dt.datetime, cfg: JourneyConfig) -> StepPlan:
    candidate = Journey.start(SURVEY, payload["customer_id"], now, ticket_id=payload["ticket_id"])
    journey, _ = _ensure_journey(db, candidate, now)
    return _plan_and_queue(db, journey, journey.window_on(tehran_date(now)), now, cfg)


def customer_merged(db: Database, merged_id: str, survivor_id: str, now: dt.datetime) -> int:
    """The survivor carries on every journey; queued messages go to the survivor's contact points."""
    projections.mark_merged(db, merged_id, survivor_id)
    moved = 0
    for journey in journeys_repo.for_customer(db, merged_id):
        if journey.repoint_customer(merged_id, survivor_id):
            journeys_repo.save(db, journey, now)
            moved += 1
    for doc in db[DELIVERIES].find({"customer_id": merged_id, "status": QUEUED}):
        delivery = deliveries_repo.from_doc(doc)
        delivery.customer_id = survivor_id
        try:
            deliveries_repo.save(db, delivery, now)
        except VersionConflict:
            raise  # retry the event: the sender touched it meanwhile
    return moved


def daily_tick(db: Database, now: dt.datetime, cfg: JourneyConfig) -> dict[str, int]:
    """Plan today's window of day-counted journeys (win-back, survey) and close finished ones."""
    today = tehran_date(now)
    planned = closed = 0
    for doc in db[JOURNEYS].find({"status": ACTIVE}, {"_id": 1}):
        journey = journeys_repo.get(db, doc["_id"])
        if journey is None or not journey.is_active:
            continue
        definition = DEFINITIONS[journey.kind]
        try:
            if journey.kind != RENEWAL:
                window = journey.window_on(today)
                if window not in journey.steps_done and definition.step_for(window) is not None:
                    _plan_and_queue(db, journey, window, now, cfg)
                    planned += 1
            if journey.close_if_over(today, now, definition):
                journeys_repo.save(db, journey, now)
                metrics.JOURNEYS.labels(journey.kind, "completed").inc()
                closed += 1
        except VersionConflict:
            log.info("journey changed during the daily tick; next tick retries", extra={"journey_id": journey.id})
    return {"planned": planned, "closed": closed}
