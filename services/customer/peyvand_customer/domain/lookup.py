"""Lookup keys of a party: the few normalised values search and duplicate checks find it by.

The embedded store cannot index array elements (an index on an array field makes equality
queries on it return nothing), so a party carries its keys in a fixed number of scalar
slots (``k0`` .. ``k7``), each with an ordinary single-field index. Keys are prefixed by
what they are: ``n:`` a name key, ``m:`` a canonical mobile, ``e:`` an email.

Layout 2 (ADR 14): every slot holds one kind of key, so a search reads only the slots of its
kind (every read of a slot is a store round trip):

- ``k0``-``k3`` (``NAME_SLOTS``): the name from its first, second, third and fourth token on,
  without spaces ("محمد رضا کاظمی" → ``n:محمدرضاکاظمی``, ``n:رضاکاظمی``, ``n:کاظمی``). A prefix
  of any of the first four tokens, or of a compound part typed without spaces ("رضاکاظ",
  "حسینزاده"), is a prefix of one of them; ``k0`` is the whole name soft duplicates meet on.
- ``k4``-``k7`` (``CONTACT_SLOTS``): the primary mobile, then other mobiles, then emails.

Layout 1 (before 2026-11-23) mixed them (``k1`` usually the primary mobile, name tokens and
contacts after it); ``cli migrate-lookup-keys`` rewrites a book to layout 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peyvand_customer.domain.persian import compact_name, name_tokens

if TYPE_CHECKING:
    from peyvand_customer.domain.party import Party

SLOTS = 8
NAME_SLOTS = range(0, 4)
CONTACT_SLOTS = range(4, 8)
LAYOUT = 2
NAME, MOBILE, EMAIL = "n:", "m:", "e:"


def full_name_key(first_name: str, last_name: str, org_name: str = "") -> str:
    """The whole name without spaces: the key soft duplicates (name + birth date) meet on."""
    return compact_name(org_name) if org_name and not (first_name or last_name) else compact_name(first_name, last_name)


def name_keys(party: Party) -> list[str]:
    """The name from each of its first ``len(NAME_SLOTS)`` tokens on, without spaces (the first is the whole name)."""
    parts = (party.org_name,) if party.kind == "organisation" else (party.first_name, party.last_name)
    tokens = name_tokens(*parts)
    keys: list[str] = []
    for i in range(min(len(tokens), len(NAME_SLOTS))):
        key = NAME + "".join(tokens[i:])
        if key not in keys:
            keys.append(key)
    return keys


def contact_keys(party: Party) -> list[str]:
    """At most ``len(CONTACT_SLOTS)`` contact keys: primary mobile first, other mobiles, emails."""
    contacts = sorted(party.contact_points, key=lambda p: not p.primary)
    keys: list[str] = []
    for key in [MOBILE + p.value for p in contacts if p.kind == "mobile"] + [EMAIL + p.value for p in contacts if p.kind == "email"]:
        if key not in keys:
            keys.append(key)
    return keys[: len(CONTACT_SLOTS)]


def lookup_keys(party: Party) -> list[str]:
    """Every lookup key of the party: its name keys, then its contact keys."""
    return name_keys(party) + contact_keys(party)


def slot_fields(party: Party) -> dict[str, str | None]:
    """``k0``-``k7`` in layout 2: name keys in ``NAME_SLOTS``, contact keys in ``CONTACT_SLOTS``, unused slots ``None``."""
    fields: dict[str, str | None] = {f"k{i}": None for i in range(SLOTS)}
    for slot, key in zip(NAME_SLOTS, name_keys(party), strict=False):
        fields[f"k{slot}"] = key
    for slot, key in zip(CONTACT_SLOTS, contact_keys(party), strict=False):
        fields[f"k{slot}"] = key
    return fields
