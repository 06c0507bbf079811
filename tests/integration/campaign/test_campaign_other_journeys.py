"""Win-back, survey, a merge in the middle of a journey and the weekly marketing cap, end to end
with real worker and jobs processes; what counts is what the (fake) SMS provider received.

- ``policy.lapsed`` starts a win-back journey (marketing): its day-3 SMS goes only to customers
  who granted marketing consent, and at most ``MARKETING_WEEKLY_CAP`` (3) marketing messages a
  week reach one customer — the rest wait; renewal (service) messages in the same week are not
  capped.
- ``ticket.resolved`` sends the survey SMS once (a service message), not to a customer who
  revoked service SMS.
- ``customer.merged`` between two renewal steps: the next step's SMS goes to the survivor's
  mobile, once, and nothing is repeated to either number.
"""

from __future__ import annotations

from peyvand_runtime.ids import new_id

from .test_campaign_renewal_journey import renewal_due

# 12:00 Tehran time three days after NOON (10 June 2026): the win-back journey's day-3 window.
DAY3_NOON = "2026-06-13T08:30:00+00:00"
WINBACK_TEXT = "قطع شده"  # winback.3.sms
RENEWAL_TEXT = "به پایان می‌رسد"  # renewal.30.sms


def lapsed(policy_id: str, customer_id: str, number: str) -> dict[str, object]:
    return {"policy_id": policy_id, "policy_number": number, "holder_id": customer_id, "agent_id": "agt_1",
            "branch_code": "1201", "product_code": "MOTOR_TPL", "term_end": "2026-06-09", "lapsed_on": "2026-06-10",
            "aggregate_version": 5}


def test_winback_needs_marketing_consent_and_the_weekly_cap_spares_renewals(campaign_rig) -> None:  # type: ignore[no-untyped-def]
    # The worker runs on 10 June: the lapses start win-back journeys (day 0: no message yet).
    worker = campaign_rig(processes=("campaign-worker",))
    keen, silent = new_id("cus"), new_id("cus")
    worker.seed_customer(keen, mobile="+989121110001", consents=[{"channel": "sms", "purpose": "marketing", "granted": True}])
    worker.seed_customer(silent, mobile="+989121110002", consents=[])
    keen_lapsed = [new_id("pol") for _ in range(4)]
    for i, policy_id in enumerate(keen_lapsed):
        worker.publish("policy", "policy.lapsed", lapsed(policy_id, keen, f"1201-1404-00010{i}"))
    worker.publish("policy", "policy.lapsed", lapsed(new_id("pol"), silent, "1201-1404-000200"))
    # Four renewals of the keen customer's other policies: service messages, never capped.
    for _ in range(4):
        worker.publish("policy", "policy.renewal_due", renewal_due(new_id("pol"), keen, 30))
    journeys = worker.db["journeys"]
    worker.wait_for(lambda: journeys.count_documents({"kind": "winback"}) == 5 and journeys.count_documents({"kind": "renewal"}) == 4,
                    30, "five win-back and four renewal journeys")
    assert worker.db["deliveries"].count_documents({"purpose": "marketing"}) == 0  # day 0 has no step

    # The jobs process on day 3 plans the win-back step and sends what is due.
    jobs = campaign_rig(now=DAY3_NOON, processes=("campaign-jobs",))
    keen_sms = lambda: jobs.sms.sent_to("09121110001")  # noqa: E731
    jobs.wait_for(lambda: len([m for m in keen_sms() if WINBACK_TEXT in m.message]) == 3
                  and len([m for m in keen_sms() if RENEWAL_TEXT in m.message]) == 4, 30,
                  "three win-back SMS (the cap) and four renewal SMS")
    jobs.wait_for(lambda: jobs.db["deliveries"].count_documents({"purpose": "marketing"}) == 5, 15, "every win-back step planned")
    # The provider has the SMS a moment before the sender records them as sent.
    jobs.wait_for(lambda: jobs.db["deliveries"].count_documents({"customer_id": keen, "purpose": "marketing", "status": "queued"}) == 1,
                  15, "the sent win-back messages recorded, one held back")
    held = list(jobs.db["deliveries"].find({"customer_id": keen, "purpose": "marketing", "status": "queued"}))
    assert len(held) == 1 and held[0]["waiting_for"] == "frequency_cap", held
    # It may go a week after the first win-back SMS (cap window), not this week.
    assert held[0]["due_ms"] >= 1781339400_000 + 7 * 86_400_000 - 60_000  # 2026-06-13 08:30 UTC + 7 days
    assert jobs.sms.sent_to("09121110002") == []
    skipped = jobs.db["deliveries"].find_one({"customer_id": silent, "purpose": "marketing"})
    assert skipped["status"] == "skipped" and "sms:marketing_not_granted" in skipped["failure_reason"]
    winback_numbers = sorted(n for m in keen_sms() for n in [f"1201-1404-00010{i}" for i in range(4)] if n in m.message)
    assert len(winback_numbers) == len(set(winback_numbers)) == 3
    assert len(keen_sms()) == 7


def test_survey_sms_once_after_a_resolved_ticket(campaign_rig) -> None:  # type: ignore[no-untyped-def]
    rig = campaign_rig(processes=("campaign-worker", "campaign-jobs"))
    happy, refused = new_id("cus"), new_id("cus")
    rig.seed_customer(happy, mobile="+989122220001")
    rig.seed_customer(refused, mobile="+989122220002", consents=[{"channel": "sms", "purpose": "service", "granted": False}])
    ticket = new_id("tkt")
    payload = {"ticket_id": ticket, "ticket_number": "T-1405-000017", "customer_id": happy, "resolved_at": "2026-06-10T08:20:00Z",
               "aggregate_version": 4}
    first = rig.publish("ticketing", "ticket.resolved", payload)
    rig.publish("ticketing", "ticket.resolved", {**payload, "ticket_id": new_id("tkt"), "customer_id": refused})
    rig.wait_for(lambda: len(rig.sms.sent_to("09122220001")) == 1, 30, "the survey SMS")
    assert f"/s/{ticket}" in rig.sms.sent_to("09122220001")[0].message
    # Redelivered and re-published: still one survey.
    rig.publish("ticketing", "ticket.resolved", payload, event_id=first)
    rig.publish("ticketing", "ticket.resolved", payload)
    rig.wait_for(lambda: rig.db["deliveries"].count_documents({"customer_id": refused}) == 1, 15, "the refused survey recorded")
    skipped = rig.db["deliveries"].find_one({"customer_id": refused})
    assert skipped["status"] == "skipped" and "sms:service_revoked" in skipped["failure_reason"]
    rig.wait_for(lambda: rig.db["applied_events"].count_documents({}) >= 5, 15, "every new event applied")
    rig.wait_for(lambda: rig.db["deliveries"].count_documents({"status": "queued"}) == 0, 15, "nothing left to send")
    assert len(rig.sms.sent_to("09122220001")) == 1 and rig.sms.sent_to("09122220002") == []
    assert rig.db["journeys"].count_documents({"kind": "survey"}) == 2


def test_merged_customer_journey_carries_on_for_the_survivor(campaign_rig) -> None:  # type: ignore[no-untyped-def]
    rig = campaign_rig(processes=("campaign-worker", "campaign-jobs"))
    merged, survivor, policy_id = new_id("cus"), new_id("cus"), new_id("pol")
    rig.seed_customer(merged, mobile="+989123330001")
    rig.seed_customer(survivor, mobile="+989123330002")
    first = rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, merged, 30))
    rig.wait_for(lambda: len(rig.sms.sent_to("09123330001")) == 1, 30, "the 30-day SMS to the first record")

    merge = rig.publish("customer", "customer.merged", {"survivor_id": survivor, "merged_id": merged, "aggregate_version": 2})
    rig.wait_for(lambda: (rig.db["journeys"].find_one({"policy_id": policy_id}) or {}).get("customer_id") == survivor, 20,
                 "the journey carried over to the survivor")
    # The next step (1 day before expiry) goes to the survivor's mobile.
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, merged, 1))
    rig.wait_for(lambda: len(rig.sms.sent_to("09123330002")) == 1, 30, "the 1-day SMS to the survivor")
    assert "1201-1405-000123" in rig.sms.sent_to("09123330002")[0].message

    # Replays of every fact: nothing more to either number.
    rig.publish("customer", "customer.merged", {"survivor_id": survivor, "merged_id": merged, "aggregate_version": 2}, event_id=merge)
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, merged, 30), event_id=first)
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, survivor, 30))
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, survivor, 1))
    # renewal_due keeps no inbox (the replays above are refused by key, not by event id): a last
    # notice for someone else, through the same queue, says every one before it was handled.
    marker = new_id("cus")
    rig.seed_customer(marker, mobile="+989123330003")
    rig.publish("policy", "policy.renewal_due", renewal_due(new_id("pol"), marker, 30))
    rig.wait_for(lambda: len(rig.sms.sent_to("09123330003")) == 1, 30, "the marker's SMS, after every replay")
    rig.wait_for(lambda: rig.db["deliveries"].count_documents({"status": "queued"}) == 0, 15, "nothing left to send")
    assert len(rig.sms.sent_to("09123330001")) == 1 and len(rig.sms.sent_to("09123330002")) == 1
    journey = rig.db["journeys"].find_one({"policy_id": policy_id})
    assert journey["customer_id"] == survivor and journey["merged_customer_ids"] == [merged]
    assert rig.db["journeys"].count_documents({"policy_id": policy_id}) == 1
    sms = {d["dedup_key"].split(":", 1)[1]: d["customer_id"] for d in rig.db["deliveries"].find({"policy_id": policy_id, "channel": "sms"})}
    assert sms == {"30:sms": merged, "1:sms": survivor}
