"""The scale data generator (`python -m bench.datagen`): right counts, real documents, resumable."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from bench import datagen


def _counts(client: MongoClient[dict[str, Any]], suffix: str) -> dict[str, int]:
    return {
        "customers": client[f"peyvand_customer{suffix}"]["parties"].count_documents({}),
        "policies": client[f"peyvand_policy{suffix}"]["policies"].count_documents({}),
        "tickets": client[f"peyvand_ticketing{suffix}"]["tickets"].count_documents({}),
        "agents": client[f"peyvand_gateway{suffix}"]["agents"].count_documents({}),
    }


def test_datagen_fills_every_service_and_a_rerun_after_a_crash_adds_nothing(infra: Any, tmp_path: Path, capsys: Any) -> None:
    suffix = f"_dg{uuid.uuid4().hex[:6]}"
    state = tmp_path / "state.json"
    args = ["--mongo-uri", infra.mongo_uri, "--db-suffix", suffix, "--customers", "150", "--policies", "300", "--tickets", "20", "--state", str(state)]

    assert datagen.main(args) == 0
    client: MongoClient[dict[str, Any]] = MongoClient(infra.mongo_uri)
    try:
        assert _counts(client, suffix) == {"customers": 150, "policies": 300, "tickets": 20, "agents": len(datagen.AGENTS)}
        policy = client[f"peyvand_policy{suffix}"]["policies"].find_one({})
        holder = client[f"peyvand_customer{suffix}"]["parties"].find_one({"_id": policy["holder_id"]})
        assert holder is not None and policy["premium"] > 0 and policy["status"] == "active"
        ticket = client[f"peyvand_ticketing{suffix}"]["tickets"].find_one({})
        assert client[f"peyvand_customer{suffix}"]["parties"].find_one({"_id": ticket["customer_id"]}) is not None
        numbers = client[f"peyvand_policy{suffix}"]["policies"].distinct("policy_number")
        assert len(numbers) == 300

        # A crash right after pages were written but before the state file said so: the next
        # run redoes those pages and must not double anything.
        saved = json.loads(state.read_text())
        saved["done"].update(customers=100, policies=120, tickets=5)
        state.write_text(json.dumps(saved))
        assert datagen.main(args) == 0
        assert _counts(client, suffix) == {"customers": 150, "policies": 300, "tickets": 20, "agents": len(datagen.AGENTS)}
    finally:
        client.close()
    out = capsys.readouterr().out
    assert "customers: 150/150" in out or "customers:" in out
    assert "datagen: done" in out


def test_datagen_refuses_a_state_file_of_other_sizes(infra: Any, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"params": {"customers": 1}, "done": {}}))
    try:
        datagen.main(["--mongo-uri", infra.mongo_uri, "--customers", "10", "--policies", "10", "--tickets", "1", "--state", str(state)])
    except SystemExit as exc:
        assert "was written for" in str(exc)
    else:
        raise AssertionError("a state file of other sizes was accepted")


def test_a_crash_in_the_middle_of_the_policies_never_leaves_the_state_ahead_of_the_store(infra: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """The state file is what a re-run trusts: if it said more than was stored, the re-run would
    skip customers and leave them without policies (seen once at 2M: 1,000 customers)."""
    from peyvand_policy.adapters import bulk

    suffix = f"_dc{uuid.uuid4().hex[:6]}"
    state = tmp_path / "state.json"
    args = ["--mongo-uri", infra.mongo_uri, "--db-suffix", suffix, "--customers", "120", "--policies", "240", "--tickets", "10", "--state", str(state)]
    monkeypatch.setattr(bulk, "PAGE", 30)  # 15 customers a page
    real_insert, calls = bulk._insert, {"policies": 0}

    def failing_insert(collection: Any, page: list[dict[str, Any]]) -> int:
        if collection.name == "policies":
            calls["policies"] += 1
            if calls["policies"] == 4:
                raise ConnectionError("store went away")
        return real_insert(collection, page)

    monkeypatch.setattr(bulk, "_insert", failing_insert)
    client: MongoClient[dict[str, Any]] = MongoClient(infra.mongo_uri)
    try:
        try:
            datagen.main(args)
        except ConnectionError:
            pass
        else:
            raise AssertionError("the injected store failure did not stop the run")
        recorded = json.loads(state.read_text())["done"]["policies"]
        stored = _counts(client, suffix)["policies"]
        assert 0 < recorded <= stored == 90  # three pages written; the state says no more than that

        monkeypatch.setattr(bulk, "_insert", real_insert)
        assert datagen.main(args) == 0
        assert _counts(client, suffix) == {"customers": 120, "policies": 240, "tickets": 10, "agents": len(datagen.AGENTS)}
        holders = set(client[f"peyvand_policy{suffix}"]["policies"].distinct("holder_id"))
        assert len(holders) == 120  # every customer has policies: none skipped at the crash
    finally:
        client.close()
