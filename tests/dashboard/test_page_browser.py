"""The warehouse's own page in real headless Chromium against a real daphne: log in, every card equals the
sample lake's oracle (sample_lake/README.md §4), a load in another process changes the affected cards without a
reload within 2 s of its commit, a daphne restart is survived (and what was loaded meanwhile is refetched), staff
can queue a load and watch it, a read-only user sees no staff controls."""

import csv
import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import DESKTOP, PHONE
from tests.conftest import SAMPLE_LAKE
from tests.servers import Daphne, child_env, run_load_curated

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
DK_LINE_2 = "2024-10-05,2024-08,YouTube (Ads),ZONE A0,HOLD ON I,QZTAW2496365,198667254765,1,100,Song,US,0,"


@pytest.fixture
def env(subprocess_env, lake_copy) -> dict:
    """Daphne and the loaders on the test database; Redis when the suite runs with it, the load_run watcher
    otherwise; the staff's refresh button loads `lake_copy`."""
    return child_env(
        subprocess_env,
        redis_url=os.environ.get("REDIS_URL") or None,
        group=f"bedrot.test-{uuid.uuid4().hex[:12]}",
        DATA_LAKE_PATH=lake_copy,
    )


@pytest.fixture
def loaded(env, lake_copy):
    result = run_load_curated(env, lake_copy)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(env, port=None):
        server = Daphne(env, tmp_path / f"daphne-{len(started)}.log", port=port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def log_in(chromium, server, username, password, viewport=DESKTOP):
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"http://127.0.0.1:{server.port}/")
    assert page.url == f"http://127.0.0.1:{server.port}/login?next=/"
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-loaded=true]", timeout=30_000)
    page.wait_for_selector("#live-status[data-state=live]", timeout=10_000)
    return context, page, errors


def text(page, key: str) -> str:
    return page.locator(f'[data-kpi="{key}"]').first.inner_text()


def table_rows(page, table_id: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#{table_id} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )


def month_to_date_streams() -> int:
    """Σ combined streams, all sources, in the calendar month of the latest complete date (2025-08-17)."""
    with open(SAMPLE_LAKE / "4_curated" / "tidy_daily_streams.csv", newline="") as handle:
        return sum(
            int(r["combined_streams"]) for r in csv.DictReader(handle) if "2025-08-01" <= r["date"] <= "2025-08-17"
        )


def set_dk_line_2(lake: Path, earnings: str) -> None:
    path = lake / "4_curated" / "dk_bank_details.csv"
    lines = path.read_text().split("\n")
    assert lines[1] == DK_LINE_2 + "0.01931943"
    lines[1] = DK_LINE_2 + earnings
    path.write_text("\n".join(lines))


def test_every_card_equals_the_oracle_and_a_read_only_user_sees_no_staff_controls(
    chromium, env, loaded, servers, plain_user
):
    server = servers(env)
    context, page, errors = log_in(chromium, server, "viewer", "pw-viewer-123")
    cards = {
        key: text(page, key)
        for key in (
            "total_revenue",
            "gross_revenue",
            "adjustments",
            "royalty_streams",
            "revenue_per_stream",
            "latest_month_revenue",
            "latest_sale_month",
            "previous_sale_month",
            "previous_month_revenue",
            "total_streams",
            "ad_spend",
            "goal_revenue_current",
            "goal_revenue_target",
            "goal_streams_current",
            "goal_streams_target",
            "goal_followers_current",
            "goal_followers_status",
        )
    }
    # sample_lake/README.md §4: Σ earnings 1,587.06; negative lines −65.67 with quantity 74,178 of 616,709;
    # Sale Months 2025-04 = 15.36 and 2025-03 = 336.87; distributor streams 1,002,754 + 100,941; Meta $1,889.10.
    assert cards == {
        "total_revenue": "$1,587.06",
        "gross_revenue": "$1,652.73",
        "adjustments": "-$65.67",
        "royalty_streams": "542,531",
        "revenue_per_stream": "$0.002925",
        "latest_month_revenue": "$15.36",
        "latest_sale_month": "2025-04",
        "previous_sale_month": "2025-03",
        "previous_month_revenue": "$336.87",
        "total_streams": "1,103,695",
        "ad_spend": "$1,889.10",
        "goal_revenue_current": "$15.36",
        "goal_revenue_target": "$500.00",
        "goal_streams_current": f"{month_to_date_streams():,}",
        "goal_streams_target": "200,000",
        "goal_followers_current": "0",
        "goal_followers_status": "Pending",
    }
    assert table_rows(page, "table-artist") == [
        ["PIG1987", "$803.45", "266,666", "14"],
        ["ZONE A0", "$783.61", "275,865", "15"],
    ]
    assert table_rows(page, "table-platform")[0] == ["Spotify", "$1,339.10", "493,710", "$0.002712", "5,488"]
    assert [row[:2] for row in table_rows(page, "table-monthly") if row[0] in ("2025-03", "2024-09")] == [
        ["2025-03", "$336.87"],
        ["2024-09", "$53.33"],
    ]
    assert table_rows(page, "table-tracks")[0] == ["PERVERSION", "PIG1987", "127,575", "$411.75"]
    # Read-only: no refresh button, no admin links, and the server renders none of them.
    assert page.locator("[data-staff-control]").count() == 0
    assert page.locator("#refresh-button").count() == 0
    assert page.locator('a[href^="/admin/"]').count() == 0
    assert errors == []
    context.close()


def test_a_load_in_another_process_changes_the_cards_without_a_reload_within_2_s(
    chromium, env, loaded, servers, staff_user, lake_copy
):
    from warehouse.models import LoadRun

    server = servers(env)
    context, page, errors = log_in(chromium, server, "staff", "pw-staff-123")
    # Instrumentation: a marker a reload would wipe, and the wall-clock time the revenue card changes.
    page.evaluate("""() => {
        window.notReloaded = true;
        const card = document.querySelector('[data-kpi="total_revenue"]');
        new MutationObserver(() => { window.revenueChangedAt = window.revenueChangedAt || Date.now(); })
            .observe(card, {childList: true, characterData: true, subtree: true});
    }""")
    set_dk_line_2(lake_copy, "100.01931943")  # + exactly $100.00 for ZONE A0, Sale Month 2024-08
    result = run_load_curated(env, lake_copy)
    assert result.returncode == 0, result.stderr[-3000:]
    expect(page.locator('[data-kpi="total_revenue"]')).to_have_text("$1,687.06", timeout=5_000)
    committed_at = LoadRun.objects.order_by("-id").first().finished_at.timestamp()
    changed_at = page.evaluate("window.revenueChangedAt") / 1000
    assert changed_at - committed_at <= 2.0, (committed_at, changed_at)
    assert page.evaluate("window.notReloaded") is True
    assert text(page, "gross_revenue") == "$1,752.73"
    assert page.locator('[data-kpi="total_revenue"][data-changed=true]').count() == 1
    assert page.locator('[data-kpi="royalty_streams"][data-changed]').count() == 0  # quantity did not move
    expect(page.locator("#table-artist tbody tr[data-changed]").first).to_be_attached(timeout=5_000)
    assert table_rows(page, "table-artist")[0] == ["ZONE A0", "$883.61", "275,865", "15"]
    assert page.locator("#changes").inner_text().endswith("figures changed (highlighted).")
    assert errors == []
    context.close()


def test_the_page_reconnects_after_a_daphne_restart_and_refetches_what_was_loaded_meanwhile(
    chromium, env, loaded, servers, plain_user, lake_copy
):
    first = servers(env)
    context, page, errors = log_in(chromium, first, "viewer", "pw-viewer-123", viewport=PHONE)
    page.evaluate("window.notReloaded = true")
    first.stop()
    page.wait_for_selector("#live-status[data-state=reconnecting]", timeout=10_000)
    assert page.locator("#live-status").inner_text().startswith("Reconnecting")
    set_dk_line_2(lake_copy, "200.01931943")  # loaded while no server runs: no push can carry it
    assert run_load_curated(env, lake_copy).returncode == 0
    servers(env, port=first.port)
    page.wait_for_selector("#live-status[data-state=live]", timeout=60_000)  # backoff reaches at most ~36 s, + start-up
    expect(page.locator('[data-kpi="total_revenue"]')).to_have_text("$1,787.06", timeout=10_000)
    expect(page.locator("#changes")).to_have_text(re.compile(r"^Reconnected: "))
    assert page.evaluate("window.notReloaded") is True
    assert errors == []
    context.close()


def test_staff_queue_a_load_and_watch_it_finish(chromium, env, loaded, servers, staff_user, lake_copy):
    from warehouse.models import LoadRun

    server = servers(env)
    context, page, errors = log_in(chromium, server, "staff", "pw-staff-123")
    assert page.locator('a[href="/admin/"]').count() == 1
    set_dk_line_2(lake_copy, "100.01931943")
    page.click("#refresh-button")
    page.wait_for_selector("#refresh-progress[data-status=succeeded]", timeout=120_000)
    run = LoadRun.objects.order_by("-id").first()
    assert (run.trigger, run.requested_by_id) == ("api", staff_user.pk)
    assert page.locator("#refresh-progress").inner_text() == (
        f"Load run {run.pk}: succeeded · 12 of 12 files · {run.rows_changed:,} rows changed, 0 files rejected"
    )
    expect(page.locator('[data-kpi="total_revenue"]')).to_have_text("$1,687.06", timeout=5_000)
    assert errors == []
    context.close()


def test_phone_layout_has_no_horizontal_scroll(chromium, env, loaded, servers, plain_user):
    server = servers(env)
    context, page, errors = log_in(chromium, server, "viewer", "pw-viewer-123", viewport=PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert text(page, "total_revenue") == "$1,587.06"
    context.close()
