"""``policy.renewal_due`` in batches (group commit): the decisions of ``journeys.renewal_due``,
a handful of bulk store calls per batch instead of five round trips per event.

Store calls per batch: policy facts (``$in`` read + one bulk version-guarded upsert), journeys by
their derived id (``$in``), profiles (``$in``), deliveries (one unordered ``insert_many``), new
journeys (one ``insert_many``) and known ones (one bulk compare-and-set). Each delivery carries
the policy fact as this event left it (``policy``: the fields a message renders), so the sender
does not read the facts again.

The guarantees are those of the one-by-one path (ADR 0013), with the same write order per
event: the journey's id is fixed first (stored one, else derived from its natural key), its
deliveries are inserted (the unique dedup key refuses a step planned before: redelivery,
replay, a crash between the two writes), then the journey is written with the step done. A
journey write that loses a race (insert refused by the unique id / natural key, or a stale
version) fails that event alone: it is retried, finds the stored journey and plans nothing twice.
Events this path does not take alone go through ``journeys.renewal_due`` one by one after the
batch: a second event for the same journey in one batch (its window depends on the first),
and every event while the store may still hold journeys with non-derived ids.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from typing import Any

from peyvand_runtime.domain import ValidationError, VersionConflict
from peyvand_runtime.tehran_time import tehran_date
from pymongo.database import Database

from peyvand_campaign import metrics
from peyvand_campaign.adapters import journeys_repo, projections_bulk
from peyvand_campaign.domain.journeys import DEFINITIONS, RENEWAL, Journey
from peyvand_campaign.service_layer import journeys
from peyvand_campaign.service_layer.queueing import ProfileNotYetKnown, QueueOutcome, QueueRequest, queue_many

log = logging.getLogger(__name__)


@dataclass
class _Planned:
    event_id: str
    journey: Journey
    is_new: bool
    requests: list[QueueRequest] = field(default_factory=list)


def validate(payload: dict[str, Any]) -> None:
    """The payload fields a renewal_due needs (the worker's per-event check, shared by both paths)."""
    for name in ("policy_id", "holder_id", "term_end"):
        if not payload.get(name):
            raise ValidationError.single(name, "missing in event payload")
    if payload.get("days_before_expiry") is None:
        raise ValidationError.single("days_before_expiry", "missing in event payload")


def renewal_due_batch(db: Database, events: list[tuple[str, dict[str, Any]]], now: dt.datetime,
                      cfg: journeys.JourneyConfig) -> dict[str, Exception]:
    """Apply ``(event_id, payload)`` pairs; returns ``event_id -> exception`` for those not applied
    (to be retried alone by the consumer); every other event is fully applied."""
    failures: dict[str, Exception] = {}
    candidates: list[tuple[str, dict[str, Any], Journey]] = []
    for event_id, payload in events:
        try:
            validate(payload)
            candidate = Journey.start(RENEWAL, payload["holder_id"], now, policy_id=payload["policy_id"],
                                      term_end=dt.date.fromisoformat(payload["term_end"]))
            int(payload["days_before_expiry"])
        except (ValidationError, ValueError, TypeError) as exc:
            failures[event_id] = exc if isinstance(exc, ValidationError) else ValidationError.single("term_end", "not a valid date")
            continue
        candidates.append((event_id, payload, candidate))
    if not candidates:
        return failures
    today = tehran_date(now)
    facts = projections_bulk.apply_policies(db, [payload for _, payload, _ in candidates], today)

    first: list[tuple[str, dict[str, Any], Journey]] = []
    later: list[tuple[str, dict[str, Any]]] = []
    keys: set[str] = set()
    batch_ok = journeys_repo.only_derived_ids(db, journeys.journey_id_for)
    for event_id, payload, candidate in candidates:
        if not batch_ok or candidate.natural_key in keys:
            later.append((event_id, payload))
        else:
            keys.add(candidate.natural_key)
            first.append((event_id, payload, candidate))

    stored = journeys_repo.get_many(db, [journeys.journey_id_for(c.natural_key) for _, _, c in first])
    planned: list[_Planned] = []
    for event_id, payload, candidate in first:
        derived = journeys.journey_id_for(candidate.natural_key)
        journey = stored.get(derived)
        is_new = journey is None
        if journey is None:
            journey = candidate
            journey.id = derived
        item = _Planned(event_id, journey, is_new)
        window = int(payload["days_before_expiry"])
        plan = journey.plan(window, now, DEFINITIONS[RENEWAL], agent_id=payload.get("agent_id") or "",
                            branch_code=payload.get("branch_code") or "", policy_number=payload.get("policy_number") or "")
        if plan.outcome not in ("planned", "no_step") and not is_new:
            continue  # already done or journey over: nothing to write (the one-by-one path re-saves unchanged)
        item.requests = [journeys.queue_request(journey, message, window) for message in plan.messages]
        snapshot = projections_bulk.render_snapshot(facts.get(payload["policy_id"]))
        if snapshot is not None:
            # The fact as this event left it rides on the delivery: the sender renders from it
            # instead of reading the policy facts again (profile and journey are still re-read).
            item.requests = [replace(r, extra={**(r.extra or {}), "policy": snapshot}) for r in item.requests]
        planned.append(item)

    outcomes = queue_many(db, [r for item in planned for r in item.requests], now, cfg.weekly_cap)
    position = 0
    ready: list[_Planned] = []
    for item in planned:
        mine = outcomes[position:position + len(item.requests)]
        position += len(item.requests)
        missing = next((o for o in mine if isinstance(o, ProfileNotYetKnown)), None)
        if missing is not None:
            failures[item.event_id] = missing  # journey not written: the retry re-plans the same keys
            continue
        for request, outcome in zip(item.requests, mine, strict=True):
            assert isinstance(outcome, QueueOutcome)
            if outcome.status == "skipped":
                item.journey.record_message_outcome(request.dedup_key, f"skipped:{outcome.reason}", now)
        ready.append(item)

    refused = journeys_repo.insert_many_new(db, [i.journey for i in ready if i.is_new], now)
    refused |= journeys_repo.save_many(db, [i.journey for i in ready if not i.is_new], now)
    for item in ready:
        if item.journey.id in refused:
            failures[item.event_id] = VersionConflict("the journey was written concurrently; retrying")
        elif item.is_new:
            metrics.JOURNEYS.labels(RENEWAL, "started").inc()

    for event_id, payload in later:
        try:
            journeys.renewal_due(db, payload, now, cfg)
        except Exception as exc:  # reported per event: the consumer retries or dead-letters it alone
            failures[event_id] = exc
    return failures
