"""Playwright driving Debian's Chromium against a real `tousu serve` process.

Playwright's own browser download does not work here: the tests use /usr/bin/chromium
(or TOUSU_TEST_CHROMIUM). Without it they skip loudly, except under CI=true (a failure).
Screenshots of every page go to the test's tmp directory (printed at the end of a test).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci
from tests.e2e.conftest import Server

CHROMIUM = os.environ.get("TOUSU_TEST_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser test password"


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); browser tests are SKIPPED"
        if in_ci():
            pytest.fail(message + " — CI=true requires it", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = Server(data_dir)
    for name, role in (("boss", "manager"), ("op", "operator")):
        made = server.cli("user", "create", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def shots(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The test's screenshot folder; copied to $TOUSU_SCREENSHOT_DIR/<test> as well when that is set."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    yield folder
    print(f"\nscreenshots: {folder}")
    keep = os.environ.get("TOUSU_SCREENSHOT_DIR")
    if keep:
        target = Path(keep) / request.node.name
        shutil.copytree(folder, target, dirs_exist_ok=True)
        print(f"screenshots copied to: {target}")
