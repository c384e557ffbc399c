"""`metaads/daily_performance_<YYYYMMDD>.csv` and `…_latest.csv`: the whole ad account per date (§2.7).

Feeds `ad_account_daily`, for reconciliation only: never added to campaign-level facts. `ctr` is a percent,
`cpm`/`cpc` USD; `reach` arrives as `580554.0` (normalised to an int). Upsert by date; the newest copy wins.
"""

from __future__ import annotations

from etl.sources import Column, Facts, SourceSpec, Variant, register
from etl.validation import date, decimal_units, integer

COLUMNS = (
    Column("date", "date", date()),
    Column("spend_usd", "spend_usd", decimal_units(min_value=0)),
    Column("impressions", "impressions", integer()),
    Column("clicks", "clicks", integer()),
    Column("reach", "reach", integer()),
    Column("cpm", "cpm_usd", decimal_units(allow_empty=True)),
    Column("cpc", "cpc_usd", decimal_units(allow_empty=True)),
    Column("ctr", "ctr_pct", decimal_units(allow_empty=True)),
)

FACTS = Facts(
    table="ad_account_daily",
    fields={
        "date": "date",
        "spend_usd": "int",
        "impressions": "int",
        "clicks": "int",
        "reach": "int",
        "cpm_usd": "int",
        "cpc_usd": "int",
        "ctr_pct": "int",
    },
    key=("date",),
)


SPEC = register(
    SourceSpec(
        kind="meta_daily_performance",
        patterns=(r"metaads/daily_performance_(?P<ts>\d{8})\.csv", r"metaads/daily_performance_latest\.csv"),
        variants=(Variant("v1", COLUMNS, FACTS),),
    )
)
