"""A broadcast's audience is expanded in skip/limit pages of the profiles in id order, the
segment rule evaluated in the process: every matching, unmerged profile is queued once, whatever
the page size and even when profiles arrive behind or ahead of the expansion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from peyvand_campaign.adapters import catalogue_repo
from peyvand_campaign.adapters.collections import CAMPAIGNS, DELIVERIES, PROFILES
from peyvand_campaign.service_layer import campaigns

NOON = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)  # 12:00 Tehran
MARKETING_SMS = [{"channel": "sms", "purpose": "marketing", "granted": True}]


def _profile(n: int, city: str, **extra: Any) -> dict[str, Any]:
    return {"_id": f"cus_{n:04d}", "version": 1, "display_name": f"مشتری {n}", "mobile": f"+98912{n:07d}", "city": city,
            "preferred_channel": "sms", "language": "fa", "agent_id": "", "consents": MARKETING_SMS, "push_tokens": [], **extra}


def _running_broadcast(db: Any) -> str:
    template, _ = catalogue_repo.get_template(db, "winback.3.sms")
    campaign = campaigns.create(db, NOON, name="تهرانی‌ها", purpose="marketing", channel="sms", template_ids={"sms": template.id},
                                segment_rule={"field": "city", "op": "eq", "value": "تهران"}, segment_id="", schedule_at=None)
    campaigns.change(db, campaign.id, "start", NOON)
    return campaign.id


def _queued_for(db: Any, campaign_id: str) -> list[str]:
    return sorted(d["customer_id"] for d in db[DELIVERIES].find({"campaign_id": campaign_id}))


@pytest.mark.parametrize("page_size", [1, 3, 50])
def test_every_matching_unmerged_profile_is_queued_once(db: Any, page_size: int) -> None:
    cities = ["تهران", "مشهد", "تهران", "اصفهان"]
    db[PROFILES].insert_many([_profile(n, cities[n % 4], **({"merged_into": "cus_0000"} if n == 6 else {})) for n in range(1, 21)])
    campaign_id = _running_broadcast(db)

    stats = campaigns.broadcast_tick(db, NOON, page_size, weekly_cap=5)

    wanted = [f"cus_{n:04d}" for n in range(1, 21) if n % 2 == 0 and n != 6]  # Tehran, not the merged one
    assert _queued_for(db, campaign_id) == wanted
    assert stats["expanded"] == 20  # profiles read
    assert db[CAMPAIGNS].find_one({"_id": campaign_id})["expansion_done"]  # (the embedded store answers 1 for True)
    campaigns.broadcast_tick(db, NOON, page_size, weekly_cap=5)  # a later tick queues nothing again
    assert _queued_for(db, campaign_id) == wanted


def test_profiles_arriving_during_the_expansion(db: Any) -> None:
    db[PROFILES].insert_many([_profile(n, "تهران") for n in range(10, 40, 2)])  # 10, 12, … 38
    campaign_id = _running_broadcast(db)
    assert campaigns.expand_page(db, campaign_id, NOON, 4, weekly_cap=5) == 4  # 10..16
    db[PROFILES].insert_one(_profile(11, "تهران"))  # behind the position: shifts the next page back by one
    db[PROFILES].insert_one(_profile(25, "تهران"))  # ahead: still to come
    while campaigns.expand_page(db, campaign_id, NOON, 4, weekly_cap=5):
        pass
    queued = _queued_for(db, campaign_id)
    assert len(queued) == len(set(queued))
    # Everyone there at the start, plus the one that arrived ahead; the one behind is not
    # reached by this expansion (a broadcast's audience is who it finds as it goes).
    assert queued == sorted([f"cus_{n:04d}" for n in [*range(10, 40, 2), 25]])
