"""`tidy_daily_streams.csv`: distributor daily totals, a recent window per source (contract §2.2).

Upsert by (date, source); a stored date missing from the file is never deleted or zeroed. The last date of a
source is `is_partial` when its Spotify count is 0 after a non-zero day.

As-of, not arrival, decides. Each source's window in a file has an as-of date (its last date there); a file
ranks by (as-of, name timestamp or mtime). Every count column keeps the value of the highest-ranked file, where a
0 within the last 3 dates of a window (an early-ending array, zero-filled) ranks below every real count. So a
trailing 0 never overwrites a stored non-zero count, an older window arriving later never rolls counts back (its
rows are counted `kept_newer`), and any set of window files loaded in any order gives the same table.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import connection

from etl.merge import STAGE, stage_drop
from etl.pipeline import Batch, LoadContext
from etl.sources import Column, SourceSpec, Variant, register
from etl.validation import date, enum, integer

TABLE = "distributor_daily_stream"
PROTECTED_TRAILING_DATES = 3
RANK_DAY = 10**10  # rank = as-of ordinal × RANK_DAY + the file's Unix seconds (both fit in a BIGINT)
TRAILING_ZERO_OFFSET = 10**17  # a protected trailing 0 ranks below every real count (ranks are ~7.4e15)

COLUMNS = (
    Column("date", "date", date()),
    Column("spotify_streams", "spotify_streams", integer()),
    Column("apple_streams", "apple_streams", integer()),
    Column("combined_streams", "combined_streams", integer()),
    Column("source", "source", enum({"distrokid", "toolost"}, reason="unknown_source")),
)


def window_rank(*, as_of: dt.date, file_time: dt.datetime) -> int:
    """Orders windows: the later as-of wins; on a tie, the later name timestamp or mtime (contract §2.2)."""
    return as_of.toordinal() * RANK_DAY + int(file_time.timestamp())


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    counts = df[["spotify_streams", "apple_streams", "combined_streams"]]
    mismatch = counts.notna().all(axis=1) & (
        counts["combined_streams"] != counts["spotify_streams"] + counts["apple_streams"]
    )
    batch.flag(
        mismatch.fillna(False).to_numpy(),
        column="combined_streams",
        reason="combined_mismatch",
        message="combined_streams: combined_mismatch (≠ spotify_streams + apple_streams)",
    )
    df["is_partial"] = False
    df["as_of"] = None
    for column in ("window_rank", "spotify_rank", "apple_rank"):
        df[column] = 0
    file_time = ctx.planned.name_timestamp or ctx.planned.mtime
    good = df[batch.usable]
    for _, rows in good.groupby("source"):
        ordered = rows.sort_values("date")  # the latest day by date, never by row order
        as_of = ordered["date"].iloc[-1]
        rank = window_rank(as_of=as_of.date(), file_time=file_time)
        trailing = rows["date"].isin(ordered["date"].drop_duplicates().nlargest(PROTECTED_TRAILING_DATES))
        df.loc[rows.index, "as_of"] = as_of
        df.loc[rows.index, "window_rank"] = rank
        for column in ("spotify", "apple"):
            protected = (trailing & (rows[f"{column}_streams"] == 0)).to_numpy()
            df.loc[rows.index, f"{column}_rank"] = np.where(protected, rank - TRAILING_ZERO_OFFSET, rank)
        if len(ordered) >= 2:
            last, previous = ordered.iloc[-1], ordered.iloc[-2]
            if last["spotify_streams"] == 0 and previous["spotify_streams"] > 0:
                df.loc[ordered.index[-1], "is_partial"] = True
                ctx.counters["partial_days"] += 1


def _pick(column: str, rank: str) -> str:
    """The stored or the staged value of `column`, whichever file ranks higher for `rank` (a tie: this file)."""
    return f"CASE WHEN excluded.{rank} >= {TABLE}.{rank} THEN excluded.{column} ELSE {TABLE}.{column} END"


def _changed(new: str, old: str) -> str:
    """A count (or the partial flag) that the new row wins differs from the stored one."""
    return (
        f"({new}.spotify_rank >= {old}.spotify_rank AND ({new}.spotify_streams <> {old}.spotify_streams "
        f"OR {new}.is_partial <> {old}.is_partial)) "
        f"OR ({new}.apple_rank >= {old}.apple_rank AND {new}.apple_streams <> {old}.apple_streams)"
    )


def upsert(ctx: LoadContext) -> tuple[int, int, int]:
    """Merge the stage by rank (module docstring). Returns (inserted, updated, unchanged); counts `kept_newer`
    (rows whose stored window is newer) and `zero_protected` (trailing zeros that kept a stored count)."""
    changed = _changed("s", "t")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), "
            f"coalesce(sum(CASE WHEN {changed} THEN 1 ELSE 0 END), 0), "
            "coalesce(sum(CASE WHEN s.window_rank < t.window_rank THEN 1 ELSE 0 END), 0), "
            "coalesce(sum(CASE WHEN s.spotify_rank < s.window_rank AND t.spotify_streams > 0 THEN 1 ELSE 0 END "
            "+ CASE WHEN s.apple_rank < s.window_rank AND t.apple_streams > 0 THEN 1 ELSE 0 END), 0) "
            f"FROM {STAGE} s JOIN {TABLE} t ON t.date = s.date AND t.source = s.source"
        )
        existing, updated, kept_newer, protected = (int(v) for v in cursor.fetchone())
        cursor.execute(f"SELECT count(*) FROM {STAGE}")
        (total,) = cursor.fetchone()
        lineage = ("as_of", "window_rank", "load_run_id", "source_file_id", "source_line")
        sets = [
            f"spotify_streams = {_pick('spotify_streams', 'spotify_rank')}",
            f"is_partial = {_pick('is_partial', 'spotify_rank')}",
            f"apple_streams = {_pick('apple_streams', 'apple_rank')}",
            f"combined_streams = {_pick('spotify_streams', 'spotify_rank')} + {_pick('apple_streams', 'apple_rank')}",
            f"spotify_rank = {_pick('spotify_rank', 'spotify_rank')}",
            f"apple_rank = {_pick('apple_rank', 'apple_rank')}",
            *(f"{c} = {_pick(c, 'window_rank')}" for c in lineage),
        ]
        # Fires only when a rank moves up or a winning count differs: a re-merge of the same file changes nothing.
        moved = " OR ".join(f"excluded.{r} > {TABLE}.{r}" for r in ("window_rank", "spotify_rank", "apple_rank"))
        differs = _changed("excluded", TABLE)
        columns = (
            "date, source, spotify_streams, apple_streams, combined_streams, is_partial, as_of, window_rank, "
            "spotify_rank, apple_rank"
        )
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}, load_run_id, source_file_id, source_line) "
            f"SELECT {columns}, %s, %s, source_line FROM {STAGE} WHERE true "
            f"ON CONFLICT (date, source) DO UPDATE SET {', '.join(sets)} WHERE {moved} OR {differs}",
            [ctx.load_run.pk, ctx.source_file.pk],
        )
    stage_drop()
    if kept_newer:
        ctx.counters["kept_newer"] += kept_newer
    if protected:
        ctx.counters["zero_protected"] += protected
    return total - existing, updated, existing - updated


SPEC = register(
    SourceSpec(
        kind="tidy_daily_streams",
        patterns=(r"tidy_daily_streams\.csv",),
        variants=(Variant("v1", COLUMNS),),
        table=TABLE,
        fields={
            "date": "date",
            "source": "text",
            "spotify_streams": "int",
            "apple_streams": "int",
            "combined_streams": "int",
            "is_partial": "bool",
            "as_of": "date",
            "window_rank": "int",
            "spotify_rank": "int",
            "apple_rank": "int",
        },
        key=("date", "source"),
        transform=transform,
        upsert=upsert,
    )
)
