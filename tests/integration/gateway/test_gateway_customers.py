"""Customers, the 360° view, problems and limits through the real HTTP API."""

from __future__ import annotations

import time

from gateway_harness import MINE, OTHER, TICKET_MINE, TICKET_OTHER, GatewayUnderTest


def test_out_of_scope_customer_is_404_problem(gw: GatewayUnderTest) -> None:
    answer = gw.client.get(f"/api/v1/customers/{OTHER}", headers=gw.bearer("staff"))
    assert answer.status_code == 404
    body = answer.json()
    assert body["code"] == "CUSTOMER_NOT_FOUND" and body["instance"] == f"/api/v1/customers/{OTHER}"
    assert body["request_id"] == answer.headers["X-Request-ID"]


def test_mobile_api_is_for_agents_only(gw: GatewayUnderTest) -> None:
    answer = gw.client.get("/mobile/v1/book", headers=gw.bearer("staff"))
    assert answer.status_code == 403 and answer.json()["code"] == "PERMISSION_DENIED"


def test_staff_see_identifiers_in_full_marketing_masked(gw: GatewayUnderTest) -> None:
    staff = gw.client.get("/api/v1/customers", params={"q": "مریم"}, headers=gw.bearer("staff")).json()
    assert staff["items"][0]["customer"]["national_id"] == "0012345679"
    assert staff["items"][0]["customer"]["contact_points"][0]["value"] == "09121234567"
    # Marketing sees no individual records from the service; masking is checked in unit tests.


def test_policy_number_search_finds_the_holder(gw: GatewayUnderTest) -> None:
    answer = gw.client.get("/api/v1/customers", params={"q": "۱۰۲۱-۱۴۰۵-۰۰۰۰۰۱"}, headers=gw.bearer("staff"))
    assert answer.status_code == 200
    assert [h["customer"]["customer_id"] for h in answer.json()["items"]] == [MINE]
    assert answer.json()["items"][0]["matched_on"] == "policy_number"


def test_update_needs_current_version(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("staff")
    missing = gw.client.patch(f"/api/v1/customers/{MINE}", json={"last_name": "نو"}, headers=headers)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "If-Match"
    ok = gw.client.patch(f"/api/v1/customers/{MINE}", json={"last_name": "نو"}, headers={**headers, "If-Match": '"v1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"v2"'
    stale = gw.client.patch(f"/api/v1/customers/{MINE}", json={"last_name": "کهنه"}, headers={**headers, "If-Match": '"v1"'})
    assert stale.status_code == 409 and stale.json()["code"] == "VERSION_CONFLICT"


def test_request_validation_is_422_problem_naming_the_field(gw: GatewayUnderTest) -> None:
    answer = gw.client.post(f"/api/v1/customers/{MINE}/interactions", json={"kind": "fax", "summary": "x"}, headers=gw.bearer("staff"))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == ["kind"]


def test_360_composes_and_answers_304_when_unchanged(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("staff")
    first = gw.client.get(f"/api/v1/customers/{MINE}/360", headers=headers)
    assert first.status_code == 200
    body = first.json()
    assert body["degraded"] == [] and body["customer"]["customer_id"] == MINE
    assert [p["policy_number"] for p in body["policies"]] == ["1021-1405-000001"]
    again = gw.client.get(f"/api/v1/customers/{MINE}/360", headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_360_with_a_slow_backend_is_degraded_within_the_deadline(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("staff")
    gw.policies.delay = 5.0
    started = time.monotonic()
    answer = gw.client.get(f"/api/v1/customers/{MINE}/360", headers=headers)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200
    assert answer.json()["degraded"] == ["policies"] and answer.json()["customer"]["customer_id"] == MINE
    assert elapsed < 2.0
    assert "ETag" not in answer.headers
    metrics = gw.client.get("/metrics").text
    assert 'peyvand_gateway_degraded_answers_total{missing_service="policy"}' in metrics


def test_360_with_every_backend_stalled_is_503_not_500(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("staff")
    gw.customers.profile_delay = gw.customers.timeline_delay = gw.policies.delay = 5.0
    gw.tickets.delay = gw.campaign.delay = 5.0
    answer = gw.client.get(f"/api/v1/customers/{MINE}/360", headers=headers)
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.json()["code"] == "DEPENDENCY_UNAVAILABLE"


def test_sync_push_twice_applies_once_and_reports_conflicts(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("agent")
    batch = {
        "changes": [
            {"idempotency_key": "k-log-00001", "kind": "log_interaction", "customer_id": MINE, "data": {"kind": "call", "summary": "تماس"}},
            {"idempotency_key": "k-upd-00001", "kind": "update_customer", "customer_id": MINE, "base_version": 1, "data": {"last_name": "نو"}},
            {"idempotency_key": "k-upd-00002", "kind": "update_customer", "customer_id": MINE, "base_version": 1, "data": {"last_name": "دیگر"}},
            {"idempotency_key": "k-bad-00001", "kind": "delete_everything", "customer_id": MINE},
            {"idempotency_key": "k-oth-00001", "kind": "log_interaction", "customer_id": OTHER, "data": {"kind": "note", "summary": "x"}},
        ]
    }
    first = gw.client.post("/mobile/v1/sync/push", json=batch, headers=headers).json()["outcomes"]
    assert [o["outcome"] for o in first] == ["applied", "applied", "conflict", "rejected", "rejected"]
    assert first[2]["current_version"] == 2 and first[2]["current"]["display_name"] == "مریم نو"
    assert first[4]["reason"] == "CUSTOMER_NOT_FOUND"
    second = gw.client.post("/mobile/v1/sync/push", json=batch, headers=headers).json()["outcomes"]
    assert [o["outcome"] for o in second] == ["duplicate", "duplicate", "conflict", "rejected", "rejected"]
    assert len(gw.customers.timeline[MINE]) == 1
    assert gw.customers.customers[MINE].version == 2


def test_sync_pull_returns_the_book_then_only_changes(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("agent")
    first = gw.client.get("/mobile/v1/sync/pull", headers=headers).json()
    assert [c["customer_id"] for c in first["customers"]] == [MINE]
    assert [t["ticket_id"] for t in first["tickets"]] == [TICKET_MINE] and first["degraded"] == []
    empty = gw.client.get("/mobile/v1/sync/pull", params={"since": first["next_token"]}, headers=headers).json()
    assert empty["customers"] == [] and empty["tickets"] == [] and empty["tasks"] == []
    gw.tickets.delay = 5.0  # ticketing stalls: customers still come, tickets and tasks keep their position
    gw.gateway.settings.backend_timeout_seconds, saved = 0.5, gw.gateway.settings.backend_timeout_seconds
    try:
        partial = gw.client.get("/mobile/v1/sync/pull", headers=headers).json()
    finally:
        gw.gateway.settings.backend_timeout_seconds = saved
    assert [c["customer_id"] for c in partial["customers"]] == [MINE] and "tickets" in partial["degraded"]
    assert "customers" not in partial["degraded"] and partial["tickets"] == []
    gw.tickets.delay = 0.0
    resumed = gw.client.get("/mobile/v1/sync/pull", params={"since": partial["next_token"]}, headers=headers).json()
    assert [t["ticket_id"] for t in resumed["tickets"]] == [TICKET_MINE] and resumed["customers"] == []
    bad = gw.client.get("/mobile/v1/sync/pull", params={"since": "garbage!"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"


def test_sync_reconcile_drops_what_left_the_book_and_nothing_of_a_silent_service(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("agent")
    held = {"customers": [MINE, OTHER], "tickets": [TICKET_MINE, TICKET_OTHER]}
    answer = gw.client.post("/mobile/v1/sync/reconcile", json=held, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"removed": {"customers": [OTHER], "tasks": [], "tickets": [TICKET_OTHER]}, "degraded": []}
    gw.tickets.delay = 5.0  # ticketing stalls: its ids are not judged (never dropped), customers still are
    gw.gateway.settings.backend_timeout_seconds, saved = 0.5, gw.gateway.settings.backend_timeout_seconds
    try:
        partial = gw.client.post("/mobile/v1/sync/reconcile", json=held, headers=headers)
        alone = gw.client.post("/mobile/v1/sync/reconcile", json={"tickets": [TICKET_MINE]}, headers=headers)
    finally:
        gw.gateway.settings.backend_timeout_seconds = saved
        gw.tickets.delay = 0.0
    assert partial.status_code == 200 and partial.json() == {"removed": {"customers": [OTHER], "tasks": [], "tickets": []}, "degraded": ["tickets"]}
    assert alone.status_code == 503 and alone.headers["content-type"] == "application/problem+json"


def test_sync_reconcile_refuses_bad_input_naming_the_field(gw: GatewayUnderTest) -> None:
    """Bounded and well-formed ids only (422 naming the field); no backend is asked for bad input."""
    headers = gw.bearer("agent")
    well_formed = [f"cus_01JG{n:022d}" for n in range(2001)]
    cases = [
        ({"customers": well_formed}, "customers"),
        ({"tickets": ["tkt_not-an-id"]}, "tickets.0"),
        ({"tasks": ["tsk_01JG0000000000000000000001", {"$gt": ""}]}, "tasks.1"),
        ({"customers": [{"$gt": ""}]}, "customers.0"),
        ({"customers": [TICKET_MINE]}, "customers.0"),  # a ticket id where customer ids go
        ({"customers": "cus_01JG0000000000000000000001"}, "customers"),
        ({"policies": []}, "policies"),
    ]
    for body, field in cases:
        answer = gw.client.post("/mobile/v1/sync/reconcile", json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in answer.json()["errors"]], (field, answer.json())
    assert gw.client.post("/mobile/v1/sync/reconcile", json={}, headers=gw.bearer("staff")).status_code == 403
    empty = gw.client.post("/mobile/v1/sync/reconcile", json={}, headers=headers)
    assert empty.status_code == 200 and empty.json() == {"removed": {"customers": [], "tasks": [], "tickets": []}, "degraded": []}


def test_my_day_lists_renewals_and_birthdays(gw: GatewayUnderTest) -> None:
    answer = gw.client.get("/mobile/v1/my-day", headers=gw.bearer("agent"))
    assert answer.status_code == 200
    assert "renewals_due" in answer.json() and answer.json()["degraded"] == []


def test_rate_limit_answers_429_with_retry_after(gw: GatewayUnderTest) -> None:
    from peyvand_gateway.domain.rate_limit import TokenBuckets

    headers = gw.bearer("staff")
    gw.gateway.rate_limits = TokenBuckets(rate_per_second=0.1, burst=3)
    codes = [gw.client.get("/api/v1/auth/me", headers=headers).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    limited = gw.client.get("/api/v1/auth/me", headers=headers)
    assert limited.json()["code"] == "RATE_LIMITED" and int(limited.headers["Retry-After"]) >= 1


def test_metrics_use_route_templates_and_headers_are_safe(gw: GatewayUnderTest) -> None:
    answer = gw.client.get(f"/api/v1/customers/{MINE}", headers={**gw.bearer("staff"), "X-Request-ID": "abc-123"})
    assert answer.headers["X-Request-ID"] == "abc-123"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    metrics = gw.client.get("/metrics").text
    assert 'route="/api/v1/customers/{customer_id}"' in metrics and MINE not in metrics
    assert gw.client.get("/livez").status_code == 200 and gw.client.get("/readyz").status_code == 200


def test_openapi_and_offline_docs(gw: GatewayUnderTest) -> None:
    spec = gw.client.get("/openapi.json").json()
    ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"searchCustomers", "getCustomer360", "syncPush", "login"} <= ids
    page = gw.client.get("/docs")
    assert page.status_code == 200 and "/docs/static/swagger-ui-bundle.js" in page.text and "cdn" not in page.text
    assert gw.client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
