"""`kpis_get` (GET /api/kpis and every websocket update) on a 1M-line warehouse that `load_curated` built, in-process.

    .venv/bin/python bench/loader_bench.py --lake /tmp/bench_lake --work /tmp/bench_work     # builds the warehouse
    .venv/bin/python bench/kpis_bench.py --database /tmp/bench_work/loader.db                  # SQLite
    .venv/bin/python bench/kpis_bench.py --database-url postgres://…/bench_me                  # PostgreSQL

The warehouse holds the generated lake's snapshots (real ISRCs: ~50 tracks). Prints the median of 5 calls of
`kpis_get`, of its top tracks read from the per-ISRC aggregate and, as the baseline in the same process, of the same
top tracks as one GROUP BY over the active lines (asserted equal). On SQLite it also measures `kpis_get` on a copy
whose planner statistics (sqlite_stat1, left by every load) are deleted: what a load without ANALYZE leaves.
"""

import argparse
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from production_env import production_env

BASE = Path(__file__).resolve().parent.parent


def median_ms(call, runs: int = 5) -> float:
    call()  # warm: connection, caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", type=Path, help="a SQLite warehouse built by load_curated (not modified)")
    where.add_argument("--database-url", help="a PostgreSQL warehouse built by load_curated (read only)")
    args = parser.parse_args()
    copy = None
    if args.database:
        copy = args.database.with_name("kpis_bench.db")
        with sqlite3.connect(args.database) as source, sqlite3.connect(copy) as target:
            source.backup(target)
    env = production_env(database=copy or BASE / "unused.db", DATABASE_URL=args.database_url or "")
    os.environ.update(env)
    sys.path.insert(0, str(BASE))
    import datetime as dt

    import django

    django.setup()
    from django.db import connection
    from django.db.models import Q, Sum

    from warehouse import selectors
    from warehouse.models import RoyaltyLine

    def group_by() -> list:
        return list(
            RoyaltyLine.objects.filter(retracted_by_file__isnull=True)
            .exclude(isrc="")
            .values("isrc")
            .annotate(streams=Sum("quantity", filter=Q(earnings_usd__gte=0)), revenue=Sum("earnings_usd"))
            .order_by("-streams", "isrc")[:5]
        )

    top = [(t["isrc"], t["streams"]) for t in selectors.royalty_top_tracks_list()]
    assert top == [(r["isrc"], r["streams"] or 0) for r in group_by()] and len(top) == 5, top
    today = dt.date(2026, 1, 15)
    print(f"{connection.vendor}: lines {RoyaltyLine.objects.count():,}, top tracks {top}")
    print(f"kpis_get: {median_ms(lambda: selectors.kpis_get(today=today))} ms (median of 5)")
    print(f"top tracks from royalty_isrc_agg: {median_ms(selectors.royalty_top_tracks_list)} ms")
    print(f"baseline, the same as one GROUP BY over the active lines: {median_ms(group_by)} ms")
    if copy:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sqlite_stat1")
        connection.close()
        print(f"kpis_get without planner statistics: {median_ms(lambda: selectors.kpis_get(today=today))} ms")
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            copy.with_name(copy.name + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
