"""The customer snapshot: the JSON-ready state every customer event carries, and exports read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from peyvand_customer.domain.values import iso_instant

if TYPE_CHECKING:
    from peyvand_customer.domain.party import Party


def party_snapshot(party: Party, private: bool = False) -> dict[str, Any]:
    """The JSON-ready state every customer event carries.

    ``private`` adds national id, legal id, economic code and every contact point (for
    exports and the gRPC read model): events leave them out, consumers (campaigns,
    tickets) do not need them and the broker should not spread them.
    """
    mobile, email, address = party.primary("mobile"), party.primary("email"), party.primary("address")
    snapshot: dict[str, Any] = {
        "customer_id": party.id,
        "customer_number": party.customer_number,
        "kind": party.kind,
        "status": party.status,
        "merged_into": party.merged_into,
        "display_name": party.display_name,
        "first_name": party.first_name,
        "last_name": party.last_name,
        "father_name": party.father_name,
        "org_name": party.org_name,
        "birth_date": party.birth_date.isoformat() if party.birth_date else "",
        "gender": party.gender,
        "roles": sorted(party.roles),
        "agent_id": party.agent_id,
        "branch_code": party.branch_code,
        "mobile": mobile.value if mobile else "",
        "email": email.value if email else "",
        "city": address.city if address else "",
        "province": address.province if address else "",
        "preferred_channel": party.preferred_channel,
        "language": party.language,
        "consents": [party.consents[k].to_dict() for k in sorted(party.consents)],
        "tags": list(party.tags),
        "household_id": party.household_id,
        "relationships": [r.to_dict() for r in party.relationships],
        "created_at": iso_instant(party.created_at) if party.created_at else "",
        # The version this change is saved as (the repository writes version + 1).
        "version": party.version + 1,
    }
    if private:
        snapshot.update(national_id=party.national_id, legal_id=party.legal_id, economic_code=party.economic_code)
        snapshot["contact_points"] = [p.to_dict() for p in party.contact_points]
    return snapshot
