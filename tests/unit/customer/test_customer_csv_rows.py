"""CSV import rows (English or Persian headers, Jalali or ISO dates) and export rows that re-import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from peyvand_customer.domain.commands import ConsentInput, ContactPointInput, CreatePartyCommand
from peyvand_customer.domain.csv_rows import EXPORT_COLUMNS, check_headers, column_for, parse_date, parse_row, to_row
from peyvand_customer.domain.party import Party
from peyvand_runtime.domain import FieldViolation

NOW = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)


def test_persian_and_english_headers() -> None:
    assert column_for("نام") == column_for("first_name") == column_for("First Name") == "first_name"
    assert column_for("نام خانوادگي") == column_for("نام‌خانوادگی") == "last_name"
    assert column_for("کد ملی") == "national_id" and column_for("تلفن همراه") == "mobile"
    mapping, unknown = check_headers(["نام", "شغل", "_duplicate_of", "mobile"])
    assert mapping == {"نام": "first_name", "mobile": "mobile"} and unknown == ["شغل"]


def test_dates() -> None:
    assert parse_date("1370/05/12") == dt.date(1991, 8, 3)
    assert parse_date("۱۳۷۰/۰۵/۱۲") == dt.date(1991, 8, 3)
    assert parse_date("1991-08-03") == parse_date("1991/08/03") == dt.date(1991, 8, 3)
    for bad in ("12/05/1370", "1370/13/01", "1991-02-30", "yesterday", "70/5/12"):
        try:
            parse_date(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_happy_row_with_persian_headers(national_id: Callable[[str], str]) -> None:
    row = {
        "شماره مشتری": "C-77",
        "نام": "فاطمه",
        "نام خانوادگی": "كريمي",
        "نام پدر": "حسین",
        "کد ملی": national_id("001354241")[1:],  # Excel ate the leading zero
        "تاریخ تولد": "۱۳۶۵/۰۱/۰۱",
        "جنسیت": "زن",
        "موبایل": "۰۹۳۵ ۱۲۳ ۴۵۶۷",
        "ایمیل": "F.Karimi@Example.com",
        "استان": "اصفهان",
        "شهر": "اصفهان",
        "نشانی": "خیابان چهارباغ",
        "کد پستی": "8134678913",
        "نقش": "بیمه‌گذار، بیمه شده",
        "کانال ترجیحی": "پیامک",
        "رضایت پیامک تبلیغاتی": "بله",
        "برچسب": "vip; بازنشسته",
        "_duplicate_of": "ignored",
    }
    cmd = parse_row(row, 2, now=NOW)
    assert isinstance(cmd, CreatePartyCommand)
    assert cmd.national_id == national_id("001354241")
    assert cmd.birth_date == dt.date(1986, 3, 21) and cmd.gender == "female"
    assert cmd.roles == ("policyholder", "insured") and cmd.tags == ("vip", "بازنشسته")
    assert cmd.contact_points[0] == ContactPointInput("mobile", "۰۹۳۵ ۱۲۳ ۴۵۶۷")
    assert cmd.contact_points[2].city == "اصفهان" and cmd.contact_points[2].postal_code == "8134678913"
    assert cmd.consents == (ConsentInput("sms", "marketing", True, source="import"),)
    party = Party.create(cmd, now=NOW, by="usr_import", channel="import")
    assert party.last_name == "کریمی" and party.to_snapshot()["mobile"] == "+989351234567"


def test_organisation_is_inferred_from_org_name() -> None:
    cmd = parse_row({"customer_number": "O-1", "org_name": "شرکت آریا", "legal_id": "10380284790"}, 3, now=NOW)
    assert isinstance(cmd, CreatePartyCommand) and cmd.kind == "organisation"


def test_unhappy_row_names_every_column_with_its_line() -> None:
    row = {
        "customer_number": "",
        "first_name": "علی",
        "national_id": "1234567890",
        "birth_date": "1370/13/40",
        "gender": "?",
        "mobile": "0912",
        "email": "ali@",
        "postal_code": "0000000000",
        "city": "تهران",
        "roles": "boss",
        "consent_sms_marketing": "maybe",
    }
    result = parse_row(row, 17, now=NOW)
    assert isinstance(result, list)
    assert {v.field for v in result} == {
        "rows[17].customer_number",
        "rows[17].last_name",
        "rows[17].national_id",
        "rows[17].birth_date",
        "rows[17].gender",
        "rows[17].mobile",
        "rows[17].email",
        "rows[17].postal_code",
        "rows[17].roles",
        "rows[17].consent_sms_marketing",
    }
    assert all("1234567890" not in v.description and "0912" not in v.description for v in result)


def test_without_now_only_parsing_is_checked() -> None:
    result = parse_row({"customer_number": "C-1", "birth_date": "soon"}, 5)
    assert result == [FieldViolation("rows[5].birth_date", "expected a date as YYYY/MM/DD (Jalali) or YYYY-MM-DD")]
    assert isinstance(parse_row({"customer_number": "C-1", "mobile": "nonsense"}, 5), CreatePartyCommand)


def test_export_row_reimports_to_the_same_customer(make_person: Callable[..., Party], national_id: Callable[[str], str]) -> None:
    party = make_person(
        national_id=national_id("123456789"),
        roles=("policyholder", "payer"),
        tags=("vip",),
        contact_points=(
            ContactPointInput("mobile", "09121234567"),
            ContactPointInput("landline", "021 8888 8888"),
            ContactPointInput("email", "a@example.com"),
            ContactPointInput("address", "خیابان آزادی", province="تهران", city="تهران", postal_code="1346789134"),
        ),
        consents=(ConsentInput("email", "marketing", False, source="web", at=NOW),),
    )
    for jalali in (False, True):
        row = to_row(party.to_snapshot(private=True), jalali_dates=jalali)
        assert tuple(row) == EXPORT_COLUMNS
        assert row["birth_date"] == ("1364/01/01" if jalali else "1985-03-21")
        command = parse_row(row, 2, now=NOW)
        assert isinstance(command, CreatePartyCommand)
        again = Party.create(command, now=NOW, by="u", channel="import")
        keep = ("national_id", "first_name", "last_name", "birth_date", "roles", "tags", "contact_points", "gender")
        assert {k: getattr(again, k) for k in keep} == {k: getattr(party, k) for k in keep}
        assert again.consent_for("email", "marketing") is False
