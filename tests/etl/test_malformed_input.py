"""One test per malformed-input class (docs/LOADER.md): the exact outcome (row quarantined at line N with reason X, or
the file rejected with message Y) and the rest of the lake (the DK snapshot) still loaded."""

import pytest

from etl import runs
from tests.etl.helpers import by_path, curated, read_rows, run_loader, write_csv
from tests.etl.test_load_sample_lake import assert_tidy_oracle
from warehouse.models import DistributorDailyStream, QuarantinedRow, RoyaltyLine, SourceFile

pytestmark = pytest.mark.django_db

DK, TIDY = "dk_bank_details.csv", "tidy_daily_streams.csv"
MINE = ("dk_bank_details", "tidy_daily_streams")


def tidy_lines(lake) -> list[str]:
    return curated(lake, TIDY).read_text(encoding="utf-8").split("\n")[:-1]


def write_tidy(lake, lines: list[str], *, end: str = "\n", prefix: bytes = b"") -> None:
    curated(lake, TIDY).write_bytes(prefix + (end.join(lines) + end).encode("utf-8"))


def load(lake, *extra):
    code, payload, err = run_loader("--lake", str(lake), "--source", *MINE, *extra)
    files = by_path(payload)
    assert files[DK]["status"] in ("loaded", "skipped")  # the rest of the lake loaded (or was, by a first run)
    assert RoyaltyLine.objects.filter(retracted_by_file__isnull=True).count() == 8635
    return code, files[TIDY], err


def quarantine(path: str = TIDY) -> list[tuple]:
    return [
        (q.line, q.column, q.reason, [e["reason"] for e in q.errors])
        for q in QuarantinedRow.objects.filter(source_file__path=path).order_by("line")
    ]


def outcome(entry: dict) -> tuple:
    return (entry["status"], entry["reason"], entry["rows_read"], entry["rows_inserted"], entry["rows_quarantined"])


def test_zero_byte_file_is_rejected(lake_copy):
    curated(lake_copy, TIDY).write_bytes(b"")
    code, tidy, err = load(lake_copy)
    assert code == 1
    assert outcome(tidy) == ("rejected", "empty_file", 0, 0, 0)
    assert "tidy_daily_streams.csv: rejected (empty_file): the file has 0 bytes" in err
    record = SourceFile.objects.get(path=TIDY)
    assert (record.status, record.reason) == ("rejected", "empty_file")
    assert DistributorDailyStream.objects.count() == 0


def test_header_only_file_loads_zero_rows(lake_copy):
    write_tidy(lake_copy, tidy_lines(lake_copy)[:1])
    code, tidy, _ = load(lake_copy)
    assert code == 0
    assert outcome(tidy) == ("loaded", None, 0, 0, 0)


def test_bom_and_crlf_load_like_the_original(lake_copy):
    write_tidy(lake_copy, tidy_lines(lake_copy), end="\r\n", prefix="\ufeff".encode())
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 468, 468, 0))
    assert_tidy_oracle()


def test_cr_only_line_ends_keep_line_numbers_and_every_failure_is_recorded(lake_copy):
    lines = tidy_lines(lake_copy)
    day, _, apple, combined, source = lines[10].split(",")
    lines[10] = f"{day},-5,{apple},{combined},{source}"  # physical line 11: negative and no longer adds up
    write_tidy(lake_copy, lines, end="\r")
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 468, 467, 1))
    assert quarantine() == [(11, "spotify_streams", "negative_count", ["negative_count", "combined_mismatch"])]
    row = QuarantinedRow.objects.get()
    assert row.raw == lines[10]
    assert row.message.startswith("spotify_streams: negative_count ('-5')")


def test_another_delimiter_is_rejected_naming_it(lake_copy):
    write_tidy(lake_copy, [line.replace(",", ";") for line in tidy_lines(lake_copy)])
    code, tidy, err = load(lake_copy)
    assert code == 1
    assert outcome(tidy) == ("rejected", "malformed_csv", 0, 0, 0)
    assert (
        "tidy_daily_streams.csv: rejected (malformed_csv): the header is semicolon-separated (';'); "
        "curated files are comma-separated"
    ) in err


def test_truncated_last_line_is_quarantined(lake_copy):
    lines = tidy_lines(lake_copy)
    lines[-1] = "2025-05-24,1077"
    curated(lake_copy, TIDY).write_text("\n".join(lines), encoding="utf-8")  # no final line end either
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 468, 467, 1))
    assert quarantine() == [(469, "", "malformed_row", ["malformed_row"])]
    assert QuarantinedRow.objects.get().message == "line 469: 2 fields, the header has 5"


def test_unterminated_quote_is_quarantined(lake_copy):
    lines = tidy_lines(lake_copy)
    lines[-1] = '2025-05-24,"1077,0,1077,toolost'
    write_tidy(lake_copy, lines)
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 468, 467, 1))
    assert quarantine() == [(469, "", "malformed_row", ["malformed_row"])]
    assert QuarantinedRow.objects.get().message == "line 469: unterminated quote"


def test_wrong_field_count_mid_file_is_quarantined(lake_copy):
    lines = tidy_lines(lake_copy)
    lines[19] += ",extra"
    write_tidy(lake_copy, lines)
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 468, 467, 1))
    assert quarantine() == [(20, "", "malformed_row", ["malformed_row"])]


def test_non_utf8_bytes_reject_the_file_naming_the_line(lake_copy):
    data = curated(lake_copy, TIDY).read_bytes().split(b"\n")
    data[9] = data[9].replace(b"distrokid", b"distr\xffokid")
    curated(lake_copy, TIDY).write_bytes(b"\n".join(data))
    code, tidy, err = load(lake_copy)
    assert code == 1
    assert outcome(tidy) == ("rejected", "not_utf8", 0, 0, 0)
    offset = len(b"\n".join(data[:9])) + 1 + data[9].index(b"\xff")
    assert (
        f"tidy_daily_streams.csv: rejected (not_utf8): invalid UTF-8 byte 0xff at byte offset {offset} (line 10)" in err
    )


def test_renamed_column_rejects_the_file_naming_it(lake_copy):
    lines = tidy_lines(lake_copy)
    lines[0] = "date,spotify_streams,apple,combined_streams,source"
    write_tidy(lake_copy, lines)
    code, tidy, err = load(lake_copy)
    assert code == 1
    assert outcome(tidy) == ("rejected", "missing_required_column", 0, 0, 0)
    assert "tidy_daily_streams.csv: rejected (missing_required_column): missing apple_streams (line 1)" in err
    assert DistributorDailyStream.objects.count() == 0


def test_identical_duplicate_collapses_and_conflicting_duplicates_are_all_quarantined(lake_copy):
    lines = tidy_lines(lake_copy)
    write_tidy(lake_copy, [*lines, lines[1]])
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 469, 468, 0))
    assert SourceFile.objects.get(path=TIDY).counters["duplicates_identical"] == 1

    write_tidy(lake_copy, [*lines, "2024-08-23,41,0,41,distrokid"])
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 469, 0, 2))
    assert quarantine() == [
        (2, "date,source", "duplicate_key_conflict", ["duplicate_key_conflict"]),
        (470, "date,source", "duplicate_key_conflict", ["duplicate_key_conflict"]),
    ]
    assert DistributorDailyStream.objects.get(date="2024-08-23", source="distrokid").spotify_streams == 40  # kept


def test_thousands_separators_and_scientific_notation_are_numbers(lake_copy):
    lines = tidy_lines(lake_copy)
    lines[1] = '2024-08-23,"1,234",0,"1,234",distrokid'
    lines[2] = "2024-08-24,1.7e1,0,17,distrokid"  # integral: 17
    lines[3] = "2024-08-25,1.25e1,0,12,distrokid"  # 12.5 → non_integer
    write_tidy(lake_copy, lines)
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 468, 467, 1))
    stored = DistributorDailyStream.objects.filter(source="distrokid").order_by("date")
    assert [(str(r.date), r.spotify_streams, r.combined_streams) for r in stored[:2]] == [
        ("2024-08-23", 1234, 1234),
        ("2024-08-24", 17, 17),
    ]
    assert quarantine() == [(4, "spotify_streams", "non_integer", ["non_integer"])]
    counters = SourceFile.objects.get(path=TIDY).counters
    assert (counters["thousands_separator"], counters["integral_float"]) == (2, 1)


def test_nan_is_a_bad_number(lake_copy):
    lines = tidy_lines(lake_copy)
    lines[4] = "2024-08-27,NaN,0,52,distrokid"
    write_tidy(lake_copy, lines)
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 468, 467, 1))
    assert quarantine() == [(5, "spotify_streams", "bad_number", ["bad_number"])]


@pytest.mark.parametrize(
    ("date", "reason"), [("2025-02-30", "bad_date"), ("2999-01-01", "future_date"), ("27/08/2024", "bad_date")]
)
def test_impossible_and_far_future_dates_are_quarantined(lake_copy, date, reason):
    lines = tidy_lines(lake_copy)
    lines[4] = f"{date},52,0,52,distrokid"
    write_tidy(lake_copy, lines)
    code, tidy, _ = load(lake_copy)
    assert (code, outcome(tidy)) == (0, ("loaded", None, 468, 467, 1))
    assert quarantine() == [(5, "date", reason, [reason])]


def test_formula_strings_load_verbatim_and_are_counted(lake_copy):
    header, rows = read_rows(curated(lake_copy, DK))
    formula = '=HYPERLINK("http://example.invalid","HOLD ON I")'
    rows[0][4] = formula
    write_csv(curated(lake_copy, DK), header, rows)
    code, tidy, _ = load(lake_copy)
    assert code == 0
    assert RoyaltyLine.objects.get(source_line=2).title == formula
    assert SourceFile.objects.get(path=DK).counters["formula_like"] == 1


def test_multiline_quoted_field_keeps_its_starting_line(lake_copy):
    header, rows = read_rows(curated(lake_copy, DK))
    rows[1][4] = "HOLD ON\nII"  # the record on line 3 now spans lines 3-4
    write_csv(curated(lake_copy, DK), header, rows)
    code, _, _ = load(lake_copy)
    assert code == 0
    assert RoyaltyLine.objects.get(source_line=3).title == "HOLD ON\nII"
    assert RoyaltyLine.objects.filter(source_line=4).count() == 0
    assert RoyaltyLine.objects.get(source_line=5).reporting_date.isoformat() == rows[2][0]


def test_too_many_bad_rows_rejects_the_file_and_writes_nothing(lake_copy):
    lines = tidy_lines(lake_copy)
    for index in range(1, 31):
        lines[index] = lines[index].replace("distrokid", "spotify")
    write_tidy(lake_copy, lines)
    code, tidy, err = load(lake_copy)
    assert code == 1
    assert outcome(tidy) == ("rejected", "too_many_bad_rows", 468, 0, 0)
    assert (
        "tidy_daily_streams.csv: rejected (too_many_bad_rows): 30 of 468 rows are bad (6.4% > 5.0%); "
        "first: line 2 column source unknown_source"
    ) in err
    assert (DistributorDailyStream.objects.count(), QuarantinedRow.objects.count()) == (0, 0)

    code, tidy, _ = load(lake_copy, "--max-bad-ratio", "0.1")
    assert (code, outcome(tidy)) == (0, ("loaded", None, 468, 438, 30))
    assert {reason for _, _, reason, _ in quarantine()} == {"unknown_source"}
    assert [line for line, *_ in quarantine()] == list(range(2, 32))


def test_a_file_that_vanishes_mid_run_is_reported_and_the_rest_loads(lake_copy, monkeypatch):
    original = runs.discover

    def discover_then_vanish(*args, **kwargs):
        planned, ignored = original(*args, **kwargs)
        curated(lake_copy, TIDY).unlink()
        return planned, ignored

    monkeypatch.setattr(runs, "discover", discover_then_vanish)
    code, tidy, err = load(lake_copy)
    assert code == 1
    assert outcome(tidy) == ("rejected", "vanished", 0, 0, 0)
    assert "tidy_daily_streams.csv: rejected (vanished): the file disappeared mid-run" in err
