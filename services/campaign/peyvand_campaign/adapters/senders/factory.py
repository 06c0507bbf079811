"""Builds the channel senders from settings (one place, so jobs and tools agree)."""

from __future__ import annotations

from peyvand_campaign.adapters.senders.base import Sender
from peyvand_campaign.adapters.senders.kavenegar import KavenegarSmsSender
from peyvand_campaign.adapters.senders.push import HttpPushSender, NullPushSender
from peyvand_campaign.adapters.senders.smtp_email import SmtpEmailSender
from peyvand_campaign.settings import CampaignSettings


def build_senders(settings: CampaignSettings) -> dict[str, Sender]:
    push: Sender = (HttpPushSender(settings.push_base_url, settings.push_project, settings.push_token)
                    if settings.push_base_url else NullPushSender())
    return {
        "sms": KavenegarSmsSender(settings.sms_base_url, settings.sms_api_key, settings.sms_sender_line, settings.sms_timeout_seconds),
        "email": SmtpEmailSender(settings.smtp_host, settings.smtp_port, settings.email_from, user=settings.smtp_user,
                                 password=settings.smtp_password, starttls=settings.smtp_starttls,
                                 timeout_seconds=settings.smtp_timeout_seconds, unsubscribe_mailto=settings.unsubscribe_mailto),
        "push": push,
    }
