"""Kind semantics: the DK full-history snapshot diff (retract / add / reinstate, guards, master data) and the
tidy window upsert (never deletes, zero-protection of trailing days, is_partial)."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.etl.helpers import by_path, curated, read_rows, run_loader, write_csv
from warehouse.models import (
    ArtistAlias,
    DistributorDailyStream,
    QuarantinedRow,
    RoyaltyLine,
    SourceFile,
    StoreAlias,
    Track,
    TrackArtist,
)

pytestmark = pytest.mark.django_db

DK, TIDY = "dk_bank_details.csv", "tidy_daily_streams.csv"


def dk(lake, *extra):
    code, payload, err = run_loader("--lake", str(lake), "--source", "dk_bank_details", *extra)
    return code, by_path(payload)[DK], err


def tidy(lake, *extra):
    code, payload, err = run_loader("--lake", str(lake), "--source", "tidy_daily_streams", *extra)
    return code, by_path(payload)[TIDY], err


def counts(entry):
    return (
        entry["status"],
        entry["reason"],
        entry["rows_inserted"],
        entry["rows_updated"],
        entry["rows_unchanged"],
        entry["rows_quarantined"],
    )


def active():
    return RoyaltyLine.objects.filter(retracted_by_file__isnull=True)


def earnings(rows) -> Decimal:
    return sum((Decimal(r[12]) for r in rows), Decimal(0))


def test_newer_snapshot_retracts_adds_and_reinstates_exactly(lake_copy):
    header, rows = read_rows(curated(lake_copy, DK))
    assert dk(lake_copy)[0] == 0
    first = SourceFile.objects.get(path=DK, status="loaded")

    dropped = rows[10:20]
    revised = list(rows[100])
    revised[12] = "1.00000001"  # a revised line is a retraction plus a new line
    added = [["2025-05-30", *row[1:]] for row in rows[:5]]
    newer = rows[:10] + rows[20:100] + [revised] + rows[101:] + added
    write_csv(curated(lake_copy, DK), header, newer)
    code, entry, _ = dk(lake_copy)
    assert code == 0
    assert counts(entry) == ("loaded", None, 6, 0, 8624, 0)
    second = SourceFile.objects.get(path=DK, status="loaded", load_run_id=SourceFile.objects.latest("id").load_run_id)
    assert second.rows_retracted == 11
    assert active().count() == len(newer) == 8630
    assert active().aggregate(s=Sum("earnings_usd"))["s"] == earnings(newer)
    retracted = RoyaltyLine.objects.filter(retracted_by_file=second)
    assert sorted(r.source_line for r in retracted) == [*range(12, 22), 102]  # lines of the first file
    assert RoyaltyLine.objects.count() == 8635 + 6  # retracted, never deleted
    assert active().filter(first_seen_file=second).count() == 6
    assert active().exclude(last_seen_file=second).count() == 0
    assert active().filter(first_seen_file=first).count() == 8624

    # the original again: older than the active snapshot
    write_csv(curated(lake_copy, DK), header, rows)
    code, entry, err = dk(lake_copy)
    assert code == 1 and entry["reason"] == "stale_snapshot"
    assert (
        "dk_bank_details.csv: rejected (stale_snapshot): latest Reporting Date 2025-05-26 is older than the "
        "active snapshot's 2025-05-30"
    ) in err

    # the dropped lines come back: reinstated, not inserted twice
    third = newer + dropped
    write_csv(curated(lake_copy, DK), header, third)
    code, entry, _ = dk(lake_copy)
    assert counts(entry) == ("loaded", None, 0, 10, 8630, 0)
    assert active().count() == 8640
    assert active().aggregate(s=Sum("earnings_usd"))["s"] == earnings(third)
    assert RoyaltyLine.objects.count() == 8641


def test_snapshot_guards(lake_copy):
    header, rows = read_rows(curated(lake_copy, DK))
    write_csv(curated(lake_copy, DK), header, [])
    code, entry, err = dk(lake_copy)
    assert (code, entry["reason"]) == (1, "header_only_snapshot")
    assert "dk_bank_details.csv: rejected (header_only_snapshot): the snapshot holds a header and no rows" in err

    write_csv(curated(lake_copy, DK), header, rows)
    assert dk(lake_copy)[0] == 0
    shrunk = rows[:8000] + [["2025-05-31", *rows[0][1:]]]
    write_csv(curated(lake_copy, DK), header, shrunk)
    code, entry, err = dk(lake_copy)
    assert (code, entry["reason"]) == (1, "shrunk_snapshot")
    assert "8001 rows vs 8635 active (more than 5% fewer); use --accept-shrink" in err
    assert active().count() == 8635

    code, entry, _ = dk(lake_copy, "--accept-shrink")
    assert counts(entry) == ("loaded", None, 1, 0, 8000, 0)
    assert active().count() == 8001
    assert active().aggregate(s=Sum("earnings_usd"))["s"] == earnings(shrunk)


def test_master_data_and_row_rules(lake_copy):
    header, rows = read_rows(curated(lake_copy, DK))
    rows[0][2] = "Tencent"  # line 2: unknown store
    rows[1][3] = "NEW ARTIST"  # line 3: unknown artist
    rows[2][5] = "QZAAA2500001"  # line 4: new ISRC
    rows[3][5] = "qz-taw-24-96365"  # line 5: normalised to QZTAW2496365
    rows[4][5] = "XX123"  # line 6: bad_isrc
    rows[5][5] = ""  # line 7: Song without ISRC → missing_isrc
    rows[6][5], rows[6][9] = "", "Album"  # line 8: Album line, no ISRC: loads with track NULL
    rows[7][7] = "-3"  # line 9: negative_count
    rows[8][9] = "Single"  # line 10: bad_enum
    rows[9][7], rows[9][0] = "1.5", "2025-02-30"  # line 11: two failures, both recorded
    write_csv(curated(lake_copy, DK), header, rows)
    code, entry, _ = dk(lake_copy)
    assert code == 0
    assert counts(entry) == ("loaded", None, 8630, 0, 0, 5)
    quarantined = [
        (q.line, q.reason, [(e["column"], e["reason"]) for e in q.errors])
        for q in QuarantinedRow.objects.order_by("line")
    ]
    assert quarantined == [
        (6, "bad_isrc", [("ISRC", "bad_isrc")]),
        (7, "missing_isrc", [("ISRC", "missing_isrc")]),
        (9, "negative_count", [("Quantity", "negative_count")]),
        (10, "bad_enum", [("Song/Album", "bad_enum")]),
        (11, "bad_date", [("Reporting Date", "bad_date"), ("Quantity", "non_integer")]),
    ]
    file = SourceFile.objects.get(path=DK)
    bad_usd = sum(Decimal(rows[i][12]) for i in (4, 5, 7, 8, 9))
    assert Decimal(file.counters["quarantined_usd"]) == bad_usd
    assert file.counters["isrc_normalized"] == 1
    assert active().aggregate(s=Sum("earnings_usd"))["s"] == earnings(rows) - bad_usd

    line = {r.source_line: r for r in active().filter(source_line__lte=8)}
    assert (line[2].store, line[2].platform_id) == ("Tencent", None)
    assert StoreAlias.objects.get(store="Tencent").platform_id is None
    assert (line[3].artist_raw, line[3].artist_id) == ("NEW ARTIST", None)
    alias = ArtistAlias.objects.get(alias_key="new artist")
    assert (alias.alias, alias.artist_id, alias.first_seen_file_id) == ("NEW ARTIST", None, file.pk)
    track = Track.objects.get(isrc="QZAAA2500001")
    assert (track.title, track.upc, track.needs_review) == (rows[2][4], rows[2][6], True)
    assert list(TrackArtist.objects.filter(track=track).values_list("artist__name", "role")) == [
        (rows[2][3], "primary")
    ]
    assert line[4].track_id == track.pk
    assert (line[5].isrc, line[5].track.isrc) == ("QZTAW2496365", "QZTAW2496365")
    assert (line[8].isrc, line[8].track_id, line[8].song_or_album, line[8].upc) == ("", None, "Album", rows[6][6])


def tidy_rows(lake):
    return read_rows(curated(lake, TIDY))


def stored(day, source):
    row = DistributorDailyStream.objects.get(date=day, source=source)
    return row.spotify_streams, row.apple_streams, row.combined_streams, row.is_partial


def test_an_older_or_shorter_window_never_deletes_and_revised_days_update(lake_copy):
    header, rows = tidy_rows(lake_copy)
    assert tidy(lake_copy)[0] == 0
    before = DistributorDailyStream.objects.aggregate(s=Sum("spotify_streams"))["s"]

    older = [r for r in rows if r[4] == "distrokid" and r[0] <= "2025-01-31"]
    write_csv(curated(lake_copy, TIDY), header, older)
    code, entry, _ = tidy(lake_copy)
    assert counts(entry) == ("loaded", None, 0, 0, len(older), 0)
    assert DistributorDailyStream.objects.count() == 468
    assert DistributorDailyStream.objects.aggregate(s=Sum("spotify_streams"))["s"] == before

    newer = [r for r in rows if r[0] >= "2025-03-01"]
    revised = next(i for i, r in enumerate(newer) if r[0] == "2025-03-01" and r[4] == "distrokid")
    day, spotify, apple, _, source = newer[revised]
    newer[revised] = [day, str(int(spotify) + 10), apple, str(int(spotify) + 10 + int(apple)), source]
    write_csv(curated(lake_copy, TIDY), header, newer)
    code, entry, _ = tidy(lake_copy)
    assert counts(entry) == ("loaded", None, 0, 1, len(newer) - 1, 0)
    assert DistributorDailyStream.objects.count() == 468
    assert DistributorDailyStream.objects.aggregate(s=Sum("spotify_streams"))["s"] == before + 10


def test_an_older_window_arriving_later_never_rolls_counts_back(lake_copy):
    """§2.2 as-of, not arrival: a window whose last date per source is older than the stored rows' never replaces
    them, whatever its mtime or checksum; its rows count `kept_newer`; the newer file seen again stays skipped and
    right. A trailing 0 of the newer window takes an older window's real count, in either order."""
    header, rows = tidy_rows(lake_copy)
    newer = [list(r) for r in rows]
    assert tidy(lake_copy)[0] == 0
    stored_newer = {
        (r.date.isoformat(), r.source): stored(r.date, r.source) for r in DistributorDailyStream.objects.all()
    }

    older = [
        [d, str(int(s) // 2), a, str(int(s) // 2 + int(a)), src]
        for d, s, a, _, src in rows
        if (src == "distrokid" and d <= "2025-07-31") or (src == "toolost" and d <= "2025-05-23")
    ]
    older = [
        [d, s, "27", str(int(s) + 27), src] if (d, src) == ("2025-05-23", "toolost") else [d, s, a, c, src]
        for d, s, a, c, src in older
    ]  # real where the newer window's trailing Apple count is zero-filled
    write_csv(curated(lake_copy, TIDY), header, older)  # arrives later: the newest mtime
    code, entry, _ = tidy(lake_copy)
    assert counts(entry) == ("loaded", None, 0, 1, len(older) - 1, 0)
    assert entry["counters"]["kept_newer"] == len(older)
    assert stored("2025-05-23", "toolost") == (1323, 27, 1350, False)
    assert stored("2025-07-31", "distrokid") == stored_newer[("2025-07-31", "distrokid")]
    run = {(r.date.isoformat(), r.source): stored(r.date, r.source) for r in DistributorDailyStream.objects.all()}
    assert run == {**stored_newer, ("2025-05-23", "toolost"): (1323, 27, 1350, False)}
    assert DistributorDailyStream.objects.get(date="2025-07-31", source="distrokid").as_of.isoformat() == "2025-08-18"

    write_csv(curated(lake_copy, TIDY), header, newer)  # the newer window again: same bytes as its first load
    code, entry, _ = tidy(lake_copy)
    assert counts(entry) == ("loaded", None, 0, 0, len(newer), 0)  # re-applied (a different window came between)
    assert {
        (r.date.isoformat(), r.source): stored(r.date, r.source) for r in DistributorDailyStream.objects.all()
    } == run


def test_trailing_zeros_never_overwrite_stored_counts_and_partial_days_clear(lake_copy):
    header, rows = tidy_rows(lake_copy)
    assert tidy(lake_copy)[0] == 0
    assert stored("2025-08-18", "distrokid") == (0, 5, 5, True)

    zeroed = [list(r) for r in rows]
    for r in zeroed:
        if r[4] == "toolost" and r[0] in ("2025-05-21", "2025-05-22"):  # 05-21 is outside the last 3 dates
            r[1], r[3] = "0", r[2]
        if r[4] == "distrokid" and r[0] == "2025-08-18":
            r[1:4] = ["3800", "5", "3805"]  # the partial day arrives complete
    zeroed.append(["2025-08-19", "0", "4", "4", "distrokid"])  # the new partial day
    write_csv(curated(lake_copy, TIDY), header, zeroed)
    code, entry, _ = tidy(lake_copy)
    assert counts(entry) == ("loaded", None, 1, 2, 466, 0)
    assert stored("2025-05-22", "toolost") == (1120, 29, 1149, False)  # protected: the stored count stays
    assert stored("2025-05-21", "toolost") == (0, 30, 30, False)  # not a trailing day: the file wins
    assert stored("2025-08-18", "distrokid") == (3800, 5, 3805, False)
    assert stored("2025-08-19", "distrokid") == (0, 4, 4, True)
    assert SourceFile.objects.latest("id").counters["zero_protected"] == 1


def test_combined_mismatch_and_unknown_source_are_quarantined(lake_copy):
    header, rows = tidy_rows(lake_copy)
    rows[0][3] = "41"
    rows[1][4] = "spotify"
    write_csv(curated(lake_copy, TIDY), header, rows)
    code, entry, _ = tidy(lake_copy)
    assert counts(entry) == ("loaded", None, 466, 0, 0, 2)
    assert [(q.line, q.column, q.reason) for q in QuarantinedRow.objects.order_by("line")] == [
        (2, "combined_streams", "combined_mismatch"),
        (3, "source", "unknown_source"),
    ]
