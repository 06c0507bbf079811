"""CSV import through the CLI (report of rejected rows) and the streaming gRPC import."""

from __future__ import annotations

import csv
import subprocess
import sys

from peyvand.customer.v1 import customer_pb2 as pb

HEADER = ["شماره مشتری", "نام", "نام خانوادگی", "کد ملی", "تاریخ تولد", "موبایل", "کد پستی", "نشانی", "نوع"]


def _write(path, rows) -> None:  # type: ignore[no-untyped-def]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)


def test_cli_import_reports_bad_rows_with_line_numbers_and_counts(api, isolated) -> None:  # type: ignore[no-untyped-def]
    nid1, nid2 = api.national_id("111222333"), api.national_id("222333444")
    existing = api.create(first_name="پیشین", last_name="مشتری", national_id=api.national_id("333444555"), contact_points=[]).customer
    rows = [
        ["C1", "علي", "رضايي", nid1, "1364/01/01", "۰۹۱۲۱۱۱۲۲۳۳", "", "", "حقیقی"],  # line 2 ok
        ["C2", "مریم", "کریمی", "1234567890", "1370/05/12", "09121112234", "", "", ""],  # line 3 bad national id
        ["C3", "سعید", "", nid2, "", "0812345", "", "", ""],  # line 4 no last name, bad mobile
        ["C4", "نگار", "نوری", api.national_id("333444555"), "", "", "", "", ""],  # line 5 national id exists
        ["C5", "نگار", "نوری", nid1, "", "", "", "", ""],  # line 6 national id repeated in file
        ["C6", "علی", "رضایی", "", "1985-03-21", "", "1346791234", "خیابان آزادی", ""],  # line 7 soft duplicate of line 2
        ["C7", "رضا", "صادقی", "", "", "", "0000000000", "خیابان انقلاب", ""],  # line 8 bad postal code
    ]
    source, report = isolated.tmp / "in.csv", isolated.tmp / "rejected.csv"
    _write(source, rows)
    done = subprocess.run(
        [sys.executable, "-m", "peyvand_customer.entrypoints.cli", "import", str(source), "--report", str(report), "--progress-every", "1", "--batch", "3"],
        env=isolated.env(), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "created=2" in done.stderr and "rejected=5" in done.stderr and "rows/s" in done.stderr
    assert nid1 not in done.stderr and "0912" not in done.stderr  # no personal data in the log
    with open(report, encoding="utf-8") as handle:
        rejected = {int(r["line_number"]): r["reasons"] for r in csv.DictReader(handle)}
    assert sorted(rejected) == [3, 4, 5, 6, 8]
    assert rejected[3].startswith("national_id:")
    assert "last_name" in rejected[4] and "mobile" in rejected[4]
    assert "already exists" in rejected[5] and "already exists" in rejected[6]
    assert rejected[8].startswith("postal_code:")
    stub = api.stub(api.ADMIN)
    hits = stub.SearchCustomers(pb.SearchCustomersRequest(query="رضایی")).hits
    assert sorted(h.customer.customer_number for h in hits) == ["C1", "C6"]
    flagged = next(h.customer for h in hits if h.customer.customer_number == "C6")
    assert "possible_duplicate" in flagged.tags
    assert existing.customer_id not in {h.customer.customer_id for h in hits}
    doc = api.ctx.db["parties"].find_one({"customer_number": "C1"})
    assert doc["outbox_pending"] == 1 and '"customer.created"' in doc["outbox"][0] and doc["version"] == 1


def test_streaming_grpc_import(api) -> None:  # type: ignore[no-untyped-def]
    rows = [
        pb.ImportCustomersRequest(row={"first_name": "هومن", "last_name": "جعفری", "mobile": "09131234567"}, line_number=2),
        pb.ImportCustomersRequest(row={"first_name": "هومن", "last_name": "", "mobile": "0913"}, line_number=3),
    ]
    answer = api.stub(api.STAFF_1201).ImportCustomers(iter(rows))
    assert (answer.rows_read, answer.rows_created, answer.rows_rejected) == (2, 1, 1)
    assert answer.rejected[0].line_number == 3
    created = api.stub(api.STAFF_1201).SearchCustomers(pb.SearchCustomersRequest(query="09131234567")).hits[0].customer
    assert created.branch_code == "1201"  # staff import lands in their branch


def test_initial_load_builds_search_indexes_after_the_rows(api) -> None:  # type: ignore[no-untyped-def]
    from peyvand_customer.adapters.schema import DEFERRABLE, PARTIES
    from peyvand_customer.demo.generator import generate_parties
    from peyvand_customer.service_layer import imports

    rows = list(generate_parties(300, seed=5, agents=["agt_A"], branches=["1201"]))
    rows[10]["national_id"] = "1234567890"  # bad check digit
    rows[20]["mobile"] = "0812"
    numbered = [(i + 2, r) for i, r in enumerate(rows)]
    report = imports.import_rows(api.ctx, api.ADMIN, numbered[:200], batch_size=50, initial_load=True)
    assert report.index_seconds is not None  # the book was empty: indexes were built afterwards
    indexed = {tuple(info["key"])[0][0] for info in api.ctx.db[PARTIES].index_information().values()}
    assert set(DEFERRABLE) <= indexed
    assert [r.line_number for r in report.rejected] == [12, 22]
    assert report.rejected[0].reasons[0].startswith("national_id:") and report.rejected[1].reasons[0].startswith("mobile:")
    assert report.rows_created == 198
    again = imports.import_rows(api.ctx, api.ADMIN, numbered[200:], batch_size=50, initial_load=True)
    assert again.index_seconds is None  # not empty any more: the flag changes nothing
    assert again.rows_created + again.rows_rejected == 100
    wanted = rows[250]
    query = wanted["last_name"] or wanted["org_name"]
    hits = api.stub(api.ADMIN).SearchCustomers(pb.SearchCustomersRequest(query=query, page={"page_size": 100})).hits
    assert hits, "the search indexes answer after the load"
