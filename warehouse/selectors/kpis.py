"""B2 `GET /api/kpis` `data`: every KPI in one object (also the websocket `update` payload), in Decimal and int:
api.bodies.KPIS shapes it for the wire.

Each table is read once and the figures shared (goals, alerts and freshness reuse what the sections read): it runs
on every poll without the cache and once per load event per daphne process for the websocket. `_Reads` holds the
shared figures; one small builder per section turns them into the contract's fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Q, Sum
from django.utils import timezone

from warehouse import clock
from warehouse.models import BusinessExpense, Campaign, LinktreeDaily, TiktokDaily
from warehouse.selectors.common import (
    ZERO,
    change_pct,
    div,
    expected_revenue,
    iso_day,
    iso_month,
    month_end,
    ts,
)
from warehouse.selectors.distributor import dist_kpi_overview, dist_kpi_windows, dist_months
from warehouse.selectors.freshness import freshness_get
from warehouse.selectors.kpi_cards import alerts_build, goals_build
from warehouse.selectors.loads import Stamp
from warehouse.selectors.meta import MetaFacts, meta_facts_get, meta_latest_date, meta_totals
from warehouse.selectors.royalty import (
    royalty_artist_totals_get,
    royalty_month_totals_get,
    royalty_top_tracks_list,
    royalty_totals_get,
)
from warehouse.selectors.social import tiktok_engagement, tiktok_followers_latest, window_sum
from warehouse.selectors.streaming import spotify_followers_latest


@dataclass
class _Reads:
    """The figures read once and shared by the sections."""

    by_source: dict[str, dict]
    dist_newest: dict[str, dt.date | None]
    first_complete: dt.date | None
    as_of: dt.date | None  # the latest complete distributor date
    windows: dict
    totals: dict
    months: dict[dt.date, Decimal]  # net per Sale Month, ascending
    facts: MetaFacts
    followers: dict[str, dict]  # the latest Spotify audience row per artist
    tiktok_end: dt.date | None
    linktree_end: dt.date | None
    expenses: dict

    @classmethod
    def get(cls) -> _Reads:
        by_source, dist_newest, first_complete, as_of = dist_kpi_overview()
        return cls(
            by_source=by_source,
            dist_newest=dist_newest,
            first_complete=first_complete,
            as_of=as_of,
            windows=dist_kpi_windows(as_of=as_of) if as_of else {},
            totals=royalty_totals_get(),
            months=royalty_month_totals_get(),
            facts=meta_facts_get(),
            followers=spotify_followers_latest(),
            tiktok_end=TiktokDaily.objects.aggregate(d=Max("date"))["d"],
            linktree_end=LinktreeDaily.objects.aggregate(d=Max("date"))["d"],
            expenses=BusinessExpense.objects.aggregate(newest=Max("date"), total=Sum("amount_usd")),
        )

    def window(self, name: str) -> int:
        return self.windows.get(name) or 0


def _streaming(reads: _Reads) -> dict:
    by_source, totals = reads.by_source, reads.totals
    spotify, apple = reads.window("day_spotify"), reads.window("day_apple")
    return {
        "total_streams_all_time": sum(v["combined"] for v in by_source.values()),
        "latest_day": {"date": iso_day(reads.as_of), "spotify": spotify, "apple": apple, "total": spotify + apple},
        "last_7d": reads.window("last_7"),
        "prev_7d": reads.window("prev_7"),
        "month_to_date": reads.window("month_to_date"),
        "by_platform": {
            "spotify": sum(v["spotify"] for v in by_source.values()),
            "apple_music": sum(v["apple"] for v in by_source.values()),
        },
        "by_source": {source: v["combined"] for source, v in by_source.items()},
        "royalty_streams_all_time": totals["quantity"],
        "revenue_per_stream": div(totals["net"], totals["quantity"]),
        "top_tracks": royalty_top_tracks_list(),
    }


def _expenses_last_30d(newest: dt.date | None) -> Decimal:
    if newest is None:
        return ZERO
    since = newest - dt.timedelta(days=30)
    window = BusinessExpense.objects.filter(date__gt=since, date__lte=newest)
    return window.aggregate(t=Sum("amount_usd"))["t"] or ZERO


def _financial(reads: _Reads) -> dict:
    totals, months = reads.totals, reads.months
    latest_month = max(months) if months else None
    last_three = sorted(months)[-3:]
    expected_mtd = expected_revenue(reads.window("mtd_spotify"), reads.window("mtd_apple")) if reads.as_of else ZERO
    by_artist = royalty_artist_totals_get()
    return {
        "total_revenue_usd": totals["net"],
        "gross_revenue_usd": totals["gross"],
        "adjustments_usd": totals["adjustments"],
        "latest_sale_month": iso_month(latest_month),
        "latest_month_revenue_usd": months[latest_month] if latest_month else ZERO,
        "mrr_usd": div(sum((months[m] for m in last_three), ZERO), len(last_three)),
        "expected_revenue_month_to_date_usd": expected_mtd,
        "revenue_by_artist": {
            name: entry["net"] for name, entry in sorted(by_artist.items(), key=lambda i: (-i[1]["net"], i[0]))
        },
        "expenses_usd_all_time": reads.expenses["total"] or ZERO,
        "expenses_usd_last_30d": _expenses_last_30d(reads.expenses["newest"]),
        "ad_spend_usd_all_time": meta_totals(reads.facts)["spend"],
    }


def _social(reads: _Reads) -> dict:
    tiktok = window_sum(TiktokDaily, ["video_views", "likes", "comments", "shares"], end=reads.tiktok_end, days=30)
    linktree = window_sum(LinktreeDaily, ["total_views", "total_clicks"], end=reads.linktree_end, days=30)
    followers = sorted(reads.followers.items())
    return {
        "tiktok": {
            "video_views_30d": tiktok["video_views"],
            "engagement_rate_30d": tiktok_engagement(
                views=tiktok["video_views"], likes=tiktok["likes"], comments=tiktok["comments"], shares=tiktok["shares"]
            ),
            "followers": tiktok_followers_latest() if reads.tiktok_end else {},
        },
        "linktree": {
            "views_30d": linktree["total_views"],
            "clicks_30d": linktree["total_clicks"],
            "click_through_ratio_30d": div(linktree["total_clicks"], linktree["total_views"]),
        },
        "spotify": {
            "followers": {name: row["followers"] for name, row in followers},
            "followers_total": sum(row["followers"] for _, row in followers),
            "listeners_latest": {name: row["listeners"] for name, row in followers},
        },
    }


def _marketing(reads: _Reads) -> dict:
    meta = meta_totals(reads.facts)
    meta_end = meta_latest_date(reads.facts)
    spend_30d = ZERO
    if meta_end:  # the last 30 days of Meta data, on the rows already read
        spend_30d = meta_totals(reads.facts.between(meta_end - dt.timedelta(days=29), meta_end))["spend"]
    return {
        "total_spend_usd": meta["spend"],
        "spend_30d_usd": spend_30d,
        "impressions": meta["impressions"],
        "clicks": meta["clicks"],
        "ctr_pct": div(meta["clicks"] * 100, meta["impressions"]),
        "cpc_usd": div(meta["spend"], meta["clicks"]),
        "cpm_usd": div(meta["spend"] * 1000, meta["impressions"]),
        "active_campaigns": Campaign.objects.filter(Q(status="ACTIVE") | Q(is_currently_active=True)).count(),
    }


def _streams_mom(as_of: dt.date | None) -> Decimal:
    """The last two calendar months that ended on or before the latest complete date."""
    stream_months = dist_months(complete_only=True)
    complete = sorted(m for m in stream_months if as_of and month_end(m) <= as_of)
    if len(complete) < 2:
        return ZERO
    last, before = stream_months[complete[-1]], stream_months[complete[-2]]
    return change_pct(last["spotify"] + last["apple"], before["spotify"] + before["apple"])


def _followers_30d_change(followers: dict[str, dict]) -> int:
    if not followers:
        return 0
    newest = max(row["date"] for row in followers.values())
    before = spotify_followers_latest(on_or_before=newest - dt.timedelta(days=30))
    return sum(r["followers"] for r in followers.values()) - sum(r["followers"] for r in before.values())


def _growth(reads: _Reads) -> dict:
    months = sorted(reads.months)
    revenue_mom = change_pct(reads.months[months[-1]], reads.months[months[-2]]) if len(months) >= 2 else ZERO
    return {
        "streams_wow_pct": change_pct(reads.window("last_7"), reads.window("prev_7")),
        "streams_mom_pct": _streams_mom(reads.as_of),
        "revenue_mom_pct": revenue_mom,
        "spotify_followers_30d_change": _followers_30d_change(reads.followers),
    }


def _alerts(reads: _Reads) -> list[dict]:
    has_two_weeks = reads.as_of is not None and reads.first_complete <= reads.as_of - dt.timedelta(days=13)
    return alerts_build(
        months=reads.months,
        weeks=(reads.window("last_7"), reads.window("prev_7")) if has_two_weeks else None,
        timestamp=Stamp.get().last_updated or ts(timezone.now()),
    )


def _known_dates(reads: _Reads) -> dict[str, dt.date | None]:
    """The newest dates freshness needs that the sections already read."""
    known = {
        "distrokid_streams": reads.dist_newest.get("distrokid"),
        "toolost_streams": reads.dist_newest.get("toolost"),
        "tiktok": reads.tiktok_end,
        "linktree": reads.linktree_end,
        "capital_one": reads.expenses["newest"],
    }
    if reads.followers:  # every artist's newest row is here, so the newest of them is the table's newest date
        known["spotify_audience"] = max(row["date"] for row in reads.followers.values())
    return known


def kpis_get(*, today: dt.date | None = None) -> dict:
    """B2 `GET /api/kpis` `data` (module docstring)."""
    today = today or clock.today()
    reads = _Reads.get()
    return {
        "as_of": iso_day(reads.as_of),
        "streaming": _streaming(reads),
        "financial": _financial(reads),
        "social": _social(reads),
        "marketing": _marketing(reads),
        "growth": _growth(reads),
        "goals": goals_build(
            months=reads.months, month_streams=reads.windows.get("month_complete"), followers=reads.followers
        ),
        "alerts": _alerts(reads),
        "freshness": freshness_get(today=today, known=_known_dates(reads)),
    }
