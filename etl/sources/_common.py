"""Helpers shared by several kind modules (not a kind itself: the registry skips `_` modules).

Parsers for the Meta ids and free-form timestamps, Meta campaign resolution by id or by unique name, and the
Spotify kinds' artist resolution by Spotify artist id or by name.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from etl.pipeline import Batch, LoadContext
from etl.validation import Parsed
from warehouse import services
from warehouse.models import Campaign


def meta_id(*, allow_empty: bool = False) -> callable:
    """18-digit Meta ids stay text (contract §3 #13): a trailing `.0` is stripped (warning); an exponent form
    (`1.20224907266750E+17`) already lost digits → id_precision_lost; anything else not digits → bad_number."""

    def parse(raw: pd.Series) -> Parsed:
        errors = pd.Series("", index=raw.index, dtype=object)
        dot_zero = raw.str.fullmatch(r"\d+\.0+")
        values = raw.where(~dot_zero, raw.str.replace(r"\.0+$", "", regex=True))
        exponent = raw.str.contains(r"[eE][+-]?\d", regex=True)
        empty = values == ""
        errors[exponent] = "id_precision_lost"
        errors[(errors == "") & ~empty & ~values.str.fullmatch(r"\d{1,20}")] = "bad_number"
        if not allow_empty:
            errors[empty] = "missing_key"
        return Parsed(values, errors, {"meta_id_trailing_dot0": dot_zero.astype(bool)})

    return parse


def timestamp(*, allow_empty: bool = True) -> callable:
    """A date or ISO 8601 timestamp (µs and/or offset allowed, contract §3 #12) → aware UTC datetime (naive = UTC)."""

    def one(value: str):
        if not value:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:  # `2025-05-23T06:57:55-0700`: an offset without a colon
                parsed = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
            except ValueError:
                return False
        return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)

    def parse(raw: pd.Series) -> Parsed:
        values = pd.Series([one(v) for v in raw.tolist()], index=raw.index, dtype=object)
        errors = pd.Series("", index=raw.index, dtype=object)
        errors[values.map(lambda v: v is False)] = "bad_date"
        if not allow_empty:
            errors[raw == ""] = "bad_date"
        return Parsed(values.map(lambda v: None if v is False else v), errors)

    return parse


def campaigns_resolve(ctx: LoadContext, batch: Batch, *, id_field: str, name_field: str, target: str) -> None:
    """Fill `target` with campaign pks. A known id maps directly; an unknown id creates the campaign from the
    row's name (parsed, contract §4.4); an empty id resolves by exact name when exactly one campaign has it, else
    the row is quarantined `missing_campaign_id` (contract §2.7: never collapse manual exports)."""
    df = batch.df
    usable = df[batch.usable]
    with_id = usable[usable[id_field] != ""].drop_duplicates(id_field)
    pks: dict[str, int] = dict(
        Campaign.objects.filter(campaign_id__in=with_id[id_field].tolist()).values_list("campaign_id", "pk")
    )
    for row in with_id[~with_id[id_field].isin(pks)].itertuples():
        campaign, outcome = services.campaign_upsert(
            campaign_id=getattr(row, id_field),
            name=getattr(row, name_field),
            source_file=ctx.source_file,
            queue_unknown=not ctx.options.dry_run,
        )
        pks[campaign.campaign_id] = campaign.pk
        ctx.counters["campaigns_created_from_facts"] += 1
    df[target] = df[id_field].map(pks).astype(object)

    no_id = batch.usable & (df[id_field] == "").to_numpy()
    if no_id.any():
        names = df.loc[no_id, name_field].unique().tolist()
        unique = services.campaign_by_unique_name(names=names)
        resolved = df[name_field].map(unique)
        df.loc[no_id, target] = resolved[no_id]
        missing = no_id & resolved.isna().to_numpy()
        batch.flag(
            missing,
            column="campaign_id",
            reason="missing_campaign_id",
            message="campaign_id: missing_campaign_id (empty, and its name is not exactly one campaign's)",
        )
        ctx.counters["campaign_id_from_name"] += int((no_id & ~missing).sum())


def spotify_artists_resolve(
    ctx: LoadContext, batch: Batch, *, name_field: str, valid_id: pd.Series | None = None
) -> tuple[pd.Series, pd.Series]:
    """Per row: (the artist its `spotify_artist_id` names, the artist its `name_field` names), NaN where unknown;
    callers let the id win (contract §4.1). Ids outside `valid_id` are ignored; unknown names are queued for staff."""
    df, usable = batch.df, batch.usable
    ids = df["spotify_artist_id"] if valid_id is None else df["spotify_artist_id"].where(valid_id)
    by_id = services.artist_by_spotify_id(ids=ids[usable].dropna().unique().tolist())
    names = df.loc[usable, name_field].unique().tolist()
    by_name = services.artist_alias_resolve(names=names, source_file=ctx.source_file)
    return ids.map(by_id), df[name_field].map(by_name)
