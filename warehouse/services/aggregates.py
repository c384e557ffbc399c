"""Precomputed aggregates that follow the facts inside each load's (or curation's) transaction."""

from django.db import connection, transaction

from warehouse import meta_levels
from warehouse.models import SourceFile


def facts_changed(*, kind: str, source_file: SourceFile) -> None:
    """Called by the loader inside each file's transaction, after its merge and before commit.

    The place to maintain precomputed aggregates so readers see them change atomically with the facts.
    """
    if kind == "dk_bank_details":
        royalty_aggregates_refresh()
    elif kind == "meta_ad_performance":
        meta_levels.ad_performance_levels_mark()


# --- Dashboard aggregates --------------------------------------------------------------------------------------------
# royalty_monthly_agg / royalty_delay_agg / royalty_isrc_agg sum the active royalty lines. A first load rebuilds
# them; a newer snapshot records the contribution of the lines it touches before (−1) and after (+1) its changes
# in TEMP delta tables, and the refresh adds that delta, so its cost follows the change, not the table. Money stays
# integer units.

_REPORTING_MONTH_SQL = {
    "sqlite": "date(reporting_date, 'start of month')",
    "postgresql": "CAST(date_trunc('month', reporting_date) AS date)",
}
_MONTHLY_KEY = ("sale_month", "store", "platform_id", "artist_id", "artist_raw")
_MONTHLY_SUMS = ("earnings_usd", "gross_usd", "adjustments_usd", "quantity", "line_count")
_DELAY_KEY = ("sale_month", "reporting_month")
_ISRC_SUMS = ("streams", "revenue_usd", "line_count")
_MONTHLY_DELTA, _DELAY_DELTA = "etl_royalty_monthly_delta", "etl_royalty_delay_delta"
_ISRC_DELTA = "etl_royalty_isrc_delta"


def _monthly_select(where: str) -> str:
    """Per (Sale Month, store, platform, artist, raw name while unmapped): the aggregate's sums of active lines."""
    return f"""
        SELECT sale_month AS c0, store AS c1, platform_id AS c2, artist_id AS c3,
            CASE WHEN artist_id IS NULL THEN artist_raw ELSE '' END AS c4,
            SUM(earnings_usd) AS c5,
            SUM(CASE WHEN earnings_usd > 0 THEN earnings_usd ELSE 0 END) AS c6,
            SUM(CASE WHEN earnings_usd < 0 THEN earnings_usd ELSE 0 END) AS c7,
            SUM(CASE WHEN earnings_usd >= 0 THEN quantity ELSE 0 END) AS c8,
            COUNT(*) AS c9
        FROM royalty_line
        WHERE retracted_by_file_id IS NULL AND {where}
        GROUP BY sale_month, store, platform_id, artist_id, CASE WHEN artist_id IS NULL THEN artist_raw ELSE '' END
    """


def _delay_select(where: str) -> str:
    month = _REPORTING_MONTH_SQL[connection.vendor]
    return f"""
        SELECT sale_month AS c0, {month} AS c1, COUNT(*) AS c2 FROM royalty_line
        WHERE retracted_by_file_id IS NULL AND {where} GROUP BY sale_month, {month}
    """


def _isrc_select(where: str) -> str:
    """Per ISRC: streams (Σ Quantity of lines with earnings ≥ 0), revenue (Σ earnings) and lines."""
    return f"""
        SELECT isrc AS c0, SUM(CASE WHEN earnings_usd >= 0 THEN quantity ELSE 0 END) AS c1,
            SUM(earnings_usd) AS c2, COUNT(*) AS c3
        FROM royalty_line WHERE retracted_by_file_id IS NULL AND isrc <> '' AND {where} GROUP BY isrc
    """


def _delta_pending(cursor) -> bool:
    if connection.vendor == "sqlite":
        cursor.execute("SELECT 1 FROM sqlite_temp_master WHERE name = %s", [_MONTHLY_DELTA])
    else:
        cursor.execute("SELECT 1 WHERE to_regclass(%s) IS NOT NULL", [f"pg_temp.{_MONTHLY_DELTA}"])  # this session's
    return cursor.fetchone() is not None


def royalty_aggregates_delta(*, sign: int, line_ids: str, params: tuple = ()) -> None:
    """Record the contribution of the active royalty lines whose id is in `line_ids` (a SELECT of ids, code not
    input; values bound through `params`), subtracted (sign −1, before a change) or added (+1, after it).
    `royalty_aggregates_refresh` applies what was recorded."""
    assert sign in (1, -1)
    where = f"id IN ({line_ids})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_MONTHLY_DELTA} (sale_month DATE, store TEXT, platform_id BIGINT, "
            "artist_id BIGINT, artist_raw TEXT, earnings_usd BIGINT, gross_usd BIGINT, adjustments_usd BIGINT, "
            "quantity BIGINT, line_count BIGINT)"
        )
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_DELAY_DELTA} (sale_month DATE, reporting_month DATE, line_count BIGINT)"
        )
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_ISRC_DELTA} (isrc TEXT, streams BIGINT, revenue_usd BIGINT, "
            "line_count BIGINT)"
        )
        cursor.execute(
            f"INSERT INTO {_MONTHLY_DELTA} SELECT c0, c1, c2, c3, c4, "
            f"{', '.join(f'{sign} * c{i}' for i in range(5, 10))} FROM ({_monthly_select(where)}) g",
            params,
        )
        cursor.execute(f"INSERT INTO {_DELAY_DELTA} SELECT c0, c1, {sign} * c2 FROM ({_delay_select(where)}) g", params)
        cursor.execute(
            f"INSERT INTO {_ISRC_DELTA} SELECT c0, {sign} * c1, {sign} * c2, {sign} * c3 "
            f"FROM ({_isrc_select(where)}) g",
            params,
        )


def _apply_delta(cursor, *, table: str, delta: str, key: tuple[str, ...], sums: tuple[str, ...]) -> None:
    """table += Σ delta per key: update the rows that exist, insert the others, drop the ones now empty."""
    match = " AND ".join(f"a.{k} IS NOT DISTINCT FROM d.{k}" for k in key)
    summed = (
        f"SELECT {', '.join(key)}, {', '.join(f'SUM({s}) AS {s}' for s in sums)} FROM {delta} GROUP BY {', '.join(key)}"
    )
    cursor.execute(f"CREATE TEMP TABLE etl_delta_sum AS {summed}")
    cursor.execute(
        f"UPDATE {table} AS a SET {', '.join(f'{s} = a.{s} + d.{s}' for s in sums)} FROM etl_delta_sum AS d WHERE {match}"
    )
    columns = ", ".join((*key, *sums))
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {', '.join(f'd.{c}' for c in (*key, *sums))} FROM etl_delta_sum AS d "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS a WHERE {match})"
    )
    cursor.execute(f"DELETE FROM {table} WHERE line_count = 0")
    cursor.execute("DROP TABLE etl_delta_sum")
    cursor.execute(f"DROP TABLE {delta}")


def royalty_aggregates_refresh() -> None:
    """Bring both aggregates up to date with the active royalty lines: apply the delta a load recorded, or
    rebuild them when none was recorded (a first load, a staff mapping)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not _delta_pending(cursor):
            royalty_aggregates_rebuild()
            return
        _apply_delta(cursor, table="royalty_monthly_agg", delta=_MONTHLY_DELTA, key=_MONTHLY_KEY, sums=_MONTHLY_SUMS)
        _apply_delta(cursor, table="royalty_delay_agg", delta=_DELAY_DELTA, key=_DELAY_KEY, sums=("line_count",))
        _apply_delta(cursor, table="royalty_isrc_agg", delta=_ISRC_DELTA, key=("isrc",), sums=_ISRC_SUMS)


def royalty_aggregates_rebuild() -> int:
    """Recompute royalty_monthly_agg, royalty_delay_agg and royalty_isrc_agg from every active royalty line.
    Returns the number of monthly aggregate rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM royalty_monthly_agg")
        cursor.execute(
            f"INSERT INTO royalty_monthly_agg ({', '.join((*_MONTHLY_KEY, *_MONTHLY_SUMS))}) {_monthly_select('true')}"
        )
        rows = cursor.rowcount
        cursor.execute("DELETE FROM royalty_delay_agg")
        cursor.execute(
            f"INSERT INTO royalty_delay_agg (sale_month, reporting_month, line_count) {_delay_select('true')}"
        )
        cursor.execute("DELETE FROM royalty_isrc_agg")
        cursor.execute(f"INSERT INTO royalty_isrc_agg (isrc, {', '.join(_ISRC_SUMS)}) {_isrc_select('true')}")
        return rows
