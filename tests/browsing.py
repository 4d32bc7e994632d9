"""What the browser tests share (tests/browser): Debian's Chromium through Playwright, and signing in on a page.
Under CI=true a missing browser or Playwright fails the run instead of skipping it."""

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from factories import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = next(iter(sorted(Path(__file__).resolve().parents[1].glob(".cache/axe-core-*/axe.min.js"))), None)
BLOCKING = ("serious", "critical")  # the impacts of an axe-core finding that fail a test


def playwright() -> Any:
    """Playwright's sync API, or a skip (a failure under CI=true) when it or the browser is missing."""
    if os.environ.get("CI") == "true":
        from playwright import sync_api  # required: an ImportError fails the run

        return sync_api
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (`make system-deps-test` installs it)")
    return pytest.importorskip("playwright.sync_api")


def launch(p: Any) -> Any:
    """Debian's Chromium (Playwright never downloads a browser here)."""
    return p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


def sign_in(page: Any, server: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login page, starting from no session."""
    page.context.clear_cookies()
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    follow(page, "main button[type=submit]")


def follow(page: Any, selector: str) -> None:
    """Click a link or a form's button and wait until the page it leads to has loaded: Playwright's click returns once
    the next page has started arriving, and a count taken then may see half of it."""
    page.click(selector)
    page.wait_for_load_state()


def axe_source() -> str:
    """axe-core's script, fetched from the npm registry into .cache/ by `make install-test`; required under CI=true."""
    if AXE is None:
        if os.environ.get("CI") == "true":
            pytest.fail("axe-core is missing: `make install-test` fetches it into .cache/")
        pytest.skip("axe-core is not fetched (`make install-test` does it when npm is there)")
    return AXE.read_text()


def axe_blocking(page: Any, source: str) -> list[str]:
    """axe-core run on the page as it stands: its findings of serious or critical impact, one line each."""
    page.evaluate(source)
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))"
                          ".violations.map(v => [v.id, v.impact, v.nodes.length, v.help])")
    return [f"{rule} ({impact}, {n}×) {text}" for rule, impact, n, text in found if impact in BLOCKING]
