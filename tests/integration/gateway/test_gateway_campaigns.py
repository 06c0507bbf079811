"""Campaign planning (roles, masking), renewals with journeys, the overview dashboard, the
public unsubscribe page and the inbound-SMS webhook."""

from __future__ import annotations

import time

from gateway_fakes_work import GOOD_UNSUBSCRIBE_TOKEN
from gateway_harness import GatewayUnderTest
from peyvand.campaign.v1 import campaign_pb2

RULE = '{"all": [{"field": "city", "op": "eq", "value": "تهران"}]}'


def test_agents_and_staff_may_not_plan_campaigns(gw: GatewayUnderTest) -> None:
    for user in ("agent", "staff"):
        answer = gw.client.post("/api/v1/segments/preview", json={"rule_json": RULE}, headers=gw.bearer(user))
        assert answer.status_code == 403 and answer.json()["code"] == "PERMISSION_DENIED"
    assert gw.client.get("/api/v1/templates", headers=gw.bearer("agent")).status_code == 403


def test_segment_preview_sample_is_masked_for_marketing(gw: GatewayUnderTest) -> None:
    marketing = gw.client.post("/api/v1/segments/preview", json={"rule_json": RULE, "sample_size": 5}, headers=gw.bearer("marketing")).json()
    assert marketing["count"] == 1240 and marketing["sample"][0]["display_name"] == "مریم ا."
    admin = gw.client.post("/api/v1/segments/preview", json={"rule_json": RULE}, headers=gw.bearer("admin")).json()
    assert admin["sample"][0]["display_name"] == "مریم احمدی"
    created = gw.client.post("/api/v1/segments", json={"name": "تهران", "rule_json": RULE}, headers=gw.bearer("marketing"))
    assert created.status_code == 201 and created.json()["segment_id"] == "seg_1"
    assert gw.client.post("/api/v1/segments", json={"name": "", "rule_json": RULE}, headers=gw.bearer("marketing")).status_code == 422


def test_campaign_lifecycle_and_results(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("marketing")
    template = gw.client.post(
        "/api/v1/templates", json={"name": "جشنواره", "channel": "sms", "purpose": "marketing", "bodies": {"fa": "سلام {{first_name}}"}}, headers=headers
    )
    assert template.status_code == 201
    preview = gw.client.post("/api/v1/templates/preview", json={"template_id": "renewal.30.sms"}, headers=headers).json()
    assert preview["sms_segments"] == 1 and preview["body"]
    made = gw.client.post(
        "/api/v1/campaigns", json={"name": "پاییز", "channel": "sms", "template_ids": {"sms": "tpl_1"}, "segment_id": "seg_1"}, headers=headers
    )
    assert made.status_code == 201 and made.json()["status"] == "draft"
    campaign_id = made.json()["campaign_id"]
    started = gw.client.post(f"/api/v1/campaigns/{campaign_id}/start", json={}, headers={**headers, "If-Match": '"v1"'})
    assert started.json()["status"] == "running" and started.headers["ETag"] == '"v2"'
    assert gw.client.post(f"/api/v1/campaigns/{campaign_id}/pause", json={}, headers=headers).json()["status"] == "paused"
    assert gw.client.post(f"/api/v1/campaigns/{campaign_id}/stop", json={"reason": "پایان"}, headers=headers).json()["status"] == "stopped"
    again = gw.client.post(f"/api/v1/campaigns/{campaign_id}/schedule", json={}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "CAMPAIGN_INVALID_TRANSITION"
    results = gw.client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=headers).json()["results"]
    assert results["delivered"] == 8 and results["conversion_rate"] == 0.3
    assert gw.client.get("/api/v1/campaigns/cmp_missing/results", headers=headers).status_code == 404


def test_renewals_list_shows_journey_state_and_degrades(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("staff")
    gw.campaign.journeys["pol_1"] = campaign_pb2.Journey(journey_id="jrn_1", kind="renewal", policy_id="pol_1", status="active",
                                                         steps=[campaign_pb2.JourneyStep(window=30, outcome="sent")])
    body = gw.client.get("/api/v1/renewals", params={"branch_code": "1021", "weeks": 4}, headers=headers).json()
    assert [(r["policy"]["policy_id"], r["journey_state"]) for r in body["items"]] == [("pol_1", "active")]
    assert body["items"][0]["journey"]["steps"][0]["window"] == 30 and body["degraded"] == []
    gw.campaign.journeys.clear()
    assert gw.client.get("/api/v1/renewals", headers=headers).json()["items"][0]["journey_state"] == "none"
    gw.campaign.delay = 5.0
    started = time.monotonic()
    slow = gw.client.get("/api/v1/renewals", headers=headers).json()
    assert time.monotonic() - started < 2.0
    assert slow["items"][0]["journey_state"] == "unknown" and slow["degraded"] == ["journeys"]
    assert gw.client.get("/api/v1/renewals", headers=gw.bearer("marketing")).status_code == 403


def test_dashboard_overview_composes_and_degrades(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("manager")
    gw.campaign.campaigns["cmp_9"] = campaign_pb2.Campaign(campaign_id="cmp_9", name="x", status="completed", version=4)
    gw.campaign.journeys["pol_1"] = campaign_pb2.Journey(journey_id="jrn_1", kind="renewal", policy_id="pol_1", status="converted")
    body = gw.client.get("/api/v1/dashboards/overview", params={"branch_code": "1021", "campaign_id": ["cmp_9"]}, headers=headers).json()
    assert body["degraded"] == []
    assert body["renewals"]["converted"] == 1 and body["renewals"]["conversion_rate"] == 1.0
    assert {(c["sla_state"], c["open_tickets"]) for c in body["sla"]} == {("breached", 2), ("ok", 5)}
    assert body["campaigns"] == {"campaigns": 1, "sent": 10, "delivered": 8, "failed": 2, "opted_out": 0, "converted": 3, "customers_messaged": 10}
    gw.tickets.down = True
    down = gw.client.get("/api/v1/dashboards/overview", params={"branch_code": "1021"}, headers=headers).json()
    assert down["degraded"] == ["sla"] and down["sla"] is None and down["renewals"]["converted"] == 1
    assert gw.client.get("/api/v1/dashboards/overview", headers=gw.bearer("agent")).status_code == 403


def test_dashboard_without_campaign_ids_sums_the_newest_campaigns_for_planners_only(gw: GatewayUnderTest) -> None:
    gw.campaign.campaigns["cmp_1"] = campaign_pb2.Campaign(campaign_id="cmp_1", name="old", status="completed", version=3)
    gw.campaign.campaigns["cmp_2"] = campaign_pb2.Campaign(campaign_id="cmp_2", name="live", status="running", version=2)
    gw.campaign.campaigns["cmp_3"] = campaign_pb2.Campaign(campaign_id="cmp_3", name="draft", status="draft", version=1)
    planner = gw.client.get("/api/v1/dashboards/overview", headers=gw.bearer("marketing")).json()
    # two campaigns that sent something (the draft has no results to count), 10 sent each in the fake
    assert planner["campaigns"]["campaigns"] == 2 and planner["campaigns"]["sent"] == 20
    assert "campaigns" not in planner["degraded"]
    staff = gw.client.get("/api/v1/dashboards/overview", headers=gw.bearer("staff")).json()
    assert staff["campaigns"]["campaigns"] == 0 and "campaigns" not in staff["degraded"]
    gw.campaign.delay = 5.0  # campaign too slow: named, never a hang
    slow = gw.client.get("/api/v1/dashboards/overview", headers=gw.bearer("marketing")).json()
    assert "campaigns" in slow["degraded"] and slow["campaigns"] is None


def test_unsubscribe_page_then_one_click_post(gw: GatewayUnderTest) -> None:
    page = gw.client.get(f"/u/{GOOD_UNSUBSCRIBE_TOKEN}")
    assert page.status_code == 200 and 'lang="fa"' in page.text and 'dir="rtl"' in page.text and "<form" in page.text
    assert gw.campaign.unsubscribed_by == []  # a GET (a mail scanner's prefetch) changes nothing
    english = gw.client.get(f"/u/{GOOD_UNSUBSCRIBE_TOKEN}", params={"lang": "en"})
    assert "Unsubscribe" in english.text
    done = gw.client.post(
        f"/u/{GOOD_UNSUBSCRIBE_TOKEN}", content="List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert done.status_code == 200 and "لغو شد" in done.text
    assert gw.campaign.unsubscribed_by == ["svc:gateway"]


def test_bad_unsubscribe_token_is_a_400_page_never_500(gw: GatewayUnderTest) -> None:
    forged = GOOD_UNSUBSCRIBE_TOKEN[:-2] + "xx"
    for answer in (gw.client.post(f"/u/{forged}", content="List-Unsubscribe=One-Click"), gw.client.get("/u/not-a-token"), gw.client.post("/u/%00%ff")):
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("text/html") and answer.headers["X-Problem-Code"] == "TOKEN_INVALID"
    assert gw.campaign.unsubscribed_by == []


def test_inbound_sms_webhook_needs_the_shared_secret(gw: GatewayUnderTest) -> None:
    form = {"from": "09121234567", "message": "لغو"}
    assert gw.client.post("/webhooks/sms/inbound", data=form).status_code == 401
    assert gw.client.post("/webhooks/sms/inbound", data=form, params={"secret": "wrong"}).status_code == 401
    assert gw.campaign.inbound == []
    # The secret from the gateway's own settings (a `from conftest import` clashes with
    # tests/e2e/conftest.py when both folders run in one pytest session).
    webhook_secret = gw.gateway.settings.sms_webhook_secret
    ok = gw.client.post("/webhooks/sms/inbound", data=form, headers={"X-Webhook-Secret": webhook_secret})
    assert ok.status_code == 200 and ok.json() == {"is_stop": True, "purposes": ["marketing"], "customers_updated": 1}
    assert gw.campaign.inbound[0].from_number == "09121234567" and gw.campaign.inbound[0].text == "لغو"
    missing = gw.client.post("/webhooks/sms/inbound", data={"from": "0912"}, params={"secret": webhook_secret})
    assert missing.status_code == 422 and [e["field"] for e in missing.json()["errors"]] == ["message"]


def test_push_tokens_stay_with_the_agents_devices(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("agent")
    assert gw.client.put("/mobile/v1/push-tokens", json={"device_id": "android-1", "token": "fcm-abc"}, headers=headers).status_code == 204
    assert gw.client.delete("/mobile/v1/push-tokens/android-1", headers=headers).status_code == 204
    assert gw.client.delete("/mobile/v1/push-tokens/android-1", headers=headers).status_code == 404


def test_template_preview_of_a_draft_and_its_placeholder_errors(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("marketing")
    draft = {"channel": "sms", "purpose": "marketing", "bodies": {"fa": "{customer_name} عزیز، تخفیف ویژه"}}
    shown = gw.client.post("/api/v1/templates/preview", json={"draft": draft, "language": "fa"}, headers=headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["body"] == "مشتری نمونه عزیز، تخفیف ویژه" and shown.json()["sample_values"] == ["customer_name"]
    sent = gw.campaign.previews[-1]
    assert sent.WhichOneof("source") == "draft" and sent.draft.bodies["fa"] == draft["bodies"]["fa"] and sent.draft.channel == "sms"
    bad = gw.client.post("/api/v1/templates/preview", json={"draft": {**draft, "bodies": {"fa": "{discount} تخفیف"}}}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "TEMPLATE_PLACEHOLDER_UNKNOWN"
    assert [e["field"] for e in bad.json()["errors"]] == ["draft.bodies.fa"] and "{discount}" in bad.json()["errors"][0]["message"]
    # Exactly one of template_id and draft; a draft on an unknown channel never reaches the service.
    for body in ({"language": "fa"}, {"template_id": "renewal.30.sms", "draft": draft}):
        refused = gw.client.post("/api/v1/templates/preview", json=body, headers=headers)
        assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["template_id"], refused.text
    fax = gw.client.post("/api/v1/templates/preview", json={"draft": {**draft, "channel": "fax"}}, headers=headers)
    assert fax.status_code == 422 and fax.json()["errors"][0]["field"] == "draft.channel"
    assert gw.client.post("/api/v1/templates/preview", json={"draft": draft}, headers=gw.bearer("agent")).status_code == 403


def test_campaign_list_is_newest_first_with_a_cursor_and_a_status_filter(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("marketing")
    for n in range(3):
        made = gw.client.post("/api/v1/campaigns", json={"name": f"کمپین {n}", "channel": "sms", "template_ids": {"sms": "tpl_1"}, "segment_id": "seg_1"},
                              headers=headers)
        assert made.status_code == 201
    gw.client.post("/api/v1/campaigns/cmp_2/start", json={}, headers=headers)
    first = gw.client.get("/api/v1/campaigns", params={"limit": 2}, headers=headers).json()
    assert [(c["name"], c["status"]) for c in first["items"]] == [("کمپین 2", "draft"), ("کمپین 1", "running")]
    assert first["items"][0]["version"] == 1 and first["next_cursor"]
    rest = gw.client.get("/api/v1/campaigns", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers).json()
    assert [c["name"] for c in rest["items"]] == ["کمپین 0"] and rest["next_cursor"] is None
    running = gw.client.get("/api/v1/campaigns", params={"status": "running"}, headers=headers).json()
    assert [c["campaign_id"] for c in running["items"]] == ["cmp_2"]
    bad = gw.client.get("/api/v1/campaigns", params={"status": "finished"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    assert gw.client.get("/api/v1/campaigns", headers=gw.bearer("staff")).status_code == 403
