"""The warehouse's KPI object (GET /api/kpis, warehouse.selectors.kpis_get) over the sample lake: full bodies against
CSV-computed figures."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from api.bodies import GOALS, KPIS
from api.fields import shape
from tests.api import oracle as o
from warehouse import selectors
from warehouse.models import SourceFile

pytestmark = pytest.mark.django_db


def _kpis_expected(today: dt.date, last_updated: str) -> dict:
    lines, tidy = o.dk_lines(), o.tidy_rows()
    complete = defaultdict(lambda: [0, 0])
    for r in tidy:
        if not r.is_partial:
            complete[r.date][0] += r.spotify
            complete[r.date][1] += r.apple
    as_of = max(complete)

    def window(end, days):
        return sum(sum(v) for d, v in complete.items() if end - dt.timedelta(days=days) < d <= end)

    last_7, prev_7 = window(as_of, 7), window(as_of - dt.timedelta(days=7), 7)
    net = sum(line.earnings for line in lines)
    royalty_streams = sum(line.quantity for line in lines if line.earnings >= 0)
    tracks = defaultdict(lambda: [0, Decimal(0)])
    for line in lines:
        tracks[line.isrc][0] += line.quantity if line.earnings >= 0 else 0
        tracks[line.isrc][1] += line.earnings
    titles = {
        "QZTBF2439187": ("PERVERSION", "PIG1987"),
        "QZTAW2496365": ("HOLD ON I", "ZONE A0"),
        "QZTBF2441974": ("GATEWAY", "ZONE A0"),
        "QZWFK2497196": ("KEYGEN", "PIG1987"),
        "QZZ7M2426076": ("DYSMORPHIA", "PIG1987"),
    }  # contract §4.2 catalog
    top = sorted(tracks.items(), key=lambda kv: (-kv[1][0], kv[0]))[:5]
    months = defaultdict(Decimal)
    for line in lines:
        months[line.sale_month] += line.earnings
    sale_months = sorted(months)
    mtd = [r for r in tidy if as_of.replace(day=1) <= r.date <= as_of]
    by_artist = defaultdict(Decimal)
    for line in lines:
        by_artist[line.artist] += line.earnings
    tiktok = o.tiktok_rows()
    tiktok_end = max(r["date"] for r in tiktok)
    t30 = [
        r for r in tiktok if tiktok_end - dt.timedelta(days=30) < r["date"] <= tiktok_end and r["views"] + r["likes"]
    ]
    linktree = o.linktree_rows()
    linktree_end = max(r["date"] for r in linktree)
    l30 = [r for r in linktree if linktree_end - dt.timedelta(days=30) < r["date"] <= linktree_end]
    ads = o.ad_rows()
    spend, impressions, clicks = (
        sum(r["spend"] for r in ads),
        sum(r["impressions"] for r in ads),
        sum(r["clicks"] for r in ads),
    )
    ads_end = max(r["date"] for r in ads)
    complete_months = defaultdict(int)
    for d, v in complete.items():
        complete_months[d.replace(day=1)] += sum(v)
    full = [
        m
        for m in sorted(complete_months)
        if (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1) <= as_of
    ]
    files = {
        sf.kind: sf for sf in SourceFile.objects.filter(status__in=["loaded", "skipped"]).order_by("loaded_at", "id")
    }

    def fresh(latest, kinds, stale_days):
        newest = max((files[k] for k in kinds if k in files), key=lambda f: f.loaded_at, default=None)
        return {
            "latest_data_date": latest.isoformat() if latest else None,
            "last_loaded_at": selectors.ts(newest.loaded_at) if newest else None,
            "last_file": newest.path if newest else None,
            "stale": bool(latest and stale_days is not None and latest < today - dt.timedelta(days=stale_days)),
        }

    meta_kinds = ["meta_campaign_summary", "meta_daily_performance", "meta_ad_performance"]
    goals = shape(GOALS, selectors.kpi_goals_get()[0])
    return {
        "as_of": "2025-08-17",
        "streaming": {
            "total_streams_all_time": 1_002_754 + 100_941,
            "latest_day": {
                "date": "2025-08-17",
                "spotify": complete[as_of][0],
                "apple": complete[as_of][1],
                "total": sum(complete[as_of]),
            },
            "last_7d": last_7,
            "prev_7d": prev_7,
            "month_to_date": sum(v for m, v in complete_months.items() if m == as_of.replace(day=1)),
            "by_platform": {"spotify": 976_645 + 98_286, "apple_music": 26_109 + 2_655},
            "by_source": {"distrokid": 1_002_754, "toolost": 100_941},
            "royalty_streams_all_time": royalty_streams,
            "revenue_per_stream": o.rate(net / royalty_streams),
            "top_tracks": [
                {
                    "isrc": isrc,
                    "title": titles[isrc][0],
                    "artist": titles[isrc][1],
                    "streams": q,
                    "revenue_usd": o.usd(e),
                }
                for isrc, (q, e) in top
            ],
        },
        "financial": {
            "total_revenue_usd": 1587.06,
            "gross_revenue_usd": o.usd(sum(line.earnings for line in lines if line.earnings > 0)),
            "adjustments_usd": -65.67,
            "latest_sale_month": "2025-04",
            "latest_month_revenue_usd": 15.36,
            "mrr_usd": o.usd(sum(months[m] for m in sale_months[-3:]) / 3),
            "expected_revenue_month_to_date_usd": o.usd(
                o.expected(sum(r.spotify for r in mtd), sum(r.apple for r in mtd))
            ),
            "revenue_by_artist": {"PIG1987": 803.45, "ZONE A0": 783.61},
            "expenses_usd_all_time": 0.0,
            "expenses_usd_last_30d": 0.0,
            "ad_spend_usd_all_time": 1889.10,
        },
        "social": {
            "tiktok": {
                "video_views_30d": sum(r["views"] for r in t30),
                "engagement_rate_30d": o.ratio(
                    Decimal(sum(r["likes"] + r["comments"] + r["shares"] for r in t30)) / sum(r["views"] for r in t30)
                ),
                "followers": {"pig1987": None},
            },
            "linktree": {
                "views_30d": sum(r["views"] for r in l30),
                "clicks_30d": sum(r["clicks"] for r in l30),
                "click_through_ratio_30d": o.ratio(
                    Decimal(sum(r["clicks"] for r in l30)) / sum(r["views"] for r in l30)
                ),
            },
            "spotify": {"followers": {}, "followers_total": 0, "listeners_latest": {}},
        },
        "marketing": {
            "total_spend_usd": 1889.10,
            "spend_30d_usd": o.usd(sum(r["spend"] for r in ads if r["date"] > ads_end - dt.timedelta(days=30))),
            "impressions": impressions,
            "clicks": clicks,
            "ctr_pct": o.pct(Decimal(clicks * 100) / impressions),
            "cpc_usd": o.usd(spend / clicks),
            "cpm_usd": o.usd(spend * 1000 / impressions),
            "active_campaigns": sum(1 for r in o.campaign_summary_rows() if r["campaign_status"] == "ACTIVE"),
        },
        "growth": {
            "streams_wow_pct": o.pct(Decimal(last_7 - prev_7) * 100 / prev_7),
            "streams_mom_pct": o.pct(
                Decimal(complete_months[full[-1]] - complete_months[full[-2]]) * 100 / complete_months[full[-2]]
            ),
            "revenue_mom_pct": o.pct(
                (months[sale_months[-1]] - months[sale_months[-2]]) * 100 / months[sale_months[-2]]
            ),
            "spotify_followers_30d_change": 0,
        },
        "goals": goals,
        "alerts": [
            {
                "type": "revenue",
                "severity": "high",
                "message": "Revenue decreased by $321.51",
                "timestamp": last_updated,
            }
        ],
        "freshness": {
            "dk_bank_details": fresh(max(line.reporting_date for line in lines), ["dk_bank_details"], 45),
            "distrokid_streams": fresh(dt.date(2025, 8, 18), ["tidy_daily_streams"], 3),
            "toolost_streams": fresh(dt.date(2025, 5, 24), ["tidy_daily_streams"], 3),
            "spotify_audience": fresh(None, [], None),
            "spotify_songs": fresh(None, [], None),
            "tiktok": fresh(tiktok_end, ["tiktok"], 3),
            "linktree": fresh(linktree_end, ["linktree"], 3),
            "metaads": fresh(ads_end, meta_kinds, 3),
            "royalty_splits": fresh(None, [], None),
            "capital_one": fresh(None, [], None),
        },
    }


def test_kpis_selector_full_object(loaded, last_updated):
    today = dt.date(2025, 5, 28)  # DK reported 2025-05-26: fresh; TooLost ended 2025-05-24: stale (> 3 days)
    data = shape(KPIS, selectors.kpis_get(today=today))  # as the API and the websocket serve it
    assert data == _kpis_expected(today, last_updated)
    assert sorted(s for s, v in data["freshness"].items() if v["stale"]) == ["metaads", "toolost_streams"]
    assert data["marketing"]["spend_30d_usd"] == 608.62  # the sample's kpi_summary: "Last 30 Days Spend $608.62"


def test_kpis_endpoint(viewer, loaded, last_updated):
    body = viewer.get("/api/kpis").json()
    assert body["data"] == _kpis_expected(dt.date.today(), last_updated)
    assert body["metadata"]["load_run_id"] == loaded.pk and body["metadata"]["last_updated"] == last_updated
