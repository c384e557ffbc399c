"""Social reads: TikTok and Linktree (the B5 series, and the figures the KPI endpoints show)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Exists, Max, OuterRef, Subquery, Sum

from warehouse.models import LinktreeDaily, SocialAccount, TiktokDaily
from warehouse.selectors.common import ZERO, BadParameter, Buckets, div
from warehouse.selectors.series import SeriesFilters, period_label, series_metadata, series_range

SOCIAL_PLATFORMS = ("tiktok", "linktree")
_TIKTOK_COUNTS = ("video_views", "profile_views", "likes", "comments", "shares")
_LINKTREE_COUNTS = ("total_views", "unique_views", "total_clicks", "unique_clicks")


def tiktok_engagement(*, views: int, likes: int, comments: int, shares: int) -> Decimal:
    return div(likes + comments + shares, views)


def tiktok_latest_day() -> dict | None:
    latest = TiktokDaily.objects.aggregate(d=Max("date"))["d"]
    if latest is None:
        return None
    sums = TiktokDaily.objects.filter(date=latest).aggregate(
        views=Sum("video_views"), likes=Sum("likes"), comments=Sum("comments"), shares=Sum("shares")
    )
    return {"video_views": sums["views"], "engagement_rate": tiktok_engagement(**sums)}


def tiktok_followers_latest() -> dict[str, int | None]:
    """Per handle with TikTok days: the newest non-empty followers snapshot (None when it never had one)."""
    snapshot = (
        TiktokDaily.objects.filter(account__handle=OuterRef("handle"), followers_snapshot__isnull=False)
        .order_by("-date")
        .values("followers_snapshot")[:1]
    )
    accounts = (
        SocialAccount.objects.filter(Exists(TiktokDaily.objects.filter(account=OuterRef("pk"))))
        .values("handle")
        .distinct()
        .annotate(snapshot=Subquery(snapshot))
        .order_by("handle")
    )
    return {row["handle"]: row["snapshot"] for row in accounts}


def window_sum(model, field_names: list[str], *, end: dt.date | None, days: int, **filters) -> dict:
    """`field_names` summed over the `days` days ending on `end` (zeros when the table has no date)."""
    if end is None:
        return {name: 0 for name in field_names}
    sums = model.objects.filter(date__gt=end - dt.timedelta(days=days), date__lte=end, **filters).aggregate(
        **{name: Sum(name) for name in field_names}
    )
    return {name: sums[name] or 0 for name in field_names}


def _tiktok_series(*, start, end, granularity, artist, account) -> list[dict]:
    qs = TiktokDaily.objects.filter(date__gte=start, date__lte=end)
    if artist:
        qs = qs.filter(account__artist=artist)
    if account:
        qs = qs.filter(account__handle=account)
    buckets = Buckets()
    rows = qs.values("date", "account__handle", "account__artist__name", *_TIKTOK_COUNTS, "followers_snapshot")
    for row in rows.order_by("date"):
        period = period_label(row["date"], granularity)
        start_row = {
            "period": period,
            "account": row["account__handle"],
            "artist": row["account__artist__name"],
            **dict.fromkeys(_TIKTOK_COUNTS, 0),
            "engagement_rate": ZERO,
            "followers": None,
        }
        bucket = buckets.add((period, row["account__handle"]), start_row, **{n: row[n] for n in _TIKTOK_COUNTS})
        if row["followers_snapshot"] is not None:
            bucket["followers"] = row["followers_snapshot"]  # ascending: the last snapshot of the period wins
    for bucket in buckets.values():
        bucket["engagement_rate"] = tiktok_engagement(
            views=bucket["video_views"], likes=bucket["likes"], comments=bucket["comments"], shares=bucket["shares"]
        )
    return buckets.rows()


def _linktree_series(*, start, end, granularity, account) -> list[dict]:
    qs = LinktreeDaily.objects.filter(date__gte=start, date__lte=end)
    if account:
        qs = qs.filter(account=account)
    buckets = Buckets()
    for row in qs.values("date", "account", *_LINKTREE_COUNTS):
        period = period_label(row["date"], granularity)
        start_row = {
            "period": period,
            "account": row["account"],
            **dict.fromkeys(_LINKTREE_COUNTS, 0),
            "click_through_ratio": ZERO,
        }
        buckets.add((period, row["account"]), start_row, **{n: row[n] for n in _LINKTREE_COUNTS})
    for bucket in buckets.values():
        bucket["click_through_ratio"] = div(bucket["total_clicks"], bucket["total_views"])
    return buckets.rows()


def social_series_get(*, filters: SeriesFilters, platforms: list[str], account: str | None = None) -> tuple[dict, dict]:
    """B5 `GET /api/social`: TikTok and Linktree series (counts summed, ratios recomputed)."""
    granularity = filters.granularity or "day"
    if filters.isrc:
        raise BadParameter("isrc", 'dimension "isrc" not available for source "social"')
    newest = [
        TiktokDaily.objects.aggregate(d=Max("date"))["d"] if "tiktok" in platforms else None,
        LinktreeDaily.objects.aggregate(d=Max("date"))["d"] if "linktree" in platforms else None,
    ]
    newest = [d for d in newest if d]
    start, end = series_range(
        start=filters.start, end=filters.end, granularity=granularity, newest=max(newest) if newest else None
    )
    data: dict[str, list] = {}
    if "tiktok" in platforms:
        data["tiktok"] = _tiktok_series(
            start=start, end=end, granularity=granularity, artist=filters.artist, account=account
        )
    if "linktree" in platforms:
        data["linktree"] = _linktree_series(start=start, end=end, granularity=granularity, account=account)
    metadata = series_metadata(
        filters=filters.resolved(start, end, granularity, platforms=platforms, account=account),
        source=",".join(platforms),
        granularity=granularity,
        row_count=sum(len(rows) for rows in data.values()),
    )
    return data, metadata
