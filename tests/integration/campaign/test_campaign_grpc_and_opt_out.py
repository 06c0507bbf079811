"""The campaign gRPC API in-process against the private store, with a fake CustomerService
built from the generated proto types: validation names the field, STOP and one-click
unsubscribe write consent in the customer service, a marketing broadcast skips customers
without marketing consent."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from peyvand.campaign.v1 import campaign_pb2 as pb
from peyvand_campaign.adapters import catalogue_repo, projections
from peyvand_campaign.adapters.collections import ensure_indexes
from peyvand_campaign.adapters.customer_consents import CustomerConsents
from peyvand_campaign.domain.opt_out import make_unsubscribe_token
from peyvand_campaign.entrypoints.grpc_servicer import CampaignServicer, add_to
from peyvand_campaign.service_layer.rendering import LinkConfig
from peyvand_runtime import store
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.grpc_server import build_server
from peyvand_runtime.settings import GrpcServerSettings, ProcessSettings

from .conftest import ADMIN, MARKETING, SECRET, signed_stub

NOW = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)
UNSUB = "unsubscribe-test-secret"


@pytest.fixture
def api(isolated: Any, customer_service: Any) -> Iterator[Any]:
    db = store.connect("campaign", ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix))
    ensure_indexes(db)
    catalogue_repo.seed_builtin_templates(db)
    consents = CustomerConsents(f"127.0.0.1:{customer_service[1]}", SECRET)
    servicer = CampaignServicer(db, consents, LinkConfig("https://crm.example.ir", UNSUB, "مرکز تماس", "021-1"), lambda: NOW)
    server, port, _ = build_server("campaign", GrpcServerSettings(peyvand_env="test", identity_secret=SECRET, grpc_port=0),
                                   lambda s: add_to(s, servicer))
    stub, channel = signed_stub(f"127.0.0.1:{port}", MARKETING)
    admin, admin_channel = signed_stub(f"127.0.0.1:{port}", ADMIN)
    stub.admin = admin
    yield stub, db, customer_service[0]
    channel.close()
    admin_channel.close()
    consents.close()
    server.stop(0).wait()


def refusal(call: Any) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return ErrorDetails.from_rpc_error(caught.value)


def customer(db: Any, customer_id: str, *, mobile: str, consents: list[dict[str, Any]], city: str = "تهران") -> None:
    projections.apply_customer(db, {"customer_id": customer_id, "display_name": "مشتری", "mobile": mobile, "city": city,
                                    "consents": consents, "language": "fa", "agent_id": "agt_1", "branch_code": "1201",
                                    "aggregate_version": 1}, NOW.date())


def test_bad_input_is_invalid_argument_naming_the_field(api: Any) -> None:
    stub, _db, _ = api
    bad = refusal(lambda: stub.CreateTemplate(pb.CreateTemplateRequest(name="x", channel="sms", purpose="service",
                                                                       bodies={"fa": "سلام {nickname}"})))
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and bad.code == "TEMPLATE_PLACEHOLDER_UNKNOWN"
    assert [v.field for v in bad.violations] == ["bodies.fa"]
    bad = refusal(lambda: stub.CreateTemplate(pb.CreateTemplateRequest(name="x", channel="fax", purpose="service", bodies={"fa": "x"})))
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and bad.violations[0].field == "channel"
    bad = refusal(lambda: stub.CreateSegment(pb.CreateSegmentRequest(name="empty", rule_json="{}")))
    assert bad.violations[0].field == "rule_json"
    template = catalogue_repo.get_template(_db, "winback.3.sms")[0]
    bad = refusal(lambda: stub.CreateCampaign(pb.CreateCampaignRequest(
        name="past", purpose="marketing", channel="sms", template_ids={"sms": template.id},
        segment_rule_json=json.dumps({"field": "city", "op": "eq", "value": "تهران"}), schedule_at="2026-06-01T08:00:00Z")))
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and [v.field for v in bad.violations] == ["schedule_at"]


def test_segment_preview_and_template_preview_use_the_projections(api: Any) -> None:
    stub, db, _ = api
    customer(db, "cus_01J00000000000000000000001", mobile="+989121111111", consents=[])
    customer(db, "cus_01J00000000000000000000002", mobile="+989122222222", consents=[], city="شیراز")
    rule = json.dumps({"field": "city", "op": "in", "value": ["تهران"]})
    segment = stub.CreateSegment(pb.CreateSegmentRequest(name="تهرانی‌ها", rule_json=rule)).segment
    preview = stub.PreviewSegment(pb.PreviewSegmentRequest(segment_id=segment.segment_id, sample_size=5))
    assert preview.count == 1 and [m.customer_id for m in preview.sample] == ["cus_01J00000000000000000000001"]
    assert [s.name for s in stub.ListSegments(pb.ListSegmentsRequest()).segments] == ["تهرانی‌ها"]
    request = pb.PreviewTemplateRequest(template_id="survey.0.sms", customer_id="cus_01J00000000000000000000001")
    # Marketing sees aggregates and samples, never one customer's rendered message.
    assert refusal(lambda: stub.PreviewTemplate(request)).status_code == grpc.StatusCode.NOT_FOUND
    rendered = stub.admin.PreviewTemplate(request)
    assert "مشتری" in rendered.body and rendered.sms_encoding == "ucs2"
    names = {t.name for t in stub.ListTemplates(pb.ListTemplatesRequest()).templates}
    assert {"renewal.30.sms", "renewal.15.email", "renewal.1.sms", "renewal.1.push", "winback.3.sms", "survey.0.sms"} <= names


def test_stop_reply_revokes_sms_marketing_consent_in_the_customer_service(api: Any) -> None:
    stub, db, fake = api
    customer(db, "cus_01J00000000000000000000003", mobile="+989123334444",
             consents=[{"channel": "sms", "purpose": "marketing", "granted": True}])
    ignored = stub.HandleInboundSms(pb.HandleInboundSmsRequest(from_number="09123334444", text="stop sending me renewals please"))
    assert not ignored.is_stop and fake.calls == []
    answer = stub.HandleInboundSms(pb.HandleInboundSmsRequest(from_number="09123334444", text="لغو۱۱", line="10008663"))
    assert answer.is_stop and list(answer.purposes) == ["marketing"] and answer.customers_updated == 1
    ((request, principal),) = fake.calls
    assert (request.customer_id, request.channel, request.purpose, request.granted, request.source) == (
        "cus_01J00000000000000000000003", "sms", "marketing", False, "sms_stop")
    assert principal == "svc:campaign"
    assert projections.profile(db, "cus_01J00000000000000000000003")["consent_sms_marketing"] is False


def test_one_click_unsubscribe_verifies_the_token(api: Any) -> None:
    stub, _db, fake = api
    token = make_unsubscribe_token(UNSUB, "cus_01J00000000000000000000004", "email", "marketing")
    answer = stub.Unsubscribe(pb.UnsubscribeRequest(token=token))
    assert (answer.channel, answer.purpose) == ("email", "marketing")
    assert fake.calls[-1][0].customer_id == "cus_01J00000000000000000000004" and fake.calls[-1][0].granted is False
    forged = make_unsubscribe_token("someone-else", "cus_01J00000000000000000000005", "email", "marketing")
    bad = refusal(lambda: stub.Unsubscribe(pb.UnsubscribeRequest(token=forged)))
    assert bad.code == "TOKEN_INVALID" and len(fake.calls) == 1
