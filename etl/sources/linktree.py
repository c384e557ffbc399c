"""`linktree_analytics.csv` and the older `linktree_analytics_curated_<ts>.csv`: the `bedrotprod` account per
day (contract §2.6). No artist. Every copy loads, oldest first (fixed name by mtime); the newest wins per date.

`clickThroughRate` is a ratio that can exceed 1; when empty it is computed from the counts (4 dp, 0 when there
are no views). A leftover `__typename` column is ignored (counted as an extra column).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Facts, SourceSpec, Variant, register
from etl.validation import date, decimal_units, integer
from warehouse.fields import to_units

ACCOUNT = "bedrotprod"
RATIO_PLACES = Decimal("0.0001")

COLUMNS = (
    Column("date", "date", date()),
    Column("totalViews", "total_views", integer()),
    Column("uniqueViews", "unique_views", integer()),
    Column("totalClicks", "total_clicks", integer()),
    Column("uniqueClicks", "unique_clicks", integer()),
    Column("clickThroughRate", "click_through_ratio", decimal_units(allow_empty=True, min_value=0)),
)


def _ratio_units(clicks, views) -> int | None:
    if clicks is None or views is None or clicks != clicks or views != views:
        return None
    if not views:
        return 0
    return to_units((Decimal(int(clicks)) / Decimal(int(views))).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP))


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    df["account"] = ACCOUNT
    empty = df["click_through_ratio"].isna() & batch.usable
    if empty.any():
        df.loc[empty, "click_through_ratio"] = [
            _ratio_units(c, v) for c, v in zip(df.loc[empty, "total_clicks"], df.loc[empty, "total_views"])
        ]
        ctx.counters["ratio_computed"] += int(empty.sum())


FACTS = Facts(
    table="linktree_daily",
    fields={
        "account": "text",
        "date": "date",
        "total_views": "int",
        "unique_views": "int",
        "total_clicks": "int",
        "unique_clicks": "int",
        "click_through_ratio": "int",
    },
    key=("account", "date"),
)


SPEC = register(
    SourceSpec(
        kind="linktree",
        patterns=(r"linktree_analytics\.csv", r"linktree_analytics_curated_(?P<ts>\d{8}_\d{6})\.csv"),
        variants=(Variant("v1", COLUMNS, FACTS),),
        transform=transform,
    )
)
