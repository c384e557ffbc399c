"""`spotify_tracks_dimension_<ts>.csv`: Spotify track ids and their display data (contract §2.4).

Feeds `spotify_track` (master data, `services.spotify_track_upsert` per row). No ISRC: a Spotify track links to
`track` only by a manual mapping in the admin, never by name. Across copies first_seen keeps the minimum,
last_updated the maximum (the writer's rule); the artist is resolved by Spotify id, else by name.
"""

from __future__ import annotations

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Duplicates, Records, SourceSpec, Variant, register
from etl.sources._common import spotify_artists_resolve, timestamp
from etl.validation import date, text
from warehouse import services

COLUMNS = (
    Column("track_id", "spotify_track_id", text(required=True, max_length=22)),
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
    by_id, by_name = spotify_artists_resolve(ctx, batch, name_field="artist_name")
    df["artist_id"] = by_id.where(by_id.notna(), by_name).astype(object)


SPEC = register(
    SourceSpec(
        kind="spotify_tracks_dimension",
        patterns=(r"spotify_tracks_dimension_(?P<ts>\d{8}_\d{6})\.csv",),
        variants=(
            Variant(
                "v1",
                COLUMNS,
                Records(
                    write=services.spotify_track_upsert,
                    fields={
                        "spotify_track_id": "text",
                        "name": "text",
                        "uri": "text",
                        "release_date": "date",
                        "image_url": "text",
                        "spotify_artist_id": "text",
                        "artist_id": "int",
                        "first_seen": "date",
                        "last_updated": "datetime",
                    },
                    key=("spotify_track_id",),
                    duplicates=Duplicates(
                        key=("spotify_track_id",), compare=tuple(c.field for c in COLUMNS), before_transform=True
                    ),
                ),
            ),
        ),
        transform=transform,
    )
)
