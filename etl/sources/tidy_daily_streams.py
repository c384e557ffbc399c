"""`tidy_daily_streams.csv`: distributor daily totals, a recent window per source (contract §2.2).

Upsert by (date, source); a stored date missing from the file is never deleted or zeroed. The last date of a
source is `is_partial` when its Spotify count is 0 after a non-zero day; within the last 3 dates of a source's
window a 0 never overwrites a stored non-zero count (then combined is recomputed).
"""

from __future__ import annotations

from django.db import connection

from etl.merge import STAGE
from etl.pipeline import Batch, LoadContext
from etl.sources import Column, SourceSpec, Variant, register
from etl.validation import date, enum, integer

TABLE = "distributor_daily_stream"
PROTECTED_TRAILING_DATES = 3

COLUMNS = (
    Column("date", "date", date()),
    Column("spotify_streams", "spotify_streams", integer()),
    Column("apple_streams", "apple_streams", integer()),
    Column("combined_streams", "combined_streams", integer()),
    Column("source", "source", enum({"distrokid", "toolost"}, reason="unknown_source")),
)


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    counts = df[["spotify_streams", "apple_streams", "combined_streams"]]
    mismatch = counts.notna().all(axis=1) & (
        counts["combined_streams"] != counts["spotify_streams"] + counts["apple_streams"]
    )
    batch.flag(mismatch.fillna(False).to_numpy(), column="combined_streams", reason="combined_mismatch",
               message="combined_streams: combined_mismatch (≠ spotify_streams + apple_streams)")
    df["is_partial"] = False
    df["zero_protect"] = False
    good = df[batch.usable]
    for _, rows in good.groupby("source"):
        ordered = rows.sort_values("date")  # the latest day by date, never by row order
        trailing = ordered["date"].drop_duplicates().nlargest(PROTECTED_TRAILING_DATES)
        df.loc[rows.index[rows["date"].isin(trailing)], "zero_protect"] = True
        if len(ordered) >= 2:
            last, previous = ordered.iloc[-1], ordered.iloc[-2]
            if last["spotify_streams"] == 0 and previous["spotify_streams"] > 0:
                df.loc[ordered.index[-1], "is_partial"] = True
                ctx.counters["partial_days"] += 1


def before_merge(ctx: LoadContext) -> None:
    """Zero-protection: a trailing 0 keeps the stored non-zero count."""
    protected = 0
    with connection.cursor() as cursor:
        for column in ("spotify_streams", "apple_streams"):
            stored = f"(SELECT t.{column} FROM {TABLE} t WHERE t.date = {STAGE}.date AND t.source = {STAGE}.source)"
            cursor.execute(
                f"UPDATE {STAGE} SET {column} = {stored} WHERE zero_protect AND {column} = 0 AND {stored} > 0"
            )
            protected += cursor.rowcount
        if protected:
            cursor.execute(
                f"UPDATE {STAGE} SET combined_streams = spotify_streams + apple_streams, "
                "is_partial = (is_partial AND spotify_streams = 0)"
            )
    if protected:
        ctx.counters["zero_protected"] += protected


SPEC = register(
    SourceSpec(
        kind="tidy_daily_streams",
        patterns=(r"tidy_daily_streams\.csv",),
        variants=(Variant("v1", COLUMNS),),
        table=TABLE,
        fields={"date": "date", "source": "text", "spotify_streams": "int", "apple_streams": "int",
                "combined_streams": "int", "is_partial": "bool"},
        key=("date", "source"),
        stage_extra={"zero_protect": "bool"},
        transform=transform,
        before_merge=before_merge,
    )
)
