"""A load that changes rows leaves planner statistics current: without them SQLite has no sqlite_stat1
and PostgreSQL plans from stale estimates. The row count the planner reads for royalty_line must be the loaded
count."""

import pytest
from django.db import connection

from tests.etl.helpers import by_path, run_loader
from warehouse.models import RoyaltyLine

pytestmark = pytest.mark.django_db

DK = "dk_bank_details.csv"


def royalty_line_rows_in_statistics() -> int | None:
    """The row count the planner believes royalty_line has: None when no statistics exist."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if not cursor.fetchone()[0]:
                return None
            cursor.execute(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'royalty_line' AND idx = 'royalty_line_reporting'"
            )
            row = cursor.fetchone()
            return int(row[0].split()[0]) if row else None
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'royalty_line'")
        (tuples,) = cursor.fetchone()
        return None if tuples < 0 else int(tuples)


def drop_statistics() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone()[0]:
                cursor.execute("DELETE FROM sqlite_stat1")
        else:  # an empty table analysed: the planner then believes royalty_line has no rows
            cursor.execute("ANALYZE royalty_line")


def test_a_load_leaves_the_planner_statistics_of_what_it_loaded(sample_lake):
    drop_statistics()
    assert royalty_line_rows_in_statistics() in (None, 0)
    code, payload, _ = run_loader("--lake", str(sample_lake), "--source", "dk_bank_details")
    assert (code, by_path(payload)[DK]["rows_inserted"]) == (0, 8635)
    assert RoyaltyLine.objects.count() == 8635
    if connection.vendor == "sqlite":
        assert royalty_line_rows_in_statistics() == 8635
    else:  # the loader's ANALYZE reads every row of so small a table, but autovacuum may re-estimate reltuples after it
        assert abs(royalty_line_rows_in_statistics() - 8635) <= 8635 * 0.05
