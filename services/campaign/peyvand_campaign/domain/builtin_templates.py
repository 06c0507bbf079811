"""The built-in templates the journeys name (``<kind>.<window>.<channel>``), in Persian and English."""

from __future__ import annotations

from typing import Any

BUILT_IN: tuple[dict[str, Any], ...] = (
    {"name": "renewal.30.sms", "channel": "sms", "purpose": "service", "bodies": {
        "fa": "{customer_name} گرامی، بیمه‌نامه {policy_number} شما در {end_date} به پایان می‌رسد. "
              "حق بیمه تمدید: {premium}. کارشناس شما: {agent_name} {agent_phone}",
        "en": "Dear {customer_name}, your policy {policy_number} ends on {end_date}. Renewal premium: {premium}. "
              "Your agent: {agent_name} {agent_phone}"}},
    {"name": "renewal.15.email", "channel": "email", "purpose": "service",
     "subjects": {"fa": "یادآوری تمدید بیمه‌نامه {policy_number}", "en": "Renewal reminder for policy {policy_number}"},
     "bodies": {
        "fa": "{customer_name} گرامی،\n\nبیمه‌نامه {product_name} شما به شماره {policy_number} تا {days_left} روز دیگر "
              "({end_date}) به پایان می‌رسد. حق بیمه تمدید {premium} است.\n\nبرای تمدید با {agent_name} ({agent_phone}) تماس بگیرید.",
        "en": "Dear {customer_name},\n\nYour {product_name} policy {policy_number} ends in {days_left} days ({end_date}). "
              "The renewal premium is {premium}.\n\nTo renew, call {agent_name} ({agent_phone})."}},
    {"name": "renewal.1.sms", "channel": "sms", "purpose": "service", "bodies": {
        "fa": "{customer_name} گرامی، بیمه‌نامه {policy_number} فردا ({end_date}) منقضی می‌شود. همین امروز تمدید کنید: {agent_phone}",
        "en": "Dear {customer_name}, policy {policy_number} expires tomorrow ({end_date}). Renew today: {agent_phone}"}},
    {"name": "renewal.1.push", "channel": "push", "purpose": "service",
     "subjects": {"fa": "تمدید بیمه‌نامه", "en": "Policy renewal"},
     "bodies": {"fa": "بیمه‌نامه {policy_number} فردا منقضی می‌شود.", "en": "Policy {policy_number} expires tomorrow."}},
    {"name": "winback.3.sms", "channel": "sms", "purpose": "marketing", "bodies": {
        "fa": "{customer_name} گرامی، پوشش بیمه‌نامه {policy_number} شما قطع شده است. برای بازگشت با {agent_name} {agent_phone} تماس بگیرید. لغو۱۱",
        "en": "Dear {customer_name}, your policy {policy_number} has lapsed. Call {agent_name} {agent_phone} to restore cover. STOP to opt out"}},
    {"name": "winback.14.email", "channel": "email", "purpose": "marketing",
     "subjects": {"fa": "بازگشت به پوشش بیمه", "en": "Come back to your cover"},
     "bodies": {
        "fa": "{customer_name} گرامی،\n\nبیمه‌نامه {policy_number} شما تمدید نشد. {agent_name} ({agent_phone}) آماده کمک است.\n\nلغو اشتراک: {unsubscribe_url}",
        "en": "Dear {customer_name},\n\nYour policy {policy_number} was not renewed. {agent_name} ({agent_phone}) is ready to help.\n\nUnsubscribe: {unsubscribe_url}"}},
    {"name": "survey.0.sms", "channel": "sms", "purpose": "service", "bodies": {
        "fa": "{customer_name} گرامی، درخواست شما بررسی شد. لطفاً نظرتان را بگویید: {survey_url}",
        "en": "Dear {customer_name}, your request was resolved. Please rate us: {survey_url}"}},
)
