"""The SLA sweep run by hand (``jobs_main sla-sweep --now``): warning then breach, each announced exactly
once however often it runs, with escalation; and holidays moving due times."""

from __future__ import annotations

import json
import subprocess
import sys

import grpc
import pytest
from peyvand.ticketing.v1 import ticketing_pb2 as pb
from peyvand_runtime.envelope import iso_utc
from peyvand_runtime.ids import new_id

from .conftest import ADMIN, SATURDAY, STAFF, tehran


def _sweep(isolated, at) -> dict:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        [sys.executable, "-m", "peyvand_ticketing.entrypoints.jobs_main", "sla-sweep", "--now", iso_utc(at)],
        env=isolated.env(HOLIDAY_SEED_YEARS="none"), capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_warning_then_breach_once_each_then_escalation(server, isolated) -> None:  # type: ignore[no-untyped-def]
    customer = server.customer(new_id("cus"))
    staff = server.client(STAFF)
    server.clock.now = tehran(SATURDAY, 9)
    # incident high/high = P1: first response 30 business minutes, resolution 4 business hours.
    ticket = staff.OpenTicket(pb.OpenTicketRequest(type="incident", category="portal_login", channel="web", customer_id=customer,
                                                   subject="درگاه پرداخت حق بیمه از دسترس خارج است", impact="high", urgency="high")).ticket
    calm = staff.OpenTicket(pb.OpenTicketRequest(type="service_request", category="certificate", channel="web", customer_id=customer,
                                                 subject="گواهی عدم خسارت", impact="low", urgency="low")).ticket
    assert ticket.priority == "P1" and ticket.first_response_due.tehran_time == "09:30"

    assert _sweep(isolated, tehran(SATURDAY, 9, 10))["evaluated"] == 0  # nothing due: not even looked at
    first = _sweep(isolated, tehran(SATURDAY, 9, 25))  # 25 of 30 minutes: past the 80 % warning
    assert (first["warnings"], first["breaches"]) == (1, 0)
    again = _sweep(isolated, tehran(SATURDAY, 9, 26))
    assert again["evaluated"] == 0 and again["warnings"] == 0
    breach = _sweep(isolated, tehran(SATURDAY, 9, 45))
    assert (breach["warnings"], breach["breaches"], breach["escalations"]) == (0, 1, 1)
    for minute in (46, 50):
        repeat = _sweep(isolated, tehran(SATURDAY, 9, minute))
        assert (repeat["warnings"], repeat["breaches"], repeat["escalations"]) == (0, 0, 0)
    # Resolution: warning at 80 % of 4 h (12:12), breach after 13:00, branch manager 4 h after the first breach.
    late = _sweep(isolated, tehran(SATURDAY, 15))
    assert late["breaches"] == 1 and late["warnings"] == 0  # resolution breach (its warning folded into it)

    types = server.outbox_types("tickets", ticket.ticket_id)
    assert types.count("ticket.sla_warning") == 1
    assert types.count("ticket.sla_breached") == 2  # first response, resolution
    assert types.count("ticket.escalated") == 2  # queue lead at the breach, branch manager later
    assert server.outbox_types("tickets", calm.ticket_id) == ["ticket.opened"]
    server.clock.now = tehran(SATURDAY, 15)
    shown = staff.GetTicket(pb.GetTicketRequest(ticket_id=ticket.ticket_id)).ticket
    assert shown.sla_state == "breached" and shown.escalation_level == 2
    listed = staff.ListTickets(pb.ListTicketsRequest(sla_state="breached")).tickets
    assert [t.ticket_id for t in listed] == [ticket.ticket_id]
    counts = {(c.queue_id, c.sla_state): c.open_tickets for c in server.client(ADMIN).QueueSlaSummary(pb.QueueSlaSummaryRequest()).counts}
    assert counts == {("", "breached"): 1, ("", "ok"): 1}


def test_holidays_move_due_times_and_only_admins_edit_them(server, errors) -> None:  # type: ignore[no-untyped-def]
    customer = server.customer(new_id("cus"))
    staff, admin = server.client(STAFF), server.client(ADMIN)

    def resolution_due() -> pb.Moment:
        server.clock.now = tehran(SATURDAY, 15, 30)
        return staff.OpenTicket(pb.OpenTicketRequest(type="incident", category="outage", channel="phone", customer_id=customer,
                                                     subject="قطعی سامانه صدور", impact="high", urgency="high")).ticket.resolution_due

    # 30 minutes on Saturday, then 3.5 h from Sunday's opening.
    assert (resolution_due().jalali_date, resolution_due().tehran_time) == ("1405/09/01", "11:30")
    sunday = SATURDAY.isoformat()[:-2] + "22"
    with pytest.raises(grpc.RpcError) as denied:
        staff.SetHoliday(pb.SetHolidayRequest(date=sunday, name="تعطیلی"))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as bad:
        admin.SetHoliday(pb.SetHolidayRequest(date_jalali="1405/13/01", name="تعطیلی"))
    assert [v.field for v in errors(bad.value).violations] == ["date_jalali"]
    admin.SetHoliday(pb.SetHolidayRequest(date_jalali="1405/09/01", name="تعطیلی اضطراری (آلودگی هوا)"))
    assert [h.date for h in admin.ListHolidays(pb.ListHolidaysRequest(year=2026)).holidays] == [sunday]
    assert (resolution_due().jalali_date, resolution_due().tehran_time) == ("1405/09/02", "11:30")
    assert admin.RemoveHoliday(pb.RemoveHolidayRequest(date=sunday)).removed
    assert resolution_due().jalali_date == "1405/09/01"


def test_holiday_seed_is_idempotent_and_respects_admin_removals(ticketing_db) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from peyvand_ticketing.adapters import calendar_repo

    added = calendar_repo.seed(ticketing_db, [2026])
    assert added > 10 and calendar_repo.seed(ticketing_db, [2026]) == 0
    nowruz = dt.date(2026, 3, 21)
    assert calendar_repo.load_calendar(ticketing_db).is_business_day(nowruz) is False
    calendar_repo.remove_holiday(ticketing_db, nowruz)
    ticketing_db["ticketing_meta"].delete_many({"_id": "holidays_seeded:2026"})  # even a forced re-seed keeps the removal
    calendar_repo.seed(ticketing_db, [2026])
    assert calendar_repo.load_calendar(ticketing_db).is_business_day(nowruz) is True
