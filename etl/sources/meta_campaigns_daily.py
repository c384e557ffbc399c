"""`metaads_campaigns_daily.csv`: one fixed name, two historical schemas chosen by header (contract §2.8).

v1 (38 columns, ad level): insight rows were joined to ads, so each (campaign, ad set, date_start, date_stop)
window repeats its metrics once per ad. They collapse to one `ad_insight_window` row; differing metrics inside a
window → every row of it quarantined `inconsistent_window`. The campaign, ad set and ad attributes go to
`campaign` (name from `campaign_name_x`, else `_y`). Windows are never spread over days or added to daily facts.
v2 (14 columns, campaign roll-up): feeds `campaign` first/last seen and the active flag; totals are not stored.
Any other header → rejected `unknown_header` naming both variants' missing and unexpected columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl import merge
from etl.pipeline import Batch, LoadContext
from etl.sources import Column, SourceSpec, Variant, register
from etl.sources._common import add_counts, flag_key_duplicates, meta_id
from etl.validation import boolean, date, decimal_units, integer, text
from warehouse import services

WINDOW_TABLE = "ad_insight_window"
WINDOW_KEY = ["campaign_id", "adset_id", "date_start", "date_stop"]
WINDOW_METRICS = ["spend_usd", "impressions", "clicks", "reach", "frequency", "cpc_usd", "ctr_pct"]
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
)
V2 = Variant(
    "v2",
    (
        Column("campaign_id", "meta_campaign_id", meta_id()),
        Column("campaign_name", "campaign_name", text(required=True, max_length=300)),
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
)


def _date(value) -> object:
    return value.date() if pd.notna(value) else None


def _collapse_windows(ctx: LoadContext, batch: Batch) -> None:
    """One row per window: the first copy stays, identical copies are counted, differing ones quarantined."""
    key = ["meta_campaign_id", "adset_id", "date_start", "date_stop"]
    usable = batch.df[batch.usable]
    metrics = usable[key + WINDOW_METRICS].astype(str)
    variants = metrics.drop_duplicates().groupby(key, sort=False).size()
    inconsistent = variants[variants > 1].reset_index()[key]
    if len(inconsistent):
        hit = metrics.reset_index().merge(inconsistent, on=key)["index"].to_numpy()
        mask = np.zeros(len(batch.df), dtype=bool)
        mask[hit] = True
        batch.flag(
            mask,
            column="spend",
            reason="inconsistent_window",
            message="spend/impressions/clicks/reach differ between the ad rows of one insight window",
        )
    usable = batch.df[batch.usable]
    repeated = usable.index[usable.duplicated(subset=key, keep="first").to_numpy()]
    if len(repeated):
        batch.collapsed[repeated.to_numpy()] = True
        ctx.counters["ad_rows_collapsed"] += len(repeated)


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


def _merge_windows(ctx: LoadContext, batch: Batch, pks: dict[str, int]) -> None:
    good = batch.good().copy()
    good["campaign_id"] = good["meta_campaign_id"].map(pks)
    merge.stage_create(WINDOW_FIELDS)
    merge.stage_fill(good, WINDOW_FIELDS, good["_line"])
    inserted, updated, unchanged = merge.upsert(
        table=WINDOW_TABLE,
        fields=list(WINDOW_FIELDS),
        key=WINDOW_KEY,
        load_run_id=ctx.load_run.pk,
        source_file_id=ctx.source_file.pk,
    )
    merge.stage_drop()
    ctx.inserted += inserted
    ctx.updated += updated
    ctx.unchanged += unchanged


def transform(ctx: LoadContext, batch: Batch) -> None:
    if batch.variant.name == "v1":
        _collapse_windows(ctx, batch)
        pks = _campaigns_v1(ctx, batch)
        _merge_windows(ctx, batch, pks)
        return
    flag_key_duplicates(
        ctx,
        batch,
        key=["meta_campaign_id"],
        values=["campaign_name", "first_seen_date", "last_seen_date", "is_currently_active"],
    )
    outcomes = []
    for row in batch.df[batch.usable].itertuples():
        _, outcome = services.campaign_upsert(
            campaign_id=row.meta_campaign_id,
            name=row.campaign_name,
            source_file=ctx.source_file,
            queue_unknown=not ctx.options.dry_run,
            first_seen_date=_date(row.first_seen_date),
            last_seen_date=_date(row.last_seen_date),
            is_currently_active=bool(row.is_currently_active),
        )
        outcomes.append(outcome)
    add_counts(ctx, outcomes)


SPEC = register(
    SourceSpec(
        kind="meta_campaigns_daily",
        patterns=(r"metaads_campaigns_daily\.csv",),
        variants=(V1, V2),
        table="",  # v1 merges ad_insight_window itself (one spec, two targets by variant)
        transform=transform,
    )
)
