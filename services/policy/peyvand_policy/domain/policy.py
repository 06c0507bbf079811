"""The Policy aggregate: issue, endorse, renew, lapse, cancel and renewal notices, with events and history."""

# Money rules (integer rials, per term):
# - ``premium`` is the net premium for a full term at the current rate; ``premium_charged``
#   is what has been billed net so far (issue premium plus endorsement deltas).
# - Endorsement delta = (new − old) × remaining_days / term_days, rounded UP to the rial
#   (towards +∞: an extra charge rounds up, a return rounds towards zero). VAT on the
#   delta follows the same rule.
# - Cancellation refund = premium × remaining_days / term_days, rounded DOWN to the rial;
#   its VAT refund is rounded down too. Both favour the insurer by under one rial.
# remaining_days counts from the effective date (the first day of the change, or the first
# day without cover) to the end date, both included.

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from peyvand_runtime.domain import Aggregate, InvalidTransition, ValidationError, Violations
from peyvand_runtime.ids import is_id, new_id
from peyvand_runtime.tehran_time import expiry_instant

from .lifecycle import HISTORY_KIND, Cancellation, Command, Endorsement, HistoryEntry, PolicyStatus, next_status
from .numbering import parse_policy_number
from .policy_events import refs as event_refs
from .policy_events import renewed_payload
from .policy_events import snapshot as event_snapshot
from .product_model import CoverageLine
from .products import get_product
from .quote import Quote
from .renewal import DEFAULT_WINDOWS, due_window, iso_utc, renewal_due_payload
from .terms import pro_rata, remaining_days, round_down, round_up, term_days

ENDORSABLE = ("inputs", "insured_ids")


@dataclass(kw_only=True)
class Policy(Aggregate):
    """One term of cover. A renewal is a new Policy linked by ``renewal_of``/``renewed_by``."""

    policy_number: str
    product_code: str
    holder_id: str
    insured_ids: tuple[str, ...]
    agent_id: str
    branch_code: str
    inputs: dict[str, Any]
    term_start: dt.date
    term_end: dt.date
    premium: int
    vat_permille: int
    premium_charged: int
    coverages: tuple[CoverageLine, ...]
    quote_id: str
    issued_on: dt.date
    status: PolicyStatus = "active"
    renewal_of: str | None = None
    renewed_by: str | None = None
    renewal_notices: set[tuple[str, int]] = field(default_factory=set)  # (term_end ISO, window)
    endorsements: list[Endorsement] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    cancellation: Cancellation | None = None
    renewal_quote_id: str | None = None  # the latest renewal quote offered by a notice

    # ---- issue and renew -------------------------------------------------------------

    @classmethod
    def issue(cls, quote: Quote, policy_number: str, today: dt.date, by: str, *,
              at: dt.datetime | None = None, policy_id: str | None = None) -> Policy:
        """Issue a new-business policy from an open quote (``QUOTE_EXPIRED`` when it lapsed)."""
        quote.ensure_usable(today)
        if quote.renewal_of is not None:
            raise ValidationError.single("quote_id", "is a renewal quote: renew the policy instead")
        return cls._from_quote(quote, policy_number, today, by, at, policy_id, reason="")

    @classmethod
    def _from_quote(cls, quote: Quote, policy_number: str, today: dt.date, by: str,
                    at: dt.datetime | None, policy_id: str | None, reason: str) -> Policy:
        number = parse_policy_number(policy_number)
        if number.branch_code != quote.branch_code:
            raise ValidationError.single("policy_number", "must carry the quote's branch code")
        policy = cls(
            id=policy_id or new_id("pol"),
            policy_number=str(number),
            product_code=quote.product_code,
            holder_id=quote.holder_id,
            insured_ids=tuple(quote.insured_ids),
            agent_id=quote.agent_id,
            branch_code=quote.branch_code,
            inputs=dict(quote.inputs),
            term_start=quote.term_start,
            term_end=quote.term_end,
            premium=quote.premium.net,
            vat_permille=quote.premium.vat_permille,
            premium_charged=quote.premium.net,
            coverages=tuple(quote.premium.coverages),
            quote_id=quote.id,
            issued_on=today,
            renewal_of=quote.renewal_of,
        )
        quote.mark_used(policy.id, today)
        policy.history.append(HistoryEntry("issued", None, "active", today, by, reason, at))
        policy.record("policy.issued", policy.snapshot())
        return policy

    def renew(self, renewal_quote: Quote, new_number: str, today: dt.date, by: str, *,
              at: dt.datetime | None = None, new_policy_id: str | None = None) -> Policy:
        """Issue the next term from a renewal quote; this policy becomes ``renewed``.

        Records ``policy.renewed`` on this (old) policy and ``policy.issued`` on the new one;
        the service saves both in one transaction.
        """
        target = self._allow("renew", today)
        renewal_quote.ensure_usable(today)
        violations = Violations()
        if renewal_quote.renewal_of != self.id or renewal_quote.product_code != self.product_code:
            violations.add("quote_id", "is not a renewal quote for this policy")
        if renewal_quote.term_start != self.term_end + dt.timedelta(days=1):
            violations.add("term_start", "must be the day after the current term ends")
        violations.raise_if_any()
        new = type(self)._from_quote(renewal_quote, new_number, today, by, at, new_policy_id,
                                     reason=f"renewal of {self.policy_number}")
        self._move(target, "renew", today, by, f"renewed by {new.policy_number}", at)
        self.renewed_by = new.id
        self.record("policy.renewed", renewed_payload(self, new, renewal_quote))
        return new

    def mark_renewed(self, new: Policy, renewal_quote: Quote, today: dt.date, by: str, *,
                     at: dt.datetime | None = None) -> None:
        """Finish a renewal whose next term is already stored (a re-run after a crash between
        the two writes). Allowed after expiry: the renewal was decided while the term ran."""
        target = next_status(self.status, "renew", self.id)
        if new.renewal_of != self.id or renewal_quote.id != new.quote_id:
            raise ValidationError.single("quote_id", "is not a renewal quote for this policy")
        self._move(target, "renew", today, by, f"renewed by {new.policy_number}", at)
        self.renewed_by = new.id
        self.record("policy.renewed", renewed_payload(self, new, renewal_quote))

    # ---- mid-term changes ------------------------------------------------------------

    def inputs_after(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Rating inputs once ``changes`` apply: price these to get ``new_annual_premium``."""
        return {**self.inputs, **dict(changes.get("inputs") or {})}

    def endorse(self, changes: Mapping[str, Any], effective_date: dt.date, new_annual_premium: int,
                today: dt.date, by: str, *, at: dt.datetime | None = None,
                endorsement_id: str | None = None) -> Endorsement:
        """Change inputs or insured people from ``effective_date``; bills the pro-rata difference."""
        target = self._allow("endorse", today)
        violations = Violations()
        if not changes:
            violations.add("changes", "nothing to change")
        for key in sorted(set(changes) - set(ENDORSABLE)):
            violations.add(f"changes.{key}", "cannot be changed by endorsement")
        changed_inputs = changes.get("inputs") or {}
        if not isinstance(changed_inputs, Mapping):
            violations.add("changes.inputs", "must map rating input names to values")
            changed_inputs = {}
        product = get_product(self.product_code)
        values = product.check_inputs({**self.inputs, **changed_inputs}, violations, prefix="changes.inputs")
        insured = self.insured_ids
        if "insured_ids" in changes:
            insured = _check_insured(changes["insured_ids"], violations)
        if "insured_count" in values and values["insured_count"] != len(insured):
            violations.add("changes.inputs.insured_count", "must equal the number of insured_ids")
        self._check_effective_date(effective_date, today, violations)
        if isinstance(new_annual_premium, bool) or not isinstance(new_annual_premium, int) or new_annual_premium <= 0:
            violations.add("new_annual_premium", "must be a whole number of rials above zero")
        violations.raise_if_any()

        share = pro_rata(new_annual_premium - self.premium, remaining_days(effective_date, self.term_end),
                         term_days(self.term_start, self.term_end))
        delta = round_up(share)
        endorsement = Endorsement(
            id=endorsement_id or new_id("end"),
            effective_date=effective_date,
            changes={**({"inputs": {k: values[k] for k in changed_inputs}} if changed_inputs else {}),
                     **({"insured_ids": list(insured)} if "insured_ids" in changes else {})},
            old_premium=self.premium,
            new_premium=new_annual_premium,
            premium_delta=delta,
            vat_delta=round_up(Fraction(delta * self.vat_permille, 1000)),
            on=today,
            by=by,
        )
        self.inputs = dict(values)
        self.insured_ids = insured
        self.coverages = product.coverage_lines(values)
        self.premium = new_annual_premium
        self.premium_charged += delta
        self.endorsements.append(endorsement)
        self._move(target, "endorse", today, by, endorsement.id, at)
        self.record("policy.endorsed", {**self._refs(), **endorsement.to_dict(),
                                        "premium_charged": self.premium_charged,
                                        "coverages": [c.to_dict() for c in self.coverages]})
        return endorsement

    def cancel(self, reason: str, effective_date: dt.date, today: dt.date, by: str, *,
               at: dt.datetime | None = None) -> Cancellation:
        """Stop cover from ``effective_date`` (its first day without cover); refund unearned premium."""
        target = self._allow("cancel", today)
        violations = Violations()
        reason = (reason or "").strip()
        if not reason:
            violations.add("reason", "is required")
        elif len(reason) > 500:
            violations.add("reason", "must be at most 500 characters")
        self._check_effective_date(effective_date, today, violations)
        violations.raise_if_any()

        unearned = pro_rata(self.premium, remaining_days(effective_date, self.term_end),
                            term_days(self.term_start, self.term_end))
        refund = min(round_down(unearned), self.premium_charged)
        cancellation = Cancellation(reason, effective_date, today, by, refund,
                                    round_down(Fraction(refund * self.vat_permille, 1000)))
        self.cancellation = cancellation
        self._move(target, "cancel", today, by, reason, at)
        self.record("policy.cancelled", {**self._refs(), **cancellation.to_dict(),
                                         "refund_total": cancellation.refund + cancellation.vat_refund,
                                         "term_end": self.term_end.isoformat()})
        return cancellation

    def lapse(self, today: dt.date, by: str = "system", *, at: dt.datetime | None = None) -> None:
        """Close an unrenewed term once it has expired (today after the end date, Tehran)."""
        target = next_status(self.status, "lapse", self.id)
        if not self.is_expired(today):
            raise InvalidTransition("the term has not expired yet", code="POLICY_INVALID_TRANSITION",
                                    metadata={"policy_id": self.id, "term_end": self.term_end.isoformat()})
        self._move(target, "lapse", today, by, "not renewed before expiry", at)
        self.record("policy.lapsed", {**self._refs(), "term_end": self.term_end.isoformat(),
                                      "expired_at": iso_utc(expiry_instant(self.term_end)),
                                      "lapsed_on": today.isoformat()})

    # ---- renewal notices ---------------------------------------------------------------

    def emitted_windows(self) -> set[int]:
        """Windows already notified for the current term."""
        end = self.term_end.isoformat()
        return {window for term_end, window in self.renewal_notices if term_end == end}

    def due_renewal_window(self, today: dt.date, windows: Collection[int] = DEFAULT_WINDOWS) -> int | None:
        """The notice due today (see ``renewal.due_window``); None unless active and renewable."""
        if self.status != "active" or not get_product(self.product_code).renewable:
            return None
        return due_window(self.term_end, today, windows, self.emitted_windows())

    def mark_renewal_notice(self, window: int, term_end: dt.date) -> bool:
        """Remember that ``window`` was notified for this term; False when it already was."""
        next_status(self.status, "notify_renewal", self.id)
        if term_end != self.term_end:
            raise ValidationError.single("term_end", "is not the end of the current term")
        if isinstance(window, bool) or not isinstance(window, int) or window < 0:
            raise ValidationError.single("days_before_expiry", "must be zero or more days")
        key = (term_end.isoformat(), window)
        if key in self.renewal_notices:
            return False
        self.renewal_notices.add(key)
        return True

    def notify_renewal_due(self, today: dt.date, renewal_quote: Quote,
                           windows: Collection[int] = DEFAULT_WINDOWS) -> int | None:
        """Mark today's due window and record ``policy.renewal_due``; None when nothing is due."""
        window = self.due_renewal_window(today, windows)
        if window is None:
            return None
        if renewal_quote.renewal_of != self.id:
            raise ValidationError.single("renewal_quote_id", "is not a renewal quote for this policy")
        if not self.mark_renewal_notice(window, self.term_end):
            return None
        self.renewal_quote_id = renewal_quote.id
        self.record("policy.renewal_due", renewal_due_payload(self, window, renewal_quote))
        return window

    # ---- customer merge ---------------------------------------------------------------

    def repoint_customer(self, old_id: str, new_id: str) -> bool:
        """After ``customer.merged``: the surviving id replaces the merged one; True if changed."""
        if not is_id(old_id, "cus") or not is_id(new_id, "cus") or old_id == new_id:
            raise ValidationError.single("customer_id", "a merge needs two different customer ids")
        if old_id != self.holder_id and old_id not in self.insured_ids:
            return False
        roles = [role for role, hit in (("holder", old_id == self.holder_id), ("insured", old_id in self.insured_ids)) if hit]
        if self.holder_id == old_id:
            self.holder_id = new_id
        insured = [new_id if c == old_id else c for c in self.insured_ids]
        self.insured_ids = tuple(dict.fromkeys(insured))  # both were insured: keep one
        self.record("policy.customer_repointed", {"policy_id": self.id, "policy_number": self.policy_number,
                                                  "old_customer_id": old_id, "new_customer_id": new_id,
                                                  "roles": roles})
        return True

    # ---- reading --------------------------------------------------------------------

    def is_expired(self, today: dt.date) -> bool:
        """A term ending on D expires at 24:00 Tehran on D: expired from D + 1."""
        return today > self.term_end

    @property
    def expires_at(self) -> dt.datetime:
        return expiry_instant(self.term_end)

    def snapshot(self) -> dict[str, Any]:
        """The full state consumers need (the ``policy.issued`` payload)."""
        return event_snapshot(self)

    # ---- internals -------------------------------------------------------------------

    def _refs(self) -> dict[str, Any]:
        return event_refs(self)

    def _allow(self, command: Command, today: dt.date) -> PolicyStatus:
        """Table check, then: once the term has expired only ``lapse`` is left."""
        target = next_status(self.status, command, self.id)
        if self.is_expired(today):
            raise InvalidTransition("the term has expired", code="POLICY_INVALID_TRANSITION",
                                    metadata={"policy_id": self.id, "command": command})
        return target

    def _move(self, target: PolicyStatus, command: Command, today: dt.date, by: str, reason: str,
              at: dt.datetime | None) -> None:
        self.history.append(HistoryEntry(HISTORY_KIND[command], self.status, target, today, by, reason, at))
        self.status = target

    def _check_effective_date(self, effective_date: dt.date, today: dt.date, violations: Violations) -> None:
        earliest = max(self.term_start, today)
        if self.endorsements:
            earliest = max(earliest, self.endorsements[-1].effective_date)
        if not earliest <= effective_date <= self.term_end:
            violations.add("effective_date", f"must be between {earliest.isoformat()} and {self.term_end.isoformat()}")


def _check_insured(raw: Any, violations: Violations) -> tuple[str, ...]:
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        violations.add("changes.insured_ids", "must be a list of customer ids")
        return ()
    insured = tuple(raw)
    if not insured:
        violations.add("changes.insured_ids", "at least one insured customer is required")
    for index, customer_id in enumerate(insured):
        if not is_id(customer_id, "cus"):
            violations.add(f"changes.insured_ids[{index}]", "must be a customer id")
        elif customer_id in insured[:index]:
            violations.add(f"changes.insured_ids[{index}]", "is listed twice")
    return insured
