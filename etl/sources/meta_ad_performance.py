"""`metaads/ad_performance_<YYYYMMDD>.csv` and `…_latest.csv`: Meta daily facts at the finest grain (§2.7).

Key (date, campaign, adset_id or '', ad_name or ''). Ids are text (a trailing `.0` is stripped, an exponent form
is quarantined `id_precision_lost`). An empty campaign_id is resolved by exact name when exactly one campaign has
it, else `missing_campaign_id`: manual exports are never collapsed. A campaign id not yet in the dimension
creates the campaign from the row's name. Only the columns present are read; absent pixel counts are 0.
"""

from __future__ import annotations

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Facts, SourceSpec, Variant, register
from etl.sources._common import campaigns_resolve, meta_id
from etl.validation import date, decimal_units, integer, text

PIXELS = ("pixel_view_content", "pixel_purchase", "pixel_add_to_cart", "pixel_link_click")


def _columns(*, by_id: bool) -> tuple[Column, ...]:
    # Required: date, campaign_id or campaign_name, spend_usd, impressions, clicks. The rest may be absent.
    return (
        Column("date", "date", date()),
        Column("campaign_name", "campaign_name", text(max_length=300), required=not by_id),
        Column("campaign_id", "meta_campaign_id", meta_id(allow_empty=True), required=by_id),
        Column("adset_name", "adset_name", text(max_length=300), required=False),
        Column("adset_id", "adset_id", meta_id(allow_empty=True), required=False),
        Column("ad_name", "ad_name", text(max_length=300), required=False),
        Column("spend_usd", "spend_usd", decimal_units(min_value=0)),
        Column("impressions", "impressions", integer()),
        Column("clicks", "clicks", integer()),
        Column("reach", "reach", integer(allow_empty=True), required=False),
        Column("cpm", "cpm_usd", decimal_units(allow_empty=True), required=False),
        Column("cpc", "cpc_usd", decimal_units(allow_empty=True), required=False),
        Column("ctr", "ctr_pct", decimal_units(allow_empty=True), required=False),
        Column("quality_ranking", "quality_ranking", text(max_length=40), required=False),
        Column("engagement_ranking", "engagement_ranking", text(max_length=40), required=False),
        Column("conversion_ranking", "conversion_ranking", text(max_length=40), required=False),
        *(Column(name, name, integer(allow_empty=True), required=False) for name in PIXELS),
    )


def transform(ctx: LoadContext, batch: Batch) -> None:
    campaigns_resolve(ctx, batch, id_field="meta_campaign_id", name_field="campaign_name", target="campaign_id")
    for name in PIXELS:
        batch.df[name] = batch.df[name].fillna(0)  # absent or empty: no events recorded


FACTS = Facts(
    table="ad_performance_daily",
    fields={
        "date": "date",
        "campaign_id": "int",
        "adset_id": "text",
        "ad_name": "text",
        "adset_name": "text",
        "spend_usd": "int",
        "impressions": "int",
        "clicks": "int",
        "reach": "int",
        "cpm_usd": "int",
        "cpc_usd": "int",
        "ctr_pct": "int",
        "quality_ranking": "text",
        "engagement_ranking": "text",
        "conversion_ranking": "text",
        **{name: "int" for name in PIXELS},
    },
    key=("date", "campaign_id", "adset_id", "ad_name"),
)


SPEC = register(
    SourceSpec(
        kind="meta_ad_performance",
        patterns=(r"metaads/ad_performance_(?P<ts>\d{8})\.csv", r"metaads/ad_performance_latest\.csv"),
        variants=(Variant("by_id", _columns(by_id=True), FACTS), Variant("by_name", _columns(by_id=False), FACTS)),
        transform=transform,
    )
)
