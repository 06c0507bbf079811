"""A book written in lookup-slot layout 1 is searchable before, during and after ``cli migrate-lookup-keys``."""

from __future__ import annotations

import subprocess
import sys

from peyvand.customer.v1 import customer_pb2 as pb


def _layout_1(doc) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """The slots as the service wrote them before layout 2 (domain/lookup.py at 2026-11-22)."""
    from peyvand_customer.domain.persian import compact_name, name_tokens

    points = sorted(doc["contact_points"], key=lambda p: not p.get("primary"))
    mobiles = ["m:" + p["value"] for p in points if p["kind"] == "mobile"]
    emails = ["e:" + p["value"] for p in points if p["kind"] == "email"]
    parts = (doc["first_name"], doc["last_name"])
    ordered = ["n:" + compact_name(*parts), *mobiles[:1], *("n:" + t for t in name_tokens(*parts)), *mobiles[1:], *emails]
    ordered += ["n:" + compact_name(p) for p in parts if p]
    keys: list[str | None] = []
    for key in ordered:
        if key not in keys and len(key) > 2:
            keys.append(key)
    keys = keys[:8]
    return {f"k{i}": (keys[i] if i < len(keys) else None) for i in range(8)}


def test_layout_1_book_is_found_then_migrated_to_layout_2(api, isolated) -> None:  # type: ignore[no-untyped-def]
    from peyvand_customer.adapters.schema import lookup_layout, set_lookup_layout
    from peyvand_customer.domain.lookup import slot_fields
    from peyvand_customer.service_layer.context import Context
    from peyvand_customer.service_layer.migrations import migrate_lookup_keys

    stub = api.stub(api.ADMIN)
    people = [
        ("محمد\u200cرضا", "کاظمی", "09125550001", "kazemi@example.com"),
        ("سارا", "حسین\u200cزاده", "09125550002", ""),
        ("علی", "نوری", "09125550003", "ali.nouri@example.com"),
    ]
    ids = []
    for first, last, mobile, email in people:
        points = [pb.ContactPoint(kind="mobile", value=mobile)] + ([pb.ContactPoint(kind="email", value=email)] if email else [])
        ids.append(api.create(override=True, first_name=first, last_name=last, contact_points=points).customer.customer_id)
    parties = api.ctx.db["parties"]
    assert lookup_layout(api.ctx.db) == 2  # an empty book starts in the current layout
    # Turn the book into one written by the previous release.
    for doc in parties.find({}, {"outbox": 0}):
        parties.update_one({"_id": doc["_id"]}, {"$set": _layout_1(doc)})
    set_lookup_layout(api.ctx.db, 1)
    assert parties.find_one({"_id": ids[0]})["k1"] == "m:+989125550001"  # the old mixed layout

    def find(query: str) -> list[str]:
        return [h.customer.customer_id for h in stub.SearchCustomers(pb.SearchCustomersRequest(query=query)).hits]

    def every_query_finds_its_party() -> None:
        for query, wanted in (("کاظ", 0), ("رضا", 0), ("محمدرضا", 0), ("زاده", 1), ("حسین زاده", 1), ("نوری", 2), ("09125550002", 1),
                              ("+989125550003", 2), ("kazemi@example.com", 0), ("ALI.NOURI@example.com", 2)):
            assert find(query) == [ids[wanted]], query

    # A service that has not yet seen the marker move reads all slots: layout 1 is still found.
    fresh = Context(api.ctx.db, api.ctx.index_key)
    assert fresh.parties.contact_slots() == range(1, 8) and fresh.parties.name_slots() == range(8)
    api.ctx.parties._layout_read = 0.0  # the running server re-reads the marker now, not in 5 s
    every_query_finds_its_party()

    # A party saved by the current code during the migration window is written in layout 2.
    stub.UpdateCustomer(pb.UpdateCustomerRequest(customer_id=ids[2], expected_version=1, customer=pb.CustomerInput(father_name="حسن"), update_mask=["father_name"]))
    assert parties.find_one({"_id": ids[2]})["k4"] == "m:+989125550003"

    done = subprocess.run([sys.executable, "-m", "peyvand_customer.entrypoints.cli", "migrate-lookup-keys", "--page", "2"],
                          env=isolated.env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "done read=3 rewritten=2 skipped_changed=0" in done.stderr  # pages of 2 overlap; each party read once
    assert lookup_layout(api.ctx.db) == 2
    from peyvand_customer.adapters.mapping import from_document

    for doc in parties.find({}, {"outbox": 0}):
        assert {k: doc.get(k) for k in (f"k{i}" for i in range(8))} == slot_fields(from_document(doc))
        assert doc["version"] == (2 if doc["_id"] == ids[2] else 1)  # derived data: no new version, no event
    api.ctx.parties._layout_read = 0.0
    assert api.ctx.parties.contact_slots() == range(4, 8) and api.ctx.parties.name_slots() == range(0, 4)
    every_query_finds_its_party()
    again = migrate_lookup_keys(api.ctx, page=2)
    assert (again.read, again.rewritten) == (3, 0)
