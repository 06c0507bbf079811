"""Headless Debian Chromium driven through Debian's chromedriver (Selenium), and small waits."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# What is known to work on these machines: no sandbox as root, no GPU, and no background
# networking (the closed network refuses Chromium's calls home).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--force-device-scale-factor=1",
)


def launch(width: int = 1366, height: int = 900) -> webdriver.Chrome:
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never try to download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='peyvand-chromium-')}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    return driver


class Page:
    """The browser as a user sees the UI: find by CSS, type, wait for text."""

    def __init__(self, driver: webdriver.Chrome, base_url: str, shots: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.shots = shots

    def open(self, path: str = "/") -> None:
        self.driver.get(self.base_url + path)

    def wait(self, predicate: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                value = predicate()
                if value:
                    return value
            except (StaleElementReferenceException, WebDriverException) as exc:
                last_error = exc
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; last error: {last_error}; console: {self.console()[-5:]}")

    def find(self, css: str, timeout: float = 20) -> WebElement:
        return self.wait(lambda: next((e for e in self.driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), None), timeout, css)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str = "body") -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def wait_text(self, needle: str, css: str = "body", timeout: float = 20) -> str:
        return str(self.wait(lambda: (lambda t: t if needle in t else None)(self.text(css)), timeout, f"{needle!r} in {css}"))

    def type(self, css: str, value: str, clear: bool = True) -> WebElement:
        element = self.find(css)
        if clear:
            element.clear()
        element.send_keys(value)
        return element

    def click(self, css: str) -> None:
        self.find(css).click()

    def by_label(self, label: str, scope: str = "body") -> WebElement:
        """The input whose <label> reads ``label`` (how a person finds a field)."""

        def lookup() -> WebElement | None:
            for element in self.driver.find_elements(By.CSS_SELECTOR, f"{scope} label"):
                if element.text.strip() == label and element.is_displayed():
                    target = element.get_attribute("for")
                    return self.driver.find_element(By.ID, target) if target else None
            return None

        return self.wait(lookup, 20, f"field labelled {label!r}")

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def shot(self, name: str, full: bool = True) -> Path:
        """A PNG of the page (all of it, beyond the window, unless ``full`` is false)."""
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        time.sleep(0.2)  # let the last paint and the web font settle
        if not full:
            self.driver.save_screenshot(str(path))
            return path
        # The whole page: make the window as tall as the document for one capture.
        width, height = self.driver.get_window_size().values()
        full_height = min(int(self.js("return document.documentElement.scrollHeight")), 4000)
        if full_height > height:
            self.driver.set_window_size(width, full_height)
            time.sleep(0.2)
        try:
            self.driver.save_screenshot(str(path))
        finally:
            if full_height > height:
                self.driver.set_window_size(width, height)
        return path

    def console(self) -> list[str]:
        try:
            return [f"{e['level']}: {e['message']}" for e in self.driver.get_log("browser")]
        except WebDriverException:
            return []
