"""Deterministic realistic customer rows (CSV importer columns) with planted near-duplicates."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import TypeVar

import jdatetime
from peyvand_runtime.tehran_time import to_jalali

from peyvand_customer.demo import names
from peyvand_customer.domain.csv_rows import EXPORT_COLUMNS, parse_date
from peyvand_customer.domain.identifiers import legal_id_check_digit

T = TypeVar("T")
_FIRST_BIRTH = dt.date(1940, 1, 1).toordinal()
_LAST_BIRTH = dt.date(2006, 12, 31).toordinal()
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_POSTAL_HEAD = "13456789"
_POSTAL_TAIL = "013456789"
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")  # reserved: demo mail never reaches anyone
_CITY_CHOICES = list(itertools.chain.from_iterable([city] * city[3] for city in names.CITIES))
_MOBILE_CHOICES = list(itertools.chain.from_iterable([prefix] * weight for prefix, weight in names.MOBILE_PREFIXES))
_POOL = 500
_MALE, _LAST = names.MALE_FIRST_NAMES, names.LAST_NAMES
_COMPOUND_FIRST = {
    "محمدرضا": ("محمد\u200cرضا", "محمد رضا"),
    "علیرضا": ("علی\u200cرضا", "علی رضا"),
    "امیرحسین": ("امیر حسین",),
    "محمدعلی": ("محمد علی",),
    "امیرمحمد": ("امیر محمد",),
}


@lru_cache(maxsize=1)
def _tables() -> tuple[list[tuple[str, str]], list[str], list[str], list[list[int]]]:
    """Lookup tables built once (~0.5 s): per-row jdatetime and digit loops are too slow for 1M rows.

    Birth dates as (ISO, Jalali) for every day 1940..2006; every valid postal-code head and
    tail; weighted national-id sums of each three-digit group.
    """
    births = [
        (day.isoformat(), jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d"))
        for day in (dt.date.fromordinal(o) for o in range(_FIRST_BIRTH, _LAST_BIRTH + 1))
    ]
    heads = ["".join(p) for p in itertools.product(_POSTAL_HEAD, repeat=4)]
    heads = [h + d for h in heads for d in _POSTAL_HEAD if d != "5"]
    tails = ["".join(p) for p in itertools.product(_POSTAL_TAIL, repeat=5)]
    weights = [[sum(int(d) * (10 - (3 * g + i)) for i, d in enumerate(f"{k:03d}")) for k in range(1000)] for g in range(3)]
    return births, heads, tails, weights


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    # ``rng.random()`` is one C call; ``rng.choice`` costs several Python frames per pick.
    return seq[int(rng.random() * len(seq))]


def _national_id_from(head: int) -> str:
    """The کد ملی whose first nine digits are ``head`` (0 ≤ head < 10**9)."""
    weights = _tables()[3]
    a, b, c = head // 1_000_000, head // 1000 % 1000, head % 1000
    remainder = (weights[0][a] + weights[1][b] + weights[2][c]) % 11
    return f"{head:09d}{remainder if remainder < 2 else 11 - remainder}"


def national_id(rng: random.Random) -> str:
    """A random valid کد ملی (never one repeated digit)."""
    while True:
        value = _national_id_from(int(rng.random() * 10**9))
        if len(set(value)) > 1:
            return value


def _legal_id_from(serial: int) -> str:
    """The شناسه ملی ``10`` + eight digits from ``serial`` (0 ≤ serial < 9 * 10**7)."""
    head = f"10{10**7 + serial:08d}"
    return head + str(legal_id_check_digit(head))


def legal_id(rng: random.Random) -> str:
    """A random valid شناسه ملی (1 then nine digits; serial part never all zeros)."""
    while True:
        value = _legal_id_from(int(rng.random() * 9 * 10**7))
        if value[3:9] != "000000":
            return value


class _UniqueIds:
    """National and legal ids that never repeat within a run, without remembering them.

    Random ids collide (the birthday paradox gives ~20 shared national ids in 200k rows, and
    the importer would refuse them), so ids come from a counter through a fixed bijection:
    multiplying by a number coprime to the id space, plus a per-seed offset.
    """

    def __init__(self, rng: random.Random) -> None:
        self._national_offset, self._legal_offset = int(rng.random() * 10**9), int(rng.random() * 9 * 10**7)
        self._national_count = self._legal_count = 0

    def national(self) -> str:
        while True:
            self._national_count += 1
            value = _national_id_from((self._national_count * 738_219_451 + self._national_offset) % 10**9)
            if len(set(value)) > 1:  # skipping a counter value keeps the rest unique
                return value

    def legal(self) -> str:
        while True:
            self._legal_count += 1
            value = _legal_id_from((self._legal_count * 7_919_033 + self._legal_offset) % (9 * 10**7))
            if value[3:9] != "000000":
                return value


def postal_code(rng: random.Random) -> str:
    """A postal code that also passes the strict popular regex (no 0/2 early, no 2 late, 5th not 5)."""
    _, heads, tails, _ = _tables()
    return _pick(rng, heads) + _pick(rng, tails)


def mobile(rng: random.Random) -> str:
    """``09xxxxxxxxx`` on a real operator prefix."""
    return f"0{_pick(rng, _MOBILE_CHOICES)}{int(rng.random() * 10**7):07d}"


def _typed_mobile(rng: random.Random, number: str) -> str:
    """The same number the way people and spreadsheets write it."""
    roll = rng.random()
    if roll < 0.85:
        return number
    if roll < 0.90:
        return "+98" + number[1:]
    if roll < 0.95:
        return f"{number[:4]} {number[4:7]} {number[7:]}"
    return number.translate(_PERSIAN)


def _variant(rng: random.Random, name: str) -> str:
    """A spelling of ``name`` a careless clerk could type: Arabic letters, ZWNJ/space, tatweel."""
    if name in _COMPOUND_FIRST:
        return _pick(rng, _COMPOUND_FIRST[name])
    if "\u200c" in name:
        return name.replace("\u200c", _pick(rng, ("", " ")))
    if "ی" in name or "ک" in name:
        return name.replace("ی", "\u064a").replace("ک", "\u0643")
    return name[:1] + "\u0640" + name[1:] if len(name) > 2 else name + "\u200f"


def _person(rng: random.Random, ids: _UniqueIds, row: dict[str, str]) -> None:
    r = rng.random  # hot path: one C call per random pick
    female = r() < 0.48
    given = names.FEMALE_FIRST_NAMES if female else names.MALE_FIRST_NAMES
    first, first_latin = given[int(r() * len(given))]
    last, last_latin = _LAST[int(r() * len(_LAST))]
    births = _tables()[0]
    iso, jalali = births[int(r() * len(births))]
    row["kind"], row["first_name"], row["last_name"] = "person", first, last
    row["father_name"] = _MALE[int(r() * len(_MALE))][0]
    row["national_id"] = ids.national()
    row["birth_date"] = jalali if r() < 0.7 else iso
    row["gender"] = "female" if female else "male"
    if r() < 0.35:
        row["email"] = f"{first_latin}.{last_latin}{int(r() * 1000)}@{_EMAIL_DOMAINS[int(r() * 3)]}"
    roll = r()
    row["roles"] = (
        "policyholder;insured" if roll < 0.6 else "prospect" if roll < 0.85 else "insured" if roll < 0.95 else "payer;beneficiary"
    )


def _organisation(rng: random.Random, ids: _UniqueIds, row: dict[str, str]) -> None:
    lid = ids.legal()
    row.update(
        kind="organisation",
        org_name=f"{_pick(rng, names.COMPANY_PREFIXES)} {_pick(rng, names.COMPANY_CORES)} {_pick(rng, names.COMPANY_SUFFIXES)}",
        legal_id=lid,
        economic_code=lid if rng.random() < 0.7 else "",
        email=f"info{int(rng.random() * 10**5)}@{_pick(rng, _EMAIL_DOMAINS)}",
        roles="policyholder;payer",
    )


def generate_parties(
    n: int,
    seed: int,
    agents: Sequence[str] = (),
    branches: Sequence[str] = (),
    *,
    duplicate_rate: float = 0.02,
    organisation_rate: float = 0.05,
    prefix: str = "C",
    with_truth: bool = False,
) -> Iterator[dict[str, str]]:
    """``n`` rows keyed by ``csv_rows.EXPORT_COLUMNS`` (all strings), the same for the same seed.

    About ``duplicate_rate`` of rows re-enter an earlier person (spelling variant, no national
    id, same birth date and father, usually the same mobile); ``with_truth`` adds
    ``_duplicate_of`` (the original's customer_number), which the importer ignores (write CSV
    with ``csv.DictWriter(f, EXPORT_COLUMNS, extrasaction="ignore")`` to drop it). An agent
    always works in the same branch (agent i → branch i mod len(branches)). Emails use the
    reserved example.* domains; mobiles are random numbers on real prefixes, so never send
    real SMS to demo data.
    """
    rng = random.Random(seed)
    r = rng.random
    ids = _UniqueIds(rng)
    blank = dict.fromkeys(EXPORT_COLUMNS, "")
    # Re-entered customers come from a pool of recent persons, so duplicates are not adjacent.
    recent: list[dict[str, str]] = []
    for index in range(n):
        number = f"{prefix}{index + 1:08d}"
        if recent and r() < duplicate_rate:
            yield _duplicate(rng, recent.pop(int(r() * len(recent))), number, with_truth)
            continue
        row = dict(blank)
        row["customer_number"] = number
        if r() < organisation_rate:
            _organisation(rng, ids, row)
        else:
            _person(rng, ids, row)
        city, province, area, _ = _CITY_CHOICES[int(r() * len(_CITY_CHOICES))]
        row["mobile"], row["city"], row["province"] = _typed_mobile(rng, mobile(rng)), city, province
        if row["kind"] == "organisation" or r() < 0.3:
            row["landline"] = f"0{area}{2 * 10**7 + int(r() * 8 * 10**7)}"
        if r() < 0.6:
            street = names.STREETS[int(r() * len(names.STREETS))]
            row["address"] = f"خیابان {street}، کوچه {1 + int(r() * 39)}، پلاک {1 + int(r() * 299)}"
            row["postal_code"] = postal_code(rng)
        if agents:
            agent = int(r() * len(agents))
            row["agent_id"] = agents[agent]
            row["branch_code"] = branches[agent % len(branches)] if branches else ""
        roll = r()
        row["preferred_channel"] = "email" if roll < 0.1 and row["email"] else "phone" if roll < 0.17 else "push" if roll < 0.2 else "sms"
        row["language"] = "en" if r() < 0.03 else "fa"
        roll = r()
        row["consent_sms_marketing"] = "yes" if roll < 0.6 else "no" if roll < 0.8 else ""
        if row["email"]:
            row["consent_email_marketing"] = "yes" if r() < 0.5 else "no"
        if r() < 0.15:
            row["tags"] = names.TAGS[int(r() * len(names.TAGS))]
        if row["kind"] == "person":  # a copy: the caller may change the row it receives
            if len(recent) < _POOL:
                recent.append(dict(row))
            else:
                recent[int(r() * _POOL)] = dict(row)
        yield row


def _duplicate(rng: random.Random, original: dict[str, str], number: str, with_truth: bool) -> dict[str, str]:
    """The same person entered again by someone else: a prospect without national id."""
    row = dict(original)
    row.update(customer_number=number, national_id="", roles="prospect", consent_sms_marketing="", tags="")
    if rng.random() < 0.5:
        row["first_name"] = _variant(rng, original["first_name"])
    else:
        row["last_name"] = _variant(rng, original["last_name"])
    if rng.random() < 0.5:  # the other clerk typed the birth date in the other calendar
        born = parse_date(original["birth_date"])
        row["birth_date"] = born.isoformat() if "/" in original["birth_date"] else to_jalali(born)
    if rng.random() < 0.3:
        row["mobile"] = mobile(rng)  # new number: name, birth date and father must carry the match
    if rng.random() < 0.5:
        row["email"], row["consent_email_marketing"] = "", ""
    if with_truth:
        row["_duplicate_of"] = original["customer_number"]
    return row
