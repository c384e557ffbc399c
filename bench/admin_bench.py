"""Admin changelists over a large royalty_line, in one process through the Django test client (a staff user).

Builds a fresh SQLite warehouse (migrate + set-based SQL: N royalty lines over 120 Sale Months from 20 load runs),
then times each admin page against the bare query a changelist page cannot avoid (the newest 50 lines by id) and
against what `show_full_result_count = True` would add (an unfiltered COUNT(*)), in the same run. The last column
compares each page with the unfiltered first page: a filter that needs a sort or a scan of every line shows there.

    .venv/bin/python bench/admin_bench.py                    # 1,000,000 lines
    .venv/bin/python bench/admin_bench.py --lines 200000     # quicker

Results: printed as a Markdown table; docs/PERFORMANCE.md (admin section) records a run.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

from production_env import production_env

BASE = Path(__file__).resolve().parent.parent
OUT = BASE / "bench" / "out"
DB = OUT / "admin_bench.sqlite3"
RUNS = 20


def setup_django() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(DB) + suffix).unlink(missing_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.update(production_env(database=DB, hosts="testserver", LOG_LEVEL="WARNING"))
    import django

    django.setup()
    from django.conf import settings

    # Templates only need static URLs here; the manifest storage would need a collectstatic first.
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def build(lines: int) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from warehouse.models import LoadRun, SourceFile, Track

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with transaction.atomic():
        files = []
        for n in range(20):
            run = LoadRun.objects.create(status="succeeded", started_at=timezone.now(), finished_at=timezone.now())
            files.append(
                SourceFile.objects.create(
                    load_run=run,
                    kind="dk_bank_details",
                    path=f"dk_bank_details/{n}.csv",
                    sha256=f"{n:064x}",
                    status="loaded",
                )
            )
        tracks = Track.objects.bulk_create(Track(isrc=f"QZTST25{k:05d}", title=f"TITLE {k}") for k in range(100))
        with connection.cursor() as cursor:
            cursor.execute("INSERT OR IGNORE INTO country (code, name) VALUES ('US', ''), ('DE', '')")
            cursor.execute("CREATE TEMP TABLE bench_track (k INTEGER PRIMARY KEY, track_id INTEGER, isrc TEXT)")
            cursor.executemany(
                "INSERT INTO bench_track VALUES (%s, %s, %s)", [(k, t.pk, t.isrc) for k, t in enumerate(tracks)]
            )
            cursor.execute("CREATE TEMP TABLE bench_file (k INTEGER PRIMARY KEY, file_id INTEGER, run_id INTEGER)")
            cursor.executemany(
                "INSERT INTO bench_file VALUES (%s, %s, %s)", [(k, f.pk, f.load_run_id) for k, f in enumerate(files)]
            )
            cursor.execute(
                """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s)
                INSERT INTO royalty_line (reporting_date, sale_month, store, platform_id, artist_id, artist_raw,
                    track_id, isrc, upc, title, quantity, team_pct, song_or_album, country_code, withheld_usd,
                    earnings_usd, is_adjustment, row_hash, occurrence, first_seen_file_id, last_seen_file_id,
                    retracted_by_file_id, load_run_id, source_file_id, source_line)
                SELECT date(sm, '+2 months'), sm, 'Spotify', NULL, NULL, 'PIG1987', t.track_id, t.isrc, '',
                    printf('TITLE %%d', i %% 100), i %% 500,
                    1000000, 'Song', CASE WHEN i %% 2 = 0 THEN 'US' ELSE 'DE' END, 0, (i * 7919) %% 90000000,
                    0, printf('%%064x', i), 1, f.file_id, f.file_id, NULL, f.run_id, f.file_id, i + 1
                FROM (SELECT i, date('2016-01-01', '+' || (i %% 120) || ' months') AS sm FROM n) AS g
                JOIN bench_file f ON f.k = g.i %% 20
                JOIN bench_track t ON t.k = g.i %% 100
                """,
                [lines],
            )
            cursor.execute("ANALYZE")
    return {"files": files, "build_s": time.perf_counter() - started}


def map_alias(lines: int) -> float:
    """`artist_alias_save` for a spelling carried by 1 % of the lines, mapped then unmapped (one transaction each);
    the median of 4 saves (a save moves lines both ways, so each one does the same work)."""
    from warehouse import services
    from warehouse.models import Artist, ArtistAlias, RoyaltyLine

    RoyaltyLine.objects.filter(id__in=RoyaltyLine.objects.filter(source_line__endswith="00").values("id")).update(
        artist_raw="Zone Aa0"
    )
    services.royalty_aggregates_rebuild()
    alias = ArtistAlias.objects.create(alias="Zone Aa0")
    zone = Artist.objects.get(name="ZONE A0")
    samples = []
    for n in range(4):
        alias.artist = zone if n % 2 == 0 else None
        started = time.perf_counter()
        moved = services.artist_alias_save(alias=alias)
        samples.append(time.perf_counter() - started)
        assert moved == lines // 100, moved
    return statistics.median(samples) * 1000


def timed(fn) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    sys.path.insert(0, str(BASE))
    setup_django()
    built = build(args.lines)
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from warehouse.models import RoyaltyLine

    staff = get_user_model().objects.create_user(
        username="bench", password=secrets.token_urlsafe(12), is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(staff)
    url = reverse("admin:warehouse_royaltyline_changelist")
    run_id = built["files"][7].load_run_id
    middle = max(1, args.lines // 100)  # 50 lines a page

    def page(params=None):
        def get():
            response = client.get(url, params or {})
            assert response.status_code == 200, response.status_code

        return get

    def sql(query):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(query)
                cursor.fetchall()

        return run

    baseline = timed(sql("SELECT * FROM royalty_line ORDER BY id DESC LIMIT 50"))
    rows = [
        ("bare query: newest 50 lines (baseline)", baseline),
        (
            "unfiltered COUNT(*) (what show_full_result_count=True adds)",
            timed(sql("SELECT COUNT(*) FROM royalty_line")),
        ),
        ("changelist, page 1", timed(page())),
        ("changelist, filtered by load run", timed(page({"load_run": run_id}))),
        (
            "changelist, filtered by Sale Month (one month)",
            timed(page({"sale_month__gte": "2020-01-01", "sale_month__lt": "2020-02-01"})),
        ),
        ("changelist, date hierarchy: one year (months listed)", timed(page({"sale_month__year": "2020"}))),
        ("changelist, date hierarchy: one month", timed(page({"sale_month__year": "2020", "sale_month__month": "1"}))),
        ("changelist, filtered by source file", timed(page({"source_file": built["files"][3].pk}))),
        (f"changelist, page {middle:,} (OFFSET in the middle)", timed(page({"p": str(middle)}))),
        ("changelist, search an ISRC (1 % of lines, track index)", timed(page({"q": "qz-tst-25-00042"}))),
        ("changelist, search a title (LIKE: scans every line)", timed(page({"q": "TITLE 42"}))),
    ]
    rows.append(("admin index (needs-attention block)", timed(lambda: client.get(reverse("admin:index")))))
    rows.append(("mapping an alias: 1 % of lines move artist (+ aggregates)", map_alias(args.lines)))
    model_admin = admin.site._registry[RoyaltyLine]
    model_admin.show_full_result_count = True
    rows.append(
        ("changelist, filtered by load run, with show_full_result_count=True", timed(page({"load_run": run_id})))
    )
    model_admin.show_full_result_count = False
    print(
        f"\nroyalty_line: {RoyaltyLine.objects.count():,} lines (built in {built['build_s']:.1f} s); "
        f"median of {RUNS} runs\n"
    )
    first_page = rows[2][1]
    print("| page | median ms | × bare query | × changelist page 1 |")
    print("|---|---:|---:|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} | {ms / baseline:.1f} | {ms / first_page:.2f} |")


if __name__ == "__main__":
    main()
