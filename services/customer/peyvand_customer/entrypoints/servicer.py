"""peyvand.customer.v1.CustomerService: thin methods — parse, call a use case, answer."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from peyvand.common.v1 import paging_pb2
from peyvand.customer.v1 import customer_pb2 as pb
from peyvand.customer.v1 import customer_pb2_grpc
from peyvand_runtime.domain import ValidationError, Violations
from peyvand_runtime.identity import current_caller

from peyvand_customer.entrypoints import proto_mapping as m
from peyvand_customer.service_layer import customers, duplicate_scan, exports, imports, paging, relations, search, timeline
from peyvand_customer.service_layer.context import Context

PAGE = paging_pb2.PageResponse


class CustomerServicer(customer_pb2_grpc.CustomerServiceServicer):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _customer(self, party: Any) -> pb.Customer:
        return m.customer_from_party(party, self.ctx.index_key)

    def CreateCustomer(self, request: pb.CreateCustomerRequest, context: Any) -> pb.CreateCustomerResponse:
        cmd = m.create_command(request.customer)
        result = customers.create_customer(
            self.ctx, current_caller(), cmd, override=request.override_duplicate_warning, idempotency_key=request.idempotency_key, channel=request.channel or "api"
        )
        if not result.created:
            names = {d["_id"]: d.get("display_name", "") for d in self.ctx.parties.get_docs([w.customer_id for w in result.warnings])}
            return pb.CreateCustomerResponse(duplicate_warnings=m.warning_messages(result.warnings, names), created=False)
        return pb.CreateCustomerResponse(customer=self._customer(result.party), created=True)

    def GetCustomer(self, request: pb.GetCustomerRequest, context: Any) -> pb.GetCustomerResponse:
        doc, requested = customers.get_customer(self.ctx, current_caller(), request.customer_id)
        customer = m.customer_from_doc(doc)
        if request.timeline_page_size <= 0:
            return pb.GetCustomerResponse(customer=customer, requested_id=requested)
        # ListTimeline's first page, from the party just read (the scope check is done).
        size = paging.page_size(request.timeline_page_size)
        entries, token = timeline.timeline_page(self.ctx, doc["_id"], doc.get("merged_from") or (), size, "")
        return pb.GetCustomerResponse(
            customer=customer, requested_id=requested, timeline=[m.timeline_entry(e) for e in entries], timeline_page=PAGE(next_page_token=token)
        )

    def BatchGetCustomers(self, request: pb.BatchGetCustomersRequest, context: Any) -> pb.BatchGetCustomersResponse:
        docs = customers.batch_get(self.ctx, current_caller(), request.customer_ids)
        return pb.BatchGetCustomersResponse(customers=[m.customer_from_doc(d) for d in docs])

    def UpdateCustomer(self, request: pb.UpdateCustomerRequest, context: Any) -> pb.UpdateCustomerResponse:
        changes = m.update_changes(request.customer, list(request.update_mask))
        party, warnings, updated = customers.update_customer(
            self.ctx, current_caller(), request.customer_id, request.expected_version, changes, override=request.override_duplicate_warning, channel=request.channel or "api"
        )
        names = {d["_id"]: d.get("display_name", "") for d in self.ctx.parties.get_docs([w.customer_id for w in warnings])}
        return pb.UpdateCustomerResponse(customer=self._customer(party), duplicate_warnings=m.warning_messages(warnings, names), updated=updated)

    def SearchCustomers(self, request: pb.SearchCustomersRequest, context: Any) -> pb.SearchCustomersResponse:
        hits, token = search.search(self.ctx, current_caller(), request.query, paging.page_size(request.page.page_size), request.page.page_token)
        return pb.SearchCustomersResponse(hits=[pb.SearchHit(customer=m.customer_from_doc(h.doc), matched_on=h.matched_on) for h in hits], page=PAGE(next_page_token=token))

    def ListCustomers(self, request: pb.ListCustomersRequest, context: Any) -> pb.ListCustomersResponse:
        size = paging.page_size(request.page.page_size)
        docs, token = search.list_customers(self.ctx, current_caller(), request.agent_id, request.branch_code, request.role, size, request.page.page_token)
        return pb.ListCustomersResponse(customers=[m.customer_from_doc(d) for d in docs], page=PAGE(next_page_token=token))

    def SetConsent(self, request: pb.SetConsentRequest, context: Any) -> pb.SetConsentResponse:
        violations = Violations()
        at = m.parse_instant(request.at, "at", violations)
        violations.raise_if_any()
        party, changed = customers.set_consent(self.ctx, current_caller(), request.customer_id, request.channel, request.purpose, request.granted, request.source, at)
        return pb.SetConsentResponse(customer=self._customer(party), changed=changed)

    def AssignCustomer(self, request: pb.AssignCustomerRequest, context: Any) -> pb.AssignCustomerResponse:
        party = customers.assign_customer(self.ctx, current_caller(), request.customer_id, request.agent_id, request.branch_code, request.expected_version)
        return pb.AssignCustomerResponse(customer=self._customer(party))

    def LinkRelationship(self, request: pb.LinkRelationshipRequest, context: Any) -> pb.LinkRelationshipResponse:
        party = relations.link(self.ctx, current_caller(), request.customer_id, request.other_customer_id, request.kind)
        return pb.LinkRelationshipResponse(customer=self._customer(party))

    def UnlinkRelationship(self, request: pb.UnlinkRelationshipRequest, context: Any) -> pb.UnlinkRelationshipResponse:
        party = relations.unlink(self.ctx, current_caller(), request.customer_id, request.other_customer_id, request.kind)
        return pb.UnlinkRelationshipResponse(customer=self._customer(party))

    def LogInteraction(self, request: pb.LogInteractionRequest, context: Any) -> pb.LogInteractionResponse:
        violations = Violations()
        at = m.parse_instant(request.at, "at", violations)
        violations.raise_if_any()
        entry = timeline.log_interaction(self.ctx, current_caller(), request.customer_id, request.kind, request.summary, at, request.idempotency_key, request.channel)
        return pb.LogInteractionResponse(entry=m.timeline_entry(entry))

    def ListTimeline(self, request: pb.ListTimelineRequest, context: Any) -> pb.ListTimelineResponse:
        docs, token = timeline.list_timeline(self.ctx, current_caller(), request.customer_id, paging.page_size(request.page.page_size), request.page.page_token)
        return pb.ListTimelineResponse(entries=[m.timeline_entry(d) for d in docs], page=PAGE(next_page_token=token))

    def FindDuplicates(self, request: pb.FindDuplicatesRequest, context: Any) -> pb.FindDuplicatesResponse:
        size = paging.page_size(request.page.page_size)
        docs, token = duplicate_scan.find_duplicates(self.ctx, current_caller(), request.customer_id, request.min_score, size, request.page.page_token)
        candidates = [pb.DuplicateCandidate(customer_id=d["a"], other_customer_id=d["b"], score=d["score"], reasons=d["reasons"]) for d in docs]
        return pb.FindDuplicatesResponse(candidates=candidates, page=PAGE(next_page_token=token))

    def MergeCustomers(self, request: pb.MergeCustomersRequest, context: Any) -> pb.MergeCustomersResponse:
        survivor, merged = relations.merge(self.ctx, current_caller(), request.survivor_id, request.merged_id)
        return pb.MergeCustomersResponse(survivor=self._customer(survivor), merged=merged)

    def ListAudit(self, request: pb.ListAuditRequest, context: Any) -> pb.ListAuditResponse:
        docs, token = timeline.list_audit(self.ctx, current_caller(), request.customer_id, paging.page_size(request.page.page_size), request.page.page_token)
        return pb.ListAuditResponse(entries=[m.audit_entry(d) for d in docs], page=PAGE(next_page_token=token))

    def ImportCustomers(self, request_iterator: Iterator[pb.ImportCustomersRequest], context: Any) -> pb.ImportCustomersResponse:
        rows = ((r.line_number or index + 2, dict(r.row)) for index, r in enumerate(request_iterator))
        report = imports.import_rows(self.ctx, current_caller(), rows, channel="grpc_import", batch_size=1000)
        return pb.ImportCustomersResponse(
            rows_read=report.rows_read,
            rows_created=report.rows_created,
            rows_rejected=report.rows_rejected,
            rows_flagged=report.rows_flagged,
            rejected=[pb.RejectedRow(line_number=r.line_number, reasons=r.reasons) for r in report.rejected[:1000]],
        )

    def ListChanges(self, request: pb.ListChangesRequest, context: Any) -> pb.ListChangesResponse:
        if request.page_size < 0:
            raise ValidationError.single("page_size", "must not be negative")
        size = min(request.page_size or 200, 500)
        docs, token, more = search.list_changes(self.ctx, current_caller(), request.since_token, size)
        return pb.ListChangesResponse(customers=[m.customer_from_doc(d) for d in docs], next_token=token, has_more=more)

    def SetHousehold(self, request: pb.SetHouseholdRequest, context: Any) -> pb.SetHouseholdResponse:
        household_id, members = relations.set_household(self.ctx, current_caller(), list(request.customer_ids), request.household_id)
        return pb.SetHouseholdResponse(household_id=household_id, members=[self._customer(p) for p in members])

    def ListHousehold(self, request: pb.ListHouseholdRequest, context: Any) -> pb.ListHouseholdResponse:
        household_id, docs = relations.list_household(self.ctx, current_caller(), request.customer_id)
        return pb.ListHouseholdResponse(household_id=household_id, members=[m.customer_from_doc(d) for d in docs])

    def LeaveHousehold(self, request: pb.LeaveHouseholdRequest, context: Any) -> pb.LeaveHouseholdResponse:
        return pb.LeaveHouseholdResponse(customer=self._customer(relations.leave_household(self.ctx, current_caller(), request.customer_id)))

    def ExportCustomers(self, request: pb.ExportCustomersRequest, context: Any) -> Iterator[pb.ExportCustomersChunk]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, exports.COLUMNS)
        writer.writeheader()
        for row in exports.export_rows(self.ctx, current_caller(), request.agent_id, request.branch_code, request.jalali_dates):
            writer.writerow(row)
            if buffer.tell() > 64_000:
                yield pb.ExportCustomersChunk(csv=buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
        yield pb.ExportCustomersChunk(csv=buffer.getvalue())
