"""Set-based merge SQL: stage a file's rows in a TEMP table (executemany on SQLite, COPY on PostgreSQL), then one
INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <a content column changed>.

Plain SQL with bound parameters, portable between SQLite (≥ 3.39 for IS DISTINCT FROM) and PostgreSQL. The
conditional DO UPDATE makes a re-merge of the same rows change 0 rows, so lineage is not churned. Django's
bulk_create cannot express that filter and is ~0.2× the speed of executemany, hence SQL here.
Table and column names come from the kinds' specs (code), never from input; every value is a bound parameter.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection

logger = logging.getLogger("etl.load")

STAGE = "etl_stage"
STAGE_BATCH = 20_000
_SQL_TYPES = {"text": "TEXT", "int": "BIGINT", "date": "DATE", "bool": "BOOLEAN", "json": "TEXT", "bytes": "BLOB"}
_POSTGRESQL_TYPES = {"json": "JSONB", "bytes": "BYTEA"}


def _stage_type(sql_type: str) -> str:
    # JSON arrives as serialised text; PostgreSQL needs it typed jsonb to land in a JSONField column.
    if connection.vendor == "postgresql" and sql_type in _POSTGRESQL_TYPES:
        return _POSTGRESQL_TYPES[sql_type]
    return _SQL_TYPES[sql_type]


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def python_values(series: pd.Series, sql_type: str) -> list:
    """A column as plain Python values for the DB driver (None for missing; dates as ISO text)."""
    missing = series.isna()
    if sql_type == "date":
        codes, uniques = pd.factorize(series)
        texts = np.array([v.strftime("%Y-%m-%d") for v in pd.DatetimeIndex(uniques)] + [None], dtype=object)
        return texts[codes].tolist()
    if sql_type == "int" and not missing.any():
        return series.astype("int64").tolist()
    if sql_type == "bool" and not missing.any():
        return series.astype(bool).tolist()
    values = series.astype(object)
    if sql_type == "text" and len(values) and isinstance(values.iat[0], bytes):  # row-hash digests → hex
        return [None if v is None or v is pd.NA else v.hex() for v in values.tolist()]
    if missing.any():
        values = values.where(~missing, None)
    return (
        [int(v) if sql_type == "int" and v is not None else v for v in values.tolist()]
        if sql_type == "int"
        else values.tolist()
    )


def stage_create(columns: dict[str, str]) -> None:
    """(Re)create the TEMP stage table: one column per field, plus the row's source line."""
    definition = ", ".join(f"{q(name)} {_stage_type(sql_type)}" for name, sql_type in columns.items())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(f"CREATE TEMP TABLE {STAGE} ({definition}, source_line BIGINT NOT NULL)")


def insert_rows(cursor, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Bulk-insert plain Python rows into a (TEMP) table: COPY on PostgreSQL (~10× faster than its executemany, which
    costs a round trip per row), executemany on SQLite (in-process: already the fast path)."""
    names = ", ".join(q(c) for c in columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    with temp_only(cursor):
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows)


@contextmanager
def temp_only(cursor):
    """SQLite, before a file's transaction: statements that read the main database and write only TEMP tables run
    in one deferred transaction, which never takes the main database's write lock (WAL readers do not block
    writers). Without it each statement, each executemany row, is its own transaction: 2× slower."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    cursor.execute("BEGIN")
    try:
        yield
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    cursor.execute("COMMIT")


def analyze(cursor, table: str) -> None:
    """Planner statistics for a TEMP table on PostgreSQL (autovacuum never sees them; without them a join with a
    million staged rows is planned for ~2,000)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {table}")


@contextlib.contextmanager
def foreign_keys_checked_once(cursor, *, table: str, columns: Sequence[str] | None = None):
    """Statements in the block write `table` with its foreign keys checked once per referenced key, set-based, on
    PostgreSQL. Django's constraints are DEFERRABLE INITIALLY DEFERRED, so PostgreSQL queues one check per written
    row and key for COMMIT: 8 per royalty line, ~40 % of a million-line first load. Here the block runs with the
    row triggers off (`session_replication_role = replica`, this transaction only), then every distinct key in the
    table is locked FOR KEY SHARE, as the triggers lock it (no concurrent delete can orphan a row before COMMIT),
    and a missing one is refused as the constraint would refuse it. `columns` limits the check to the key columns
    the block writes (default: all). The constraints stay in the schema for every other write. Without the
    privilege to set the role (docs/OPERATIONS.md) the triggers check as before."""
    if connection.vendor != "postgresql" or not _may_skip_row_triggers(cursor):
        yield
        return
    cursor.execute("SET LOCAL session_replication_role = replica")
    yield  # on an error the transaction (or savepoint) rolls back, and SET LOCAL with it
    cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    _foreign_keys_check(cursor, table=table, columns=columns)


def _may_skip_row_triggers(cursor) -> bool:
    cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    if cursor.fetchone()[0]:
        return True
    logger.warning("no SET privilege on session_replication_role: foreign keys are checked row by row at COMMIT")
    return False


def _foreign_keys_check(cursor, *, table: str, columns: Sequence[str] | None) -> None:
    """Every foreign key of `table`, from the catalogue: one scan collects each key column's distinct values, then
    each referenced table locks and counts the rows they name."""
    constraints = connection.introspection.get_constraints(cursor, table)
    keys = sorted(
        (name, c["columns"][0], *c["foreign_key"])
        for name, c in constraints.items()
        if c["foreign_key"] and (columns is None or c["columns"][0] in columns)
    )
    if not keys:
        return
    distinct = ", ".join(f"array_agg(DISTINCT {q(c)}) FILTER (WHERE {q(c)} IS NOT NULL)" for _, c, _, _ in keys)
    cursor.execute(f"SELECT {distinct} FROM {q(table)}")
    for (name, _column, target, target_column), values in zip(keys, cursor.fetchone(), strict=True):
        values = values or []
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {q(target)} WHERE {q(target_column)} = ANY(%s) FOR KEY SHARE) k",
            [values],
        )
        if cursor.fetchone()[0] != len(values):
            raise IntegrityError(f'insert or update on table "{table}" violates foreign key constraint "{name}"')


def stage_fill(
    frame: pd.DataFrame, columns: dict[str, str], lines: pd.Series | None = None, *, rows: np.ndarray | None = None
) -> int:
    """Stage the rows at positions `rows` (default: all) in batches: only one batch of Python values exists at a
    time, and the frame is never copied whole (memory stays flat). Source lines come from `lines` (aligned with
    `frame`) or else the frame's `_line` column."""
    rows = np.arange(len(frame)) if rows is None else rows
    line_values = frame["_line"] if lines is None else lines
    names = [*columns, "source_line"]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), STAGE_BATCH):
            part = frame.iloc[rows[start : start + STAGE_BATCH]]
            data = [python_values(part[name], sql_type) for name, sql_type in columns.items()]
            data.append(line_values.iloc[rows[start : start + STAGE_BATCH]].astype("int64").tolist())
            insert_rows(cursor, STAGE, names, list(zip(*data)))
    return len(rows)


def stage_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")


def changed_condition(columns: Iterable[str], left: str, right: str) -> str:
    return " OR ".join(f"{left}.{q(c)} IS DISTINCT FROM {right}.{q(c)}" for c in columns) or "false"


def _not_newer_than_this_file(target: str) -> str:
    """The stored row came from a file no newer than the one being merged (bound parameter: its id).

    Copies of a kind are ordered by name timestamp, else mtime (contract §1.1). Comparing the files themselves
    makes the newest copy win whatever order the files are loaded in, and a `--force` replay of an older copy
    change nothing. A file ranks as the newest byte-identical copy skipped since (`newest_copy_at`)."""
    as_of = "(SELECT coalesce(sf.newest_copy_at, sf.name_timestamp, sf.mtime) FROM source_file sf WHERE sf.id = {})"
    return f"{as_of.format(f'{target}.source_file_id')} <= {as_of.format('%s')}"


def upsert(
    *, table: str, fields: Sequence[str], key: Sequence[str], load_run_id: int, source_file_id: int
) -> tuple[int, int, int]:
    """Merge the stage into `table` by `key`: insert new keys, update changed rows unless they came from a newer
    file. Returns (inserted, updated, unchanged)."""
    content = [f for f in fields if f not in key]
    join = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in key)
    with connection.cursor() as cursor:
        analyze(cursor, STAGE)
        cursor.execute(
            f"SELECT count(*), coalesce(sum(CASE WHEN ({changed_condition(content, 't', 's')}) "
            f"AND {_not_newer_than_this_file('t')} THEN 1 ELSE 0 END), 0) "
            f"FROM {STAGE} s JOIN {q(table)} t ON {join}",
            [source_file_id],
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
            f"WHERE ({changed_condition(content, q(table), 'excluded')}) AND {_not_newer_than_this_file(q(table))}",
            [load_run_id, source_file_id, source_file_id],
        )
    return total - existing, int(changed), existing - int(changed)
