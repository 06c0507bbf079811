"""Relationships kept on both sides, and merges: survivor rules, event, redirect, repeat harmless."""

from __future__ import annotations

import json

import grpc
from peyvand.customer.v1 import customer_pb2 as pb


def test_relationships_are_recorded_on_both_sides_and_unlinked_on_both(api) -> None:  # type: ignore[no-untyped-def]
    child = api.create(first_name="آرش", last_name="مرادی", birth_date="2010-01-01", contact_points=[]).customer
    mother = api.create(first_name="شیرین", last_name="مرادی", birth_date="1980-01-01", contact_points=[]).customer
    stub = api.stub(api.ADMIN)
    linked = stub.LinkRelationship(pb.LinkRelationshipRequest(customer_id=child.customer_id, other_customer_id=mother.customer_id, kind="parent")).customer
    assert [(r.kind, r.other_customer_id) for r in linked.relationships] == [("parent", mother.customer_id)]
    other_side = stub.GetCustomer(pb.GetCustomerRequest(customer_id=mother.customer_id)).customer
    assert [(r.kind, r.other_customer_id) for r in other_side.relationships] == [("child", child.customer_id)]
    # Re-running is harmless (and is how a half-finished link completes).
    again = stub.LinkRelationship(pb.LinkRelationshipRequest(customer_id=child.customer_id, other_customer_id=mother.customer_id, kind="parent")).customer
    assert again.version == linked.version
    wrong = api.error_of(lambda: stub.LinkRelationship(pb.LinkRelationshipRequest(customer_id=mother.customer_id, other_customer_id=child.customer_id, kind="parent")))
    assert wrong.code == "CUSTOMER_RELATIONSHIP_INVALID" and wrong.status_code == grpc.StatusCode.FAILED_PRECONDITION
    hidden = api.create(api.AGENT_B, first_name="کاوه", last_name="مرادی", contact_points=[]).customer
    out_of_scope = api.error_of(lambda: api.stub(api.AGENT_A).LinkRelationship(pb.LinkRelationshipRequest(customer_id=hidden.customer_id, other_customer_id=child.customer_id, kind="sibling")))
    assert out_of_scope.code == "CUSTOMER_NOT_FOUND"
    stub.UnlinkRelationship(pb.UnlinkRelationshipRequest(customer_id=mother.customer_id, other_customer_id=child.customer_id))
    assert not stub.GetCustomer(pb.GetCustomerRequest(customer_id=child.customer_id)).customer.relationships
    assert not stub.GetCustomer(pb.GetCustomerRequest(customer_id=mother.customer_id)).customer.relationships


def test_merge_moves_data_to_the_survivor_emits_an_event_and_redirects(api) -> None:  # type: ignore[no-untyped-def]
    nid = api.national_id("245678901")
    survivor = api.create(first_name="فاطمه", last_name="اکبری", national_id=nid, birth_date="1975-02-02", contact_points=[pb.ContactPoint(kind="mobile", value="09127778899")]).customer
    duplicate = api.create(override=True, first_name="فاطمه", last_name="اكبري", birth_date="1975-02-02", contact_points=[pb.ContactPoint(kind="mobile", value="09127778899"), pb.ContactPoint(kind="email", value="f.akbari@example.com")]).customer
    stub = api.stub(api.STAFF_1201 if False else api.ADMIN)
    stub.LogInteraction(pb.LogInteractionRequest(customer_id=duplicate.customer_id, kind="call", summary="تماس درباره تمدید"))
    merged = stub.MergeCustomers(pb.MergeCustomersRequest(survivor_id=survivor.customer_id, merged_id=duplicate.customer_id))
    assert merged.merged
    emails = [p.value for p in merged.survivor.contact_points if p.kind == "email"]
    assert emails == ["f.akbari@example.com"] and merged.survivor.national_id == nid
    assert duplicate.customer_id in merged.survivor.merged_from
    doc = api.ctx.db["parties"].find_one({"_id": survivor.customer_id})
    merged_events = [json.loads(e)["payload"] for e in doc["outbox"] if json.loads(e)["type"] == "customer.merged"]
    assert merged_events == [merged_events[0]] and merged_events[0]["merged_id"] == duplicate.customer_id

    got = stub.GetCustomer(pb.GetCustomerRequest(customer_id=duplicate.customer_id))
    assert got.customer.customer_id == survivor.customer_id and got.requested_id == duplicate.customer_id
    again = stub.MergeCustomers(pb.MergeCustomersRequest(survivor_id=survivor.customer_id, merged_id=duplicate.customer_id))
    assert not again.merged and again.survivor.version == merged.survivor.version
    doc = api.ctx.db["parties"].find_one({"_id": survivor.customer_id})
    assert sum(json.loads(e)["type"] == "customer.merged" for e in doc["outbox"]) == 1
    timeline = stub.ListTimeline(pb.ListTimelineRequest(customer_id=survivor.customer_id)).entries
    assert [e.kind for e in timeline] == ["call"]  # the merged customer's story shows on the survivor
    assert [h.customer.customer_id for h in stub.SearchCustomers(pb.SearchCustomersRequest(query="اکبری")).hits] == [survivor.customer_id]


def test_household_groups_persons_and_lists_them_in_scope(api) -> None:  # type: ignore[no-untyped-def]
    admin = api.stub(api.ADMIN)
    wife = api.create(first_name="نازنین", last_name="صدری", branch_code="1201", contact_points=[]).customer
    husband = api.create(override=True, first_name="بهروز", last_name="صدری", branch_code="1201", contact_points=[]).customer
    son = api.create(override=True, first_name="آرین", last_name="صدری", branch_code="1202", contact_points=[]).customer
    company = api.create(kind=pb.ORGANISATION, org_name="صدری و شرکا", contact_points=[]).customer
    formed = admin.SetHousehold(pb.SetHouseholdRequest(customer_ids=[wife.customer_id, husband.customer_id]))
    assert formed.household_id.startswith("hh_") and {m.household_id for m in formed.members} == {formed.household_id}
    added = admin.SetHousehold(pb.SetHouseholdRequest(customer_ids=[son.customer_id, wife.customer_id], household_id=formed.household_id))
    assert added.household_id == formed.household_id
    listed = admin.ListHousehold(pb.ListHouseholdRequest(customer_id=husband.customer_id))
    assert listed.household_id == formed.household_id
    assert sorted(m.customer_id for m in listed.members) == sorted([wife.customer_id, husband.customer_id, son.customer_id])
    # staff of branch 1201 see the household but not the member kept in branch 1202
    staff = api.stub(api.STAFF_1201).ListHousehold(pb.ListHouseholdRequest(customer_id=wife.customer_id))
    assert sorted(m.customer_id for m in staff.members) == sorted([wife.customer_id, husband.customer_id])
    assert api.error_of(lambda: api.stub(api.STAFF_1201).ListHousehold(pb.ListHouseholdRequest(customer_id=son.customer_id))).code == "CUSTOMER_NOT_FOUND"
    assert api.error_of(lambda: admin.SetHousehold(pb.SetHouseholdRequest(customer_ids=[company.customer_id, wife.customer_id]))).code == "CUSTOMER_RELATIONSHIP_INVALID"
    assert api.error_of(lambda: admin.SetHousehold(pb.SetHouseholdRequest(customer_ids=[wife.customer_id, son.customer_id], household_id="hh_nope"))).violations[0].field == "household_id"
    left = admin.LeaveHousehold(pb.LeaveHouseholdRequest(customer_id=son.customer_id)).customer
    assert left.household_id == ""
    assert len(admin.ListHousehold(pb.ListHouseholdRequest(customer_id=husband.customer_id)).members) == 2
    assert admin.ListHousehold(pb.ListHouseholdRequest(customer_id=son.customer_id)).household_id == ""
