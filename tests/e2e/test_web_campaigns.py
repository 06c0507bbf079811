"""Campaign, task and holiday pages of the web UI in headless Chromium against the real stack
(campaign gRPC and worker included): a marketing user's segment → template → campaign flow,
an agent's tasks, and an admin's holidays."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import jdatetime
import pytest
from browser import Page
from e2e_stack import AGENT_1, WebStack, today_tehran
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from test_web_ui import LATIN_DIGITS, PERSIAN_DIGITS, fa_digits, sign_in

pytestmark = pytest.mark.slow

FA_NUMBER = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


def jalali_fa(day: dt.date) -> str:
    return fa_digits(jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d"))


def go_to(page: Page, href: str) -> None:
    """Follow a main-nav link (from the top: the sticky header covers it once scrolled)."""
    page.js("window.scrollTo(0, 0)")
    page.find(f".mainnav a[href='{href}']").click()


def shot(page: Page, name: str) -> None:
    page.js("window.scrollTo(0, 0)")
    page.shot(name)


def dismiss_toasts(page: Page) -> None:
    """Close the success toasts (they sit over the bottom corner of the page for 5 s)."""
    page.wait(lambda: page.js("document.querySelectorAll('.toasts button').forEach((b) => b.click()); return !document.querySelector('.toast')"), what="toasts closed")
    page.wait(lambda: not page.all(".toast"), what="toasts closed")


def preview_count(page: Page) -> int:
    text = page.find("#segment-count").text
    return int(re.sub(r"\D", "", text.translate(FA_NUMBER)))


def test_marketing_builds_a_segment_writes_a_template_and_creates_a_campaign(page: Page, web: WebStack) -> None:
    sign_in(page, "marketing")

    # A segment: branch 1021's customers, counted before saving (the campaign worker's
    # customer profiles arrive by events, so the count may need a moment to reach both).
    go_to(page, "#/segments")
    page.find("#segment-form")
    page.by_label("نام بخش").send_keys("مشتریان شعبه ۱۰۲۱")
    Select(page.find("select[name=field-0]")).select_by_value("branch_code")
    page.wait(lambda: page.find("select[name=op-0]").get_attribute("value") == "eq", what="the operator reset")
    page.find("input[name=value-0]").send_keys("1021")

    def counted() -> bool:
        page.click("#segment-preview")
        page.find("#segment-count")
        return preview_count(page) >= 2

    page.wait(counted, timeout=30, what="the preview to count the seeded customers")
    count = page.text("#segment-count")
    assert PERSIAN_DIGITS.search(count) and not LATIN_DIGITS.search(count) and "مشتری" in count
    sample = page.text("#segment-sample")
    assert "." in sample and "رضایی" not in sample  # marketing sees masked names
    # A second condition combined with «any»: keyboard reaches every control of the builder.
    page.click("#add-row")
    Select(page.find("select[name=field-1]")).select_by_value("age_band")
    Select(page.find("select[name=value-1]")).select_by_value("35-44")
    page.find("input[name=combine][value=any]").click()
    page.click("#segment-preview")
    page.wait(lambda: preview_count(page) >= 2, what="the any-preview")
    shot(page, "segments-fa")
    page.click("#segment-save")
    page.wait_text("ذخیره شد", ".toasts")
    assert "مشتریان شعبه ۱۰۲۱" in page.wait_text("مشتریان شعبه ۱۰۲۱", "#segments")
    assert "گروه سنی" in page.text("#segments")
    dismiss_toasts(page)

    # A template with a placeholder the service does not know: the live preview checks the
    # draft as it is typed and the error sits on the body field before anything is saved.
    go_to(page, "#/templates")
    page.find("#template-form")
    page.by_label("نام قالب").send_keys("جشنواره پاییز")
    body = page.by_label("متن (فارسی)")
    body.send_keys("{customer_name} عزیز، {discount} تخفیف ویژه بیمه بدنه")
    page.wait(lambda: page.by_label("متن (فارسی)").get_attribute("aria-invalid") == "true", what="the body marked invalid while typing")
    beside = page.driver.find_element("id", page.by_label("متن (فارسی)").get_attribute("aria-describedby").split()[0])
    assert "{discount}" in beside.text and "جای‌نگهدار" in beside.text
    assert page.all("#template-rendered") == [] and "خطای فیلدهای" in page.text("#template-preview")
    shot(page, "template-live-error-fa")
    page.click("#template-save")  # the service refuses it on save too; what was typed stays
    page.wait(lambda: "{discount}" in page.text(".field-error"), what="the save error")
    assert page.by_label("نام قالب").get_attribute("value") == "جشنواره پاییز"
    assert "{discount}" in page.by_label("متن (فارسی)").get_attribute("value")
    shot(page, "template-error-fa")

    # Fixed: the API renders the draft with sample values as it is typed, and follows each change.
    body = page.by_label("متن (فارسی)")
    body.clear()
    body.send_keys("{customer_name} عزیز، تخفیف ویژه بیمه بدنه")
    rendered = page.wait_text("مشتری نمونه عزیز، تخفیف ویژه بیمه بدنه", "#template-rendered-body")
    assert "{customer_name}" not in rendered and "{customer_name}" in page.text("#template-sample-values")
    assert page.by_label("متن (فارسی)").get_attribute("aria-invalid") is None
    assert "بخش پیامک" in page.text("#template-rendered") and "در حال نوشتن" in page.text("#template-preview-source")
    body.send_keys(" برای شما تا {end_date}")
    rendered = page.wait_text("برای شما تا ۱۴", "#template-rendered-body")  # a Jalali date (14xx) in Persian digits
    assert not LATIN_DIGITS.search(rendered)
    shot(page, "template-live-preview-fa")
    page.click("#template-save")
    page.wait_text("ذخیره شد", ".toasts")
    dismiss_toasts(page)
    # Saved: the preview now shows the stored template, rendered by the API.
    page.wait_text("جشنواره پاییز", "#template-preview-source")
    assert "تخفیف ویژه بیمه بدنه برای شما" in page.wait_text("تخفیف ویژه بیمه بدنه برای شما", "#template-rendered-body")
    page.find("select[name=preview_language]")
    shot(page, "templates-fa")

    # A campaign to that segment with that template, scheduled on a Jalali day.
    go_to(page, "#/campaigns")
    page.click("#campaign-new")
    page.find("#campaign-form")
    page.by_label("نام کمپین").send_keys("جشنواره پاییز ۱۴۰۵")
    template = page.find("select[name=template_id]")
    page.wait(lambda: len(template.find_elements("css selector", "option")) > 1, what="the templates of sms/marketing")
    Select(template).select_by_visible_text("جشنواره پاییز")
    segment = page.find("select[name=segment_id]")
    page.wait(lambda: len(segment.find_elements("css selector", "option")) > 1, what="the segments")
    Select(segment).select_by_visible_text("مشتریان شعبه ۱۰۲۱")
    send_on = today_tehran() + dt.timedelta(days=3)
    day = page.by_label("تاریخ ارسال (خالی = با شروع)")
    day.send_keys(jalali_fa(send_on))
    day.send_keys(Keys.TAB)
    time_field = page.find("input[name=schedule_time]")
    time_field.send_keys(Keys.CONTROL, "a")
    time_field.send_keys("۱۰:۳۰")  # Persian digits are read as typed
    shot(page, "campaign-form-fa")
    page.click("#campaign-save")
    page.wait_text("جشنواره پاییز ۱۴۰۵", "#campaign-name")
    assert "/campaigns/cmp_" in page.driver.current_url
    assert "پیش‌نویس" in page.text("#campaign-status")
    facts = page.text(".profile")
    assert jalali_fa(send_on) in facts and "۱۰:۳۰" in facts  # Jalali, Tehran time
    assert "مشتریان شعبه ۱۰۲۱" in facts

    # Start, then pause: each action moves the status; results are shown (nothing sent here).
    page.click("#campaign-start")
    page.wait_text("در حال اجرا", "#campaign-status")
    dismiss_toasts(page)
    page.click("#campaign-pause")
    page.wait_text("متوقف موقت", "#campaign-status")
    dismiss_toasts(page)
    results = page.text("#campaign-results")
    for label in ("ارسال‌شده", "تحویل‌شده", "ناموفق", "لغو اشتراک", "تبدیل‌شده", "نرخ تبدیل"):
        assert label in results
    assert not LATIN_DIGITS.search(results)
    shot(page, "campaign-fa")

    # The campaigns list (from the API, newest first) shows it with its Jalali send time, also
    # when filtered by its status; English is left-to-right with Gregorian dates and Latin digits.
    go_to(page, "#/campaigns")
    row = next(r for r in page.wait(lambda: page.all("#campaigns tbody tr")) if "جشنواره پاییز ۱۴۰۵" in r.text)
    assert "متوقف موقت" in row.text and jalali_fa(send_on) in row.text and "۱۰:۳۰" in row.text
    Select(page.find("select[name=status]")).select_by_value("draft")
    page.wait(lambda: page.all("#campaigns-none") or "جشنواره پاییز ۱۴۰۵" not in page.text("main"), what="the draft filter")
    Select(page.find("select[name=status]")).select_by_value("paused")
    page.wait_text("جشنواره پاییز ۱۴۰۵", "#campaigns")
    shot(page, "campaigns-fa")
    page.click(".lang-switch")
    page.wait(lambda: page.js("return document.documentElement.dir") == "ltr", what="LTR")
    listed = page.wait_text(send_on.isoformat(), "#campaigns")
    assert "Paused" in listed and "10:30" in listed and not PERSIAN_DIGITS.search(page.text("#campaigns thead"))
    shot(page, "campaigns-en")
    page.find("#campaigns a").click()
    page.wait_text("Paused", "#campaign-status")
    assert "Conversion rate" in page.text("#campaign-results")
    assert not PERSIAN_DIGITS.search(page.text("#campaign-results"))
    shot(page, "campaign-en")
    page.click("#campaign-stop")
    page.wait_text("Stopped", "#campaign-status")
    assert page.all("#campaign-start") == []

    # The template editor in English: the English body is previewed live, Gregorian dates.
    go_to(page, "#/templates")
    page.by_label("Text (Persian)").send_keys("{customer_name} عزیز")
    Select(page.find("select[name=preview_language]")).select_by_value("en")
    english = page.by_label("Text (English, optional)")
    english.send_keys("Dear {customer_name}, your cover ends on {end_date}")
    rendered = page.wait_text("Dear Sample Customer, your cover ends on", "#template-rendered-body")
    assert not PERSIAN_DIGITS.search(rendered) and re.search(r"ends on \d{1,2} [A-Z][a-z]+ 20\d\d", rendered)
    english.send_keys(" {nickname}")
    page.wait(lambda: page.by_label("Text (English, optional)").get_attribute("aria-invalid") == "true", what="the English body marked invalid")
    assert "{nickname}" in page.text(".field-error") and "placeholder" in page.text(".field-error")
    shot(page, "template-live-preview-en")


def test_a_planner_page_reports_rule_errors_beside_the_row(page: Page) -> None:
    sign_in(page, "marketing")
    page.open("/#/segments")
    page.find("#segment-form")
    Select(page.find("select[name=field-0]")).select_by_value("premium")
    Select(page.find("select[name=op-0]")).select_by_value("gte")
    page.find("input[name=value-0]").send_keys("بسیار")  # not a number of rials
    page.click("#segment-preview")
    value = page.find("input[name=value-0]")
    page.wait(lambda: value.get_attribute("aria-invalid") == "true", what="the value marked invalid")
    assert "ریال" in page.text(".rule-row")
    assert value.get_attribute("value") == "بسیار"


def test_an_agent_sees_due_and_overdue_tasks_and_completes_one(page: Page, web: WebStack) -> None:
    token = web.token("staff")
    ali = web.seeded.customers["ali"]
    today = today_tehran()
    titles = {"overdue": f"تماس پیگیری مدارک {uuid.uuid4().hex[:4]}", "today": f"تماس تمدید بدنه {uuid.uuid4().hex[:4]}"}
    for key, due, kind in (("overdue", today - dt.timedelta(days=2), "follow_up"), ("today", today, "renewal_call")):
        status, body = web.call("POST", "/api/v1/tasks", {"kind": kind, "customer_id": ali, "owner_id": AGENT_1, "title": titles[key], "due_date": due.isoformat()}, token)
        assert status in (200, 201), body

    sign_in(page, "agent")
    go_to(page, "#/tasks")
    table = page.wait_text(titles["today"], "#tasks")
    assert titles["overdue"] in table
    assert "۲ روز گذشته" in page.text("tr.task-overdue") and titles["overdue"] in page.text("tr.task-overdue")
    assert titles["today"] in page.text("tr.task-today") and "سررسید امروز" in page.text("tr.task-today")
    assert table.index(titles["overdue"]) < table.index(titles["today"])  # soonest first
    assert page.find("#overdue-notice").get_attribute("role") == "status"
    shot(page, "tasks-fa")

    # Completed from the keyboard: the dialog takes the outcome; the task leaves the open list.
    row = next(r for r in page.all("#tasks tbody tr") if titles["overdue"] in r.text)
    row.find_element("css selector", "button").send_keys(Keys.ENTER)
    page.find("dialog[open] textarea[name=outcome]").send_keys("مدارک دریافت شد")
    page.click("#task-complete-save")
    page.wait_text("انجام کار ثبت شد", ".toasts")
    page.wait(lambda: titles["overdue"] not in page.text("#tasks"), what="the completed task gone")

    # The customer's page lists the open task too.
    page.open(f"/#/customers/{ali}")
    page.wait_text(titles["today"], "#customer-tasks")
    assert titles["overdue"] not in page.text("#customer-tasks")
    page.js("document.getElementById('customer-tasks').scrollIntoView()")
    page.shot("customer-tasks-fa", full=False)


def test_an_admin_adds_and_removes_a_holiday(page: Page) -> None:
    sign_in(page, "admin")
    go_to(page, "#/holidays")
    page.find("#holiday-form")
    day = today_tehran() + dt.timedelta(days=40)
    name = f"تعطیلی آزمون {uuid.uuid4().hex[:4]}"
    page.by_label("تاریخ").send_keys(jalali_fa(day))
    page.by_label("مناسبت").send_keys(name)
    page.click("#holiday-save")
    page.wait_text("ثبت شد", ".toasts")
    dismiss_toasts(page)
    row = page.wait_text(name, "#holidays")
    assert jalali_fa(day) in page.text("#holidays")
    assert row
    shot(page, "holidays-fa")
    target = next(r for r in page.all("#holidays tbody tr") if name in r.text)
    target.find_element("css selector", "button").click()
    page.click(f"#confirm-remove-{day.isoformat()}")
    page.wait_text("حذف شد", ".toasts")
    page.wait(lambda: name not in page.text("main"), what="the holiday gone")
