"""`metaads_campaigns_performance_log.csv`: the merged Meta campaign daily log (contract §2.9).

Feeds `campaign_daily`, key (date, campaign). `meta_pixel_events` is a JSON object (event → count) written as
text; invalid JSON (or JSON that is not an object) → the field is NULL, a warning is counted and the row still
loads. Upsert, never delete (an older upstream kept only 28 days). A campaign id not in the dimension creates the
campaign from the row's name. Which of ad_performance_daily / campaign_daily counts for a (date, campaign) is a
read rule (ad-level roll-up first), not the loader's.
"""

from __future__ import annotations

import json

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Facts, SourceSpec, Variant, register
from etl.sources._common import campaigns_resolve, meta_id
from etl.validation import date, decimal_units, integer, text

COLUMNS = (
    Column("date", "date", date()),
    Column("campaign_id", "meta_campaign_id", meta_id()),
    Column("campaign_name", "campaign_name", text(max_length=300)),
    Column("reach", "reach", integer(allow_empty=True)),
    Column("cpc", "cpc_usd", decimal_units(allow_empty=True)),
    Column("spend_usd", "spend_usd", decimal_units(min_value=0)),
    Column("impressions", "impressions", integer()),
    Column("clicks", "clicks", integer()),
    Column("meta_pixel_events", "pixel_raw", text()),
)


def _pixel_json(raw: str) -> str | None | bool:
    """Canonical JSON text (stable for the merge's change test), None when empty, False when invalid."""
    if raw == "":
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return False
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else False


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    campaigns_resolve(ctx, batch, id_field="meta_campaign_id", name_field="campaign_name", target="campaign_id")
    parsed = [_pixel_json(raw) for raw in df["pixel_raw"].tolist()]
    invalid = sum(1 for value, usable in zip(parsed, batch.usable) if value is False and usable)
    if invalid:
        ctx.counters["invalid_pixel_json"] += invalid
    df["pixel_events"] = [None if value is False else value for value in parsed]


FACTS = Facts(
    table="campaign_daily",
    fields={
        "date": "date",
        "campaign_id": "int",
        "spend_usd": "int",
        "impressions": "int",
        "clicks": "int",
        "reach": "int",
        "cpc_usd": "int",
        "pixel_events": "json",
    },
    key=("date", "campaign_id"),
)


SPEC = register(
    SourceSpec(
        kind="meta_performance_log",
        patterns=(r"metaads_campaigns_performance_log\.csv",),
        variants=(Variant("v1", COLUMNS, FACTS),),
        transform=transform,
    )
)
