"""Large and odd inputs at the gateway: 10 MB bodies, deep JSON, Unicode edge cases, and
operator-shaped values (``{"$gt": ""}``) that must stay data, never become a query."""

from __future__ import annotations

import random
import socket
import urllib.parse
from typing import Any

import pytest
from security_stack import AGENT_1, SecurityStack, national_id

TEN_MB = 10 * 1024 * 1024
OPERATORS: tuple[Any, ...] = (
    {"$gt": ""}, {"$ne": None}, {"$regex": ".*"}, {"$where": "1"}, {"$in": ["1021", "3101"]}, ["$gt", ""], '{"$gt": ""}', "$gt", ".*", "*",
)
ZWNJ, RLM = "\u200c", "\u200f"


def _problem(answer: Any, status: int) -> None:
    assert answer.status == status, (answer.status, str(answer.body)[:300])
    assert answer.headers.get("content-type", "").startswith("application/problem+json"), answer.headers
    assert answer.body["status"] == status and answer.body["code"]


def _post_ten_megabytes(sec: SecurityStack, chunked: bool) -> tuple[bytes, bytes]:
    """POST 10 MB of JSON over a raw socket (the gateway may answer and close before it has
    all of it, which a normal client reports as a broken pipe); the reply's head and body."""
    host, port = sec.base_url.removeprefix("http://").split(":")
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {TEN_MB}"
    head = (
        f"POST /api/v1/customers HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {sec.tokens['staff']}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n"
    ).encode()
    chunk = b"a" * 65536
    reply = b""
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        try:
            conn.sendall(head)
            for _ in range(TEN_MB // len(chunk)):
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                conn.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway answered and closed early: what we want
        try:
            while data := conn.recv(65536):
                reply += data
        except (ConnectionResetError, TimeoutError):
            pass
    head_part, _, body = reply.partition(b"\r\n\r\n")
    return head_part, body


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_ten_megabyte_body_is_refused_with_413(sec: SecurityStack, chunked: bool) -> None:
    """With a Content-Length it is refused unread; without one (chunked) the limit counts the
    bytes as they arrive."""
    head, body = _post_ten_megabytes(sec, chunked)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    assert b"application/problem+json" in head.lower()
    assert b"PAYLOAD_TOO_LARGE" in body, body[:300]
    assert sec.call("GET", "/livez").status == 200  # and the gateway is still there


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_client_error_not_a_crash(sec: SecurityStack, depth: int) -> None:
    body = ('{"first_name": ' + "[" * depth + "]" * depth + "}").encode()
    answer = sec.call("PATCH", f"/api/v1/customers/{sec.records['mine'].customer_id}", role="staff", raw=body, headers={"If-Match": '"v1"'})
    assert answer.status in (400, 422), (answer.status, str(answer.body)[:300])
    deep_object = ('{"a":' * depth + "1" + "}" * depth).encode()
    answer = sec.call("POST", "/mobile/v1/sync/push", role="agent", raw=deep_object)
    assert answer.status in (400, 422), (answer.status, str(answer.body)[:300])
    assert sec.call("GET", "/livez").status == 200


@pytest.mark.parametrize(
    "text",
    ["مریم" + ZWNJ + "ها", RLM + "کاظمی" + RLM, "\u202eکاظمی\u202c", "كاظمي", "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "09۱۲1٢3۴5٦7", "\x00", "a\x00b", "\ufeff", "😀", "ـ" * 200],
)
def test_unicode_edge_cases_in_search_are_answered(sec: SecurityStack, text: str) -> None:
    answer = sec.call("GET", "/api/v1/customers?q=" + urllib.parse.quote(text, safe=""), role="staff")
    assert answer.status in (200, 422), (answer.status, answer.body)


def test_mixed_digit_forms_of_a_mobile_find_the_same_customer(sec: SecurityStack) -> None:
    mine = sec.records["mine"]
    persian = mine.mobile.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    arabic = mine.mobile.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for form in (mine.mobile, persian, arabic, "+98" + mine.mobile[1:]):
        answer = sec.call("GET", "/api/v1/customers?q=" + urllib.parse.quote(form, safe=""), role="staff")
        assert [h["customer"]["customer_id"] for h in answer.body["items"]] == [mine.customer_id], (form, answer.body)


def test_unicode_edge_cases_in_names_are_stored_or_refused_cleanly(sec: SecurityStack) -> None:
    for first, last in [("مریم" + ZWNJ + "السادات", "کاظمی"), (RLM + "علی", "رضایی" + RLM), ("\x00", "x"), ("😀", "😀"), ("a" * 5000, "b")]:
        answer = sec.call(
            "POST", "/api/v1/customers",
            {"kind": "person", "first_name": first, "last_name": last, "national_id": national_id(f"{random.randrange(10**8, 10**9)}"),
             "branch_code": "1021", "agent_id": AGENT_1, "override_duplicate_warning": True},
            "staff",
        )
        assert answer.status in (201, 422), (first[:20], answer.status, answer.body)
        if answer.status == 201:  # stored as given, but for the bidi marks the service strips
            assert answer.body["first_name"] == first.replace(RLM, ""), (first[:20], answer.body["first_name"][:20])


# --- operator-shaped values are data ------------------------------------------------------------


@pytest.mark.parametrize("value", OPERATORS, ids=repr)
def test_operator_shaped_search_terms_match_nothing(sec: SecurityStack, value: Any) -> None:
    as_text = value if isinstance(value, str) else __import__("json").dumps(value)
    for role in ("staff", "admin"):
        answer = sec.call("GET", "/api/v1/customers?q=" + urllib.parse.quote(as_text, safe=""), role=role)
        assert answer.status in (200, 422), answer.body
        if answer.status == 200:
            assert answer.body["items"] == [], (role, value, answer.body)  # not "everything"
    # Also as repeated / bracketed query parameters, the way some frameworks build objects.
    for query in ("q[$gt]=&q=x", "q[$ne]=1", "q=%7B%22%24gt%22%3A%22%22%7D&limit=100", "agent_id[$ne]=x&limit=200"):
        answer = sec.call("GET", "/api/v1/customers?" + query, role="admin")
        assert answer.status in (200, 422) and (answer.status == 422 or answer.body["items"] == []), (query, answer.body)


@pytest.mark.parametrize("value", OPERATORS[:6], ids=repr)
def test_operator_shaped_values_in_record_fields_are_refused_or_kept_as_text(sec: SecurityStack, value: Any) -> None:
    mine = sec.records["mine"]
    # In an id: looked up as the literal string, so nothing is found.
    as_text = value if isinstance(value, str) else __import__("json").dumps(value)
    for path in (f"/api/v1/customers/{urllib.parse.quote(as_text, safe='')}", f"/api/v1/policies/{urllib.parse.quote(as_text, safe='')}"):
        answer = sec.call("GET", path, role="admin")
        assert answer.status in (404, 422), (path, answer.status, answer.body)
    listed = sec.call("GET", "/api/v1/policies?customer_id=" + urllib.parse.quote(as_text, safe="") + "&limit=200", role="admin")
    assert listed.status in (200, 422) and (listed.status == 422 or listed.body["items"] == []), listed.body
    # In bodies of create, update and sync: a JSON object where a string belongs is a 422; a
    # string that looks like an operator is stored as that string.
    create = sec.call("POST", "/api/v1/customers", {"kind": "person", "first_name": value, "last_name": "x", "branch_code": "1021", "agent_id": AGENT_1}, "staff")
    assert create.status in (201, 409, 422), create.body
    if create.status == 201:
        assert create.body["first_name"] == value
    update = sec.call("PATCH", f"/api/v1/customers/{mine.customer_id}", {"last_name": value}, "staff", {"If-Match": '"999"'})
    assert update.status in (409, 422), update.body  # a stale version or bad field; never applied as a filter
    sync = sec.call(
        "POST", "/mobile/v1/sync/push",
        {"changes": [{"idempotency_key": "k" * 8 + str(abs(hash(as_text))), "kind": "update_customer", "customer_id": value, "data": {"first_name": value}}]},
        "agent",
    )
    assert sync.status in (200, 422), sync.body
    if sync.status == 200:
        assert all(o["outcome"] not in ("applied", "duplicate") for o in sync.body["outcomes"]), sync.body
    pull = sec.call("GET", "/mobile/v1/sync/pull?since=" + urllib.parse.quote(as_text, safe="") + "&limit=500", role="agent")
    assert pull.status in (200, 422), pull.body
    if pull.status == 200:
        assert not any(c["customer_id"] in (sec.records["far"].customer_id, sec.records["colleague"].customer_id) for c in pull.body["customers"])


# --- numbers past what the wire carries (found by the OpenAPI fuzzer: they answered 500) ----------


@pytest.mark.parametrize("tag", ['"v99999999999999999999"', '"v²"', '"v-1"', '"v0"'])
def test_version_tags_beyond_int64_or_not_ascii_digits_are_a_validation_error(sec: SecurityStack, tag: str) -> None:
    mine = sec.records["mine"]
    answer = sec.call("PATCH", f"/api/v1/customers/{mine.customer_id}", {"last_name": "x"}, "staff", {"If-Match": tag})
    _problem(answer, 422)


@pytest.mark.parametrize("term_days", [-73785972171862925312, 2**31, 2**63])
def test_term_days_beyond_int32_is_a_validation_error(sec: SecurityStack, term_days: int) -> None:
    mine = sec.records["mine"]
    body = {"product_code": "travel", "holder_id": mine.customer_id, "inputs": {"destination_zone": "neighbours", "age": "38"}, "term_days": term_days}
    _problem(sec.call("POST", "/api/v1/quotes", body, "staff"), 422)
