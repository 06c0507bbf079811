"""Templates: placeholders are checked when saved; rendering is whole, localised and measured."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from peyvand_campaign.domain.templates import (
    Template,
    TemplateContextMissing,
    TemplatePlaceholderError,
    render,
    sms_length,
)

FA = "{customer_name} عزیز، بیمه‌نامه {policy_number} ({product_name}) در {end_date} به پایان می‌رسد. حق بیمه: {premium}"
EN = "Dear {customer_name}, policy {policy_number} ({product_name}) ends on {end_date}. Premium: {premium}"
CONTEXT = {
    "customer_name": "مریم",
    "policy_number": "TP-1403-000123",
    "product_name": "بیمه شخص ثالث",
    "end_date": dt.date(2026, 3, 20),
    "premium": 12_500_000,
}


def sms(**overrides: object) -> Template:
    fields: dict[str, Any] = {"name": "renewal 30", "channel": "sms", "purpose": "service", "bodies": {"fa": FA, "en": EN}}
    fields.update(overrides)
    return Template.create(**fields)


def fields_of(error: Exception) -> list[str]:
    return [v.field for v in error.violations]  # type: ignore[attr-defined]


def test_a_valid_template_gets_a_tpl_id() -> None:
    assert sms().id.startswith("tpl_")


def test_unknown_placeholder_is_refused_at_save_naming_the_body() -> None:
    with pytest.raises(TemplatePlaceholderError) as caught:
        sms(bodies={"fa": "سلام {customer_nam}"})
    assert caught.value.code == "TEMPLATE_PLACEHOLDER_UNKNOWN"
    assert fields_of(caught.value) == ["bodies.fa"]
    assert "customer_nam" in caught.value.violations[0].description


@pytest.mark.parametrize("body", ["سلام {customer_name", "سلام customer_name}", "{}", "{ customer_name }",
                                  "{customer_name!r}", "{end_date:%Y}", "{{customer_name}"])
def test_malformed_braces_are_refused_naming_the_body(body: str) -> None:
    with pytest.raises(TemplatePlaceholderError) as caught:
        sms(bodies={"fa": "ok", "en": body})
    assert fields_of(caught.value) == ["bodies.en"]


def test_doubled_braces_are_literal_braces() -> None:
    template = sms(bodies={"fa": "کد {{ABC}} برای {customer_name}"})
    assert render(template, "fa", {"customer_name": "علی"}).body == "کد {ABC} برای علی"


def test_unsubscribe_url_is_only_for_email() -> None:
    with pytest.raises(TemplatePlaceholderError) as caught:
        sms(bodies={"fa": "لغو: {unsubscribe_url}"})
    assert "only allowed in email" in caught.value.violations[0].description


def test_structural_and_placeholder_problems_are_reported_together() -> None:
    with pytest.raises(TemplatePlaceholderError) as caught:
        sms(name=" ", bodies={"fa": "{nope}", "de": "hallo"})
    assert set(fields_of(caught.value)) == {"bodies.fa", "name", "bodies.de"}


def test_other_problems_use_validation_failed() -> None:
    with pytest.raises(Exception) as caught:
        sms(channel="fax", bodies={"en": "hi"})
    assert caught.value.code == "VALIDATION_FAILED"  # type: ignore[attr-defined]
    assert set(fields_of(caught.value)) == {"channel", "bodies.fa"}


def test_email_needs_a_subject_and_marketing_email_an_unsubscribe_link() -> None:
    with pytest.raises(Exception) as caught:
        Template.create(name="offer", channel="email", purpose="marketing", bodies={"fa": "پیشنهاد ویژه"})
    assert set(fields_of(caught.value)) == {"subjects.fa", "bodies.fa"}
    ok = Template.create(name="offer", channel="email", purpose="marketing",
                         bodies={"fa": "پیشنهاد ویژه {unsubscribe_url}"}, subjects={"fa": "{customer_name} عزیز"})
    message = render(ok, "fa", {"unsubscribe_url": "https://x.ir/u/t", "customer_name": "سارا"})
    assert message.subject == "سارا عزیز" and message.sms is None


def test_placeholder_in_subject_is_checked_too() -> None:
    with pytest.raises(TemplatePlaceholderError) as caught:
        Template.create(name="r", channel="email", purpose="service", bodies={"fa": "متن"}, subjects={"fa": "{x}"})
    assert fields_of(caught.value) == ["subjects.fa"]


def test_render_fa_uses_jalali_date_persian_digits_and_iranian_rials() -> None:
    message = render(sms(), "fa", CONTEXT)
    assert "۱۴۰۴/۱۲/۲۹" in message.body  # 20 March 2026 is the last day of 1404
    assert "۱۲٬۵۰۰٬۰۰۰ ریال" in message.body
    assert "TP-1403-000123" in message.body  # identifiers go out exactly as given
    assert "{" not in message.body and message.language == "fa"


def test_render_en_uses_gregorian_date_and_grouped_rials() -> None:
    message = render(sms(), "en", CONTEXT)
    assert message.body == ("Dear مریم, policy TP-1403-000123 (بیمه شخص ثالث) ends on 20 March 2026. "
                            "Premium: 12,500,000 rials")


def test_render_en_falls_back_to_the_persian_body_when_there_is_no_english_one() -> None:
    template = sms(bodies={"fa": "{days_left} روز مانده"})
    message = render(template, "en", {"days_left": 7})
    assert message.language == "fa" and message.body == "۷ روز مانده"


def test_missing_or_wrong_context_values_raise_and_render_nothing() -> None:
    context = dict(CONTEXT)
    del context["premium"]
    context["end_date"] = "2026-03-20"
    with pytest.raises(TemplateContextMissing) as caught:
        render(sms(), "fa", context)
    assert set(fields_of(caught.value)) == {"context.premium", "context.end_date"}


def test_blank_names_count_as_missing() -> None:
    with pytest.raises(TemplateContextMissing):
        render(sms(), "fa", {**CONTEXT, "customer_name": "  "})


def test_rendered_sms_reports_segments() -> None:
    message = render(sms(), "fa", CONTEXT)
    assert message.sms is not None and message.sms.encoding == "ucs2"
    assert message.sms.units == len(message.body)
    assert message.sms.segments == (1 if len(message.body) <= 70 else -(-len(message.body) // 67))


@pytest.mark.parametrize(("text", "encoding", "segments"), [
    ("", "gsm7", 0),
    ("a" * 160, "gsm7", 1),
    ("a" * 161, "gsm7", 2),
    ("a" * 306, "gsm7", 2),
    ("a" * 307, "gsm7", 3),
    ("س" * 70, "ucs2", 1),
    ("س" * 71, "ucs2", 2),
    ("س" * 134, "ucs2", 2),
    ("س" * 135, "ucs2", 3),
    ("a" * 69 + "س", "ucs2", 1),
])
def test_sms_segments(text: str, encoding: str, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.segments) == (encoding, segments)


def test_gsm_extension_characters_cost_two_units() -> None:
    assert sms_length("[]").units == 4
