"""B3 `GET /api/streaming`: one measure per request; rows from different sources are never summed."""

from __future__ import annotations

from django.db.models import Max, Q, Sum

from warehouse.models import DistributorDailyStream, SpotifyAudienceDaily, SpotifySongMetric
from warehouse.selectors.common import BadParameter, Buckets
from warehouse.selectors.series import (
    ROYALTY_DIMENSIONS,
    SeriesFilters,
    check_dimensions,
    period_label,
    platform_slugs,
    royalty_lines_filtered,
    series_metadata,
    series_range,
    streams_by_platform,
)

STREAM_SOURCES = ("distributor", "distrokid", "toolost", "spotify_audience", "royalty", "spotify_songs")
_STREAM_DIMENSIONS = {
    "distributor": {"source", "platform"},
    "distrokid": {"source", "platform"},
    "toolost": {"source", "platform"},
    "spotify_audience": {"artist"},
    "royalty": {"artist", "isrc", "platform", "store", "country"},
    "spotify_songs": {"artist", "spotify_track_id"},
}
_STREAM_ROW_KEYS = (
    "period",
    "source",
    "platform",
    "artist",
    "isrc",
    "spotify_track_id",
    "store",
    "country",
    "streams",
    "listeners",
    "followers",
    "savers",
)


def _stream_row(**values) -> dict:
    return {key: values.get(key) for key in _STREAM_ROW_KEYS}


def _range(filters: SeriesFilters, qs, granularity: str, date_field: str = "date"):
    return series_range(
        start=filters.start, end=filters.end, granularity=granularity, newest=qs.aggregate(d=Max(date_field))["d"]
    )


def _distributor(filters: SeriesFilters, source: str, granularity: str):
    qs = DistributorDailyStream.objects.all()
    if source != "distributor":
        qs = qs.filter(source=source)
    start, end = _range(filters, qs, granularity)
    group = set(filters.group_by)
    buckets = Buckets()
    platforms = platform_slugs(filters)
    for row in qs.filter(date__gte=start, date__lte=end).values("date", "source", "spotify_streams", "apple_streams"):
        for platform, value in streams_by_platform(row, platforms):
            key = (
                period_label(row["date"], granularity),
                row["source"] if "source" in group else source,
                platform if "platform" in group else None,
            )
            buckets.add(key, _stream_row(period=key[0], source=key[1], platform=key[2], streams=0), streams=value)
    return buckets, start, end


def _spotify_audience(filters: SeriesFilters, source: str, granularity: str):
    qs = SpotifyAudienceDaily.objects.all()
    if filters.artist:
        qs = qs.filter(artist=filters.artist)
    start, end = _range(filters, qs, granularity)
    by_artist = "artist" in filters.group_by
    buckets = Buckets()
    followers_at_end: dict[tuple, dict] = {}
    rows = qs.filter(date__gte=start, date__lte=end).values("date", "artist__name", "streams", "listeners", "followers")
    for row in rows.order_by("date"):
        period = period_label(row["date"], granularity)
        key = (period, row["artist__name"] if by_artist else None)
        start_row = _stream_row(period=period, source=source, artist=key[1], streams=0, listeners=0, followers=0)
        buckets.add(key, start_row, streams=row["streams"], listeners=row["listeners"])
        followers_at_end.setdefault(key, {})[row["artist__name"]] = row["followers"]  # ascending: last wins
    for key, per_artist in followers_at_end.items():
        buckets[key]["followers"] = sum(per_artist.values())
    return buckets, start, end


def _royalty(filters: SeriesFilters, source: str, granularity: str):
    qs = royalty_lines_filtered(filters)
    start, end = _range(filters, qs, "month", "sale_month")
    values = ["sale_month", *(ROYALTY_DIMENSIONS[d] for d in filters.group_by)]
    rows = (
        qs.filter(sale_month__gte=start.replace(day=1), sale_month__lte=end)
        .values(*values)
        .annotate(streams=Sum("quantity", filter=Q(earnings_usd__gte=0)))
        .order_by(*values)
    )
    buckets = Buckets()
    for row in rows:  # one row per group already: the database summed it
        dims = {d: row[ROYALTY_DIMENSIONS[d]] for d in filters.group_by}
        period = period_label(row["sale_month"], "month")
        buckets[(period, *dims.values())] = _stream_row(
            period=period, source=source, streams=row["streams"] or 0, **dims
        )
    return buckets, start, end


def _spotify_songs(filters: SeriesFilters, source: str, granularity: str, time_period: str | None):
    """The value at the last extraction date in each period, never summed over dates."""
    if not time_period:
        raise BadParameter(
            "time_period", 'source "spotify_songs" requires time_period (1day, 7day, 28day, 1year, all, unknown)'
        )
    qs = SpotifySongMetric.objects.filter(time_period=time_period)
    if filters.artist:
        qs = qs.filter(artist=filters.artist)
    start, end = _range(filters, qs, granularity, "extraction_date")
    latest: dict[tuple, dict] = {}
    rows = qs.filter(extraction_date__gte=start, extraction_date__lte=end).values(
        "extraction_date",
        "spotify_track__spotify_track_id",
        "spotify_artist_id",
        "artist__name",
        "streams",
        "listeners",
        "savers",
    )
    for row in rows.order_by("extraction_date"):
        period = period_label(row["extraction_date"], granularity)
        latest[(period, row["spotify_track__spotify_track_id"], row["spotify_artist_id"])] = row
    group = set(filters.group_by)
    buckets = Buckets()
    for (period, track_id, _), row in latest.items():
        key = (
            period,
            row["artist__name"] if "artist" in group else None,
            track_id if "spotify_track_id" in group else None,
        )
        start_row = _stream_row(
            period=period, source=source, artist=key[1], spotify_track_id=key[2], streams=0, listeners=0, savers=0
        )
        buckets.add(key, start_row, streams=row["streams"], listeners=row["listeners"], savers=row["savers"])
    return buckets, start, end


def streaming_series_list(
    *, filters: SeriesFilters, source: str = "distributor", time_period: str | None = None
) -> tuple[list, dict]:
    """B3 `GET /api/streaming`: one measure per request; rows from different sources are never summed."""
    check_dimensions(filters, source=source, available=_STREAM_DIMENSIONS[source])
    granularity = filters.granularity or ("month" if source == "royalty" else "day")
    if source == "royalty" and granularity != "month":
        raise BadParameter("granularity", 'source "royalty" is monthly (Sale Month): granularity must be "month"')
    if source in ("distributor", "distrokid", "toolost"):
        buckets, start, end = _distributor(filters, source, granularity)
    elif source == "spotify_audience":
        buckets, start, end = _spotify_audience(filters, source, granularity)
    elif source == "royalty":
        buckets, start, end = _royalty(filters, source, granularity)
    else:
        buckets, start, end = _spotify_songs(filters, source, granularity, time_period)
    # Ordered by the row's dimension columns (not the group key, whose order follows group_by)
    rows = sorted(
        buckets.values(), key=lambda r: tuple("" if r[k] is None else str(r[k]) for k in _STREAM_ROW_KEYS[:8])
    )
    metadata = series_metadata(
        filters=filters.resolved(start, end, granularity, time_period=time_period),
        source=source,
        granularity=granularity,
        row_count=len(rows),
    )
    return rows, metadata
