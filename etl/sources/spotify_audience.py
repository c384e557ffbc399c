"""`spotify_audience_curated_<ts>.csv`: Spotify for Artists, artist level per day (contract §2.3).

Artist: a valid `artist_id` (22 characters) wins; malformed ids (`20250616`, `unknown`) are ignored and
`artist_name` (an alias such as `zone_a0`) is used. Id and name resolving to different artists → artist_conflict;
neither resolving → unknown_artist (the name is queued as an alias). Within a file, rows of one (artist, date)
are ordered by extracted_at / processed_at and the latest wins. Key (artist, date); upsert, never delete.
`followers` is a running total, stored as delivered.
"""

from __future__ import annotations

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Facts, SourceSpec, Variant, register
from etl.sources._common import spotify_artists_resolve
from etl.validation import date, integer, text

SPOTIFY_ID = r"[0-9A-Za-z]{22}"

COLUMNS = (
    Column("date", "date", date()),
    Column("listeners", "listeners", integer()),
    Column("streams", "streams", integer()),
    Column("followers", "followers", integer()),
    Column("artist_id", "spotify_artist_id", text(max_length=40)),
    Column("artist_name", "source_alias", text(max_length=100)),
    Column("extracted_at", "extracted_at", text(max_length=40)),
    Column("source_file", "source_file_label", text(max_length=200)),
    Column("data_source", "data_source", text(max_length=40)),
    Column("processed_at", "processed_at", text(max_length=40)),
)


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    valid_id = df["spotify_artist_id"].str.fullmatch(SPOTIFY_ID)
    id_artist, name_artist = spotify_artists_resolve(ctx, batch, name_field="source_alias", valid_id=valid_id)

    conflict = id_artist.notna() & name_artist.notna() & (id_artist != name_artist)
    batch.flag(
        conflict.to_numpy(),
        column="artist_id",
        reason="artist_conflict",
        message="artist_id: artist_conflict (artist_id and artist_name name different artists)",
    )
    unknown = id_artist.isna() & name_artist.isna()
    batch.flag(
        unknown.to_numpy(),
        column="artist_name",
        reason="unknown_artist",
        message="artist_name: unknown_artist (neither artist_id nor artist_name resolves; alias queued)",
    )
    df["artist_id"] = id_artist.where(id_artist.notna(), name_artist).astype(object)
    if "data_source" in df:
        df["data_source"] = df["data_source"].where(df["data_source"] != "", "spotify_audience")

    # Several rows for one (artist, date): the latest extraction wins; the rest are counted, not loaded.
    usable = df[batch.usable].sort_values(["extracted_at", "processed_at", "_line"])
    older = usable.duplicated(subset=["artist_id", "date"], keep="last")
    if older.any():
        batch.collapsed[usable.index[older.to_numpy()].to_numpy()] = True
        ctx.counters["superseded_by_later_extraction"] += int(older.sum())
    from_name = int((id_artist.isna() & name_artist.notna() & batch.usable).sum())
    if from_name:
        ctx.counters["artist_from_name"] += from_name


FACTS = Facts(
    table="spotify_audience_daily",
    fields={
        "artist_id": "int",
        "date": "date",
        "listeners": "int",
        "streams": "int",
        "followers": "int",
        "source_alias": "text",
        "spotify_artist_id": "text",
        "extracted_at": "text",
        "processed_at": "text",
        "source_file_label": "text",
        "data_source": "text",
    },
    key=("artist_id", "date"),
)


SPEC = register(
    SourceSpec(
        kind="spotify_audience",
        patterns=(r"spotify_audience_curated_(?P<ts>\d{8}_\d{6})\.csv",),
        variants=(Variant("v1", COLUMNS, FACTS),),
        transform=transform,
    )
)
