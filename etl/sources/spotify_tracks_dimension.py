"""`spotify_tracks_dimension_<ts>.csv`: Spotify track ids and their display data (contract §2.4).

Feeds `spotify_track` (master data, written in `transform`). No ISRC: a Spotify track links to `track` only by a
manual mapping in the admin, never by name. Across copies first_seen keeps the minimum, last_updated the maximum.
"""

from __future__ import annotations

import pandas as pd

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, SourceSpec, Variant, register
from etl.sources._common import add_counts, flag_key_duplicates, timestamp
from etl.validation import date, text
from warehouse import services

COLUMNS = (
    Column("track_id", "track_sid", text(required=True, max_length=22)),
    Column("track_name", "name", text(max_length=300)),
    Column("track_uri", "uri", text(max_length=64)),
    Column("release_date", "release_date", date(allow_empty=True)),
    Column("image_url", "image_url", text(max_length=500)),
    Column("artist_id", "spotify_artist_id", text(max_length=40)),
    Column("artist_name", "artist_name", text(max_length=200)),
    Column("first_seen", "first_seen", timestamp()),
    Column("last_updated", "last_updated", timestamp()),
)


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    flag_key_duplicates(ctx, batch, key=["track_sid"], values=[c.field for c in COLUMNS[1:]])
    good = df[batch.usable]
    by_id = services.artist_by_spotify_id(ids=good["spotify_artist_id"].unique().tolist())
    by_name = services.artist_alias_resolve(names=good["artist_name"].unique().tolist(), source_file=ctx.source_file)
    outcomes = []
    for row in good.itertuples():
        release = row.release_date.date() if pd.notna(row.release_date) else None
        _, outcome = services.spotify_track_upsert(
            spotify_track_id=row.track_sid,
            values={
                "name": row.name,
                "uri": row.uri,
                "release_date": release,
                "image_url": row.image_url,
                "spotify_artist_id": row.spotify_artist_id,
                "artist_id": by_id.get(row.spotify_artist_id) or by_name.get(row.artist_name),
                "first_seen": row.first_seen.date() if pd.notna(row.first_seen) else None,
                "last_updated": row.last_updated if pd.notna(row.last_updated) else None,
            },
        )
        outcomes.append(outcome)
    add_counts(ctx, outcomes)


SPEC = register(
    SourceSpec(
        kind="spotify_tracks_dimension",
        patterns=(r"spotify_tracks_dimension_(?P<ts>\d{8}_\d{6})\.csv",),
        variants=(Variant("v1", COLUMNS),),
        table="",
        transform=transform,
    )
)
