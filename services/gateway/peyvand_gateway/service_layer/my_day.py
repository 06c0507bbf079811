"""The agent's day: renewals due this week (policy), birthdays in the book (customer), and
tasks due or overdue plus tickets waiting on the agent (ticketing's MyDay agenda).

Every part runs in parallel within the composition deadline; a missing one is named in
``degraded`` (``tasks`` and ``tickets`` together when ticketing does not answer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from peyvand.common.v1 import paging_pb2
from peyvand.customer.v1 import customer_pb2
from peyvand.policy.v1 import policy_pb2
from peyvand.ticketing.v1 import ticketing_pb2

from peyvand_gateway.adapters.backends import Backends
from peyvand_gateway.service_layer.composition import Composed, Part, compose

WINDOW_DAYS = 7
BOOK_SCAN_LIMIT = 500


def has_birthday_within(birth_date: str, today: dt.date, days: int) -> bool:
    try:
        born = dt.date.fromisoformat(birth_date)
    except ValueError:
        return False
    for offset in range(days + 1):
        day = today + dt.timedelta(days=offset)
        if (born.month, born.day) == (day.month, day.day) or (born.month, born.day, day.month, day.day) == (2, 29, 2, 28):
            return True
    return False


def my_day(
    backends: Backends,
    agent_id: str,
    today: dt.date,
    deadline_seconds: float,
    present_policy: Callable[[Any], Any],
    present_customer: Callable[[Any], Any],
    present_agenda_item: Callable[[Any], Any] = lambda i: i,
) -> Composed:
    customer_stub = backends.customer.stub
    parts = [
        Part(
            "birthdays",
            "customer",
            # One page of the book; a book bigger than this is rare for one agent.
            lambda t: customer_stub.ListCustomers.future(
                customer_pb2.ListCustomersRequest(agent_id=agent_id, page=paging_pb2.PageRequest(page_size=BOOK_SCAN_LIMIT)), timeout=t
            ),
            lambda r: [present_customer(c) for c in r.customers if has_birthday_within(c.birth_date, today, WINDOW_DAYS)],
        )
    ]
    if backends.policy is not None:
        policy_stub = backends.policy.stub
        parts.append(
            Part(
                "renewals_due",
                "policy",
                lambda t: policy_stub.ListPolicies.future(
                    policy_pb2.ListPoliciesRequest(
                        agent_id=agent_id,
                        status=policy_pb2.ACTIVE,
                        term_end_from=today.isoformat(),
                        term_end_to=(today + dt.timedelta(days=WINDOW_DAYS)).isoformat(),
                        page=paging_pb2.PageRequest(page_size=200),
                    ),
                    timeout=t,
                ),
                lambda r: [present_policy(p) for p in r.policies],
            )
        )
    if backends.ticketing is not None:
        ticketing_stub = backends.ticketing.stub
        parts.append(
            Part(
                "agenda",
                "ticketing",
                lambda t: ticketing_stub.MyDay.future(ticketing_pb2.MyDayRequest(agent_id=agent_id, day=today.isoformat()), timeout=t),
                lambda r: list(r.items),
            )
        )
    answer = compose(parts, deadline_seconds)
    split_agenda(answer, present_agenda_item)
    return answer


def split_agenda(answer: Composed, present: Callable[[Any], Any]) -> None:
    """The agenda (overdue first, then today's) as ``tasks`` and ``tickets``."""
    if "agenda" in answer.degraded:
        answer.degraded = [n for n in answer.degraded if n != "agenda"] + ["tasks", "tickets"]
    items = answer.values.pop("agenda", None)
    if items is not None:
        answer.values["tasks"] = [present(i) for i in items if i.kind == "task"]
        answer.values["tickets"] = [present(i) for i in items if i.kind == "ticket"]
