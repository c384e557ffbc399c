"""Staff curation reaches the numbers at once, whichever admin path staff take.

For each path that maps an artist alias (changelist `list_editable`, change form, bulk action, import, the
unmatched-names page) the test checks, against a real daphne serving the same database: the loaded royalty lines
change artist, the full `/api/revenue/artist` body changes on the next request (no stale cache), and each `/ws`
client gets exactly one `update` carrying the curation's load run. With REDIS_URL set the update travels through
channels-redis, otherwise through daphne's load_run watcher.
"""

import asyncio
import datetime as dt
import json
import os
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from websockets.asyncio.client import connect

from tests import factories
from tests.servers import Daphne, child_env
from warehouse import models as m
from warehouse import services

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ORIGIN = "http://localhost:3000"


@pytest.fixture
def lines():
    """Three loaded DistroKid lines: two under a spelling no artist matches yet, one of PIG1987."""
    source_file = factories.SourceFileFactory(path="dk_bank_details/2025-03.csv", kind="dk_bank_details")
    alias = m.ArtistAlias.objects.create(alias="Zone Aa0", first_seen_file=source_file)
    rows = [
        factories.RoyaltyLineFactory(
            source_file=source_file,
            artist=None,
            artist_raw="Zone Aa0",
            earnings_usd=Decimal("1.2500000001"),
            quantity=300,
            source_line=2,
        ),
        factories.RoyaltyLineFactory(
            source_file=source_file,
            artist=None,
            artist_raw="ZONE  aa0",
            store="Apple Music",
            platform=m.Platform.objects.get(slug="apple_music"),
            earnings_usd=Decimal("2.50"),
            quantity=200,
            source_line=3,
        ),
        factories.RoyaltyLineFactory(
            source_file=source_file, earnings_usd=Decimal("4.00"), quantity=100, source_line=4
        ),
    ]
    services.royalty_aggregates_rebuild()
    return {"alias": alias, "lines": rows, "zone": m.Artist.objects.get(name="ZONE A0")}


@pytest.fixture
def server(subprocess_env, tmp_path, private_group):
    daphne = Daphne(
        child_env(subprocess_env, redis_url=os.environ.get("REDIS_URL"), group=private_group), tmp_path / "daphne.log"
    )
    yield daphne
    daphne.stop()


@pytest.fixture
def private_group(settings):
    import uuid

    settings.WS_BROADCAST_GROUP = f"bedrot.test-{uuid.uuid4().hex[:12]}"
    return settings.WS_BROADCAST_GROUP


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def revenue_artist(server, token) -> dict:
    status, body = server.http_get("/api/revenue/artist", {"Authorization": f"Token {token}"})
    assert status == 200, body[:500]
    return json.loads(body)


def expected_body(data: dict, last_updated: str | None) -> dict:
    return {
        "success": True,
        "data": data,
        "metadata": {
            "source": "dk_bank_details.csv",
            "last_updated": last_updated,
            "artists": sorted(data),
            "limitations": [
                "Unmapped DistroKid artist names appear as delivered until staff map them",
                "Revenue includes negative adjustment lines; streams exclude them",
            ],
        },
    }


BEFORE = {
    "PIG1987": {
        "total_revenue": 4.0,
        "total_streams": 100,
        "transaction_count": 1,
        "platforms": ["Spotify"],
        "platform_count": 1,
    },
    "ZONE  aa0": {
        "total_revenue": 2.5,
        "total_streams": 200,
        "transaction_count": 1,
        "platforms": ["Apple Music"],
        "platform_count": 1,
    },
    "Zone Aa0": {
        "total_revenue": 1.25,
        "total_streams": 300,
        "transaction_count": 1,
        "platforms": ["Spotify"],
        "platform_count": 1,
    },
}
AFTER = {
    "PIG1987": BEFORE["PIG1987"],
    "ZONE A0": {
        "total_revenue": 3.75,
        "total_streams": 500,
        "transaction_count": 2,
        "platforms": ["Apple Music", "Spotify"],
        "platform_count": 2,
    },
}


def map_on_changelist(client, alias, artist):
    return client.post(
        reverse("admin:warehouse_artistalias_changelist") + "?matched=no",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": alias.pk,
            "form-0-artist": artist.pk,
            "_save": "Save",
        },
    )


def map_on_change_form(client, alias, artist):
    return client.post(
        reverse("admin:warehouse_artistalias_change", args=[alias.pk]), {"alias": alias.alias, "artist": artist.pk}
    )


def map_by_action(client, alias, artist):
    return client.post(
        reverse("admin:warehouse_artistalias_changelist"),
        {
            "action": "map_to_artist",
            "_selected_action": [alias.pk],
            "artist": artist.pk,
            "index": 0,
        },
    )


def map_by_import(client, alias, artist):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:warehouse_artistalias_import")
    upload = SimpleUploadedFile("aliases.csv", f"alias,artist\n{alias.alias},{artist.name}\n".encode(), "text/csv")
    preview = client.post(url, {"import_file": upload, "format": "0", "resource": "0"})
    assert preview.status_code == 200 and "confirm_form" in preview.context, preview.content.decode()[-2000:]
    confirm = preview.context["confirm_form"]
    return client.post(
        reverse("admin:warehouse_artistalias_process_import"),
        {
            "import_file_name": confirm.initial["import_file_name"],
            "original_file_name": "aliases.csv",
            "format": confirm.initial["format"],
            "resource": confirm.initial.get("resource", "0"),
        },
    )


def map_on_unmatched_page(client, alias, artist):
    return client.post(
        reverse("admin:warehouse_unmatched"), {"kind": "artist_alias", "pk": alias.pk, "artist": artist.pk}
    )


PATHS = {
    "changelist": map_on_changelist,
    "change_form": map_on_change_form,
    "action": map_by_action,
    "import": map_by_import,
    "unmatched_page": map_on_unmatched_page,
}


async def recv(ws, timeout=5) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def nothing_within(ws, seconds) -> bool:
    try:
        frame = await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected frame: {frame[:300]}")


@pytest.mark.parametrize("path", PATHS)
def test_mapping_an_alias_reaches_lines_api_and_websocket_at_once(path, lines, server, staff_client, plain_user):
    token = factories.api_token_for(plain_user)
    previous = revenue_artist(server, token)
    assert previous == expected_body(BEFORE, "2025-06-01T12:01:00Z")  # and now cached by daphne

    async def scenario():
        async with connect(server.ws_url, origin=ORIGIN, subprotocols=["bearer", token]) as ws:
            assert (await recv(ws))["data"]["state"] == "connected"
            await ws.send(json.dumps({"type": "subscribe", "metrics": ["revenue"]}))
            await recv(ws)  # subscription confirmed
            assert (await recv(ws))["type"] == "update"  # the current snapshot
            await asyncio.sleep(1.1)  # past the client's 1 s throttle window
            response = await asyncio.to_thread(PATHS[path], staff_client, lines["alias"], lines["zone"])
            assert response.status_code == 302, response.content.decode()[-2000:]
            update = await recv(ws)
            assert await nothing_within(ws, 2.5)  # exactly one update
            return update

    update = asyncio.run(scenario())
    run = m.LoadRun.objects.get(trigger=m.LoadRun.Trigger.ADMIN)
    assert (run.status, run.rows_changed, run.finished_at is not None) == ("succeeded", 2, True)
    assert update["type"] == "update" and update["data"]["load_run_id"] == run.pk
    assert revenue_artist(server, token) == expected_body(AFTER, run.finished_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert [line.artist_id for line in m.RoyaltyLine.objects.order_by("source_line")] == [
        lines["zone"].pk,
        lines["zone"].pk,
        m.Artist.objects.get(name="PIG1987").pk,
    ]
    assert list(
        m.RoyaltyMonthlyAggregate.objects.order_by("store").values_list(
            "store", "artist__name", "artist_raw", "earnings_usd", "quantity", "line_count"
        )
    ) == [
        ("Apple Music", "ZONE A0", "", Decimal("2.50"), 200, 1),
        ("Spotify", "PIG1987", "", Decimal("4.00"), 100, 1),
        ("Spotify", "ZONE A0", "", Decimal("1.2500000001"), 300, 1),
    ]


def test_remapping_and_unmapping_move_the_lines_back(lines, staff_client):
    """A mapped alias changed to another artist, then cleared: lines and aggregates follow each time."""
    pig = m.Artist.objects.get(name="PIG1987")
    assert map_on_changelist(staff_client, lines["alias"], lines["zone"]).status_code == 302
    assert map_on_change_form(staff_client, lines["alias"], pig).status_code == 302
    assert set(m.RoyaltyLine.objects.values_list("artist_id", flat=True)) == {pig.pk}
    assert sorted(m.RoyaltyMonthlyAggregate.objects.values_list("store", "artist_id", "line_count")) == [
        ("Apple Music", pig.pk, 1),
        ("Spotify", pig.pk, 2),
    ]
    response = staff_client.post(
        reverse("admin:warehouse_artistalias_change", args=[lines["alias"].pk]), {"alias": "Zone Aa0", "artist": ""}
    )
    assert response.status_code == 302
    assert list(m.RoyaltyLine.objects.order_by("source_line").values_list("artist_id", flat=True)) == [
        None,
        None,
        pig.pk,
    ]
    assert sorted(m.RoyaltyMonthlyAggregate.objects.values_list("artist_raw", "line_count")) == [
        ("", 1),
        ("ZONE  aa0", 1),
        ("Zone Aa0", 1),
    ]
    assert m.LoadRun.objects.filter(trigger="admin").count() == 3  # one per save, each announced once


def test_store_mapping_on_the_changelist_moves_lines_and_aggregates(staff_client):
    source_file = factories.SourceFileFactory(path="dk_bank_details/2025-03.csv", kind="dk_bank_details")
    store = m.StoreAlias.objects.create(store="Tencent", first_seen_file=source_file)
    factories.RoyaltyLineFactory(source_file=source_file, store="Tencent", platform=None, earnings_usd=Decimal("0.3"))
    services.royalty_aggregates_rebuild()
    netease = m.Platform.objects.get(slug="netease")
    response = staff_client.post(
        reverse("admin:warehouse_storealias_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": store.pk,
            "form-0-platform": netease.pk,
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert list(m.RoyaltyLine.objects.values_list("platform_id", flat=True)) == [netease.pk]
    assert list(m.RoyaltyMonthlyAggregate.objects.values_list("platform_id", "earnings_usd")) == [
        (netease.pk, Decimal("0.3"))
    ]
    run = m.LoadRun.objects.get(trigger="admin")
    assert (run.rows_changed, run.options) == (1, {"changes": ["store 'Tencent' → NetEase Cloud Music"]})


def test_an_artist_rename_is_a_curation_run_and_health_still_reports_the_last_load(staff_client, client):
    loaded = factories.LoadRunFactory(status="succeeded", finished_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    artist = m.Artist.objects.get(name="ZONE A0")
    response = staff_client.post(
        reverse("admin:warehouse_artist_change", args=[artist.pk]),
        {
            "name": "ZONE A-ZERO",
            "spotify_artist_id": artist.spotify_artist_id or "",
            "status": artist.status,
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
            "track_artists-TOTAL_FORMS": "0",
            "track_artists-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    run = m.LoadRun.objects.get(trigger="admin")
    assert run.options == {"changes": [f"artist {artist.pk} saved"]}
    from warehouse import lineage, selectors

    assert lineage.load_run_cache_token_get().startswith(f"{run.pk}:")  # the API cache key moved on
    assert selectors.load_run_last_get()["id"] == loaded.pk
