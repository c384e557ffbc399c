"""Spotify audience (contract §2.3), built from the contract: artist by valid id, else by name; malformed ids
ignored; artist_conflict and unknown_artist quarantined; the latest extraction wins inside a file; the newer
file wins across files; idempotency."""

import pytest

from tests.etl.helpers import fingerprint
from tests.etl.sources.conftest import counts, load, put, quarantined
from warehouse.models import ArtistAlias, SourceFile, SpotifyAudienceDaily

pytestmark = pytest.mark.django_db

HEADER = [
    "date",
    "listeners",
    "streams",
    "followers",
    "artist_id",
    "artist_name",
    "extracted_at",
    "source_file",
    "data_source",
    "processed_at",
]
ZONE, PIG = "62owJQCD2XzVB2o19CVsFM", "1Eu67EqPy2NutiM0lqCarw"
OLD = "spotify_audience_curated_20250623_081402.csv"
NEW = "spotify_audience_curated_20250724_043430.csv"


def row(day, listeners, streams, followers, artist_id, name, extracted="2025-06-23T08:14:02.123456"):
    return [
        day,
        listeners,
        streams,
        followers,
        artist_id,
        name,
        extracted,
        f"spotify_audience_{artist_id}_20250623_081402.csv",
        "spotify_audience",
        "2025-06-23T08:20:00.000001",
    ]


def stored() -> dict:
    return {
        (d.artist.name, str(d.date)): (d.listeners, d.streams, d.followers, d.source_alias, d.spotify_artist_id)
        for d in SpotifyAudienceDaily.objects.select_related("artist")
    }


def test_artist_resolution_and_quarantine(lake):
    put(
        lake,
        OLD,
        HEADER,
        [
            row("2025-06-20", 120, 340, 1500, ZONE, "zone_a0"),
            row("2025-06-20", 80, 200, 900, PIG, "pig1987"),
            row("2025-06-21", 81, 210, 901, "20250616", "pig1987"),  # malformed id → by name
            row("2025-06-21", 121, 350, 1502, "unknown", "zone_a0"),  # malformed id → by name
            row("2025-06-22", 1, 1, 1, ZONE, "pig1987"),  # line 6: artist_conflict
            row("2025-06-22", 1, 1, 1, "unknown", "somebody new"),  # line 7: unknown_artist, alias queued
            row("2025-06-23", -5, 1, 1, ZONE, "zone_a0"),  # line 8: negative_count
            row(
                "2025-06-20", 125, 345, 1501, ZONE, "zone_a0", extracted="2025-06-23T09:00:00.000000"
            ),  # later extraction
        ],
    )
    code, files, _ = load(lake, "--max-bad-ratio", "0.5")
    assert code == 0
    assert counts(files[OLD]) == ("loaded", 8, 4, 0, 0, 3, None)
    assert quarantined(OLD) == [(6, "artist_conflict"), (7, "unknown_artist"), (8, "negative_count")]
    assert stored() == {
        ("ZONE A0", "2025-06-20"): (125, 345, 1501, "zone_a0", ZONE),
        ("PIG1987", "2025-06-20"): (80, 200, 900, "pig1987", PIG),
        ("PIG1987", "2025-06-21"): (81, 210, 901, "pig1987", "20250616"),
        ("ZONE A0", "2025-06-21"): (121, 350, 1502, "zone_a0", "unknown"),
    }
    assert ArtistAlias.objects.get(alias_key="somebody new").artist is None
    assert SourceFile.objects.get(path=OLD).counters == {"artist_from_name": 2, "superseded_by_later_extraction": 1}

    before = fingerprint()
    code, files, _ = load(lake, "--max-bad-ratio", "0.5", "--force")
    assert counts(files[OLD]) == ("loaded", 8, 0, 0, 4, 3, None)
    assert fingerprint() == before


def test_newer_file_wins_and_history_is_never_deleted(lake):
    put(
        lake,
        OLD,
        HEADER,
        [row("2025-06-20", 120, 340, 1500, ZONE, "zone_a0"), row("2025-06-21", 121, 350, 1502, ZONE, "zone_a0")],
    )
    put(
        lake,
        NEW,
        HEADER,
        [row("2025-06-21", 130, 360, 1510, ZONE, "zone_a0"), row("2025-06-22", 140, 370, 1520, ZONE, "zone_a0")],
    )
    code, files, _ = load(lake)
    assert code == 0
    assert counts(files[OLD]) == ("loaded", 2, 2, 0, 0, 0, None)
    assert counts(files[NEW]) == ("loaded", 2, 1, 1, 0, 0, None)
    assert {k[1]: v[:3] for k, v in stored().items()} == {
        "2025-06-20": (120, 340, 1500),
        "2025-06-21": (130, 360, 1510),
        "2025-06-22": (140, 370, 1520),
    }
