"""The cheaper write paths keep their guarantees: ticket numbers reserved in blocks stay unique,
the first activity entries embedded in the ticket page with the rest, and a sweep writing pages
from several threads announces every warning and breach once."""

from __future__ import annotations

import datetime as dt

from peyvand.ticketing.v1 import ticketing_pb2 as pb
from peyvand_ticketing.adapters.numbering import TicketNumbers
from peyvand_ticketing.service_layer import sla_sweep

from .conftest import SATURDAY, STAFF, tehran


def test_number_blocks_are_unique_across_processes(ticketing_db) -> None:  # type: ignore[no-untyped-def]
    now = tehran(SATURDAY, 9)
    a, b = TicketNumbers(ticketing_db, block=5), TicketNumbers(ticketing_db, block=5)  # two processes
    numbers = [a.next(now), b.next(now), a.next(now)] + [b.next(now) for _ in range(6)]
    assert len(set(numbers)) == len(numbers)
    assert numbers[0] == "T-1405-000001" and numbers[1] == "T-1405-000006" and numbers[2] == "T-1405-000002"


def test_activity_pages_across_embedded_head_and_collection(server) -> None:  # type: ignore[no-untyped-def]
    from peyvand_runtime.ids import new_id

    customer = server.customer(new_id("cus"))
    staff = server.client(STAFF)
    ticket = staff.OpenTicket(pb.OpenTicketRequest(type="service_request", category="certificate", channel="web",
                                                   customer_id=customer, subject="گواهی")).ticket
    for body in ("یک", "دو"):
        staff.AddNote(pb.AddNoteRequest(ticket_id=ticket.ticket_id, body=body))
    first = staff.GetTicketActivity(pb.GetTicketActivityRequest(ticket_id=ticket.ticket_id, page={"page_size": 1}))
    assert [e.action for e in first.entries] == ["opened"] and first.page.next_page_token
    rest = staff.GetTicketActivity(pb.GetTicketActivityRequest(ticket_id=ticket.ticket_id, page={"page_token": first.page.next_page_token}))
    assert [e.action for e in rest.entries] == ["noted", "noted"]
    assert server.ctx.db["ticket_activity"].count_documents({"ticket_id": ticket.ticket_id}) == 2  # the first entry rode in the insert


def test_threaded_sweep_announces_each_finding_once(server) -> None:  # type: ignore[no-untyped-def]
    from peyvand_runtime.ids import new_id

    customer = server.customer(new_id("cus"))
    staff = server.client(STAFF)
    server.clock.now = tehran(SATURDAY, 9)
    ids = [staff.OpenTicket(pb.OpenTicketRequest(type="incident", category="portal_login", channel="web", customer_id=customer,
                                                 subject=f"قطعی {i}", impact="high", urgency="high")).ticket.ticket_id for i in range(7)]
    warn = sla_sweep.sweep(server.ctx, tehran(SATURDAY, 9, 25), page_size=2, threads=3)
    assert (warn.evaluated, warn.saved, warn.warnings, warn.breaches) == (7, 7, 7, 0)
    assert sla_sweep.sweep(server.ctx, tehran(SATURDAY, 9, 26), page_size=2, threads=3).evaluated == 0
    breach = sla_sweep.sweep(server.ctx, tehran(SATURDAY, 9, 45), page_size=2, threads=3)
    assert (breach.warnings, breach.breaches, breach.escalations) == (0, 7, 7)
    for ticket_id in ids:
        types = server.outbox_types("tickets", ticket_id)
        assert types.count("ticket.sla_warning") == 1 and types.count("ticket.sla_breached") == 1
        doc = server.ctx.db["tickets"].find_one({"_id": ticket_id})
        assert isinstance(doc["created_at"], dt.datetime)  # untouched instants are not rewritten by the sweep
