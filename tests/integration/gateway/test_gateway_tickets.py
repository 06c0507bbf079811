"""Tickets, tasks, holidays, the 360° view's tickets and messages, and the agent's day."""

from __future__ import annotations

import time

from gateway_harness import AGENT_1, MINE, OTHER, TICKET_MINE, TICKET_OTHER, GatewayUnderTest


def test_360_shows_open_tickets_with_sla_and_recent_messages(gw: GatewayUnderTest) -> None:
    body = gw.client.get(f"/api/v1/customers/{MINE}/360", headers=gw.bearer("staff")).json()
    assert body["degraded"] == []
    assert [(t["ticket_id"], t["sla_state"]) for t in body["tickets"]] == [(TICKET_MINE, "breached")]
    assert body["tickets"][0]["resolution_due"]["jalali_date"] == "1405/09/01" and body["tickets"][0]["version"] == 3
    assert [(m["delivery_id"], m["status"]) for m in body["messages"]] == [("dlv_1", "delivered")]


def test_360_asks_for_the_open_statuses_in_one_call_and_drops_others_an_older_ticketing_sends(gw: GatewayUnderTest) -> None:
    from peyvand.ticketing.v1 import ticketing_pb2

    gw.tickets.add_ticket(ticketing_pb2.Ticket(ticket_id="tkt_01JG0000000000000000000TK9", customer_id=MINE, agent_id=AGENT_1,
                                               branch_code="1021", status="resolved", sla_state="ok", version=2))
    for knows in (True, False):
        gw.tickets.knows_statuses, gw.tickets.asked_statuses = knows, []
        body = gw.client.get(f"/api/v1/customers/{MINE}/360", headers=gw.bearer("staff")).json()
        assert gw.tickets.asked_statuses == [["new", "open", "pending_customer"]]
        assert body["degraded"] == [] and [t["ticket_id"] for t in body["tickets"]] == [TICKET_MINE]


def test_360_with_ticketing_down_is_degraded_within_the_deadline(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("staff")
    gw.tickets.delay = 5.0
    started = time.monotonic()
    answer = gw.client.get(f"/api/v1/customers/{MINE}/360", headers=headers)
    assert time.monotonic() - started < 2.0
    body = answer.json()
    assert answer.status_code == 200 and body["degraded"] == ["tickets"]
    assert body["tickets"] is None and body["messages"] and body["customer"]["customer_id"] == MINE
    assert "ETag" not in answer.headers
    gw.tickets.delay, gw.tickets.down = 0.0, True
    assert gw.client.get(f"/api/v1/customers/{MINE}/360", headers=headers).json()["degraded"] == ["tickets"]


def test_360_without_campaign_history_is_an_empty_list_not_degraded(gw: GatewayUnderTest) -> None:
    gw.campaign.deliveries.clear()
    body = gw.client.get(f"/mobile/v1/customers/{MINE}/360", headers=gw.bearer("agent")).json()
    assert body["messages"] == [] and body["degraded"] == []


def test_ticket_lifecycle_through_the_api(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("staff")
    opened = gw.client.post(
        "/api/v1/tickets",
        json={"type": "complaint", "category": "claim_delay", "channel": "phone", "customer_id": MINE, "subject": "خسارت"},
        headers={**headers, "Idempotency-Key": "open-1"},
    )
    assert opened.status_code == 201, opened.text
    ticket_id = opened.json()["ticket"]["ticket_id"]
    assert opened.headers["Location"] == f"/api/v1/tickets/{ticket_id}" and opened.headers["ETag"] == '"v1"'
    assigned = gw.client.post(f"/api/v1/tickets/{ticket_id}/assignment", json={"assignee_id": AGENT_1}, headers={**headers, "If-Match": '"v1"'})
    assert assigned.status_code == 200 and assigned.json()["assignee_id"] == AGENT_1 and assigned.headers["ETag"] == '"v2"'
    stale = gw.client.post(f"/api/v1/tickets/{ticket_id}/notes", json={"body": "x"}, headers={**headers, "If-Match": '"v1"'})
    assert stale.status_code == 409 and stale.json()["code"] == "VERSION_CONFLICT"
    replied = gw.client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "در حال بررسی"}, headers=headers)
    assert replied.status_code == 201 and replied.json()["ticket"]["status"] == "open" and replied.json()["reply"]["public"] is True
    noted = gw.client.post(f"/api/v1/tickets/{ticket_id}/notes", json={"body": "داخلی"}, headers=headers)
    assert noted.status_code == 201 and noted.json()["reply"]["public"] is False
    public = gw.client.get(f"/api/v1/tickets/{ticket_id}/replies", headers=headers).json()["items"]
    everything = gw.client.get(f"/api/v1/tickets/{ticket_id}/replies", params={"include_notes": True}, headers=headers).json()["items"]
    assert len(public) == 1 and len(everything) == 2
    resolved = gw.client.post(f"/api/v1/tickets/{ticket_id}/status", json={"status": "resolved"}, headers=headers)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    rated = gw.client.put(f"/api/v1/tickets/{ticket_id}/satisfaction", json={"satisfaction_score": 5}, headers=headers)
    assert rated.json()["satisfaction_score"] == 5
    closed = gw.client.post(f"/api/v1/tickets/{ticket_id}/status", json={"status": "closed"}, headers=headers)
    assert closed.status_code == 200
    illegal = gw.client.post(f"/api/v1/tickets/{ticket_id}/status", json={"status": "open"}, headers=headers)
    assert illegal.status_code == 409 and illegal.json()["code"] == "TICKET_INVALID_TRANSITION"
    activity = gw.client.get(f"/api/v1/tickets/{ticket_id}/activity", headers=headers).json()
    assert activity["items"][0]["action"] == "opened" and activity["items"][0]["details"] == {"queue_id": "q1"}
    got = gw.client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)
    assert got.json()["status"] == "closed" and got.headers["ETag"] == f'"v{got.json()["version"]}"'


def test_ticket_lists_filter_and_page(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("admin")
    everything = gw.client.get("/api/v1/tickets", params={"limit": 1}, headers=headers).json()
    assert len(everything["items"]) == 1 and everything["next_cursor"]
    rest = gw.client.get("/api/v1/tickets", params={"limit": 1, "cursor": everything["next_cursor"]}, headers=headers).json()
    assert {everything["items"][0]["ticket_id"], rest["items"][0]["ticket_id"]} == {TICKET_MINE, TICKET_OTHER} and rest["next_cursor"] is None
    breached = gw.client.get("/api/v1/tickets", params={"sla_state": "breached"}, headers=headers).json()["items"]
    assert [t["ticket_id"] for t in breached] == [TICKET_MINE]
    by_customer = gw.client.get("/api/v1/tickets", params={"customer_id": OTHER, "status": "new"}, headers=headers).json()["items"]
    assert [t["ticket_id"] for t in by_customer] == [TICKET_OTHER]


def test_out_of_scope_ticket_is_404_and_bad_fields_are_422(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("staff")
    hidden = gw.client.get(f"/api/v1/tickets/{TICKET_OTHER}", headers=headers)
    assert hidden.status_code == 404 and hidden.json()["code"] == "TICKET_NOT_FOUND"
    write = gw.client.post(f"/api/v1/tickets/{TICKET_OTHER}/replies", json={"body": "x"}, headers=headers)
    assert write.status_code == 404
    bad = gw.client.post("/api/v1/tickets", json={"type": "rant", "customer_id": MINE, "subject": ""}, headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} == {"type", "category", "subject"}
    score = gw.client.put(f"/api/v1/tickets/{TICKET_MINE}/satisfaction", json={"satisfaction_score": 9}, headers=headers)
    assert score.status_code == 422 and score.json()["errors"][0]["field"] == "satisfaction_score"
    assert gw.client.get("/api/v1/tickets", params={"sla_state": "late"}, headers=headers).json()["errors"][0]["field"] == "sla_state"


def test_marketing_gets_no_tickets_and_only_admins_change_holidays(gw: GatewayUnderTest) -> None:
    assert gw.client.get("/api/v1/tickets", headers=gw.bearer("marketing")).status_code == 403
    staff = gw.client.put("/api/v1/holidays", json={"date_jalali": "1406/01/05", "name": "تعطیل"}, headers=gw.bearer("staff"))
    assert staff.status_code == 403 and staff.json()["code"] == "PERMISSION_DENIED"
    admin = gw.bearer("admin")
    made = gw.client.put("/api/v1/holidays", json={"date_jalali": "1406/01/05", "name": "تعطیل"}, headers=admin)
    assert made.status_code == 200 and made.json()["source"] == "admin"
    assert [h["date_jalali"] for h in gw.client.get("/api/v1/holidays", headers=gw.bearer("staff")).json()] == ["1406/01/05"]
    assert gw.client.delete("/api/v1/holidays/1406-01-05", headers=admin).status_code == 204
    assert gw.client.delete("/api/v1/holidays/1406-01-05", headers=admin).status_code == 404


def test_tasks_create_list_mine_and_complete(gw: GatewayUnderTest) -> None:
    agent = gw.bearer("agent")
    made = gw.client.post(
        "/api/v1/tasks", json={"kind": "follow_up", "customer_id": MINE, "title": "مدارک", "due_date": "2000-01-01"},
        headers={**agent, "Idempotency-Key": "task-1"},
    )
    assert made.status_code == 201, made.text
    again = gw.client.post(
        "/api/v1/tasks", json={"kind": "follow_up", "customer_id": MINE, "title": "مدارک", "due_date": "2000-01-01"},
        headers={**agent, "Idempotency-Key": "task-1"},
    )
    assert again.status_code == 200 and again.json()["task_id"] == made.json()["task_id"]
    mine = gw.client.get("/api/v1/tasks", params={"mine": True}, headers=agent).json()["items"]
    assert [t["task_id"] for t in mine] == [made.json()["task_id"]]
    by_customer = gw.client.get("/api/v1/tasks", params={"customer_id": OTHER}, headers=gw.bearer("admin")).json()["items"]
    assert by_customer == []
    done = gw.client.post(f"/api/v1/tasks/{made.json()['task_id']}/completion", json={"outcome": "انجام شد"}, headers=agent)
    assert done.status_code == 200 and done.json()["status"] == "done"
    twice = gw.client.post(f"/api/v1/tasks/{made.json()['task_id']}/completion", json={}, headers=agent)
    assert twice.status_code == 409 and twice.json()["code"] == "TASK_INVALID_TRANSITION"


def test_queues_and_sla_summary_for_supervisors(gw: GatewayUnderTest) -> None:
    summary = gw.client.get("/api/v1/queues/sla-summary", headers=gw.bearer("staff")).json()
    assert {(c["sla_state"], c["open_tickets"]) for c in summary} == {("breached", 2), ("ok", 5)}
    assert gw.client.get("/api/v1/queues", headers=gw.bearer("agent")).status_code == 403


def test_my_day_has_tasks_tickets_renewals_and_birthdays(gw: GatewayUnderTest) -> None:
    agent = gw.bearer("agent")
    gw.client.post("/api/v1/tasks", json={"kind": "call_back", "customer_id": MINE, "title": "تماس", "due_date": "2000-01-01"}, headers=agent)
    gw.client.post(f"/api/v1/tickets/{TICKET_MINE}/assignment", json={"assignee_id": AGENT_1}, headers=gw.bearer("staff"))
    body = gw.client.get("/mobile/v1/my-day", headers=agent).json()
    assert body["degraded"] == []
    assert [(t["kind"], t["title"], t["overdue"]) for t in body["tasks"]] == [("task", "تماس", True)]
    assert [t["id"] for t in body["tickets"]] == [TICKET_MINE]
    assert [p["policy_id"] for p in body["renewals_due"]] == ["pol_1"] and isinstance(body["birthdays"], list)
    gw.tickets.down = True
    down = gw.client.get("/mobile/v1/my-day", headers=agent).json()
    assert down["degraded"] == ["tasks", "tickets"] and down["tasks"] is None and down["renewals_due"]
