"""Search by any spelling of a name, ids, mobiles in any form; scope on reads, writes, lists and search."""

from __future__ import annotations

import json

import grpc
from peyvand.customer.v1 import customer_pb2 as pb


def _ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.customer.customer_id for h in response.hits]


def test_search_finds_name_variants_ids_and_mobiles(api) -> None:  # type: ignore[no-untyped-def]
    nid = api.national_id("004455667")
    target = api.create(first_name="محمد\u200cرضا", last_name="کاظمی", national_id=nid, contact_points=[pb.ContactPoint(kind="mobile", value="09123334455"), pb.ContactPoint(kind="email", value="m.kazemi@example.com")]).customer
    api.create(first_name="مهدی", last_name="کریمی", contact_points=[pb.ContactPoint(kind="mobile", value="09124445566")])
    stub = api.stub(api.ADMIN)

    def find(query: str) -> list[str]:
        return _ids(stub.SearchCustomers(pb.SearchCustomersRequest(query=query)))

    for query in ("كاظمي", "کاظ", "محمدرضا", "محمد رضا", "رضا", "محمد\u200cرضا کاظمی", "مح کاظ"):
        assert find(query) == [target.customer_id], query
    assert target.customer_id not in find("کریمی")
    for query in (nid, "۰" + "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in nid[1:]), "09123334455", "+989123334455", "00989123334455", "۰۹۱۲۳۳۳۴۴۵۵", "0912 333 4455", "M.Kazemi@example.com", target.customer_number):
        assert find(query) == [target.customer_id], query
    hit = stub.SearchCustomers(pb.SearchCustomersRequest(query="+98 912 333 4455")).hits[0]
    assert hit.matched_on == "mobile"


def test_short_prefix_pages_through_ties_once_each_in_key_order(api) -> None:  # type: ignore[no-untyped-def]
    from peyvand_customer.service_layer import imports

    # 24 parties share the last name (ties in slots 0-2), 6 more only match by first name, 5 are
    # in another branch (out of the staff caller's scope), 5 do not match at all.
    rows = [{"first_name": ("سارا", "سمیرا", "سحر")[i % 3], "last_name": "شهابی", "branch_code": "1201"} for i in range(24)]
    rows += [{"first_name": "شهره", "last_name": last, "branch_code": "1201"} for last in ("نوری", "کاظمی", "رضایی", "کریمی", "احمدی", "حسینی")]
    rows += [{"first_name": "شهاب", "last_name": "کرمی", "branch_code": "1202"} for _ in range(5)]
    rows += [{"first_name": "مینا", "last_name": "احمدی", "branch_code": "1201"} for _ in range(5)]
    report = imports.import_rows(api.ctx, api.ADMIN, [(i + 2, r) for i, r in enumerate(rows)], batch_size=7, keep_ids=True)
    assert report.rows_created == 40
    docs = {d["_id"]: d for d in api.ctx.db["parties"].find({}, {"outbox": 0})}
    in_scope = {i for i, d in docs.items() if d["branch_code"] == "1201" and "ش" in (d["first_name"][:1] + d["last_name"][:1])}
    stub = api.stub(api.STAFF_1201)
    for query, page_size in (("ش", 4), ("ش", 7), ("شه", 5), ("شهابی", 10)):
        seen: list[str] = []
        token = ""
        for _ in range(20):
            answer = stub.SearchCustomers(pb.SearchCustomersRequest(query=query, page={"page_size": page_size, "page_token": token}))
            assert len(answer.hits) <= page_size
            seen += _ids(answer)
            token = answer.page.next_page_token
            if not token:
                break
        assert len(seen) == len(set(seen)), query  # nobody twice across pages
        wanted = {i for i in in_scope if query == "ش" or query == "شه" or docs[i]["last_name"] == "شهابی"}
        assert set(seen) == wanted, query
    everyone = _ids(api.stub(api.ADMIN).SearchCustomers(pb.SearchCustomersRequest(query="شه", page={"page_size": 200})))
    first_positions = [min((docs[i][f"k{s}"], s) for s in range(8) if (docs[i].get(f"k{s}") or "").startswith("n:شه")) for i in everyone]
    assert len(everyone) == 35 and first_positions == sorted(first_positions)  # in key order, each at its first key
    error = api.error_of(lambda: stub.SearchCustomers(pb.SearchCustomersRequest(query="شه", page={"page_token": "bm90LWpzb24"})))
    assert error.status_code == grpc.StatusCode.INVALID_ARGUMENT


def test_name_search_pages_with_a_cursor(api) -> None:  # type: ignore[no-untyped-def]
    created = {api.create(override=True, first_name=f"پویا{i}", last_name="شریفی", contact_points=[]).customer.customer_id for i in range(5)}
    stub = api.stub(api.ADMIN)
    first = stub.SearchCustomers(pb.SearchCustomersRequest(query="شریف", page={"page_size": 3}))
    assert len(first.hits) == 3 and first.page.next_page_token
    second = stub.SearchCustomers(pb.SearchCustomersRequest(query="شریف", page={"page_size": 3, "page_token": first.page.next_page_token}))
    assert len(second.hits) == 2 and not second.page.next_page_token
    assert set(_ids(first)) | set(_ids(second)) == created


def test_agents_see_their_book_and_staff_their_branch(api) -> None:  # type: ignore[no-untyped-def]
    mine = api.create(api.AGENT_A, first_name="ژاله", last_name="توکلی", contact_points=[pb.ContactPoint(kind="mobile", value="09191112222")]).customer
    theirs = api.create(api.AGENT_B, first_name="ژاله", last_name="توکلیان", contact_points=[pb.ContactPoint(kind="mobile", value="09193334444")]).customer
    assert mine.agent_id == "agt_A" and mine.branch_code == "1201" and theirs.branch_code == "1202"
    agent_a, staff = api.stub(api.AGENT_A), api.stub(api.STAFF_1201)

    for call in (
        lambda: agent_a.GetCustomer(pb.GetCustomerRequest(customer_id=theirs.customer_id)),
        lambda: agent_a.UpdateCustomer(pb.UpdateCustomerRequest(customer_id=theirs.customer_id, expected_version=1, customer=pb.CustomerInput(father_name="x"), update_mask=["father_name"])),
        lambda: agent_a.SetConsent(pb.SetConsentRequest(customer_id=theirs.customer_id, channel="sms", purpose="marketing", granted=False)),
        lambda: staff.GetCustomer(pb.GetCustomerRequest(customer_id=theirs.customer_id)),
    ):
        error = api.error_of(call)
        assert error.status_code == grpc.StatusCode.NOT_FOUND and error.code == "CUSTOMER_NOT_FOUND"
    assert _ids(agent_a.SearchCustomers(pb.SearchCustomersRequest(query="ژاله"))) == [mine.customer_id]
    assert _ids(agent_a.SearchCustomers(pb.SearchCustomersRequest(query="09193334444"))) == []
    assert [c.customer_id for c in agent_a.ListCustomers(pb.ListCustomersRequest()).customers] == [mine.customer_id]
    assert [c.customer_id for c in agent_a.ListCustomers(pb.ListCustomersRequest(agent_id="agt_B")).customers] == []
    assert [c.customer_id for c in staff.ListCustomers(pb.ListCustomersRequest()).customers] == [mine.customer_id]
    assert [c.customer_id for c in staff.BatchGetCustomers(pb.BatchGetCustomersRequest(customer_ids=[mine.customer_id, theirs.customer_id])).customers] == [mine.customer_id]
    both = api.stub(api.ADMIN).ListCustomers(pb.ListCustomersRequest(role="prospect")).customers
    assert {c.customer_id for c in both} == {mine.customer_id, theirs.customer_id}


def test_consent_change_by_a_service_principal_emits_an_event(api) -> None:  # type: ignore[no-untyped-def]
    customer = api.create(api.STAFF_1201, first_name="لیلا", last_name="حیدری").customer
    answer = api.stub(api.CAMPAIGN).SetConsent(pb.SetConsentRequest(customer_id=customer.customer_id, channel="sms", purpose="marketing", granted=False, source="sms_reply"))
    assert answer.changed and [(c.channel, c.purpose, c.granted) for c in answer.customer.consents] == [("sms", "marketing", False)]
    repeat = api.stub(api.CAMPAIGN).SetConsent(pb.SetConsentRequest(customer_id=customer.customer_id, channel="sms", purpose="marketing", granted=False, source="sms_reply", at=answer.customer.consents[0].at))
    assert not repeat.changed
    doc = api.ctx.db["parties"].find_one({"_id": customer.customer_id})
    events = [json.loads(e) for e in doc["outbox"]]
    consent = [e for e in events if e["type"] == "customer.consent_changed"]
    assert len(consent) == 1 and doc["outbox_pending"] == 1
    payload = consent[0]["payload"]
    assert payload["granted"] is False and payload["source"] == "sms_reply" and payload["branch_code"] == "1201" and payload["aggregate_version"] == 2
    bad = api.error_of(lambda: api.stub(api.CAMPAIGN).SetConsent(pb.SetConsentRequest(customer_id=customer.customer_id, channel="fax", purpose="marketing")))
    assert bad.status_code == grpc.StatusCode.INVALID_ARGUMENT and [v.field for v in bad.violations] == ["consent.channel"]


def test_list_changes_since_a_token(api) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    clock = [dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)]
    api.ctx.clock = lambda: clock[0]
    a = api.create(api.AGENT_A, first_name="بهرام", last_name="نادری", contact_points=[]).customer
    api.create(api.AGENT_B, first_name="بیژن", last_name="نادری", contact_points=[])
    b = api.create(api.AGENT_A, first_name="بابک", last_name="نادری", contact_points=[]).customer
    clock[0] += dt.timedelta(minutes=1)
    stub = api.stub(api.AGENT_A)
    first = stub.ListChanges(pb.ListChangesRequest(page_size=1))
    assert [c.customer_id for c in first.customers] == [a.customer_id] and first.has_more
    second = stub.ListChanges(pb.ListChangesRequest(since_token=first.next_token, page_size=10))
    assert [c.customer_id for c in second.customers] == [b.customer_id] and not second.has_more
    assert not stub.ListChanges(pb.ListChangesRequest(since_token=second.next_token)).customers
    stub.UpdateCustomer(pb.UpdateCustomerRequest(customer_id=a.customer_id, expected_version=1, customer=pb.CustomerInput(father_name="کریم"), update_mask=["father_name"]))
    clock[0] += dt.timedelta(minutes=1)
    third = stub.ListChanges(pb.ListChangesRequest(since_token=second.next_token))
    assert [(c.customer_id, c.father_name) for c in third.customers] == [(a.customer_id, "کریم")]
