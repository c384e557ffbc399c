"""Set-based merge SQL: stage a file's rows in a TEMP table with executemany, then one INSERT … SELECT …
ON CONFLICT DO UPDATE … WHERE <a content column changed>.

Plain SQL with bound parameters, portable between SQLite (≥ 3.39 for IS DISTINCT FROM) and PostgreSQL. The
conditional DO UPDATE makes a re-merge of the same rows change 0 rows, so lineage is not churned. Django's
bulk_create cannot express that filter and is ~0.2× the speed of executemany (issue 3), hence SQL here.
Table and column names come from the kinds' specs (code), never from input; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from django.db import connection

STAGE = "etl_stage"
STAGE_BATCH = 20_000
_SQL_TYPES = {"text": "TEXT", "int": "BIGINT", "date": "DATE", "bool": "BOOLEAN", "json": "TEXT"}


def _stage_type(sql_type: str) -> str:
    # JSON arrives as serialised text; PostgreSQL needs it typed jsonb to land in a JSONField column.
    return "JSONB" if sql_type == "json" and connection.vendor == "postgresql" else _SQL_TYPES[sql_type]


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def python_values(series: pd.Series, sql_type: str) -> list:
    """A column as plain Python values for the DB driver (None for missing; dates as ISO text)."""
    if sql_type == "date":
        if pd.api.types.is_datetime64_any_dtype(series):
            text = series.dt.strftime("%Y-%m-%d")
            return [None if pd.isna(v) else v for v in text.tolist()]
        return [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in series.tolist()]
    values = series.tolist()
    if sql_type == "int":
        return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else int(v) for v in values]
    if sql_type == "bool":
        return [None if v is None or v is pd.NA else bool(v) for v in values]
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in values]


def stage_create(columns: dict[str, str]) -> None:
    """(Re)create the TEMP stage table: one column per field, plus the row's source line."""
    definition = ", ".join(f"{q(name)} {_stage_type(sql_type)}" for name, sql_type in columns.items())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(f"CREATE TEMP TABLE {STAGE} ({definition}, source_line BIGINT NOT NULL)")


def stage_fill(frame: pd.DataFrame, columns: dict[str, str], lines: pd.Series) -> int:
    names = list(columns)
    data = [python_values(frame[name], sql_type) for name, sql_type in columns.items()]
    data.append([int(v) for v in lines.tolist()])
    placeholders = ", ".join(["%s"] * (len(names) + 1))
    sql = f"INSERT INTO {STAGE} ({', '.join(q(n) for n in names)}, source_line) VALUES ({placeholders})"
    rows = list(zip(*data))
    del data
    with connection.cursor() as cursor:
        for start in range(0, len(rows), STAGE_BATCH):
            cursor.executemany(sql, rows[start : start + STAGE_BATCH])
    return len(rows)


def stage_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")


def changed_condition(columns: Iterable[str], left: str, right: str) -> str:
    return " OR ".join(f"{left}.{q(c)} IS DISTINCT FROM {right}.{q(c)}" for c in columns) or "false"


def upsert(
    *, table: str, fields: Sequence[str], key: Sequence[str], load_run_id: int, source_file_id: int
) -> tuple[int, int, int]:
    """Merge the stage into `table` by `key`. Returns (inserted, updated, unchanged)."""
    content = [f for f in fields if f not in key]
    join = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in key)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(sum(CASE WHEN {changed_condition(content, 't', 's')} THEN 1 ELSE 0 END), 0) "
            f"FROM {STAGE} s JOIN {q(table)} t ON {join}"
        )
        existing, changed = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {STAGE}")
        (total,) = cursor.fetchone()
        columns = ", ".join(q(f) for f in fields)
        updates = ", ".join(
            f"{q(c)} = excluded.{q(c)}" for c in [*content, "load_run_id", "source_file_id", "source_line"]
        )
        cursor.execute(
            f"INSERT INTO {q(table)} ({columns}, load_run_id, source_file_id, source_line) "
            f"SELECT {columns}, %s, %s, source_line FROM {STAGE} WHERE true "
            f"ON CONFLICT ({', '.join(q(k) for k in key)}) DO UPDATE SET {updates} "
            f"WHERE {changed_condition(content, q(table), 'excluded')}",
            [load_run_id, source_file_id],
        )
    return total - existing, int(changed), existing - int(changed)
