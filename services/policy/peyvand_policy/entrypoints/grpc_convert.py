"""Proto messages to commands and domain objects to proto messages (no rules here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand.policy.v1 import policy_pb2 as pb
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.tehran_time import parse_jalali, to_ascii_digits, to_jalali

from peyvand_policy.domain.lifecycle import Cancellation, Endorsement, HistoryEntry
from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.product_model import CoverageLine, Product
from peyvand_policy.domain.quote import Quote
from peyvand_policy.domain.renewal import iso_utc

STATUS_TO_PB = {"active": pb.ACTIVE, "renewed": pb.RENEWED, "lapsed": pb.LAPSED, "cancelled": pb.CANCELLED}
STATUS_FROM_PB = {value: key for key, value in STATUS_TO_PB.items()}


def parse_date(text: str, field_name: str) -> dt.date | None:
    """An ISO (2026-11-22) or Jalali (1405/09/01, Persian digits too) date; None when empty."""
    text = to_ascii_digits((text or "").strip())
    if not text:
        return None
    try:
        if "/" in text or (text[:4].isdigit() and int(text[:4]) < 1700):
            return parse_jalali(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError.single(field_name, "must be a date as YYYY-MM-DD or Jalali YYYY/MM/DD") from None


def status_filter(value: int) -> str:
    if value == pb.POLICY_STATUS_UNSPECIFIED:
        return ""
    if value not in STATUS_FROM_PB:
        raise ValidationError.single("status", "is not a known policy status")
    return STATUS_FROM_PB[value]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def coverage(line: CoverageLine) -> pb.Coverage:
    return pb.Coverage(code=line.code, name_fa=line.name_fa, name_en=line.name_en, sum_insured=line.sum_insured)


def product(p: Product) -> pb.Product:
    return pb.Product(
        code=p.code, name_fa=p.name_fa, name_en=p.name_en, line=p.line, mandatory=p.mandatory,
        inputs=[pb.RatingInput(name=i.name, name_fa=i.name_fa, kind=i.kind, minimum=i.minimum, maximum=i.maximum,
                               choices=[_text(c) for c in i.choices]) for i in p.inputs],
        coverages=[pb.CoverageDefinition(code=c.code, name_fa=c.name_fa, name_en=c.name_en, sum_insured=c.sum_insured or 0,
                                         from_input=c.from_input or (c.by_choice[0] if c.by_choice else ""),
                                         multiple=c.multiple) for c in p.coverages],
        term_unit=p.term.unit, term_months=list(p.term.months), term_min_days=p.term.min_days, term_max_days=p.term.max_days,
        minimum_premium=p.minimum_premium, vat_permille=p.vat_permille, renewable=p.renewable,
    )


def quote(q: Quote) -> pb.Quote:
    premium = q.premium
    return pb.Quote(
        quote_id=q.id, product_code=q.product_code, holder_id=q.holder_id, insured_ids=list(q.insured_ids),
        agent_id=q.agent_id, branch_code=q.branch_code, inputs={k: _text(v) for k, v in q.inputs.items()},
        term_start=_date(q.term_start), term_end=_date(q.term_end),
        term_start_jalali=to_jalali(q.term_start), term_end_jalali=to_jalali(q.term_end),
        premium=pb.Premium(base=premium.base, net=premium.net, vat_permille=premium.vat_permille, vat=premium.vat,
                           total=premium.total,
                           factors=[pb.AppliedFactor(input=f.input, value=_text(f.value), per_mille=f.per_mille) for f in premium.factors]),
        coverages=[coverage(c) for c in premium.coverages], quoted_on=_date(q.quoted_on), valid_until=_date(q.valid_until),
        renewal_of=q.renewal_of or "", status=q.status, policy_id=q.policy_id or "", version=q.version,
    )


def endorsement(e: Endorsement) -> pb.Endorsement:
    changed = e.changes.get("inputs") or {}
    return pb.Endorsement(
        endorsement_id=e.id, effective_date=_date(e.effective_date), changed_inputs={k: _text(v) for k, v in changed.items()},
        insured_ids=list(e.changes.get("insured_ids") or ()), old_premium=e.old_premium, new_premium=e.new_premium,
        premium_delta=e.premium_delta, vat_delta=e.vat_delta, on=_date(e.on), by=e.by,
    )


def cancellation(c: Cancellation | None) -> pb.Cancellation | None:
    if c is None:
        return None
    return pb.Cancellation(reason=c.reason, effective_date=_date(c.effective_date), on=_date(c.on), by=c.by,
                           refund=c.refund, vat_refund=c.vat_refund)


def policy(p: Policy) -> pb.Policy:
    return pb.Policy(
        policy_id=p.id, policy_number=p.policy_number, product_code=p.product_code, holder_id=p.holder_id,
        insured_ids=list(p.insured_ids), agent_id=p.agent_id, branch_code=p.branch_code,
        inputs={k: _text(v) for k, v in p.inputs.items()}, term_start=_date(p.term_start), term_end=_date(p.term_end),
        term_start_jalali=to_jalali(p.term_start), term_end_jalali=to_jalali(p.term_end), expires_at=iso_utc(p.expires_at),
        premium=p.premium, vat_permille=p.vat_permille, premium_charged=p.premium_charged,
        coverages=[coverage(c) for c in p.coverages], status=STATUS_TO_PB[p.status], quote_id=p.quote_id,
        issued_on=_date(p.issued_on), renewal_of=p.renewal_of or "", renewed_by=p.renewed_by or "",
        endorsements=[endorsement(e) for e in p.endorsements], cancellation=cancellation(p.cancellation),
        renewal_notices=[pb.RenewalNotice(term_end=te, days_before_expiry=w) for te, w in sorted(p.renewal_notices)],
        renewal_quote_id=p.renewal_quote_id or "", version=p.version,
    )


def history_entry(p: Policy, h: HistoryEntry) -> pb.HistoryEntry:
    return pb.HistoryEntry(
        policy_id=p.id, policy_number=p.policy_number, kind=h.kind, from_status=h.from_status or "", to_status=h.to_status,
        on=_date(h.on), on_jalali=to_jalali(h.on), by=h.by, reason=h.reason, at=iso_utc(h.at) if h.at else "",
    )
