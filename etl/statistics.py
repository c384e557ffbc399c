"""Planner statistics after a load: a load that changed rows leaves them current.

Without them SQLite has no `sqlite_stat1` and answers `MAX(reporting_date)` over the active DK lines through the
`retracted_by_file` index, a walk of every active line (`kpis_get` 171 ms at 1M lines instead of ~8 ms), and
PostgreSQL plans joins against a million new rows from stale estimates until autovacuum's analyze comes round.
"""

from __future__ import annotations

from django.db import connection


def planner_statistics_refresh() -> None:
    """ANALYZE every table. SQLite reads every index in full: a bounded sample (PRAGMA analysis_limit) estimated
    1,050 rows per `retracted_by_file` value where all 20,000 were NULL, and such estimates mislead the planner
    worse than none. PostgreSQL samples 30,000 rows per table and blocks neither readers nor writers."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
