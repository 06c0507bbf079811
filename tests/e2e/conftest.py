"""The web UI's end-to-end fixtures: Chromium (installed once per session), the real stack
(gateway, customer and policy processes on the private broker and nx-27017) and a browser."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

from browser import Page, launch  # noqa: E402
from e2e_stack import WebStack  # noqa: E402

ROOT = _HERE.parents[1]
SCREENSHOTS = _HERE / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def chromium_installed() -> None:
    """Debian's chromium and chromium-driver, installed when missing (quick when present)."""
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-browser.sh")], check=True, timeout=600)


@pytest.fixture(scope="session")
def web(infra: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    stack = WebStack(infra.mongo_uri, infra.amqp_uri(infra.new_vhost()), tmp_path_factory.mktemp("e2e-logs"))
    try:
        stack.start()
        stack.seed_customers()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def browser_session(chromium_installed: None) -> Iterator[Any]:
    driver = launch()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser_session: Any, web: WebStack) -> Iterator[Page]:
    """A fresh tab state per test: no session, Persian as the remembered language."""
    ui = Page(browser_session, web.base_url, SCREENSHOTS)
    browser_session.set_window_size(1366, 900)
    ui.open("/")
    ui.js("sessionStorage.clear(); localStorage.clear();")
    ui.open("/")
    ui.find("#sign-in")
    yield ui
    if request.node.stash.get(FAILED, False):
        ui.shot(f"FAILED-{request.node.name}")  # what the user saw when the test failed
    ui.js("sessionStorage.clear(); localStorage.clear();")
