"""The admin's Statements flow in real headless Chromium against a real daphne: log in, preview a draft, issue it,
download its PDF, record a payment. Takes the preview page docs/STATEMENTS.md shows (written to docs/screenshots/
with SCREENSHOTS_WRITE=1).

Chromium runs in its own thread (tests.browser's executable and viewport): Playwright's sync API leaves an event
loop marked as running in the thread that starts it, and Django then refuses this test's ORM calls there."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.conf import settings

from statements.models import Statement, StatementPayment
from tests.browser import CHROMIUM, DESKTOP
from tests.etl.helpers import run_loader
from tests.servers import Daphne, child_env
from tests.statements.conftest import splits_set

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def in_browser(walk):
    def run():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                return walk(browser)
            finally:
                browser.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=300)


@pytest.fixture
def server(subprocess_env, tmp_path, sample_lake):
    assert run_loader("--lake", str(sample_lake), "--source", "dk_bank_details")[0] == 0
    splits_set()
    static = tmp_path / "static"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env={**subprocess_env, "STATIC_ROOT": str(static)},
        check=True,
        timeout=120,
    )
    daphne = Daphne(
        child_env(subprocess_env, redis_url=None, group="statements-browser", STATIC_ROOT=static),
        tmp_path / "daphne.log",
    )
    yield daphne
    daphne.stop()


def test_preview_issue_download_and_pay_in_the_browser(server, staff_user, tmp_path, screenshots):
    base = f"http://localhost:{server.port}"

    def walk(browser) -> dict:
        seen = {}
        context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
        page = context.new_page()
        page.goto(f"{base}/admin/login/?next=/admin/statements/statement/")
        page.fill("#id_username", "staff")
        page.fill("#id_password", "pw-staff-123")
        page.click("input[type=submit]")
        page.click("text=Draft preview and issue")
        page.select_option("#id_artist", label="PIG1987")
        page.fill("#id_period", "2025-Q1")
        page.click("input[value=Preview]")
        seen["gross"], seen["closing"] = page.inner_text("#gross"), page.inner_text("#closing-balance")
        seen["can_issue"] = page.is_enabled("#issue")
        page.screenshot(path=str(screenshots / "statements_admin_preview.png"))

        page.click("#issue")
        page.wait_for_selector("#checksum-ok")
        seen["issued_url"], seen["issued_message"] = page.url, page.inner_text(".messagelist")
        with page.expect_download() as download:
            page.click("#download-pdf")
        seen["pdf"] = tmp_path / download.value.suggested_filename
        download.value.save_as(seen["pdf"])

        page.click("#record-payment")
        page.fill("#id_amount", "100.00")
        page.fill("#id_paid_on", "2025-07-01")
        page.fill("#id_reference", "PayPal 7XK2")
        page.click("input[name=_save]")
        seen["paid_message"] = page.inner_text(".messagelist")
        context.close()
        return seen

    seen = in_browser(walk)
    statement = Statement.objects.get()
    assert (seen["gross"], seen["closing"], seen["can_issue"]) == ("439.62", f"{statement.closing_balance:.2f}", True)
    assert seen["issued_url"] == f"{base}/admin/statements/statement/{statement.pk}/change/"
    assert seen["issued_message"] == f"Issued statement #{statement.pk} for PIG1987 2025-Q1."
    assert seen["pdf"].name == f"pig1987_2025-Q1_issued-{statement.pk}.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(seen["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Royalty statement: PIG1987" in text and f"Issued #{statement.pk}" in text and seen["closing"] in text
    payment = StatementPayment.objects.get()
    assert "was added successfully" in seen["paid_message"]
    assert (payment.amount, payment.reference, payment.statement_id, payment.recorded_by) == (
        Decimal("100.00"),
        "PayPal 7XK2",
        statement.pk,
        staff_user,
    )
