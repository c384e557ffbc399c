"""The existing dashboard's KPI endpoints (/api/kpis/summary, realtime, goals, alerts) over the sample lake: full JSON
bodies against figures computed independently from its CSV files (tests/api/oracle.py) and the README's oracle
figures."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.api import oracle as o

pytestmark = pytest.mark.django_db


def test_oracle_matches_readme():
    """The independent CSV computations reproduce the README's published figures."""
    lines = o.dk_lines()
    assert len(lines) == 8635
    assert sum(line.earnings for line in lines) == Decimal("1587.06001527")
    assert sum(line.quantity for line in lines) == 616_709
    negative = [line for line in lines if line.earnings < 0]
    assert (len(negative), sum(line.quantity for line in negative)) == (1282, 74_178)
    tidy = o.tidy_rows()
    assert sum(r.spotify for r in tidy if r.source == "distrokid") == 976_645
    assert sum(r.combined for r in tidy if r.source == "toolost") == 100_941
    assert [(r.date, r.source) for r in tidy if r.is_partial] == [(dt.date(2025, 8, 18), "distrokid")]
    assert sum(r["spend"] for r in o.ad_rows()) == Decimal("1889.10")


def _summary_expected(last_updated: str) -> dict:
    lines = o.dk_lines()
    net = sum(line.earnings for line in lines)
    streams = sum(line.quantity for line in lines if line.earnings >= 0)
    latest_month = max(line.sale_month for line in lines)
    by_artist = defaultdict(Decimal)
    for line in lines:
        by_artist[line.artist] += line.earnings
    tidy = o.tidy_rows()
    tiktok = o.tiktok_rows()
    newest = max(r["date"] for r in tiktok)
    day = [r for r in tiktok if r["date"] == newest]
    views = sum(r["views"] for r in day)
    engaged = sum(r["likes"] + r["comments"] + r["shares"] for r in day)
    ads = o.ad_rows()
    spend, clicks = sum(r["spend"] for r in ads), sum(r["clicks"] for r in ads)
    return {
        "success": True,
        "data": {
            "total_revenue": 1587.06,
            "total_streams": 616_709 - 74_178,
            "average_revenue_per_stream": o.rate(net / streams),
            "current_month_revenue": o.usd(sum(line.earnings for line in lines if line.sale_month == latest_month)),
            "artist_count": 2,
            "top_artist": max(by_artist, key=by_artist.get),
            "distributor_breakdown": {
                source: o.usd(
                    o.expected(
                        sum(r.spotify for r in tidy if r.source == source),
                        sum(r.apple for r in tidy if r.source == source),
                    )
                )
                for source in ("distrokid", "toolost")
            },
            "last_updated": last_updated,
            "tiktok": {"video_views": views, "engagement_rate": o.ratio(Decimal(engaged) / views)},
            "marketing": {
                "total_ad_spend": 1889.10,
                "total_impressions": 5_255_985,
                "average_cpc": o.usd(spend / clicks),
                "total_clicks": 31_074,
            },
        },
        "metadata": {
            "sources": [
                "dk_bank_details.csv",
                "tidy_daily_streams.csv",
                "tiktok_analytics_curated_*.csv",
                "metaads/ad_performance_*.csv",
            ],
            "current_month": "2025-04",
            "last_updated": last_updated,
            "refresh_interval_seconds": 300,
        },
    }


def test_kpis_summary(viewer, last_updated):
    body = viewer.get("/api/kpis/summary").json()
    assert body == _summary_expected(last_updated)
    assert body["data"]["current_month_revenue"] == 15.36  # README: Sale Month 2025-04
    assert body["data"]["top_artist"] == "PIG1987"  # README: 803.45 vs 783.61


def test_kpis_realtime_goals_alerts(viewer, last_updated):
    tidy = o.tidy_rows()
    complete = defaultdict(lambda: {"spotify": 0, "apple": 0})
    for r in tidy:
        if not r.is_partial:
            complete[r.date]["spotify"] += r.spotify
            complete[r.date]["apple"] += r.apple
    current_day, previous_day = sorted(complete)[-1], sorted(complete)[-2]
    cur, prev = complete[current_day], complete[previous_day]

    def change(a, b):
        return o.pct(Decimal(a - b) * 100 / b) if b else 0.0

    realtime = viewer.get("/api/kpis/realtime/").json()
    assert realtime["data"] == {
        "current_day": {
            "date": current_day.isoformat(),
            "spotify_streams": cur["spotify"],
            "apple_streams": cur["apple"],
            "total_streams": cur["spotify"] + cur["apple"],
        },
        "daily_change": {
            "spotify": cur["spotify"] - prev["spotify"],
            "apple": cur["apple"] - prev["apple"],
            "total": cur["spotify"] + cur["apple"] - prev["spotify"] - prev["apple"],
            "spotify_percent": change(cur["spotify"], prev["spotify"]),
            "apple_percent": change(cur["apple"], prev["apple"]),
        },
    }
    assert current_day == dt.date(2025, 8, 17)  # 2025-08-18 is DistroKid's partial trailing day
    assert realtime["metadata"]["sources_included"] == ["distrokid"]
    assert realtime["metadata"]["last_updated"] == last_updated and realtime["metadata"]["is_realtime"] is False

    month_streams = sum(v["spotify"] + v["apple"] for d, v in complete.items() if (d.year, d.month) == (2025, 8))
    revenue_april = Decimal("15.36240859")  # README: Sale Month 2025-04
    goals = viewer.get("/api/kpis/goals").json()
    assert goals["data"] == {
        "monthly_revenue": {
            "target": 500.0,
            "current": 15.36,
            "progress": o.pct(revenue_april * 100 / 500),
            "status": "at_risk",
        },
        "monthly_streams": {
            "target": 200000,
            "current": month_streams,
            "progress": o.pct(Decimal(month_streams) * 100 / 200000),
            "status": "at_risk",
        },
        "spotify_followers": {"target": 10000, "current": 0, "progress": 0.0, "status": "pending"},
    }
    assert {k: goals["metadata"][k] for k in ("month", "revenue_month", "last_updated")} == {
        "month": "2025-08",
        "revenue_month": "2025-04",
        "last_updated": last_updated,
    }

    last_7 = sum(
        v["spotify"] + v["apple"] for d, v in complete.items() if current_day - dt.timedelta(6) <= d <= current_day
    )
    prev_7 = sum(
        v["spotify"] + v["apple"]
        for d, v in complete.items()
        if current_day - dt.timedelta(13) <= d <= current_day - dt.timedelta(7)
    )
    expected_alerts = [
        {"type": "revenue", "severity": "high", "message": "Revenue decreased by $321.51", "timestamp": last_updated}
    ]
    if prev_7 and (prev_7 - last_7) / prev_7 > 0.2:
        expected_alerts.append(
            {
                "type": "streaming",
                "severity": "warning",
                "timestamp": last_updated,
                "message": f"Weekly streams decreased by {(prev_7 - last_7) * 100 / prev_7:.1f}%",
            }
        )
    alerts = viewer.get("/api/kpis/alerts").json()
    assert alerts == {
        "success": True,
        "data": expected_alerts,
        "metadata": {"last_updated": last_updated, "alert_count": len(expected_alerts)},
    }
