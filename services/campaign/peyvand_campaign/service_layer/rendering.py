"""Template values from the projections (never asked of other services), and previews with sample values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.domain import NotFound, ValidationError
from peyvand_runtime.identity import Caller, can_see_record
from peyvand_runtime.tehran_time import tehran_date
from pymongo.database import Database

from peyvand_campaign.adapters import projections, projections_bulk
from peyvand_campaign.adapters.collections import DELIVERIES, JOURNEYS
from peyvand_campaign.domain.journeys import RENEWAL
from peyvand_campaign.domain.opt_out import make_unsubscribe_token
from peyvand_campaign.domain.templates import RenderedMessage, Template, placeholders_in, render
from peyvand_campaign.domain.values import DEFAULT_LANGUAGE, LANGUAGES, MARKETING


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


def with_carried_quote(db: Database, policy: dict[str, Any]) -> dict[str, Any]:
    """The fact with the renewal quote of its latest notice: the batch path does not write a quote
    alone into the fact (projections_bulk), the deliveries planned from the event carry it."""
    if any(policy.get(name) for name in projections_bulk.QUOTE_FIELDS):
        return policy
    newest: dict[str, Any] | None = None
    for journey in db[JOURNEYS].find({"policy_id": policy["_id"]}):
        if journey.get("kind") != RENEWAL:
            continue
        for doc in db[DELIVERIES].find({"journey_id": journey["_id"]}):
            carried = doc.get("policy")
            if isinstance(carried, dict) and any(carried.get(n) for n in projections_bulk.QUOTE_FIELDS) and \
                    (newest is None or str(doc.get("created_at") or "") > str(newest.get("created_at") or "")):
                newest = doc
    if newest is None:
        return policy
    return {**policy, **{name: newest["policy"][name] for name in projections_bulk.QUOTE_FIELDS if newest["policy"].get(name)}}


def product_name(policy: dict[str, Any], language: str) -> str:
    """The product's name in the message's language (the policy events carry both), else the other
    language's, else the code (facts stored before the names were carried)."""
    other = "en" if language == "fa" else "fa"
    return str(policy.get(f"product_name_{language}") or policy.get(f"product_name_{other}") or policy.get("product_code") or "")


def context_from(cfg: LinkConfig, *, customer_id: str, channel: str, profile: dict[str, Any], policy: dict[str, Any] | None,
                 agent: dict[str, Any] | None, ticket_id: str = "", now: dt.datetime, language: str = "") -> dict[str, object]:
    """The template context from already-read projections (the sender reads them per batch).
    ``language``: the message's (default: the customer's preferred one)."""
    language = language or str(profile.get("language") or DEFAULT_LANGUAGE)
    agent = agent or {}
    context: dict[str, object] = {"customer_name": customer_name(profile)}
    context["agent_name"] = agent.get("display_name") or cfg.call_center_name
    context["agent_phone"] = agent.get("mobile") or cfg.call_center_phone
    if policy:
        context["policy_number"] = policy.get("policy_number") or ""
        context["product_name"] = product_name(policy, language)
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


# Made-up values for a preview without a customer or policy: a renewal 30 days out, formatted
# by the same renderer as a real message (Jalali dates, rials, Persian digits in fa).
SAMPLE_NAMES = {"fa": "مشتری نمونه", "en": "Sample Customer"}
SAMPLE_POLICY_NUMBER = "1021-1405-000123"
SAMPLE_PRODUCTS = {"fa": "بیمه بدنه خودرو", "en": "Motor hull"}
SAMPLE_PREMIUM = 12_500_000
SAMPLE_DAYS_LEFT = 30


@dataclass(frozen=True)
class Preview:
    message: RenderedMessage
    sample_values: tuple[str, ...]  # placeholders filled with made-up values, in order of use


def sample_context(cfg: LinkConfig, *, language: str, channel: str, now: dt.datetime) -> dict[str, object]:
    base = cfg.public_base_url.rstrip("/")
    return {
        "customer_name": SAMPLE_NAMES.get(language, SAMPLE_NAMES["fa"]),
        "policy_number": SAMPLE_POLICY_NUMBER,
        "product_name": SAMPLE_PRODUCTS.get(language, SAMPLE_PRODUCTS["fa"]),
        "end_date": tehran_date(now) + dt.timedelta(days=SAMPLE_DAYS_LEFT),
        "days_left": SAMPLE_DAYS_LEFT,
        "premium": SAMPLE_PREMIUM,
        "agent_name": cfg.call_center_name,
        "agent_phone": cfg.call_center_phone,
        "unsubscribe_url": unsubscribe_url(cfg, "cus_preview", channel),
        "survey_url": f"{base}/s/preview",
    }


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def preview(db: Database, cfg: LinkConfig, template: Template, *, caller: Caller, customer_id: str, policy_id: str,
            language: str, now: dt.datetime, field_prefix: str = "") -> Preview:
    """Render ``template`` (stored or a draft) for a customer/policy in the caller's scope, with
    made-up values for whatever they do not supply (named in ``sample_values``)."""
    profile: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None
    if customer_id:
        profile = projections.profile(db, customer_id)
        if profile is None or not can_see_record(caller, profile.get("agent_id"), profile.get("branch_code")):
            raise NotFound("customer not found", code="CUSTOMER_NOT_FOUND")
    if policy_id:
        policy = projections.policy(db, policy_id)
        if policy is None or not can_see_record(caller, policy.get("agent_id"), policy.get("branch_code")):
            raise NotFound("policy not found", code="POLICY_NOT_FOUND")
        if customer_id and policy.get("holder_id") != customer_id:
            raise ValidationError.single("policy_id", "is not a policy of this customer")
    language = language or str((profile or {}).get("language") or DEFAULT_LANGUAGE)
    if language not in LANGUAGES:
        raise ValidationError.single("language", f"must be one of {', '.join(LANGUAGES)}")
    used = language if template.bodies.get(language, "").strip() else DEFAULT_LANGUAGE
    if not template.bodies.get(used, "").strip():
        raise ValidationError.single(f"{field_prefix}bodies.{language}", "is empty: there is nothing to preview")
    # Without a customer the call centre signs, as it does for customers without an agent.
    real: dict[str, object] = {"agent_name": cfg.call_center_name, "agent_phone": cfg.call_center_phone}
    if profile is not None or policy is not None:
        holder_id = customer_id or str((policy or {}).get("holder_id") or "")
        holder = profile or (projections.profile(db, holder_id) if holder_id else None) or {}
        if policy is not None and "premium" in placeholders_in(template.bodies[used]) + placeholders_in(template.subjects.get(used, "")):
            policy = with_carried_quote(db, policy)
        real = context_from(cfg, customer_id=holder_id or "cus_preview", channel=template.channel, profile=holder, policy=policy,
                            agent=projections.agent(db, agent_id_for(holder, policy)), now=now, language=used)
    sample = sample_context(cfg, language=used, channel=template.channel, now=now)
    used_names = placeholders_in(template.bodies[used]) + placeholders_in(template.subjects.get(used, ""))
    values = dict(real)
    filled: list[str] = []
    for name in dict.fromkeys(used_names):
        if _missing(values.get(name)):
            values[name] = sample[name]
            filled.append(name)
    return Preview(render(template, language, values), tuple(filled))
