"""Policy numbers ``<branch code>-<Jalali year>-<000123>``: formatting, parsing and validation."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from peyvand_runtime.domain import ValidationError
from peyvand_runtime.tehran_time import jalali_year, to_ascii_digits

SEQUENCE_DIGITS = 6
MAX_SEQUENCE = 10**SEQUENCE_DIGITS - 1
BRANCH_CODE_RE = re.compile(r"^[A-Z0-9]{2,10}$")
_NUMBER_RE = re.compile(r"^([A-Z0-9]{2,10})-(1[34]\d\d)-(\d{6})$")
# People paste numbers typed on Persian keyboards or copied from Word: normalise the dashes.
_DASHES = str.maketrans({"‐": "-", "‑": "-", "–": "-", "—": "-", "−": "-"})


@dataclass(frozen=True)
class PolicyNumber:
    """A parsed policy number; ``str()`` gives the canonical ASCII form."""

    branch_code: str
    jalali_year: int
    sequence: int

    def __str__(self) -> str:
        return f"{self.branch_code}-{self.jalali_year}-{self.sequence:0{SEQUENCE_DIGITS}d}"


def normalise_branch_code(branch_code: str) -> str:
    """Upper-case ASCII form of a branch code (Persian digits accepted)."""
    return to_ascii_digits((branch_code or "").strip()).upper()


def is_branch_code(branch_code: str) -> bool:
    return bool(BRANCH_CODE_RE.match(normalise_branch_code(branch_code)))


def sequence_key(branch_code: str, issue_date: dt.date) -> str:
    """The counter a repository increments for the next number: one per branch and Jalali year."""
    return f"{normalise_branch_code(branch_code)}-{jalali_year(issue_date)}"


def format_policy_number(branch_code: str, issue_date: dt.date, sequence: int) -> str:
    """``1021-1405-000123``: the Jalali year is that of the Tehran issue date, not the term start."""
    branch = normalise_branch_code(branch_code)
    if not BRANCH_CODE_RE.match(branch):
        raise ValidationError.single("branch_code", "must be 2 to 10 letters or digits")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence <= MAX_SEQUENCE:
        raise ValidationError.single("sequence", f"must be 1 to {MAX_SEQUENCE}")
    return str(PolicyNumber(branch, jalali_year(issue_date), sequence))


def parse_policy_number(text: str, field_name: str = "policy_number") -> PolicyNumber:
    """Parse a policy number typed with Persian, Arabic-Indic or ASCII digits."""
    cleaned = to_ascii_digits((text or "").strip()).translate(_DASHES).upper()
    cleaned = re.sub(r"\s*-\s*", "-", cleaned)
    match = _NUMBER_RE.match(cleaned)
    if not match:
        raise ValidationError.single(field_name, "must look like 1021-1405-000123")
    sequence = int(match.group(3))
    if sequence == 0:
        raise ValidationError.single(field_name, "sequence must not be 000000")
    return PolicyNumber(match.group(1), int(match.group(2)), sequence)


def is_policy_number(text: str) -> bool:
    try:
        parse_policy_number(text)
    except ValidationError:
        return False
    return True
