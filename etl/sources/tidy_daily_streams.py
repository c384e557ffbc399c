"""`tidy_daily_streams.csv`: distributor daily totals, a recent window per source (contract §2.2).

Upsert by (date, source); a stored date missing from the file is never deleted or zeroed. The last date of a
source is `is_partial` when its Spotify count is 0 after a non-zero day.

As-of, not arrival, decides: a window target (etl/window.py). Each source's window in a file ranks by its as-of
date; every count keeps the value of the highest-ranked file, a trailing 0 never overwrites a stored count,
`is_partial` follows the Spotify count and `combined_streams` is their sum.
"""

from __future__ import annotations

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Facts, SourceSpec, Variant, Window, register
from etl.validation import date, enum, integer

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
    batch.flag(
        mismatch.fillna(False).to_numpy(),
        column="combined_streams",
        reason="combined_mismatch",
        message="combined_streams: combined_mismatch (≠ spotify_streams + apple_streams)",
    )
    df["is_partial"] = False
    for _, rows in df[batch.usable].groupby("source"):
        ordered = rows.sort_values("date")  # the latest day by date, never by row order
        if len(ordered) >= 2:
            last, previous = ordered.iloc[-1], ordered.iloc[-2]
            if last["spotify_streams"] == 0 and previous["spotify_streams"] > 0:
                df.loc[ordered.index[-1], "is_partial"] = True
                ctx.counters["partial_days"] += 1


FACTS = Facts(
    table="distributor_daily_stream",
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
    merge="window",
    window=Window(
        group="source",
        date="date",
        ranks={"spotify_streams": "spotify_rank", "apple_streams": "apple_rank"},
        follows={"is_partial": "spotify_streams"},
        totals={"combined_streams": ("spotify_streams", "apple_streams")},
    ),
)

SPEC = register(
    SourceSpec(
        kind="tidy_daily_streams",
        patterns=(r"tidy_daily_streams\.csv",),
        variants=(Variant("v1", COLUMNS, FACTS),),
        transform=transform,
    )
)
