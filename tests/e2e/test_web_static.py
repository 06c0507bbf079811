"""The web UI's files, without a browser: translation tables, vendored libraries, mounting."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "services" / "gateway" / "peyvand_gateway" / "web"
STATIC = WEB / "static"


def _table(lang: str) -> dict[str, str]:
    return dict(json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8")))


def test_persian_and_english_tables_have_the_same_keys() -> None:
    fa, en = _table("fa"), _table("en")
    assert sorted(set(fa) - set(en)) == [] and sorted(set(en) - set(fa)) == []
    assert all(value.strip() for value in [*fa.values(), *en.values()])


def test_every_label_the_code_names_is_in_the_tables() -> None:
    fa = _table("fa")
    used: set[str] = set()
    for path in (STATIC / "js").rglob("*.js"):
        used |= set(re.findall(r"\bt(?:Maybe)?\(\"([A-Za-z0-9_.]+)\"", path.read_text(encoding="utf-8")))
        used |= set(re.findall(r"\"((?:nav|help)\.[a-z_]+)\"", path.read_text(encoding="utf-8")))
    # Keys built at run time from a prefix: every value the API or the code can produce.
    for prefix, values in {
        "role": ("agent", "staff", "manager", "marketing", "admin"),
        "pstatus": ("active", "renewed", "lapsed", "cancelled"),
        "channel": ("sms", "email", "push", "phone"),
        "purpose": ("service", "marketing"),
        "contact": ("mobile", "landline", "email", "address"),
        "tkind": ("call", "visit", "note"),
        "matched": ("national_id", "mobile", "email", "customer_number", "legal_id", "name", "policy_number"),
        "part": ("profile", "policies", "timeline"),
        "customer": ("first_name", "last_name", "father_name", "national_id", "org_name", "legal_id", "economic_code", "mobile", "email", "branch_code"),
        "cstatus": ("active",),
        "tstatus": ("new", "open", "pending_customer", "resolved", "closed"),
        "sla": ("ok", "warning", "breached"),
        "ttype": ("service_request", "complaint", "claim_inquiry", "incident"),
        "level": ("high", "medium", "low"),
        "jmonth": tuple(str(m) for m in range(1, 13)),
        "gmonth": tuple(str(m) for m in range(1, 13)),
        # Campaigns, tasks, holidays (pages/campaign-parts.js, campaign.js, task-parts.js, holidays.js).
        "rfield": ("city", "province", "branch_code", "agent_id", "age_band", "roles", "tags", "product_line", "policy_status", "term_end", "premium"),
        "rop": ("eq", "in", "not_in", "contains", "gte", "lte", "between", "exists"),
        "rule": ("yes", "no", "has_value", "no_value"),
        "segment": ("all", "any"),
        "cmpstatus": ("draft", "scheduled", "running", "paused", "stopped", "completed"),
        "campaign": (
            *(f"r_{k}" for k in ("sent", "delivered", "failed", "opted_out", "converted", "customers_messaged", "queued", "skipped")),
            *(a for a in ("start", "pause", "stop")),
            *(f"done_{a}" for a in ("start", "pause", "stop")),
        ),
        "taskkind": ("renewal_call", "call_back", "visit", "follow_up"),
        "taskstatus": ("open", "done", "cancelled"),
        "holiday": ("source_admin", "source_seed"),
        "lang": ("fa", "en"),
    }.items():
        used |= {f"{prefix}.{v}" for v in values}
    assert sorted(used - set(fa)) == []


def test_every_gateway_error_code_has_a_message() -> None:
    from peyvand_gateway.domain.problems import HTTP_STATUS_BY_CODE

    fa = _table("fa")
    assert sorted(code for code in HTTP_STATUS_BY_CODE if f"error.{code}" not in fa) == []


def test_vendored_files_come_with_licences_and_versions() -> None:
    versions = (STATIC / "vendor" / "VERSIONS.md").read_text(encoding="utf-8")
    for name in ("preact.module.js", "preact-hooks.module.js", "htm.module.js", "jalaali.module.js"):
        assert (STATIC / "vendor" / name).is_file() and name in versions
    for licence in ("LICENSE.preact", "LICENSE.htm", "LICENSE.jalaali-js", "../fonts/OFL.txt"):
        assert (STATIC / "vendor" / licence).is_file()
    # No bare module names: the browser resolves every import without an import map.
    for path in (STATIC / "vendor").glob("*.js"):
        assert re.findall(r"from\s*\"(?![./])", path.read_text(encoding="utf-8")) == [], path.name


def test_mount_serves_the_page_and_its_files() -> None:
    from peyvand_gateway import web

    app = FastAPI()
    web.mount(app)
    client = TestClient(app)
    index = client.get("/")
    assert index.status_code == 200 and 'dir="rtl"' in index.text and 'lang="fa"' in index.text
    assert "<script>" not in index.text  # the gateway's CSP allows scripts from files only
    script = client.get("/static/js/main.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    font = client.get("/static/fonts/Vazirmatn-Regular.woff2")
    assert font.status_code == 200 and font.headers["content-type"] == "font/woff2"
    assert client.get("/static/../__init__.py").status_code == 404
