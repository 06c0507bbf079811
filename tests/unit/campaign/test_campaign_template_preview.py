"""Live preview of templates (unsaved drafts and stored ones): save-time placeholder rules on the
draft, real values in the caller's scope, sample values named where real ones are missing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from peyvand_campaign.domain.templates import Template, TemplatePlaceholderError
from peyvand_campaign.service_layer.rendering import LinkConfig, Preview, preview
from peyvand_runtime.domain import NotFound, ValidationError
from peyvand_runtime.identity import Caller

NOW = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)  # 20 Khordad 1405 in Tehran
LINKS = LinkConfig("https://crm.example.ir", "unsubscribe-secret", "مرکز تماس", "021-1")
MARKETING = Caller("usr_m", "user", "marketing")
ADMIN = Caller("usr_a", "user", "admin")
AGENT_1 = Caller("usr_1", "user", "agent", agent_id="agt_1")
AGENT_2 = Caller("usr_2", "user", "agent", agent_id="agt_2")


class _Collection:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = {d["_id"]: d for d in docs}

    def find_one(self, query: dict[str, Any], projection: Any = None) -> dict[str, Any] | None:
        doc = self.docs.get(query.get("_id"))
        return dict(doc) if doc is not None else None


class FakeProjections(dict):  # type: ignore[type-arg]
    """Just the three projection reads a preview makes, by _id (no I/O in unit tests)."""

    def __missing__(self, name: str) -> _Collection:
        return _Collection([])


def projections_db() -> Any:
    db = FakeProjections()
    db["profiles"] = _Collection([{"_id": "cus_1", "display_name": "مریم احمدی", "language": "fa", "agent_id": "agt_1",
                                   "branch_code": "1021", "consents": []}])
    db["policy_facts"] = _Collection([{"_id": "pol_1", "policy_number": "1021-1405-000001", "product_code": "motor_tpl",
                                       "holder_id": "cus_1", "agent_id": "agt_1", "branch_code": "1021",
                                       "term_end": "2026-07-10", "renewal_total_premium": 8_000_000},
                                      {"_id": "pol_2", "policy_number": "1021-1405-000002", "holder_id": "cus_2", "agent_id": "agt_1",
                                       "branch_code": "1021"}])
    db["agents"] = _Collection([{"_id": "agt_1", "display_name": "علی کریمی", "mobile": "09120000001"}])
    return db


def draft(channel: str = "sms", **bodies: str) -> Template:
    return Template(id="tpl_draft", name="draft", channel=channel, purpose="marketing", bodies=dict(bodies))


def show(template: Template, caller: Caller = MARKETING, *, customer_id: str = "", policy_id: str = "", language: str = "fa") -> Preview:
    return preview(projections_db(), LINKS, template, caller=caller, customer_id=customer_id, policy_id=policy_id,
                   language=language, now=NOW, field_prefix="draft.")


def test_an_unknown_placeholder_in_a_draft_names_the_field_with_the_save_time_code() -> None:
    typed = Template(id="tpl_draft", name="draft", channel="sms", purpose="marketing",
                     bodies={"fa": "{customer_name} عزیز، {discount} تخفیف", "en": "Hi {unsubscribe_url}"})
    with pytest.raises(TemplatePlaceholderError) as caught:
        typed.check_draft("draft.")
    assert caught.value.code == "TEMPLATE_PLACEHOLDER_UNKNOWN"
    assert [(v.field, v.description) for v in caught.value.violations] == [
        ("draft.bodies.fa", "{discount} is not a known placeholder (channel sms)"),
        ("draft.bodies.en", "{unsubscribe_url} is only allowed in email (channel sms)"),
    ]
    with pytest.raises(TemplatePlaceholderError) as caught:
        draft(fa="سلام {customer_name").check_draft("draft.")
    assert caught.value.violations[0].field == "draft.bodies.fa" and "malformed braces" in caught.value.violations[0].description


def test_a_draft_on_an_unknown_channel_or_with_an_sms_subject_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        draft("fax", fa="سلام").check_draft("draft.")
    assert [v.field for v in caught.value.violations] == ["draft.channel"]
    with_subject = Template(id="tpl_draft", name="d", channel="sms", purpose="service", bodies={"fa": "سلام"}, subjects={"fa": "عنوان"})
    with pytest.raises(ValidationError) as caught:
        with_subject.check_draft("draft.")
    assert [v.field for v in caught.value.violations] == ["draft.subjects.fa"]


def test_a_draft_without_name_or_subject_is_still_previewable() -> None:
    # Save would refuse these (no name, no email subject, no unsubscribe link); a preview need not.
    Template(id="tpl_draft", name="", channel="email", purpose="marketing", bodies={"fa": "سلام {customer_name}"}).check_draft()


def test_sample_values_fill_a_draft_rendered_in_persian_and_are_named() -> None:
    shown = show(draft(fa="{customer_name} عزیز، بیمه‌نامه {policy_number} در {end_date} تمام می‌شود؛ حق بیمه {premium}. {agent_name}"))
    body = shown.message.body
    assert body.startswith("مشتری نمونه عزیز")
    assert "1021-1405-000123" in body
    assert "۱۴۰۵/۰۴/۱۹" in body  # 10 July 2026, 30 days after 10 June, in Jalali with Persian digits
    assert "۱۲٬۵۰۰٬۰۰۰ ریال" in body
    assert "مرکز تماس" in body  # the real call-centre name from the configuration, not a sample
    assert shown.sample_values == ("customer_name", "policy_number", "end_date", "premium")
    assert shown.message.sms is not None and shown.message.sms.encoding == "ucs2"


def test_english_preview_uses_the_english_body_and_gregorian_dates() -> None:
    shown = show(draft(fa="{customer_name} عزیز", en="Dear {customer_name}, ends {end_date}, {days_left} days"), language="en")
    assert shown.message.language == "en"
    assert shown.message.body == "Dear Sample Customer, ends 10 July 2026, 30 days"
    assert shown.message.sms is not None and shown.message.sms.encoding == "gsm7" and shown.message.sms.segments == 1


def test_the_preview_changes_as_the_draft_changes() -> None:
    first = show(draft(fa="سلام {customer_name}")).message.body
    second = show(draft(fa="سلام {customer_name}، تخفیف ویژه")).message.body
    assert first == "سلام مشتری نمونه" and second == "سلام مشتری نمونه، تخفیف ویژه"


def test_real_customer_and_policy_values_replace_samples_in_scope() -> None:
    template = draft(fa="{customer_name}، {policy_number} تا {days_left} روز؛ {premium}؛ {agent_name} {agent_phone}")
    shown = show(template, ADMIN, customer_id="cus_1", policy_id="pol_1")
    assert shown.message.body == "مریم احمدی، 1021-1405-000001 تا ۳۰ روز؛ ۸٬۰۰۰٬۰۰۰ ریال؛ علی کریمی 09120000001"
    assert shown.sample_values == ()
    # Only the policy: the holder's name comes from the projection too.
    assert show(template, AGENT_1, policy_id="pol_1").message.body.startswith("مریم احمدی،")


def test_a_customer_outside_the_callers_scope_is_not_found() -> None:
    template = draft(fa="سلام {customer_name}")
    for caller in (MARKETING, AGENT_2):
        with pytest.raises(NotFound) as caught:
            show(template, caller, customer_id="cus_1")
        assert caught.value.code == "CUSTOMER_NOT_FOUND"
    with pytest.raises(NotFound) as caught:
        show(template, AGENT_2, policy_id="pol_1")
    assert caught.value.code == "POLICY_NOT_FOUND"
    with pytest.raises(NotFound):
        show(template, ADMIN, customer_id="cus_missing")


def test_bad_language_or_an_empty_body_name_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        show(draft(fa="سلام"), language="de")
    assert [v.field for v in caught.value.violations] == ["language"]
    with pytest.raises(ValidationError) as caught:
        show(draft(en="Hello"), language="fa")
    assert [v.field for v in caught.value.violations] == ["draft.bodies.fa"]
    with pytest.raises(ValidationError) as caught:
        show(draft(fa="سلام"), ADMIN, customer_id="cus_1", policy_id="pol_2")  # someone else's policy
    assert [(v.field, v.description) for v in caught.value.violations] == [("policy_id", "is not a policy of this customer")]
