"""The customer metrics the issue asks for move when the things they count happen (in-process registry)."""

from __future__ import annotations

from peyvand.customer.v1 import customer_pb2 as pb
from prometheus_client import REGISTRY


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_import_rows_merges_duplicate_candidates_and_parties_by_role(api) -> None:  # type: ignore[no-untyped-def]
    from peyvand_customer.service_layer import duplicate_scan, gauges, imports

    ok, rejected = _value("peyvand_customer_import_rows_total", outcome="ok"), _value("peyvand_customer_import_rows_total", outcome="rejected")
    rows = [
        {"first_name": "کیوان", "last_name": "مقدم", "birth_date": "1980-02-03", "father_name": "رضا", "mobile": "09351112233", "roles": "policyholder;insured"},
        {"first_name": "كيوان", "last_name": "مقدم", "birth_date": "1980-02-03", "father_name": "رضا", "mobile": "09351112233", "roles": "prospect"},
        {"first_name": "کیوان", "last_name": "", "mobile": "0935"},
    ]
    imports.import_rows(api.ctx, api.ADMIN, [(i + 2, r) for i, r in enumerate(rows)])
    assert _value("peyvand_customer_import_rows_total", outcome="ok") - ok == 2
    assert _value("peyvand_customer_import_rows_total", outcome="rejected") - rejected == 1

    counts = gauges.refresh_parties_gauge(api.ctx.db)
    assert counts == {"beneficiary": 0, "insured": 1, "payer": 0, "policyholder": 1, "prospect": 1}
    assert _value("peyvand_customer_parties", role="prospect") == 1 and _value("peyvand_customer_parties", role="payer") == 0

    before = _value("peyvand_customer_duplicate_candidates_total")
    found, _stats = duplicate_scan.scan_book(api.ctx)
    assert found == 1 and _value("peyvand_customer_duplicate_candidates_total") - before == 1

    merges = _value("peyvand_customer_merges_total")
    pair = api.stub(api.ADMIN).FindDuplicates(pb.FindDuplicatesRequest()).candidates[0]
    api.stub(api.ADMIN).MergeCustomers(pb.MergeCustomersRequest(survivor_id=pair.customer_id, merged_id=pair.other_customer_id))
    api.stub(api.ADMIN).MergeCustomers(pb.MergeCustomersRequest(survivor_id=pair.customer_id, merged_id=pair.other_customer_id))
    assert _value("peyvand_customer_merges_total") - merges == 1  # merging twice counts once
    after = gauges.refresh_parties_gauge(api.ctx.db)
    assert sum(after.values()) == 3  # the merged party is no longer active; the survivor holds all three roles
