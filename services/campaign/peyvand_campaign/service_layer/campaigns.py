"""Campaign use cases: create, list and move through the lifecycle, expand a broadcast, count results."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pymongo
from peyvand_runtime.domain import ValidationError, VersionConflict
from peyvand_runtime.tehran_time import tehran_date
from pymongo.database import Database

from peyvand_campaign.adapters import campaigns_repo, catalogue_repo, deliveries_repo
from peyvand_campaign.adapters.collections import CAMPAIGNS, CONVERSIONS, DELIVERIES, OPT_OUTS, PROFILES, instant
from peyvand_campaign.domain.campaign import BROADCAST, RUNNING, TRANSITIONS, Campaign
from peyvand_campaign.domain.segments import matches
from peyvand_campaign.service_layer.queueing import QueueRequest, queue_message

log = logging.getLogger(__name__)


def create(db: Database, now: dt.datetime, *, name: str, purpose: str, channel: str, template_ids: dict[str, str],
           segment_rule: dict[str, Any] | None, segment_id: str, schedule_at: dt.datetime | None) -> Campaign:
    campaign = Campaign.create(name=name, purpose=purpose, channel=channel, template_ids=template_ids, now=now,
                               segment_rule=segment_rule, segment_id=segment_id, schedule_at=schedule_at)
    for ch, template_id in template_ids.items():
        template, _ = catalogue_repo.get_template(db, template_id)
        if template.channel != ch:
            raise ValidationError.single(f"template_ids.{ch}", f"template is for {template.channel}")
        if template.purpose != purpose:
            raise ValidationError.single(f"template_ids.{ch}", f"template is a {template.purpose} template")
    if segment_id:
        catalogue_repo.get_segment(db, segment_id)
    campaign_doc_extra = {"expanded_after": "", "expanded_skip": 0, "expansion_done": False}
    campaigns_repo.save(db, campaign, now, campaign_doc_extra)
    return campaign


def change(db: Database, campaign_id: str, action: str, now: dt.datetime, expected_version: int = 0, reason: str = "") -> Campaign:
    campaign, _ = campaigns_repo.get(db, campaign_id)
    if expected_version and expected_version != campaign.version:
        raise VersionConflict("the campaign was changed by someone else; reload and try again",
                              metadata={"current_version": str(campaign.version), "expected_version": str(expected_version)})
    if action == "schedule":
        campaign.schedule(now)
    elif action == "start":
        if campaign.status == "draft":
            campaign.schedule(now)
        if campaign.status == "paused":
            campaign.resume(now)
        else:
            campaign.start(now)
    elif action == "pause":
        campaign.pause(now)
    elif action == "stop":
        campaign.stop(now, reason)
    campaigns_repo.save(db, campaign, now)
    return campaign


MAX_PAGE, DEFAULT_PAGE = 100, 20


def list_campaigns(db: Database, status: str, before_id: str, page_size: int) -> tuple[list[Campaign], str]:
    """One page of campaigns, newest first; the id to continue below ('' when this was the last page)."""
    if status and status not in TRANSITIONS:
        raise ValidationError.single("status", f"must be one of {', '.join(TRANSITIONS)}")
    if page_size < 0:
        raise ValidationError.single("page.page_size", "must not be negative")
    size = min(page_size or DEFAULT_PAGE, MAX_PAGE)
    found = campaigns_repo.list_page(db, status, before_id, size + 1)
    page = found[:size]
    return page, (page[-1].id if len(found) > size else "")


def _rule(db: Database, doc: dict[str, Any]) -> dict[str, Any]:
    if doc.get("segment_rule"):
        return dict(doc["segment_rule"])
    return dict(catalogue_repo.get_segment(db, doc["segment_id"])["rule"])


def expand_page(db: Database, campaign_id: str, now: dt.datetime, page_size: int, weekly_cap: int) -> int:
    """Queue the audience found in one page of ``page_size`` profiles (customer id order); returns
    how many profiles the page read (0: the expansion is over, or the campaign is not running).

    Pages are ``sort(_id).skip(n).limit(page_size)`` over every profile, and the segment rule is
    evaluated here (``segments.matches``, which agrees with the store filter the preview counts
    with): on the embedded store an ``_id $gt`` continuation, with or without the rule, is a scan of
    the whole collection per page (2–3 s a page at 200,000 profiles), while a skip/limit page walks
    the primary key (ADR 0001). A profile added behind the position shifts the next page back by
    one; one not above ``expanded_after`` was handled already and is passed over (queueing is
    idempotent by the broadcast's dedup key anyway). Profiles are never deleted (a merge marks the
    merged one), so no page skips one that was there when the expansion began."""
    campaign, doc = campaigns_repo.get(db, campaign_id)
    if campaign.status != RUNNING or campaign.kind != BROADCAST or doc.get("expansion_done"):
        return 0
    rule, today = _rule(db, doc), tehran_date(now)
    after, skip = doc.get("expanded_after") or "", int(doc.get("expanded_skip") or 0)
    page = list(db[PROFILES].find({}).sort("_id", pymongo.ASCENDING).skip(skip).limit(page_size))
    audience = [p for p in page if p["_id"] > after and "merged_into" not in p and matches(rule, p, today)]
    others = set(campaign.template_ids) - {campaign.channel}
    for profile in audience:
        queue_message(db, QueueRequest(
            dedup_key=campaign.broadcast_dedup_key(profile["_id"]), customer_id=profile["_id"], purpose=campaign.purpose,
            step_channel=campaign.channel, templates=campaign.template_ids, exclude=set(), campaign_id=campaign.id,
            extra={"campaign_channels": sorted(others)}), now, weekly_cap)
    extra = {"expanded_after": max(after, page[-1]["_id"]) if page else after, "expanded_skip": skip + len(page),
             "expansion_done": len(page) < page_size}
    campaigns_repo.save(db, campaign, now, extra)
    return len(page)


def broadcast_tick(db: Database, now: dt.datetime, page_size: int, weekly_cap: int) -> dict[str, int]:
    started = expanded = completed = 0
    for doc in db[CAMPAIGNS].find({"status": "scheduled"}, {"_id": 1}):
        campaign, _ = campaigns_repo.get(db, doc["_id"])
        if campaign.kind == BROADCAST and campaign.is_due(now):
            campaign.start(now)
            campaigns_repo.save(db, campaign, now)
            started += 1
    for doc in db[CAMPAIGNS].find({"status": RUNNING}, {"_id": 1}):
        try:
            while (n := expand_page(db, doc["_id"], now, page_size, weekly_cap)) > 0:
                expanded += n
            campaign, full = campaigns_repo.get(db, doc["_id"])
            queued = db[DELIVERIES].find_one({"campaign_id": campaign.id, "status": "queued"}, {"_id": 1})
            if campaign.kind == BROADCAST and full.get("expansion_done") and queued is None:
                campaign.complete(now)
                campaigns_repo.save(db, campaign, now)
                completed += 1
        except VersionConflict:
            log.info("campaign changed during expansion; next tick continues", extra={"campaign_id": doc["_id"]})
    return {"started": started, "expanded": expanded, "completed": completed}


def results(db: Database, campaign_id: str) -> tuple[Campaign, dict[str, Any]]:
    campaign, _ = campaigns_repo.get(db, campaign_id)
    docs = deliveries_repo.for_campaign(db, campaign_id)
    messaged = {d["customer_id"] for d in docs if d.get("status") in ("sent", "delivered")}
    first_sent = min((instant(d["sent_at"]) for d in docs if d.get("sent_at")), default=None)
    opted_out = set()
    if first_sent is not None:
        for customer_id in messaged:
            if db[OPT_OUTS].find_one({"customer_id": customer_id, "at": {"$gte": first_sent}}, {"_id": 1}):
                opted_out.add(customer_id)
    converted = {c["customer_id"] for c in db[CONVERSIONS].find({"campaign_id": campaign_id}, {"customer_id": 1})} & messaged
    counts = {"sent": 0, "delivered": 0, "failed": 0, "skipped": 0, "queued": 0}
    for d in docs:
        status = d.get("status")
        if status in ("sent", "delivered"):
            counts["sent"] += 1
        if status in ("delivered", "failed", "skipped", "queued"):
            counts[status] += 1
    rate = len(converted) / len(messaged) if messaged else None
    return campaign, {**counts, "opted_out": len(opted_out), "converted": len(converted), "customers_messaged": len(messaged),
                      "conversion_rate": rate}


def record_broadcast_conversion(db: Database, holder_id: str, at: dt.datetime, window: dt.timedelta = dt.timedelta(days=30)) -> int:
    """policy.issued for a customer a broadcast messaged within ``window`` before: that campaign converted them."""
    found = 0
    for d in db[DELIVERIES].find({"customer_id": holder_id}, {"campaign_id": 1, "status": 1, "sent_at": 1}):
        if not d.get("campaign_id") or d.get("status") not in ("sent", "delivered") or not d.get("sent_at"):
            continue

        sent = instant(d["sent_at"])
        if sent <= at <= sent + window:
            db[CONVERSIONS].update_one({"_id": f"{d['campaign_id']}:{holder_id}"},
                                       {"$setOnInsert": {"campaign_id": d["campaign_id"], "customer_id": holder_id, "at": at}},
                                       upsert=True)
            found += 1
    return found
