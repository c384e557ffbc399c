"""`track_catalog_royalty_splits.csv`: the manual catalog and label shares (contract §2.10), two headers.

A (with ISRC): upsert `track` (title, upc, release_date, release_type) by ISRC and `track_artist` with the
share (percent 0–100; staff still confirm it). B (no ISRC): every row is quarantined `no_isrc` for manual ISRC
assignment in the admin, never matched by title; its share unit is decided per file (all ≤ 1 → ratio ×100; all
0 or ≥ 1 → percent; fractions mixed with values above 1 → rejected `mixed_share_units`). Either variant: a share
outside 0–100 → share_out_of_range; an unknown artist → unknown_artist (alias queued).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Held, Records, SourceSpec, Variant, register
from etl.validation import date, decimal_units, enum, isrc, text
from warehouse import services
from warehouse.fields import from_units, to_units
from warehouse.models import Track

ONE = to_units(Decimal(1))
HUNDRED = to_units(Decimal(100))

VARIANT_A = Variant(
    "A",
    (
        Column("artist", "artist", text(required=True, max_length=200)),
        Column("title", "title", text(max_length=300)),
        Column("isrc", "isrc", isrc()),
        Column("upc", "upc", text(max_length=20)),
        Column("release_date", "release_date", date(allow_empty=True)),
        Column("release_type", "release_type", enum({*Track.ReleaseType.values, ""})),
        Column("royalty_percentage", "share", decimal_units()),
    ),
    Records(
        write=services.track_split_upsert,
        fields={
            "isrc": "text",
            "artist_id": "int",
            "title": "text",
            "upc": "text",
            "release_date": "date",
            "release_type": "text",
            "label_share_pct": "decimal",
        },
        key=("isrc", "artist_id"),
    ),
)
VARIANT_B = Variant(
    "B",
    (
        Column("artist", "artist", text(required=True, max_length=200)),
        Column("title", "title", text(max_length=300)),
        Column("your_revenue_share", "share", decimal_units()),
    ),
    # No ISRC: every row waits for staff to assign one in the admin (these rows are expected, not bad data).
    Held(
        column="isrc",
        reason="no_isrc",
        message="no_isrc: variant B has no ISRC; assign one in the admin (never matched by title)",
    ),
)


def _share_pct(ctx: LoadContext, batch: Batch) -> pd.Series:
    """Variant A: percent. Variant B: decided per file (all ≤ 1 → ratios ×100), else rejected."""
    shares = batch.df["share"]
    if batch.variant is not VARIANT_B:
        return shares
    values = [v for v in shares.tolist() if v is not None and v == v]
    fractions = [v for v in values if 0 < v < ONE]
    above = [v for v in values if v > ONE]
    if fractions and above:
        raise ctx.reject(
            "mixed_share_units",
            f"your_revenue_share mixes fractions below 1 ({from_units(fractions[0]).normalize():f}) with values above 1 "
            f"({from_units(above[0]).normalize():f}): ratio or percent cannot be decided",
        )
    if all(v <= ONE for v in shares.dropna().tolist()):
        return shares.map(lambda v: v * 100 if v is not None and v == v else v)  # ratios → percent
    return shares


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    df["label_share_pct"] = _share_pct(ctx, batch)
    named = df.loc[df["artist"] != "", "artist"].unique().tolist()
    artists = services.artist_alias_resolve(names=named, source_file=ctx.source_file)
    out = df["label_share_pct"].map(lambda v: v is not None and v == v and not 0 <= v <= HUNDRED)
    batch.flag(
        out.to_numpy(),
        column=batch.variant.columns[-1].header,
        reason="share_out_of_range",
        message="share: share_out_of_range (outside 0–100 percent)",
    )
    unknown = df["artist"].map(lambda name: name in artists and artists[name] is None)
    batch.flag(
        unknown.to_numpy(),
        column="artist",
        reason="unknown_artist",
        message="artist: unknown_artist (alias queued for staff)",
    )
    df["artist_id"] = df["artist"].map(artists)


SPEC = register(
    SourceSpec(
        kind="royalty_splits",
        patterns=(r"track_catalog_royalty_splits\.csv",),
        variants=(VARIANT_A, VARIANT_B),
        transform=transform,
    )
)
