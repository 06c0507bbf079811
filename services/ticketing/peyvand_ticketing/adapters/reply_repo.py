"""Replies and internal notes (``ticket_replies``) and the activity log (``ticket_activity``), read in pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo.database import Database

from peyvand_ticketing.domain.ticket_values import Reply

REPLIES = "ticket_replies"
ACTIVITY = "ticket_activity"


def reply_id(ticket_id: str, version: int) -> str:
    """One reply per ticket write: the ticket version that recorded it makes the id (retry-safe)."""
    return f"{ticket_id}:{version:08d}"


def save_reply(db: Database, reply: Reply, version: int) -> dict[str, Any]:
    doc = {"_id": reply_id(reply.ticket_id, version), "ticket_id": reply.ticket_id, "author_id": reply.author_id,
           "body": reply.body, "public": reply.public, "from_customer": reply.from_customer, "at": reply.at}
    db[REPLIES].replace_one({"_id": doc["_id"]}, doc, upsert=True)
    return doc


def list_replies(db: Database, ticket_id: str, include_notes: bool, author_id: str | None, after: str | None, limit: int) -> list[dict[str, Any]]:
    """Oldest first (ids carry the ticket version, so they sort by time within a ticket)."""
    query: dict[str, Any] = {"ticket_id": ticket_id}
    if after:
        query["_id"] = {"$gt": after}
    docs = []
    # Filter notes in Python: the ticket's replies are a small indexed set.
    for doc in db[REPLIES].find(query).sort("_id", 1):
        if doc["public"] or include_notes or (author_id is not None and doc["author_id"] == author_id):
            docs.append(doc)
            if len(docs) >= limit:
                break
    return docs


def list_activity(db: Database, ticket_id: str, after: str | None, limit: int) -> list[dict[str, Any]]:
    """Oldest first: the entries of the ticket's first write (kept in the ticket document as
    ``activity_head``, ids ``<ticket>:00000001:<n>``) then ``ticket_activity`` (later versions)."""
    ticket = db["tickets"].find_one({"_id": ticket_id}, {"activity_head": 1}) or {}
    head = [doc for doc in ticket.get("activity_head") or [] if not after or doc["_id"] > after]
    if len(head) >= limit:
        return head[:limit]
    query: dict[str, Any] = {"ticket_id": ticket_id}
    if after:
        query["_id"] = {"$gt": after}
    rest = list(db[ACTIVITY].find(query).sort("_id", 1).limit(limit))
    merged = {doc["_id"]: doc for doc in head + rest}  # a ticket written before activity_head: rows only
    return [merged[key] for key in sorted(merged)][:limit]


def at_of(doc: dict[str, Any]) -> dt.datetime:
    return doc["at"]
