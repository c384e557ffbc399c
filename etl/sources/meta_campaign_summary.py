"""`metaads/campaign_summary_<YYYYMMDD>.csv` and `…_latest.csv`: Meta lifetime roll-up per campaign (§2.7).

Feeds the `campaign` dimension only (`services.campaign_upsert` per row: name, objective, status, and the parsed
name, §4.4). Its totals are not facts: the daily facts carry spend. A campaign whose summary spend differs from
its stored daily facts by more than $0.01 is counted `summary_spend_mismatch` (facts of the same run load after
this dimension, so the check sees the facts stored so far; campaigns not stored yet have none and are not
checked). Copies load oldest first (dated by name, `_latest` by mtime); the newest wins per campaign_id and an
identical copy changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Duplicates, Records, SourceSpec, Variant, register
from etl.sources._common import meta_id
from etl.validation import decimal_units, integer, text
from warehouse import selectors, services
from warehouse.fields import from_units
from warehouse.models import Campaign

RECONCILE_TOLERANCE = Decimal("0.01")

COLUMNS = (
    Column("campaign_name", "name", text(required=True, max_length=300)),
    Column("spend_usd", "spend_usd", decimal_units(min_value=0)),
    Column("impressions", "impressions", integer()),
    Column("clicks", "clicks", integer()),
    Column("reach", "reach", integer(allow_empty=True)),
    Column("campaign_id", "campaign_id", meta_id()),
    Column("campaign_objective", "objective", text(max_length=64)),
    Column("campaign_status", "status", text(max_length=32)),
    Column("cpm", "cpm_usd", decimal_units(allow_empty=True)),
    Column("cpc", "cpc_usd", decimal_units(allow_empty=True)),
    Column("ctr", "ctr_pct", decimal_units(allow_empty=True)),
)
FIELDS = {"campaign_id": "text", "name": "text", "objective": "text", "status": "text"}


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    for column in ("objective", "status"):  # empty: not in this file, the stored value stays
        df[column] = df[column].where(df[column] != "", None)
    # Reconciliation only (§2.7): a lifetime total that disagrees with the stored daily facts is a warning. A
    # campaign not stored yet has no facts.
    usable = df[batch.usable]
    pks = dict(Campaign.objects.filter(campaign_id__in=usable["campaign_id"].tolist()).values_list("campaign_id", "pk"))
    summary_spend = {pks[c]: from_units(s) for c, s in zip(usable["campaign_id"], usable["spend_usd"]) if c in pks}
    stored: dict[int, Decimal] = {}
    for day in selectors.meta_facts_get().daily:  # the read side's precedence: ad-level roll-up, else campaign_daily
        if day["campaign_id"] in summary_spend:
            stored[day["campaign_id"]] = stored.get(day["campaign_id"], Decimal(0)) + day["spend"]
    mismatched = [pk for pk, spend in stored.items() if abs(spend - summary_spend[pk]) > RECONCILE_TOLERANCE]
    if mismatched:
        ctx.counters["summary_spend_mismatch"] += len(mismatched)


SPEC = register(
    SourceSpec(
        kind="meta_campaign_summary",
        patterns=(r"metaads/campaign_summary_(?P<ts>\d{8})\.csv", r"metaads/campaign_summary_latest\.csv"),
        variants=(
            Variant(
                "v1",
                COLUMNS,
                Records(
                    write=services.campaign_upsert,
                    fields=FIELDS,
                    key=("campaign_id",),
                    context=("source_file", "queue_unknown"),
                    duplicates=Duplicates(key=("campaign_id",), compare=tuple(FIELDS), before_transform=True),
                ),
            ),
        ),
        transform=transform,
    )
)
