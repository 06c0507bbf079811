"""GetCustomer's read by id: concurrent reads share one ``_id $in`` find, and each caller still
gets its own document, without the fields its projection leaves out, read after it asked."""

from __future__ import annotations

import threading
import time
from typing import Any

from peyvand.customer.v1 import customer_pb2 as pb
from peyvand_customer.adapters.parties import READ


def _party(i: int) -> dict[str, Any]:
    return {"_id": f"cus_{i:06d}", "status": "active", "agent_id": "agt_A", "branch_code": "1201", "first_name": f"n{i}",
            "version": 1, "outbox": [{"id": "evt"}], "outbox_pending": 1, "official_id_key": f"nid:{i}", "k0": f"n:n{i}"}


class _SlowFinds:
    """The real collection, each find held 30 ms: readers arriving meanwhile must queue."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection
        self.finds = 0

    def find(self, query: dict[str, Any]) -> Any:
        self.finds += 1
        time.sleep(0.03)
        return self.collection.find(query)


def test_concurrent_reads_share_finds_and_each_caller_gets_its_own_copy(api) -> None:  # type: ignore[no-untyped-def]
    parties = api.ctx.parties
    parties.col.insert_many([_party(i) for i in range(40)])
    slow = _SlowFinds(parties.col)
    parties._by_id.collection = slow
    wanted = [f"cus_{i % 20:06d}" for i in range(120)]  # every id asked for by several threads at once
    answers: dict[int, dict[str, Any] | None] = {}
    start = threading.Barrier(8)

    def reader(offset: int) -> None:
        start.wait()
        for n in range(offset, len(wanted), 8):
            answers[n] = parties.get_doc(wanted[n], READ)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(answers) == len(wanted)
    for n, doc in answers.items():
        assert doc is not None and doc["_id"] == wanted[n] and doc["first_name"] == f"n{int(wanted[n][4:])}"
        assert not {"outbox", "outbox_pending", "official_id_key", "k0"} & set(doc)  # READ leaves them out
    # Threads asking for the same id in one batch get distinct dicts: one caller's change is not another's.
    same = [doc for n, doc in answers.items() if wanted[n] == "cus_000003"]
    assert len({id(d) for d in same}) == len(same)
    # 8 readers, each waiting for its answer before asking again: after the first find, the
    # other readers' requests wait together and go as one.
    assert slow.finds <= len(wanted) // 4
    assert parties._by_id.commit.largest_batch >= 4


def test_a_read_sees_a_write_made_before_it(api) -> None:  # type: ignore[no-untyped-def]
    parties = api.ctx.parties
    parties.col.insert_one(_party(1))
    assert parties.get_doc("cus_000001", READ)["first_name"] == "n1"
    parties.col.update_one({"_id": "cus_000001"}, {"$set": {"first_name": "changed"}})
    assert parties.get_doc("cus_000001", READ)["first_name"] == "changed"  # nothing is cached between reads
    assert parties.get_doc("cus_999999", READ) is None


def test_get_customer_answers_through_the_shared_read(api) -> None:  # type: ignore[no-untyped-def]
    parties = api.ctx.parties
    parties.col.insert_one(_party(7))
    before = parties._by_id.commit.batches
    answer = api.stub().GetCustomer(pb.GetCustomerRequest(customer_id="cus_000007"), timeout=10)
    assert answer.customer.customer_id == "cus_000007"
    assert parties._by_id.commit.batches == before + 1
