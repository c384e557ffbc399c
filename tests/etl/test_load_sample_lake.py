"""Load the bundled real lake through `load_curated` and check every DK and tidy oracle figure of
sample_lake/README.md §4.1–4.2 to the cent (exact sums where the README gives them); then idempotency."""

import shutil
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum

from etl.kinds import KIND_ORDER
from etl.sources import registry
from tests.etl.helpers import by_path, curated, fingerprint, read_rows, run_loader, write_csv
from warehouse.models import DistributorDailyStream, LoadRun, RoyaltyLine, SourceFile

pytestmark = pytest.mark.django_db

DK = "dk_bank_details.csv"
TIDY = "tidy_daily_streams.csv"
MINE = ("dk_bank_details", "tidy_daily_streams")
CENT = Decimal("0.01")

STORES = {  # store: (rows, exact Σ earnings)
    "Spotify": (5488, "1339.10002243"),
    "Apple Music": (716, "135.46771539"),
    "YouTube (Red)": (881, "85.12364458"),
    "YouTube (Ads)": (978, "12.54438399"),
    "iTunes Songs": (6, "4.04093520"),
    "Tidal": (96, "3.82107103"),
    "Amazon Unlimited (Streaming)": (44, "2.83177740"),
    "Deezer": (68, "2.30546149"),
    "TikTok": (235, "1.47724908"),
    "Facebook": (85, "0.13134033"),
    "Pandora": (14, "0.11709261"),
    "Amazon Prime (Streaming)": (11, "0.07968517"),
    "NetEase": (6, "0.00827839"),
    "Flo": (1, "0.00444934"),
    "YouTube (Audio)": (2, "0.00439145"),
    "iTunes Match": (4, "0.00251739"),
}
MONTHS = {
    "2024-08-01": "0.58968701",
    "2024-09-01": "53.32606280",
    "2024-10-01": "164.51594335",
    "2024-11-01": "204.43655367",
    "2024-12-01": "209.41538938",
    "2025-01-01": "277.28323900",
    "2025-02-01": "325.25832312",
    "2025-03-01": "336.87240835",
    "2025-04-01": "15.36240859",
}
ISRCS = {  # ISRC: (Σ earnings in cents, Σ quantity)
    "QZTBF2439187": ("411.75", 131933),
    "QZTAW2496365": ("312.01", 123142),
    "QZTBF2441974": ("226.76", 117999),
    "QZWFK2497196": ("202.98", 73602),
    "QZZ7M2426076": ("102.86", 39238),
    "QZTAW2496366": ("98.01", 40855),
    "QZZ7M2424176": ("61.05", 24225),
    "QZZ7N2490366": ("54.76", 22258),
    "QZTB92494812": ("46.12", 17892),
    "QZZ792400421": ("45.94", 16904),
    "QZES62532055": ("24.29", 8541),
    "QZK6K2562910": ("0.47", 110),
    "QZZ772463135": ("0.03", 9),
    "QZZ772465695": ("0.01", 1),
}


def active():
    return RoyaltyLine.objects.filter(retracted_by_file__isnull=True)


def assert_dk_oracle():
    lines = active()
    totals = lines.aggregate(
        n=Count("id"),
        usd=Sum("earnings_usd"),
        qty=Sum("quantity"),
        first=Min("reporting_date"),
        last=Max("reporting_date"),
        m0=Min("sale_month"),
        m1=Max("sale_month"),
    )
    assert (totals["n"], totals["usd"], totals["qty"]) == (8635, Decimal("1587.06001527"), 616709)
    assert totals["usd"].quantize(CENT, ROUND_HALF_UP) == Decimal("1587.06")
    assert (str(totals["first"]), str(totals["last"]), str(totals["m0"]), str(totals["m1"])) == (
        "2024-10-05",
        "2025-05-26",
        "2024-08-01",
        "2025-04-01",
    )
    assert lines.values("isrc").distinct().count() == 14
    assert lines.values("store").distinct().count() == 16
    assert lines.exclude(country_id="NA").values("country_id").distinct().count() == 136
    assert lines.filter(country_id="NA").count() == 4  # written empty in the file: Namibia, never missing

    artists = {
        r["artist__name"]: (r["n"], r["usd"], r["qty"])
        for r in lines.values("artist__name").annotate(n=Count("id"), usd=Sum("earnings_usd"), qty=Sum("quantity"))
    }
    assert artists == {
        "PIG1987": (3801, Decimal("803.45261958"), 277658),
        "ZONE A0": (4834, Decimal("783.60739569"), 339051),
    }
    stores = {
        r["store"]: (r["n"], r["usd"]) for r in lines.values("store").annotate(n=Count("id"), usd=Sum("earnings_usd"))
    }
    assert stores == {store: (n, Decimal(usd)) for store, (n, usd) in STORES.items()}
    platforms = {r["platform__slug"] for r in lines.values("platform__slug").distinct()}
    assert None not in platforms  # every sample store is a known platform
    months = {str(r["sale_month"]): r["usd"] for r in lines.values("sale_month").annotate(usd=Sum("earnings_usd"))}
    assert months == {month: Decimal(usd) for month, usd in MONTHS.items()}
    per_isrc = {
        r["track__isrc"]: (r["usd"].quantize(CENT, ROUND_HALF_UP), r["qty"])
        for r in lines.values("track__isrc").annotate(usd=Sum("earnings_usd"), qty=Sum("quantity"))
    }
    assert per_isrc == {isrc: (Decimal(usd), qty) for isrc, (usd, qty) in ISRCS.items()}
    negative = lines.filter(earnings_usd__lt=0)
    assert negative.aggregate(n=Count("id"), usd=Sum("earnings_usd"), qty=Sum("quantity")) == {
        "n": 1282,
        "usd": Decimal("-65.66788846"),
        "qty": 74178,
    }
    assert negative.filter(is_adjustment=True).count() == 1282
    assert {r["sale_month"].isoformat(): r["n"] for r in negative.values("sale_month").annotate(n=Count("id"))} == {
        "2025-01-01": 321,
        "2025-02-01": 354,
        "2025-03-01": 607,
    }
    assert set(negative.values_list("store", flat=True).distinct()) == {"Spotify"}
    # lineage on every fact row
    assert RoyaltyLine.objects.filter(Q(source_line__lt=2) | Q(load_run__isnull=True)).count() == 0


def assert_tidy_oracle():
    sources = {
        r["source"]: (r["n"], str(r["d0"]), str(r["d1"]), r["s"], r["a"], r["c"])
        for r in DistributorDailyStream.objects.values("source").annotate(
            n=Count("id"),
            d0=Min("date"),
            d1=Max("date"),
            s=Sum("spotify_streams"),
            a=Sum("apple_streams"),
            c=Sum("combined_streams"),
        )
    }
    assert sources == {
        "distrokid": (361, "2024-08-23", "2025-08-18", 976645, 26109, 1002754),
        "toolost": (107, "2025-02-07", "2025-05-24", 98286, 2655, 100941),
    }
    partial = list(
        DistributorDailyStream.objects.filter(is_partial=True).values_list(
            "date", "source", "spotify_streams", "apple_streams"
        )
    )
    assert [(str(d), s, sp, ap) for d, s, sp, ap in partial] == [("2025-08-18", "distrokid", 0, 5)]


def test_sample_lake_matches_every_oracle_figure(sample_lake):
    code, payload, _ = run_loader("--lake", str(sample_lake))
    assert code == 0
    files = by_path(payload)
    assert {
        k: files[DK][k]
        for k in (
            "kind",
            "status",
            "rows_read",
            "rows_inserted",
            "rows_updated",
            "rows_unchanged",
            "rows_quarantined",
            "reason",
        )
    } == {
        "kind": "dk_bank_details",
        "status": "loaded",
        "rows_read": 8635,
        "rows_inserted": 8635,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "rows_quarantined": 0,
        "reason": None,
    }
    assert files[DK]["sha256"].startswith("da61413ecfce4653")
    assert files[TIDY]["sha256"].startswith("5703a5f54c13ae68")
    assert (files[TIDY]["status"], files[TIDY]["rows_inserted"]) == ("loaded", 468)
    assert_dk_oracle()
    assert_tidy_oracle()
    dk_file = SourceFile.objects.get(path=DK)
    assert dk_file.counters["quarantined_usd"] == "0"
    assert dk_file.counters["active_usd"] == "1587.06001527"
    assert dk_file.counters["country_empty_as_na"] == 4
    run = LoadRun.objects.get(pk=payload["run_id"])
    loaded = [f for f in payload["files"] if f["status"] == "loaded"]
    assert (run.status, run.files_loaded, run.rows_changed) == (
        "succeeded",
        len(loaded),
        sum(f["rows_inserted"] + f["rows_updated"] for f in loaded),
    )
    assert {f["status"] for f in payload["files"]} <= {"loaded", "skipped", "ignored"}  # _latest twins skip


def test_rerun_changes_nothing_and_force_updates_zero_rows(sample_lake):
    run_loader("--lake", str(sample_lake))
    before = fingerprint()
    files_before = SourceFile.objects.count()
    assert before["royalty_line"][0] == 8635 and before["distributor_daily_stream"][0] == 468

    code, payload, _ = run_loader("--lake", str(sample_lake))
    assert code == 0
    assert {f["status"] for f in payload["files"]} <= {"skipped", "ignored"}
    assert {(f["path"], f["status"]) for f in payload["files"] if f["kind"] in MINE} == {
        (DK, "skipped"),
        (TIDY, "skipped"),
    }
    assert fingerprint() == before
    assert SourceFile.objects.count() == files_before  # a skip writes no file record

    code, payload, _ = run_loader("--lake", str(sample_lake), "--force")
    assert code == 0
    loaded = [f for f in payload["files"] if f["status"] == "loaded"]
    assert sum(f["rows_inserted"] + f["rows_updated"] for f in loaded) == 0  # every kind, not only these two
    mine = [f for f in loaded if f["kind"] in MINE]
    assert sorted((f["path"], f["rows_inserted"], f["rows_updated"], f["rows_unchanged"]) for f in mine) == [
        (DK, 0, 0, 8635),
        (TIDY, 0, 0, 468),
    ]
    assert fingerprint() == before
    assert_dk_oracle()


def test_another_file_and_row_order_gives_the_same_warehouse(sample_lake, lake_copy):
    run_loader("--lake", str(sample_lake), "--source", *MINE)
    expected = fingerprint()
    with connection.cursor() as cursor:  # back to an empty fact warehouse (master data stays)
        for table in ("royalty_line", "distributor_daily_stream", "royalty_monthly_agg"):
            cursor.execute(f"DELETE FROM {table}")
    SourceFile.objects.filter(kind__in=MINE).delete()

    for name in (DK, TIDY):  # every row in reverse order
        header, rows = read_rows(curated(lake_copy, name))
        write_csv(curated(lake_copy, name), header, rows[::-1])
    assert run_loader("--lake", str(lake_copy), "--source", "tidy_daily_streams")[0] == 0
    assert run_loader("--lake", str(lake_copy), "--source", "dk_bank_details")[0] == 0
    assert fingerprint() == expected
    assert_dk_oracle()
    assert_tidy_oracle()


def test_dry_run_reports_and_writes_nothing(sample_lake):
    code, payload, err = run_loader("--lake", str(sample_lake), "--dry-run", "--source", *MINE)
    assert code == 0 and payload["run_id"] is None
    assert by_path(payload)[DK]["rows_inserted"] == 8635
    assert (
        RoyaltyLine.objects.count(),
        DistributorDailyStream.objects.count(),
        SourceFile.objects.count(),
        LoadRun.objects.count(),
    ) == (0, 0, 0, 0)
    assert "dry run, nothing written" in err


def test_unknown_files_are_ignored_and_never_read(lake_copy):
    (curated(lake_copy, "submithub_links_analytics_x.csv")).write_bytes(b"\xff\xfe not even utf-8")
    shutil.copy(curated(lake_copy, TIDY), curated(lake_copy, "tidy_daily_streams_copy.csv"))
    code, payload, _ = run_loader("--lake", str(lake_copy), "--source", "tidy_daily_streams", "dk_bank_details")
    assert code == 0
    statuses = {f["path"]: (f["kind"], f["status"]) for f in payload["files"]}
    assert statuses == {DK: ("dk_bank_details", "loaded"), TIDY: ("tidy_daily_streams", "loaded")}
    code, payload, _ = run_loader("--lake", str(lake_copy), "--force")
    ignored = {f["path"]: (f["sha256"], f["rows_read"]) for f in payload["files"] if f["status"] == "ignored"}
    assert ignored["submithub_links_analytics_x.csv"] == (None, 0)
    assert ignored["tidy_daily_streams_copy.csv"] == (None, 0)


def test_usage_errors_exit_2(sample_lake, tmp_path):
    assert run_loader("--lake", str(tmp_path / "missing"))[0] == 2
    code, _, err = run_loader("--lake", str(sample_lake), "--source", "nope")
    assert code == 2 and "unknown kind(s) nope" in err
    assert run_loader("--lake", str(sample_lake), "--max-bad-ratio", "2")[0] == 2
    assert run_loader("--lake", str(sample_lake), "--file", "nope.csv")[0] == 2
    assert run_loader("--lake", str(sample_lake), "--run-id", "999")[0] == 2
    assert LoadRun.objects.count() == 0


def test_queued_api_run_executes_with_its_options_and_broadcasts_once(sample_lake, monkeypatch):
    from realtime import broadcasting

    calls = []
    monkeypatch.setattr(broadcasting, "load_run_committed", lambda *, load_run_id: calls.append(load_run_id))
    queued = LoadRun.objects.create(
        status=LoadRun.Status.QUEUED,
        trigger=LoadRun.Trigger.API,
        options={"kinds": ["tidy_daily_streams"], "force": False, "dry_run": False},
    )
    code, payload, _ = run_loader("--lake", str(sample_lake), "--run-id", str(queued.pk))
    assert code == 0 and payload["run_id"] == queued.pk
    assert [(f["path"], f["status"], f["rows_inserted"]) for f in payload["files"]] == [(TIDY, "loaded", 468)]
    queued.refresh_from_db()
    assert (queued.status, queued.files_loaded, queued.rows_changed) == ("succeeded", 1, 468)
    assert queued.progress == {
        "current_file": None,
        "files_done": 1,
        "files_total": 1,
        "loaded": 1,
        "rows_changed": 468,
    }
    assert calls == [queued.pk]

    code, payload, _ = run_loader("--lake", str(sample_lake), "--source", "tidy_daily_streams")
    assert code == 0 and calls == [queued.pk]  # nothing changed: no broadcast
    assert run_loader("--lake", str(sample_lake), "--run-id", str(queued.pk))[0] == 2  # no longer queued


def test_the_registry_registers_exactly_the_pandas_free_kind_list():
    """etl/kinds.py is what the web process validates refresh kinds against: it must name every registered kind,
    in the registry's order."""
    assert tuple(registry()) == KIND_ORDER
