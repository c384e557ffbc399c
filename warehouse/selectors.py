"""Reads: every figure the API and the websocket serve is computed here, from the warehouse tables.

Money stays Decimal (exact integer units underneath) until the last step, where each figure is rounded half-up
to the contract's precision and handed out as a JSON-ready float (`usd`, `rate`, `pct`, `ratio`). Dates are
`YYYY-MM-DD`, months `YYYY-MM`, timestamps ISO 8601 UTC with `Z`. Functions that depend on "today" take it as a
keyword so tests are deterministic; the API passes `timezone.now().date()`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Count, Exists, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Substr, TruncMonth
from django.utils import timezone

from warehouse.models import (
    AdInsightWindow,
    AdPerformanceDaily,
    Artist,
    ArtistAlias,
    BusinessExpense,
    Campaign,
    CampaignDaily,
    DistributorDailyStream,
    LinktreeDaily,
    LoadRun,
    Platform,
    RoyaltyDelayAggregate,
    RoyaltyIsrcAggregate,
    RoyaltyLine,
    RoyaltyMonthlyAggregate,
    SocialAccount,
    SourceFile,
    SpotifyAudienceDaily,
    SpotifySongMetric,
    TiktokDaily,
    Track,
    TrackArtist,
    normalize_alias,
)

ZERO = Decimal(0)
SOURCES = ("distrokid", "toolost")
SUCCESS_STATUSES = (LoadRun.Status.SUCCEEDED, LoadRun.Status.SUCCEEDED_WITH_REJECTS)
FINISHED_STATUSES = (*SUCCESS_STATUSES, LoadRun.Status.FAILED, LoadRun.Status.ABORTED)
PAYMENT_DELAY_DAYS = 60
PAYMENT_GRACE_DAYS = 30  # A7: after expected_payment_date + 30 days, an unreported month is overdue
GOAL_TARGETS = {"monthly_revenue": Decimal("500.0"), "monthly_streams": 200_000, "spotify_followers": 10_000}


class NoData(Exception):
    """The contract's soft failure: HTTP 200 {"success": false, "error": <message>}."""


# --- Formatting -----------------------------------------------------------------------------------------------


def _round(value, places: str) -> float:
    return float(Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def usd(value) -> float:
    return _round(value or 0, "0.01")


def rate(value) -> float:
    return _round(value or 0, "0.000001")


def pct(value) -> float:
    return _round(value or 0, "0.01")


def ratio(value) -> float:
    return _round(value or 0, "0.0001")


def _div(numerator, denominator) -> Decimal:
    return Decimal(numerator) / Decimal(denominator) if denominator else ZERO


def _change_pct(current, previous) -> float:
    return pct(_div((Decimal(current) - Decimal(previous)) * 100, previous)) if previous else 0.0


def ts(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _month(value: dt.date | None) -> str | None:
    return value.strftime("%Y-%m") if value else None


def _month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def _add_months(value: dt.date, months: int) -> dt.date:
    index = value.year * 12 + value.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(value: dt.date) -> dt.date:
    return _add_months(value, 1) - dt.timedelta(days=1)


# --- Rates and load runs --------------------------------------------------------------------------------------


def revenue_rates_get() -> dict[str, Decimal]:
    return {key: Decimal(str(value)) for key, value in settings.REVENUE_RATES.items()}


def _expected(spotify: int, apple: int, rates: dict[str, Decimal] | None = None) -> Decimal:
    rates = rates or revenue_rates_get()
    return spotify * rates["spotify"] + apple * rates["apple_music"]


def load_run_latest_get() -> LoadRun | None:
    """The latest successful load run: its finish time is every payload's `last_updated`."""
    return LoadRun.objects.filter(status__in=SUCCESS_STATUSES).order_by("-finished_at", "-id").first()


def load_run_cache_token_get() -> str:
    """Changes whenever a load run finishes (any outcome: a failed run may have committed some files).

    Read on every cached API hit: one raw parameterized query (~0.03 ms) where the ORM took ~0.35 ms to build it."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn('id')}, {qn('finished_at')} FROM {qn(LoadRun._meta.db_table)} "
            f"WHERE {qn('status')} IN ({', '.join(['%s'] * len(FINISHED_STATUSES))}) ORDER BY {qn('id')} DESC LIMIT 1",
            [str(status) for status in FINISHED_STATUSES],
        )
        row = cursor.fetchone()
    return f"{row[0]}:{row[1]}" if row else "none"


@dataclass
class Stamp:
    """`last_updated` and `load_run_id` of the latest successful load, read once per response."""

    load_run_id: int | None = None
    last_updated: str | None = None

    @classmethod
    def get(cls) -> Stamp:
        run = load_run_latest_get()
        return cls(run.pk, ts(run.finished_at)) if run else cls()


# --- Royalty (DistroKid bank details) ---------------------------------------------------------------------------
# Summaries read royalty_monthly_agg (rebuilt inside each DK load's transaction); track-level figures read lines.


def _active_lines():
    return RoyaltyLine.objects.filter(retracted_by_file__isnull=True)


def _artist_key(row: dict) -> str:
    return row["artist__name"] or row["artist_raw"]


def royalty_totals_get() -> dict:
    totals = RoyaltyMonthlyAggregate.objects.aggregate(
        net=Sum("earnings_usd"),
        gross=Sum("gross_usd"),
        adjustments=Sum("adjustments_usd"),
        quantity=Sum("quantity"),
        lines=Sum("line_count"),
    )
    return {
        "net": totals["net"] or ZERO,
        "gross": totals["gross"] or ZERO,
        "adjustments": totals["adjustments"] or ZERO,
        "quantity": totals["quantity"] or 0,
        "lines": totals["lines"] or 0,
    }


def royalty_months_get() -> dict[dt.date, dict]:
    """Per Sale Month: net earnings, line count, distinct raw stores (ascending by month)."""
    rows = (
        RoyaltyMonthlyAggregate.objects.values("sale_month")
        .annotate(net=Sum("earnings_usd"), lines=Sum("line_count"))
        .order_by("sale_month")
    )
    months = {row["sale_month"]: {"net": row["net"], "lines": row["lines"], "stores": []} for row in rows}
    pairs = (
        RoyaltyMonthlyAggregate.objects.values_list("sale_month", "store").distinct().order_by("sale_month", "store")
    )
    for month, store in pairs:
        months[month]["stores"].append(store)
    return months


def royalty_month_totals_get() -> dict[dt.date, Decimal]:
    """Net earnings per Sale Month (ascending): the summaries need no store detail."""
    rows = RoyaltyMonthlyAggregate.objects.values("sale_month").annotate(net=Sum("earnings_usd")).order_by("sale_month")
    return {row["sale_month"]: row["net"] for row in rows}


def royalty_artist_totals_get() -> dict[str, dict]:
    """Net earnings per artist key (canonical name, or raw text while unmapped), without store detail."""
    names = dict(Artist.objects.values_list("pk", "name"))
    result: dict[str, dict] = {}
    rows = RoyaltyMonthlyAggregate.objects.values("artist_id", "artist_raw").annotate(net=Sum("earnings_usd"))
    for row in rows:
        key = names.get(row["artist_id"]) or row["artist_raw"]
        entry = result.setdefault(key, {"net": ZERO, "mapped": row["artist_id"] is not None})
        entry["net"] += row["net"]
    return result


def royalty_by_artist_get() -> dict[str, dict]:
    """Keyed by canonical artist name, or the raw `Artist` text while it is unmapped."""
    result: dict[str, dict] = {}
    rows = (
        RoyaltyMonthlyAggregate.objects.values("artist__name", "artist_raw", "store")
        .annotate(net=Sum("earnings_usd"), quantity=Sum("quantity"), lines=Sum("line_count"))
        .order_by("artist__name", "artist_raw", "store")
    )
    for row in rows:
        entry = result.setdefault(
            _artist_key(row),
            {"net": ZERO, "quantity": 0, "lines": 0, "stores": set(), "mapped": bool(row["artist__name"])},
        )
        entry["net"] += row["net"]
        entry["quantity"] += row["quantity"]
        entry["lines"] += row["lines"]
        entry["stores"].add(row["store"])
    return result


def _top_artist(by_artist: dict[str, dict]) -> str | None:
    mapped = [(entry["net"], name) for name, entry in by_artist.items() if entry["mapped"]]
    if not mapped:
        return None
    return sorted(mapped, key=lambda item: (-item[0], item[1]))[0][1]


# --- Distributor daily streams ------------------------------------------------------------------------------------


def _dist_by_source() -> dict[str, dict]:
    result = {source: {"spotify": 0, "apple": 0, "combined": 0, "days": 0} for source in SOURCES}
    rows = DistributorDailyStream.objects.values("source").annotate(
        spotify=Sum("spotify_streams"),
        apple=Sum("apple_streams"),
        combined=Sum("combined_streams"),
        days=Count("date", distinct=True),
    )
    for row in rows:
        result[row["source"]] = {key: row[key] for key in ("spotify", "apple", "combined", "days")}
    return result


def streaming_latest_complete_date_get() -> dt.date | None:
    """The newest date in distributor_daily_stream not flagged is_partial (contract §1 "Latest day")."""
    return DistributorDailyStream.objects.filter(is_partial=False).aggregate(d=Max("date"))["d"]


def _dist_daily_totals(*, start: dt.date | None = None, end: dt.date | None = None) -> dict[dt.date, dict]:
    """Complete (non-partial) rows summed over sources per date."""
    qs = DistributorDailyStream.objects.filter(is_partial=False)
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    rows = qs.values("date").annotate(spotify=Sum("spotify_streams"), apple=Sum("apple_streams")).order_by("date")
    return {r["date"]: {"spotify": r["spotify"], "apple": r["apple"], "total": r["spotify"] + r["apple"]} for r in rows}


def _dist_window_total(*, end: dt.date, days: int) -> int:
    qs = DistributorDailyStream.objects.filter(
        is_partial=False, date__gt=end - dt.timedelta(days=days), date__lte=end
    ).aggregate(total=Sum("combined_streams"))
    return qs["total"] or 0


def _dist_months(*, complete_only: bool = False) -> dict[dt.date, dict]:
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


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# --- Meta Ads (precedence: ad_performance roll-up, else campaign_daily; windows only for campaigns with no days) --


@dataclass
class MetaFacts:
    daily: list[dict] = field(default_factory=list)  # {date, campaign_id, spend, impressions, clicks, reach}
    windows: list[dict] = field(default_factory=list)  # latest window per (campaign, ad set) of day-less campaigns

    @property
    def exists(self) -> bool:
        return bool(self.daily or self.windows)


def meta_facts_get(*, start: dt.date | None = None, end: dt.date | None = None) -> MetaFacts:
    ad_days = (
        AdPerformanceDaily.objects.filter(superseded=False)  # the finest level only (contract §2.7)
        .values("date", "campaign_id")
        .annotate(spend=Sum("spend_usd"), impressions=Sum("impressions"), clicks=Sum("clicks"), reach=Sum("reach"))
        .order_by("date", "campaign_id")
    )
    daily: dict[tuple, dict] = {}
    for row in ad_days:
        daily[(row["date"], row["campaign_id"])] = {**row, "reach": row["reach"] or 0}
    for row in CampaignDaily.objects.values("date", "campaign_id", "spend_usd", "impressions", "clicks", "reach"):
        key = (row["date"], row["campaign_id"])
        if key not in daily:
            daily[key] = {
                "date": row["date"],
                "campaign_id": row["campaign_id"],
                "spend": row["spend_usd"],
                "impressions": row["impressions"],
                "clicks": row["clicks"],
                "reach": row["reach"] or 0,
            }
    with_days = {campaign for _, campaign in daily}
    latest: dict[tuple, dict] = {}
    windows = AdInsightWindow.objects.exclude(campaign_id__in=with_days).values(
        "campaign_id", "adset_id", "date_start", "date_stop", "spend_usd", "impressions", "clicks", "reach"
    )
    for row in windows:
        key = (row["campaign_id"], row["adset_id"])
        if key not in latest or row["date_stop"] > latest[key]["date_stop"]:
            latest[key] = row
    facts = MetaFacts(
        daily=[
            row
            for (day, _), row in sorted(daily.items(), key=lambda item: (item[0][0], item[0][1]))
            if (start is None or day >= start) and (end is None or day <= end)
        ],
        windows=[
            {
                "campaign_id": w["campaign_id"],
                "date_start": w["date_start"],
                "date_stop": w["date_stop"],
                "spend": w["spend_usd"],
                "impressions": w["impressions"],
                "clicks": w["clicks"],
                "reach": w["reach"] or 0,
            }
            for w in latest.values()
            if (start is None or w["date_stop"] >= start) and (end is None or w["date_start"] <= end)
        ],
    )
    return facts


def _meta_totals(facts: MetaFacts) -> dict:
    rows = facts.daily + facts.windows
    return {
        "spend": sum((r["spend"] for r in rows), ZERO),
        "impressions": sum(r["impressions"] for r in rows),
        "clicks": sum(r["clicks"] for r in rows),
        "reach": sum(r["reach"] for r in rows),
    }


def _meta_latest_date(facts: MetaFacts) -> dt.date | None:
    dates = [r["date"] for r in facts.daily] + [w["date_stop"] for w in facts.windows]
    return max(dates) if dates else None


# --- Part A: compatibility endpoints ------------------------------------------------------------------------------


def _tiktok_latest_day() -> dict | None:
    latest = TiktokDaily.objects.aggregate(d=Max("date"))["d"]
    if latest is None:
        return None
    sums = TiktokDaily.objects.filter(date=latest).aggregate(
        views=Sum("video_views"), likes=Sum("likes"), comments=Sum("comments"), shares=Sum("shares")
    )
    engaged = sums["likes"] + sums["comments"] + sums["shares"]
    return {"video_views": sums["views"], "engagement_rate": ratio(_div(engaged, sums["views"]))}


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
        "total_revenue": usd(totals["net"]),
        "total_streams": totals["quantity"],
        "average_revenue_per_stream": rate(_div(totals["net"], totals["quantity"])),
        "current_month_revenue": usd(months[current_month] if current_month else ZERO),
        "artist_count": len(by_artist),
        "top_artist": _top_artist(by_artist),
        "distributor_breakdown": {s: v["estimated_revenue"] for s, v in revenue_distributor_get()[0].items()},
        "last_updated": stamp.last_updated,
    }
    tiktok = _tiktok_latest_day()
    if tiktok is not None:
        data["tiktok"] = tiktok
    facts = meta_facts_get()
    if facts.exists:
        meta = _meta_totals(facts)
        data["marketing"] = {
            "total_ad_spend": usd(meta["spend"]),
            "total_impressions": meta["impressions"],
            "average_cpc": usd(_div(meta["spend"], meta["clicks"])),
            "total_clicks": meta["clicks"],
        }
    metadata = {
        "sources": _sources_present(),
        "current_month": _month(current_month),
        "last_updated": stamp.last_updated,
        "refresh_interval_seconds": 300,
    }
    return data, metadata


def kpi_realtime_get() -> tuple[dict, dict]:
    """A3 `GET /api/kpis/realtime`: the two latest complete dates, each summed over the sources reporting it."""
    stamp = Stamp.get()
    dates = list(
        DistributorDailyStream.objects.filter(is_partial=False)
        .values_list("date", flat=True)
        .distinct()
        .order_by("-date")[:2]
    )
    if not dates:
        raise NoData("No streaming data available")
    totals = _dist_daily_totals(start=dates[-1], end=dates[0])
    current = totals[dates[0]]
    previous = totals[dates[1]] if len(dates) > 1 else current
    change = {key: current[key] - previous[key] for key in ("spotify", "apple", "total")}
    sources = list(
        DistributorDailyStream.objects.filter(is_partial=False, date=dates[0])
        .values_list("source", flat=True)
        .order_by("source")
    )
    data = {
        "current_day": {
            "date": _day(dates[0]),
            "spotify_streams": current["spotify"],
            "apple_streams": current["apple"],
            "total_streams": current["total"],
        },
        "daily_change": {
            "spotify": change["spotify"],
            "apple": change["apple"],
            "total": change["total"],
            "spotify_percent": _change_pct(current["spotify"], previous["spotify"]),
            "apple_percent": _change_pct(current["apple"], previous["apple"]),
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


def _goal(current, target, has_data: bool, *, money: bool = False) -> dict:
    shown = usd(current) if money else current
    if not has_data:
        return {"target": float(target) if money else target, "current": shown, "progress": 0.0, "status": "pending"}
    progress = min(_div(Decimal(current) * 100, target), Decimal(100))
    if progress >= 100:
        status = "achieved"
    elif progress >= 75:
        status = "on_track"
    elif progress >= 50:
        status = "behind"
    else:
        status = "at_risk"
    return {"target": float(target) if money else target, "current": shown, "progress": pct(progress), "status": status}


def _spotify_followers_latest(*, on_or_before: dt.date | None = None) -> dict[str, int]:
    """Latest `followers` per artist (a running total: never summed over days)."""
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


def _goals(*, months: dict[dt.date, Decimal], month_streams: int | None, followers: dict[str, dict]) -> dict:
    """A4 `data` from figures already read: Sale Month totals, the latest complete month's streams, followers."""
    revenue_month = max(months) if months else None
    return {
        "monthly_revenue": _goal(
            months[revenue_month] if revenue_month else ZERO,
            GOAL_TARGETS["monthly_revenue"],
            revenue_month is not None,
            money=True,
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
    streams = None
    if latest_day:
        month_start = _month_start(latest_day)
        streams = DistributorDailyStream.objects.filter(
            is_partial=False, date__gte=month_start, date__lte=_month_end(month_start)
        ).aggregate(total=Sum("combined_streams"))["total"]
    data = _goals(months=months, month_streams=streams, followers=_spotify_followers_latest())
    metadata = {
        "month": _month(latest_day),
        "revenue_month": _month(max(months) if months else None),
        "last_updated": stamp.last_updated,
        "note": "Revenue: the latest Sale Month (reports arrive 1-7 months late). Streams: distributor streams "
        "of the month of the latest complete date, partial days excluded. Followers: latest Spotify "
        "followers summed over artists.",
    }
    return data, metadata


def _alerts(*, months: dict[dt.date, Decimal], weeks: tuple[int, int] | None, timestamp: str) -> list[dict]:
    """A5 from figures already read: Sale Month totals and (last 7 days, the 7 before) when 14 days exist."""
    alerts = []
    if len(months) >= 2:
        latest, previous = sorted(months)[-1], sorted(months)[-2]
        delta = months[latest] - months[previous]
        if abs(delta) > 100:
            fell = delta < 0
            alerts.append(
                {
                    "type": "revenue",
                    "severity": "high" if fell else "info",
                    "message": f"Revenue {'decreased' if fell else 'increased'} by ${usd(abs(delta)):.2f}",
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
            _dist_window_total(end=latest_day, days=7),
            _dist_window_total(end=latest_day - dt.timedelta(days=7), days=7),
        )
    return _alerts(months=months, weeks=weeks, timestamp=stamp_ts)


def revenue_distributor_get() -> tuple[dict, dict]:
    """A6: exactly `distrokid` and `toolost` (the pie chart labels every other key TooLost)."""
    rates = revenue_rates_get()
    data = {
        source: {
            "days_active": v["days"],
            "total_streams": v["combined"],
            "spotify_streams": v["spotify"],
            "apple_streams": v["apple"],
            "estimated_revenue": usd(_expected(v["spotify"], v["apple"], rates)),
        }
        for source, v in _dist_by_source().items()
    }
    metadata = {
        "source": "tidy_daily_streams.csv",
        "calculation_method": f"spotify_streams x {rates['spotify']} + apple_streams x {rates['apple_music']} "
        f"(rates dated {settings.REVENUE_RATES_DATE})",
        "last_updated": Stamp.get().last_updated,
        "limitations": [
            "Estimated from per-stream rates, not reported revenue",
            "TooLost has no revenue data: its revenue is always an estimate",
            "Account-level streams: no artist or track detail",
        ],
    }
    return data, metadata


def revenue_monthly_list(
    *, today: dt.date, include_expected: bool = True, months: int | None = None
) -> tuple[list, dict]:
    """A7: one item per month in the union of DK Sale Months and calendar months of distributor streams."""
    royalty = royalty_months_get()
    streams = _dist_months()
    rates = revenue_rates_get()
    items = []
    for month in sorted(set(royalty) | set(streams)):
        dk = royalty.get(month, {"net": ZERO, "lines": 0, "stores": []})
        due = month + dt.timedelta(days=PAYMENT_DELAY_DAYS)
        overdue = not dk["lines"] and today > due + dt.timedelta(days=PAYMENT_GRACE_DAYS)
        item = {
            "month": _month(month),
            "actual_revenue": usd(dk["net"]),
            "transaction_count": dk["lines"],
            "platforms": sorted(dk["stores"]),
            "expected_revenue": None,
            "spotify_streams": None,
            "apple_streams": None,
            "total_streams": None,
            "variance": None,
            # A7: paid only when DistroKid reported that Sale Month; money expected and not reported → unknown.
            "payment_status": "paid" if dk["lines"] else "unknown" if overdue else "pending",
            "expected_payment_date": _day(due),
            "overdue": overdue,
        }
        if include_expected:
            s = streams.get(month, {"spotify": 0, "apple": 0})
            expected = _expected(s["spotify"], s["apple"], rates)
            item.update(
                {
                    "expected_revenue": usd(expected),
                    "spotify_streams": s["spotify"],
                    "apple_streams": s["apple"],
                    "total_streams": s["spotify"] + s["apple"],
                    "variance": usd(dk["net"] - expected),
                }
            )
        items.append(item)
    if months:
        items = items[-months:]
    metadata = {
        "sources": ["dk_bank_details.csv", "tidy_daily_streams.csv"],
        "last_updated": Stamp.get().last_updated,
        "payment_delay_months": 2,
        "limitations": [
            "actual_revenue is by Sale Month; DistroKid reports arrive 1-7 months late, so recent months grow",
            "expected_revenue is an estimate from distributor streams x per-stream rates",
            "Distributor streams cover only the windows the distributors export",
        ],
    }
    return items, metadata


def revenue_platform_get() -> tuple[dict, dict]:
    """A8 platform: keyed by the raw DK `Store`."""
    rows = (
        RoyaltyMonthlyAggregate.objects.values("store")
        .annotate(net=Sum("earnings_usd"), quantity=Sum("quantity"), lines=Sum("line_count"))
        .order_by("-net", "store")
    )
    data = {
        row["store"]: {
            "total_revenue": usd(row["net"]),
            "total_streams": row["quantity"],
            "revenue_per_stream": rate(_div(row["net"], row["quantity"])),
            "transaction_count": row["lines"],
        }
        for row in rows
    }
    metadata = {
        "source": "dk_bank_details.csv",
        "last_updated": Stamp.get().last_updated,
        "data_quality": "high",
        "limitations": [
            "Keyed by the raw DistroKid Store value",
            "Revenue includes negative adjustment lines; streams exclude them",
        ],
    }
    return data, metadata


def revenue_artist_get() -> tuple[dict, dict]:
    """A8 artist: keyed by canonical name, or by the raw `Artist` text while unmapped."""
    by_artist = royalty_by_artist_get()
    data = {
        name: {
            "total_revenue": usd(entry["net"]),
            "total_streams": entry["quantity"],
            "transaction_count": entry["lines"],
            "platforms": sorted(entry["stores"]),
            "platform_count": len(entry["stores"]),
        }
        for name, entry in sorted(by_artist.items(), key=lambda item: (-item[1]["net"], item[0]))
    }
    metadata = {
        "source": "dk_bank_details.csv",
        "last_updated": Stamp.get().last_updated,
        "artists": sorted(data),
        "limitations": [
            "Unmapped DistroKid artist names appear as delivered until staff map them",
            "Revenue includes negative adjustment lines; streams exclude them",
        ],
    }
    return data, metadata


def revenue_delays_get() -> tuple[dict, dict]:
    """A9: delay in months from Sale Month to Reporting Date, over active lines."""
    counts: dict[int, int] = defaultdict(int)
    for sale, reported, lines in RoyaltyDelayAggregate.objects.values_list(
        "sale_month", "reporting_month", "line_count"
    ):
        counts[(reported.year - sale.year) * 12 + reported.month - sale.month] += lines
    total = sum(counts.values())
    if total == 0:
        data = {"average_delay_months": 0, "most_common_delay_months": 0, "delay_distribution": {}}
    else:
        data = {
            "average_delay_months": pct(_div(sum(k * v for k, v in counts.items()), total)),
            "most_common_delay_months": sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0],
            "delay_distribution": {
                str(k): {"count": counts[k], "percentage": pct(_div(counts[k] * 100, total))} for k in sorted(counts)
            },
            "total_transactions_analyzed": total,
        }
    metadata = {
        "source": "dk_bank_details.csv",
        "last_updated": Stamp.get().last_updated,
        "description": "Months from Sale Month to Reporting Date: (reporting year - sale year) x 12 + "
        "(reporting month - sale month), over active lines.",
    }
    return data, metadata


def revenue_rps_rates_get() -> tuple[dict, dict]:
    """A10: the per-stream rate table (configurable through REVENUE_RATES)."""
    data = {key: float(value) for key, value in revenue_rates_get().items()}
    metadata = {
        "description": "Per-stream rates used to estimate expected revenue from distributor streams",
        "source": "BEDROT rate table (curated-zone contract §5); override with REVENUE_RATES",
        "last_updated": settings.REVENUE_RATES_DATE,
    }
    return data, metadata


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
        if source == "all":
            grouped = (
                qs.values("date")
                .annotate(
                    s=Sum("spotify_streams"), a=Sum("apple_streams"), partial=Count("id", filter=Q(is_partial=True))
                )
                .order_by("date")
            )
            rows = [
                {
                    "date": _day(r["date"]),
                    "spotify_streams": r["s"],
                    "apple_streams": r["a"],
                    "combined_streams": r["s"] + r["a"],
                    "source": "all",
                    "is_partial": bool(r["partial"]),
                }
                for r in grouped
            ]
        else:
            rows = [
                {
                    "date": _day(r.date),
                    "spotify_streams": r.spotify_streams,
                    "apple_streams": r.apple_streams,
                    "combined_streams": r.combined_streams,
                    "source": r.source,
                    "is_partial": r.is_partial,
                }
                for r in qs.order_by("date", "source")
            ]
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
    by_source = _dist_by_source()
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
        "date_range": {"start": _day(span["start"]), "end": _day(span["end"]), "days": days},
        "daily_average": {
            "spotify": usd(_div(spotify, days)),
            "apple": usd(_div(apple, days)),
            "combined": usd(_div(spotify + apple, days)),
        },
    }
    return data, {"source": "tidy_daily_streams.csv", "last_updated": Stamp.get().last_updated}


GROWTH_PERIODS = ("daily", "weekly", "monthly")


def _growth_key(day: dt.date, period: str) -> str:
    if period == "daily":
        return day.isoformat()
    if period == "weekly":
        return day.strftime("%Y-W%U")  # Sunday-start weeks: kept for compatibility with the old dashboard
    return day.strftime("%Y-%m")


def streaming_growth_list(*, period: str = "monthly") -> tuple[list, dict]:
    """A13: the last 12 periods, all sources summed, partial days excluded."""
    totals = _dist_daily_totals()
    buckets: dict[str, dict] = {}
    last_day: dict[str, dt.date] = {}
    for day, values in totals.items():  # ascending by date
        key = _growth_key(day, period)
        bucket = buckets.setdefault(key, {"spotify": 0, "apple": 0, "total": 0})
        for name in bucket:
            bucket[name] += values[name]
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
                    name: _change_pct(current[name], previous[name]) if previous else 0.0
                    for name in ("spotify", "apple", "total")
                },
            }
        )
    newest = last_day[keys[-1]]
    if period == "monthly":
        partial = newest != _month_end(newest)
    elif period == "weekly":
        partial = newest.strftime("%w") != "6"  # the Sunday-start week ends on Saturday
    else:
        partial = False
    return rows[-12:], {"period": period, "partial_last_period": partial, "last_updated": Stamp.get().last_updated}


def artist_resolve(*, name: str) -> Artist | None:
    """A canonical name or any alias (case-insensitive, spaces collapsed) → artist; None when unknown."""
    key = normalize_alias(name)
    alias = ArtistAlias.objects.filter(alias_key=key, artist__isnull=False).select_related("artist").first()
    if alias:
        return alias.artist
    return next((a for a in Artist.objects.all() if normalize_alias(a.name) == key), None)


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
            "date": _day(r.date),
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


# --- Part B2: every KPI in one object -----------------------------------------------------------------------------

FRESHNESS_SOURCES = (
    "dk_bank_details",
    "distrokid_streams",
    "toolost_streams",
    "spotify_audience",
    "spotify_songs",
    "tiktok",
    "linktree",
    "metaads",
    "royalty_splits",
    "capital_one",
)
_FRESHNESS_KINDS = {
    "dk_bank_details": ["dk_bank_details"],
    "distrokid_streams": ["tidy_daily_streams"],
    "toolost_streams": ["tidy_daily_streams"],
    "spotify_audience": ["spotify_audience"],
    "spotify_songs": ["spotify_song_metrics", "spotify_tracks_dimension"],
    "tiktok": ["tiktok"],
    "linktree": ["linktree"],
    "metaads": [
        "meta_campaign_summary",
        "meta_daily_performance",
        "meta_ad_performance",
        "meta_campaigns_daily",
        "meta_performance_log",
    ],
    "royalty_splits": ["royalty_splits"],
    "capital_one": ["capital_one"],
}
_MANUAL_SOURCES = {"royalty_splits", "capital_one"}


def _meta_latest_data_date() -> dt.date | None:
    dates = [
        AdPerformanceDaily.objects.aggregate(d=Max("date"))["d"],
        CampaignDaily.objects.aggregate(d=Max("date"))["d"],
        AdInsightWindow.objects.aggregate(d=Max("date_stop"))["d"],
    ]
    dates = [d for d in dates if d]
    return max(dates) if dates else None


def _latest_data_dates(*, known: dict[str, dt.date | None] | None = None) -> dict[str, dt.date | None]:
    """Newest data date per freshness source; `known` holds dates the caller already read (no second query)."""
    known = known or {}
    readers = {
        "dk_bank_details": lambda: _active_lines().aggregate(d=Max("reporting_date"))["d"],
        "spotify_audience": lambda: SpotifyAudienceDaily.objects.aggregate(d=Max("date"))["d"],
        "spotify_songs": lambda: SpotifySongMetric.objects.aggregate(d=Max("extraction_date"))["d"],
        "tiktok": lambda: TiktokDaily.objects.aggregate(d=Max("date"))["d"],
        "linktree": lambda: LinktreeDaily.objects.aggregate(d=Max("date"))["d"],
        "metaads": _meta_latest_data_date,
        "royalty_splits": lambda: None,
        "capital_one": lambda: BusinessExpense.objects.aggregate(d=Max("date"))["d"],
    }
    if not {"distrokid_streams", "toolost_streams"} <= known.keys():
        dist = dict(DistributorDailyStream.objects.values_list("source").annotate(d=Max("date")))
        readers["distrokid_streams"] = lambda: dist.get("distrokid")
        readers["toolost_streams"] = lambda: dist.get("toolost")
    return {source: known[source] if source in known else readers[source]() for source in FRESHNESS_SOURCES}


def freshness_get(*, today: dt.date, known: dict[str, dt.date | None] | None = None) -> dict[str, dict]:
    """Per source: newest data date, last load of its files, and `stale` by the configured thresholds.

    A source that never delivered data is not stale (absent sources, like Spotify songs, are normal)."""
    thresholds = settings.FRESHNESS_STALE_DAYS
    latest_dates = _latest_data_dates(known=known)
    files = {}
    for sf in (
        SourceFile.objects.filter(status__in=[SourceFile.Status.LOADED, SourceFile.Status.SKIPPED])
        .order_by("-loaded_at", "-id")
        .values("kind", "path", "loaded_at")
    ):
        files.setdefault(sf["kind"], sf)
    result = {}
    for source in FRESHNESS_SOURCES:
        candidates = [files[k] for k in _FRESHNESS_KINDS[source] if k in files]
        newest_file = max(candidates, key=lambda f: f["loaded_at"]) if candidates else None
        latest = latest_dates[source]
        if source in _MANUAL_SOURCES or latest is None:
            stale = False
        elif source == "dk_bank_details":
            stale = latest < today - dt.timedelta(days=thresholds["dk_bank_details"])
        elif source == "spotify_songs":
            stale = latest < today - dt.timedelta(days=thresholds["spotify_songs"])
        else:
            stale = latest < today - dt.timedelta(days=thresholds["daily"])
        result[source] = {
            "latest_data_date": _day(latest),
            "last_loaded_at": ts(newest_file["loaded_at"]) if newest_file else None,
            "last_file": newest_file["path"] if newest_file else None,
            "stale": stale,
        }
    return result


def _top_tracks(limit: int = 5) -> list[dict]:
    top = RoyaltyIsrcAggregate.objects.order_by("-streams", "isrc")  # per-ISRC sums kept by each DK load
    rows = list(top.values("isrc", "streams", "revenue_usd")[:limit])
    isrcs = [r["isrc"] for r in rows]
    titles = dict(Track.objects.filter(isrc__in=isrcs).values_list("isrc", "title")) if rows else {}
    primary: dict[str, str] = {}
    if titles:  # the first primary artist of each track, in link order
        links = TrackArtist.objects.filter(track__isrc__in=isrcs, role="primary").order_by("id")
        for isrc, name in links.values_list("track__isrc", "artist__name"):
            primary.setdefault(isrc, name)
    return [
        {
            "isrc": row["isrc"],
            "title": titles.get(row["isrc"]),
            "artist": primary.get(row["isrc"]),
            "streams": row["streams"],
            "revenue_usd": usd(row["revenue_usd"]),
        }
        for row in rows
    ]


def _dist_kpi_overview() -> tuple[dict[str, dict], dict[str, dt.date | None], dt.date | None, dt.date | None]:
    """One pass over distributor_daily_stream per source: the `_dist_by_source` totals, each source's newest date
    (freshness) and the first/last complete dates over all sources."""
    by_source = {source: {"spotify": 0, "apple": 0, "combined": 0, "days": 0} for source in SOURCES}
    newest: dict[str, dt.date | None] = {}
    firsts, lasts = [], []
    complete = Q(is_partial=False)
    rows = DistributorDailyStream.objects.values("source").annotate(
        spotify=Sum("spotify_streams"),
        apple=Sum("apple_streams"),
        combined=Sum("combined_streams"),
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


def _dist_kpi_windows(*, as_of: dt.date) -> dict:
    """Every window kpis_get shows around the latest complete date, as filtered sums in one query."""
    month_start = _month_start(as_of)
    month_end = _month_end(month_start)
    complete = Q(is_partial=False)
    last_7 = Q(date__gt=as_of - dt.timedelta(days=7), date__lte=as_of)
    prev_7 = Q(date__gt=as_of - dt.timedelta(days=14), date__lte=as_of - dt.timedelta(days=7))
    to_date = Q(date__gte=month_start, date__lte=as_of)
    sums = DistributorDailyStream.objects.filter(
        date__gt=min(as_of - dt.timedelta(days=14), month_start - dt.timedelta(days=1)), date__lte=month_end
    ).aggregate(
        day_spotify=Sum("spotify_streams", filter=complete & Q(date=as_of)),
        day_apple=Sum("apple_streams", filter=complete & Q(date=as_of)),
        last_7=Sum("combined_streams", filter=complete & last_7),
        prev_7=Sum("combined_streams", filter=complete & prev_7),
        month_to_date=Sum("combined_streams", filter=complete & to_date),
        month_complete=Sum("combined_streams", filter=complete & Q(date__gte=month_start, date__lte=month_end)),
        mtd_spotify=Sum("spotify_streams", filter=to_date),  # partial days included: the estimate's basis
        mtd_apple=Sum("apple_streams", filter=to_date),
    )
    return sums


def _tiktok_followers_latest() -> dict[str, int | None]:
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


def _window_sum(model, field_names: list[str], *, end: dt.date | None, days: int, **filters) -> dict:
    if end is None:
        return {name: 0 for name in field_names}
    sums = model.objects.filter(date__gt=end - dt.timedelta(days=days), date__lte=end, **filters).aggregate(
        **{name: Sum(name) for name in field_names}
    )
    return {name: sums[name] or 0 for name in field_names}


def kpis_get(*, today: dt.date | None = None) -> dict:
    """B2 `GET /api/kpis` `data`: every KPI in one object (also the websocket `update` payload). JSON-ready.

    Each table is read once and the figures shared (goals, alerts and freshness reuse what the sections read):
    it runs on every poll without the cache and once per load event per daphne process for the websocket."""
    today = today or timezone.now().date()
    by_source, dist_newest, first_complete, as_of = _dist_kpi_overview()
    windows = _dist_kpi_windows(as_of=as_of) if as_of else {}
    totals = royalty_totals_get()
    months = royalty_month_totals_get()

    # streaming
    last_7 = windows.get("last_7") or 0
    prev_7 = windows.get("prev_7") or 0
    latest_spotify, latest_apple = windows.get("day_spotify") or 0, windows.get("day_apple") or 0
    streaming = {
        "total_streams_all_time": sum(v["combined"] for v in by_source.values()),
        "latest_day": {
            "date": _day(as_of),
            "spotify": latest_spotify,
            "apple": latest_apple,
            "total": latest_spotify + latest_apple,
        },
        "last_7d": last_7,
        "prev_7d": prev_7,
        "month_to_date": windows.get("month_to_date") or 0,
        "by_platform": {
            "spotify": sum(v["spotify"] for v in by_source.values()),
            "apple_music": sum(v["apple"] for v in by_source.values()),
        },
        "by_source": {source: v["combined"] for source, v in by_source.items()},
        "royalty_streams_all_time": totals["quantity"],
        "revenue_per_stream": rate(_div(totals["net"], totals["quantity"])),
        "top_tracks": _top_tracks(),
    }

    # financial
    sale_months = sorted(months)
    latest_month = sale_months[-1] if sale_months else None
    last_three = sale_months[-3:]
    expected_mtd = _expected(windows.get("mtd_spotify") or 0, windows.get("mtd_apple") or 0) if as_of else ZERO
    expenses = BusinessExpense.objects.aggregate(newest=Max("date"), total=Sum("amount_usd"))
    expenses_30 = ZERO
    if expenses["newest"]:
        expenses_30 = (
            BusinessExpense.objects.filter(
                date__gt=expenses["newest"] - dt.timedelta(days=30), date__lte=expenses["newest"]
            ).aggregate(t=Sum("amount_usd"))["t"]
            or ZERO
        )
    facts = meta_facts_get()
    meta = _meta_totals(facts)
    by_artist = royalty_artist_totals_get()
    financial = {
        "total_revenue_usd": usd(totals["net"]),
        "gross_revenue_usd": usd(totals["gross"]),
        "adjustments_usd": usd(totals["adjustments"]),
        "latest_sale_month": _month(latest_month),
        "latest_month_revenue_usd": usd(months[latest_month] if latest_month else ZERO),
        "mrr_usd": usd(_div(sum((months[m] for m in last_three), ZERO), len(last_three))),
        "expected_revenue_month_to_date_usd": usd(expected_mtd),
        "revenue_by_artist": {
            name: usd(entry["net"]) for name, entry in sorted(by_artist.items(), key=lambda i: (-i[1]["net"], i[0]))
        },
        "expenses_usd_all_time": usd(expenses["total"]),
        "expenses_usd_last_30d": usd(expenses_30),
        "ad_spend_usd_all_time": usd(meta["spend"]),
    }

    # social
    tiktok_end = TiktokDaily.objects.aggregate(d=Max("date"))["d"]
    tiktok_30 = _window_sum(TiktokDaily, ["video_views", "likes", "comments", "shares"], end=tiktok_end, days=30)
    linktree_end = LinktreeDaily.objects.aggregate(d=Max("date"))["d"]
    linktree_30 = _window_sum(LinktreeDaily, ["total_views", "total_clicks"], end=linktree_end, days=30)
    followers_now = _spotify_followers_latest()
    social = {
        "tiktok": {
            "video_views_30d": tiktok_30["video_views"],
            "engagement_rate_30d": ratio(
                _div(tiktok_30["likes"] + tiktok_30["comments"] + tiktok_30["shares"], tiktok_30["video_views"])
            ),
            "followers": _tiktok_followers_latest() if tiktok_end else {},
        },
        "linktree": {
            "views_30d": linktree_30["total_views"],
            "clicks_30d": linktree_30["total_clicks"],
            "click_through_ratio_30d": ratio(_div(linktree_30["total_clicks"], linktree_30["total_views"])),
        },
        "spotify": {
            "followers": {name: row["followers"] for name, row in sorted(followers_now.items())},
            "followers_total": sum(row["followers"] for row in followers_now.values()),
            "listeners_latest": {name: row["listeners"] for name, row in sorted(followers_now.items())},
        },
    }

    # marketing
    meta_end = _meta_latest_date(facts)
    meta_30 = meta
    if meta_end:  # the same filter meta_facts_get(start=, end=) applies, on the rows already read
        since = meta_end - dt.timedelta(days=29)
        meta_30 = _meta_totals(
            MetaFacts(
                daily=[r for r in facts.daily if since <= r["date"] <= meta_end],
                windows=[w for w in facts.windows if w["date_stop"] >= since and w["date_start"] <= meta_end],
            )
        )
    marketing = {
        "total_spend_usd": usd(meta["spend"]),
        "spend_30d_usd": usd(meta_30["spend"]) if meta_end else 0.0,
        "impressions": meta["impressions"],
        "clicks": meta["clicks"],
        "ctr_pct": pct(_div(meta["clicks"] * 100, meta["impressions"])),
        "cpc_usd": usd(_div(meta["spend"], meta["clicks"])),
        "cpm_usd": usd(_div(meta["spend"] * 1000, meta["impressions"])),
        "active_campaigns": Campaign.objects.filter(Q(status="ACTIVE") | Q(is_currently_active=True)).count(),
    }

    # growth
    stream_months = _dist_months(complete_only=True)
    complete_months = sorted(m for m in stream_months if as_of and _month_end(m) <= as_of)
    streams_mom = 0.0
    if len(complete_months) >= 2:
        last, before = complete_months[-1], complete_months[-2]
        streams_mom = _change_pct(
            stream_months[last]["spotify"] + stream_months[last]["apple"],
            stream_months[before]["spotify"] + stream_months[before]["apple"],
        )
    revenue_mom = 0.0
    if len(sale_months) >= 2:
        revenue_mom = _change_pct(months[sale_months[-1]], months[sale_months[-2]])
    followers_change = 0
    if followers_now:
        newest = max(row["date"] for row in followers_now.values())
        before = _spotify_followers_latest(on_or_before=newest - dt.timedelta(days=30))
        followers_change = sum(r["followers"] for r in followers_now.values()) - sum(
            r["followers"] for r in before.values()
        )
    growth = {
        "streams_wow_pct": _change_pct(last_7, prev_7),
        "streams_mom_pct": streams_mom,
        "revenue_mom_pct": revenue_mom,
        "spotify_followers_30d_change": followers_change,
    }

    stamp = Stamp.get()
    has_two_weeks = as_of is not None and first_complete <= as_of - dt.timedelta(days=13)
    known_dates = {
        "distrokid_streams": dist_newest.get("distrokid"),
        "toolost_streams": dist_newest.get("toolost"),
        "tiktok": tiktok_end,
        "linktree": linktree_end,
        "capital_one": expenses["newest"],
    }
    if followers_now:  # every artist's newest row is here, so the newest of them is the table's newest date
        known_dates["spotify_audience"] = max(row["date"] for row in followers_now.values())
    return {
        "as_of": _day(as_of),
        "streaming": streaming,
        "financial": financial,
        "social": social,
        "marketing": marketing,
        "growth": growth,
        "goals": _goals(months=months, month_streams=windows.get("month_complete"), followers=followers_now),
        "alerts": _alerts(
            months=months,
            weeks=(last_7, prev_7) if has_two_weeks else None,
            timestamp=stamp.last_updated or ts(timezone.now()),
        ),
        "freshness": freshness_get(today=today, known=known_dates),
    }


# --- Part B: series ----------------------------------------------------------------------------------------------


class BadParameter(ValueError):
    """A query parameter the data cannot serve (400 naming the parameter)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


GRANULARITIES = ("day", "week", "month")
RANGE_CAPS = {"day": 731, "week": 260, "month": 120}


def period_label(day: dt.date, granularity: str) -> str:
    if granularity == "week":
        return (day - dt.timedelta(days=day.weekday())).isoformat()  # ISO week labelled by its Monday
    if granularity == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def _period_start(day: dt.date, granularity: str) -> dt.date:
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def series_range(*, start: dt.date | None, end: dt.date | None, newest: dt.date | None, granularity: str):
    """Resolve the B1 defaults and caps: end = newest date of the source, start = end − 89 d / 25 w / 11 m."""
    end = end or newest or timezone.now().date()
    if start is None:
        if granularity == "day":
            start = end - dt.timedelta(days=89)
        elif granularity == "week":
            start = _period_start(end, "week") - dt.timedelta(weeks=25)
        else:
            start = _add_months(end.replace(day=1), -11)
    if start > end:
        raise BadParameter("start", f"start {start} must be on or before end {end}")
    first, last = _period_start(start, granularity), _period_start(end, granularity)
    if granularity == "day":
        periods = (last - first).days + 1
    elif granularity == "week":
        periods = (last - first).days // 7 + 1
    else:
        periods = (last.year - first.year) * 12 + last.month - first.month + 1
    if periods > RANGE_CAPS[granularity]:
        raise BadParameter(
            "start", f"range of {periods} {granularity} periods exceeds the cap of {RANGE_CAPS[granularity]}"
        )
    return start, end


@dataclass
class SeriesFilters:
    start: dt.date | None = None
    end: dt.date | None = None
    artist: Artist | None = None
    isrc: str | None = None
    platform: Platform | None = None
    granularity: str | None = None
    group_by: list[str] = field(default_factory=list)

    def resolved(self, start: dt.date, end: dt.date, granularity: str, **extra) -> dict:
        return {
            "start": _day(start),
            "end": _day(end),
            "artist": self.artist.name if self.artist else None,
            "isrc": self.isrc,
            "platform": self.platform.slug if self.platform else None,
            "granularity": granularity,
            "group_by": self.group_by,
            **extra,
        }


def _check_dimensions(filters: SeriesFilters, *, source: str, available: set[str]) -> None:
    for name in filters.group_by:
        if name not in available:
            raise BadParameter("group_by", f'dimension "{name}" not available for source "{source}"')
    for name, value in (("artist", filters.artist), ("isrc", filters.isrc), ("platform", filters.platform)):
        if value is not None and name not in available:
            raise BadParameter(name, f'dimension "{name}" not available for source "{source}"')


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


def streaming_series_list(
    *, filters: SeriesFilters, source: str = "distributor", time_period: str | None = None
) -> tuple[list, dict]:
    """B3 `GET /api/streaming`: one measure per request; rows from different sources are never summed."""
    _check_dimensions(filters, source=source, available=_STREAM_DIMENSIONS[source])
    granularity = filters.granularity or ("month" if source == "royalty" else "day")
    if source == "royalty" and granularity != "month":
        raise BadParameter("granularity", 'source "royalty" is monthly (Sale Month): granularity must be "month"')
    group = set(filters.group_by)
    buckets: dict[tuple, dict] = {}

    if source in ("distributor", "distrokid", "toolost"):
        qs = DistributorDailyStream.objects.all()
        if source != "distributor":
            qs = qs.filter(source=source)
        start, end = series_range(
            start=filters.start, end=filters.end, granularity=granularity, newest=qs.aggregate(d=Max("date"))["d"]
        )
        platforms = ["spotify", "apple_music"]
        if filters.platform:
            platforms = [p for p in platforms if p == filters.platform.slug]
        for row in qs.filter(date__gte=start, date__lte=end).values(
            "date", "source", "spotify_streams", "apple_streams"
        ):
            for platform in platforms:
                value = row["spotify_streams"] if platform == "spotify" else row["apple_streams"]
                key = (
                    period_label(row["date"], granularity),
                    row["source"] if "source" in group else source,
                    platform if "platform" in group else None,
                )
                bucket = buckets.setdefault(key, _stream_row(period=key[0], source=key[1], platform=key[2], streams=0))
                bucket["streams"] += value
    elif source == "spotify_audience":
        qs = SpotifyAudienceDaily.objects.all()
        if filters.artist:
            qs = qs.filter(artist=filters.artist)
        start, end = series_range(
            start=filters.start, end=filters.end, granularity=granularity, newest=qs.aggregate(d=Max("date"))["d"]
        )
        followers_at_end: dict[tuple, dict] = {}
        for row in (
            qs.filter(date__gte=start, date__lte=end)
            .values("date", "artist__name", "streams", "listeners", "followers")
            .order_by("date")
        ):
            period = period_label(row["date"], granularity)
            key = (period, row["artist__name"] if "artist" in group else None)
            bucket = buckets.setdefault(
                key, _stream_row(period=period, source=source, artist=key[1], streams=0, listeners=0, followers=0)
            )
            bucket["streams"] += row["streams"]
            bucket["listeners"] += row["listeners"]
            followers_at_end.setdefault(key, {})[row["artist__name"]] = row["followers"]  # ascending: last wins
        for key, per_artist in followers_at_end.items():
            buckets[key]["followers"] = sum(per_artist.values())
    elif source == "royalty":
        qs = _active_lines()
        if filters.artist:
            qs = qs.filter(artist=filters.artist)
        if filters.isrc:
            qs = qs.filter(isrc=filters.isrc)
        if filters.platform:
            qs = qs.filter(platform=filters.platform)
        newest = qs.aggregate(d=Max("sale_month"))["d"]
        start, end = series_range(start=filters.start, end=filters.end, granularity="month", newest=newest)
        names = {
            "artist": "artist__name",
            "isrc": "isrc",
            "platform": "platform__slug",
            "store": "store",
            "country": "country_id",
        }
        values = ["sale_month", *(names[d] for d in filters.group_by)]
        rows = (
            qs.filter(sale_month__gte=start.replace(day=1), sale_month__lte=end)
            .values(*values)
            .annotate(streams=Sum("quantity", filter=Q(earnings_usd__gte=0)))
            .order_by(*values)
        )
        for row in rows:
            dims = {d: row[names[d]] for d in filters.group_by}
            period = period_label(row["sale_month"], "month")
            buckets[(period, *dims.values())] = _stream_row(
                period=period, source=source, streams=row["streams"] or 0, **dims
            )
    else:  # spotify_songs: the value at the last extraction date in each period, never summed over dates
        if not time_period:
            raise BadParameter(
                "time_period", 'source "spotify_songs" requires time_period (1day, 7day, 28day, 1year, all, unknown)'
            )
        qs = SpotifySongMetric.objects.filter(time_period=time_period)
        if filters.artist:
            qs = qs.filter(artist=filters.artist)
        start, end = series_range(
            start=filters.start,
            end=filters.end,
            granularity=granularity,
            newest=qs.aggregate(d=Max("extraction_date"))["d"],
        )
        latest: dict[tuple, dict] = {}
        for row in (
            qs.filter(extraction_date__gte=start, extraction_date__lte=end)
            .values(
                "extraction_date",
                "spotify_track__spotify_track_id",
                "spotify_artist_id",
                "artist__name",
                "streams",
                "listeners",
                "savers",
            )
            .order_by("extraction_date")
        ):
            period = period_label(row["extraction_date"], granularity)
            latest[(period, row["spotify_track__spotify_track_id"], row["spotify_artist_id"])] = row
        for (period, track_id, _), row in latest.items():
            key = (
                period,
                row["artist__name"] if "artist" in group else None,
                track_id if "spotify_track_id" in group else None,
            )
            bucket = buckets.setdefault(
                key,
                _stream_row(
                    period=period,
                    source=source,
                    artist=key[1],
                    spotify_track_id=key[2],
                    streams=0,
                    listeners=0,
                    savers=0,
                ),
            )
            for name in ("streams", "listeners", "savers"):
                bucket[name] += row[name]
    rows = sorted(
        buckets.values(), key=lambda r: tuple("" if r[k] is None else str(r[k]) for k in _STREAM_ROW_KEYS[:8])
    )
    metadata = _series_metadata(
        filters=filters.resolved(start, end, granularity, time_period=time_period),
        source=source,
        granularity=granularity,
        row_count=len(rows),
    )
    return rows, metadata


FINANCIAL_SERIES = ("revenue", "expected", "expenses", "ad_spend")
_FINANCIAL_DIMENSIONS = {
    "revenue": {"artist", "isrc", "platform", "store", "country"},
    "expected": {"source", "platform"},
    "expenses": {"category"},
    "ad_spend": {"artist", "campaign_id"},
}


def financial_series_get(*, filters: SeriesFilters, series: list[str], basis: str = "sale_month") -> tuple[dict, dict]:
    """B4 `GET /api/financial`: money series keyed by name."""
    granularity = filters.granularity or "month"
    if basis == "sale_month" and "revenue" in series and granularity != "month":
        raise BadParameter("granularity", 'basis "sale_month" is monthly: granularity must be "month"')
    newest_candidates = []
    if "revenue" in series:
        newest_candidates.append(
            _active_lines().aggregate(d=Max("sale_month" if basis == "sale_month" else "reporting_date"))["d"]
        )
    if "expected" in series:
        newest_candidates.append(DistributorDailyStream.objects.aggregate(d=Max("date"))["d"])
    if "expenses" in series:
        newest_candidates.append(BusinessExpense.objects.aggregate(d=Max("date"))["d"])
    if "ad_spend" in series:
        newest_candidates.append(_meta_latest_date(meta_facts_get()))
    newest_candidates = [d for d in newest_candidates if d]
    if basis == "sale_month" and "revenue" in series and filters.end is None and newest_candidates:
        newest_candidates = [_month_end(max(newest_candidates))]
    start, end = series_range(
        start=filters.start,
        end=filters.end,
        granularity=granularity,
        newest=max(newest_candidates) if newest_candidates else None,
    )
    if granularity == "month":
        start = start.replace(day=1)
    data = {}
    for name in series:
        _check_dimensions(filters, source=name, available=_FINANCIAL_DIMENSIONS[name])
        data[name] = _FINANCIAL_BUILDERS[name](
            filters=filters, start=start, end=end, granularity=granularity, basis=basis
        )
    metadata = _series_metadata(
        filters=filters.resolved(start, end, granularity, series=series, basis=basis),
        source=",".join(series),
        granularity=granularity,
        row_count=sum(len(rows) for rows in data.values()),
    )
    return data, metadata


def _series_metadata(*, filters: dict, source: str, granularity: str, row_count: int) -> dict:
    """The `metadata` of every series endpoint (contract B1)."""
    stamp = Stamp.get()
    return {
        "filters": filters,
        "source": source,
        "granularity": granularity,
        "row_count": row_count,
        "last_updated": stamp.last_updated,
        "load_run_id": stamp.load_run_id,
    }


def _sorted_rows(buckets: dict) -> list[dict]:
    return [buckets[key] for key in sorted(buckets, key=lambda k: tuple("" if v is None else str(v) for v in k))]


def _financial_revenue(*, filters, start, end, granularity, basis) -> list[dict]:
    qs = _active_lines()
    date_field = "sale_month" if basis == "sale_month" else "reporting_date"
    qs = qs.filter(**{f"{date_field}__gte": start, f"{date_field}__lte": end})
    if filters.artist:
        qs = qs.filter(artist=filters.artist)
    if filters.isrc:
        qs = qs.filter(isrc=filters.isrc)
    if filters.platform:
        qs = qs.filter(platform=filters.platform)
    names = {
        "artist": "artist__name",
        "isrc": "isrc",
        "platform": "platform__slug",
        "store": "store",
        "country": "country_id",
    }
    group = [d for d in ("artist", "isrc", "platform", "store", "country") if d in filters.group_by]
    period_expr = {"p": TruncMonth(date_field)} if granularity == "month" else {}
    values = [date_field if not period_expr else "p", *(names[d] for d in group)]
    rows = (
        qs.annotate(**period_expr)
        .values(*values)
        .annotate(
            net=Sum("earnings_usd"),
            gross=Sum("earnings_usd", filter=Q(earnings_usd__gt=0)),
            adjustments=Sum("earnings_usd", filter=Q(earnings_usd__lt=0)),
            quantity=Sum("quantity", filter=Q(earnings_usd__gte=0)),
            lines=Count("id"),
        )
    )
    buckets: dict[tuple, dict] = {}
    for row in rows:
        day = _as_date(row["p"] if period_expr else row[date_field])
        period = period_label(day, granularity)
        dims = {d: row[names[d]] for d in group}
        key = (period, *(dims.get(d) for d in ("artist", "isrc", "platform", "store", "country")))
        bucket = buckets.setdefault(
            key,
            {
                "period": period,
                "artist": dims.get("artist"),
                "isrc": dims.get("isrc"),
                "platform": dims.get("platform"),
                "store": dims.get("store"),
                "country": dims.get("country"),
                "net_usd": ZERO,
                "gross_usd": ZERO,
                "adjustments_usd": ZERO,
                "quantity": 0,
                "line_count": 0,
            },
        )
        bucket["net_usd"] += row["net"] or ZERO
        bucket["gross_usd"] += row["gross"] or ZERO
        bucket["adjustments_usd"] += row["adjustments"] or ZERO
        bucket["quantity"] += row["quantity"] or 0
        bucket["line_count"] += row["lines"]
    for bucket in buckets.values():
        for name in ("net_usd", "gross_usd", "adjustments_usd"):
            bucket[name] = usd(bucket[name])
    return _sorted_rows(buckets)


def _financial_expected(*, filters, start, end, granularity, basis) -> list[dict]:
    rates = revenue_rates_get()
    platforms = ["spotify", "apple_music"]
    if filters.platform:
        platforms = [p for p in platforms if p == filters.platform.slug]
    buckets: dict[tuple, dict] = {}
    for row in DistributorDailyStream.objects.filter(date__gte=start, date__lte=end).values(
        "date", "source", "spotify_streams", "apple_streams"
    ):
        for platform in platforms:
            streams = row["spotify_streams"] if platform == "spotify" else row["apple_streams"]
            period = period_label(row["date"], granularity)
            key = (
                period,
                row["source"] if "source" in filters.group_by else None,
                platform if "platform" in filters.group_by else None,
            )
            bucket = buckets.setdefault(
                key, {"period": period, "source": key[1], "platform": key[2], "streams": 0, "expected_usd": ZERO}
            )
            bucket["streams"] += streams
            bucket["expected_usd"] += streams * rates[platform]
    for bucket in buckets.values():
        bucket["expected_usd"] = usd(bucket["expected_usd"])
    return _sorted_rows(buckets)


def _financial_expenses(*, filters, start, end, granularity, basis) -> list[dict]:
    buckets: dict[tuple, dict] = {}
    for row in BusinessExpense.objects.filter(date__gte=start, date__lte=end).values("date", "category", "amount_usd"):
        period = period_label(row["date"], granularity)
        key = (period, row["category"] if "category" in filters.group_by else None)
        bucket = buckets.setdefault(key, {"period": period, "category": key[1], "amount_usd": ZERO, "line_count": 0})
        bucket["amount_usd"] += row["amount_usd"]
        bucket["line_count"] += 1
    for bucket in buckets.values():
        bucket["amount_usd"] = usd(bucket["amount_usd"])
    return _sorted_rows(buckets)


def _financial_ad_spend(*, filters, start, end, granularity, basis) -> list[dict]:
    facts = meta_facts_get(start=start, end=end)
    campaigns = {c["pk"]: c for c in Campaign.objects.values("pk", "campaign_id", "artist__name", "artist_id")}
    buckets: dict[tuple, dict] = {}
    rows = [(r["date"], r) for r in facts.daily] + [(w["date_stop"], w) for w in facts.windows]
    for day, row in rows:
        campaign = campaigns[row["campaign_id"]]
        if filters.artist and campaign["artist_id"] != filters.artist.pk:
            continue
        period = period_label(day, granularity)
        key = (
            period,
            campaign["artist__name"] if "artist" in filters.group_by else None,
            campaign["campaign_id"] if "campaign_id" in filters.group_by else None,
        )
        bucket = buckets.setdefault(
            key,
            {
                "period": period,
                "artist": key[1],
                "campaign_id": key[2],
                "spend_usd": ZERO,
                "impressions": 0,
                "clicks": 0,
            },
        )
        bucket["spend_usd"] += row["spend"]
        bucket["impressions"] += row["impressions"]
        bucket["clicks"] += row["clicks"]
    for bucket in buckets.values():
        bucket["spend_usd"] = usd(bucket["spend_usd"])
    return _sorted_rows(buckets)


_FINANCIAL_BUILDERS = {
    "revenue": _financial_revenue,
    "expected": _financial_expected,
    "expenses": _financial_expenses,
    "ad_spend": _financial_ad_spend,
}

SOCIAL_PLATFORMS = ("tiktok", "linktree")


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
        qs = TiktokDaily.objects.filter(date__gte=start, date__lte=end)
        if filters.artist:
            qs = qs.filter(account__artist=filters.artist)
        if account:
            qs = qs.filter(account__handle=account)
        buckets: dict[tuple, dict] = {}
        for row in qs.values(
            "date",
            "account__handle",
            "account__artist__name",
            "video_views",
            "profile_views",
            "likes",
            "comments",
            "shares",
            "followers_snapshot",
        ).order_by("date"):
            period = period_label(row["date"], granularity)
            key = (period, row["account__handle"])
            bucket = buckets.setdefault(
                key,
                {
                    "period": period,
                    "account": row["account__handle"],
                    "artist": row["account__artist__name"],
                    "video_views": 0,
                    "profile_views": 0,
                    "likes": 0,
                    "comments": 0,
                    "shares": 0,
                    "engagement_rate": 0.0,
                    "followers": None,
                },
            )
            for name in ("video_views", "profile_views", "likes", "comments", "shares"):
                bucket[name] += row[name]
            if row["followers_snapshot"] is not None:
                bucket["followers"] = row["followers_snapshot"]  # ascending: the last snapshot of the period wins
        for bucket in buckets.values():
            bucket["engagement_rate"] = ratio(
                _div(bucket["likes"] + bucket["comments"] + bucket["shares"], bucket["video_views"])
            )
        data["tiktok"] = _sorted_rows(buckets)
    if "linktree" in platforms:
        qs = LinktreeDaily.objects.filter(date__gte=start, date__lte=end)
        if account:
            qs = qs.filter(account=account)
        buckets = {}
        for row in qs.values("date", "account", "total_views", "unique_views", "total_clicks", "unique_clicks"):
            period = period_label(row["date"], granularity)
            key = (period, row["account"])
            bucket = buckets.setdefault(
                key,
                {
                    "period": period,
                    "account": row["account"],
                    "total_views": 0,
                    "unique_views": 0,
                    "total_clicks": 0,
                    "unique_clicks": 0,
                    "click_through_ratio": 0.0,
                },
            )
            for name in ("total_views", "unique_views", "total_clicks", "unique_clicks"):
                bucket[name] += row[name]
        for bucket in buckets.values():
            bucket["click_through_ratio"] = ratio(_div(bucket["total_clicks"], bucket["total_views"]))
        data["linktree"] = _sorted_rows(buckets)
    metadata = _series_metadata(
        filters=filters.resolved(start, end, granularity, platforms=platforms, account=account),
        source=",".join(platforms),
        granularity=granularity,
        row_count=sum(len(rows) for rows in data.values()),
    )
    return data, metadata


def campaign_list(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    artist: Artist | None = None,
    isrc: str | None = None,
    status: str | None = None,
    include_daily: bool = False,
    granularity: str = "day",
) -> tuple[list, dict]:
    """B6 `GET /api/campaigns`: totals from daily facts (A2 precedence); windows for campaigns with no days."""
    facts = meta_facts_get(start=start, end=end)
    qs = Campaign.objects.select_related("artist", "track").order_by("name", "campaign_id")
    if artist:
        qs = qs.filter(artist=artist)
    if isrc:
        qs = qs.filter(track__isrc=isrc)
    if status:
        qs = qs.filter(status__iexact=status)
    daily_by_campaign: dict[int, list] = defaultdict(list)
    for row in facts.daily:
        daily_by_campaign[row["campaign_id"]].append(row)
    windows_by_campaign: dict[int, list] = defaultdict(list)
    for row in facts.windows:
        windows_by_campaign[row["campaign_id"]].append(row)
    items = []
    for campaign in qs:
        days = daily_by_campaign.get(campaign.pk, [])
        windows = windows_by_campaign.get(campaign.pk, [])
        rows = days or windows
        if not rows:
            continue  # no activity in the range
        spend = sum((r["spend"] for r in rows), ZERO)
        impressions = sum(r["impressions"] for r in rows)
        clicks = sum(r["clicks"] for r in rows)
        firsts = [r.get("date") or r.get("date_start") for r in rows]
        lasts = [r.get("date") or r.get("date_stop") for r in rows]
        item = {
            "campaign_id": campaign.campaign_id,
            "campaign_name": campaign.name,
            "artist": campaign.artist.name if campaign.artist else None,
            "track_title": campaign.track.title
            if campaign.track
            else (campaign.token.token if campaign.token_id else None),
            "isrc": campaign.track.isrc if campaign.track else None,
            "targeting": campaign.targeting,
            "is_copy": campaign.is_copy,
            "parse_status": campaign.parse_status,
            "objective": campaign.objective,
            "status": campaign.status,
            "first_date": _day(min(firsts)),
            "last_date": _day(max(lasts)),
            "spend_usd": usd(spend),
            "impressions": impressions,
            "clicks": clicks,
            "reach": sum(r["reach"] for r in rows),
            "cpm_usd": usd(_div(spend * 1000, impressions)),
            "cpc_usd": usd(_div(spend, clicks)),
            "ctr_pct": pct(_div(clicks * 100, impressions)),
            "data_basis": "daily" if days else "window",
        }
        if include_daily:
            buckets: dict[str, dict] = {}
            for r in days:
                period = period_label(r["date"], granularity)
                bucket = buckets.setdefault(
                    period, {"period": period, "spend_usd": ZERO, "impressions": 0, "clicks": 0, "reach": 0}
                )
                bucket["spend_usd"] += r["spend"]
                bucket["impressions"] += r["impressions"]
                bucket["clicks"] += r["clicks"]
                bucket["reach"] += r["reach"]
            item["daily"] = [{**b, "spend_usd": usd(b["spend_usd"])} for _, b in sorted(buckets.items())]
        items.append(item)
    stamp = Stamp.get()
    metadata = {
        "filters": {
            "start": _day(start),
            "end": _day(end),
            "artist": artist.name if artist else None,
            "isrc": isrc,
            "status": status,
            "include_daily": include_daily,
            "granularity": granularity,
        },
        "source": "meta_ads",
        "row_count": len(items),
        "last_updated": stamp.last_updated,
        "load_run_id": stamp.load_run_id,
    }
    return items, metadata


# --- Health and resources --------------------------------------------------------------------------------------


def load_run_last_get() -> dict | None:
    """The last load (staff changes are runs too, trigger `admin`, but health is about the loader)."""
    runs = LoadRun.objects.exclude(status__in=[LoadRun.Status.QUEUED]).exclude(trigger=LoadRun.Trigger.ADMIN)
    run = runs.order_by("-id").first()
    if run is None:
        return None
    return {
        "id": run.pk,
        "status": run.status,
        "started_at": ts(run.started_at),
        "finished_at": ts(run.finished_at),
        "files_loaded": run.files_loaded,
        "files_rejected": run.files_rejected,
        "rows_quarantined": run.rows_quarantined,
    }


def artist_list():
    return Artist.objects.all()


def track_list():
    return Track.objects.prefetch_related("track_artists__artist")


def platform_list():
    return Platform.objects.all()


def load_run_list():
    return LoadRun.objects.annotate(quarantined=Sum("files__rows_quarantined")).prefetch_related("files")


# --- Admin: the unmatched-names review queue ---------------------------------------------------------------------
# Owner: the admin (warehouse/admin.py).

from django.db.models import QuerySet  # noqa: E402

from warehouse.models import CampaignToken, StoreAlias  # noqa: E402

CAMPAIGN_REVIEW_STATUSES = (
    Campaign.ParseStatus.AMBIGUOUS,
    Campaign.ParseStatus.UNPARSED,
    Campaign.ParseStatus.NONCONFORMING,
)


def unmatched_name_list() -> dict[str, QuerySet]:
    """Names a load met but could not map, by kind: staff map each one in the admin."""
    return {
        "artist_aliases": ArtistAlias.objects.filter(artist__isnull=True).select_related("first_seen_file"),
        "store_aliases": StoreAlias.objects.filter(platform__isnull=True).select_related("first_seen_file"),
        "campaign_tokens": CampaignToken.objects.filter(needs_review=True).select_related("artist", "track"),
        "campaigns": Campaign.objects.filter(parse_status__in=CAMPAIGN_REVIEW_STATUSES, is_override=False)
        .select_related("artist", "track")
        .order_by("name"),
    }
