"""The values a template is filled with, read from the projections (never asked of other services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.tehran_time import tehran_date
from pymongo.database import Database

from peyvand_campaign.adapters import projections
from peyvand_campaign.domain.opt_out import make_unsubscribe_token
from peyvand_campaign.domain.values import MARKETING


@dataclass(frozen=True)
class LinkConfig:
    public_base_url: str
    unsubscribe_secret: str
    call_center_name: str
    call_center_phone: str


def unsubscribe_url(cfg: LinkConfig, customer_id: str, channel: str, purpose: str = MARKETING) -> str:
    return f"{cfg.public_base_url.rstrip('/')}/u/{make_unsubscribe_token(cfg.unsubscribe_secret, customer_id, channel, purpose)}"


def customer_name(profile: dict[str, Any]) -> str:
    name = profile.get("display_name") or " ".join(p for p in (profile.get("first_name"), profile.get("last_name")) if p)
    return str(name or "")


def context_for(db: Database, cfg: LinkConfig, *, customer_id: str, channel: str, policy_id: str = "",
                ticket_id: str = "", now: dt.datetime, profile: dict[str, Any] | None = None) -> dict[str, object]:
    profile = profile or projections.profile(db, customer_id) or {}
    policy = projections.policy(db, policy_id) if policy_id else None
    agent_id = (policy or {}).get("agent_id") or profile.get("agent_id") or ""
    return context_from(cfg, customer_id=customer_id, channel=channel, profile=profile, policy=policy,
                        agent=projections.agent(db, agent_id), ticket_id=ticket_id, now=now)


def agent_id_for(profile: dict[str, Any], policy: dict[str, Any] | None) -> str:
    return str((policy or {}).get("agent_id") or profile.get("agent_id") or "")


def context_from(cfg: LinkConfig, *, customer_id: str, channel: str, profile: dict[str, Any], policy: dict[str, Any] | None,
                 agent: dict[str, Any] | None, ticket_id: str = "", now: dt.datetime) -> dict[str, object]:
    """The template context from already-read projections (the sender reads them per batch)."""
    agent = agent or {}
    context: dict[str, object] = {"customer_name": customer_name(profile)}
    context["agent_name"] = agent.get("display_name") or cfg.call_center_name
    context["agent_phone"] = agent.get("mobile") or cfg.call_center_phone
    if policy:
        context["policy_number"] = policy.get("policy_number") or ""
        context["product_name"] = policy.get("product_code") or ""
        premium = policy.get("renewal_total_premium") or policy.get("renewal_premium") or policy.get("premium")
        if isinstance(premium, int):
            context["premium"] = premium
        if policy.get("term_end"):
            end = dt.date.fromisoformat(str(policy["term_end"])[:10])
            context["end_date"] = end
            context["days_left"] = (end - tehran_date(now)).days
    context["unsubscribe_url"] = unsubscribe_url(cfg, customer_id, channel)
    if ticket_id:
        context["survey_url"] = f"{cfg.public_base_url.rstrip('/')}/s/{ticket_id}"
    return context
