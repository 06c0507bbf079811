"""The policy service's collections and their indexes (mongoengine, used for index creation)."""

# One single-field index per filtered field: the embedded store does not use a compound
# index for a query on its leading field (MONGO-COMPAT.md).

from __future__ import annotations

from mongoengine import DynamicDocument, IntField, StringField
from pymongo.database import Database

from peyvand_policy.adapters import customer_refs

ALIAS = "policy"
POLICIES = "policies"
QUOTES = "quotes"
COUNTERS = "policy_counters"
PARTIES = "policy_parties"
STATS = "policy_stats"


class PolicyDocument(DynamicDocument):
    id = StringField(primary_key=True)
    version = IntField()
    meta = {
        "db_alias": ALIAS,
        "collection": POLICIES,
        "indexes": [
            {"fields": ["policy_number"], "unique": True},
            "term_end_key",
            "holder_id",
            "agent_id",
            "branch_code",
            "renewal_of",
            "issue_idempotency_key",
            "outbox_pending",
        ],
    }


class QuoteDocument(DynamicDocument):
    id = StringField(primary_key=True)
    version = IntField()
    meta = {"db_alias": ALIAS, "collection": QUOTES, "indexes": ["holder_id", "renewal_of"]}


class CounterDocument(DynamicDocument):
    id = StringField(primary_key=True)
    seq = IntField()
    meta = {"db_alias": ALIAS, "collection": COUNTERS}


class PartyLinkDocument(DynamicDocument):
    """``<customer_id>|<policy_id>``: the customer is (or was) holder or insured on the policy."""

    id = StringField(primary_key=True)
    customer_id = StringField()
    policy_id = StringField()
    meta = {"db_alias": ALIAS, "collection": PARTIES, "indexes": ["customer_id"]}


def ensure_indexes(database: Database) -> None:
    """Create every index the service queries by (idempotent; call once per process)."""
    for document in (PolicyDocument, QuoteDocument, CounterDocument, PartyLinkDocument):
        # mongoengine caches the collection per class; forget it so the indexes land in the
        # database the alias points at now (tests reconnect the alias to fresh databases).
        document._collection = None  # noqa: SLF001
        document.ensure_indexes()
    customer_refs.ensure_indexes(database)
