"""``peyvand.campaign.v1.CampaignService``: thin methods that parse, call a use case and map back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import grpc
from peyvand.campaign.v1 import campaign_pb2 as pb
from peyvand.campaign.v1 import campaign_pb2_grpc
from peyvand.common.v1 import paging_pb2
from peyvand_runtime.domain import NotFound, PermissionDenied, ValidationError, Violations
from peyvand_runtime.identity import can_see_record, current_caller
from peyvand_runtime.tehran_time import tehran_date
from pymongo.database import Database

from peyvand_campaign.adapters import catalogue_repo, deliveries_repo, journeys_repo, projections
from peyvand_campaign.adapters.collections import PROFILES
from peyvand_campaign.domain.segments import to_mongo_filter
from peyvand_campaign.domain.templates import Template
from peyvand_campaign.domain.values import CHANNELS
from peyvand_campaign.entrypoints import grpc_mapping as m
from peyvand_campaign.service_layer import campaigns, opt_outs, rendering
from peyvand_campaign.service_layer.rendering import LinkConfig

PLANNERS = frozenset({"marketing", "admin", "manager", "service"})


def _require_planner() -> None:
    if current_caller().role not in PLANNERS:
        raise PermissionDenied("only marketing, managers and admins plan campaigns")


class CampaignServicer(campaign_pb2_grpc.CampaignServiceServicer):
    def __init__(self, db: Database, consents: opt_outs.ConsentWriter, links: LinkConfig,
                 clock: Callable[[], dt.datetime]) -> None:
        self.db, self.consents, self.links, self.clock = db, consents, links, clock

    # -- segments ------------------------------------------------------------------------------
    def CreateSegment(self, request: pb.CreateSegmentRequest, context: grpc.ServicerContext) -> pb.CreateSegmentResponse:
        _require_planner()
        violations = Violations()
        if not request.name.strip():
            violations.add("name", "is required")
        rule = m.parse_rule(request.rule_json, "rule_json")
        from peyvand_campaign.domain.segments import rule_violations

        violations.items.extend(rule_violations(rule, "rule_json").items)
        violations.raise_if_any()
        return pb.CreateSegmentResponse(segment=m.segment(catalogue_repo.insert_segment(self.db, request.name.strip(), rule, self.clock())))

    def PreviewSegment(self, request: pb.PreviewSegmentRequest, context: grpc.ServicerContext) -> pb.PreviewSegmentResponse:
        _require_planner()
        rule = (catalogue_repo.get_segment(self.db, request.segment_id)["rule"] if request.segment_id
                else m.parse_rule(request.rule_json, "rule_json"))
        from peyvand_campaign.domain.segments import validate_rule

        validate_rule(rule, "rule_json")
        query = {"$and": [to_mongo_filter(rule, tehran_date(self.clock())), {"merged_into": {"$exists": False}}]}
        # Counted from an _id-only cursor: count_documents is a full scan on the embedded store.
        ids = [d["_id"] for d in self.db[PROFILES].find(query, {"_id": 1})]
        size = max(0, min(request.sample_size or 10, 50))
        sample = [pb.SegmentMember(customer_id=d["_id"], display_name=d.get("display_name") or "", city=d.get("city") or "",
                                   branch_code=d.get("branch_code") or "")
                  for d in self.db[PROFILES].find({"_id": {"$in": ids[:size]}})]
        return pb.PreviewSegmentResponse(count=len(ids), sample=sample)

    def ListSegments(self, request: pb.ListSegmentsRequest, context: grpc.ServicerContext) -> pb.ListSegmentsResponse:
        _require_planner()
        return pb.ListSegmentsResponse(segments=[m.segment(d) for d in catalogue_repo.list_segments(self.db, request.page_size or 50)])

    # -- templates -----------------------------------------------------------------------------
    def CreateTemplate(self, request: pb.CreateTemplateRequest, context: grpc.ServicerContext) -> pb.CreateTemplateResponse:
        _require_planner()
        if request.channel not in CHANNELS:
            raise ValidationError.single("channel", f"must be one of {', '.join(CHANNELS)}")
        template = Template.create(name=request.name, channel=request.channel, purpose=request.purpose,
                                   bodies=dict(request.bodies), subjects=dict(request.subjects))
        if self.db["templates"].find_one({"name": template.name}, {"_id": 1}):
            raise ValidationError.single("name", "a template with this name exists")
        catalogue_repo.insert_template(self.db, template)
        return pb.CreateTemplateResponse(template=m.template(template, False))

    def PreviewTemplate(self, request: pb.PreviewTemplateRequest, context: grpc.ServicerContext) -> pb.PreviewTemplateResponse:
        source = request.WhichOneof("source")
        if source == "draft":
            template, prefix = m.template_draft(request.draft), "draft."
        elif source == "template_id" and request.template_id:
            template, prefix = catalogue_repo.get_template(self.db, request.template_id)[0], ""
        else:
            raise ValidationError.single("template_id", "give a template_id or a draft to preview")
        shown = rendering.preview(self.db, self.links, template, caller=current_caller(), customer_id=request.customer_id,
                                  policy_id=request.policy_id, language=request.language, now=self.clock(), field_prefix=prefix)
        rendered = shown.message
        return pb.PreviewTemplateResponse(language=rendered.language, subject=rendered.subject, body=rendered.body,
                                          sms_encoding=rendered.sms.encoding if rendered.sms else "",
                                          sms_segments=rendered.sms.segments if rendered.sms else 0,
                                          sample_values=list(shown.sample_values))

    def ListTemplates(self, request: pb.ListTemplatesRequest, context: grpc.ServicerContext) -> pb.ListTemplatesResponse:
        return pb.ListTemplatesResponse(templates=[m.template(t, b) for t, b in catalogue_repo.list_templates(self.db, request.channel)])

    # -- campaigns -----------------------------------------------------------------------------
    def CreateCampaign(self, request: pb.CreateCampaignRequest, context: grpc.ServicerContext) -> pb.CreateCampaignResponse:
        _require_planner()
        rule = m.parse_rule(request.segment_rule_json, "segment_rule_json") if request.segment_rule_json or not request.segment_id else None
        campaign = campaigns.create(self.db, self.clock(), name=request.name, purpose=request.purpose, channel=request.channel,
                                    template_ids=dict(request.template_ids), segment_rule=rule, segment_id=request.segment_id,
                                    schedule_at=m.parse_instant(request.schedule_at, "schedule_at"))
        return pb.CreateCampaignResponse(campaign=m.campaign(campaign))

    def ListCampaigns(self, request: pb.ListCampaignsRequest, context: grpc.ServicerContext) -> pb.ListCampaignsResponse:
        _require_planner()
        found, last = campaigns.list_campaigns(self.db, request.status, m.decode_page_token(request.page.page_token),
                                               request.page.page_size)
        return pb.ListCampaignsResponse(campaigns=[m.campaign(c) for c in found],
                                        page=paging_pb2.PageResponse(next_page_token=m.encode_page_token(last)))

    def _change(self, request: pb.ChangeCampaignRequest, action: str) -> pb.CampaignResponse:
        _require_planner()
        campaign = campaigns.change(self.db, request.campaign_id, action, self.clock(), request.expected_version, request.reason)
        return pb.CampaignResponse(campaign=m.campaign(campaign))

    def ScheduleCampaign(self, request: pb.ChangeCampaignRequest, context: grpc.ServicerContext) -> pb.CampaignResponse:
        return self._change(request, "schedule")

    def StartCampaign(self, request: pb.ChangeCampaignRequest, context: grpc.ServicerContext) -> pb.CampaignResponse:
        return self._change(request, "start")

    def PauseCampaign(self, request: pb.ChangeCampaignRequest, context: grpc.ServicerContext) -> pb.CampaignResponse:
        return self._change(request, "pause")

    def StopCampaign(self, request: pb.ChangeCampaignRequest, context: grpc.ServicerContext) -> pb.CampaignResponse:
        return self._change(request, "stop")

    def GetCampaignResults(self, request: pb.GetCampaignResultsRequest, context: grpc.ServicerContext) -> pb.GetCampaignResultsResponse:
        _require_planner()
        campaign, counts = campaigns.results(self.db, request.campaign_id)
        rate = counts.pop("conversion_rate")
        results = pb.CampaignResults(**counts)
        if rate is not None:
            results.conversion_rate = rate
        return pb.GetCampaignResultsResponse(campaign=m.campaign(campaign), results=results)

    # -- journeys and deliveries ---------------------------------------------------------------
    def GetPolicyJourney(self, request: pb.GetPolicyJourneyRequest, context: grpc.ServicerContext) -> pb.GetPolicyJourneyResponse:
        policy = projections.policy(self.db, request.policy_id) or {}
        found = journeys_repo.for_policy(self.db, request.policy_id)
        if not found or not can_see_record(current_caller(), policy.get("agent_id"), policy.get("branch_code")):
            raise NotFound("no journey for this policy", code="POLICY_NOT_FOUND")
        found.sort(key=lambda j: (j.term_end or dt.date.min, j.started_at or dt.datetime.min.replace(tzinfo=dt.UTC)), reverse=True)
        return pb.GetPolicyJourneyResponse(journeys=[m.journey(j, deliveries_repo.for_journey(self.db, j.id)) for j in found])

    def ListCustomerDeliveries(self, request: pb.ListCustomerDeliveriesRequest, context: grpc.ServicerContext) -> pb.ListCustomerDeliveriesResponse:
        profile = projections.profile(self.db, request.customer_id)
        if profile is None or not can_see_record(current_caller(), profile.get("agent_id"), profile.get("branch_code")):
            raise NotFound("customer not found", code="CUSTOMER_NOT_FOUND")
        docs = deliveries_repo.for_customer(self.db, request.customer_id, max(1, min(request.page_size or 20, 100)))
        return pb.ListCustomerDeliveriesResponse(deliveries=[m.delivery(d) for d in docs])

    # -- opt-out -------------------------------------------------------------------------------
    def HandleInboundSms(self, request: pb.HandleInboundSmsRequest, context: grpc.ServicerContext) -> pb.HandleInboundSmsResponse:
        outcome = opt_outs.handle_inbound_sms(self.db, self.consents, request.from_number, request.text, self.clock())
        return pb.HandleInboundSmsResponse(is_stop=outcome.is_stop, purposes=list(outcome.purposes),
                                           customers_updated=outcome.customers_updated)

    def Unsubscribe(self, request: pb.UnsubscribeRequest, context: grpc.ServicerContext) -> pb.UnsubscribeResponse:
        channel, purpose = opt_outs.unsubscribe(self.db, self.consents, self.links.unsubscribe_secret, request.token, self.clock())
        return pb.UnsubscribeResponse(channel=channel, purpose=purpose)

    def RegisterPushToken(self, request: pb.RegisterPushTokenRequest, context: grpc.ServicerContext) -> pb.RegisterPushTokenResponse:
        violations = Violations()
        if not request.customer_id:
            violations.add("customer_id", "is required")
        if not request.token.strip():
            violations.add("token", "is required")
        violations.raise_if_any()
        projections.add_push_token(self.db, request.customer_id, request.token.strip())
        return pb.RegisterPushTokenResponse()


def service_names() -> list[str]:
    return [pb.DESCRIPTOR.services_by_name["CampaignService"].full_name]


def add_to(server: grpc.Server, servicer: CampaignServicer) -> list[str]:
    campaign_pb2_grpc.add_CampaignServiceServicer_to_server(servicer, server)
    return service_names()


