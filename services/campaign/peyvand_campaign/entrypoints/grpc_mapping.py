"""Proto ↔ domain mapping for the campaign gRPC servicer (parsing input, building answers)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from peyvand.campaign.v1 import campaign_pb2 as pb
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.envelope import iso_utc
from peyvand_runtime.ids import is_id

from peyvand_campaign.domain.campaign import Campaign
from peyvand_campaign.domain.journeys import Journey
from peyvand_campaign.domain.templates import Template


def parse_rule(text: str, field: str) -> dict[str, Any]:
    if not text.strip():
        raise ValidationError.single(field, "a segment rule is required")
    try:
        rule = json.loads(text)
    except json.JSONDecodeError:
        raise ValidationError.single(field, "must be JSON") from None
    if not isinstance(rule, dict) or not rule:
        raise ValidationError.single(field, "a rule is required: {all: [...]}, {any: [...]} or {field, op, value}")
    return rule


def parse_instant(text: str, field: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError.single(field, "must be an ISO-8601 instant") from None
    if value.tzinfo is None:
        raise ValidationError.single(field, "must include a time zone")
    return value


def encode_page_token(campaign_id: str) -> str:
    """An opaque cursor: the last campaign id of the page, base64url (no padding)."""
    return base64.urlsafe_b64encode(campaign_id.encode()).decode().rstrip("=") if campaign_id else ""


def decode_page_token(token: str) -> str:
    if not token:
        return ""
    try:
        campaign_id = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, ValueError):
        campaign_id = ""
    if not is_id(campaign_id, "cmp"):
        raise ValidationError.single("page.page_token", "is not a token this service issued")
    return campaign_id


def template_draft(draft: pb.TemplateDraft) -> Template:
    """An unsaved template from the editor, checked as a preview needs (fields named draft.*)."""
    template = Template(id="tpl_draft", name="draft", channel=draft.channel, purpose=draft.purpose or "marketing",
                        bodies=dict(draft.bodies), subjects=dict(draft.subjects))
    template.check_draft("draft.")
    return template


def _iso(value: Any) -> str:
    return iso_utc(value) if isinstance(value, dt.datetime) else ""


def segment(doc: dict[str, Any]) -> pb.Segment:
    return pb.Segment(segment_id=doc["_id"], name=doc["name"], rule_json=json.dumps(doc["rule"], ensure_ascii=False),
                      created_at=_iso(doc.get("created_at")))


def template(t: Template, built_in: bool) -> pb.Template:
    return pb.Template(template_id=t.id, name=t.name, channel=t.channel, purpose=t.purpose, bodies=t.bodies,
                       subjects=t.subjects, built_in=built_in)


def campaign(c: Campaign) -> pb.Campaign:
    return pb.Campaign(campaign_id=c.id, name=c.name, kind=c.kind, purpose=c.purpose, channel=c.channel,
                       template_ids=c.template_ids,
                       segment_rule_json=json.dumps(c.segment_rule, ensure_ascii=False) if c.segment_rule else "",
                       segment_id=c.segment_id, schedule_at=_iso(c.schedule_at), status=c.status, version=c.version,
                       created_at=_iso(c.created_at))


def delivery(doc: dict[str, Any]) -> pb.Delivery:
    return pb.Delivery(
        delivery_id=doc["_id"], customer_id=doc.get("customer_id", ""), channel=doc.get("channel", ""),
        purpose=doc.get("purpose", ""), template_id=doc.get("template_id", ""), campaign_id=doc.get("campaign_id", ""),
        journey_id=doc.get("journey_id", ""), policy_id=doc.get("policy_id", ""), status=doc.get("status", ""),
        attempts=int(doc.get("attempts") or 0), next_attempt_at=_iso(doc.get("next_attempt_at")), sent_at=_iso(doc.get("sent_at")),
        delivered_at=_iso(doc.get("delivered_at")), failure_reason=doc.get("failure_reason") or "",
        created_at=_iso(doc.get("created_at")), dedup_key=doc.get("dedup_key", ""))


def journey(j: Journey, deliveries: list[dict[str, Any]]) -> pb.Journey:
    return pb.Journey(
        journey_id=j.id, kind=j.kind, customer_id=j.customer_id, policy_id=j.policy_id,
        term_end=j.term_end.isoformat() if j.term_end else "", status=j.status, stopped_reason=j.stopped_reason,
        started_at=_iso(j.started_at), ended_at=_iso(j.ended_at),
        steps=[pb.JourneyStep(window=s.window, at=_iso(s.at), outcome=s.outcome)
               for s in sorted(j.steps_done.values(), key=lambda s: -s.window)],
        deliveries=[delivery(d) for d in deliveries])
