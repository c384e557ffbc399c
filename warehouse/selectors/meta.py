"""Meta Ads facts and the B6 campaigns.

Precedence (contract §2.7): the ad_performance roll-up, else campaign_daily; insight windows only for campaigns
with no days."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, Sum

from warehouse.models import AdInsightWindow, AdPerformanceDaily, Artist, Campaign, CampaignDaily
from warehouse.selectors.common import ZERO, Buckets, div, iso_day
from warehouse.selectors.loads import Stamp
from warehouse.selectors.series import period_label


@dataclass
class MetaFacts:
    daily: list[dict] = field(default_factory=list)  # {date, campaign_id, spend, impressions, clicks, reach}
    windows: list[dict] = field(default_factory=list)  # latest window per (campaign, ad set) of day-less campaigns

    @property
    def exists(self) -> bool:
        return bool(self.daily or self.windows)

    def between(self, start: dt.date | None, end: dt.date | None) -> MetaFacts:
        """The days in [start, end] and the windows overlapping it."""
        return MetaFacts(
            daily=[
                r for r in self.daily if (start is None or r["date"] >= start) and (end is None or r["date"] <= end)
            ],
            windows=[
                w
                for w in self.windows
                if (start is None or w["date_stop"] >= start) and (end is None or w["date_start"] <= end)
            ],
        )


def _fact(row: dict, spend_key: str) -> dict:
    return {
        "campaign_id": row["campaign_id"],
        "spend": row[spend_key],
        "impressions": row["impressions"],
        "clicks": row["clicks"],
        "reach": row["reach"] or 0,
    }


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
        daily.setdefault((row["date"], row["campaign_id"]), {"date": row["date"], **_fact(row, "spend_usd")})
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
        daily=[row for _, row in sorted(daily.items(), key=lambda item: item[0])],
        windows=[
            {
                "campaign_id": w["campaign_id"],
                "date_start": w["date_start"],
                "date_stop": w["date_stop"],
                **_fact(w, "spend_usd"),
            }
            for w in latest.values()
        ],
    )
    return facts.between(start, end)


def meta_totals(facts: MetaFacts) -> dict:
    rows = facts.daily + facts.windows
    return {
        "spend": sum((r["spend"] for r in rows), ZERO),
        "impressions": sum(r["impressions"] for r in rows),
        "clicks": sum(r["clicks"] for r in rows),
        "reach": sum(r["reach"] for r in rows),
    }


def meta_latest_date(facts: MetaFacts) -> dt.date | None:
    dates = [r["date"] for r in facts.daily] + [w["date_stop"] for w in facts.windows]
    return max(dates) if dates else None


def meta_latest_data_date() -> dt.date | None:
    dates = [
        AdPerformanceDaily.objects.aggregate(d=Max("date"))["d"],
        CampaignDaily.objects.aggregate(d=Max("date"))["d"],
        AdInsightWindow.objects.aggregate(d=Max("date_stop"))["d"],
    ]
    dates = [d for d in dates if d]
    return max(dates) if dates else None


def _campaign_daily(days: list[dict], granularity: str) -> list[dict]:
    buckets = Buckets()
    for r in days:
        period = period_label(r["date"], granularity)
        buckets.add(
            (period,),
            {"period": period, "spend_usd": ZERO, "impressions": 0, "clicks": 0, "reach": 0},
            spend_usd=r["spend"],
            impressions=r["impressions"],
            clicks=r["clicks"],
            reach=r["reach"],
        )
    return buckets.rows()


def _campaign_item(campaign: Campaign, days: list[dict], windows: list[dict]) -> dict:
    rows = days or windows
    spend = sum((r["spend"] for r in rows), ZERO)
    impressions = sum(r["impressions"] for r in rows)
    clicks = sum(r["clicks"] for r in rows)
    firsts = [r.get("date") or r.get("date_start") for r in rows]
    lasts = [r.get("date") or r.get("date_stop") for r in rows]
    return {
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
        "first_date": iso_day(min(firsts)),
        "last_date": iso_day(max(lasts)),
        "spend_usd": spend,
        "impressions": impressions,
        "clicks": clicks,
        "reach": sum(r["reach"] for r in rows),
        "cpm_usd": div(spend * 1000, impressions),
        "cpc_usd": div(spend, clicks),
        "ctr_pct": div(clicks * 100, impressions),
        "data_basis": "daily" if days else "window",
    }


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
        if not (days or windows):
            continue  # no activity in the range
        item = _campaign_item(campaign, days, windows)
        if include_daily:
            item["daily"] = _campaign_daily(days, granularity)
        items.append(item)
    stamp = Stamp.get()
    metadata = {
        "filters": {
            "start": iso_day(start),
            "end": iso_day(end),
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
