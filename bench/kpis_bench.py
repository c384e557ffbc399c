"""`kpis_get` (GET /api/kpis and every websocket update) on the API bench's 1M-line warehouse, in-process.

    .venv/bin/python bench/api_bench.py            # builds bench/out/api_bench.sqlite3 first (if not there yet)
    .venv/bin/python bench/kpis_bench.py

Works on a copy of that file (migrated to the current schema, which fills royalty_isrc_agg). Prints the median of 5
calls of `kpis_get`, of its top-tracks read from the per-ISRC aggregate, and, as the baseline in the same process,
of the same top tracks as one GROUP BY over the active lines; asserts both give the same ISRCs and streams.
"""

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from production_env import production_env

BASE = Path(__file__).resolve().parent.parent
SOURCE = BASE / "bench" / "out" / "api_bench.sqlite3"
COPY = BASE / "bench" / "out" / "kpis_bench.sqlite3"


def median_ms(call, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    if not SOURCE.exists():
        raise SystemExit(f"{SOURCE} is missing: run bench/api_bench.py first")
    shutil.copyfile(SOURCE, COPY)
    env = production_env(database=COPY)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, str(BASE))
    import datetime as dt

    import django

    django.setup()
    from django.db.models import Q, Sum

    from warehouse import selectors
    from warehouse.models import RoyaltyLine

    def group_by() -> list:
        return list(
            RoyaltyLine.objects.filter(retracted_by_file__isnull=True).exclude(isrc="").values("isrc")
            .annotate(streams=Sum("quantity", filter=Q(earnings_usd__gte=0)), revenue=Sum("earnings_usd"))
            .order_by("-streams", "isrc")[:5]
        )  # fmt: skip

    assert [(t["isrc"], t["streams"]) for t in selectors._top_tracks()] == [
        (r["isrc"], r["streams"] or 0) for r in group_by()
    ]
    today = dt.date(2026, 1, 15)
    print(f"lines: {RoyaltyLine.objects.count():,}")
    print(f"kpis_get: {median_ms(lambda: selectors.kpis_get(today=today))} ms (median of 5)")
    print(f"top tracks from royalty_isrc_agg: {median_ms(selectors._top_tracks)} ms")
    print(f"baseline, the same as one GROUP BY over the active lines: {median_ms(group_by)} ms")
    COPY.unlink()


if __name__ == "__main__":
    main()
