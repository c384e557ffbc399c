"""Planner statistics after a load (issue 13): a load that changed rows leaves them current.

Without them SQLite has no `sqlite_stat1` and answers `MAX(reporting_date)` over the active DK lines through the
`retracted_by_file` index, a walk of every active line (`kpis_get` 171 ms at 1M lines instead of ~8 ms), and
PostgreSQL plans joins against a million new rows from stale estimates until autovacuum's analyze comes round.
"""

from __future__ import annotations

from django.db import connection

# SQLite reads at most this many rows of each index (PRAGMA analysis_limit): a few ms at 1M lines instead of
# seconds, and estimates close enough for the planner to choose between indexes.
SQLITE_ANALYSIS_LIMIT = 0


def planner_statistics_refresh() -> None:
    """ANALYZE every table: short on both databases (PostgreSQL samples 30,000 rows per table), and neither blocks
    readers or (on PostgreSQL) writers."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
