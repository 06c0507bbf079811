"""The access-control matrix, generated from the gateway's routes: every endpoint × every role ×
a record inside and outside the role's scope, plus signed-out callers and bad tokens.

Out-of-scope reads answer 404, writes 403 or 404; lists, search and sync never carry an
out-of-scope record; marketing never sees an individual profile; guarded routes refuse the
roles they do not name (403); nothing answers 5xx.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from access_rules import PUBLIC_PREFIXES, RULES, Rule, allowed_roles, gateway_routes
from security_stack import ROLES, Answer, Record, SecurityStack

ROUTES = gateway_routes()
CHECKED = [(m, p) for m, p in ROUTES if (m, p) in RULES and m != "HEAD"]


def out_of_scope(role: str) -> tuple[str, ...]:
    """Seeded records the role must not see (``mine`` is agent 1's, in branch 1021, region TEH)."""
    return {"agent": ("colleague", "far"), "staff": ("far",), "manager": ("far",), "marketing": ("mine", "colleague", "far"), "admin": ()}[role]


def _path(path: str, record: Record | None) -> str:
    filled = path
    for name in ("customer_id", "policy_id", "ticket_id", "task_id", "quote_id"):
        filled = filled.replace("{" + name + "}", getattr(record, name) if record else "cus_01JG0000000000000000000NONE")
    return (
        filled.replace("{campaign_id}", "cmp_01JG0000000000000000000NONE").replace("{agent_id}", "agt_01JG0000000000000000000AG3")
        .replace("{device_id}", "dev-none").replace("{date}", "1405-01-05").replace("{token}", "not-a-token")
    )


def _send(sec: SecurityStack, method: str, path: str, rule: Rule, role: str | None, target: Record | None) -> Answer:
    body = rule.body(target, sec.records) if (rule.body and target) else ({} if method in ("POST", "PUT", "PATCH") else None)
    headers = dict(rule.headers)
    if "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = f"matrix-{role}-{method}-{path}"[:100]
    url = _path(path, target)
    return sec.call(method, url + ("?" + rule.query if rule.query and "{" not in rule.query else ""), body, role, headers)


def test_every_route_is_classified() -> None:
    """A new endpoint must be added to access_rules.RULES (and so to this matrix) to pass."""
    unclassified = [(m, p) for m, p in ROUTES if (m, p) not in RULES and not (m == "MOUNT" or p.startswith(PUBLIC_PREFIXES) or p == "/")]
    assert not unclassified, f"classify these routes in tests/security/access_rules.py: {unclassified}"
    assert len(CHECKED) >= 70


@pytest.mark.parametrize(("method", "path"), [r for r in CHECKED if RULES[r].kind != "public"], ids=lambda v: str(v))
def test_signed_out_callers_are_refused(sec: SecurityStack, method: str, path: str) -> None:
    answer = _send(sec, method, path, RULES[(method, path)], None, sec.records["far"])
    assert answer.status == 401, answer.body
    assert answer.headers.get("content-type", "").startswith("application/problem+json")


RECORD_ROUTES = [r for r in CHECKED if RULES[r].kind == "record"]


@pytest.mark.parametrize(("method", "path"), RECORD_ROUTES, ids=lambda v: str(v))
@pytest.mark.parametrize("role", ROLES)
def test_records_outside_the_callers_scope_are_not_found_or_forbidden(sec: SecurityStack, role: str, method: str, path: str) -> None:
    rule = RULES[(method, path)]
    gate = allowed_roles(method, path)
    for key in out_of_scope(role):
        target = sec.records[key]
        answer = _send(sec, method, path, rule, role, target)
        if gate is not None and role not in gate:
            assert answer.status == 403, (key, answer.body)
            continue
        if path == "/mobile/v1/sync/push":
            # Each queued change has its own outcome; the out-of-scope one must not be applied.
            assert answer.status == 200, (key, answer.body)
            outcomes = answer.body["outcomes"]
            assert outcomes and all(o["outcome"] not in ("applied", "duplicate") for o in outcomes), (key, outcomes)
            continue
        allowed = {403, 404} if rule.write else {404}
        assert answer.status in allowed, (role, key, answer.status, answer.body)
        assert not _mentions(answer.body, target), (role, key, answer.body)


READ_ROUTES = [r for r in RECORD_ROUTES if not RULES[r].write]


@pytest.mark.parametrize(("method", "path"), READ_ROUTES, ids=lambda v: str(v))
@pytest.mark.parametrize("role", ROLES)
def test_records_inside_the_callers_scope_are_readable(sec: SecurityStack, role: str, method: str, path: str) -> None:
    """The other half of the matrix: the refusals above are not just everything refused."""
    gate = allowed_roles(method, path)
    answer = _send(sec, method, path, RULES[(method, path)], role, sec.records["mine"])
    if gate is not None and role not in gate:
        assert answer.status == 403, answer.body
    elif role == "marketing":
        assert answer.status == 404, answer.body  # marketing never browses individual profiles
    else:
        assert answer.status == 200, answer.body


LIST_ROUTES = [r for r in CHECKED if RULES[r].kind == "list"]


@pytest.mark.parametrize(("method", "path"), LIST_ROUTES, ids=lambda v: str(v))
@pytest.mark.parametrize("role", ROLES)
def test_lists_never_carry_records_outside_the_callers_scope(sec: SecurityStack, role: str, method: str, path: str) -> None:
    rule = RULES[(method, path)]
    gate = allowed_roles(method, path)
    answers = []
    if "{search}" in rule.query:
        for record in sec.records.values():
            for term in (record.national_id, record.mobile, record.email, record.customer_id, record.policy_number):
                answers.append(sec.call(method, f"{path}?q={_quote(term)}", None, role))
    else:
        answers.append(_send(sec, method, path, rule, role, None))
    for answer in answers:
        if gate is not None and role not in gate:
            assert answer.status == 403, answer.body
            continue
        assert answer.status == 200, answer.body
        for key in out_of_scope(role):
            assert not _mentions(answer.body, sec.records[key]), (role, key, answer.body)


def test_search_finds_what_is_in_scope(sec: SecurityStack) -> None:
    """Searches that must find something do (so the leak checks above can fail)."""
    mine = sec.records["mine"]
    for role in ("agent", "staff", "manager", "admin"):
        for term in (mine.national_id, mine.mobile):
            answer = sec.call("GET", f"/api/v1/customers?q={_quote(term)}", None, role)
            assert answer.status == 200 and [h["customer"]["customer_id"] for h in answer.body["items"]] == [mine.customer_id], (role, answer.body)
    far = sec.records["far"]
    answer = sec.call("GET", f"/api/v1/customers?q={_quote(far.national_id)}", None, "admin")
    assert [h["customer"]["customer_id"] for h in answer.body["items"]] == [far.customer_id]


def test_the_agents_book_and_sync_carry_their_own_customer(sec: SecurityStack) -> None:
    for path in ("/mobile/v1/book?limit=200", "/mobile/v1/sync/pull?limit=500"):
        answer = sec.call("GET", path, None, "agent")
        assert answer.status == 200 and _mentions(answer.body, sec.records["mine"]), answer.body


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _mentions(body: Any, record: Record) -> bool:
    """Whether an answer carries any id or personal datum of ``record`` (a problem's
    ``instance`` is the caller's own request path, not a disclosure)."""
    if isinstance(body, dict) and "instance" in body:
        body = {k: v for k, v in body.items() if k != "instance"}
    text = json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body
    return any(value and value in text for value in (*record.ids(), record.national_id, record.mobile[1:], record.email, record.policy_number))
