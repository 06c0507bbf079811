"""Email over SMTP (stdlib smtplib), with RFC 8058 one-click unsubscribe headers on marketing mail.

SMTP has no client-side dedup: ``Message-ID`` is derived from the delivery id so receiving
systems (and our own logs) can recognise a repeat, but a crash between the server's 250 and
our "sent" write can deliver an email twice (at-least-once, unlike SMS).
"""

from __future__ import annotations

import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from peyvand_campaign.adapters.senders.base import OutgoingMessage, SendError, SendReceipt


class SmtpEmailSender:
    provider = "smtp"
    channel = "email"

    def __init__(self, host: str, port: int, sender: str, *, user: str = "", password: str = "", starttls: bool = False,
                 timeout_seconds: float = 10.0, unsubscribe_mailto: str = "") -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls
        self.timeout = timeout_seconds
        self.unsubscribe_mailto = unsubscribe_mailto

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message.delivery_id}@peyvand>"
        email["X-Peyvand-Delivery"] = message.delivery_id
        if message.purpose == "marketing" and message.unsubscribe_url:
            links = [f"<{message.unsubscribe_url}>"]
            if self.unsubscribe_mailto:
                links.append(f"<mailto:{self.unsubscribe_mailto}?subject=unsubscribe-{message.delivery_id}>")
            email["List-Unsubscribe"] = ", ".join(links)
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(message.body)
        return email

    def send(self, message: OutgoingMessage) -> SendReceipt:
        email = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused:
            raise SendError("smtp_recipient_refused", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"smtp_{exc.smtp_code}", permanent=500 <= exc.smtp_code < 600) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise SendError(f"smtp_{type(exc).__name__}", permanent=False) from None
        if refused:
            raise SendError("smtp_recipient_refused", permanent=True)
        return SendReceipt(email["Message-ID"].strip("<>"))

    def close(self) -> None:
        pass


def display_address(name: str, address: str) -> str:
    local, _, domain = address.partition("@")
    return str(Address(name, local, domain))
