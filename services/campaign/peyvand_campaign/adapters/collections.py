"""The campaign database's collections and their indexes (single-field: see MONGO-COMPAT.md)."""

from __future__ import annotations

from peyvand_runtime.store import drop_single_field_indexes, stored_instant
from pymongo import ASCENDING
from pymongo.database import Database

PROFILES = "profiles"          # customer projection (segment document + contact points + consents)
POLICY_FACTS = "policy_facts"  # policy projection, per policy
AGENTS = "agents"              # agent directory projection (org.agent_changed)
JOURNEYS = "journeys"          # aggregate, outbox
DELIVERIES = "deliveries"      # aggregate, outbox; unique dedup_key
CAMPAIGNS = "campaigns"        # aggregate, outbox
TEMPLATES = "templates"
SEGMENTS = "segments"
OPT_OUTS = "opt_outs"
CONVERSIONS = "conversions"


def ensure_indexes(db: Database) -> None:
    db[PROFILES].create_index("mobile")
    db[PROFILES].create_index("city")
    db[PROFILES].create_index("branch_code")
    db[PROFILES].create_index("agent_id")
    db[PROFILES].create_index("merged_into")
    db[POLICY_FACTS].create_index("holder_id")
    db[JOURNEYS].create_index("natural_key", unique=True)
    db[JOURNEYS].create_index("policy_id")
    db[JOURNEYS].create_index("customer_id")
    db[JOURNEYS].create_index("status")
    db[JOURNEYS].create_index("outbox_pending")
    db[DELIVERIES].create_index("dedup_key", unique=True)
    db[DELIVERIES].create_index("due_ms")
    db[DELIVERIES].create_index("customer_id")
    db[DELIVERIES].create_index("journey_id")
    db[DELIVERIES].create_index("campaign_id")
    db[DELIVERIES].create_index("outbox_pending")
    # Every index is upkeep on each of a delivery's three writes (insert, claim, sent mark): on
    # nx-27017 each one is an expression index over the whole document, rewritten on every
    # update. So none is kept that no query needs:
    # - created_at: the one query sorting on it (a customer's deliveries) is answered from the
    #   customer_id index and sorts that customer's few in memory, on nx-27017 as on MongoDB;
    # - status: every query naming a status also names a journey, customer or campaign (indexed,
    #   and far more selective), the sender's claims walk due_ms, and with the index nx-27017
    #   may plan such a query on the status one; the one-off start_report_checks scans instead;
    # - provider_message_id: delivery reports are asked for per message by report_due_ms,
    #   nothing looks a delivery up by the provider's id.
    # Dropped where an older release made them.
    drop_single_field_indexes(db[DELIVERIES], ("created_at", "status", "provider_message_id"))
    # Only sent SMS awaiting a delivery report carry it (deliveries_repo.reports_due).
    db[DELIVERIES].create_index("report_due_ms", sparse=True)
    db[CAMPAIGNS].create_index("status")
    db[CAMPAIGNS].create_index("outbox_pending")
    db[TEMPLATES].create_index("name", unique=True)
    db[TEMPLATES].create_index("channel")
    db[SEGMENTS].create_index([("created_at", ASCENDING)])
    db[OPT_OUTS].create_index("customer_id")
    db[CONVERSIONS].create_index("campaign_id")


# Stored instants are read back through the spine (the embedded store writes updated ones as text).
instant = stored_instant
