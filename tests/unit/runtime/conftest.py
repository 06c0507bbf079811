"""Generated protos must exist before the runtime tests import ``peyvand.common.v1``."""

from __future__ import annotations

import pytest
from peyvand_runtime import protogen


@pytest.fixture(scope="session", autouse=True)
def generated_protos() -> None:
    protogen.ensure_generated()
