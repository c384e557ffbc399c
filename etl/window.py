"""Window targets (`Facts(merge="window")`, contract §2.2 "as-of, not arrival"): copies of a kind are recent windows
per group (e.g. per distributor), ranked by their as-of date, so the figures depend only on the set of files.

A group's window in a file has an as-of date (its last date there); the file ranks by (as-of, name timestamp or
mtime) = `as_of.toordinal() × RANK_DAY + Unix seconds`. A 0 within the last `protected_dates` dates of a window
(an early-ending array, zero-filled) ranks TRAILING_ZERO_OFFSET lower, below every real count. Each stored row keeps
`as_of`, `window_rank` (its lineage follows the highest-ranked file) and a rank per count column; the merge keeps,
per count column, the value of the higher-ranked file. So an older window arriving later never rolls counts back
(its rows are counted `kept_newer`), a trailing 0 never overwrites a real count (`zero_protected`), and any set of
window files in any order gives the same table.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection

from etl.merge import STAGE, q
from etl.sources import Facts, Window

if TYPE_CHECKING:
    from etl.pipeline import Batch, LoadContext

RANK_DAY = 10**10  # rank = as-of ordinal × RANK_DAY + the file's Unix seconds (both fit in a BIGINT)
TRAILING_ZERO_OFFSET = 10**17  # a protected trailing 0 ranks below every real count (ranks are ~7.4e15)
LINEAGE = ("as_of", "window_rank", "load_run_id", "source_file_id", "source_line")


def window_rank(*, as_of: dt.date, file_time: dt.datetime) -> int:
    """Orders windows: the later as-of wins; on a tie, the later name timestamp or mtime."""
    return as_of.toordinal() * RANK_DAY + int(file_time.timestamp())


def rank(ctx: LoadContext, batch: Batch, window: Window) -> None:
    """Fill `as_of`, `window_rank` and each count's rank column for the usable rows, group by group."""
    df = batch.df
    df["as_of"] = None
    for column in ("window_rank", *window.ranks.values()):
        df[column] = 0
    file_time = ctx.planned.name_timestamp or ctx.planned.mtime
    for _, rows in df[batch.usable].groupby(window.group):
        ordered = rows.sort_values(window.date)  # the latest day by date, never by row order
        as_of = ordered[window.date].iloc[-1]
        file_rank = window_rank(as_of=as_of.date(), file_time=file_time)
        trailing = rows[window.date].isin(ordered[window.date].drop_duplicates().nlargest(window.protected_dates))
        df.loc[rows.index, "as_of"] = as_of
        df.loc[rows.index, "window_rank"] = file_rank
        for count, count_rank in window.ranks.items():
            protected = (trailing & (rows[count] == 0)).to_numpy()
            df.loc[rows.index, count_rank] = np.where(protected, file_rank - TRAILING_ZERO_OFFSET, file_rank)


def _pick(table: str, column: str, by: str) -> str:
    """The stored or the staged value of `column`, whichever file ranks higher for `by` (a tie: this file)."""
    return f"CASE WHEN excluded.{q(by)} >= {table}.{q(by)} THEN excluded.{q(column)} ELSE {table}.{q(column)} END"


def _changed(window: Window, new: str, old: str) -> str:
    """A count (or a column following it) that the new row wins differs from the stored one."""
    parts = []
    for count, count_rank in window.ranks.items():
        columns = [count, *(c for c, followed in window.follows.items() if followed == count)]
        differs = " OR ".join(f"{new}.{q(c)} <> {old}.{q(c)}" for c in columns)
        parts.append(f"({new}.{q(count_rank)} >= {old}.{q(count_rank)} AND ({differs}))")
    return " OR ".join(parts)


def upsert(ctx: LoadContext, target: Facts) -> tuple[int, int, int]:
    """Merge the stage by rank (module docstring). Returns (inserted, updated, unchanged); counts `kept_newer`
    (rows whose stored window is newer) and `zero_protected` (trailing zeros that kept a stored count)."""
    window, table = target.window, q(target.table)
    join = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in target.key)
    protected = " + ".join(
        f"CASE WHEN s.{q(r)} < s.window_rank AND t.{q(c)} > 0 THEN 1 ELSE 0 END" for c, r in window.ranks.items()
    )
    rank_of = {**window.ranks, **{c: window.ranks[f] for c, f in window.follows.items()}}
    sets = [
        *(f"{q(c)} = {_pick(table, c, rank_of[c])}" for c in rank_of),
        *(f"{q(c)} = {' + '.join(_pick(table, p, rank_of[p]) for p in parts)}" for c, parts in window.totals.items()),
        *(f"{q(r)} = {_pick(table, r, r)}" for r in window.ranks.values()),
        *(f"{q(c)} = {_pick(table, c, 'window_rank')}" for c in LINEAGE),
    ]
    # Fires only when a rank moves up or a winning count differs: a re-merge of the same file changes nothing.
    moved = " OR ".join(f"excluded.{q(r)} > {table}.{q(r)}" for r in ("window_rank", *window.ranks.values()))
    columns = ", ".join(q(f) for f in target.fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(sum(CASE WHEN {_changed(window, 's', 't')} THEN 1 ELSE 0 END), 0), "
            "coalesce(sum(CASE WHEN s.window_rank < t.window_rank THEN 1 ELSE 0 END), 0), "
            f"coalesce(sum({protected}), 0) FROM {STAGE} s JOIN {table} t ON {join}"
        )
        existing, updated, kept_newer, zero_protected = (int(v) for v in cursor.fetchone())
        cursor.execute(f"SELECT count(*) FROM {STAGE}")
        (total,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {table} ({columns}, load_run_id, source_file_id, source_line) "
            f"SELECT {columns}, %s, %s, source_line FROM {STAGE} WHERE true "
            f"ON CONFLICT ({', '.join(q(k) for k in target.key)}) DO UPDATE SET {', '.join(sets)} "
            f"WHERE {moved} OR {_changed(window, 'excluded', table)}",
            [ctx.load_run.pk, ctx.source_file.pk],
        )
    if kept_newer:
        ctx.counters["kept_newer"] += kept_newer
    if zero_protected:
        ctx.counters["zero_protected"] += zero_protected
    return total - existing, updated, existing - updated
