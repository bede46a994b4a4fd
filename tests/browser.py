"""Headless Debian Chromium driven by Selenium, fully offline (no Selenium Manager, no Google services)."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

#: Debian's packages (`make browser`): the driver is built for exactly this Chromium.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Without the background-networking flags Chromium keeps calling Google services on a closed network.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--window-size=1280,900",
)


def require_browser() -> None:
    """Skips the test when Chromium is not installed, except in CI (env ``CI`` set), where it fails.

    Under `make test` the skip fails too (tests/conftest.py); `make test` installs Chromium first.
    """
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    reason = f"{', '.join(missing)} missing: install Debian's chromium and chromium-driver (make browser)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[WebDriver]:
    """Starts headless Chromium with a fresh profile; quits it and removes the profile afterwards."""
    profile = tempfile.mkdtemp(prefix="pobyt-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # An unexpected alert() must not be dismissed silently: the next command raises instead.
    options.set_capability("unhandledPromptBehavior", "ignore")
    # Given the driver's path, Selenium skips Selenium Manager, which would try to download drivers.
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
