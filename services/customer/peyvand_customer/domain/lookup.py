"""Lookup keys of a party: the few normalised values search and duplicate checks find it by.

The embedded store cannot index array elements (an index on an array field makes equality
queries on it return nothing), so a party carries its keys in a fixed number of scalar
slots (``k0`` .. ``k7``), each with an ordinary single-field index. Keys are prefixed by
what they are: ``n:`` a name key (any name token, or a whole name without spaces),
``m:`` a canonical mobile, ``e:`` an email.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peyvand_customer.domain.persian import compact_name, name_tokens

if TYPE_CHECKING:
    from peyvand_customer.domain.party import Party

SLOTS = 8
NAME, MOBILE, EMAIL = "n:", "m:", "e:"


def full_name_key(first_name: str, last_name: str, org_name: str = "") -> str:
    """The whole name without spaces: the key soft duplicates (name + birth date) meet on."""
    return compact_name(org_name) if org_name and not (first_name or last_name) else compact_name(first_name, last_name)


def lookup_keys(party: Party) -> list[str]:
    """At most ``SLOTS`` keys, most useful first: whole name, primary mobile, name tokens, others."""
    contacts = sorted(party.contact_points, key=lambda p: not p.primary)
    mobiles = [MOBILE + p.value for p in contacts if p.kind == "mobile"]
    emails = [EMAIL + p.value for p in contacts if p.kind == "email"]
    parts = (party.org_name,) if party.kind == "organisation" else (party.first_name, party.last_name)
    whole = full_name_key(party.first_name, party.last_name, party.org_name if party.kind == "organisation" else "")
    ordered = [NAME + whole] if whole else []
    ordered += mobiles[:1]
    ordered += [NAME + t for t in name_tokens(*parts)]
    ordered += mobiles[1:] + emails
    ordered += [NAME + compact_name(p) for p in parts if p]
    keys: list[str] = []
    for key in ordered:
        if key not in keys and len(key) > 2:
            keys.append(key)
    return keys[:SLOTS]


def slot_fields(party: Party) -> dict[str, str | None]:
    """Slot 0 holds the whole-name key or nothing: lookups of a mobile or email skip it."""
    keys: list[str | None] = list(lookup_keys(party))
    if keys and not str(keys[0]).startswith(NAME):
        keys = [None, *keys][:SLOTS]
    return {f"k{i}": (keys[i] if i < len(keys) else None) for i in range(SLOTS)}
