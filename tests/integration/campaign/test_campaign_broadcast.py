"""A marketing broadcast run by the real jobs process: customers without marketing consent are
skipped (recorded, never sent), the others get exactly one SMS, and results count both."""

from __future__ import annotations

import json

from peyvand.campaign.v1 import campaign_pb2 as pb
from peyvand_runtime.ids import new_id


def test_marketing_broadcast_needs_marketing_consent(campaign_rig) -> None:  # type: ignore[no-untyped-def]
    rig = campaign_rig(processes=("campaign-worker", "campaign-jobs", "campaign-grpc"))
    agreed, silent = new_id("cus"), new_id("cus")
    rig.seed_customer(agreed, mobile="+989121000001", consents=[{"channel": "sms", "purpose": "marketing", "granted": True}])
    rig.seed_customer(silent, mobile="+989121000002", consents=[])
    stub = rig.stub()
    template = stub.CreateTemplate(pb.CreateTemplateRequest(
        name="offer.body.sms", channel="sms", purpose="marketing",
        bodies={"fa": "{customer_name} گرامی، بیمه بدنه با ۱۰٪ تخفیف. لغو۱۱", "en": "Dear {customer_name}, 10% off motor cover. STOP"})).template
    campaign = stub.CreateCampaign(pb.CreateCampaignRequest(
        name="بازگشت تهران", purpose="marketing", channel="sms", template_ids={"sms": template.template_id},
        segment_rule_json=json.dumps({"field": "city", "op": "eq", "value": "تهران"}))).campaign
    stub.StartCampaign(pb.ChangeCampaignRequest(campaign_id=campaign.campaign_id))
    results = lambda: stub.GetCampaignResults(pb.GetCampaignResultsRequest(campaign_id=campaign.campaign_id)).results  # noqa: E731
    rig.wait_for(lambda: results().sent == 1 and results().skipped == 1, 30, "one sent, one skipped")
    assert len(rig.sms.sent_to("09121000001")) == 1 and rig.sms.sent_to("09121000002") == []
    skipped = rig.db["deliveries"].find_one({"customer_id": silent})
    assert skipped["status"] == "skipped" and "sms:marketing_not_granted" in skipped["failure_reason"]
    final = results()
    assert final.customers_messaged == 1 and final.converted == 0 and final.conversion_rate == 0.0
    mine = stub.ListCustomerDeliveries(pb.ListCustomerDeliveriesRequest(customer_id=silent)).deliveries
    assert [(d.status, d.campaign_id) for d in mine] == [("skipped", campaign.campaign_id)]
