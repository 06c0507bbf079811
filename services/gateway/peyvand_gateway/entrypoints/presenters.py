"""Backend messages → API dicts. Masking of identifiers happens here and only here."""

from __future__ import annotations

from typing import Any

from google.protobuf.json_format import MessageToDict

from peyvand_gateway.domain.masking import local_mobile, mask_contact, mask_name, mask_national_id, sees_full_identifiers

_PARTY_KIND = {0: "unspecified", 1: "person", 2: "organisation"}
_POLICY_STATUS = {0: "unspecified", 1: "active", 2: "renewed", 3: "lapsed", 4: "cancelled"}


def _plain(message: Any) -> dict[str, Any]:
    plain: dict[str, Any] = MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    return plain


def customer(message: Any, role: str) -> dict[str, Any]:
    """A customer as the API shows it to ``role`` (masked for roles that do not need it)."""
    data = _plain(message)
    data["kind"] = _PARTY_KIND.get(message.kind, "unspecified")
    data["version"] = int(message.version)
    full = sees_full_identifiers(role)
    points = []
    for point in data.get("contact_points", []):
        value = point.get("value", "")
        if point.get("kind") == "mobile" and value:
            value = local_mobile(value)
        if not full:
            value = mask_contact(point.get("kind", ""), value)
        points.append({**point, "value": value})
    data["contact_points"] = points
    if not full:
        data["national_id"] = mask_national_id(data.get("national_id", ""))
        data["legal_id"] = mask_national_id(data.get("legal_id", ""))
    return data


def customer_compact(message: Any, role: str) -> dict[str, Any]:
    full = customer(message, role)
    mobile = next((p["value"] for p in full["contact_points"] if p.get("kind") == "mobile" and p.get("primary")), "")
    mobile = mobile or next((p["value"] for p in full["contact_points"] if p.get("kind") == "mobile"), "")
    return {
        "customer_id": full["customer_id"],
        "display_name": full["display_name"],
        "mobile": mobile,
        "birth_date": full.get("birth_date", ""),
        "birth_date_jalali": full.get("birth_date_jalali", ""),
        "branch_code": full.get("branch_code", ""),
        "status": full.get("status", "active") or "active",
        "version": full["version"],
    }


def timeline_entry(message: Any) -> dict[str, Any]:
    return _plain(message)


def duplicate_warning(message: Any) -> dict[str, Any]:
    return _plain(message)


def duplicate_candidate(message: Any) -> dict[str, Any]:
    return _plain(message)


def policy(message: Any) -> dict[str, Any]:
    return {
        "policy_id": message.policy_id,
        "policy_number": message.policy_number,
        "product_code": message.product_code,
        "holder_id": message.holder_id,
        "insured_ids": list(message.insured_ids),
        "agent_id": message.agent_id,
        "branch_code": message.branch_code,
        "term_start": message.term_start,
        "term_end": message.term_end,
        "term_start_jalali": message.term_start_jalali,
        "term_end_jalali": message.term_end_jalali,
        "expires_at": message.expires_at,
        "premium": int(message.premium),
        "status": _POLICY_STATUS.get(message.status, "unspecified"),
        "renewal_quote_id": message.renewal_quote_id,
        "coverages": [_plain(c) for c in message.coverages],
        "version": int(message.version),
    }


def quote(message: Any) -> dict[str, Any]:
    return {
        "quote_id": message.quote_id,
        "product_code": message.product_code,
        "holder_id": message.holder_id,
        "term_start": message.term_start,
        "term_end": message.term_end,
        "premium_net": int(message.premium.net),
        "premium_vat": int(message.premium.vat),
        "premium_total": int(message.premium.total),
        "valid_until": message.valid_until,
        "status": message.status,
        "policy_id": message.policy_id,
        "version": int(message.version),
    }


def history_entry(message: Any) -> dict[str, Any]:
    return _plain(message)


# --- ticketing ----------------------------------------------------------------------------------


def _with_ints(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """MessageToDict renders int64 as strings (JSON mapping); the API shows numbers."""
    for name in names:
        if name in data:
            data[name] = int(data[name] or 0)
    return data


def ticket(message: Any) -> dict[str, Any]:
    data = _plain(message)
    data["attachments"] = [_with_ints(a, "size_bytes") for a in data.get("attachments", [])]
    return _with_ints(data, "version")


def reply(message: Any) -> dict[str, Any]:
    return _plain(message)


def activity_entry(message: Any) -> dict[str, Any]:
    import json

    data = _plain(message)
    try:
        details = json.loads(message.detail_json) if message.detail_json else {}
    except ValueError:
        details = {}
    data.pop("detail_json", None)
    data["details"] = details if isinstance(details, dict) else {}
    return data


def task(message: Any) -> dict[str, Any]:
    return _with_ints(_plain(message), "version")


def agenda_item(message: Any) -> dict[str, Any]:
    return _plain(message)


def queue(message: Any) -> dict[str, Any]:
    return _with_ints(_plain(message), "version")


def holiday(message: Any) -> dict[str, Any]:
    return _plain(message)


def sla_count(message: Any) -> dict[str, Any]:
    return _with_ints(_plain(message), "open_tickets")


# --- campaign -----------------------------------------------------------------------------------


def segment(message: Any) -> dict[str, Any]:
    return _plain(message)


def segment_member(message: Any, role: str) -> dict[str, Any]:
    """A sample member of a segment: names masked for roles that work with samples (marketing)."""
    data = _plain(message)
    if not sees_full_identifiers(role):
        data["display_name"] = mask_name(data.get("display_name", ""))
    return data


def template(message: Any) -> dict[str, Any]:
    return _plain(message)


def campaign(message: Any) -> dict[str, Any]:
    return _with_ints(_plain(message), "version")


def campaign_results(message: Any) -> dict[str, Any]:
    data = _with_ints(
        MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True),
        "sent", "delivered", "failed", "opted_out", "converted", "customers_messaged", "skipped", "queued",
    )
    data["conversion_rate"] = message.conversion_rate if message.HasField("conversion_rate") else None
    return data


def delivery(message: Any) -> dict[str, Any]:
    return _plain(message)


def journey(message: Any) -> dict[str, Any]:
    data = _plain(message)
    data["deliveries"] = [delivery(d) for d in message.deliveries]
    return data


def template_preview(message: Any) -> dict[str, Any]:
    return _plain(message)
