"""The admin as staff use it: real headless Chromium at 1366×768 against a real daphne serving a warehouse loaded
from the sample lake by the real loader. Takes the screenshots docs/ADMIN.md shows
(written to docs/screenshots/ with SCREENSHOTS_WRITE=1)."""

import csv
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from tests import factories
from tests.browser import DESKTOP
from tests.servers import Daphne, child_env, run_load_curated
from warehouse import models as m
from warehouse import services

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "pw-staff-123"


@pytest.fixture
def warehouse(subprocess_env, lake_copy, staff_user, private_broadcast_group):
    """The sample lake loaded by `load_curated`, plus two DistroKid spellings no artist matches yet and a file
    with quarantined rows, so the index and the unmatched page have work to show."""
    loaded = run_load_curated(child_env(subprocess_env, redis_url=None, group=private_broadcast_group), lake_copy)
    assert loaded.returncode in (0, 1), loaded.stderr[-2000:]
    source_file = m.SourceFile.objects.filter(kind="dk_bank_details").order_by("-id").first()
    for name, earnings, line in [("Zone Aa0", "12.3456", 90001), ("PIG 1987 X", "3.10", 90002)]:
        m.ArtistAlias.objects.create(alias=name, first_seen_file=source_file)
        factories.RoyaltyLineFactory(
            source_file=source_file,
            load_run=source_file.load_run,
            artist=None,
            artist_raw=name,
            earnings_usd=Decimal(earnings),
            quantity=1000,
            source_line=line,
            title="KEYGEN",
        )
    services.royalty_aggregates_rebuild()
    return source_file


@pytest.fixture
def private_broadcast_group(settings):
    import uuid

    settings.WS_BROADCAST_GROUP = f"bedrot.test-{uuid.uuid4().hex[:12]}"
    return settings.WS_BROADCAST_GROUP


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """The admin's CSS and JS, collected as in production (WhiteNoise serves STATIC_ROOT under daphne)."""
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bedrot_site.settings_test", "STATIC_ROOT": str(root)}
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return root


@pytest.fixture
def server(subprocess_env, tmp_path, private_broadcast_group, warehouse, static_root):
    env = child_env(
        subprocess_env, redis_url=os.environ.get("REDIS_URL"), group=private_broadcast_group, STATIC_ROOT=static_root
    )
    daphne = Daphne(env, tmp_path / "daphne.log")
    yield daphne
    daphne.stop()


@pytest.fixture
def page(chromium, server):
    context = chromium.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"http://127.0.0.1:{server.port}/admin/login/?next=/admin/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"http://127.0.0.1:{server.port}/admin/")
    page.base = f"http://127.0.0.1:{server.port}"
    yield page
    context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]


def lines_of(name: str) -> list:
    return list(m.RoyaltyLine.objects.filter(artist_raw=name).values_list("artist__name", flat=True))


def test_staff_log_in_see_what_needs_attention_and_map_from_the_queue_and_the_changelist(page, screenshots):
    attention = page.locator("#attention")
    assert "Needs attention" in attention.inner_text()
    assert "2 artist names" in attention.inner_text()
    page.screenshot(path=str(screenshots / "admin-index.png"))
    assert fits_the_screen(page)

    page.click("#attention >> text=Unmatched names")
    alias = m.ArtistAlias.objects.get(alias="Zone Aa0")
    row = page.locator(f"#artist_alias-{alias.pk}")
    assert row.locator("select[name=artist] option:checked").inner_text() == "ZONE A0"  # the closest, pre-selected
    assert "12.35 USD" in row.inner_text() and "unmatched" in row.inner_text()
    page.screenshot(path=str(screenshots / "admin-unmatched.png"), full_page=True)
    assert fits_the_screen(page)
    row.locator("input[type=submit]").click()
    assert "Mapped artist alias: Zone Aa0 → ZONE A0" in page.locator(".messagelist").inner_text()
    assert page.locator(f"#artist_alias-{alias.pk}").count() == 0
    assert lines_of("Zone Aa0") == ["ZONE A0"]

    page.goto(page.base + "/admin/warehouse/artistalias/?matched=no")
    other = m.ArtistAlias.objects.get(alias="PIG 1987 X")
    changelist_row = page.locator("#result_list tbody tr", has_text="PIG 1987 X")
    changelist_row.locator("select").select_option(label="PIG1987")
    page.click("input[name=_save]")
    assert "was changed successfully" in page.locator(".messagelist").inner_text()
    other.refresh_from_db()
    assert other.artist.name == "PIG1987" and lines_of("PIG 1987 X") == ["PIG1987"]
    assert m.LoadRun.objects.filter(trigger="admin").count() == 2

    page.goto(page.base + "/admin/warehouse/royaltyline/")
    header = [cell.strip() for cell in page.locator("#result_list thead th").all_text_contents()]
    assert header == ["Sale month", "Artist", "Title", "Store", "Quantity", "Earnings"]
    first = page.locator("#result_list tbody tr").first.locator("th, td").all_inner_texts()
    assert first[0][:2] == "20" and first[-1].endswith(" USD") and "." in first[-1]
    page.screenshot(path=str(screenshots / "admin-royalty-lines.png"))
    assert fits_the_screen(page)


def test_a_tracks_csv_with_one_bad_isrc_shows_the_row_error_and_writes_nothing(page, tmp_path):
    before = sorted(m.Track.objects.values_list("isrc", "title"))
    upload = tmp_path / "tracks.csv"
    upload.write_text(
        "isrc,title,primary_artist,featured_artists\nQZNEW2500101,BRAND NEW,PIG1987,\nQZTAW24963,BROKEN ISRC,ZONE A0,\n"
    )
    page.goto(page.base + "/admin/warehouse/track/import/")
    page.set_input_files("#id_import_file", str(upload))
    page.select_option("#id_format", label="csv")
    page.click("input[type=submit]")
    assert page.locator("h2", has_text="Nothing was imported").inner_text() == "Nothing was imported: 1 row with errors"
    error_row = page.locator("table.import-row-errors tbody tr")
    assert error_row.count() == 1
    cells = error_row.locator("td").all_inner_texts()
    assert cells[0] == "2" and cells[1] == "isrc: ISRC must look like CCXXXYYNNNNN (e.g. QZTAW2496365)."
    assert "Traceback" not in page.content()
    assert page.locator("input[value='Confirm import']").count() == 0
    assert sorted(m.Track.objects.values_list("isrc", "title")) == before


def test_export_then_reimport_of_artists_changes_nothing(page, tmp_path):
    m.Artist.objects.create(name="=FORMULA FRIEND")  # an exported formula cell comes back as the same name
    artists = sorted(m.Artist.objects.values_list("name", "spotify_artist_id", "status"))
    page.goto(page.base + "/admin/warehouse/artist/export/")
    page.select_option("#id_format", label="csv")
    with page.expect_download() as download:
        page.click("input[type=submit]")
    exported = tmp_path / "artists.csv"
    download.value.save_as(str(exported))
    rows = list(csv.reader(io.StringIO(exported.read_text())))
    assert rows[0] == ["name", "spotify_artist_id", "status"] and ["'=FORMULA FRIEND", "", "active"] in rows

    page.goto(page.base + "/admin/warehouse/artist/import/")
    page.set_input_files("#id_import_file", str(exported))
    page.select_option("#id_format", label="csv")
    page.click("input[type=submit]")
    kinds = page.locator("td.import-type").all_inner_texts()
    assert kinds and set(kinds) == {"Skipped"}, page.locator("#content-main").inner_text()[:3000]
    page.click("input[value='Confirm import']")
    assert page.locator(".messagelist").inner_text().strip() == (
        f"Import finished: 0 new, 0 updated, 0 deleted and {len(artists)} skipped artists."
    )
    assert sorted(m.Artist.objects.values_list("name", "spotify_artist_id", "status")) == artists
    assert m.LoadRun.objects.filter(trigger="admin").count() == 0  # nothing changed, nothing announced
