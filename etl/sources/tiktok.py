"""`tiktok_analytics_curated_<ts>.csv`: TikTok account analytics per day (contract §2.5), variants A (10
columns) and B (12, with Followers/new_followers).

The handle (`artist` column) → `social_account` (platform tiktok); an unknown handle creates the account and
queues its alias. Quarantine: `Year` ≠ year of `date` → year_mismatch; a date later than the file's name
timestamp + 1 day → future_date. An account's leading all-zero days (before its first non-zero day) are skipped
and counted. `Followers` 0 means unknown → NULL. `engagement_rate` is stored as the ratio it is.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Facts, SourceSpec, Variant, register
from etl.validation import date, decimal_units, integer, text
from warehouse import services

METRICS = ("video_views", "profile_views", "likes", "comments", "shares")

COMMON = (
    Column("artist", "handle", text(required=True, max_length=100)),
    Column("zone", "zone", text(max_length=100)),
    Column("date", "date", date()),
    Column("Video Views", "video_views", integer()),
    Column("Profile Views", "profile_views", integer()),
    Column("Likes", "likes", integer()),
    Column("Comments", "comments", integer()),
    Column("Shares", "shares", integer()),
    Column("Year", "year", integer(min_value=None)),
    Column("engagement_rate", "engagement_ratio", decimal_units(min_value=0)),
)
FACTS = Facts(
    table="tiktok_daily",
    fields={
        "account_id": "int",
        "date": "date",
        "video_views": "int",
        "profile_views": "int",
        "likes": "int",
        "comments": "int",
        "shares": "int",
        "engagement_ratio": "int",
        "followers_snapshot": "int",
        "new_followers": "int",
    },
    key=("account_id", "date"),
)
VARIANT_B = Variant(
    "B",
    (
        *COMMON,
        Column("Followers", "followers", integer()),
        Column("new_followers", "new_followers", integer(min_value=None)),
    ),
    FACTS,
)
VARIANT_A = Variant("A", COMMON, FACTS)


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    if "followers" not in df:
        df["followers"] = None
        df["new_followers"] = None
    years = df["date"].dt.year
    batch.flag(
        (df["year"].notna() & years.notna() & (df["year"] != years)).fillna(False).to_numpy(),
        column="Year",
        reason="year_mismatch",
        message="Year: year_mismatch (≠ the year of date)",
    )
    stamp = ctx.planned.name_timestamp
    if stamp is not None:
        limit = pd.Timestamp(stamp.date() + dt.timedelta(days=1))
        batch.flag(
            (df["date"] > limit).fillna(False).to_numpy(),
            column="date",
            reason="future_date",
            message=f"date: future_date (after the file's name timestamp {stamp:%Y-%m-%d} + 1 day)",
        )

    handles = df.loc[batch.usable, "handle"].str.strip().str.lower()
    accounts = services.social_account_ensure(
        platform_slug="tiktok", handles=handles.unique().tolist(), source_file=ctx.source_file
    )
    df["account_id"] = df["handle"].str.strip().str.lower().map(accounts).astype(object)

    # Leading all-zero days per account: TikTok's export starts before the account was active.
    usable = df[batch.usable]
    zero = (usable[list(METRICS)] == 0).all(axis=1)
    for _, rows in usable.groupby("account_id"):
        ordered = rows.sort_values("date")
        active = ~zero[ordered.index]
        leading = ordered.index[~active.cummax().to_numpy()]
        if len(leading):
            batch.collapsed[leading.to_numpy()] = True
            ctx.counters["leading_zero_days_skipped"] += len(leading)

    df["followers_snapshot"] = df["followers"].where(df["followers"].fillna(0) != 0, None).astype(object)


SPEC = register(
    SourceSpec(
        kind="tiktok",
        patterns=(r"tiktok_analytics_curated_(?P<ts>\d{8}_\d{6})\.csv",),
        variants=(VARIANT_B, VARIANT_A),  # B's columns include A's: try the wider one first
        transform=transform,
    )
)
