"""Part A streaming endpoints (A11–A14): daily distributor rows, totals, growth, the Spotify audience."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Min, Q, Sum

from warehouse.models import Artist, DistributorDailyStream, SourceFile, SpotifyAudienceDaily
from warehouse.selectors.common import SOURCES, ZERO, Buckets, NoData, change_pct, div, iso_day, month_end
from warehouse.selectors.distributor import dist_by_source, dist_daily_totals, streaming_latest_complete_date_get
from warehouse.selectors.loads import Stamp

GROWTH_PERIODS = ("daily", "weekly", "monthly")


def spotify_followers_latest(*, on_or_before: dt.date | None = None) -> dict[str, dict]:
    """Latest audience row per artist name: `followers` is a running total, never summed over days."""
    qs = SpotifyAudienceDaily.objects.all()
    if on_or_before:
        qs = qs.filter(date__lte=on_or_before)
    latest = {row["artist_id"]: row["d"] for row in qs.values("artist_id").annotate(d=Max("date"))}
    result = {}
    for row in qs.filter(date__in=set(latest.values())).values(
        "artist_id", "artist__name", "date", "followers", "listeners"
    ):
        if latest.get(row["artist_id"]) == row["date"]:
            result[row["artist__name"]] = row
    return result


def _daily_rows(qs, *, source: str | None) -> list[dict]:
    if source != "all":
        return [
            {
                "date": iso_day(r.date),
                "spotify_streams": r.spotify_streams,
                "apple_streams": r.apple_streams,
                "combined_streams": r.combined_streams,
                "source": r.source,
                "is_partial": r.is_partial,
            }
            for r in qs.order_by("date", "source")
        ]
    grouped = (
        qs.values("date")
        .annotate(s=Sum("spotify_streams"), a=Sum("apple_streams"), partial=Count("id", filter=Q(is_partial=True)))
        .order_by("date")
    )
    return [
        {
            "date": iso_day(r["date"]),
            "spotify_streams": r["s"],
            "apple_streams": r["a"],
            "combined_streams": r["s"] + r["a"],
            "source": "all",
            "is_partial": bool(r["partial"]),
        }
        for r in grouped
    ]


def streaming_daily_list(
    *, days: int = 30, source: str | None = None, include_partial: bool = False
) -> tuple[list, dict]:
    """A11: every row in [L − days + 1, L]. L = the latest complete date: a trailing partial day would draw as a
    collapse to 0. `include_partial` sets L to the newest date and keeps partial rows (flagged `is_partial`)."""
    table = DistributorDailyStream.objects
    newest = table.aggregate(d=Max("date"))["d"]
    complete = streaming_latest_complete_date_get()
    end = newest if include_partial else complete
    excluded = (
        0
        if include_partial or newest is None
        else (table.filter(date__gt=complete) if complete else table).values("date").distinct().count()
    )
    rows: list[dict] = []
    if end:
        qs = table.filter(date__gt=end - dt.timedelta(days=days), date__lte=end)
        if not include_partial:
            qs = qs.filter(is_partial=False)
        if source in SOURCES:
            qs = qs.filter(source=source)
        rows = _daily_rows(qs, source=source)
    metadata = {
        "source": "tidy_daily_streams.csv",
        "days_requested": days,
        "days_returned": len({r["date"] for r in rows}),
        "partial_days_excluded": excluded,
        "last_updated": Stamp.get().last_updated,
        "limitations": ["No artist-level detail available", "Aggregated from multiple distributors"],
    }
    return rows, metadata


def streaming_summary_get() -> tuple[dict, dict]:
    """A12."""
    by_source = dist_by_source()
    span = DistributorDailyStream.objects.aggregate(
        start=Min("date"), end=Max("date"), days=Count("date", distinct=True)
    )
    days = span["days"] or 0
    spotify = sum(v["spotify"] for v in by_source.values())
    apple = sum(v["apple"] for v in by_source.values())
    data = {
        "total_streams": {"spotify": spotify, "apple": apple, "combined": spotify + apple},
        "by_distributor": {
            source: {"spotify": v["spotify"], "apple": v["apple"], "total": v["combined"], "days": v["days"]}
            for source, v in by_source.items()
        },
        "date_range": {"start": iso_day(span["start"]), "end": iso_day(span["end"]), "days": days},
        "daily_average": {
            "spotify": div(spotify, days),
            "apple": div(apple, days),
            "combined": div(spotify + apple, days),
        },
    }
    return data, {"source": "tidy_daily_streams.csv", "last_updated": Stamp.get().last_updated}


def _growth_key(day: dt.date, period: str) -> str:
    if period == "daily":
        return day.isoformat()
    if period == "weekly":
        return day.strftime("%Y-W%U")  # Sunday-start weeks: kept for compatibility with the old dashboard
    return day.strftime("%Y-%m")


def _last_period_partial(newest: dt.date, period: str) -> bool:
    if period == "monthly":
        return newest != month_end(newest)
    if period == "weekly":
        return newest.strftime("%w") != "6"  # the Sunday-start week ends on Saturday
    return False


def streaming_growth_list(*, period: str = "monthly") -> tuple[list, dict]:
    """A13: the last 12 periods, all sources summed, partial days excluded."""
    buckets = Buckets()  # in date order: dist_daily_totals is ascending
    last_day: dict[str, dt.date] = {}
    for day, values in dist_daily_totals().items():
        key = _growth_key(day, period)
        buckets.add(key, {"spotify": 0, "apple": 0, "total": 0}, **values)
        last_day[key] = day
    keys = list(buckets)
    if len(keys) < 2:
        raise NoData("Insufficient data for growth calculation")
    rows = []
    for index, key in enumerate(keys):
        current = buckets[key]
        previous = buckets[keys[index - 1]] if index else None
        rows.append(
            {
                "period": key,
                "spotify_streams": current["spotify"],
                "apple_streams": current["apple"],
                "total_streams": current["total"],
                "growth": {
                    name: change_pct(current[name], previous[name]) if previous else ZERO
                    for name in ("spotify", "apple", "total")
                },
            }
        )
    partial = _last_period_partial(last_day[keys[-1]], period)
    return rows[-12:], {"period": period, "partial_last_period": partial, "last_updated": Stamp.get().last_updated}


def spotify_audience_list(
    *, artist: Artist | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[list, dict]:
    """A14: the curated rows, sorted by alias then date."""
    qs = SpotifyAudienceDaily.objects.select_related("artist")
    if artist:
        qs = qs.filter(artist=artist)
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    rows = [
        {
            "date": iso_day(r.date),
            "listeners": r.listeners,
            "streams": r.streams,
            "followers": r.followers,
            "artist_id": r.artist.spotify_artist_id,
            "artist_name": r.source_alias,
            "extracted_at": r.extracted_at,
            "source_file": r.source_file_label,
            "data_source": r.data_source,
            "processed_at": r.processed_at,
        }
        for r in qs.order_by("source_alias", "date")
    ]
    if not rows:
        raise NoData("No Spotify audience data available")
    newest = (
        SourceFile.objects.filter(kind="spotify_audience", status=SourceFile.Status.LOADED)
        .order_by("-name_timestamp", "-id")
        .values_list("path", flat=True)
        .first()
    )
    return rows, {"source": newest.rsplit("/", 1)[-1] if newest else None, "last_updated": Stamp.get().last_updated}
