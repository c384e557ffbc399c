"""Real headless Chromium for the page tests: Debian's /usr/bin/chromium driven by Playwright for Python.

`scripts/system_deps.sh` (run by the test command) installs the package; Playwright never downloads a browser here.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}  # the staff's laptops
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def chromium():
    """A browser per test (about a second to launch); the test opens its own context with `new_context`. Not one per
    session: Playwright's sync API keeps its event loop running in the main thread while the browser lives, and
    every async test after it (pytest-asyncio, asyncio.run) then fails with "cannot be called from a running
    event loop"."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system_deps.sh (the test command does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    # While the browser lives, Playwright's event loop runs in this thread, so Django's guard would refuse every ORM
    # call the test makes next to the browser. Nothing runs concurrently here; the guard is back for the next test.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE")
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where tests save the pictures the docs show. Taken on every run (a failure can be inspected in pytest's
    temporary directory, /tmp/pytest-of-<user>/pytest-<N>/screenshots0/), but written over docs/screenshots/
    only on request: `SCREENSHOTS_WRITE=1` (README "Screenshots"), so a test run leaves the checkout unchanged."""
    if os.environ.get("SCREENSHOTS_WRITE") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
