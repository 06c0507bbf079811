"""The campaign worker as shipped applies renewal notices in full batches (issue #7's figure is
measured with this setting, not with one the benchmark sets)."""

from __future__ import annotations

import pytest
from peyvand_campaign.entrypoints.worker import RENEWAL_BATCH
from peyvand_campaign.settings import CampaignWorkerSettings
from peyvand_runtime.settings import WorkerSettings
from peyvand_runtime.worker import nameko_config


def test_the_shipped_prefetch_lets_a_renewal_batch_fill_and_the_next_one_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSUMER_PREFETCH", raising=False)
    prefetch = nameko_config(CampaignWorkerSettings())["max_workers"]  # what caps a batch (BatchEventHandler.batch_limit)
    assert prefetch >= 2 * RENEWAL_BATCH
    assert WorkerSettings().consumer_prefetch < RENEWAL_BATCH  # the other workers keep the common default


def test_an_operator_can_still_set_the_prefetch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSUMER_PREFETCH", "200")
    assert nameko_config(CampaignWorkerSettings())["max_workers"] == 200
