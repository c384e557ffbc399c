"""Spotify songs (contract §2.4), built from the contract: the tracks dimension (first_seen min / last_updated
max across copies, no ISRC link) and the song metrics (bad_enum time_period, "1,234" counts, stub tracks for ids
no dimension named, newest file wins per key, windows never summed), with idempotency."""

import datetime as dt

import pytest

from tests.etl.helpers import fingerprint
from tests.etl.sources.conftest import counts, load, put, quarantined
from warehouse.models import SourceFile, SpotifySongMetric, SpotifyTrack

pytestmark = pytest.mark.django_db

DIM = [
    "track_id",
    "track_name",
    "track_uri",
    "release_date",
    "image_url",
    "artist_id",
    "artist_name",
    "first_seen",
    "last_updated",
]
FACT = [
    "track_id",
    "artist_id",
    "artist_name",
    "time_period",
    "extraction_date",
    "streams",
    "listeners",
    "savers",
    "canvas_views",
    "curated_at",
]
ZONE = "62owJQCD2XzVB2o19CVsFM"
T1, T2, T3 = "4uLU6hMCjMI75M1A2tKUQC", "7ouMYWpwJ422jRcDASZB7P", "0VjIjW4GlUZAMYd2vXMi3b"
DIM_OLD = "spotify_tracks_dimension_20250701_000000.csv"
DIM_NEW = "spotify_tracks_dimension_20250801_000000.csv"
FACT_OLD = "spotify_song_metrics_curated_20250701_000000.csv"
FACT_NEW = "spotify_song_metrics_curated_20250801_000000.csv"


def test_dimension_copies_keep_min_first_seen_and_max_last_updated(lake):
    put(
        lake,
        DIM_OLD,
        DIM,
        [
            [
                T1,
                "HOLD ON I",
                f"spotify:track:{T1}",
                "2024-08-23",
                "https://i.scdn.co/image/a",
                ZONE,
                "zone_a0",
                "2025-06-01",
                "2025-07-01T10:00:00",
            ],
            [T2, "LUNA", f"spotify:track:{T2}", "", "", ZONE, "zone_a0", "2025-06-15", "2025-07-01T10:00:00.123456"],
        ],
    )
    put(
        lake,
        DIM_NEW,
        DIM,
        [
            [
                T1,
                "HOLD ON I",
                f"spotify:track:{T1}",
                "2024-08-23",
                "https://i.scdn.co/image/b",
                ZONE,
                "zone_a0",
                "2025-06-20",
                "2025-08-01T10:00:00+00:00",
            ],
            [T2, "LUNA", f"spotify:track:{T2}", "", "", ZONE, "zone_a0", "2025-05-01", "2025-06-01T00:00:00"],
        ],
    )
    code, files, _ = load(lake)
    assert code == 0
    assert counts(files[DIM_OLD]) == ("loaded", 2, 2, 0, 0, 0, None)
    assert counts(files[DIM_NEW]) == ("loaded", 2, 0, 2, 0, 0, None)
    tracks = {
        t.spotify_track_id: (
            t.name,
            t.image_url,
            t.release_date,
            t.first_seen,
            t.last_updated,
            t.artist.name,
            t.track,
            t.is_stub,
        )
        for t in SpotifyTrack.objects.select_related("artist")
    }
    assert tracks == {
        T1: (
            "HOLD ON I",
            "https://i.scdn.co/image/b",
            dt.date(2024, 8, 23),
            dt.date(2025, 6, 1),
            dt.datetime(2025, 8, 1, 10, tzinfo=dt.UTC),
            "ZONE A0",
            None,
            False,
        ),
        T2: (
            "LUNA",
            "",
            None,
            dt.date(2025, 5, 1),
            dt.datetime(2025, 7, 1, 10, 0, 0, 123456, tzinfo=dt.UTC),
            "ZONE A0",
            None,
            False,
        ),
    }
    code, files, _ = load(lake)
    assert [files[p]["status"] for p in (DIM_OLD, DIM_NEW)] == ["skipped", "skipped"]
    # --force replays both copies: the older one never overwrites what the newer one set, so nothing changes.
    code, files, _ = load(lake, "--force")
    assert [counts(files[p]) for p in (DIM_OLD, DIM_NEW)] == [("loaded", 2, 0, 0, 2, 0, None)] * 2
    assert SpotifyTrack.objects.get(spotify_track_id=T1).image_url == "https://i.scdn.co/image/b"


def test_metrics_bad_enum_stub_tracks_newest_wins(lake):
    put(
        lake,
        DIM_OLD,
        DIM,
        [
            [
                T1,
                "HOLD ON I",
                f"spotify:track:{T1}",
                "2024-08-23",
                "",
                ZONE,
                "zone_a0",
                "2025-06-01",
                "2025-07-01T10:00:00",
            ]
        ],
    )
    put(
        lake,
        FACT_OLD,
        FACT,
        [
            [T1, ZONE, "zone_a0", "28day", "2025-06-30", "1,234", 800, 40, "", "2025-07-01T00:00:00"],
            [T1, ZONE, "zone_a0", "7day", "2025-06-30", 300, 200, 10, 5, "2025-07-01T00:00:00"],
            [T1, ZONE, "zone_a0", "3day", "2025-06-30", 1, 1, 1, 1, "2025-07-01T00:00:00"],  # line 4: bad_enum
            [T3, ZONE, "zone_a0", "1day", "2025-06-30", 50, 40, 2, "", "2025-07-01T00:00:00"],  # no dimension row: stub
        ],
    )
    put(
        lake,
        FACT_NEW,
        FACT,
        [
            [T1, ZONE, "zone_a0", "28day", "2025-06-30", "1,240", 805, 41, "", "2025-08-01T00:00:00"],  # revised
            [T1, ZONE, "zone_a0", "28day", "2025-07-31", 1500, 900, 50, "", "2025-08-01T00:00:00"],
        ],
    )
    code, files, _ = load(lake, "--max-bad-ratio", "0.3")
    assert code == 0
    assert counts(files[FACT_OLD]) == ("loaded", 4, 3, 0, 0, 1, None)
    assert quarantined(FACT_OLD) == [(4, "bad_enum")]
    assert counts(files[FACT_NEW]) == ("loaded", 2, 1, 1, 0, 0, None)
    metrics = {
        (m.spotify_track.spotify_track_id, m.time_period, str(m.extraction_date)): (
            m.streams,
            m.listeners,
            m.savers,
            m.canvas_views,
            m.artist.name,
        )
        for m in SpotifySongMetric.objects.select_related("spotify_track", "artist")
    }
    assert metrics == {
        (T1, "28day", "2025-06-30"): (1240, 805, 41, None, "ZONE A0"),
        (T1, "7day", "2025-06-30"): (300, 200, 10, 5, "ZONE A0"),
        (T3, "1day", "2025-06-30"): (50, 40, 2, None, "ZONE A0"),
        (T1, "28day", "2025-07-31"): (1500, 900, 50, None, "ZONE A0"),
    }
    stub = SpotifyTrack.objects.get(spotify_track_id=T3)
    assert (stub.is_stub, stub.name, stub.track) == (True, "", None)
    assert SourceFile.objects.get(path=FACT_OLD).counters == {"thousands_separator": 1}

    before = fingerprint()
    code, files, _ = load(lake, "--max-bad-ratio", "0.3")
    assert [files[p]["status"] for p in (DIM_OLD, FACT_OLD, FACT_NEW)] == ["skipped"] * 3
    code, files, _ = load(lake, "--max-bad-ratio", "0.3", "--force")
    assert [counts(files[p])[2:5] for p in (FACT_OLD, FACT_NEW)] == [(0, 0, 3), (0, 0, 2)]  # the newest still wins
    assert fingerprint() == before
