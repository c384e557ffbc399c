"""Part A KPI endpoints (A2–A5): the cards, the latest complete day, goals and alerts. `kpis_get` (B2) reuses
the goal and alert rules on the figures it already read."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Min
from django.utils import timezone

from warehouse.models import (
    AdInsightWindow,
    AdPerformanceDaily,
    CampaignDaily,
    DistributorDailyStream,
    RoyaltyMonthlyAggregate,
    SpotifyAudienceDaily,
    TiktokDaily,
)
from warehouse.selectors.common import ZERO, NoData, change_pct, div, iso_day, iso_month, ts
from warehouse.selectors.distributor import (
    dist_daily_totals,
    dist_month_total,
    dist_window_total,
    streaming_latest_complete_date_get,
)
from warehouse.selectors.loads import Stamp
from warehouse.selectors.meta import meta_facts_get, meta_totals
from warehouse.selectors.revenue import revenue_distributor_get
from warehouse.selectors.royalty import (
    royalty_artist_totals_get,
    royalty_month_totals_get,
    royalty_totals_get,
    top_artist,
)
from warehouse.selectors.social import tiktok_latest_day
from warehouse.selectors.streaming import spotify_followers_latest

CENT = Decimal("0.01")  # the alert text writes dollars to the cent
GOAL_TARGETS = {"monthly_revenue": Decimal("500.0"), "monthly_streams": 200_000, "spotify_followers": 10_000}


def _sources_present() -> list[str]:
    checks = [
        ("dk_bank_details.csv", RoyaltyMonthlyAggregate.objects.exists()),
        ("tidy_daily_streams.csv", DistributorDailyStream.objects.exists()),
        ("spotify_audience_curated_*.csv", SpotifyAudienceDaily.objects.exists()),
        ("tiktok_analytics_curated_*.csv", TiktokDaily.objects.exists()),
        ("metaads/ad_performance_*.csv", AdPerformanceDaily.objects.exists()),
        ("metaads_campaigns_performance_log.csv", CampaignDaily.objects.exists()),
        ("metaads_campaigns_daily.csv", AdInsightWindow.objects.exists()),
    ]
    return [name for name, present in checks if present]


def kpi_summary_get() -> tuple[dict, dict]:
    """A2 `GET /api/kpis/summary`."""
    stamp = Stamp.get()
    totals = royalty_totals_get()
    months = royalty_month_totals_get()
    current_month = max(months) if months else None
    by_artist = royalty_artist_totals_get()
    data = {
        "total_revenue": totals["net"],
        "total_streams": totals["quantity"],
        "average_revenue_per_stream": div(totals["net"], totals["quantity"]),
        "current_month_revenue": months[current_month] if current_month else ZERO,
        "artist_count": len(by_artist),
        "top_artist": top_artist(by_artist),
        "distributor_breakdown": {s: v["estimated_revenue"] for s, v in revenue_distributor_get()[0].items()},
        "last_updated": stamp.last_updated,
    }
    tiktok = tiktok_latest_day()
    if tiktok is not None:
        data["tiktok"] = tiktok
    facts = meta_facts_get()
    if facts.exists:
        meta = meta_totals(facts)
        data["marketing"] = {
            "total_ad_spend": meta["spend"],
            "total_impressions": meta["impressions"],
            "average_cpc": div(meta["spend"], meta["clicks"]),
            "total_clicks": meta["clicks"],
        }
    metadata = {
        "sources": _sources_present(),
        "current_month": iso_month(current_month),
        "last_updated": stamp.last_updated,
        "refresh_interval_seconds": 300,
    }
    return data, metadata


def kpi_realtime_get() -> tuple[dict, dict]:
    """A3 `GET /api/kpis/realtime`: the two latest complete dates, each summed over the sources reporting it."""
    stamp = Stamp.get()
    complete = DistributorDailyStream.objects.filter(is_partial=False)
    dates = list(complete.values_list("date", flat=True).distinct().order_by("-date")[:2])
    if not dates:
        raise NoData("No streaming data available")
    totals = dist_daily_totals(start=dates[-1], end=dates[0])
    current = totals[dates[0]]
    previous = totals[dates[1]] if len(dates) > 1 else current
    sources = list(complete.filter(date=dates[0]).values_list("source", flat=True).order_by("source"))
    data = {
        "current_day": {
            "date": iso_day(dates[0]),
            "spotify_streams": current["spotify"],
            "apple_streams": current["apple"],
            "total_streams": current["total"],
        },
        "daily_change": {
            "spotify": current["spotify"] - previous["spotify"],
            "apple": current["apple"] - previous["apple"],
            "total": current["total"] - previous["total"],
            "spotify_percent": change_pct(current["spotify"], previous["spotify"]),
            "apple_percent": change_pct(current["apple"], previous["apple"]),
        },
    }
    metadata = {
        "source": "tidy_daily_streams.csv",
        "sources_included": sources,
        "last_updated": stamp.last_updated,
        "is_realtime": False,
        "note": "Latest complete date vs the complete date before it, each summed over every distributor "
        "reporting it (partial days excluded). Data arrives with the daily lake run.",
    }
    return data, metadata


def _goal(current, target, has_data: bool) -> dict:
    if not has_data:
        return {"target": target, "current": current, "progress": ZERO, "status": "pending"}
    progress = min(div(Decimal(current) * 100, target), Decimal(100))
    if progress >= 100:
        status = "achieved"
    elif progress >= 75:
        status = "on_track"
    elif progress >= 50:
        status = "behind"
    else:
        status = "at_risk"
    return {"target": target, "current": current, "progress": progress, "status": status}


def goals_build(*, months: dict[dt.date, Decimal], month_streams: int | None, followers: dict[str, dict]) -> dict:
    """A4 `data` from figures already read: Sale Month totals, the latest complete month's streams, followers."""
    revenue_month = max(months) if months else None
    return {
        "monthly_revenue": _goal(
            months[revenue_month] if revenue_month else ZERO,
            GOAL_TARGETS["monthly_revenue"],
            revenue_month is not None,
        ),
        "monthly_streams": _goal(month_streams or 0, GOAL_TARGETS["monthly_streams"], month_streams is not None),
        "spotify_followers": _goal(
            sum(r["followers"] for r in followers.values()), GOAL_TARGETS["spotify_followers"], bool(followers)
        ),
    }


def kpi_goals_get() -> tuple[dict, dict]:
    """A4 `GET /api/kpis/goals`."""
    stamp = Stamp.get()
    months = royalty_month_totals_get()
    latest_day = streaming_latest_complete_date_get()
    streams = dist_month_total(day=latest_day) if latest_day else None
    data = goals_build(months=months, month_streams=streams, followers=spotify_followers_latest())
    metadata = {
        "month": iso_month(latest_day),
        "revenue_month": iso_month(max(months) if months else None),
        "last_updated": stamp.last_updated,
        "note": "Revenue: the latest Sale Month (reports arrive 1-7 months late). Streams: distributor streams "
        "of the month of the latest complete date, partial days excluded. Followers: latest Spotify "
        "followers summed over artists.",
    }
    return data, metadata


def alerts_build(*, months: dict[dt.date, Decimal], weeks: tuple[int, int] | None, timestamp: str) -> list[dict]:
    """A5 from figures already read: Sale Month totals and (last 7 days, the 7 before) when 14 days exist."""
    alerts = []
    if len(months) >= 2:
        latest, previous = sorted(months)[-1], sorted(months)[-2]
        delta = months[latest] - months[previous]
        if abs(delta) > 100:
            fell = delta < 0
            amount = abs(delta).quantize(CENT, ROUND_HALF_UP)
            alerts.append(
                {
                    "type": "revenue",
                    "severity": "high" if fell else "info",
                    "message": f"Revenue {'decreased' if fell else 'increased'} by ${amount}",
                    "timestamp": timestamp,
                }
            )
    if weeks:
        last_7, prev_7 = weeks
        if prev_7 and (Decimal(prev_7 - last_7) / prev_7) > Decimal("0.2"):
            fall = Decimal(prev_7 - last_7) * 100 / prev_7
            alerts.append(
                {
                    "type": "streaming",
                    "severity": "warning",
                    "message": f"Weekly streams decreased by {fall.quantize(Decimal('0.1'), ROUND_HALF_UP)}%",
                    "timestamp": timestamp,
                }
            )
    return alerts


def kpi_alerts_list(*, timestamp: str | None = None) -> list[dict]:
    """A5 alerts. `timestamp` defaults to the latest load's finish time (the moment the figures changed)."""
    stamp_ts = timestamp or Stamp.get().last_updated or ts(timezone.now())
    months = royalty_month_totals_get()
    latest_day = streaming_latest_complete_date_get()
    first_day = DistributorDailyStream.objects.filter(is_partial=False).aggregate(d=Min("date"))["d"]
    weeks = None
    if latest_day and first_day <= latest_day - dt.timedelta(days=13):
        weeks = (
            dist_window_total(end=latest_day, days=7),
            dist_window_total(end=latest_day - dt.timedelta(days=7), days=7),
        )
    return alerts_build(months=months, weeks=weeks, timestamp=stamp_ts)
