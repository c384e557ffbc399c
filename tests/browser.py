"""Real headless Chromium for the page tests: Debian's /usr/bin/chromium driven by Playwright for Python.

`scripts/system_deps.sh` (run by the test command) installs the package; Playwright never downloads a browser here.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
DESKTOP = {"width": 1366, "height": 768}  # the staff's laptops
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium():
    """One browser for the session; each test opens its own context (cookies, viewport) with `new_context`."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system_deps.sh (the test command does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, so Django's guard would refuse every ORM
    # call the test makes next to the browser (the test database setup included). Nothing runs concurrently here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()
