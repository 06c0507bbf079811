"""Party aggregate ⇄ stored document (the whole aggregate in one document, saved with its outbox)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from peyvand_runtime.tehran_time import as_utc

from peyvand_customer.domain.lookup import full_name_key, slot_fields
from peyvand_customer.domain.party import Party
from peyvand_customer.domain.persian import search_tokens
from peyvand_customer.domain.values import Consent, ContactPoint, Relationship


def official_id_key(index_key: bytes, party_id: str, national_id: str, legal_id: str) -> str:
    """The unique blind-index key: HMAC of the national (or legal) id, or the party id when it has none.

    The value itself stays in the document (staff read it); the index, duplicate-candidate
    records and any key that travels never hold it.
    """
    if national_id:
        return "nid:" + blind(index_key, "nid", national_id)
    if legal_id:
        return "lid:" + blind(index_key, "lid", legal_id)
    return "none:" + party_id


def blind(index_key: bytes, kind: str, value: str) -> str:
    return hmac.new(index_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def stamp(instant: dt.datetime | None) -> str:
    """``2026-11-22T10:00:00.123Z``: sorts as text in time order (always UTC, milliseconds)."""
    if instant is None:
        return ""
    return as_utc(instant).strftime("%Y-%m-%dT%H:%M:%S.") + f"{as_utc(instant).microsecond // 1000:03d}Z"


def parse_stamp(value: Any) -> dt.datetime | None:
    if not value:
        return None
    if isinstance(value, dt.datetime):
        return as_utc(value)
    return as_utc(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def _consent_dict(c: Consent) -> dict[str, Any]:
    return c.to_dict()


def _consent(d: dict[str, Any]) -> Consent:
    return Consent(d["channel"], d["purpose"], bool(d["granted"]), d.get("source", ""), dt.datetime.fromisoformat(d["at"].replace("Z", "+00:00")))


def _point_dict(p: ContactPoint) -> dict[str, Any]:
    return {"kind": p.kind, "value": p.value, "primary": p.primary, "verified": p.verified, "province": p.province, "city": p.city, "postal_code": p.postal_code}


def to_fields(party: Party, index_key: bytes) -> dict[str, Any]:
    """Everything stored for ``party`` except ``_id``/``version``/outbox (``outbox.save`` adds those)."""
    mobiles = [p.value for p in party.contact_points if p.kind == "mobile"]
    emails = [p.value for p in party.contact_points if p.kind == "email"]
    fields: dict[str, Any] = {
        "kind": party.kind,
        "customer_number": party.customer_number,
        "display_name": party.display_name,
        "first_name": party.first_name,
        "last_name": party.last_name,
        "father_name": party.father_name,
        "national_id": party.national_id,
        "birth_date": party.birth_date.isoformat() if party.birth_date else "",
        "gender": party.gender,
        "org_name": party.org_name,
        "legal_id": party.legal_id,
        "economic_code": party.economic_code,
        "roles": sorted(party.roles),
        "preferred_channel": party.preferred_channel,
        "language": party.language,
        "agent_id": party.agent_id,
        "branch_code": party.branch_code,
        "tags": list(party.tags),
        "contact_points": [_point_dict(p) for p in party.contact_points],
        "consents": [_consent_dict(party.consents[k]) for k in sorted(party.consents)],
        "consent_history": [_consent_dict(c) for c in party.consent_history],
        "relationships": [r.to_dict() for r in party.relationships],
        "household_id": party.household_id,
        "status": party.status,
        "merged_into": party.merged_into,
        "merged_from": list(party.merged_from),
        # Fixed-width ISO strings, not BSON dates: the embedded store turns a ``$set`` datetime
        # into a differently formatted string, which would break ordering (ListChanges cursor).
        "created_at": stamp(party.created_at),
        "updated_at": stamp(party.updated_at),
        # Derived lookup fields (arrays are kept for real MongoDB multikey indexes and for
        # multi-token filtering; the embedded store only uses the scalar slots).
        "official_id_key": official_id_key(index_key, party.id, party.national_id, party.legal_id),
        "search_tokens": sorted(search_tokens(party.first_name, party.last_name, party.org_name)),
        "name_key": full_name_key(party.first_name, party.last_name, party.org_name if party.kind == "organisation" else ""),
        "mobiles": mobiles,
        "emails": emails,
    }
    fields.update(slot_fields(party))
    return fields


def from_document(doc: dict[str, Any]) -> Party:
    birth = doc.get("birth_date") or ""
    consents = [_consent(c) for c in doc.get("consents", [])]
    party = Party(
        id=doc["_id"],
        version=int(doc.get("version", 0)),
        kind=doc.get("kind", "person"),
        customer_number=doc.get("customer_number", ""),
        first_name=doc.get("first_name", ""),
        last_name=doc.get("last_name", ""),
        father_name=doc.get("father_name", ""),
        national_id=doc.get("national_id", ""),
        birth_date=dt.date.fromisoformat(birth) if birth else None,
        gender=doc.get("gender", "unspecified"),
        org_name=doc.get("org_name", ""),
        legal_id=doc.get("legal_id", ""),
        economic_code=doc.get("economic_code", ""),
        roles=set(doc.get("roles", [])),
        preferred_channel=doc.get("preferred_channel", "sms"),
        language=doc.get("language", "fa"),
        agent_id=doc.get("agent_id", ""),
        branch_code=doc.get("branch_code", ""),
        tags=list(doc.get("tags", [])),
        contact_points=[ContactPoint(**p) for p in doc.get("contact_points", [])],
        consents={c.key: c for c in consents},
        consent_history=[_consent(c) for c in doc.get("consent_history", [])],
        relationships=[Relationship(r["kind"], r["party_id"]) for r in doc.get("relationships", [])],
        household_id=doc.get("household_id", ""),
        status=doc.get("status", "active"),
        merged_into=doc.get("merged_into", ""),
        merged_from=list(doc.get("merged_from", [])),
        created_at=parse_stamp(doc.get("created_at")),
        updated_at=parse_stamp(doc.get("updated_at")),
    )
    return party
