"""Domain objects and stored documents to proto messages (and a few request parsers)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from peyvand.ticketing.v1 import ticketing_pb2 as pb
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.tehran_time import TEHRAN, to_jalali

from peyvand_ticketing.adapters.instants import stored_instant
from peyvand_ticketing.domain.business_calendar import BusinessCalendar
from peyvand_ticketing.domain.sla import SlaPolicy
from peyvand_ticketing.domain.sla_schedule import worst
from peyvand_ticketing.domain.task import AgendaItem
from peyvand_ticketing.domain.ticket import Ticket
from peyvand_ticketing.domain.ticket_values import ACTIVE_STATUSES, iso_utc


def moment(value: dt.datetime | str | None) -> pb.Moment:
    utc = stored_instant(value)
    if utc is None:
        return pb.Moment()
    local = utc.astimezone(TEHRAN)
    return pb.Moment(utc=iso_utc(utc) or "", jalali_date=to_jalali(local.date()), tehran_time=local.strftime("%H:%M"))


def ticket_message(ticket: Ticket, now: dt.datetime, calendar: BusinessCalendar, policy: SlaPolicy) -> pb.Ticket:
    sla = ticket.sla
    assert sla is not None
    response_state = resolution_state = "ok"
    if ticket.status in ACTIVE_STATUSES:
        state = ticket.sla_state(now, calendar, policy)
        response_state = "ok" if state.first_response.met and not sla.breached_response else state.first_response.level
        if ticket.first_responded_at is not None:
            response_state = "breached" if sla.breached_response else "ok"
        resolution_state = state.resolution.level
    else:
        response_state = "breached" if sla.breached_response else "ok"
        resolution_state = "breached" if sla.breached_resolution else "ok"
    return pb.Ticket(
        ticket_id=ticket.id, ticket_number=ticket.ticket_number, type=ticket.type, category=ticket.category,
        channel=ticket.channel, customer_id=ticket.customer_id, agent_id=ticket.agent_id or "",
        branch_code=ticket.branch_code or "", queue_id=ticket.queue_id or "", assignee_id=ticket.assignee_id or "",
        subject=ticket.subject, description=ticket.description, impact=ticket.impact, urgency=ticket.urgency,
        priority=ticket.priority, status=ticket.status, policy_number=ticket.policy_number or "",
        created_at=moment(ticket.created_at), first_responded_at=moment(ticket.first_responded_at),
        resolved_at=moment(ticket.resolved_at), closed_at=moment(ticket.closed_at),
        first_response_due=moment(sla.first_response_due_at), resolution_due=moment(sla.resolution_due_at),
        sla_state=worst(response_state, resolution_state), first_response_sla_state=response_state,
        resolution_sla_state=resolution_state, sla_paused=sla.clock.is_paused, reopen_count=ticket.reopen_count,
        satisfaction_score=ticket.satisfaction_score or 0, satisfaction_comment=ticket.satisfaction_comment or "",
        attachments=[pb.Attachment(name=a.name, size_bytes=a.size_bytes, content_type=a.content_type, storage_key=a.storage_key)
                     for a in ticket.attachments],
        escalation_level=sla.escalation_level, version=ticket.version,
    )


def reply_message(doc: dict[str, Any]) -> pb.Reply:
    return pb.Reply(reply_id=doc["_id"], ticket_id=doc["ticket_id"], author_id=doc["author_id"], body=doc["body"],
                    public=doc["public"], from_customer=doc.get("from_customer", False), at=moment(doc["at"]))


def activity_message(doc: dict[str, Any]) -> pb.ActivityEntry:
    return pb.ActivityEntry(at=moment(doc["at"]), actor_id=doc["actor_id"], action=doc["action"],
                            detail_json=json.dumps(doc.get("detail", {}), ensure_ascii=False, default=str))


def task_message(doc: dict[str, Any]) -> pb.Task:
    due_date = doc.get("due_date") or ""
    return pb.Task(
        task_id=doc["_id"], kind=doc["kind"], customer_id=doc["customer_id"], owner_id=doc.get("owner_id") or "",
        title=doc["title"], due_date=due_date, due_date_jalali=to_jalali(dt.date.fromisoformat(due_date)) if due_date else "",
        due_at=moment(doc.get("due_at")), policy_id=doc.get("policy_id") or "", ticket_id=doc.get("ticket_id") or "",
        dedup_key=doc["dedup_key"], note=doc.get("note", ""), status=doc["status"], created_at=moment(doc.get("created_at")),
        completed_at=moment(doc.get("completed_at")), outcome=doc.get("outcome", ""), branch_code=doc.get("branch_code") or "",
        version=doc["version"],
    )


def agenda_message(item: AgendaItem) -> pb.AgendaItem:
    return pb.AgendaItem(kind=item.kind, id=item.id, title=item.title, customer_id=item.customer_id, due=moment(item.due_at),
                         overdue=item.overdue, priority=item.priority or "")


def queue_message(doc: dict[str, Any]) -> pb.Queue:
    return pb.Queue(
        queue_id=doc["_id"], name=doc["name"], branch_code=doc["branch_code"], team=doc["team"],
        strategy=doc.get("strategy", "round_robin"), lead_user_id=doc.get("lead_user_id") or "",
        categories=doc.get("categories", []), version=doc.get("version", 1),
        members=[pb.QueueMember(user_id=m["user_id"], available=m.get("available", True), skills=m.get("skills", []),
                                max_load=m.get("max_load") or 0) for m in doc.get("members", [])],
    )


def member_dict(member: pb.QueueMember) -> dict[str, Any]:
    return {"user_id": member.user_id, "available": member.available, "skills": list(member.skills), "max_load": member.max_load}


def holiday_message(doc: dict[str, Any]) -> pb.Holiday:
    day = dt.date.fromisoformat(doc["_id"])
    return pb.Holiday(date=doc["_id"], date_jalali=to_jalali(day), name=doc.get("name", ""), source=doc.get("source", ""))


def encode_token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=") if value else ""


def decode_token(token: str) -> Any:
    if not token:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        raise ValidationError.single("page.page_token", "is not a token this service issued") from None
