"""Customer CSV import/export: column spec with Persian headers, row parsing and export rows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from peyvand_runtime.domain import FieldViolation
from peyvand_runtime.tehran_time import parse_jalali, to_ascii_digits, to_jalali

from peyvand_customer.domain.commands import ConsentInput, ContactPointInput, CreatePartyCommand
from peyvand_customer.domain.identifiers import digits_only
from peyvand_customer.domain.persian import compact_name
from peyvand_customer.domain.validation import validate_create

# Canonical column → accepted header spellings (matched after Persian normalisation, so
# "نام خانوادگي", "نام‌خانوادگی" and "نام خانوادگی" are one header).
COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_number": ("شماره مشتری", "کد مشتری"),
    "kind": ("نوع", "نوع مشتری", "نوع شخص"),
    "first_name": ("نام",),
    "last_name": ("نام خانوادگی", "فامیلی"),
    "father_name": ("نام پدر",),
    "national_id": ("کد ملی", "شماره ملی"),
    "birth_date": ("تاریخ تولد",),
    "gender": ("جنسیت",),
    "org_name": ("نام سازمان", "نام شرکت"),
    "legal_id": ("شناسه ملی",),
    "economic_code": ("کد اقتصادی",),
    "mobile": ("موبایل", "تلفن همراه", "شماره همراه"),
    "landline": ("تلفن ثابت", "تلفن"),
    "email": ("ایمیل", "پست الکترونیک", "رایانامه"),
    "province": ("استان",),
    "city": ("شهر",),
    "address": ("نشانی", "آدرس"),
    "postal_code": ("کد پستی",),
    "roles": ("نقش", "نقش ها"),
    "preferred_channel": ("کانال ترجیحی", "روش ارتباط"),
    "language": ("زبان",),
    "agent_id": ("نماینده", "کد نماینده"),
    "branch_code": ("شعبه", "کد شعبه"),
    "tags": ("برچسب", "برچسب ها"),
    "consent_sms_marketing": ("رضایت پیامک تبلیغاتی",),
    "consent_email_marketing": ("رضایت ایمیل تبلیغاتی",),
}
EXPORT_COLUMNS: tuple[str, ...] = tuple(COLUMNS)
_CONSENT_COLUMNS = {"consent_sms_marketing": ("sms", "marketing"), "consent_email_marketing": ("email", "marketing")}

_HEADERS = {compact_name(alias): column for column, aliases in COLUMNS.items() for alias in (column, *aliases)}
_HEADERS.update({compact_name(column.replace("_", " ")): column for column in COLUMNS})
_CHOICES: dict[str, dict[str, str]] = {
    "kind": {
        "person": "person",
        "حقیقی": "person",
        "شخص": "person",
        "organisation": "organisation",
        "organization": "organisation",
        "حقوقی": "organisation",
        "شرکت": "organisation",
        "سازمان": "organisation",
    },
    "gender": {
        "male": "male",
        "m": "male",
        "مرد": "male",
        "آقا": "male",
        "female": "female",
        "f": "female",
        "زن": "female",
        "خانم": "female",
        "unspecified": "unspecified",
        "نامشخص": "unspecified",
    },
    "roles": {
        "prospect": "prospect",
        "مشتری بالقوه": "prospect",
        "policyholder": "policyholder",
        "بیمه گذار": "policyholder",
        "insured": "insured",
        "بیمه شده": "insured",
        "beneficiary": "beneficiary",
        "ذینفع": "beneficiary",
        "payer": "payer",
        "پرداخت کننده": "payer",
    },
    "preferred_channel": {
        "sms": "sms",
        "پیامک": "sms",
        "email": "email",
        "ایمیل": "email",
        "push": "push",
        "اعلان": "push",
        "phone": "phone",
        "تلفن": "phone",
    },
    "language": {"fa": "fa", "فارسی": "fa", "en": "en", "انگلیسی": "en"},
}
_CHOICES = {column: {compact_name(k): v for k, v in options.items()} for column, options in _CHOICES.items()}
_YES = {compact_name(w) for w in ("1", "yes", "y", "true", "بله", "آری", "دارد", "بلی")}
_NO = {compact_name(w) for w in ("0", "no", "n", "false", "خیر", "نه", "ندارد")}
_LIST_SPLIT = re.compile(r"[;,،|]")


@lru_cache(maxsize=1024)  # every row repeats the file's headers
def column_for(header: str) -> str | None:
    """The canonical column a header means, or None for a column the importer does not know."""
    return _HEADERS.get(compact_name(header))


def check_headers(headers: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Map a file's headers to columns; also returns the unknown ones (to warn about, not fail)."""
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        column = column_for(header)
        if column is None:
            if not header.startswith("_"):
                unknown.append(header)
        else:
            mapping[header] = column
    return mapping, unknown


def parse_date(text: str) -> dt.date:
    """Jalali ``1370/05/12`` or Gregorian ``1991-08-03`` (Persian digits allowed): years below 1700 are Jalali."""
    cleaned = to_ascii_digits(text.strip()).replace("-", "/").replace(".", "/")
    parts = cleaned.split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise ValueError("expected a date as YYYY/MM/DD (Jalali) or YYYY-MM-DD")
    if int(parts[0]) < 1700:
        return parse_jalali(cleaned)
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ValueError("not a real date") from None


@lru_cache(maxsize=1024)
def _choice(column: str, text: str) -> str:
    found = _CHOICES[column].get(compact_name(text))
    if found is None:
        raise ValueError("must be one of " + ", ".join(sorted(set(_CHOICES[column].values()))))
    return found


def _flag(text: str) -> bool:
    word = compact_name(text)
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError("expected yes/no (بله/خیر)")


def parse_row(row: Mapping[str, str | None], line_no: int, *, now: dt.datetime | None = None) -> CreatePartyCommand | list[FieldViolation]:
    """One CSV row as a create command, or its violations named ``rows[<line_no>].<column>``.

    With ``now`` the command is also fully validated (as ``Party.create`` would), so a report
    lists every problem of the row at once; without it only parsing problems are found.
    """
    values: dict[str, str] = {}
    for header, raw in row.items():
        column = column_for(header or "")
        if column is not None and raw is not None and raw.strip():
            values[column] = raw.strip()
    errors: list[FieldViolation] = []

    def bad(column: str, why: str) -> None:
        errors.append(FieldViolation(f"rows[{line_no}].{column}", why))

    fields: dict[str, Any] = {}
    for column in ("kind", "gender", "preferred_channel", "language"):
        if column in values:
            try:
                fields[column] = _choice(column, values[column])
            except ValueError as exc:
                bad(column, str(exc))
    if "kind" not in values and values.get("org_name") and not (values.get("first_name") or values.get("last_name")):
        fields["kind"] = "organisation"
    roles: list[str] = []
    for part in _LIST_SPLIT.split(values.get("roles", "")):
        if part.strip():
            try:
                roles.append(_choice("roles", part))
            except ValueError as exc:
                bad("roles", str(exc))
    if "birth_date" in values:
        try:
            fields["birth_date"] = parse_date(values["birth_date"])
        except ValueError as exc:
            bad("birth_date", str(exc))
    national_id = values.get("national_id", "")
    if digits_only(national_id).isdigit() and 8 <= len(digits_only(national_id)) < 10:
        national_id = digits_only(national_id).zfill(10)  # spreadsheets drop leading zeros
    points: list[tuple[str, ContactPointInput]] = []
    for column in ("mobile", "landline", "email"):
        if column in values:
            points.append((column, ContactPointInput(column, values[column])))
    line = values.get("address") or " ".join(v for v in (values.get("city"), values.get("province")) if v)
    if line or "postal_code" in values:
        address = ContactPointInput(
            "address", line, province=values.get("province", ""), city=values.get("city", ""), postal_code=values.get("postal_code", "")
        )
        points.append(("address", address))
    consents: list[tuple[str, ConsentInput]] = []
    for column, (channel, purpose) in _CONSENT_COLUMNS.items():
        if column in values:
            try:
                consents.append((column, ConsentInput(channel, purpose, _flag(values[column]), source="import")))
            except ValueError as exc:
                bad(column, str(exc))
    command = CreatePartyCommand(
        customer_number=values.get("customer_number", ""),
        first_name=values.get("first_name", ""),
        last_name=values.get("last_name", ""),
        father_name=values.get("father_name", ""),
        national_id=national_id,
        org_name=values.get("org_name", ""),
        legal_id=values.get("legal_id", ""),
        economic_code=values.get("economic_code", ""),
        agent_id=values.get("agent_id", ""),
        branch_code=values.get("branch_code", ""),
        roles=tuple(roles),
        tags=tuple(t.strip() for t in _LIST_SPLIT.split(values.get("tags", "")) if t.strip()),
        contact_points=tuple(p for _, p in points),
        consents=tuple(c for _, c in consents),
        **fields,
    )
    if now is not None:
        _, violations = validate_create(command, now)
        for violation in violations:
            bad(_column_of(violation.field, [c for c, _ in points], [c for c, _ in consents]), violation.description)
    return errors or command


def _column_of(field_name: str, point_columns: list[str], consent_columns: list[str]) -> str:
    """The CSV column a ``validate_create`` field name came from."""
    match = re.match(r"^(contact_points|consents|roles|tags)\[(\d+)\](?:\.(\w+))?$", field_name)
    if not match:
        return field_name
    group, index, leaf = match.group(1), int(match.group(2)), match.group(3)
    if group == "contact_points":
        return "postal_code" if leaf == "postal_code" else point_columns[index]
    if group == "consents":
        return consent_columns[index]
    return group


def to_row(snapshot: Mapping[str, Any], jalali_dates: bool = False) -> dict[str, str]:
    """An export row (``EXPORT_COLUMNS``) from ``Party.to_snapshot(private=True)``; re-imports as is."""
    row = {column: "" for column in EXPORT_COLUMNS}
    for column in EXPORT_COLUMNS:
        value = snapshot.get(column)
        if isinstance(value, str):
            row[column] = value
    if snapshot.get("birth_date"):
        born = dt.date.fromisoformat(snapshot["birth_date"])
        row["birth_date"] = to_jalali(born) if jalali_dates else born.isoformat()
    if row["gender"] == "unspecified":
        row["gender"] = ""
    row["roles"] = ";".join(snapshot.get("roles", []))
    row["tags"] = ";".join(snapshot.get("tags", []))
    primary = {p["kind"]: p for p in snapshot.get("contact_points", []) if p.get("primary")}
    for kind in ("mobile", "landline", "email"):
        row[kind] = primary[kind]["value"] if kind in primary else row[kind]
    if "address" in primary:
        address = primary["address"]
        row.update(address=address["value"], city=address["city"], province=address["province"], postal_code=address["postal_code"])
    for consent in snapshot.get("consents", []):
        column = f"consent_{consent['channel']}_{consent['purpose']}"
        if column in row:
            row[column] = "yes" if consent["granted"] else "no"
    return row
