"""Accessibility of the web UI in headless Chromium: axe-core (WCAG 2.1 A/AA) on the main pages in
Persian and English, and keyboard focus order with a visible focus ring (issue #8)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from browser import Page
from e2e_stack import WebStack
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from test_web_ui import sign_in

pytestmark = pytest.mark.slow

AXE_VERSION = "4.14.1"
AXE_JS = Path(__file__).resolve().parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
LANGS = ["fa", "en"]

# axe.run with the WCAG 2.1 A/AA rules only, answering what a reader of a failure needs.
_RUN_AXE = """
const [tags, done] = arguments;
axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })
  .then((r) => done({ ok: true, violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: (n.failureSummary || "").split("\\n").slice(0, 3).join(" ") })),
    })) }))
  .catch((e) => done({ ok: false, error: String(e) }));
"""


def axe_violations(page: Page, where: str) -> list[str]:
    """The serious and critical WCAG 2.1 A/AA violations axe finds on the page as it is now."""
    if not page.js("return typeof window.axe === 'object'"):
        page.js(AXE_JS.read_text(encoding="utf-8"))
    page.driver.set_script_timeout(60)
    answer: dict[str, Any] = page.driver.execute_async_script(_RUN_AXE, WCAG_TAGS)
    assert answer["ok"], f"axe failed on {where}: {answer.get('error')}"
    found = []
    for v in answer["violations"]:
        if v["impact"] not in BLOCKING:
            continue
        targets = "; ".join(f"{n['target']} ({n['summary']})" for n in v["nodes"][:5])
        more = f" … and {len(v['nodes']) - 5} more" if len(v["nodes"]) > 5 else ""
        found.append(f"[{where}] {v['id']} ({v['impact']}): {v['help']} — {targets}{more} <{v['url']}>")
    return found


def settled(page: Page, css: str) -> None:
    """The page's content is shown (``css`` visible) and nothing is still loading."""
    page.find(css)
    page.wait(lambda: not page.js("return !!document.querySelector('main [aria-busy=true], main .loading')"), what="loading finished")


def use_language(page: Page, lang: str) -> None:
    if page.js("return document.documentElement.lang") != lang:
        page.click(".lang-switch")
    page.wait(
        lambda: page.js("return [document.documentElement.lang, document.documentElement.dir]") == [lang, "rtl" if lang == "fa" else "ltr"],
        what=f"{lang} shown",
    )


def visit(page: Page, path: str, css: str) -> None:
    page.open(f"/#{path}")
    settled(page, css)


def report(problems: list[str]) -> str:
    return f"{len(problems)} serious/critical accessibility violation(s):\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def ticket(web: WebStack) -> dict[str, Any]:
    """A ticket on Ali (for the queue and the ticket page)."""
    body = {
        "customer_id": web.seeded.customers["ali"],
        "type": "complaint",
        "category": "claim_delay",
        "channel": "branch_visit",
        "subject": "تأخیر در پرداخت خسارت بدنه",
        "description": "",
        "impact": "medium",
        "urgency": "high",
    }
    status, answer = web.call("POST", "/api/v1/tickets", body, web.token("staff"), {"Idempotency-Key": uuid.uuid4().hex})
    assert status in (200, 201), answer
    return dict(answer["ticket"])


def test_the_check_reports_a_planted_violation(page: Page) -> None:
    """The harness itself: faint text and an unnamed field are caught and named in the message."""
    page.js(
        "const p = document.createElement('p'); p.id = 'planted-faint'; p.style.color = '#c8c8c8'; p.textContent = 'faint';"
        "const i = document.createElement('input'); i.id = 'planted-unnamed';"
        "document.querySelector('main').append(p, i);"
    )
    problems = "\n".join(axe_violations(page, "planted"))
    assert "color-contrast (serious)" in problems and "#planted-faint" in problems, problems
    assert "label (critical)" in problems and "#planted-unnamed" in problems, problems


@pytest.mark.parametrize("lang", LANGS)
def test_sign_in_page_has_no_serious_violations(page: Page, lang: str) -> None:
    use_language(page, lang)
    problems = axe_violations(page, f"sign-in/{lang}")
    page.type("input[name=username]", "staff")
    page.type("input[name=password]", "not-the-password")
    page.click("#sign-in")
    page.wait(lambda: page.text(".form-error").strip(), what="the sign-in error")
    problems += axe_violations(page, f"sign-in-error/{lang}")
    assert not problems, report(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_staff_pages_have_no_serious_violations(page: Page, web: WebStack, ticket: dict[str, Any], lang: str) -> None:
    sign_in(page, "staff")
    use_language(page, lang)
    problems = axe_violations(page, f"home/{lang}")

    page.type("#global-search", "09121234567")
    page.find("#search-results li[id^=hit-]")
    problems += axe_violations(page, f"search-results/{lang}")
    page.find("#global-search").send_keys(Keys.ENTER)
    settled(page, "#customer-name")
    page.find("#policies")
    problems += axe_violations(page, f"customer-360/{lang}")
    for key, name in (("l", "log-call-dialog"), ("q", "quote-dialog"), ("t", "open-ticket-dialog")):
        page.find("body").send_keys(key)
        page.find("dialog[open] form")
        problems += axe_violations(page, f"{name}/{lang}")
        page.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        page.wait(lambda: not page.all("dialog[open]"), what=f"{name} closed")
    page.find("body").send_keys("?")
    page.find("dialog[open] table")
    problems += axe_violations(page, f"shortcuts-help/{lang}")
    page.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    page.wait(lambda: not page.all("dialog[open]"), what="help closed")

    # A new-customer form refused by the API (errors beside the fields) with the calendar open.
    visit(page, "/customers/new", "#customer-form")
    page.click("#customer-save")
    page.find("#customer-form .field-error")
    page.click(".date-field button[aria-expanded]")
    page.find(".calendar")
    problems += axe_violations(page, f"customer-form-errors/{lang}")

    visit(page, "/tickets", "#tickets")
    problems += axe_violations(page, f"ticket-queue/{lang}")
    visit(page, f"/tickets/{ticket['ticket_id']}", "#reply-form")
    problems += axe_violations(page, f"ticket/{lang}")
    visit(page, "/renewals", "#renewals")
    problems += axe_violations(page, f"renewals/{lang}")
    visit(page, "/dashboard", "#sla-table")
    problems += axe_violations(page, f"dashboard/{lang}")
    assert not problems, report(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_marketing_pages_have_no_serious_violations(page: Page, lang: str) -> None:
    sign_in(page, "marketing")
    use_language(page, lang)
    visit(page, "/segments", "#segment-form")
    problems = axe_violations(page, f"segments/{lang}")
    visit(page, "/templates", "#template-form")
    page.find("#template-form textarea").send_keys("{customer_name} عزیز، تمدید بیمه تا {end_date}")
    page.find("#template-rendered-body")
    problems += axe_violations(page, f"templates/{lang}")
    visit(page, "/campaigns", "main h1")
    problems += axe_violations(page, f"campaigns/{lang}")
    assert not problems, report(problems)


# --- keyboard: Tab order follows what the eye reads, and the focused control is marked ---------

# The focused element, where it is, and its focus ring: the ring's colour and the colours it
# touches (a halo drawn by box-shadow inside it, else the background of the ancestors around it).
_FOCUSED = """
const el = document.activeElement, s = getComputedStyle(el), r = el.getBoundingClientRect();
const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const opaque = (c) => { const v = rgba(c); return v.length >= 3 && (v.length < 4 || v[3] > 0.5); };
let node = el.parentElement, around = [255, 255, 255];
for (; node; node = node.parentElement) { const bg = getComputedStyle(node).backgroundColor; if (opaque(bg)) { around = rgba(bg); break; } }
const touching = [around];
const halo = s.boxShadow.match(/rgba?\\([^)]*\\)/);
if (halo && opaque(halo[0])) touching.push(rgba(halo[0]));
return { key: el.getAttribute("name") || el.id || el.className || el.tagName, visible: el.matches(":focus-visible"),
  outline: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0, ring: rgba(s.outlineColor), touching,
  top: r.top, bottom: r.bottom, left: r.left, right: r.right };
"""


def tab(page: Page, backwards: bool = False) -> dict[str, Any]:
    chain = ActionChains(page.driver)
    if backwards:
        chain.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT)
    else:
        chain.send_keys(Keys.TAB)
    chain.perform()
    return dict(page.js(_FOCUSED))


def _luminance(rgb: list[float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def assert_focus_visible(focused: dict[str, Any]) -> None:
    """A focus ring at least 2px wide whose colour stands out 3:1 from what it touches (WCAG 1.4.11)."""
    assert focused["visible"], f"{focused['key']} is focused but not :focus-visible"
    assert focused["outline"] not in ("none", "hidden") and focused["width"] >= 2, f"no focus ring on {focused['key']}: {focused}"
    ring = focused["ring"]
    best = max(contrast(ring, other) for other in focused["touching"])
    assert best >= 3, f"the focus ring of {focused['key']} (rgb{tuple(ring)}) has contrast {best:.2f}:1 with what surrounds it (needs 3:1)"


def reads_before(a: dict[str, Any], b: dict[str, Any], rtl: bool) -> bool:
    """``a`` comes before ``b`` in reading order: a row above, or on the same row towards the line's start."""
    if a["bottom"] <= b["top"] + 2:
        return True
    if abs(a["top"] - b["top"]) <= 8:
        return a["left"] >= b["right"] - 1 if rtl else a["right"] <= b["left"] + 1
    return False


@pytest.mark.parametrize("lang", LANGS)
def test_sign_in_form_tab_order_and_visible_focus(page: Page, lang: str) -> None:
    use_language(page, lang)
    page.js("document.getElementById('main').focus()")  # where the app puts focus on arrival
    order = [tab(page) for _ in range(3)]
    assert [f["key"] for f in order] == ["username", "password", "sign-in"]
    before = tab(page, backwards=True), tab(page, backwards=True), tab(page, backwards=True)
    assert before[-1]["key"] == "lang-switch", before  # the language switch comes first, above the form
    for focused in [before[-1], *order]:
        assert_focus_visible(focused)
    sequence = [before[-1], *order]
    for a, b in zip(sequence, sequence[1:], strict=False):
        assert reads_before(a, b, rtl=lang == "fa"), f"Tab goes from {a['key']} to {b['key']}, against the reading order"


@pytest.mark.parametrize("lang", LANGS)
def test_customer_360_actions_tab_order_and_visible_focus(page: Page, web: WebStack, lang: str) -> None:
    sign_in(page, "staff")
    use_language(page, lang)
    visit(page, f"/customers/{web.seeded.customers['ali']}", "#customer-name")
    page.find("#action-log")
    page.js("document.getElementById('main').focus()")
    first = tab(page)
    assert first["key"] == "action-log", f"the first Tab on the 360 goes to {first['key']}, not the first action"
    actions = [first] + [tab(page) for _ in range(4)]
    assert [a["key"] for a in actions] == ["action-log", "action-edit", "action-quote", "action-ticket", "action-merge"]
    for focused in actions:
        assert_focus_visible(focused)
    for a, b in zip(actions, actions[1:], strict=False):
        assert reads_before(a, b, rtl=lang == "fa"), f"Tab goes from {a['key']} to {b['key']}, against the reading order ({lang})"


@pytest.mark.parametrize("lang", LANGS)
def test_header_tab_order_and_the_skip_link(page: Page, web: WebStack, lang: str) -> None:
    sign_in(page, "staff")
    use_language(page, lang)
    visit(page, f"/customers/{web.seeded.customers['ali']}", "#customer-name")
    page.js("document.getElementById('main').focus()")
    backwards = []
    while not backwards or "skip-link" not in backwards[-1]["key"]:
        backwards.append(tab(page, backwards=True))
        assert len(backwards) <= 20, f"Shift+Tab from the content never reached the skip link: {[f['key'] for f in backwards]}"
    order = backwards[::-1]
    keys = [f["key"] for f in order]
    assert keys[:6] == ["skip-link", "brand", "global-search", "lang-switch", "icon", "sign-out"], keys
    assert len(keys) == 6 + len(page.all(".mainnav a")), keys  # then every nav link, and nothing hidden
    for focused in order:
        assert_focus_visible(focused)
    assert order[0]["top"] >= 0 and order[0]["bottom"] > order[0]["top"], "the focused skip link is off screen"
    for a, b in zip(order[1:], order[2:], strict=False):  # the skip link itself floats over the header
        assert reads_before(a, b, rtl=lang == "fa"), f"Tab goes from {a['key']} to {b['key']}, against the reading order ({lang})"

    # Enter on the skip link puts focus on the content and stays on the same page.
    url = page.driver.current_url
    page.driver.switch_to.active_element.send_keys(Keys.ENTER)
    page.wait(lambda: page.js("return document.activeElement.id") == "main", what="focus on the main content")
    assert page.driver.current_url == url
    assert page.find("#customer-name").is_displayed()


def test_tablet_layout_has_no_serious_violations(page: Page, web: WebStack) -> None:
    page.driver.set_window_size(820, 1180)
    sign_in(page, "staff")
    visit(page, f"/customers/{web.seeded.customers['ali']}", "#customer-name")
    page.find("#policies")
    problems = axe_violations(page, "customer-360/tablet/fa")
    visit(page, "/renewals", "#renewals")
    problems += axe_violations(page, "renewals/tablet/fa")
    assert not problems, report(problems)
