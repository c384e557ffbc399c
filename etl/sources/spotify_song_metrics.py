"""`spotify_song_metrics_curated_<ts>.csv`: per-track Spotify metrics over overlapping windows (contract §2.4).

Key (track, artist id, time_period, extraction_date); every file carries the history forward, so all copies
load and the newest wins. `time_period` outside 1day/7day/28day/1year/all/unknown → bad_enum. A track id no
dimension file named gets a stub `spotify_track`. The artist is resolved when possible, else NULL (allowed).
Windows overlap: nothing here sums them.
"""

from __future__ import annotations

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Facts, SourceSpec, Variant, register
from etl.sources._common import spotify_artists_resolve
from etl.validation import date, enum, integer, text
from warehouse import services
from warehouse.models import SpotifySongMetric

COLUMNS = (
    Column("track_id", "track_sid", text(required=True, max_length=22)),
    Column("artist_id", "spotify_artist_id", text(max_length=40)),
    Column("artist_name", "artist_name", text(max_length=200)),
    Column("time_period", "time_period", enum(SpotifySongMetric.TimePeriod.values)),
    Column("extraction_date", "extraction_date", date()),
    Column("streams", "streams", integer()),
    Column("listeners", "listeners", integer()),
    Column("savers", "savers", integer()),
    Column("canvas_views", "canvas_views", integer(allow_empty=True)),
    Column("curated_at", "curated_at", text(max_length=40)),
)


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    good = df[batch.usable]
    tracks = services.spotify_track_stub_ensure(spotify_track_ids=good["track_sid"].unique().tolist())
    df["spotify_track_id"] = df["track_sid"].map(tracks).astype(object)
    by_id, by_name = spotify_artists_resolve(ctx, batch, name_field="artist_name")
    df["artist_id"] = by_id.where(by_id.notna(), by_name).astype(object)
    unresolved = int((df["artist_id"].isna() & batch.usable).sum())
    if unresolved:
        ctx.counters["artist_unresolved_loaded_null"] += unresolved


FACTS = Facts(
    table="spotify_song_metric",
    fields={
        "spotify_track_id": "int",
        "spotify_artist_id": "text",
        "time_period": "text",
        "extraction_date": "date",
        "artist_id": "int",
        "streams": "int",
        "listeners": "int",
        "savers": "int",
        "canvas_views": "int",
        "curated_at": "text",
    },
    key=("spotify_track_id", "spotify_artist_id", "time_period", "extraction_date"),
)


SPEC = register(
    SourceSpec(
        kind="spotify_song_metrics",
        patterns=(r"spotify_song_metrics_curated_(?P<ts>\d{8}_\d{6})\.csv",),
        variants=(Variant("v1", COLUMNS, FACTS),),
        transform=transform,
    )
)
