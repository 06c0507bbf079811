"""PreviewTemplate with an unsaved draft and ListCampaigns, over gRPC in-process against the
private store: placeholder errors name the draft's field, real values come from the projections
in the caller's scope, campaigns come newest first in cursor pages, filtered by status."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from peyvand.campaign.v1 import campaign_pb2 as pb
from peyvand.common.v1 import paging_pb2
from peyvand_campaign.adapters import catalogue_repo, projections
from peyvand_campaign.adapters.collections import ensure_indexes
from peyvand_campaign.adapters.customer_consents import CustomerConsents
from peyvand_campaign.entrypoints.grpc_servicer import CampaignServicer, add_to
from peyvand_campaign.service_layer.rendering import LinkConfig
from peyvand_runtime import store
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.grpc_server import build_server
from peyvand_runtime.identity import Caller
from peyvand_runtime.settings import GrpcServerSettings, ProcessSettings

from .conftest import ADMIN, MARKETING, SECRET, signed_stub

NOW = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)
AGENT = Caller("usr_01JAGENT", "user", "agent", agent_id="agt_1")
AGENT_2 = Caller("usr_01JAGENT2", "user", "agent", agent_id="agt_2")
CUSTOMER = "cus_01J0000000000000000000PRV1"
RULE = json.dumps({"field": "city", "op": "eq", "value": "تهران"})


@pytest.fixture
def api(isolated: Any, customer_service: Any) -> Iterator[dict[str, Any]]:
    db = store.connect("campaign", ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix))
    ensure_indexes(db)
    catalogue_repo.seed_builtin_templates(db)
    consents = CustomerConsents(f"127.0.0.1:{customer_service[1]}", SECRET)
    servicer = CampaignServicer(db, consents, LinkConfig("https://crm.example.ir", "unsub", "مرکز تماس", "021-1"), lambda: NOW)
    server, port, _ = build_server("campaign", GrpcServerSettings(peyvand_env="test", identity_secret=SECRET, grpc_port=0),
                                   lambda s: add_to(s, servicer))
    stubs, channels = {}, []
    for name, caller in (("marketing", MARKETING), ("admin", ADMIN), ("agent", AGENT), ("agent2", AGENT_2)):
        stubs[name], channel = signed_stub(f"127.0.0.1:{port}", caller)
        channels.append(channel)
    yield {"db": db, **stubs}
    for channel in channels:
        channel.close()
    consents.close()
    server.stop(0).wait()


def refusal(call: Any) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return ErrorDetails.from_rpc_error(caught.value)


def draft_request(body_fa: str, **extra: Any) -> pb.PreviewTemplateRequest:
    return pb.PreviewTemplateRequest(draft=pb.TemplateDraft(channel="sms", purpose="marketing", bodies={"fa": body_fa}), **extra)


def test_a_draft_is_rendered_with_sample_values_and_changes_with_the_text(api: dict[str, Any]) -> None:
    stub = api["marketing"]
    first = stub.PreviewTemplate(draft_request("{customer_name} عزیز، بیمه‌نامه {policy_number} با {premium}"))
    assert first.body == "مشتری نمونه عزیز، بیمه‌نامه 1021-1405-000123 با ۱۲٬۵۰۰٬۰۰۰ ریال"
    assert list(first.sample_values) == ["customer_name", "policy_number", "premium"]
    assert (first.language, first.sms_encoding, first.sms_segments) == ("fa", "ucs2", 1)
    second = stub.PreviewTemplate(draft_request("{customer_name} عزیز، تخفیف ویژه بیمه بدنه " * 3))
    assert second.body.count("مشتری نمونه") == 3 and second.sms_segments == 2  # 3 × 39 = 117 UCS-2 units: two 67-unit parts
    english = stub.PreviewTemplate(pb.PreviewTemplateRequest(
        draft=pb.TemplateDraft(channel="email", bodies={"fa": "سلام", "en": "Dear {customer_name}, {unsubscribe_url}"},
                               subjects={"en": "Offer for {customer_name}"}), language="en"))
    assert english.subject == "Offer for Sample Customer"
    assert english.body.startswith("Dear Sample Customer, https://crm.example.ir/u/") and english.sms_segments == 0


def test_draft_placeholder_errors_are_invalid_argument_naming_the_field(api: dict[str, Any]) -> None:
    stub = api["marketing"]
    bad = refusal(lambda: stub.PreviewTemplate(pb.PreviewTemplateRequest(draft=pb.TemplateDraft(
        channel="sms", bodies={"fa": "{customer_name} عزیز، {discount} تخفیف", "en": "Hello {nickname"}))))
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and bad.code == "TEMPLATE_PLACEHOLDER_UNKNOWN"
    assert [v.field for v in bad.violations] == ["draft.bodies.fa", "draft.bodies.en"]
    assert "{discount}" in bad.violations[0].description
    bad = refusal(lambda: stub.PreviewTemplate(pb.PreviewTemplateRequest(draft=pb.TemplateDraft(channel="fax", bodies={"fa": "x"}))))
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and [v.field for v in bad.violations] == ["draft.channel"]
    bad = refusal(lambda: stub.PreviewTemplate(pb.PreviewTemplateRequest(language="fa")))
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and [v.field for v in bad.violations] == ["template_id"]
    bad = refusal(lambda: stub.PreviewTemplate(draft_request("سلام", language="de")))
    assert [v.field for v in bad.violations] == ["language"]


def test_a_draft_for_a_real_customer_uses_the_projections_in_scope(api: dict[str, Any]) -> None:
    db = api["db"]
    projections.apply_customer(db, {"customer_id": CUSTOMER, "display_name": "سارا احمدی", "mobile": "+989121111111", "city": "تهران",
                                    "consents": [], "language": "fa", "agent_id": "agt_1", "branch_code": "1201",
                                    "aggregate_version": 1}, NOW.date())
    request = draft_request("{customer_name} عزیز، {agent_name}", customer_id=CUSTOMER)
    shown = api["agent"].PreviewTemplate(request)
    assert shown.body == "سارا احمدی عزیز، مرکز تماس" and list(shown.sample_values) == []
    # Marketing works with samples only; another agent's customer does not exist for them.
    assert refusal(lambda: api["marketing"].PreviewTemplate(request)).code == "CUSTOMER_NOT_FOUND"
    assert refusal(lambda: api["agent2"].PreviewTemplate(request)).code == "CUSTOMER_NOT_FOUND"
    stored = api["admin"].PreviewTemplate(pb.PreviewTemplateRequest(template_id="renewal.30.sms", customer_id=CUSTOMER))
    assert stored.body.startswith("سارا احمدی گرامی")
    assert {"policy_number", "end_date", "premium"} <= set(stored.sample_values)  # no policy given: samples, named


def create(stub: Any, db: Any, name: str) -> pb.Campaign:
    template = catalogue_repo.get_template(db, "winback.3.sms")[0]
    time.sleep(0.003)  # ULIDs order by millisecond: keep creation order observable
    return stub.CreateCampaign(pb.CreateCampaignRequest(name=name, purpose="marketing", channel="sms", template_ids={"sms": template.id},
                                                        segment_rule_json=RULE)).campaign


def test_campaigns_are_listed_newest_first_in_pages_and_by_status(api: dict[str, Any]) -> None:
    stub, db = api["marketing"], api["db"]
    made = [create(stub, db, f"کمپین {n}") for n in range(5)]
    stub.ScheduleCampaign(pb.ChangeCampaignRequest(campaign_id=made[1].campaign_id))
    stub.StopCampaign(pb.ChangeCampaignRequest(campaign_id=made[3].campaign_id, reason="آزمون"))

    seen, token, pages = [], "", 0
    while True:
        answer = stub.ListCampaigns(pb.ListCampaignsRequest(page=paging_pb2.PageRequest(page_size=2, page_token=token)))
        seen += [(c.name, c.status) for c in answer.campaigns]
        pages += 1
        token = answer.page.next_page_token
        if not token:
            break
    assert seen == [("کمپین 4", "draft"), ("کمپین 3", "stopped"), ("کمپین 2", "draft"), ("کمپین 1", "scheduled"), ("کمپین 0", "draft")]
    assert pages == 3

    drafts = stub.ListCampaigns(pb.ListCampaignsRequest(status="draft"))
    assert [c.name for c in drafts.campaigns] == ["کمپین 4", "کمپین 2", "کمپین 0"] and drafts.page.next_page_token == ""
    listed = drafts.campaigns[0]
    assert listed.campaign_id == made[4].campaign_id and listed.version == 1 and listed.created_at.endswith("Z")
    assert listed.segment_rule_json and listed.template_ids["sms"].startswith("tpl_")
    assert [c.name for c in stub.ListCampaigns(pb.ListCampaignsRequest(status="completed")).campaigns] == []


def test_listing_campaigns_is_for_planners_and_bad_input_names_the_field(api: dict[str, Any]) -> None:
    denied = refusal(lambda: api["agent"].ListCampaigns(pb.ListCampaignsRequest()))
    assert denied.status_code == grpc.StatusCode.PERMISSION_DENIED
    bad = refusal(lambda: api["marketing"].ListCampaigns(pb.ListCampaignsRequest(status="finished")))
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and [v.field for v in bad.violations] == ["status"]
    bad = refusal(lambda: api["marketing"].ListCampaigns(pb.ListCampaignsRequest(page=paging_pb2.PageRequest(page_token="bm90LWEtY21w"))))
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and [v.field for v in bad.violations] == ["page.page_token"]
    assert len(api["admin"].ListCampaigns(pb.ListCampaignsRequest(page=paging_pb2.PageRequest(page_size=1000))).campaigns) == 0
