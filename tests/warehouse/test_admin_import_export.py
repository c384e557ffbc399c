"""Admin import (preview, confirm, all-or-nothing) and export (formula escaping) through the test client."""

import io
import os
import re
import tempfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from warehouse import models as m
from warehouse.resources import ArtistAliasResource, TrackResource

pytestmark = pytest.mark.django_db

CSV_FORMAT, XLSX_FORMAT = "0", "1"  # the admins' formats: [CSV, XLSX]


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def preview(client, model_name: str, content: bytes, name: str = "import.csv", fmt: str = CSV_FORMAT):
    response = client.post(
        reverse(f"admin:warehouse_{model_name}_import"),
        {"resource": "0", "format": fmt, "import_file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    return response


def confirm(client, model_name: str, response):
    form = response.context["confirm_form"]
    return client.post(reverse(f"admin:warehouse_{model_name}_process_import"), form.initial, follow=True)


def track_rows():
    """(isrc, title, upc, artists as 'primary; featured…') for every track, to compare whole tables."""
    return sorted(
        (
            t.isrc,
            t.title,
            t.upc,
            "; ".join(f"{ta.artist.name}:{ta.role}" for ta in t.track_artists.order_by("role", "artist__name")),
        )
        for t in m.Track.objects.prefetch_related("track_artists__artist")
    )


# --- Import: bad rows show their error and import nothing -------------------------------------------------------


def test_track_import_with_a_bad_isrc_shows_the_error_and_imports_nothing(staff_client):
    before = track_rows()
    content = (
        b"isrc,title,primary_artist,featured_artists,upc\n"
        b"QZ-NEW-25-00001,NEW ONE,PIG1987,,123\n"  # valid after normalization
        b"QZTAW24963,BROKEN ISRC,ZONE A0,,\n"
    )
    response = preview(staff_client, "track", content)
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [2]
    assert result.invalid_rows[0].error_dict == {"isrc": ["ISRC must look like CCXXXYYNNNNN (e.g. QZTAW2496365)."]}
    assert "confirm_form" not in response.context
    html = response.content.decode()
    assert "ISRC must look like CCXXXYYNNNNN" in html and "BROKEN ISRC" in html
    assert track_rows() == before
    assert not m.Track.objects.filter(isrc="QZNEW2500001").exists()
    upload = response.context["form"].cleaned_data["import_file"].tmp_storage_name
    assert not os.path.exists(os.path.join(tempfile.gettempdir(), upload))  # the rejected upload is not left behind


def test_track_import_with_an_unknown_artist_shows_the_error_and_imports_nothing(staff_client):
    before = track_rows()
    content = (
        b"isrc,title,primary_artist,featured_artists\n"
        b"QZNEW2500002,GOOD ROW,zone.a0,\n"
        b"QZNEW2500003,WHO IS THIS,PIG1987,NOBODY\n"
        b"QZNEW2500004,NO ONE,NOBODY ELSE,\n"
    )
    response = preview(staff_client, "track", content)
    result = response.context["result"]
    assert {row.number: row.error_dict for row in result.invalid_rows} == {
        2: {"featured_artists": ["Unknown artist 'NOBODY': create the artist (or map the alias) first."]},
        3: {"primary_artist": ["Unknown artist 'NOBODY ELSE': create the artist (or map the alias) first."]},
    }
    assert "confirm_form" not in response.context
    assert "Unknown artist &#x27;NOBODY&#x27;" in response.content.decode()
    assert track_rows() == before


def test_confirm_step_is_all_or_nothing_even_if_data_changed_after_the_preview(staff_client):
    artist = m.Artist.objects.create(name="SHORT LIVED")
    content = b"isrc,title,primary_artist\nQZNEW2500005,FIRST,PIG1987\nQZNEW2500006,SECOND,SHORT LIVED\n"
    response = preview(staff_client, "track", content)
    assert "confirm_form" in response.context
    artist.delete()  # between preview and confirm: row 2 is now invalid
    done = confirm(staff_client, "track", response)
    assert "Nothing imported: rows [2] are invalid" in done.content.decode()
    assert not m.Track.objects.filter(isrc__in=["QZNEW2500005", "QZNEW2500006"]).exists()


def test_confirm_step_waits_for_no_running_load(staff_client):
    import threading

    from django.db import connections

    from warehouse.load_lock import load_lock

    response = preview(staff_client, "track", b"isrc,title,primary_artist\nQZNEW2500010,DURING LOAD,PIG1987\n")
    held, release = threading.Event(), threading.Event()

    def loader():  # another connection holds the load lock, like load_curated in its own process
        try:
            with load_lock(abort_stale=False):
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=loader)
    thread.start()
    try:
        assert held.wait(10)
        done = confirm(staff_client, "track", response)
    finally:
        release.set()
        thread.join()
    assert "Nothing imported: a load is running." in done.content.decode()
    assert not m.Track.objects.filter(isrc="QZNEW2500010").exists()
    upload = response.context["confirm_form"].initial["import_file_name"]
    assert not os.path.exists(os.path.join(tempfile.gettempdir(), upload))


# --- Import: good files create and update rows ------------------------------------------------------------------


def test_good_track_import_creates_and_updates_tracks_with_their_artists(staff_client):
    content = (
        b"isrc,title,primary_artist,featured_artists,upc,release_date,release_type\n"
        b"qz-new-25-00007,NEW SINGLE,ZONE A0,pig1987,199000000007,2025-05-01,single\n"
        b"QZTAW2496365,HOLD ON I,ZONE A0,ZONE A0 X SXNCTUARY,198667254765,,\n"
    )
    response = preview(staff_client, "track", content)
    assert [row.import_type for row in response.context["result"].rows] == ["new", "update"]
    assert not m.Track.objects.filter(isrc="QZNEW2500007").exists()  # the preview is a rolled-back dry run
    done = confirm(staff_client, "track", response)
    assert "Import finished: 1 new, 1 updated, 0 deleted and 0 skipped tracks." in done.content.decode()
    new = m.Track.objects.get(isrc="QZNEW2500007")
    assert (new.title, new.upc, str(new.release_date), new.release_type) == (
        "NEW SINGLE",
        "199000000007",
        "2025-05-01",
        "single",
    )

    def links(track):
        return sorted((ta.artist.name, ta.role, ta.label_share_pct) for ta in track.track_artists.all())

    assert links(new) == [("PIG1987", "featured", 100), ("ZONE A0", "primary", 100)]
    assert links(m.Track.objects.get(isrc="QZTAW2496365")) == [
        ("ZONE A0", "primary", 100),
        ("ZONE A0 X SXNCTUARY", "featured", 100),
    ]


def test_track_import_keeps_a_confirmed_share(staff_client):
    link = m.TrackArtist.objects.get(track__isrc="QZTAW2496366", artist__name="ZONE A0")
    link.label_share_pct, link.share_confirmed = 50, True
    link.save()
    response = preview(staff_client, "track", b"isrc,title,primary_artist\nQZTAW2496366,HOLD ON II,ZONE A0\n")
    confirm(staff_client, "track", response)
    link.refresh_from_db()
    assert (link.label_share_pct, link.share_confirmed, link.role) == (50, True, "primary")


def test_good_xlsx_import_of_artists_and_aliases(staff_client):
    artists = xlsx_bytes([["name", "spotify_artist_id", "status"], ["  deep  curse ", "", "active"]])
    response = preview(staff_client, "artist", artists, name="artists.xlsx", fmt=XLSX_FORMAT)
    confirm(staff_client, "artist", response)
    deep = m.Artist.objects.get(name="DEEP CURSE")
    assert (deep.spotify_artist_id, deep.status) == (None, "active")

    aliases = xlsx_bytes([["alias", "artist"], ["deepcurse", "DEEP CURSE"], ["Zone.A0", "ZONE A0"], ["mystery", ""]])
    response = preview(staff_client, "artistalias", aliases, name="aliases.xlsx", fmt=XLSX_FORMAT)
    assert [row.import_type for row in response.context["result"].rows] == ["new", "skip", "new"]
    confirm(staff_client, "artistalias", response)
    got = {a.alias: (a.alias_key, a.artist.name if a.artist else None) for a in m.ArtistAlias.objects.all()}
    assert got["deepcurse"] == ("deepcurse", "DEEP CURSE")
    assert got["zone.a0"] == ("zone.a0", "ZONE A0")  # case-insensitive match: updated, not duplicated
    assert got["mystery"] == ("mystery", None)  # no artist: waits in the unmatched queue
    assert "Zone.A0" not in got


def test_alias_import_with_an_unknown_artist_or_platform_imports_nothing(staff_client):
    response = preview(staff_client, "artistalias", b"alias,artist\nnew alias,ZONE A0\nbad alias,NOT AN ARTIST\n")
    assert {row.number: row.error_dict for row in response.context["result"].invalid_rows} == {
        2: {"artist": ["Unknown artist 'NOT AN ARTIST': create the artist (or map the alias) first."]}
    }
    assert not m.ArtistAlias.objects.filter(alias_key__in=["new alias", "bad alias"]).exists()
    response = preview(staff_client, "storealias", b"store,platform\nTencent,Nowhere Music\n")
    assert {row.number: row.error_dict for row in response.context["result"].invalid_rows} == {
        1: {"platform": ["Unknown platform 'Nowhere Music'."]}
    }
    assert not m.StoreAlias.objects.filter(store="Tencent").exists()


def test_store_alias_import_maps_by_platform_name_or_slug(staff_client):
    m.StoreAlias.objects.create(store="Tencent")
    response = preview(staff_client, "storealias", b"store,platform\nTencent,netease\nAnghami,Deezer\n")
    confirm(staff_client, "storealias", response)
    assert {s.store: s.platform.slug for s in m.StoreAlias.objects.filter(store__in=["Tencent", "Anghami"])} == {
        "Tencent": "netease",
        "Anghami": "deezer",
    }


def test_artist_import_rejects_a_duplicate_spotify_id(staff_client):
    content = b"name,spotify_artist_id,status\nNEW ACT,1Eu67EqPy2NutiM0lqCarw,active\n"
    response = preview(staff_client, "artist", content)
    assert {row.number: row.error_dict for row in response.context["result"].invalid_rows} == {
        1: {"spotify_artist_id": ["Artist with this Spotify artist id already exists."]}
    }
    assert not m.Artist.objects.filter(name="NEW ACT").exists()


def test_import_needs_change_permission(client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user(username="looker", password="pw-looker-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_track"))
    client.force_login(viewer)
    url = reverse("admin:warehouse_track_import")
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"resource": "0", "format": CSV_FORMAT, "import_file": SimpleUploadedFile("t.csv", b"isrc,title\n")}
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:warehouse_track_export")).status_code == 200  # view permits export


# --- Export: formula escaping ------------------------------------------------------------------------------------

DANGEROUS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\tTAB", "\rCR", "plain", "mid=dle"]
ESCAPED = ["'=1+1", "'+SUM(A1:A2)", "'-2+3", "'@cmd", "'\tTAB", "'\rCR", "plain", "mid=dle"]


def export(client, model_name: str, resource, fmt: str, **params):
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    url = reverse(f"admin:warehouse_{model_name}_export")
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    response = client.post(url, {"resource": "0", "format": fmt, **fields})
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def dangerous_aliases():
    for text in DANGEROUS:
        m.ArtistAlias.objects.create(alias=text)
    return DANGEROUS


def test_csv_export_escapes_formulas(staff_client, dangerous_aliases):
    import csv

    content = export(staff_client, "artistalias", ArtistAliasResource, CSV_FORMAT, matched="no").decode()
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert rows[0] == ["alias", "artist"]
    assert sorted(row[0] for row in rows[1:]) == sorted(ESCAPED)
    assert all(row[1] == "" for row in rows[1:])
    assert len(rows) == 1 + len(DANGEROUS)  # the changelist filter (unmatched only) applies to the export


def test_xlsx_export_escapes_formulas(staff_client, dangerous_aliases):
    content = export(staff_client, "artistalias", ArtistAliasResource, XLSX_FORMAT, matched="no")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == ["alias", "artist"]
    # XML normalizes a stored CR to LF when the sheet is read back; the quote in front is what matters.
    assert sorted(row[0].value for row in rows[1:]) == sorted(v.replace("\r", "\n") for v in ESCAPED)
    assert {row[0].data_type for row in rows[1:]} == {"s"}  # text, never "f" (formula); numbers: the track test


def test_track_export_escapes_titles_and_artist_names(staff_client):
    track = m.Track.objects.create(isrc="QZNEW2500009", title='=HYPERLINK("http://x","y")')
    m.TrackArtist.objects.create(track=track, artist=m.Artist.objects.create(name="@EVIL"), role="primary")
    m.TrackArtist.objects.create(track=track, artist=m.Artist.objects.get(name="PIG1987"), role="featured")
    content = export(staff_client, "track", TrackResource, XLSX_FORMAT, q="QZNEW2500009")
    rows = [[cell.value for cell in row] for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows()]
    assert rows == [
        ["isrc", "title", "primary_artist", "featured_artists", "upc", "release_date", "release_type", "needs_review"],
        ["QZNEW2500009", '\'=HYPERLINK("http://x","y")', "'@EVIL", "PIG1987", None, None, None, 0],
    ]


def test_csv_track_export_round_trips_through_import(staff_client):
    content = export(staff_client, "track", TrackResource, CSV_FORMAT, q="QZES62532055")
    assert content.decode().splitlines() == [
        "isrc,title,primary_artist,featured_artists,upc,release_date,release_type,needs_review",
        "QZES62532055,HEAVEN NIGHTCLUB (feat. ZONE A0),PIG1987,ZONE A0,199084451263,,,0",
    ]
    response = preview(staff_client, "track", content)
    assert [row.import_type for row in response.context["result"].rows] == ["skip"]  # unchanged
    assert response.context["result"].invalid_rows == []
    changed = content.replace(b",ZONE A0,", b",ZONE A0;PIG1987,").replace(b",PIG1987,ZONE", b",ZONE A0,ZONE")
    response = preview(staff_client, "track", changed.replace(b",ZONE A0;PIG1987,", b",PIG1987,"))
    assert [row.import_type for row in response.context["result"].rows] == ["update"]  # only the artists changed


# --- Round trip: an export imported unchanged changes nothing ------------------------------------------------------


def totals(response) -> dict:
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), response.content.decode()[-3000:]
    return {kind: result.totals[kind] for kind in ("new", "update", "skip", "delete")}


@pytest.mark.parametrize("fmt", [CSV_FORMAT, XLSX_FORMAT])
def test_export_then_import_of_every_master_table_reports_no_change(staff_client, fmt):
    from warehouse.resources import ArtistResource, StoreAliasResource

    zone = m.Artist.objects.get(name="ZONE A0")
    for text in DANGEROUS[:5] + ["'=already quoted", "mid=dle"]:  # formula-escaped cells come back as stored
        m.ArtistAlias.objects.create(alias=f"{text} alias", artist=zone)
    m.Artist.objects.create(name="=EVIL ARTIST")
    track = m.Track.objects.create(isrc="QZNEW2500010", title="+1 LIVE")
    m.TrackArtist.objects.create(track=track, artist=zone, role="primary")
    for model_name, resource in [
        ("artist", ArtistResource),
        ("track", TrackResource),
        ("artistalias", ArtistAliasResource),
        ("storealias", StoreAliasResource),
    ]:
        rows = {"artist": m.Artist, "track": m.Track, "artistalias": m.ArtistAlias, "storealias": m.StoreAlias}[
            model_name
        ].objects.count()
        name = f"export.{'csv' if fmt == CSV_FORMAT else 'xlsx'}"
        content = export(staff_client, model_name, resource, fmt)
        response = preview(staff_client, model_name, content, name=name, fmt=fmt)
        assert (model_name, totals(response)) == (model_name, {"new": 0, "update": 0, "skip": rows, "delete": 0})
    assert m.LoadRun.objects.filter(trigger="admin").count() == 0  # a preview records nothing


def test_a_file_without_its_key_column_shows_a_clear_error_and_no_traceback(staff_client):
    response = preview(staff_client, "track", b"title,primary_artist\nNEW SONG,PIG1987\n")
    html = response.content.decode()
    assert "Nothing was imported" in html
    errors = re.findall(r'<li class="import-file-error">(.*?)</li>', html, re.DOTALL)
    assert errors == [
        "The file could not be imported: The following fields are declared in &#x27;import_id_fields&#x27; but are "
        "not present in the file headers: isrc"
    ]
    assert "Traceback" not in html and "File &quot;" not in html and "site-packages" not in html
    assert "confirm_form" not in response.context
    assert not m.Track.objects.filter(title="NEW SONG").exists()


def test_a_row_error_names_the_row_and_the_problem(staff_client):
    content = b"isrc,title,primary_artist\nQZNEW2500011,FINE,PIG1987\nNOT-AN-ISRC,BROKEN,PIG1987\n"
    html = preview(staff_client, "track", content).content.decode()
    assert "Traceback" not in html
    assert re.search(
        r"<td>2</td>\s*<td class=\"errors\"><ul class=\"errorlist\">\s*<li><strong>isrc</strong>: ISRC must look like",
        html,
    )
    assert not m.Track.objects.filter(isrc="QZNEW2500011").exists()


@pytest.mark.parametrize("fmt", [CSV_FORMAT, XLSX_FORMAT])
def test_an_import_over_the_bounds_is_refused_before_it_is_read(staff_client, settings, fmt):
    settings.ADMIN_IMPORT_MAX_ROWS = 3
    rows = [["alias", "artist"]] + [[f"name {n}", "PIG1987"] for n in range(4)]
    content = "".join(f"{a},{b}\n" for a, b in rows).encode() if fmt == CSV_FORMAT else xlsx_bytes(rows)
    response = staff_client.post(
        reverse("admin:warehouse_artistalias_import"),
        {
            "resource": "0",
            "format": fmt,
            "import_file": SimpleUploadedFile("big." + ("csv" if fmt == "0" else "xlsx"), content),
        },
    )
    assert response.status_code == 200 and "result" not in response.context
    assert response.context["form"].non_field_errors() == [
        f"big.{'csv' if fmt == '0' else 'xlsx'} has more than 3 rows (ADMIN_IMPORT_MAX_ROWS). "
        "Split the file and import the parts."
    ]
    settings.ADMIN_IMPORT_MAX_ROWS, settings.ADMIN_IMPORT_MAX_BYTES = 5000, 20
    response = staff_client.post(
        reverse("admin:warehouse_artistalias_import"),
        {
            "resource": "0",
            "format": fmt,
            "import_file": SimpleUploadedFile("big.csv", content),
        },
    )
    assert response.context["form"].non_field_errors() == [
        f"big.csv is {len(content):,} bytes; the limit is 20 bytes (ADMIN_IMPORT_MAX_BYTES). "
        "Split the file and import the parts."
    ]
    assert not m.ArtistAlias.objects.filter(alias__startswith="name ").exists()


def test_xlsx_export_of_a_table_with_control_characters_keeps_every_row(staff_client):
    m.ArtistAlias.objects.create(alias="BELL\x07NAME")
    m.ArtistAlias.objects.create(alias="UNIT\x1fSEPARATOR")  # PostgreSQL refuses NUL in text; 0x1f it keeps
    content = export(staff_client, "artistalias", ArtistAliasResource, XLSX_FORMAT, matched="no")
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows()]
    assert sorted(rows) == [["BELL\ufffdNAME", None], ["UNIT\ufffdSEPARATOR", None], ["alias", "artist"]]
