"""`metaads_campaigns_daily.csv`: one fixed name, two historical schemas chosen by header (contract §2.8).

v1 (38 columns, ad level): insight rows were joined to ads, so each (campaign, ad set, date_start, date_stop)
window repeats its metrics once per ad. They collapse to one `ad_insight_window` row; differing metrics inside a
window → every row of it quarantined `inconsistent_window`. The campaign, ad set and ad attributes go to
`campaign` (name from `campaign_name_x`, else `_y`). Windows are never spread over days or added to daily facts.
v2 (14 columns, campaign roll-up): feeds `campaign` first/last seen and the active flag; totals are not stored.
Any other header → rejected `unknown_header` naming both variants' missing and unexpected columns.
"""

from __future__ import annotations

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Duplicates, Facts, Records, SourceSpec, Variant, register
from etl.sources._common import meta_id
from etl.validation import boolean, date, decimal_units, integer, text
from warehouse import services

WINDOW_METRICS = ("spend_usd", "impressions", "clicks", "reach", "frequency", "cpc_usd", "ctr_pct")
WINDOW_FIELDS = {
    "campaign_id": "int",
    "adset_id": "text",
    "date_start": "date",
    "date_stop": "date",
    "adset_name": "text",
    "spend_usd": "int",
    "impressions": "int",
    "clicks": "int",
    "reach": "int",
    "frequency": "int",
    "cpc_usd": "int",
    "ctr_pct": "int",
}

_V1_TEXT = (
    "adset_name_y",
    "adset_status",
    "adset_daily_budget",
    "adset_lifetime_budget",
    "bid_strategy",
    "targeting",
    "optimization_goal",
    "start_time_x",
    "pacing_type",
    "created_time_x",
    "updated_time_x",
    "campaign_name_y",
    "campaign_status",
    "campaign_objective",
    "start_time_y",
    "created_time_y",
    "updated_time_y",
    "ad_name",
    "status",
    "effective_status",
    "created_time",
    "updated_time",
    "creative_id",
    "tracking_specs",
)
V1 = Variant(
    "v1",
    (
        Column("campaign_id", "meta_campaign_id", meta_id()),
        Column("campaign_name_x", "campaign_name_x", text(max_length=300)),
        Column("adset_id", "adset_id", meta_id()),
        Column("adset_name_x", "adset_name", text(max_length=300)),
        Column("spend", "spend_usd", decimal_units(min_value=0)),
        Column("impressions", "impressions", integer()),
        Column("clicks", "clicks", integer()),
        Column("cpc", "cpc_usd", decimal_units(allow_empty=True)),
        Column("ctr", "ctr_pct", decimal_units(allow_empty=True)),
        Column("reach", "reach", integer(allow_empty=True)),
        Column("frequency", "frequency", decimal_units(allow_empty=True)),
        Column("date_start", "date_start", date()),
        Column("date_stop", "date_stop", date()),
        Column("ad_id", "ad_id", meta_id(allow_empty=True)),
        *(Column(name, name, text(), required=False) for name in _V1_TEXT),
    ),
    Facts(
        table="ad_insight_window",
        fields=WINDOW_FIELDS,
        key=("campaign_id", "adset_id", "date_start", "date_stop"),
        # One row per window: the ad rows repeating it collapse; differing metrics inside it → all quarantined.
        duplicates=Duplicates(
            key=("meta_campaign_id", "adset_id", "date_start", "date_stop"),
            compare=WINDOW_METRICS,
            reason="inconsistent_window",
            column="spend",
            message="spend/impressions/clicks/reach differ between the ad rows of one insight window",
            counter="ad_rows_collapsed",
            before_transform=True,  # so the campaigns' ad attributes come from the consistent windows
        ),
    ),
)
V2 = Variant(
    "v2",
    (
        Column("campaign_id", "campaign_id", meta_id()),
        Column("campaign_name", "name", text(required=True, max_length=300)),
        Column("first_seen_date", "first_seen_date", date()),
        Column("last_seen_date", "last_seen_date", date()),
        Column("total_spend_usd", "total_spend_usd", decimal_units(min_value=0)),
        Column("total_impressions", "total_impressions", integer()),
        Column("total_clicks", "total_clicks", integer()),
        Column("max_daily_reach", "max_daily_reach", integer(allow_empty=True)),
        Column("is_currently_active", "is_currently_active", boolean()),
        Column("data_source", "data_source", text()),
        Column("api_version", "api_version", text()),
        Column("avg_cpc", "avg_cpc", decimal_units(allow_empty=True)),
        Column("avg_ctr", "avg_ctr", decimal_units(allow_empty=True)),
        Column("total_days_active", "total_days_active", integer(allow_empty=True)),
    ),
    Records(
        write=services.campaign_upsert,
        fields={
            "campaign_id": "text",
            "name": "text",
            "first_seen_date": "date",
            "last_seen_date": "date",
            "is_currently_active": "bool",
        },
        key=("campaign_id",),
        context=("source_file", "queue_unknown"),
    ),
)


def _campaigns_v1(ctx: LoadContext, batch: Batch) -> dict[str, int]:
    df = batch.df[~batch.bad]  # collapsed repeats still name their own ads
    pks, outcomes = {}, []
    for campaign_id, rows in df.groupby("meta_campaign_id", sort=False):
        first = rows.iloc[0]
        adsets = {
            r.adset_id: {
                k: getattr(r, k)
                for k in (
                    "adset_name",
                    "adset_status",
                    "adset_daily_budget",
                    "adset_lifetime_budget",
                    "bid_strategy",
                    "optimization_goal",
                    "targeting",
                    "pacing_type",
                )
            }
            for r in rows.drop_duplicates("adset_id").itertuples()
        }
        ads = {
            r.ad_id: {
                "adset_id": r.adset_id,
                **{
                    k: getattr(r, k) for k in ("ad_name", "status", "effective_status", "creative_id", "tracking_specs")
                },
            }
            for r in rows.drop_duplicates("ad_id").itertuples()
            if r.ad_id
        }
        campaign, outcome = services.campaign_upsert(
            campaign_id=campaign_id,
            name=first["campaign_name_x"] or first["campaign_name_y"],
            source_file=ctx.source_file,
            queue_unknown=not ctx.options.dry_run,
            objective=first["campaign_objective"] or None,
            status=first["campaign_status"] or None,
            attributes={"adsets": adsets, "ads": ads},
        )
        pks[campaign_id] = campaign.pk
        outcomes.append(outcome)
    for outcome in ("inserted", "updated"):
        if outcomes.count(outcome):
            ctx.counters[f"campaigns_{outcome}"] += outcomes.count(outcome)
    return pks


def transform(ctx: LoadContext, batch: Batch) -> None:
    if batch.variant is V1:  # v2 rows are the campaigns themselves (its target)
        pks = _campaigns_v1(ctx, batch)
        batch.df["campaign_id"] = batch.df["meta_campaign_id"].map(pks).astype(object)


SPEC = register(
    SourceSpec(
        kind="meta_campaigns_daily",
        patterns=(r"metaads_campaigns_daily\.csv",),
        variants=(V1, V2),
        transform=transform,
    )
)
