"""Iranian identifiers and contact values: validation and one canonical form each (messages never echo input)."""

from __future__ import annotations

import re

from peyvand_runtime.tehran_time import to_ascii_digits

# Separators people type or spreadsheets add inside numbers; bidi marks come from RTL copy-paste.
_NUMBER_NOISE = re.compile(r"[\s\-_.()/\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")

_LEGAL_ID_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)

# Mobile numbers: 9 then an operator digit 0-3 or 9 (MCI 91x/99x, Irancell 90x/93x,
# Rightel 92x, MVNOs 93x/99x), then 8 digits.
_MOBILE_RE = re.compile(r"^9[0-39]\d{8}$")
# Landlines: a two-digit area code (11..87, first digit 1-8) and an 8-digit subscriber number
# that does not start with 0.
_LANDLINE_RE = re.compile(r"^[1-8]\d[1-9]\d{7}$")

_EMAIL_LOCAL_RE = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_EMAIL_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def digits_only(text: str | None) -> str:
    """ASCII digits of ``text`` with separators and RTL marks removed (other characters kept)."""
    return _NUMBER_NOISE.sub("", to_ascii_digits(text or ""))


def national_id_check_digit(first_nine: str) -> int:
    """The check digit that completes a 9-digit کد ملی prefix."""
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(first_nine)) % 11
    return remainder if remainder < 2 else 11 - remainder


def validate_national_id(text: str | None, *, pad_leading_zeros: bool = False) -> str:
    """A valid 10-digit national id (کد ملی) in ASCII digits, or ``ValueError``.

    ``pad_leading_zeros`` restores the zeros spreadsheets drop (8 or 9 digits → 10); only the
    importer turns it on, a person typing into a form must give all ten digits.
    """
    value = digits_only(text)
    if pad_leading_zeros and value.isdigit() and 8 <= len(value) < 10:
        value = value.zfill(10)
    if len(value) != 10 or not value.isdigit():
        raise ValueError("national id must be 10 digits")
    if len(set(value)) == 1:
        raise ValueError("national id is not valid")
    if int(value[9]) != national_id_check_digit(value[:9]):
        raise ValueError("national id check digit does not match")
    return value


def legal_id_check_digit(first_ten: str) -> int:
    """The check digit that completes a 10-digit شناسه ملی prefix."""
    decimal = int(first_ten[9]) + 2
    total = sum((decimal + int(d)) * w for d, w in zip(first_ten, _LEGAL_ID_WEIGHTS, strict=True))
    remainder = total % 11
    return 0 if remainder == 10 else remainder


def validate_legal_id(text: str | None) -> str:
    """A valid 11-digit legal-entity national id (شناسه ملی), or ``ValueError``.

    Also refuses ids whose six-digit serial (digits 4-9) is all zeros, as the registry never
    issues those.
    """
    value = digits_only(text)
    if len(value) != 11 or not value.isdigit():
        raise ValueError("legal id must be 11 digits")
    if len(set(value)) == 1 or value[3:9] == "000000":
        raise ValueError("legal id is not valid")
    if int(value[10]) != legal_id_check_digit(value[:10]):
        raise ValueError("legal id check digit does not match")
    return value


def validate_economic_code(text: str | None) -> str:
    """An economic code (کد اقتصادی) for an organisation, or ``ValueError``.

    Two forms are accepted: the legacy 12-digit code (no public check digit, so only its shape
    is checked) and, since the tax administration moved legal entities onto their national id
    (1398), an 11-digit شناسه ملی, which must then pass the legal-id check.
    """
    value = digits_only(text)
    if len(value) == 11 and value.isdigit():
        try:
            return validate_legal_id(value)
        except ValueError:
            raise ValueError("economic code is not a valid legal id") from None
    if len(value) != 12 or not value.isdigit():
        raise ValueError("economic code must be 12 digits (or an 11-digit legal id)")
    if len(set(value)) == 1:
        raise ValueError("economic code is not valid")
    return value


def _national_number(text: str | None) -> str:
    """The number without country prefix or trunk zero (``9121234567``, ``2188888888``)."""
    value = digits_only(text)
    if value.startswith("+"):
        value = value[1:]
        if not value.startswith("98"):
            raise ValueError("only Iranian numbers (+98) are accepted")
        value = value[2:]
    elif value.startswith("0098"):
        value = value[4:]
    elif value.startswith("98") and len(value) == 12:
        value = value[2:]
    if value.startswith("0"):
        value = value[1:]
    if not value.isdigit():
        raise ValueError("phone number may only contain digits")
    return value


def normalize_mobile(text: str | None) -> str:
    """An Iranian mobile number in E.164 form ``+989xxxxxxxxx``, or ``ValueError``."""
    value = _national_number(text)
    if not _MOBILE_RE.match(value):
        raise ValueError("not an Iranian mobile number")
    return "+98" + value


def normalize_landline(text: str | None) -> str:
    """An Iranian landline with its area code in E.164 form (``021-88888888`` → ``+982188888888``)."""
    value = _national_number(text)
    if len(value) == 8:
        raise ValueError("landline number needs its area code")
    if not _LANDLINE_RE.match(value):
        raise ValueError("not an Iranian landline number")
    return "+98" + value


def normalize_email(text: str | None) -> str:
    """A trimmed, lower-cased email address with a plausible shape, or ``ValueError``.

    Deliberately ASCII only (internationalised addresses are rare here and break many SMTP
    relays); the domain needs a dot and an alphabetic top-level label.
    """
    value = (text or "").strip().strip("\u200e\u200f\ufeff").lower()
    if not value or len(value) > 254 or value.count("@") != 1:
        raise ValueError("not an email address")
    local, domain = value.split("@")
    if not local or len(local) > 64 or not _EMAIL_LOCAL_RE.match(local):
        raise ValueError("email local part is not valid")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_EMAIL_LABEL_RE.match(label) for label in labels):
        raise ValueError("email domain is not valid")
    if not labels[-1].isalpha() or len(labels[-1]) < 2:
        raise ValueError("email domain is not valid")
    return value


def validate_postal_code(text: str | None) -> str:
    """A 10-digit Iranian postal code, or ``ValueError``.

    Rule (conservative, from Iran Post's numbering): the first five digits never use 0 or 2,
    the fifth digit is never 5, and the code is not one digit repeated. The popular regex also
    forbids 2 in the last five digits; that is not enforced, to avoid refusing real addresses.
    """
    value = digits_only(text)
    if len(value) != 10 or not value.isdigit():
        raise ValueError("postal code must be 10 digits")
    if len(set(value)) == 1:
        raise ValueError("postal code is not valid")
    if any(d in "02" for d in value[:5]) or value[4] == "5":
        raise ValueError("postal code is not valid")
    return value
