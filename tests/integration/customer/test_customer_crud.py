"""Create, read, update with versions, validation naming fields, and the duplicate rules, over real gRPC."""

from __future__ import annotations

import grpc
from peyvand.customer.v1 import customer_pb2 as pb


def test_person_and_organisation_round_trip_and_versioned_update(api) -> None:  # type: ignore[no-untyped-def]
    nid = api.national_id("001234567")
    created = api.create(first_name="علي", last_name="رضايي", national_id=nid, birth_date="1364/01/01", agent_id="agt_A", branch_code="1201", roles=["policyholder"])
    assert created.created
    customer = created.customer
    assert customer.customer_id.startswith("cus_") and customer.customer_number
    assert customer.first_name == "علی" and customer.last_name == "رضایی"  # Arabic yeh stored as Persian
    assert customer.birth_date == "1985-03-21" and customer.birth_date_jalali == "1364/01/01"
    assert customer.contact_points[0].value == "+989121234567" and customer.version == 1

    org = api.create(kind=pb.ORGANISATION, org_name="شركت پارس", legal_id="10100000018"[:0] or "", contact_points=[pb.ContactPoint(kind="email", value="Info@Pars.example.com")])
    assert org.created and org.customer.kind == pb.ORGANISATION and org.customer.contact_points[0].value == "info@pars.example.com"

    stub = api.stub(api.ADMIN)
    got = stub.GetCustomer(pb.GetCustomerRequest(customer_id=customer.customer_id)).customer
    assert got == customer
    updated = stub.UpdateCustomer(
        pb.UpdateCustomerRequest(customer_id=customer.customer_id, expected_version=1, customer=pb.CustomerInput(father_name="حسن", preferred_channel="email"), update_mask=["father_name", "preferred_channel"])
    )
    assert updated.updated and updated.customer.version == 2 and updated.customer.father_name == "حسن"
    assert updated.customer.first_name == "علی"  # outside the mask: untouched

    stale = api.error_of(lambda: stub.UpdateCustomer(pb.UpdateCustomerRequest(customer_id=customer.customer_id, expected_version=1, customer=pb.CustomerInput(father_name="محمد"), update_mask=["father_name"])))
    assert stale.status_code == grpc.StatusCode.ABORTED and stale.code == "VERSION_CONFLICT"
    assert stub.GetCustomer(pb.GetCustomerRequest(customer_id=customer.customer_id)).customer.father_name == "حسن"

    audit = stub.ListAudit(pb.ListAuditRequest(customer_id=customer.customer_id)).entries
    assert [a.action for a in audit] == ["update", "create"] and audit[0].actor == api.ADMIN.principal
    assert sorted(audit[0].fields) == ["father_name", "preferred_channel"]


def test_bad_input_names_the_fields_and_writes_nothing(api) -> None:  # type: ignore[no-untyped-def]
    bad = api.error_of(
        lambda: api.create(
            first_name="علی", last_name="رضایی", national_id="0012345678",
            contact_points=[pb.ContactPoint(kind="mobile", value="0812345"), pb.ContactPoint(kind="address", line="خیابان آزادی", postal_code="0000000000")],
        )
    )
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT
    fields = {v.field for v in bad.violations}
    assert {"national_id", "contact_points[0].value", "contact_points[1].postal_code"} <= fields
    assert "0012345678" not in bad.message  # never echoes personal data
    kind = api.error_of(lambda: api.create(kind=pb.PARTY_KIND_UNSPECIFIED, first_name="علی", last_name="رضایی"))
    assert [v.field for v in kind.violations] == ["kind"]
    assert api.ctx.db["parties"].estimated_document_count() == 0


def test_same_national_id_is_refused_revealing_the_id_only_in_scope(api) -> None:  # type: ignore[no-untyped-def]
    nid = api.national_id("123456789")
    first = api.create(api.AGENT_A, first_name="مریم", last_name="کریمی", national_id=nid).customer
    mine = api.error_of(lambda: api.create(api.AGENT_A, first_name="مریم", last_name="کریمی", national_id=nid, override=True))
    assert mine.status_code == grpc.StatusCode.ALREADY_EXISTS and mine.code == "CUSTOMER_DUPLICATE"
    assert mine.metadata["existing_customer_id"] == first.customer_id
    other = api.error_of(lambda: api.create(api.AGENT_B, first_name="مریم", last_name="کریمی", national_id=nid, override=True))
    assert other.code == "CUSTOMER_DUPLICATE" and "existing_customer_id" not in other.metadata
    assert first.customer_id not in other.message


def test_soft_duplicates_warn_and_can_be_overridden(api) -> None:  # type: ignore[no-untyped-def]
    first = api.create(api.STAFF_1201, first_name="سارا", last_name="احمدی", birth_date="1990-05-01", contact_points=[pb.ContactPoint(kind="mobile", value="09351112233")]).customer
    same_mobile = api.create(api.STAFF_1201, first_name="رضا", last_name="احمدی", contact_points=[pb.ContactPoint(kind="mobile", value="+98 935 111 2233")])
    assert not same_mobile.created and not same_mobile.HasField("customer")
    assert same_mobile.duplicate_warnings[0].customer_id == first.customer_id and "mobile" in same_mobile.duplicate_warnings[0].reasons
    same_name = api.create(api.STAFF_1201, first_name="سارا", last_name="احمدي", birth_date="1369/02/11", contact_points=[])
    assert not same_name.created and "name_birth" in same_name.duplicate_warnings[0].reasons
    forced = api.create(api.STAFF_1201, override=True, first_name="سارا", last_name="احمدي", birth_date="1369/02/11", contact_points=[])
    assert forced.created and forced.customer.customer_id != first.customer_id
    # An out-of-scope look-alike is never revealed as a warning.
    hidden = api.create(api.AGENT_B, first_name="علی", last_name="نوری", contact_points=[pb.ContactPoint(kind="mobile", value="09121110000")])
    assert hidden.created
    assert api.create(api.AGENT_A, first_name="زهرا", last_name="نوری", contact_points=[pb.ContactPoint(kind="mobile", value="09121110000")]).created


def test_idempotency_key_creates_once(api) -> None:  # type: ignore[no-untyped-def]
    stub = api.stub(api.ADMIN)
    request = pb.CreateCustomerRequest(customer=pb.CustomerInput(kind=pb.PERSON, first_name="نیما", last_name="صالحی"), idempotency_key="k-1")
    a = stub.CreateCustomer(request).customer
    b = stub.CreateCustomer(request).customer
    assert a.customer_id == b.customer_id
    assert api.ctx.db["parties"].estimated_document_count() == 1
