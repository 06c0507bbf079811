"""Duplicate customers: exact keys checked on create, and a blocked fuzzy scan over the whole book."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from peyvand_runtime.domain import DomainError
from rapidfuzz import fuzz

from peyvand_customer.domain.party import Party
from peyvand_customer.domain.persian import compact_name, name_tokens, normalize_text

DUPLICATE = "CUSTOMER_DUPLICATE"
# Legal-form words every company name shares; blocking on them would put thousands together.
_ORG_FORM_WORDS = frozenset(name_tokens("شرکت موسسه مؤسسه گروه هلدینگ صنعتی صنایع تعاونی سهامی خاص عام مسئولیت محدود و co ltd"))


@dataclass(frozen=True, slots=True)
class DuplicateProfile:
    """The few fields duplicate detection reads, so the adapter can stream a light projection."""

    id: str
    kind: str = "person"
    first_name: str = ""
    last_name: str = ""
    father_name: str = ""
    birth_date: dt.date | None = None
    national_id: str = ""
    org_name: str = ""
    legal_id: str = ""
    mobiles: tuple[str, ...] = ()  # canonical +989…
    emails: tuple[str, ...] = ()  # canonical lower-case
    city: str = ""

    @classmethod
    def from_party(cls, party: Party) -> DuplicateProfile:
        address = party.primary("address")
        return cls(
            id=party.id,
            kind=party.kind,
            first_name=party.first_name,
            last_name=party.last_name,
            father_name=party.father_name,
            birth_date=party.birth_date,
            national_id=party.national_id,
            org_name=party.org_name,
            legal_id=party.legal_id,
            # Primary first: ``exact_keys`` uses the first mobile and email.
            mobiles=tuple(p.value for p in sorted(party.contact_points, key=lambda p: not p.primary) if p.kind == "mobile"),
            emails=tuple(p.value for p in sorted(party.contact_points, key=lambda p: not p.primary) if p.kind == "email"),
            city=address.city if address else "",
        )


PartyLike = Party | DuplicateProfile


@dataclass(slots=True)
class _Prepared:
    """A profile with its matching forms computed once."""

    profile: DuplicateProfile
    name: str
    compact: str
    compact_first: str
    compact_last: str
    father: str
    city: str
    mobiles: frozenset[str]
    emails: frozenset[str]


def _prepare(party: PartyLike) -> _Prepared:
    p = party if isinstance(party, DuplicateProfile) else DuplicateProfile.from_party(party)
    main = (p.org_name,) if p.kind == "organisation" else (p.first_name, p.last_name)
    return _Prepared(
        profile=p,
        name=" ".join(name_tokens(*main)),
        compact=compact_name(*main),
        compact_first=compact_name(p.first_name),
        compact_last=compact_name(p.last_name),
        father=compact_name(p.father_name),
        city=normalize_text(p.city),
        mobiles=frozenset(p.mobiles),
        emails=frozenset(p.emails),
    )


def exact_keys(party: PartyLike) -> dict[str, str]:
    """Keys the store can index and look up on create: national_id, legal_id, mobile, email, name_birth."""
    p = _prepare(party)
    keys = {
        "national_id": p.profile.national_id,
        "legal_id": p.profile.legal_id,
        "mobile": p.profile.mobiles[0] if p.profile.mobiles else "",
        "email": p.profile.emails[0] if p.profile.emails else "",
        "name_birth": f"{p.compact}|{p.profile.birth_date.isoformat()}" if p.compact and p.profile.birth_date else "",
    }
    return {kind: value for kind, value in keys.items() if value}


def _score(a: _Prepared, b: _Prepared) -> tuple[int, tuple[str, ...]]:
    pa, pb = a.profile, b.profile
    if pa.kind != pb.kind:
        return 0, ()
    own_id = "legal_id" if pa.kind == "organisation" else "national_id"
    ida, idb = getattr(pa, own_id), getattr(pb, own_id)
    if ida and ida == idb:
        return 100, (own_id,)
    reasons: list[str] = []
    name = max(fuzz.token_sort_ratio(a.name, b.name), fuzz.ratio(a.compact, b.compact)) if a.compact and b.compact else 0.0
    if name >= 90:
        reasons.append("name")
    shared_contact = [k for k, x, y in (("mobile", a.mobiles, b.mobiles), ("email", a.emails, b.emails)) if x & y]
    reasons += shared_contact
    same_city = bool(a.city) and a.city == b.city
    if pa.kind == "organisation":
        points = 0.6 * name + (30 if shared_contact else 0) + (10 if same_city else 0)
    else:
        # Name + birth date + father's name is how Iranian registries tell people apart; a
        # shared mobile alone is weak (families share one), a different birth date is evidence against.
        points = 0.5 * name + (20 if shared_contact else 0) + (5 if same_city else 0)
        if pa.birth_date and pb.birth_date:
            if pa.birth_date == pb.birth_date:
                points += 25
                reasons.append("birth_date")
            else:
                points -= 15
        if a.father and b.father and fuzz.ratio(a.father, b.father) >= 90:
            points += 10
            reasons.append("father_name")
    if same_city:
        reasons.append("city")
    score = max(0, min(100, round(points)))
    if ida and idb:
        score = min(score, 40)  # two different official ids: different customers
    return score, tuple(reasons)


def explain_pair(a: PartyLike, b: PartyLike) -> tuple[int, tuple[str, ...]]:
    """Similarity 0..100 and the evidence behind it (``name``, ``birth_date``, ``mobile``...)."""
    return _score(_prepare(a), _prepare(b))


def score_pair(a: PartyLike, b: PartyLike) -> int:
    """Similarity 0..100; 85 and above is very likely the same customer."""
    return explain_pair(a, b)[0]


@dataclass(frozen=True)
class DuplicateWarning:
    """A possible duplicate of a candidate: which customer, how similar, and which exact keys matched."""

    customer_id: str
    score: int
    reasons: tuple[str, ...]
    matched_keys: tuple[str, ...]


def find_hard_duplicate(candidate: PartyLike, existing: Iterable[PartyLike]) -> str | None:
    """The id of an existing customer with the same national id or legal id, if any."""
    keys = exact_keys(candidate)
    cid = candidate.id
    for other in existing:
        other_keys = exact_keys(other)
        if other.id != cid and any(keys.get(k) and keys.get(k) == other_keys.get(k) for k in ("national_id", "legal_id")):
            return other.id
    return None


def ensure_no_hard_duplicate(candidate: PartyLike, existing: Iterable[PartyLike]) -> None:
    """Refuse a second customer with the same official id (``CUSTOMER_DUPLICATE``, id in metadata)."""
    found = find_hard_duplicate(candidate, existing)
    if found is not None:
        raise DomainError("a customer with this id already exists", code=DUPLICATE, metadata={"existing_customer_id": found})


def duplicate_warnings(candidate: PartyLike, existing: Iterable[PartyLike], threshold: int = 70) -> list[DuplicateWarning]:
    """Warnings for a new customer, from customers the store found by any of its ``exact_keys``.

    Every exact-key match is reported (a shared mobile may be family, the user decides); fuzzy
    ones only from ``threshold``. Strongest first.
    """
    prepared = _prepare(candidate)
    keys = exact_keys(prepared.profile)
    warnings: dict[str, DuplicateWarning] = {}
    for other in existing:
        if other.id == candidate.id or other.id in warnings:
            continue
        other_prepared = _prepare(other)
        other_keys = exact_keys(other_prepared.profile)
        matched = tuple(k for k, v in keys.items() if other_keys.get(k) == v)
        if not matched and other_prepared.mobiles & prepared.mobiles:
            matched = ("mobile",)
        score, reasons = _score(prepared, other_prepared)
        if matched or score >= threshold:
            warnings[other.id] = DuplicateWarning(other.id, score, reasons, matched)
    return sorted(warnings.values(), key=lambda w: (-w.score, w.customer_id))


def blocking_keys(party: PartyLike) -> list[str]:
    """Keys that put likely duplicates in the same small block (a pair is scored only if it shares one)."""
    return _blocking_keys(_prepare(party))


def _blocking_keys(p: _Prepared) -> list[str]:
    profile = p.profile
    keys = [f"m:{m}" for m in sorted(p.mobiles)] + [f"e:{e}" for e in sorted(p.emails)]
    if profile.kind == "organisation":
        keys += [f"l:{profile.legal_id}"] if profile.legal_id else []
        core = "".join(t for t in name_tokens(profile.org_name) if t not in _ORG_FORM_WORDS)
        keys += [f"o:{core}"] if core else []
        return sorted(set(keys))
    keys += [f"id:{profile.national_id}"] if profile.national_id else []
    if p.compact:
        keys.append(f"n:{p.compact}")  # same full name, any or no birth date
    if profile.birth_date:
        born = profile.birth_date.isoformat()
        # Spelling variants keep the first letters; a typo in one name is caught by the other.
        keys += [f"lb:{p.compact_last[:4]}|{born}", f"fb:{p.compact_first[:3]}|{born}"]
    return sorted(set(keys))


@dataclass
class ScanStats:
    """What a scan skipped: blocks above ``max_block`` are too unspecific to compare pairwise."""

    profiles: int = 0
    blocks: int = 0
    oversized_blocks: int = 0
    pairs_scored: int = 0
    oversized_keys: list[str] = field(default_factory=list)


def scan(
    parties: Iterable[PartyLike], threshold: int = 85, max_block: int = 200, stats: ScanStats | None = None
) -> Iterator[tuple[str, str, int, tuple[str, ...]]]:
    """Yield ``(id_a, id_b, score, reasons)`` for likely duplicates, each pair once (``id_a < id_b``).

    Only pairs sharing a blocking key are compared, and each pair only in the first block (by
    key order) they share, so no pair is scored twice. Memory: one small record per profile.
    """
    stats = stats if stats is not None else ScanStats()
    prepared: list[_Prepared] = []
    keys: list[list[str]] = []
    blocks: dict[str, list[int]] = {}
    for party in parties:
        p = _prepare(party)
        prepared.append(p)
        keys.append(_blocking_keys(p))
        for key in keys[-1]:
            blocks.setdefault(key, []).append(len(prepared) - 1)
    stats.profiles = len(prepared)
    usable = {k for k, members in blocks.items() if 2 <= len(members) <= max_block}
    stats.oversized_keys = sorted(k for k, members in blocks.items() if len(members) > max_block)
    stats.oversized_blocks, stats.blocks = len(stats.oversized_keys), len(usable)
    for key in sorted(usable):
        members = blocks[key]
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                first_shared = next(k for k in keys[i] if k in usable and k in keys[j])
                if first_shared != key:
                    continue
                stats.pairs_scored += 1
                score, reasons = _score(prepared[i], prepared[j])
                if score >= threshold:
                    a, b = sorted((prepared[i].profile.id, prepared[j].profile.id))
                    yield a, b, score, reasons
