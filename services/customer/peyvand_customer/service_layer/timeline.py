"""The interaction timeline (its own collection): agents' calls/visits/notes and other services' facts."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from peyvand_runtime.domain import ValidationError
from peyvand_runtime.identity import Caller
from peyvand_runtime.ids import new_id
from pymongo import DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from peyvand_customer.adapters.schema import AUDIT, TIMELINE
from peyvand_customer.domain.persian import clean_text
from peyvand_customer.service_layer import paging
from peyvand_customer.service_layer.context import Context, resolve_merged

AGENT_KINDS = ("call", "visit", "note")
MAX_SUMMARY = 2000


def add_entry(db: Database, entry: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Insert once by ``_id``; a repeat returns the stored entry (and False)."""
    try:
        db[TIMELINE].insert_one(entry)
        return entry, True
    except DuplicateKeyError:
        return db[TIMELINE].find_one({"_id": entry["_id"]}) or entry, False


def log_interaction(
    ctx: Context, caller: Caller, customer_id: str, kind: str, summary: str, at: dt.datetime | None, idempotency_key: str, channel: str
) -> dict[str, Any]:
    party, _ = resolve_merged(ctx, caller, customer_id)
    kind = (kind or "").strip().lower()
    problems = []
    if kind not in AGENT_KINDS:
        problems.append(("kind", "must be one of " + ", ".join(AGENT_KINDS)))
    text = clean_text(summary)
    if not text or len(text) > MAX_SUMMARY:
        problems.append(("summary", f"must be 1 to {MAX_SUMMARY} characters"))
    now = ctx.now()
    if at is not None and at > now + dt.timedelta(minutes=5):
        problems.append(("at", "cannot be in the future"))
    if problems:
        from peyvand_runtime.domain import FieldViolation

        raise ValidationError([FieldViolation(f, d) for f, d in problems])
    entry_id = new_id("itx")
    if idempotency_key:
        digest = hashlib.sha256(f"{caller.principal}|{party.id}|{idempotency_key}".encode()).hexdigest()[:32]
        entry_id = f"itx:{digest}"
    entry = {
        "_id": entry_id,
        "customer_id": party.id,
        "kind": kind,
        "summary": text,
        "at": at or now,
        "actor": caller.principal,
        "ref_id": "",
        "channel": channel or "",
        "recorded_at": now,
    }
    stored, _ = add_entry(ctx.db, entry)
    return stored


def list_timeline(ctx: Context, caller: Caller, customer_id: str, size: int, token: str) -> tuple[list[dict[str, Any]], str]:
    """Newest first; a merged customer's entries show on the survivor."""
    party, _ = resolve_merged(ctx, caller, customer_id)
    return timeline_page(ctx, party.id, party.merged_from, size, token)


def timeline_page(ctx: Context, party_id: str, merged_from: Iterable[str], size: int, token: str) -> tuple[list[dict[str, Any]], str]:
    """A page of the timeline of a party the caller may see (the caller checked it), with the
    entries of the parties merged into it: newest first, and the next page's token."""
    state = paging.decode(token)
    docs: list[dict[str, Any]] = []
    for owner in (party_id, *merged_from):  # equality each: ``$in`` would scan on the embedded store
        query: dict[str, Any] = {"customer_id": owner}
        if state:
            at = dt.datetime.fromisoformat(state["at"])
            query["$or"] = [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": state["id"]}}]
        docs += ctx.db[TIMELINE].find(query).sort([("at", DESCENDING), ("_id", DESCENDING)]).limit(size + 1)
    docs.sort(key=lambda d: (_utc(d["at"]), d["_id"]), reverse=True)
    docs = docs[: size + 1]
    if len(docs) > size:
        docs = docs[:size]
        last = docs[-1]
        return docs, paging.encode({"at": _utc(last["at"]).isoformat(), "id": last["_id"]})
    return docs, ""


def list_audit(ctx: Context, caller: Caller, customer_id: str, size: int, token: str) -> tuple[list[dict[str, Any]], str]:
    party, _ = resolve_merged(ctx, caller, customer_id)
    docs = sorted(ctx.db[AUDIT].find({"customer_id": party.id}), key=lambda d: (d["at"], d["_id"]), reverse=True)
    start = int(paging.decode(token).get("offset", 0))
    page = docs[start : start + size]
    more = start + size < len(docs)
    return page, paging.encode({"offset": start + size}) if more else ""


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# -- facts from other services -------------------------------------------------------------

_EVENT_SUMMARIES = {
    "policy.issued": "بیمه‌نامه {policy_number} صادر شد",
    "policy.renewed": "بیمه‌نامه {policy_number} تمدید شد",
    "policy.lapsed": "بیمه‌نامه {policy_number} منقضی شد",
    "policy.cancelled": "بیمه‌نامه {policy_number} ابطال شد",
    "ticket.opened": "درخواست {ticket_number} ثبت شد",
    "ticket.resolved": "درخواست {ticket_number} بسته شد",
    "campaign.message_sent": "پیام از طریق {channel} ارسال شد",
}


def apply_event(db: Database, event_id: str, event_type: str, occurred_at: str, producer: str, payload: dict[str, Any]) -> bool:
    """One timeline entry per event id, whatever the number of deliveries; returns whether it was new."""
    customer_id = payload.get("holder_id") or payload.get("customer_id")
    if not customer_id:
        raise ValidationError.single("holder_id" if event_type.startswith("policy.") else "customer_id", "missing in event payload")
    ref_id = payload.get("policy_id") or payload.get("ticket_id") or payload.get("delivery_id") or ""
    fields = {k: str(payload.get(k, "")) for k in ("policy_number", "ticket_number", "channel")}
    entry = {
        "_id": event_id,
        "customer_id": customer_id,
        "kind": event_type.replace(".", "_"),
        "summary": _EVENT_SUMMARIES.get(event_type, event_type).format(**fields),
        "at": dt.datetime.fromisoformat(occurred_at.replace("Z", "+00:00")),
        "actor": f"svc:{producer}",
        "ref_id": ref_id,
        "channel": payload.get("channel", "") if event_type.startswith("campaign.") else "",
        "details": {k: v for k, v in payload.items() if k in ("product_code", "type", "policy_number", "ticket_number")},
    }
    return add_entry(db, entry)[1]
