"""The renewal journey end to end, with real worker, relay, jobs and gRPC processes.

What a customer and an agent would notice: exactly one SMS at 30 days, an email at 15, a call
task for the agent at 7, SMS and push at 1; a repeated event sends nothing more; a renewal
after our messages stops the journey and counts as a conversion.
"""

from __future__ import annotations

from peyvand.campaign.v1 import campaign_pb2 as pb
from peyvand_runtime.ids import new_id

MOBILE = "+989121234567"


def renewal_due(policy_id: str, customer_id: str, window: int) -> dict[str, object]:
    return {"policy_id": policy_id, "policy_number": "1201-1405-000123", "holder_id": customer_id, "agent_id": "agt_1",
            "branch_code": "1201", "product_code": "MOTOR_TPL", "product_name_fa": "بیمه شخص ثالث",
            "product_name_en": "Motor third-party liability", "term_end": "2026-07-10", "days_before_expiry": window,
            "renewal_quote_id": "qte_01J0000000000000000000000A", "renewal_premium": 41_000_000,
            "renewal_total_premium": 44_690_000, "expires_at": "2026-07-10T20:30:00Z", "aggregate_version": 3}


def test_renewal_journey_sends_each_step_once_and_converts(campaign_rig) -> None:  # type: ignore[no-untyped-def]
    rig = campaign_rig()
    customer_id, policy_id = new_id("cus"), new_id("pol")
    tasks, converted = rig.capture("campaign.agent_task_requested"), rig.capture("campaign.converted")
    rig.publish("gateway", "org.agent_changed", {"agent_id": "agt_1", "display_name": "رضا کریمی", "mobile": "+989351110000",
                                                 "branch_code": "1201", "aggregate_version": 1})
    rig.seed_customer(customer_id, mobile=MOBILE)
    rig.stub().RegisterPushToken(pb.RegisterPushTokenRequest(customer_id=customer_id, token="device-1", platform="android"))
    rig.wait_for(lambda: rig.db["agents"].find_one({"_id": "agt_1"}) is not None, 20, "the agent directory")

    # 30 days: one SMS, rendered in Persian from the projections.
    first = rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, customer_id, 30))
    rig.wait_for(lambda: len(rig.sms.sent_to("09121234567")) == 1, 30, "the 30-day SMS")
    sms = rig.sms.sent_to("09121234567")[0]
    assert "1201-1405-000123" in sms.message and "سارا احمدی" in sms.message and "رضا کریمی" in sms.message
    assert "۱۴۰۵/۰۴/۱۹" in sms.message  # 10 July 2026 as a Jalali date in Persian digits
    assert "۴۴٬۶۹۰٬۰۰۰ ریال" in sms.message

    # The same fact again (redelivered, and re-published under a new event id): nothing more.
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, customer_id, 30), event_id=first)
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, customer_id, 30))
    # 15 days: one email over real SMTP (a service message: no unsubscribe headers).
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, customer_id, 15))
    rig.wait_for(lambda: len(rig.smtp.messages) == 1, 30, "the 15-day email")
    email = rig.smtp.messages[0]
    assert "1201-1405-000123" in str(email["Subject"]) or "1201-1405-000123" in email.get_payload(decode=True).decode()
    assert email["To"] == "sara@example.ir" and email["List-Unsubscribe"] is None
    body = email.get_payload(decode=True).decode()
    assert "بیمه‌نامه بیمه شخص ثالث شما" in body and "MOTOR_TPL" not in body  # the product's name, not its code
    assert len(rig.sms.sent_to("09121234567")) == 1

    # 7 days: a call task for the agent (an event for ticketing), no message.
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, customer_id, 7))
    rig.wait_for(lambda: len(rig.captured(tasks)) == 1, 30, "campaign.agent_task_requested")
    task = rig.captured(tasks)[0]["payload"]
    assert (task["customer_id"], task["policy_id"], task["agent_id"], task["window"]) == (customer_id, policy_id, "agt_1", 7)
    assert task["policy_number"] == "1201-1405-000123" and task["due_date"] == "2026-06-13" and task["dedup_key"].endswith(":7:agent_task")

    # 1 day: SMS and push.
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, customer_id, 1))
    rig.wait_for(lambda: len(rig.sms.sent_to("09121234567")) == 2 and len(rig.push.messages) == 1, 30, "the 1-day SMS and push")
    assert rig.push.messages[0]["token"] == "device-1"
    assert len(rig.smtp.messages) == 1 and len(rig.captured(tasks)) == 1
    assert rig.db["deliveries"].count_documents({"policy_id": policy_id}) == 4

    # Renewed after our messages: the journey converts and says so.
    rig.publish("policy", "policy.renewed", {"old_policy_id": policy_id, "new_policy_id": new_id("pol"), "holder_id": customer_id,
                                             "term_end": "2027-07-10", "aggregate_version": 4},
                occurred_at="2026-06-10T09:30:00.000Z")
    rig.wait_for(lambda: len(rig.captured(converted)) == 1, 30, "campaign.converted")
    event = rig.captured(converted)[0]["payload"]
    assert event["policy_id"] == policy_id and event["messages_sent_before"] == 4 and event["journey_kind"] == "renewal"

    answer = rig.stub().GetPolicyJourney(pb.GetPolicyJourneyRequest(policy_id=policy_id))
    (journey,) = answer.journeys
    assert journey.status == "converted", journey
    assert [s.window for s in journey.steps] == [30, 15, 7, 1], journey
    assert sorted(d.channel for d in journey.deliveries) == ["email", "push", "sms", "sms"]
    metrics = rig.metrics_text("campaign-jobs")
    assert 'peyvand_campaign_messages_total{channel="sms",status="sent"} 2.0' in metrics


def test_provider_errors_are_retried_and_the_message_goes_once(campaign_rig) -> None:  # type: ignore[no-untyped-def]
    rig = campaign_rig(processes=("campaign-worker", "campaign-relay", "campaign-jobs"))
    customer_id, policy_id = new_id("cus"), new_id("pol")
    rig.seed_customer(customer_id, mobile="+989127654321")
    rig.sms.fail_next(503, 2)
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, customer_id, 30))
    rig.wait_for(lambda: len(rig.sms.sent_to("09127654321")) == 1, 30, "the SMS after two provider errors")
    rig.wait_for(lambda: (rig.db["deliveries"].find_one({"policy_id": policy_id}) or {}).get("status") in ("sent", "delivered"), 10, "sent recorded")
    delivery = rig.db["deliveries"].find_one({"policy_id": policy_id})
    assert delivery["attempts"] == 3 and delivery["last_error"] == "kavenegar_503"
    # The fake provider reports delivery; the jobs process polls and records it.
    rig.wait_for(lambda: rig.db["deliveries"].find_one({"policy_id": policy_id})["status"] == "delivered", 15, "the delivery report")
    assert len(rig.sms.sent_to("09127654321")) == 1
    assert 'peyvand_campaign_sender_errors_total{channel="sms",provider="kavenegar"} 2.0' in rig.metrics_text("campaign-jobs")


def test_quiet_hours_hold_sms_until_morning_but_email_goes(campaign_rig) -> None:  # type: ignore[no-untyped-def]
    # 22:30 Tehran time on 10 June 2026.
    rig = campaign_rig(now="2026-06-10T19:00:00+00:00", processes=("campaign-worker", "campaign-jobs"))
    customer_id, policy_id = new_id("cus"), new_id("pol")
    rig.seed_customer(customer_id, mobile="+989120000001", email="night@example.ir")
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, customer_id, 30))
    rig.publish("policy", "policy.renewal_due", renewal_due(policy_id, customer_id, 15))
    rig.wait_for(lambda: len(rig.smtp.messages) == 1, 30, "the email (no quiet hours for email)")
    sms = rig.db["deliveries"].find_one({"policy_id": policy_id, "channel": "sms"})
    assert sms["status"] == "queued" and sms["waiting_for"] == "quiet_hours"
    # 09:00 Tehran the next morning = 05:30 UTC.
    assert sms["next_attempt_at"].isoformat().startswith("2026-06-11T05:30:00")
    rig.wait_for(lambda: "peyvand_campaign_quiet_hours_waiting 1.0" in rig.metrics_text("campaign-jobs"), 10, "the gauge")
    assert rig.sms.sent_to("09120000001") == []
