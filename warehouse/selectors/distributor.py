"""Distributor daily streams (tidy_daily_streams): totals per source, per date, per month and per window."""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, Count, Max, Min, Q, Sum
from django.db.models.functions import Cast, Substr

from warehouse.models import DistributorDailyStream
from warehouse.selectors.common import SOURCES, month_end, month_start


def _source_sums() -> dict:
    return {"spotify": Sum("spotify_streams"), "apple": Sum("apple_streams"), "combined": Sum("combined_streams")}


def _zero_sources() -> dict[str, dict]:
    return {source: {"spotify": 0, "apple": 0, "combined": 0, "days": 0} for source in SOURCES}


def dist_by_source() -> dict[str, dict]:
    result = _zero_sources()
    rows = DistributorDailyStream.objects.values("source").annotate(**_source_sums(), days=Count("date", distinct=True))
    for row in rows:
        result[row["source"]] = {key: row[key] for key in ("spotify", "apple", "combined", "days")}
    return result


def streaming_latest_complete_date_get() -> dt.date | None:
    """The newest date in distributor_daily_stream not flagged is_partial (contract §1 "Latest day")."""
    return DistributorDailyStream.objects.filter(is_partial=False).aggregate(d=Max("date"))["d"]


def dist_daily_totals(*, start: dt.date | None = None, end: dt.date | None = None) -> dict[dt.date, dict]:
    """Complete (non-partial) rows summed over sources per date."""
    qs = DistributorDailyStream.objects.filter(is_partial=False)
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    rows = qs.values("date").annotate(spotify=Sum("spotify_streams"), apple=Sum("apple_streams")).order_by("date")
    return {r["date"]: {"spotify": r["spotify"], "apple": r["apple"], "total": r["spotify"] + r["apple"]} for r in rows}


def dist_window_total(*, end: dt.date, days: int) -> int:
    qs = DistributorDailyStream.objects.filter(
        is_partial=False, date__gt=end - dt.timedelta(days=days), date__lte=end
    ).aggregate(total=Sum("combined_streams"))
    return qs["total"] or 0


def dist_month_total(*, day: dt.date) -> int | None:
    """Complete-day streams of the calendar month of `day` (None when it has none)."""
    first = month_start(day)
    return DistributorDailyStream.objects.filter(
        is_partial=False, date__gte=first, date__lte=month_end(first)
    ).aggregate(total=Sum("combined_streams"))["total"]


def dist_months(*, complete_only: bool = False) -> dict[dt.date, dict]:
    qs = DistributorDailyStream.objects.all()
    if complete_only:
        qs = qs.filter(is_partial=False)
    # 'YYYY-MM' from the ISO date text: plain SQL on both backends (TruncMonth is a Python function on SQLite)
    rows = (
        qs.annotate(month=Substr(Cast("date", CharField()), 1, 7))
        .values("month")
        .annotate(spotify=Sum("spotify_streams"), apple=Sum("apple_streams"))
        .order_by("month")
    )
    return {dt.date.fromisoformat(r["month"] + "-01"): {"spotify": r["spotify"], "apple": r["apple"]} for r in rows}


def dist_kpi_overview() -> tuple[dict[str, dict], dict[str, dt.date | None], dt.date | None, dt.date | None]:
    """One pass over distributor_daily_stream per source: the `dist_by_source` totals, each source's newest date
    (freshness) and the first/last complete dates over all sources."""
    by_source = _zero_sources()
    newest: dict[str, dt.date | None] = {}
    firsts, lasts = [], []
    complete = Q(is_partial=False)
    rows = DistributorDailyStream.objects.values("source").annotate(
        **_source_sums(),
        days=Count("date", distinct=True),
        newest=Max("date"),
        first_complete=Min("date", filter=complete),
        last_complete=Max("date", filter=complete),
    )
    for row in rows:
        by_source[row["source"]] = {key: row[key] for key in ("spotify", "apple", "combined", "days")}
        newest[row["source"]] = row["newest"]
        firsts += [row["first_complete"]] if row["first_complete"] else []
        lasts += [row["last_complete"]] if row["last_complete"] else []
    return by_source, newest, min(firsts, default=None), max(lasts, default=None)


def dist_kpi_windows(*, as_of: dt.date) -> dict:
    """Every window kpis_get shows around the latest complete date, as filtered sums in one query."""
    first = month_start(as_of)
    last = month_end(first)
    complete = Q(is_partial=False)
    last_7 = Q(date__gt=as_of - dt.timedelta(days=7), date__lte=as_of)
    prev_7 = Q(date__gt=as_of - dt.timedelta(days=14), date__lte=as_of - dt.timedelta(days=7))
    to_date = Q(date__gte=first, date__lte=as_of)
    return DistributorDailyStream.objects.filter(
        date__gt=min(as_of - dt.timedelta(days=14), first - dt.timedelta(days=1)), date__lte=last
    ).aggregate(
        day_spotify=Sum("spotify_streams", filter=complete & Q(date=as_of)),
        day_apple=Sum("apple_streams", filter=complete & Q(date=as_of)),
        last_7=Sum("combined_streams", filter=complete & last_7),
        prev_7=Sum("combined_streams", filter=complete & prev_7),
        month_to_date=Sum("combined_streams", filter=complete & to_date),
        month_complete=Sum("combined_streams", filter=complete & Q(date__gte=first, date__lte=last)),
        mtd_spotify=Sum("spotify_streams", filter=to_date),  # partial days included: the estimate's basis
        mtd_apple=Sum("apple_streams", filter=to_date),
    )
