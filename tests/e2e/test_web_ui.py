"""The branch-staff web UI in headless Chromium against the real stack, in Persian and English."""

from __future__ import annotations

import datetime as dt
import re

import jdatetime
import pytest
from browser import Page
from e2e_stack import WebStack, wait_until
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

pytestmark = pytest.mark.slow

PERSIAN_DIGITS = re.compile(r"[۰-۹]")
LATIN_DIGITS = re.compile(r"[0-9]")


def sign_in(page: Page, username: str, password: str | None = None) -> None:
    page.type("input[name=username]", username)
    page.type("input[name=password]", password or f"{username}-demo-1405")
    page.click("#sign-in")
    page.find("#global-search")


def fa_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def jalali(iso: str) -> str:
    return jdatetime.date.fromgregorian(date=dt.date.fromisoformat(iso)).strftime("%Y/%m/%d")


def search(page: Page, query: str, expect: str = "علی رضایی") -> list[str]:
    """Type a query and wait until the results (not those of a half-typed query) show ``expect``."""
    page.type("#global-search", query)
    return list(
        page.wait(
            lambda: (lambda hits: hits if hits and expect in hits[0] else None)([e.text for e in page.all("#search-results li[id^=hit-]")]),
            what=f"{expect!r} found by {query!r}",
        )
    )


def open_ali(page: Page) -> None:
    search(page, "علي رضايي")
    page.find("#global-search").send_keys(Keys.ENTER)
    page.wait_text("رضایی", "#customer-name")


def nav_labels(page: Page) -> list[str]:
    return [e.text for e in page.all(".mainnav a")]


def test_wrong_password_is_refused_in_persian_and_the_username_stays(page: Page) -> None:
    assert page.js("return [document.documentElement.lang, document.documentElement.dir]") == ["fa", "rtl"]
    page.shot("login-fa")
    page.type("input[name=username]", "staff")
    page.type("input[name=password]", "not-the-password")
    page.click("#sign-in")
    page.wait_text("نام کاربری یا گذرواژه درست نیست.", ".form-error")
    assert page.find("input[name=username]").get_attribute("value") == "staff"
    assert page.find(".form-error").get_attribute("role") == "alert"
    page.shot("login-error-fa")


def test_staff_finds_a_customer_opens_the_360_and_logs_a_call_in_persian(page: Page, web: WebStack) -> None:
    sign_in(page, "staff")
    assert nav_labels(page) == ["خانه", "مشتری جدید", "تمدیدهای پیش رو", "داشبورد", "درخواست‌ها", "کارهای من", "شعب و نمایندگان"]

    # Any spelling: Arabic yeh in the query finds «علی رضایی»; the list is keyboard-driven.
    page.find("body").send_keys("/")
    assert page.js("return document.activeElement.id") == "global-search"
    hits = search(page, "علي رضايي")
    assert "علی رضایی" in hits[0] and fa_digits("09121234567") in hits[0]
    page.shot("search-fa")
    page.find("#global-search").send_keys(Keys.ARROW_DOWN, Keys.ARROW_UP, Keys.ENTER)
    page.wait_text("علی رضایی", "#customer-name")

    # The 360: Persian digits, Jalali dates, rials the Iranian way, the short trip highlighted.
    policies = page.wait_text(fa_digits(web.seeded.policies["travel"]["policy_number"]), "#policies")
    travel = web.seeded.policies["travel"]
    assert fa_digits(jalali(travel["term_end"])) in policies
    assert re.search(r"[۰-۹]{1,3}(٬[۰-۹]{3})+ ریال", policies)
    assert not LATIN_DIGITS.search(policies)
    assert len(page.all("#policies tr.row-expiring")) == 1
    assert page.find("#policies tr.row-expiring").text.count("روز مانده") == 1
    number = page.find("#policies td span[dir=ltr]")
    assert number.get_attribute("dir") == "ltr"  # policy numbers read left-to-right inside RTL text
    assert fa_digits("1365/04/12") in page.text(".profile")
    page.shot("customer-360-fa")

    # Log a call with the shortcut; it shows on the timeline.
    page.find("body").send_keys("l")
    page.find("dialog[open] textarea[name=summary]").send_keys("تماس برای تمدید بیمه شخص ثالث")
    page.shot("log-call-fa")
    page.click("#log-save")
    page.wait_text("تماس برای تمدید بیمه شخص ثالث", "#timeline")
    assert "تماس تلفنی" in page.text("#timeline")
    assert page.wait_text("در سوابق ثبت شد.", ".toasts")

    # The same customer by mobile, written the way people write it.
    hits = search(page, "+98 912 123 4567")
    assert "علی رضایی" in hits[0]
    hits = search(page, "۰۹۱۲۱۲۳۴۵۶۷")
    assert "علی رضایی" in hits[0]
    page.find("#global-search").send_keys(Keys.ESCAPE)

    page.click("#sign-out")
    page.find("#sign-in")
    assert page.js("return sessionStorage.getItem('peyvand.refresh')") is None


def test_a_validation_error_is_shown_beside_the_field_and_keeps_what_was_typed(page: Page) -> None:
    sign_in(page, "staff")
    page.find("body").send_keys("n")
    page.find("#customer-form")
    page.by_label("نام").send_keys("سارا")
    page.by_label("نام خانوادگی").send_keys("نوری")
    page.by_label("کد ملی").send_keys("0012345678")  # wrong check digit
    page.by_label("شماره همراه").send_keys("09127776655")
    page.click("#customer-save")
    page.wait_text("موارد مشخص‌شده را اصلاح کنید", ".form-error")
    national_id = page.by_label("کد ملی")
    assert national_id.get_attribute("aria-invalid") == "true"
    beside = page.driver.find_element("id", national_id.get_attribute("aria-describedby").split()[0])
    assert "کد ملی" in beside.text or "رقم کنترل" in beside.text
    assert page.by_label("نام").get_attribute("value") == "سارا"
    assert page.by_label("شماره همراه").get_attribute("value") == "09127776655"
    page.shot("customer-form-error-fa")


def test_a_likely_duplicate_is_warned_about_and_can_be_overridden(page: Page) -> None:
    sign_in(page, "staff")
    page.open("/#/customers/new")
    page.by_label("نام").send_keys("مریم")
    page.by_label("نام خانوادگی").send_keys("کاظمی")
    page.by_label("شماره همراه").send_keys("09351112233")  # Maryam's mobile
    page.click("#customer-save")
    dialog = page.wait_text("مریم کاظمی", "dialog[open]")
    assert "احتمال ثبت تکراری" in dialog
    page.shot("duplicate-warning-fa")
    page.click("#dup-override")
    page.wait_text("مریم کاظمی", "#customer-name")


def test_english_is_left_to_right_gregorian_with_latin_digits_and_is_remembered(page: Page, web: WebStack) -> None:
    sign_in(page, "staff")
    page.click(".lang-switch")
    page.wait(lambda: page.js("return document.documentElement.dir") == "ltr", what="LTR")
    assert page.js("return document.documentElement.lang") == "en"
    assert nav_labels(page) == ["Home", "New customer", "Renewals due", "Dashboard", "Tickets", "My tasks", "Branches and agents"]
    hits = search(page, "09121234567")
    assert "09121234567" in hits[0]
    page.find("#global-search").send_keys(Keys.ENTER)
    page.wait_text("Policies", "main")
    travel = web.seeded.policies["travel"]
    policies = page.wait_text(travel["policy_number"], "#policies")
    assert travel["term_end"] in policies  # Gregorian
    assert "IRR" in policies and not PERSIAN_DIGITS.search(policies)
    assert "1986-07-03" in page.text(".profile")

    page.click("#action-log")
    page.find("dialog[open] textarea[name=summary]").send_keys("Visit about the motor renewal")
    Select(page.find("dialog[open] select[name=kind]")).select_by_value("visit")
    page.click("#log-save")
    timeline = page.wait_text("Visit about the motor renewal", "#timeline")
    assert "Visit" in [e.text for e in page.all("#timeline .tl-kind")] and not PERSIAN_DIGITS.search(timeline)
    page.shot("customer-360-en")

    # Remembered for this user: a reload (the tab keeps its session) stays in English.
    page.driver.refresh()
    page.wait_text("Policies", "main")
    assert page.js("return document.documentElement.dir") == "ltr"
    page.click("#sign-out")
    page.wait_text("Sign in", "#sign-in")


def test_jalali_dates_are_typed_and_picked(page: Page) -> None:
    sign_in(page, "staff")
    page.open("/#/customers/new")
    birth = page.by_label("تاریخ تولد")
    birth.send_keys("۱۴۰۳/۱۲/۳۰")  # 1403 is a leap year: Esfand has 30 days
    page.by_label("نام").click()
    assert page.all(".date-field .field-error") == []
    birth.clear()
    birth.send_keys("1404/12/30")  # 1404 is not
    page.by_label("نام").click()
    page.wait_text("این تاریخ معتبر نیست.", ".date-field")
    birth.clear()
    birth.send_keys("1404/01/15")
    page.by_label("نام").click()
    page.find(".date-field button[aria-label='باز کردن تقویم']").click()
    focused = page.wait(lambda: page.js("return document.activeElement.getAttribute('aria-label')"), what="a focused day")
    assert focused == "۱۴۰۴/۰۱/۱۵"
    assert "فروردین ۱۴۰۴" in page.text(".calendar")
    page.driver.switch_to.active_element.send_keys(Keys.ARROW_LEFT)  # in RTL, left is the next day
    page.wait(lambda: page.js("return document.activeElement.getAttribute('aria-label')") == "۱۴۰۴/۰۱/۱۶", what="the next day")
    page.shot("date-picker-fa")
    page.driver.switch_to.active_element.send_keys(Keys.ENTER)
    page.wait(lambda: birth.get_attribute("value") == "۱۴۰۴/۰۱/۱۶", what="the picked date in the field")


def test_the_browser_converts_dates_like_jdatetime(page: Page) -> None:
    dates = ["1990-11-24", "2024-03-19", "2024-03-20", "2025-03-20", "2025-03-21", "2026-11-22", "2000-02-29"]
    converted = page.driver.execute_async_script(
        """const [dates, done] = arguments;
        import('/static/js/calendar.js').then((m) => done(dates.map((d) => [m.isoToJalali(d), m.jalaliToIso(...m.isoToJalali(d).split('/').map(Number))])));""",
        dates,
    )
    for iso, (shown, back) in zip(dates, converted, strict=True):
        assert shown == jalali(iso) and back == iso


def test_nav_follows_the_role(page: Page) -> None:
    sign_in(page, "marketing")
    assert nav_labels(page) == ["خانه", "داشبورد", "بخش‌بندی مشتریان", "قالب‌های پیام", "کمپین‌ها"]
    page.click("#sign-out")
    sign_in(page, "agent")
    assert nav_labels(page) == ["خانه", "مشتری جدید", "تمدیدهای پیش رو", "درخواست‌ها", "کارهای من"]
    page.click("#sign-out")
    sign_in(page, "admin")
    assert {"شعب و نمایندگان", "تعطیلات", "کمپین‌ها"} <= set(nav_labels(page))


def test_renewals_list_and_help_overlay(page: Page, web: WebStack) -> None:
    sign_in(page, "staff")
    page.find("body").send_keys("r")
    table = page.wait_text(fa_digits(web.seeded.policies["travel"]["policy_number"]), "#renewals")
    assert "علی رضایی" in table
    page.shot("renewals-fa")
    page.find("body").send_keys("?")
    page.wait_text("میان‌برهای صفحه‌کلید", "dialog[open]")
    page.shot("help-fa")
    page.find("dialog[open]").send_keys(Keys.ESCAPE)
    page.wait(lambda: not page.all("dialog[open]"), what="help closed")


def test_a_tablet_sees_the_360_in_one_column(page: Page) -> None:
    page.driver.set_window_size(820, 1180)
    sign_in(page, "staff")
    open_ali(page)
    page.wait_text("بیمه‌نامه‌ها", "main")
    widths = page.js("return [...document.querySelectorAll('.grid-2 > .card')].map((e) => Math.round(e.getBoundingClientRect().left))")
    assert len(set(widths)) == 1  # stacked, not side by side
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth")
    page.shot("customer-360-tablet-fa")


def test_a_quote_asks_for_the_missing_inputs_then_issues_a_policy(page: Page, web: WebStack) -> None:
    sign_in(page, "staff")
    page.open(f"/#/customers/{web.seeded.customers['maryam']}")
    page.wait_text("مریم کاظمی", "#customer-name")
    page.find("body").send_keys("q")
    product = page.find("dialog[open] select[name=product_code]")
    page.wait(lambda: len(product.find_elements("css selector", "option")) > 1, what="the product list")
    Select(product).select_by_value("travel")
    page.wait(lambda: product.get_attribute("value") == "travel", what="travel chosen")
    page.by_label("مدت به روز (فقط بیمه مسافرتی)", "dialog[open]").send_keys("۱۰")
    page.find("dialog[open] button[type=submit]").click()
    # The API names the rating inputs it needs; the dialog adds a row for each, with its error.
    page.wait(lambda: len(page.all("dialog[open] .inputs-row .field-error")) >= 2, what="the missing inputs")
    rows = {r.find_element("css selector", "input[dir=ltr]").get_attribute("value"): r for r in page.all("dialog[open] .inputs-row")}
    rows["destination_zone"].find_elements("css selector", "input")[1].send_keys("schengen")
    rows["age"].find_elements("css selector", "input")[1].send_keys("۳۵")
    page.find("dialog[open] button[type=submit]").click()
    result = page.wait_text("جمع قابل پرداخت", "dialog[open] .quote-result")
    assert re.search(r"[۰-۹]{1,3}(٬[۰-۹]{3})+ ریال", result)
    page.shot("quote-fa")
    page.find("dialog[open] .quote-result button").click()
    page.wait_text("صادر شد", ".toasts")
    assert "بیمه مسافرتی" in page.wait_text("بیمه مسافرتی", "#policies")
    assert len(page.all("#policies tr.row-expiring")) == 1  # ten days left


def test_editing_details_and_consent_are_saved(page: Page, web: WebStack) -> None:
    sign_in(page, "staff")
    page.open(f"/#/customers/{web.seeded.customers['maryam']}")
    page.wait_text("مریم کاظمی", "#customer-name")
    consent = page.find("input[aria-label='رضایت پیامک برای پیام‌های تبلیغاتی']")
    consent.click()
    page.wait_text("رضایت ثبت شد.", ".toasts")
    page.wait(lambda: page.find("input[aria-label='رضایت پیامک برای پیام‌های تبلیغاتی']").is_selected(), what="consent shown as granted")
    page.find("body").send_keys("e")
    father = page.by_label("نام پدر")
    father.clear()
    father.send_keys("حسن")
    page.click("#customer-save")
    page.wait_text("حسن", ".profile")


# Last: it stops and restarts the policy service.
def test_a_degraded_answer_is_announced(page: Page, web: WebStack) -> None:
    sign_in(page, "staff")
    web.stack["policy-grpc"].stop(grace=5)
    try:
        open_ali(page)
        notice = page.wait_text("بیمه‌نامه‌ها", "#degraded-notice", timeout=15)
        assert "در دسترس نیست" in notice
        page.shot("customer-360-degraded-fa")
    finally:
        web.stack.start("policy-grpc")
        token = web.token("staff")
        assert wait_until(lambda: web.call("GET", "/api/v1/products", token=token)[0] == 200, timeout=20)


def test_a_ticket_is_opened_from_the_360_and_worked_on(page: Page, web: WebStack) -> None:
    sign_in(page, "staff")
    open_ali(page)
    page.find("body").send_keys("t")
    page.by_label("دسته", "dialog[open]").send_keys("claim_delay")
    page.by_label("موضوع", "dialog[open]").send_keys("تأخیر در پرداخت خسارت")
    page.shot("open-ticket-fa")
    page.click("#ticket-save")
    page.wait_text("ثبت شد", ".toasts")
    tickets = page.wait_text("تأخیر در پرداخت خسارت", "#open-tickets")
    assert "مانده" in tickets or "در مهلت" in tickets  # the SLA countdown
    page.find("#open-tickets a").click()
    page.wait_text("تأخیر در پرداخت خسارت", "main h1")
    page.find("#reply-form textarea").send_keys("پرونده برای واحد خسارت ارسال شد.")
    page.find("#reply-form button[type=submit]").click()
    page.wait_text("پرونده برای واحد خسارت ارسال شد.", "#replies")
    Select(page.find("#status-form select[name=status]")).select_by_value("resolved")
    page.find("#status-form button[type=submit]").click()
    page.wait_text("حل‌شده", "main .profile")
    page.shot("ticket-fa")
    page.find("body").send_keys("h")
    page.open("/#/tickets")
    page.wait_text("تأخیر در پرداخت خسارت", "#tickets")
    page.shot("tickets-fa")
    page.open("/#/dashboard")
    page.wait_text("درخواست‌های باز بر پایه مهلت", "main")
    page.shot("dashboard-fa")
