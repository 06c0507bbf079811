"""``seed_demo`` opens realistic tickets (some warned, some breached) and is idempotent."""

from __future__ import annotations

from peyvand_runtime.ids import new_id
from peyvand_ticketing.demo import seed_demo

from .conftest import SATURDAY, tehran


def test_seed_demo_is_idempotent_and_has_breaches(ticketing_db) -> None:  # type: ignore[no-untyped-def]
    customers = [{"customer_id": new_id("cus"), "agent_id": "agt_1", "branch_code": "1201", "display_name": "علی رضایی"},
                 {"customer_id": new_id("cus"), "agent_id": "agt_2", "branch_code": "1202", "display_name": "مریم کریمی"}]
    now = tehran(SATURDAY + __import__("datetime").timedelta(days=3), 11)  # a Tuesday morning
    seed_demo(ticketing_db, customers, now, 12)
    seed_demo(ticketing_db, customers, now, 12)
    tickets = list(ticketing_db["tickets"].find({}, {"sla_state": 1, "subject": 1, "assignee_id": 1}))
    assert len(tickets) == 12
    states = {t["sla_state"] for t in tickets}
    assert "breached" in states and "ok" in states
    assert all(t["assignee_id"] for t in tickets)
    assert ticketing_db["tasks"].count_documents({"kind": "call_back"}) >= 1  # the missed-call scenario
