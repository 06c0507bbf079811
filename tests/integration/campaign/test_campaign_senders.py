"""The channel senders against the fake Kavenegar-style provider and a real SMTP server."""

from __future__ import annotations

import pytest
from peyvand_campaign.adapters.senders.base import OutgoingMessage, SendError
from peyvand_campaign.adapters.senders.kavenegar import KavenegarSmsSender
from peyvand_campaign.adapters.senders.smtp_email import SmtpEmailSender


def sms(delivery_id: str, to: str = "+989121234567") -> OutgoingMessage:
    return OutgoingMessage(delivery_id, "sms", "service", to, "بیمه‌نامه شما فردا منقضی می‌شود")


def test_sms_localid_makes_a_resend_return_the_first_message(sms_provider) -> None:  # type: ignore[no-untyped-def]
    sender = KavenegarSmsSender(sms_provider.base_url, sms_provider.api_key, "10008663", timeout_seconds=2)
    first = sender.send(sms("dlv_1"))
    again = sender.send(sms("dlv_1"))  # e.g. the sender crashed before recording "sent"
    assert again.provider_message_id == first.provider_message_id and again.duplicate
    assert [m.receptor for m in sms_provider.messages] == ["09121234567"]
    assert sender.statuses([first.provider_message_id]) in ({first.provider_message_id: 1}, {first.provider_message_id: 10})


def test_sms_errors_are_classified_permanent_or_transient(sms_provider) -> None:  # type: ignore[no-untyped-def]
    sender = KavenegarSmsSender(sms_provider.base_url, sms_provider.api_key, "10008663", timeout_seconds=2)
    with pytest.raises(SendError) as invalid:
        sender.send(sms("dlv_2", to="+98212345"))
    assert (invalid.value.code, invalid.value.permanent) == ("kavenegar_411", True)
    sms_provider.fail_next(503)
    with pytest.raises(SendError) as down:
        sender.send(sms("dlv_3"))
    assert (down.value.code, down.value.permanent) == ("kavenegar_503", False)
    sms_provider.credit = 0
    with pytest.raises(SendError) as broke:
        sender.send(sms("dlv_4"))
    assert (broke.value.code, broke.value.permanent) == ("kavenegar_418", False)
    bad_key = KavenegarSmsSender(sms_provider.base_url, "wrong", "10008663")
    with pytest.raises(SendError) as refused:
        bad_key.send(sms("dlv_5"))
    assert refused.value.permanent and sms_provider.messages == []
    unreachable = KavenegarSmsSender("http://127.0.0.1:1", "k", "1", timeout_seconds=0.5)
    with pytest.raises(SendError) as gone:
        unreachable.send(sms("dlv_6"))
    assert not gone.value.permanent


def test_marketing_email_carries_one_click_unsubscribe_headers(smtp_server) -> None:  # type: ignore[no-untyped-def]
    catcher, port = smtp_server
    sender = SmtpEmailSender("127.0.0.1", port, "Peyvand <no-reply@peyvand.example>", unsubscribe_mailto="unsubscribe@peyvand.example")
    sender.send(OutgoingMessage("dlv_7", "email", "marketing", "sara@example.ir", "متن پیام", "پیشنهاد ویژه",
                                unsubscribe_url="https://crm.example.ir/u/abc.def"))
    sender.send(OutgoingMessage("dlv_8", "email", "service", "sara@example.ir", "یادآوری", "تمدید"))
    marketing, service = catcher.messages
    assert marketing["List-Unsubscribe"].startswith("<https://crm.example.ir/u/abc.def>")
    assert marketing["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert marketing["Message-ID"] == "<dlv_7@peyvand>" and str(marketing["Subject"]) == "پیشنهاد ویژه"
    assert marketing.get_payload(decode=True).decode().strip() == "متن پیام"
    assert service["List-Unsubscribe"] is None
