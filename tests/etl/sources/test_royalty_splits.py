"""`track_catalog_royalty_splits.csv` (contract §2.10), built from the contract: A upserts track + track_artist
share by ISRC; B quarantines every row `no_isrc` (never matched by title); mixed share units reject the file;
share_out_of_range and unknown_artist quarantine; idempotency."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.etl.sources.conftest import counts, load, put, quarantined
from warehouse.models import ArtistAlias, QuarantinedRow, SourceFile, Track, TrackArtist

pytestmark = pytest.mark.django_db

NAME = "track_catalog_royalty_splits.csv"
A = ["artist", "title", "isrc", "upc", "release_date", "release_type", "royalty_percentage"]
B = ["artist", "title", "your_revenue_share"]


def shares() -> dict:
    return {
        (link.track.isrc, link.artist.name): (link.role, link.label_share_pct, link.share_confirmed)
        for link in TrackArtist.objects.select_related("track", "artist").filter(
            track__isrc__in=["QZVEM2588623", "QZTAW2496365", "QZNEW2500001", "QZES62532055"]
        )
    }


def test_variant_a_upserts_tracks_and_shares(lake):
    put(
        lake,
        NAME,
        A,
        [
            ["ZONE A0", "THE SOURCE", "QZVEM2588623", "199000000001", "2025-03-14", "single", "40"],
            ["zone_a0", "HOLD ON I", "qztaw-2496365", "", "", "", "50.5"],  # alias + ISRC normalised
            ["PIG1987", "NEW ONE", "QZNEW2500001", "00199000000002", "2025-07-01", "ep", "100"],  # new track
            ["ZONE A0", "HEAVEN NIGHTCLUB (feat. ZONE A0)", "QZES62532055", "", "", "", "80"],  # featured gets a share
            ["ZONE A0", "BAD", "QZVEM2588624", "", "", "", "120"],  # line 6: share_out_of_range
            ["NOBODY KNOWN", "X", "QZVEM2588625", "", "", "", "40"],  # line 7: unknown_artist
            ["ZONE A0", "X", "NOT-AN-ISRC", "", "", "", "40"],  # line 8: bad_isrc
            ["ZONE A0", "X", "QZVEM2588627", "", "", "mixtape", "40"],  # line 9: bad_enum
        ],
    )
    code, files, _ = load(lake, "--max-bad-ratio", "0.6")
    assert code == 0
    assert counts(files[NAME]) == ("loaded", 8, 1, 3, 0, 4, None)
    assert quarantined(NAME) == [(6, "share_out_of_range"), (7, "unknown_artist"), (8, "bad_isrc"), (9, "bad_enum")]
    assert ArtistAlias.objects.get(alias_key="nobody known").artist is None
    assert shares() == {
        ("QZVEM2588623", "ZONE A0"): ("primary", Decimal("40"), False),
        ("QZTAW2496365", "ZONE A0"): ("primary", Decimal("50.5"), False),
        ("QZNEW2500001", "PIG1987"): ("primary", Decimal("100"), False),
        ("QZES62532055", "PIG1987"): ("primary", Decimal("100"), False),
        ("QZES62532055", "ZONE A0"): ("featured", Decimal("80"), False),
    }
    source = Track.objects.get(isrc="QZVEM2588623")
    assert (source.title, source.upc, source.release_date, source.release_type) == (
        "THE SOURCE",
        "199000000001",
        dt.date(2025, 3, 14),
        "single",
    )
    new = Track.objects.get(isrc="QZNEW2500001")
    assert (new.title, new.upc, new.release_type) == ("NEW ONE", "00199000000002", "ep")  # UPC keeps its zeros
    hold_on = Track.objects.get(isrc="QZTAW2496365")
    assert (hold_on.title, hold_on.upc) == ("HOLD ON I", "198667254765")  # empty cells never blank stored values

    code, files, _ = load(lake, "--max-bad-ratio", "0.6", "--force")
    assert counts(files[NAME]) == ("loaded", 8, 0, 0, 4, 4, None)


def test_variant_b_every_row_no_isrc_never_matched_by_title(lake):
    put(lake, NAME, B, [["ZONE A0", "THE SOURCE", "0.4"], ["ZONE A0", "HOLD ON I", "0.5"], ["SOMEONE", "OASIS", "0.4"]])
    before = shares()
    code, files, _ = load(lake)
    assert code == 0
    assert counts(files[NAME]) == ("loaded", 3, 0, 0, 0, 3, None)
    assert quarantined(NAME) == [(2, "no_isrc"), (3, "no_isrc"), (4, "no_isrc")]
    third = QuarantinedRow.objects.get(source_file__path=NAME, line=4)
    assert [e["reason"] for e in third.errors] == ["no_isrc", "unknown_artist"]
    assert shares() == before  # nothing matched by title
    assert SourceFile.objects.get(path=NAME).schema_variant == "B"


def test_variant_b_share_units(lake):
    put(lake, NAME, B, [["ZONE A0", "THE SOURCE", "40"], ["ZONE A0", "Z1", "0"], ["ZONE A0", "OASIS", "140"]])
    code, files, _ = load(lake)
    assert code == 0
    assert quarantined(NAME) == [(2, "no_isrc"), (3, "no_isrc"), (4, "no_isrc")]
    errors = QuarantinedRow.objects.get(source_file__path=NAME, line=4).errors
    assert [e["reason"] for e in errors] == ["no_isrc", "share_out_of_range"]  # percent file: 140 > 100

    put(lake, NAME, B, [["ZONE A0", "THE SOURCE", "0.4"], ["ZONE A0", "HOLD ON I", "50"]])
    code, files, _ = load(lake)
    assert code == 1
    assert (files[NAME]["status"], files[NAME]["reason"]) == ("rejected", "mixed_share_units")
    assert SourceFile.objects.get(path=NAME, status="rejected").message == (
        f"{NAME}: rejected (mixed_share_units): your_revenue_share mixes fractions below 1 (0.4) with values above 1 "
        "(50): ratio or percent cannot be decided"
    )


def test_duplicate_keys_in_one_file(lake):
    put(
        lake,
        NAME,
        A,
        [
            ["ZONE A0", "THE SOURCE", "QZVEM2588623", "", "", "", "40"],
            ["ZONE A0", "THE SOURCE", "QZVEM2588623", "", "", "", "40"],  # identical: collapses into one (counted)
            ["ZONE A0", "Z1", "QZVEM2588624", "", "", "", "90"],  # lines 4-5: same key, different share
            ["ZONE A0", "Z1", "QZVEM2588624", "", "", "", "80"],
        ]
        + [["PIG1987", f"T{n}", f"QZNEW25{n:05d}", "", "", "single", "100"] for n in range(40)],
    )
    code, files, _ = load(lake)
    assert code == 0
    assert counts(files[NAME]) == ("loaded", 44, 40, 1, 0, 2, None)
    assert quarantined(NAME) == [(4, "duplicate_key_conflict"), (5, "duplicate_key_conflict")]
    assert SourceFile.objects.get(path=NAME).counters == {"duplicates_identical": 1}
    assert shares()[("QZVEM2588623", "ZONE A0")] == ("primary", Decimal("40"), False)
    assert TrackArtist.objects.get(track__isrc="QZVEM2588624").label_share_pct == Decimal("100")  # seeded, untouched
